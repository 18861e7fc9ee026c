"""The records a detail panel shows about one node: its fields for people (bookkeeping left
out), the people and places it is tied to, relationship counts, owner, account owners, open
cases, an interaction timeline and the uids merged into it; and what a hand edit
(:mod:`erm_graph.edit.records`) reads of a record before it writes.

On a partner's store each query keeps to the scope inside its MATCH (:func:`within`), before
its counts and LIMITs.
"""

from __future__ import annotations

import re
from typing import Any

from erm_graph import model
from erm_graph.auth.scope import scope_of, within
from erm_graph.query.explore import find_node, key_label
from erm_graph.query.importance import group_rank
from erm_graph.query.merges import alias_table
from erm_graph.query.subgraph import GNode, clean_props
from erm_graph.store import GraphStore

#: Interactions shown in a timeline, newest first.
TIMELINE_ROWS = 25
OPEN = ["open", "in_progress"]
#: Properties that are the app's bookkeeping, not something a person reads: the store's
#: stamps and fingerprints, provenance (shown apart, folded), the key and the heading.
BOOKKEEPING = frozenset({*model.SYSTEM_PROPS, "uid", "name", "source", "source_file"})
#: ... and any property named like a load run's or a loader's fingerprint
BOOKKEEPING_NAME = re.compile(r"^_|_hash$|fingerprint|^load_|_run$|^run_id$")
#: (relationship type, True when it points away from the node) -> how the record at the
#: other end stands to it, in the order a panel lists them. The people a record is tied to,
#: and where a person belongs.
TIES: dict[tuple[str, bool], str] = {
    ("MANAGES", False): "account owner",
    ("RESPONSIBLE_FOR", False): "owner",
    ("ASSIGNED_TO", True): "handled by",
    ("WORKS_FOR", True): "works for",
    ("MEMBER_OF", True): "department",
    ("REPORTS_TO", True): "line manager",
    ("WORKS_FOR", False): "contact",
    ("REPORTS_TO", False): "reports to them",
    ("MEMBER_OF", False): "member",
    ("PERFORMS", False): "performer",
    ("KNOWS", False): "knows them",
}
#: ties shown per record, at most (a department's members, a big customer's contacts)
TIE_ROWS = 25

_INTERACTION = ("i.uid, i.kind, i.at, i.channel, i.amount, i.sentiment "
                "ORDER BY i.at DESC, i.uid LIMIT $rows")
_CASE = ("x.uid, x.kind, x.status, x.severity, x.opened_at, x.escalated "
         "ORDER BY x.severity, x.opened_at DESC, x.uid LIMIT $rows")
#: (timeline, open cases) patterns per key label, from the model's relationships.
_ACTIVITY: dict[str, tuple[str, str]] = {
    "Party": ("MATCH (n)<-[:WORKS_FOR*0..1]-(w)-[:HAD]->(i:Interaction)",
              "MATCH (n)<-[:WORKS_FOR*0..1]-(w)-[:RAISED]->(x:Case)"),
    "Contact": ("MATCH (n)-[:HAD]->(i:Interaction)", "MATCH (n)-[:RAISED]->(x:Case)"),
    "Employee": ("MATCH (i:Interaction)-[:WITH]->(n)", "MATCH (x:Case)-[:ASSIGNED_TO]->(n)"),
    "Department": ("", "MATCH (x:Case)-[:ASSIGNED_TO]->(n)"),
    "Product": ("MATCH (i:Interaction)-[:ABOUT]->(n)", "MATCH (x:Case)-[:ABOUT]->(n)"),
    "Step": ("MATCH (i:Interaction)-[:AT_STEP]->(n)", "MATCH (x:Case)-[:ABOUT]->(n)"),
}


