"""Customer service reads: cases against their service agreements, whom to dispatch a case to,
which cases an escalation rule catches, and the solutions knowledge base (search and
suggestions). See docs/service.md.

Every statement is fixed text with parameters: a search's words and a case's summary reach
the engine only as parameter values, never as Cypher.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from erm_graph.auth.scope import within
from erm_graph.errors import ErmError
from erm_graph.query.explore import NotFound
from erm_graph.query.named import run_query
from erm_graph.store import GraphStore

OPEN = ["open", "in_progress"]
#: a search or a summary is cut to this many characters, and to this many words, before it
#: reaches the engine: each word is one CONTAINS per article, so the work stays bounded
MAX_TEXT = 2000
MAX_WORDS = 12
MAX_WORD = 60
#: words too common to say anything about a problem
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have i in is it its not of on or our so "
    "that the their them then there this to was we were when with you your after again "
    "all any can cannot could does doesn't dont don't no won't".split())
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*", re.UNICODE)


def words(text: str | None) -> list[str]:
    """The distinct lower-case words of ``text`` that say something, in order, bounded."""
    found: list[str] = []
    for word in _WORD.findall((text or "")[:MAX_TEXT].lower()):
        word = word[:MAX_WORD]
        if len(word) > 1 and word not in STOP_WORDS and word not in found:
            found.append(word)
            if len(found) == MAX_WORDS:
                break
    return found


def iso(epoch_seconds: int | float | None) -> str | None:
    """Epoch seconds as the model's UTC time text."""
    if epoch_seconds is None:
        return None
    return datetime.fromtimestamp(int(epoch_seconds), UTC).strftime("%Y-%m-%dT%H:%M:%S")


# -- service agreements ------------------------------------------------------------------------
def service_targets(store: GraphStore, *, as_of: str | None = None, case: str | None = None,
                    open_only: bool = False, breached_only: bool = False,
                    limit: int = 200) -> list[dict[str, Any]]:
    """Each case against its agreement (the named query ``service-targets``), with its due
    times as UTC text (``response_due``, ``resolution_due``).

    >>> service_targets(store, breached_only=True, open_only=True)  # doctest: +SKIP
    """
    rows = run_query(store, "service-targets", {
        "as_of": as_of, "case": case, "open_only": open_only, "breached_only": breached_only,
        "limit": limit}).records()
    for row in rows:
        row["response_due"] = iso(row.pop("response_due_s"))
        row["resolution_due"] = iso(row.pop("resolution_due_s"))
    return rows


# -- dispatch and escalation -------------------------------------------------------------------
def least_loaded(store: GraphStore, department: str, today: str) -> dict[str, Any]:
    """The member of ``department`` (still with us on ``today``) with the fewest open cases
    assigned to them; a tie goes to the lower uid, so dispatch is repeatable."""
    rows = store.run(
        "MATCH (d:Department {uid: $department}) "
        "OPTIONAL MATCH (d)<-[:MEMBER_OF]-(e) WHERE e:Employee AND "
        "(e.left_on IS NULL OR e.left_on > $today) "
        "WITH d, e, size([(e)<-[:ASSIGNED_TO]-(c) WHERE c:Case AND c.status IN $open "
        "| c.uid]) AS load "
        "RETURN d.name AS department, e.uid AS uid, e.name AS name, load "
        "ORDER BY e IS NULL, load, uid LIMIT 1",
        {"department": department, "today": today, "open": OPEN}).records()
    if not rows:
        raise ErmError(f"no Department has uid {department!r}; `erm search` finds one by name")
    if rows[0]["uid"] is None:
        raise ErmError(f"department {rows[0]['department']} ({department}) has no member who "
                       f"is still with us to dispatch to")
    return rows[0]


def escalation_candidates(store: GraphStore, *, severities: list[int], statuses: list[str],
                          opened_by: str, unresponded: bool,
                          limit: int = 500) -> list[dict[str, Any]]:
    """Cases not yet escalated, of ``severities`` and ``statuses``, opened at or before
    ``opened_by`` (UTC text), with no first response when ``unresponded``; each with the
    department handling it (assigned, else its assignee's) and that department's head (its
    RESPONSIBLE_FOR owner)."""
    return store.run(
        "MATCH (x:Case) WHERE x.status IN $statuses AND x.severity IN $severities "
        "AND coalesce(x.escalated, false) = false "
        "AND substring(x.opened_at, 0, 19) <= $opened_by "
        "AND (NOT $unresponded OR x.responded_at IS NULL) "
        "WITH x, head([(x)-[:ASSIGNED_TO]->(d) WHERE d:Department | d] + "
        "[(x)-[:ASSIGNED_TO]->(ae)-[:MEMBER_OF]->(d2) WHERE ae:Employee AND d2:Department "
        "| d2]) AS dept "
        "RETURN x.uid AS uid, x.severity AS severity, x.opened_at AS opened_at, "
        "dept.uid AS department, "
        "head([(dept)<-[:RESPONSIBLE_FOR]-(h) WHERE h:Employee AND h.left_on IS NULL "
        "| h.uid]) AS head "
        "ORDER BY x.opened_at, uid LIMIT $limit",
        {"statuses": statuses, "severities": severities, "opened_by": opened_by,
         "unresponded": unresponded, "limit": limit}).records()


