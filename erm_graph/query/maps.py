"""The reads behind relationship maps: the process a uid names, one map's records, the owners
of its components, the activity and departments that choose and group its people and
parties, the list of processes, and the library summary with its governance warning.

:mod:`erm_graph.viz.relationship_map` lays these records out; the web pages and the API show
them. A map's records come from the named query ``relationship-map`` and the summary's
unowned components from ``unowned-components``, the same ones the query library lists, so
the pages and the queries cannot disagree.

On a partner's store each statement keeps to the scope inside its MATCH (:func:`within`),
before its counts and LIMITs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.auth.scope import within
from erm_graph.errors import ErmError
from erm_graph.query.explore import find_node
from erm_graph.query.named import run_query
from erm_graph.query.subgraph import GEdge, GNode, Subgraph
from erm_graph.store import GraphStore

#: Unowned components the summary lists, at most, per label.
UNOWNED_SHOWN = 50
#: the components a row of ``relationship-map`` attaches to its step, each with its tie
Attached = Iterable[tuple[GNode, GEdge]]


@dataclass
class MapRecords:
    """What a relationship map shows, before layout.

    ``graph`` holds the process, its steps and their ``NEXT`` ties, the components attached to
    the steps (performers, documents, parties) and the maps that depict the process;
    ``order`` is each step's place in the flow, ``bands`` where each node belongs
    ("process", "flow", "performer", "document", "party"), ``attached`` the steps each
    component is tied to.
    """

    process: GNode
    graph: Subgraph
    order: dict[str, float] = field(default_factory=dict)
    next_edges: list[tuple[str, str]] = field(default_factory=list)
    bands: dict[str, str] = field(default_factory=dict)
    attached: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def resolve_process(store: GraphStore, uid: str) -> GNode:
    """The Process ``uid`` names, directly or through the Map that depicts it."""
    node = find_node(store, uid)
    if node.label == "Process":
        return node
    if node.label == "Map":
        rows = store.run(f"MATCH (:Map {{uid: $uid}})-[:DEPICTS]->(p:Process) "
                         f"WHERE {within(store, 'p')} RETURN p.uid ORDER BY p.uid LIMIT 1",
                         {"uid": uid}).rows
        if rows:
            return find_node(store, rows[0][0])
        raise ErmError(f"map {uid!r} depicts no process; link it with a DEPICTS relationship")
    raise ErmError(f"{uid!r} is a {node.label}, not a Process or Map; pick a process from "
                   f"`erm viz map --help` or the explorer's home page")


def map_records(store: GraphStore, uid: str, *, max_steps: int = 2000) -> MapRecords:
    """The records of the map of the process (or Map) ``uid``: see :class:`MapRecords`.

    They come from the named query ``relationship-map``, the one the query library lists, so
    the page and the query hold the same map; on a partner's store the query keeps each
    component to the scope (``$scope``). Its nodes carry what the drawing reads (name, the
    kind that picks a shape, labels); the detail panel reads full records on click. Steps
    beyond ``max_steps``, in flow order, are left out. Only a process without steps needs
    a read of its own, for the maps that depict it (:func:`_maps_of`).
    """
    process = resolve_process(store, uid)
    sub = Subgraph(title=process.name)
    sub.add_node(process)
    m = MapRecords(process, sub)
    m.bands[process.uid] = "process"
    rows = run_query(store, "relationship-map", {"uid": process.uid}).records()
    rows.sort(key=lambda r: (r["order"] if r["order"] is not None else 0, r["step_uid"]))
    rows = rows[:max_steps]
    for i, row in enumerate(rows):
        step = row["step_uid"]
        sub.add_node(GNode(step, ["Step"], _drawn({"name": row["step"], "kind": row["kind"],
                                                   "parent": row["parent"]})))
        m.bands[step] = "flow"
        m.order[step] = row["order"] if row["order"] is not None else i
    for row in rows:
        for hop in row["next"]:
            if hop["to"] in m.order:
                m.next_edges.append((row["step_uid"], hop["to"]))
                sub.add_edge(GEdge(row["step_uid"], hop["to"], "NEXT",
                                   _drawn({"label": hop["label"]})))
    for band, attach in (("performer", _performers), ("document", _documents),
                         ("party", _parties)):
        for row in rows:
            for node, edge in attach(row):
                sub.add_node(node)
                m.bands.setdefault(node.uid, band)
                m.attached[node.uid].append(row["step_uid"])
                sub.add_edge(edge)
    for depicting in rows[0]["maps"] if rows else _maps_of(store, process.uid):
        sub.add_node(GNode(depicting["uid"], ["Map"], _drawn({"name": depicting["name"]})))
        sub.add_edge(GEdge(depicting["uid"], process.uid, "DEPICTS"))
        m.bands[depicting["uid"]] = "process"
    return m


def _drawn(props: dict[str, Any]) -> dict[str, Any]:
    """The properties a row gives, without the ones the graph does not have (null)."""
    return {k: v for k, v in props.items() if v is not None}


def _maps_of(store: GraphStore, process: str) -> list[dict[str, Any]]:
    """The maps that depict a process with no steps, which the named query (one row per step)
    has no row to list them on."""
    return store.run(f"MATCH (m:Map)-[:DEPICTS]->(:Process {{uid: $uid}}) "
                     f"WHERE {within(store, 'm')} RETURN m.uid AS uid, m.name AS name "
                     f"ORDER BY uid", {"uid": process}).records()


def _performers(row: dict[str, Any]) -> Attached:
    step = row["step_uid"]
    for label, column in (("Department", "departments"), ("Employee", "people")):
        for d in row[column]:
            yield (GNode(d["uid"], [label], _drawn({"name": d["name"]})),
                   GEdge(d["uid"], step, "PERFORMS", _drawn({"role": d["role"]})))


def _documents(row: dict[str, Any]) -> Attached:
    step = row["step_uid"]
    for d in row["documents"]:
        yield (GNode(d["uid"], ["Document"], _drawn({"name": d["name"], "kind": d["kind"]})),
               GEdge(step, d["uid"], d["how"].upper()))


def _parties(row: dict[str, Any]) -> Attached:
    step = row["step_uid"]
    for p in row["parties"]:
        yield (GNode(p["uid"], list(p["labels"]), _drawn({"name": p["name"]})),
               GEdge(p["uid"], step, "PARTICIPATES_IN", _drawn({"role": p["role"]})))


def component_owners(store: GraphStore, nodes: Iterable[GNode]) -> dict[str, str | None]:
    """The owner's name (``RESPONSIBLE_FOR``) of each of ``nodes`` that can have one (a
    :data:`erm_graph.model.COMPONENT_LABELS`); None marks a component nobody owns, and the
    names of several owners are joined by `` + ``, so the map shows that rule broken too."""
    return {u: " + ".join(found.values()) or None
            for u, found in component_owner_records(store, nodes).items()}


def component_owner_records(store: GraphStore,
                            nodes: Iterable[GNode]) -> dict[str, dict[str, str]]:
    """The owners (uid -> name, by name) of each of ``nodes`` that can have one; an empty
    dict for a component nobody owns (see :func:`component_owners`)."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        by_label[node.label].append(node.uid)
    owners: dict[str, dict[str, str]] = {}
    for label in model.COMPONENT_LABELS:
        uids = by_label.get(label)
        if not uids:
            continue
        rows = store.run(f"UNWIND $uids AS u MATCH (c:{label} {{uid: u}}) "
                         f"OPTIONAL MATCH (o:Employee)-[:RESPONSIBLE_FOR]->(c) "
                         f"WHERE {within(store, 'o')} "
                         f"RETURN u AS uid, o.uid, o.name ORDER BY uid, o.name, o.uid",
                         {"uids": uids}).rows
        for u, o_uid, name in rows:
            found = owners.setdefault(u, {})
            if o_uid is not None:
                found.setdefault(o_uid, name)
    return owners


