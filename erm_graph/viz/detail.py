"""What a detail panel shows about one node: properties, relationship counts, owner, account
owners, an interaction timeline and open cases.

On a partner's store each query keeps to the scope inside its MATCH (:func:`within`), before
its counts and LIMITs.
"""

from __future__ import annotations

from typing import Any

from erm_graph.auth.scope import scope_of, within
from erm_graph.store import GraphStore
from erm_graph.viz.styles import primary_label
from erm_graph.viz.subgraph import GNode, find_node, key_label

#: Interactions shown in a timeline, newest first.
TIMELINE_ROWS = 25
OPEN = ["open", "in_progress"]

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


def node_detail(store: GraphStore, uid: str, *, timeout: float | None = None,
                node: GNode | None = None) -> dict[str, Any]:
    node = node or find_node(store, uid, timeout=timeout)
    key = key_label(node)
    head = f"MATCH (n:{key} {{uid: $uid}}) "
    p = {"uid": uid, "rows": TIMELINE_ROWS, "open": OPEN}
    # a partner's counts carry the uids they count, which its store's row check then passes
    counted = ", collect(m.uid) AS counted_uid" if scope_of(store) is not None else ""
    rels = [row[:4] for row in store.run(
        head + f"MATCH (n)-[r]-(m) WHERE {within(store, 'm')} "
               f"RETURN type(r), startNode(r).uid = $uid, labels(m), count(*){counted}",
        p, timeout=timeout).rows]
    people = store.run(head + f"OPTIONAL MATCH (o:Employee)-[:RESPONSIBLE_FOR]->(n) "
                              f"WHERE {within(store, 'o')} "
                              f"WITH n, collect(DISTINCT {{uid: o.uid, name: o.name}}) AS owners "
                              f"OPTIONAL MATCH (e:Employee)-[:MANAGES]->(n) "
                              f"WHERE {within(store, 'e')} "
                              f"RETURN owners, collect(DISTINCT {{uid: e.uid, name: e.name}})",
                       p, timeout=timeout).rows
    owners, managers = people[0] if people else ([], [])
    detail: dict[str, Any] = {
        "uid": uid, "label": node.label, "labels": node.labels, "name": node.name,
        "properties": node.props,
        "relationships": [{"type": t, "direction": "out" if out else "in",
                           "label": primary_label(list(labs)), "count": c}
                          for t, out, labs, c in sorted(
                              rels, key=lambda r: (-r[3], r[0], not r[1], sorted(r[2])))],
        "owners": sorted((o for o in owners if o.get("uid")), key=lambda o: o["uid"]),
        "account_owners": sorted((e for e in managers if e.get("uid")),
                                 key=lambda e: e["uid"]),
        "timeline": [], "open_cases": []}
    timeline, cases = _ACTIVITY.get(key, ("", ""))
    if timeline:
        detail["timeline"] = _records(
            ["uid", "kind", "at", "channel", "amount", "sentiment"],
            store.run(head + timeline + f" WHERE {within(store, 'i')} RETURN DISTINCT "
                      + _INTERACTION, p, timeout=timeout).rows)
    if cases:
        detail["open_cases"] = _records(
            ["uid", "kind", "status", "severity", "opened_at", "escalated"],
            store.run(head + cases + f" WHERE x.status IN $open AND {within(store, 'x')} "
                      f"RETURN DISTINCT " + _CASE, p, timeout=timeout).rows)
    return detail
