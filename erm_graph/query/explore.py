"""The explorer's reads: find a node, search by name, a node's neighbours (capped, paged), its
neighbourhood, a shortest path, the records a list of uids names and their ties.

A new explorer query goes here (a record's detail panel goes in :mod:`erm_graph.query.records`).
Every statement here takes its labels and relationship types from :mod:`erm_graph.model` and its
values as parameters; nothing the user typed is spliced into Cypher. Nodes are keyed by ``uid``
(the stable key of the model), so pieces fetched by separate requests join up in the explorer.

On a partner's store every reader puts the scope into its query (:func:`within`) before any
LIMIT, SKIP or count, so what lies outside the scope changes no page, order or number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from erm_graph import model
from erm_graph.auth.scope import scope_of, within
from erm_graph.errors import ErmError
from erm_graph.query.importance import (
    group_rank,
    rank_expression,
    rank_params,
    recency_expression,
)
from erm_graph.query.subgraph import GEdge, GNode, Subgraph, clean_props
from erm_graph.store import GraphStore

#: A path search looks at most this many hops away.
MAX_PATH_HOPS = 8
#: A neighbourhood draws at most this many relationships per node it may hold.
EDGES_PER_NODE = 2


class NotFound(ErmError):
    kind = "not_found"


def _checked(names: Iterable[str] | None, known: Iterable[str], what: str) -> list[str] | None:
    """``names`` when each is one of ``known``, else a message naming the bad one and the
    choices; None for no names."""
    if not names:
        return None
    names, known = list(names), list(known)
    for name in names:
        if name not in known:
            raise ErmError(f"unknown {what} {name!r}; choose from {', '.join(known)}")
    return names


def check_labels(names: Iterable[str] | None) -> list[str] | None:
    """Model labels only."""
    return _checked(names, model.LABELS, "label")


def check_types(names: Iterable[str] | None) -> list[str] | None:
    """Model relationship types only."""
    return _checked(names, model.RELATIONSHIPS, "relationship type")


# -- finding nodes -----------------------------------------------------------------------------
def _find() -> str:
    """One seek per key label of the vocabulary in force (an extension's labels too)."""
    return " UNION ALL ".join(
        f"MATCH (n:{lab} {{uid: $uid}}) RETURN labels(n) AS labels, properties(n) AS props"
        for lab in model.KEY_LABELS)


def find_node(store: GraphStore, uid: str, *, hint: str | None = None) -> GNode:
    """The node with ``uid``, whatever its label (one index seek per key label).

    ``hint``, a key label the caller expects (remembered from an earlier lookup), is tried
    first with a single seek; when it is wrong, every key label is tried.
    """
    rows: list[Any] = []
    scope = scope_of(store)
    visible = scope is None or uid in scope  # outside a partner's scope: as a missing uid
    if visible and hint in model.KEY_LABELS:
        rows = store.run(f"MATCH (n:{hint} {{uid: $uid}}) RETURN labels(n), properties(n)",
                         {"uid": uid}).rows
    if visible and not rows:
        rows = store.run(_find(), {"uid": uid}).rows
    if not rows:
        raise NotFound(f"no node has uid {uid!r}; search by name with `erm cypher` or the "
                       f"explorer's search box")
    labels, props = rows[0]
    return GNode(uid, list(labels), clean_props(props))


def key_label(node: GNode) -> str:
    return model.LABELS[node.label].key_label if node.label in model.LABELS else node.label


def searchable() -> tuple[str, ...]:
    """Labels whose nodes have a name worth searching (an extension's with a name too)."""
    return tuple(name for name, lab in model.LABELS.items()
                 if "name" in lab.props and lab.parent is None)


def search(store: GraphStore, text: str, *, label: str | None = None,
           limit: int = 20) -> list[GNode]:
    """Nodes whose name contains ``text`` (any case) or whose uid is ``text``; prefix hits first,
    then by name and uid.

    On a partner's store the search reads only the scope's nodes (by uid), so the LIMIT
    counts only what the partner may see.
    """
    text = text.strip()
    if not text:
        return []
    labels = check_labels([label]) if label else list(searchable())
    assert labels is not None
    found: list[GNode] = []
    for lab in labels:
        source = (f"MATCH (n:{lab}) " if scope_of(store) is None
                  else f"UNWIND $scope AS u MATCH (n:{lab} {{uid: u}}) ")
        rows = store.run(
            source + "WHERE n.uid = $raw OR toLower(n.name) CONTAINS $q "
            "RETURN n.uid, labels(n), properties(n), "
            "CASE WHEN n.uid = $raw THEN 0 WHEN toLower(n.name) STARTS WITH $q THEN 1 "
            "ELSE 2 END AS rank ORDER BY rank, n.name, n.uid LIMIT $limit",
            {"q": text.lower(), "raw": text, "limit": limit}).rows
        found += [GNode(uid, list(labs), clean_props(props)) for uid, labs, props, _ in rows]
    found.sort(key=lambda n: (n.uid != text, not str(n.props.get("name", "")).lower()
                              .startswith(text.lower()), str(n.props.get("name", "")), n.uid))
    return found[:limit]


# -- neighbourhoods ----------------------------------------------------------------------------
def _filters(store: GraphStore, types: list[str] | None, labels: list[str] | None,
             hide_types: list[str] | None = None, hide_labels: list[str] | None = None) -> str:
    """The WHERE of a neighbour query: the types and labels asked for, those left out (the
    explorer's unticked filters: a node with any hidden label is left out, as the page hides
    it), and a partner's scope (in the query, so pages are full pages and counts count only
    what it may see)."""
    parts = []
    if types:
        parts.append("type(r) IN $types")
    if labels:
        parts.append("any(l IN labels(m) WHERE l IN $labels)")
    if hide_types:
        parts.append("NOT type(r) IN $hide_types")
    if hide_labels:
        parts.append("none(l IN labels(m) WHERE l IN $hide_labels)")
    if scope_of(store) is not None:
        parts.append(within(store, "m"))
    return ("WHERE " + " AND ".join(parts) + " ") if parts else ""


def neighbors(store: GraphStore, uid: str, *, limit: int = 50, offset: int = 0,
              types: list[str] | None = None, labels: list[str] | None = None,
              hide_types: list[str] | None = None, hide_labels: list[str] | None = None,
              node: GNode | None = None) -> Subgraph:
    """One page of ``uid``'s neighbours, the most important first (owner, open cases,
    contacts and contracts before interactions; then the most recent: see
    :mod:`erm_graph.query.importance`), then by name and uid.

    ``more[uid]`` is how many neighbours lie beyond this page; ``groups`` counts every
    neighbour by relationship type and label (with the open cases among them), most
    important group first, so a client can show what it has not loaded. Both count only what
    the filters let through.
    """
    types, labels = check_types(types), check_labels(labels)
    hide_types, hide_labels = check_types(hide_types), check_labels(hide_labels)
    node = node or find_node(store, uid)
    key = key_label(node)
    scoped = scope_of(store) is not None
    where = _filters(store, types, labels, hide_types, hide_labels)
    params = {"uid": uid, "types": types, "labels": labels, "hide_types": hide_types,
              "hide_labels": hide_labels, "skip": max(0, offset), "limit": max(0, limit),
              **rank_params()}
    rows = store.run(
        f"MATCH (n:{key} {{uid: $uid}})-[r]-(m) {where}"
        f"WITH r, m, {rank_expression()} AS rank, {recency_expression()} AS recent "
        f"RETURN type(r), startNode(r).uid, endNode(r).uid, properties(r), m.uid, labels(m), "
        f"properties(m) ORDER BY rank, recent DESC, m.name, m.uid SKIP $skip LIMIT $limit",
        params).rows
    counts = [row[:4] for row in store.run(
        f"MATCH (n:{key} {{uid: $uid}})-[r]-(m) {where}"
        f"RETURN type(r), labels(m), count(*), "
        f"sum(CASE WHEN 'Case' IN labels(m) AND m.status IN $open_case THEN 1 ELSE 0 END)"
        # a partner's counts carry the uids they count, which the scope check then passes
        + (", collect(m.uid) AS counted_uid" if scoped else ""),
        params).rows]
    sub = Subgraph(title=node.name)
    sub.add_node(node)
    for rtype, s, e, rprops, muid, mlabels, mprops in rows:
        sub.add_node(GNode(muid, list(mlabels), clean_props(mprops)))
        sub.add_edge(GEdge(s, e, rtype, clean_props(rprops)))
    total = sum(c for _, _, c, _ in counts)
    shown = len(rows)
    sub.more[uid] = max(0, total - params["skip"] - shown)
    grouped: dict[tuple[str, str], list[int]] = {}
    for t, labs, c, still_open in counts:
        tally = grouped.setdefault((t, model.primary_label(list(labs))), [0, 0])
        tally[0] += int(c)
        tally[1] += int(still_open)  # a sum: a float on some engines
    sub.groups = sorted(({"of": uid, "type": t, "label": lab, "count": c, "open": o,
                          "rank": group_rank(t, lab, o)} for (t, lab), (c, o) in grouped.items()),
                        key=lambda g: (g["rank"], g["type"], g["label"]))
    return sub


def neighborhood(store: GraphStore, uid: str, *, depth: int = 1, per_node: int = 25,
                 max_nodes: int = 500, types: list[str] | None = None,
                 labels: list[str] | None = None, hide_types: list[str] | None = None,
                 hide_labels: list[str] | None = None, node: GNode | None = None) -> Subgraph:
    """Everything within ``depth`` hops of ``uid``, at most ``per_node`` neighbours of each node
    (each node's most important first, as :func:`neighbors` orders them) and ``max_nodes`` in
    all. What the caps cut off shows in ``more``: the exact count for the
    centre, -1 ("more, not counted") for the nodes further out, and ``groups`` counts the
    centre's neighbours by type and label.

    One query per hop and key label, however many nodes the frontier holds.
    """
    depth = max(0, min(depth, 4))
    types, labels = check_types(types), check_labels(labels)
    hide_types, hide_labels = check_types(hide_types), check_labels(hide_labels)
    root = neighbors(store, uid, limit=min(per_node, max_nodes - 1), types=types,
                     labels=labels, hide_types=hide_types, hide_labels=hide_labels, node=node)
    sub = Subgraph(title=root.title).merge(root)
    frontier = [n for u, n in sub.nodes.items() if u != uid]
    where = _filters(store, types, labels, hide_types, hide_labels)
    max_edges = EDGES_PER_NODE * max_nodes
    for _ in range(depth - 1):
        by_key: dict[str, list[str]] = {}
        for node in frontier:
            by_key.setdefault(key_label(node), []).append(node.uid)
        frontier = []
        for key, uids in by_key.items():
            room = max_nodes - len(sub.nodes)
            for u in uids[max(room, 0):]:
                sub.more[u] = -1  # not expanded: the cap is reached
            uids = uids[:room]
            if not uids:
                continue
            # a subquery with LIMIT keeps a page of each node's neighbours, the most important
            # first as on the centre; one more than the page tells whether there are more
            rows = store.run(
                f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) "
                f"CALL {{ WITH n MATCH (n)-[r]-(m) {where}"
                f"WITH r, m, {rank_expression()} AS rank, {recency_expression()} AS recent "
                f"ORDER BY rank, recent DESC, m.uid LIMIT $per RETURN r, m }} "
                f"RETURN n.uid, type(r), startNode(r).uid, endNode(r).uid, properties(r), "
                f"m.uid, labels(m), properties(m)",
                {"uids": uids, "types": types, "labels": labels, "hide_types": hide_types,
                 "hide_labels": hide_labels, "per": per_node + 1, **rank_params()}).rows
            shown: dict[str, int] = {}
            for nuid, rtype, s, e, rprops, muid, mlabels, mprops in rows:
                if shown.get(nuid, 0) >= per_node:
                    sub.more[nuid] = -1  # more than a page; how many is counted on expansion
                    continue
                if muid not in sub.nodes:
                    if len(sub.nodes) >= max_nodes:
                        sub.more[nuid] = -1
                        continue
                    node = GNode(muid, list(mlabels), clean_props(mprops))
                    sub.add_node(node)
                    frontier.append(node)
                if len(sub.edges) >= max_edges:
                    sub.more[nuid] = -1
                    continue
                sub.add_edge(GEdge(s, e, rtype, clean_props(rprops)))
                shown[nuid] = shown.get(nuid, 0) + 1
                sub.more.setdefault(nuid, 0)
    return sub