def _records(columns: list[str], rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def fields(node: GNode) -> list[dict[str, Any]]:
    """The node's properties a person reads, in the order its label declares them (then the
    rest by name), each with a title: no key, stamps, fingerprints or load bookkeeping."""
    declared = list(model.LABELS[node.label].props) if node.label in model.LABELS else []
    keys = [k for k in node.props if k not in BOOKKEEPING and not BOOKKEEPING_NAME.search(k)
            and node.props[k] not in (None, "")]
    keys.sort(key=lambda k: (declared.index(k) if k in declared else len(declared), k))
    return [{"key": k, "title": k.replace("_", " "), "value": node.props[k]} for k in keys]


def provenance(node: GNode) -> dict[str, Any]:
    """Where the record came from and when the store last wrote it (a folded footnote)."""
    return {k: node.props[k] for k in ("source", "source_file", "created_at", "updated_at")
            if node.props.get(k) not in (None, "")}


def ties(store: GraphStore, key: str, uid: str) -> list[dict[str, Any]]:
    """The people ``uid`` is tied to and where a person belongs (:data:`TIES`), each with
    the fields that reach them: title, email, phone."""
    types = sorted({t for t, _ in TIES})
    rows = store.run(
        f"MATCH (n:{key} {{uid: $uid}})-[r]-(m) WHERE type(r) IN $types AND {within(store, 'm')} "
        f"RETURN type(r), startNode(r).uid = $uid, m.uid, labels(m), m.name, m.title, m.email, "
        f"m.phone ORDER BY m.name, m.uid", {"uid": uid, "types": types}).rows
    order = list(TIES)
    found = [{"role": TIES[(t, out)], "uid": u, "labels": list(labs), "name": name or u,
              "title": title, "email": email, "phone": phone, "_at": order.index((t, out))}
             for t, out, u, labs, name, title, email, phone in rows if (t, out) in TIES]
    found.sort(key=lambda f: f.pop("_at"))  # stable: by name within a role
    return found[:TIE_ROWS]


def node_detail(store: GraphStore, uid: str, *, node: GNode | None = None) -> dict[str, Any]:
    """What the explorer's panel shows about ``uid`` (``node``, when the caller has found it
    already, saves a lookup)."""
    node = node or find_node(store, uid)
    key = key_label(node)
    head = f"MATCH (n:{key} {{uid: $uid}}) "
    p = {"uid": uid, "rows": TIMELINE_ROWS, "open": OPEN}
    # a partner's counts carry the uids they count, which its store's row check then passes
    counted = ", collect(m.uid) AS counted_uid" if scope_of(store) is not None else ""
    rels = [row[:4] for row in store.run(
        head + f"MATCH (n)-[r]-(m) WHERE {within(store, 'm')} "
               f"RETURN type(r), startNode(r).uid = $uid, labels(m), count(*){counted}",
        p).rows]
    people = store.run(head + f"OPTIONAL MATCH (o:Employee)-[:RESPONSIBLE_FOR]->(n) "
                              f"WHERE {within(store, 'o')} "
                              f"WITH n, collect(DISTINCT {{uid: o.uid, name: o.name, "
                              f"left_on: o.left_on}}) AS owners "
                              f"OPTIONAL MATCH (e:Employee)-[:MANAGES]->(n) "
                              f"WHERE {within(store, 'e')} "
                              f"RETURN owners, collect(DISTINCT {{uid: e.uid, name: e.name}})",
                       p).rows
    owners, managers = people[0] if people else ([], [])
    detail: dict[str, Any] = {
        "uid": uid, "label": node.label, "labels": node.labels, "name": node.name,
        "properties": node.props,
        "fields": fields(node), "provenance": provenance(node),
        "ties": ties(store, key, uid),
        # a component has one owner (an empty or longer ``owners`` is a governance warning)
        "component": node.label in model.COMPONENT_LABELS,
        "relationships": [{"type": t, "direction": "out" if out else "in",
                           "label": model.primary_label(list(labs)), "count": c}
                          for t, out, labs, c in sorted(
                              rels, key=lambda r: (-r[3], r[0], not r[1], sorted(r[2])))],
        "owners": sorted((o for o in owners if o.get("uid")), key=lambda o: o["uid"]),
        "account_owners": sorted((e for e in managers if e.get("uid")),
                                 key=lambda e: e["uid"]),
        "timeline": [], "open_cases": [],
        # the uids merged into it (`erm merge`), which loads of their sources land on; a
        # partner's store holds no merges
        "aliases": [] if scope_of(store) is not None else sorted(
            alias for alias, kept in alias_table(store).get(key, {}).items() if kept == uid)}
    timeline, cases = _ACTIVITY.get(key, ("", ""))
    if timeline:
        detail["timeline"] = _records(
            ["uid", "kind", "at", "channel", "amount", "sentiment"],
            store.run(head + timeline + f" WHERE {within(store, 'i')} RETURN DISTINCT "
                      + _INTERACTION, p).rows)
    if cases:
        detail["open_cases"] = _records(
            ["uid", "kind", "status", "severity", "opened_at", "escalated"],
            store.run(head + cases + f" WHERE x.status IN $open AND {within(store, 'x')} "
                      f"RETURN DISTINCT " + _CASE, p).rows)
    # the most important kinds first (owners, open cases, people), as the explorer loads them
    detail["relationships"].sort(key=lambda r: group_rank(
        r["type"], r["label"], len(detail["open_cases"]) if r["label"] == "Case" else 0))
    return detail


# -- what a hand edit reads before it writes (erm_graph/edit/records.py) -----------------------
def node_in(store: GraphStore, uid: str, key: str) -> GNode | None:
    """The node ``uid`` under the key label ``key`` (a model label), or None."""
    rows = store.run(f"MATCH (n:{key} {{uid: $uid}}) RETURN labels(n), properties(n)",
                     {"uid": uid}).rows
    return GNode(uid, list(rows[0][0]), clean_props(rows[0][1])) if rows else None


def related(store: GraphStore, node: GNode, rel_type: str, outgoing: bool = True) -> list[str]:
    """The uids at the other end of ``node``'s ``rel_type`` relationships (a model type), in
    one direction, sorted."""
    arrow = f"-[:{rel_type}]->" if outgoing else f"<-[:{rel_type}]-"
    return [x for (x,) in store.run(f"MATCH (n:{key_label(node)} {{uid: $uid}}){arrow}(x) "
                                    f"RETURN x.uid ORDER BY x.uid", {"uid": node.uid}).rows]


def relationship(store: GraphStore, start: GNode, rel_type: str,
                 end: GNode) -> dict[str, Any] | None:
    """The properties of ``(start)-[rel_type]->(end)`` (a model type), or None when there is
    none."""
    rows = store.run(f"MATCH (a:{key_label(start)} {{uid: $a}})-[r:{rel_type}]->(b) "
                     f"WHERE b.uid = $b WITH r, b WHERE b:{key_label(end)} "
                     f"RETURN properties(r)", {"a": start.uid, "b": end.uid}).rows
    return clean_props(rows[0][0]) if rows else None


def relationships_of(store: GraphStore, node: GNode,
                     most: int) -> tuple[list[dict[str, Any]], int]:
    """The first ``most`` relationships of ``node`` as ``{type, direction, uid}`` (by type and
    uid), and how many it has."""
    head = f"MATCH (n:{key_label(node)} {{uid: $uid}}) "
    listed = [{"type": t, "direction": "out" if out else "in", "uid": x}
              for t, out, x in store.run(head + "MATCH (n)-[r]-(x) RETURN type(r), "
                                         "startNode(r) = n, x.uid ORDER BY type(r), x.uid "
                                         "LIMIT $n", {"uid": node.uid, "n": most}).rows]
    count = store.run(head + "OPTIONAL MATCH (n)-[r]-() RETURN count(r)",
                      {"uid": node.uid}).rows[0][0]
    return listed, int(count)