#: How a label's activity is counted: the interactions it took part in.
_ACTIVITY = {"Employee": "(i:Interaction)-[:WITH]->(x)", "Party": "(x)-[:HAD]->(i:Interaction)"}


def activity(store: GraphStore, label: str, uids: Iterable[str]) -> dict[str, int]:
    """How many interactions each of ``uids`` (Employees or Parties, ``label``) took part in,
    counted inside a partner's scope: the map shows the busiest people and parties first."""
    rows = store.run(f"UNWIND $uids AS u MATCH (x:{label} {{uid: u}}) "
                     f"OPTIONAL MATCH {_ACTIVITY[label]} WHERE {within(store, 'i')} "
                     f"RETURN u, count(i)", {"uids": list(uids)}).rows
    return {u: n for u, n in rows}


def departments_of(store: GraphStore, uids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The department (uid, name) each employee of ``uids`` is a member of (``MEMBER_OF``;
    of several, the first by uid), so the map draws people under their department."""
    rows = store.run(f"UNWIND $uids AS u MATCH (:Employee {{uid: u}})-[:MEMBER_OF]->"
                     f"(d:Department) WHERE {within(store, 'd')} "
                     f"RETURN u, d.uid, d.name ORDER BY u, d.uid", {"uids": list(uids)}).rows
    found: dict[str, tuple[str, str]] = {}
    for u, d_uid, d_name in rows:
        found.setdefault(u, (d_uid, d_name))
    return found


def list_maps(store: GraphStore) -> list[dict[str, Any]]:
    """Every process (a partner's: those in its scope) with its map, owner and step count."""
    rows = store.run(
        f"MATCH (p:Process) WHERE {within(store, 'p')} "
        f"OPTIONAL MATCH (m:Map)-[:DEPICTS]->(p) WHERE {within(store, 'm')} "
        f"WITH p, min(m.uid) AS map "
        f"OPTIONAL MATCH (o:Employee)-[:RESPONSIBLE_FOR]->(p) WHERE {within(store, 'o')} "
        f"RETURN p.uid, p.name, p.category, map, o.name, "
        f"size([(p)-[:HAS_STEP]->(s) WHERE {within(store, 's')} | s]) "
        f"ORDER BY p.name, p.uid, o.name").rows
    return [{"uid": u, "name": n, "category": c, "map": m, "owner": o, "steps": s}
            for u, n, c, m, o, s in rows]


def unowned(store: GraphStore, limit: int = UNOWNED_SHOWN) -> list[dict[str, Any]]:
    """The components no employee is ``RESPONSIBLE_FOR``, by the named query
    ``unowned-components``: at most ``limit`` of each label, labels in the model's order
    (:data:`erm_graph.model.COMPONENT_LABELS`), each label's in uid order.

    On a partner's store the rows whose uid lies outside its scope are dropped by the store;
    the query has no LIMIT, so the cap here counts only what the partner may see.
    """
    by_label: dict[str, list[dict[str, Any]]] = {label: [] for label in model.COMPONENT_LABELS}
    for row in run_query(store, "unowned-components").records():
        shown = by_label.get(row["label"])
        if shown is not None and len(shown) < limit:
            shown.append({"uid": row["uid"], "name": row["name"], "label": row["label"]})
    return [row for rows in by_label.values() for row in rows]


def summary(store: GraphStore) -> dict[str, Any]:
    """The library at a glance: counts by label and type, the maps, the governance warning."""
    labels, types = store.counts()
    return {"labels": labels, "relationships": types, "maps": list_maps(store),
            "warnings": {"unowned": unowned(store)}}