def shortest_path(store: GraphStore, a: str, b: str, *, max_hops: int = 6) -> Subgraph:
    """One shortest path between two nodes, in either direction, up to ``max_hops``.

    On a partner's store the path runs through the scope only (:func:`_path_within`): the
    engine's shortest path, filtered afterwards, would be hidden whenever a shorter one ran
    outside the scope, and so tell that one exists.
    """
    hops = max(1, min(int(max_hops), MAX_PATH_HOPS))
    na, nb = find_node(store, a), find_node(store, b)
    if scope_of(store) is not None:
        return _path_within(store, na, nb, hops)
    rows = store.run(
        f"MATCH (a:{key_label(na)} {{uid: $a}}) MATCH (b:{key_label(nb)} {{uid: $b}}) "
        f"WITH a, b MATCH p = allShortestPaths((a)-[*..{hops}]-(b)) "
        f"RETURN [x IN nodes(p) | [x.uid, labels(x), properties(x)]], "
        f"[x IN relationships(p) | [startNode(x).uid, endNode(x).uid, type(x)]] LIMIT 1",
        {"a": a, "b": b}).rows
    sub = Subgraph(title=f"{na.name} … {nb.name}")
    if not rows:
        return sub
    nodes, rels = rows[0]
    for uid, labs, props in nodes:
        sub.add_node(GNode(uid, list(labs), clean_props(props)))
    for s, e, t in rels:
        sub.add_edge(GEdge(s, e, t))
    return sub