# -- knowledge base ----------------------------------------------------------------------------
_ARTICLE_COLUMNS = (
    "a.uid AS uid, a.title AS title, substring(coalesce(a.body, ''), 0, 240) AS excerpt, "
    "coalesce(a.keywords, '') AS keywords, a.updated_at AS updated_at, "
    "[(a)-[:APPLIES_TO]->(t) | {uid: t.uid, name: t.name}] AS about")


def _listed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's keywords (kept as one comma-separated text) as a list."""
    for row in rows:
        row["keywords"] = [k.strip() for k in (row.get("keywords") or "").split(",")
                           if k.strip()]
    return rows


def search_articles(store: GraphStore, text: str | None, *,
                    limit: int = 20) -> list[dict[str, Any]]:
    """Articles whose title, body or keywords hold the words of ``text``, those holding most
    first (title hits break ties, then the newest); no words: the newest articles. A
    partner's store sees only the articles in its scope."""
    terms = words(text)
    return _listed(store.run(
        f"MATCH (a:Article) WHERE {within(store, 'a')} "
        "WITH a, toLower(coalesce(a.title, '')) AS title, "
        "toLower(coalesce(a.title, '') + ' ' + coalesce(a.body, '') + ' ' + "
        "coalesce(a.keywords, '')) AS text "
        "WITH a, size([t IN $terms WHERE text CONTAINS t]) AS hits, "
        "size([t2 IN $terms WHERE title CONTAINS t2]) AS title_hits "
        "WHERE size($terms) = 0 OR hits > 0 "
        f"RETURN {_ARTICLE_COLUMNS}, hits, title_hits "
        "ORDER BY hits DESC, title_hits DESC, updated_at DESC, uid LIMIT $limit",
        {"terms": terms, "limit": limit}).records())


def article(store: GraphStore, uid: str) -> dict[str, Any]:
    """One article whole: its body, what it applies to and the cases it solved."""
    rows = _listed(store.run(
        f"MATCH (a:Article {{uid: $uid}}) WHERE {within(store, 'a')} "
        f"RETURN {_ARTICLE_COLUMNS}, a.body AS body, a.created_at AS created_at, a.by AS by, "
        "[(a)-[:SOLVES]->(c) | {uid: c.uid, name: coalesce(c.summary, c.name)}] AS solved",
        {"uid": uid}).records())
    if not rows:
        raise NotFound(f"no Article has uid {uid!r}; `erm article search WORDS` finds one")
    return rows[0]


def suggest_articles(store: GraphStore, case: str, *, limit: int = 5) -> list[dict[str, Any]]:
    """Articles for the case ``case``, best first: an article about the case's product or
    step scores 3, each of its keywords found in the case's summary (or name) 2, each word of
    the summary in its title 1; articles scoring nothing are left out."""
    found = store.run(
        f"MATCH (x:Case {{uid: $uid}}) WHERE {within(store, 'x')} "
        "RETURN coalesce(x.summary, '') + ' ' + coalesce(x.name, '') AS text, "
        "[(x)-[:ABOUT]->(t) | t.uid] AS about", {"uid": case}).records()
    if not found:
        raise NotFound(f"no Case has uid {case!r}")
    text = found[0]["text"][:MAX_TEXT].lower()
    return _listed(store.run(
        f"MATCH (a:Article) WHERE {within(store, 'a')} "
        "WITH a, size([(a)-[:APPLIES_TO]->(t) WHERE t.uid IN $about | t.uid]) AS on_topic, "
        "size([k IN split(coalesce(a.keywords, ''), ',') WHERE size(trim(k)) > 1 "
        "AND $text CONTAINS toLower(trim(k))]) AS keyword_hits, "
        "size([w IN $words WHERE toLower(coalesce(a.title, '')) CONTAINS w]) AS title_hits "
        "WITH a, on_topic, keyword_hits, title_hits, "
        "CASE WHEN on_topic > 0 THEN 3 ELSE 0 END + 2 * keyword_hits + title_hits AS score "
        "WHERE score > 0 AND (on_topic > 0 OR keyword_hits > 0 OR title_hits > 1) "
        f"RETURN {_ARTICLE_COLUMNS}, score, on_topic > 0 AS same_topic, keyword_hits "
        "ORDER BY score DESC, updated_at DESC, uid LIMIT $limit",
        {"about": found[0]["about"], "text": text, "words": words(text),
         "limit": limit}).records())
