"""Customer service writes: the solutions knowledge base (add, edit and link articles) and
case dispatch (to the least-loaded member of a department). Each is one
:func:`erm_graph.edit.records.save`, checked by the model and audited with before and after.
Escalation by rule is :mod:`erm_graph.watch.escalation`. See docs/service.md.
"""

from __future__ import annotations

from typing import Any

from erm_graph.edit.actions import assign_case
from erm_graph.edit.records import Change, Tie, Untie, new_uid, record, save
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, current_actor
from erm_graph.query.service import least_loaded
from erm_graph.store import GraphStore
from erm_graph.store.base import now_iso

#: what an article may be linked to, and by which relationship
ARTICLE_LINKS = {"Product": "APPLIES_TO", "Step": "APPLIES_TO", "Case": "SOLVES"}
MAX_KEYWORDS = 50


def _keywords(keywords: list[str] | str | None) -> str | None:
    """Keywords from a list or a comma-separated line, trimmed, lower case, each once, as
    the comma-separated line the model keeps."""
    if keywords is None:
        return None
    given = keywords.split(",") if isinstance(keywords, str) else keywords
    found = list(dict.fromkeys(k.strip().lower() for k in given if k and k.strip()))
    if len(found) > MAX_KEYWORDS:
        raise ErmError(f"field 'keywords': {len(found)} keywords; keep to {MAX_KEYWORDS} "
                       f"symptom words")
    return ", ".join(k.replace(",", " ") for k in found)


def _required(field: str, value: str | None) -> str:
    if not (value or "").strip():
        raise ErmError(f"field {field!r}: an article needs a {field}")
    return (value or "").strip()


def _link_ties(store: GraphStore, about: list[str]) -> list[Tie]:
    ties = []
    for uid in about:
        node = record(store, uid)
        rel = ARTICLE_LINKS.get(node.label)
        if rel is None:
            raise ErmError(f"{uid!r} is a {node.label}; an article applies to a Product or a "
                           f"Step, or solves a Case")
        ties.append(Tie(rel, node))
    return ties


def add_article(store: GraphStore, title: str, body: str, *,
                keywords: list[str] | str | None = None,
                about: list[str] | None = None) -> Change:
    """Write a knowledge-base article; ``about``: uids of the products and steps it applies
    to (and cases it solves). Audited as ``article.add``."""
    title, body = _required("title", title), _required("body", body)
    props: dict[str, Any] = {"name": title[:200], "title": title, "body": body,
                             "by": current_actor().name}
    words = _keywords(keywords)
    if words:
        props["keywords"] = words
    return save(store, WriteKind.ARTICLE_ADD, "Article", new_uid("Article"), props,
                ties=_link_ties(store, about or []))


def edit_article(store: GraphStore, uid: str, *, title: str | None = None,
                 body: str | None = None,
                 keywords: list[str] | str | None = None) -> Change:
    """Change an article's title, body or keywords (those given). Audited as
    ``article.edit``."""
    existing = record(store, uid, "Article")
    changes: dict[str, Any] = {}
    if title is not None:
        changes.update(title=_required("title", title), name=_required("title", title)[:200])
    if body is not None:
        changes["body"] = _required("body", body)
    if keywords is not None:
        changes["keywords"] = _keywords(keywords)
    if not changes:
        raise ErmError("nothing to change: give a title, a body or keywords")
    return save(store, WriteKind.ARTICLE_EDIT, "Article", uid, changes, existing=existing)


def link_article(store: GraphStore, uid: str, to: str, *, unlink: bool = False) -> Change:
    """Link the article ``uid`` to a product or step it applies to, or a case it solves
    (``unlink``: remove that link). Audited as ``article.link``."""
    existing = record(store, uid, "Article")
    tie = _link_ties(store, [to])[0]
    if unlink:
        return save(store, WriteKind.ARTICLE_LINK, "Article", uid, {}, existing=existing,
                    unties=[Untie(tie.type, other=to)])
    return save(store, WriteKind.ARTICLE_LINK, "Article", uid, {}, existing=existing,
                ties=[tie])


def dispatch_case(store: GraphStore, uid: str, department: str) -> Change:
    """Assign the case ``uid`` to the member of ``department`` with the fewest open cases
    (ties: the lower uid). Audited as ``case.assign``, with the department it was
    dispatched through."""
    chosen = least_loaded(store, department, now_iso()[:10])
    return assign_case(store, uid, chosen["uid"],
                       detail={"dispatched_by": department, "load": chosen["load"]})