def path_hops(sub: Subgraph, start: str) -> list[dict[str, Any]]:
    """The hops of a path subgraph (:func:`shortest_path`) in order from ``start``, each
    saying why it exists: the relationship, which way it points, and the model's meaning of
    it ("Tomas Lindqvist MANAGES Harbor & Finch: the account owner of a party")."""
    hops: list[dict[str, Any]] = []
    left = list(sub.edges.values())
    here = start
    while left:
        edge = next((e for e in left if here in (e.start, e.end)), None)
        if edge is None:
            break
        left.remove(edge)
        there = edge.end if edge.start == here else edge.start
        rel = model.RELATIONSHIPS.get(edge.type)
        hops.append({"from": here, "to": there, "type": edge.type,
                     "forward": edge.start == here,
                     "start": sub.nodes[edge.start].name, "end": sub.nodes[edge.end].name,
                     "why": rel.help if rel else ""})
        here = there
    return hops


def _path_within(store: GraphStore, na: GNode, nb: GNode, hops: int) -> Subgraph:
    """A shortest path from ``na`` to ``nb`` whose every node is in the store's scope: a
    breadth-first walk, one query per hop and key label, each neighbour filtered by the scope
    in the query; the first path found in uid order, so the answer depends on the scope only.
    """
    sub = Subgraph(title=f"{na.name} … {nb.name}")
    found: dict[str, tuple[GNode, tuple[str, str, str] | None, str | None]] = {
        na.uid: (na, None, None)}
    frontier = [na]
    for _ in range(hops):
        if nb.uid in found or not frontier:
            break
        by_key: dict[str, list[str]] = {}
        for node in frontier:
            by_key.setdefault(key_label(node), []).append(node.uid)
        reached: list[list[Any]] = []  # [m.uid, n.uid, type, start, end, labels, props]
        for key, uids in sorted(by_key.items()):
            reached += store.run(
                f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}})-[r]-(m) WHERE {within(store, 'm')} "
                f"RETURN m.uid, n.uid, type(r), startNode(r).uid, endNode(r).uid, labels(m), "
                f"properties(m)", {"uids": sorted(uids)}).rows
        frontier = []
        for muid, nuid, rtype, start, end, labs, props in sorted(reached, key=lambda r: r[:5]):
            if muid not in found:
                node = GNode(muid, list(labs), clean_props(props))
                found[muid] = (node, (start, end, rtype), nuid)
                frontier.append(node)
    if nb.uid not in found:
        return sub
    chain: list[tuple[GNode, tuple[str, str, str] | None]] = []
    uid: str | None = nb.uid
    while uid is not None:
        node, edge, uid = found[uid]
        chain.append((node, edge))
    for node, edge in reversed(chain):
        sub.add_node(node)
        if edge is not None:
            sub.add_edge(GEdge(*edge))
    return sub


def induced(store: GraphStore, uids: list[str]) -> Subgraph:
    """The nodes with these uids and the relationships among them (one index seek per uid and
    key label)."""
    sub = Subgraph()
    if not uids:
        return sub
    for key in model.KEY_LABELS:
        rows = store.run(
            f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) "
            f"OPTIONAL MATCH (n)-[r]->(m) WHERE m.uid IN $uids "
            f"RETURN n.uid, labels(n), properties(n), type(r), m.uid, properties(r)",
            {"uids": uids}).rows
        for uid, labs, props, rtype, muid, rprops in rows:
            sub.add_node(GNode(uid, list(labs), clean_props(props)))
            if rtype is not None:
                sub.add_edge(GEdge(uid, muid, rtype, clean_props(rprops or {})))
    return sub
