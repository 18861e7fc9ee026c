"""The relationship map of a process, read from the store and laid out as the seed draws it.

The picture: the process flow runs left to right through the middle (steps in flow order, the
branches of a gateway in lanes below the main line); the departments and employees who perform
each step sit in a band above it, the documents, materials, databases and systems each step uses
or produces in a band below it, and the outside parties at the left and right sides. Every
component shows its owner (``RESPONSIBLE_FOR``); one without an owner is flagged.

>>> m = relationship_map(store, "proc-customer")     # doctest: +SKIP
>>> m.positions["step-cr-start"]                     # doctest: +SKIP
(0, 0)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from erm_graph.auth.scope import within
from erm_graph.errors import ErmError
from erm_graph.store import GraphStore
from erm_graph.viz.subgraph import GEdge, GNode, Subgraph, clean_props, find_node

#: Spacing of the layout, in vis-network canvas units.
STEP_DX = 190
LANE_DY = 120
BAND_GAP = 190
ROW_DY = 120
SIDE_DX = 280
MIN_GAP = 150
#: People shown above one step; the rest become one "+N more people" node.
PEOPLE_PER_STEP = 3
#: Parties drawn one by one at the sides; beyond this they are grouped by label with counts.
PARTIES_SHOWN = 12
#: Components that can carry an owner, in the order they are looked up.
OWNED_LABELS = ("Process", "Step", "Document", "Department", "Map")

Position = tuple[float, float]


@dataclass
class RelationshipMap:
    process: GNode
    graph: Subgraph
    positions: dict[str, Position] = field(default_factory=dict)
    #: component uid -> owner name; None marks a component nobody owns
    owners: dict[str, str | None] = field(default_factory=dict)
    #: uid -> band: "flow", "performer", "document", "party", "process"
    bands: dict[str, str] = field(default_factory=dict)


def resolve_process(store: GraphStore, uid: str, *, timeout: float | None = None) -> GNode:
    """The Process ``uid`` names, directly or through the Map that depicts it."""
    node = find_node(store, uid, timeout=timeout)
    if node.label == "Process":
        return node
    if node.label == "Map":
        rows = store.run(f"MATCH (:Map {{uid: $uid}})-[:DEPICTS]->(p:Process) "
                         f"WHERE {within(store, 'p')} RETURN p.uid ORDER BY p.uid LIMIT 1",
                         {"uid": uid}, timeout=timeout).rows
        if rows:
            return find_node(store, rows[0][0], timeout=timeout)
        raise ErmError(f"map {uid!r} depicts no process; link it with a DEPICTS relationship")
    raise ErmError(f"{uid!r} is a {node.label}, not a Process or Map; pick a process from "
                   f"`erm viz map --help` or the explorer's home page")


def relationship_map(store: GraphStore, uid: str, *, timeout: float | None = None,
                     max_steps: int = 2000) -> RelationshipMap:
    """Read the map of the process (or Map) ``uid`` and lay it out."""
    process = resolve_process(store, uid, timeout=timeout)
    p = {"uid": process.uid, "limit": max_steps}
    base = "MATCH (p:Process {uid: $uid})-[h:HAS_STEP]->(s:Step) "
    sub = Subgraph(title=process.name)
    sub.add_node(process)
    m = RelationshipMap(process, sub)
    m.bands[process.uid] = "process"

    steps = store.run(base + "RETURN s.uid, labels(s), properties(s), h.order "
                      "ORDER BY coalesce(h.order, s.order, 0), s.uid LIMIT $limit",
                      p, timeout=timeout).rows
    order: dict[str, float] = {}
    for i, (suid, labs, props, h_order) in enumerate(steps):
        sub.add_node(GNode(suid, list(labs), clean_props(props)))
        m.bands[suid] = "flow"
        order[suid] = h_order if h_order is not None else props.get("order", i)
    flows = store.run(base + "MATCH (s)-[x:NEXT]->(t:Step) RETURN s.uid, t.uid, properties(x)",
                      p, timeout=timeout).rows
    next_edges = [(s, t) for s, t, _ in flows if s in order and t in order]
    for s, t, props in flows:
        if s in order and t in order:
            sub.add_edge(GEdge(s, t, "NEXT", clean_props(props)))

    attached: dict[str, list[str]] = defaultdict(list)
    for query, band in (
            (base + f"MATCH (d)-[r:PERFORMS]->(s) WHERE {within(store, 'd')} "
                    f"RETURN d.uid, labels(d), properties(d), s.uid, 'PERFORMS', properties(r)",
             "performer"),
            (base + f"MATCH (s)-[r]->(d:Document) WHERE type(r) IN $doc_types "
                    f"AND {within(store, 'd')} "
                    f"RETURN d.uid, labels(d), properties(d), s.uid, type(r), properties(r)",
             "document"),
            (base + f"MATCH (d:Party)-[r:PARTICIPATES_IN]->(s) WHERE {within(store, 'd')} "
                    f"RETURN d.uid, labels(d), properties(d), s.uid, 'PARTICIPATES_IN', "
                    f"properties(r)", "party")):
        for duid, labs, props, suid, rtype, rprops in store.run(
                query, {**p, "doc_types": ["USES", "PRODUCES"]}, timeout=timeout).rows:
            sub.add_node(GNode(duid, list(labs), clean_props(props)))
            m.bands.setdefault(duid, band)
            attached[duid].append(suid)
            start, end = (suid, duid) if band == "document" else (duid, suid)
            sub.add_edge(GEdge(start, end, rtype, clean_props(rprops)))

    maps = store.run("MATCH (m:Map)-[:DEPICTS]->(:Process {uid: $uid}) "
                     "RETURN m.uid, labels(m), properties(m)", p, timeout=timeout).rows
    for muid, labs, props in maps:
        sub.add_node(GNode(muid, list(labs), clean_props(props)))
        sub.add_edge(GEdge(muid, process.uid, "DEPICTS"))
        m.bands[muid] = "process"

    _group_people(m, attached)
    _group_parties(m, attached)
    m.owners = _owners(store, sub, timeout)
    m.positions = layout(sub, order, next_edges, attached, m.bands)
    return m


def _group_people(m: RelationshipMap, attached: dict[str, list[str]],
                  limit: int = PEOPLE_PER_STEP) -> None:
    """Keep ``limit`` employees above each step; fold the rest into one counted group node."""
    sub = m.graph
    by_step: dict[str, list[str]] = defaultdict(list)
    for uid, band in m.bands.items():
        if band == "performer" and sub.nodes[uid].label == "Employee":
            by_step[attached[uid][0]].append(uid)
    for step, people in by_step.items():
        if len(people) <= limit:
            continue
        people.sort(key=lambda u: sub.nodes[u].name)
        extra = set(people[limit - 1:])
        members = ", ".join(sub.nodes[u].name for u in people[limit - 1:][:40])
        for uid in extra:
            del sub.nodes[uid], m.bands[uid], attached[uid]
        sub.edges = {k: e for k, e in sub.edges.items()
                     if e.start not in extra and e.end not in extra}
        gid = f"group:{step}:Employee"
        sub.add_node(GNode(gid, ["Employee"], {"name": f"+{len(extra)} more people",
                                               "members": members}))
        sub.add_edge(GEdge(gid, step, "PERFORMS"))
        sub.groups.append({"of": step, "type": "PERFORMS", "label": "Employee",
                           "count": len(extra)})
        m.bands[gid] = "performer"
        attached[gid] = [step]


def _group_parties(m: RelationshipMap, attached: dict[str, list[str]],
                   limit: int = PARTIES_SHOWN) -> None:
    """Keep the ``limit`` parties that take part in most steps; group the rest by label."""
    sub = m.graph
    parties = [u for u, b in m.bands.items() if b == "party"]
    if len(parties) <= limit:
        return
    parties.sort(key=lambda u: (-len(set(attached[u])), sub.nodes[u].name))
    extra = parties[limit:]
    by_label: dict[str, list[str]] = defaultdict(list)
    for uid in extra:
        by_label[sub.nodes[uid].label].append(uid)
    gone = set(extra)
    sub.edges = {k: e for k, e in sub.edges.items() if e.start not in gone}
    for label, uids in by_label.items():
        gid = f"group:{m.process.uid}:{label}"
        steps = sorted({s for u in uids for s in attached[u]})
        sub.add_node(GNode(gid, list(sub.nodes[uids[0]].labels), {
            "name": f"+{len(uids)} more {label}", "count": len(uids),
            "members": ", ".join(sub.nodes[u].name for u in uids[:40])}))
        for step in steps:
            sub.add_edge(GEdge(gid, step, "PARTICIPATES_IN"))
        sub.groups.append({"of": m.process.uid, "type": "PARTICIPATES_IN", "label": label,
                           "count": len(uids)})
        m.bands[gid] = "party"
        attached[gid] = steps
    for uid in extra:
        del sub.nodes[uid], m.bands[uid], attached[uid]


def _owners(store: GraphStore, sub: Subgraph, timeout: float | None) -> dict[str, str | None]:
    owners: dict[str, str | None] = {}
    for label in OWNED_LABELS:
        uids = [u for u, n in sub.nodes.items() if n.label == label]
        if not uids:
            continue
        rows = store.run(f"UNWIND $uids AS u MATCH (c:{label} {{uid: u}}) "
                         f"OPTIONAL MATCH (o:Employee)-[:RESPONSIBLE_FOR]->(c) "
                         f"WHERE {within(store, 'o')} "
                         f"RETURN u AS uid, o.name", {"uids": uids}, timeout=timeout).rows
        for u, name in rows:
            if owners.get(u) is None:
                owners[u] = name
    return owners


# -- layout ------------------------------------------------------------------------------------
def flow_ranks(steps: dict[str, float], next_edges: list[tuple[str, str]]) -> dict[str, int]:
    """Column of each step: the longest NEXT path to it from a step with no predecessor.

    Loops (a NEXT back to an earlier step) are cut where a depth-first walk in step order meets
    them, so a rework loop does not push the whole flow to the right.
    """
    out: dict[str, list[str]] = defaultdict(list)
    for s, t in next_edges:
        out[s].append(t)
    for targets in out.values():
        targets.sort(key=lambda u: steps[u])
    has_pred = {t for _, t in next_edges}
    roots = sorted((u for u in steps if u not in has_pred), key=lambda u: steps[u]) or \
        sorted(steps, key=lambda u: steps[u])[:1]
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    forward: list[tuple[str, str]] = []
    topo: list[str] = []
    for root in roots + sorted(steps, key=lambda u: steps[u]):
        if root in state:
            continue
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                state[node] = 2
                topo.append(node)
                stack.pop()
            elif state.get(child) == 1:
                continue  # a back edge: a loop in the flow
            else:
                forward.append((node, child))
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(out[child])))
    rank = dict.fromkeys(steps, 0)
    succ: dict[str, list[str]] = defaultdict(list)
    for s, t in forward:
        succ[s].append(t)
    for node in reversed(topo):
        for child in succ[node]:
            rank[child] = max(rank[child], rank[node] + 1)
    return rank


def spread(wanted: list[tuple[str, float]], gap: float = MIN_GAP) -> dict[str, float]:
    """x positions as near the wanted ones as a minimum gap allows, order kept, row centred."""
    wanted = sorted(wanted, key=lambda w: (w[1], w[0]))
    xs: list[float] = []
    for _, x in wanted:
        xs.append(x if not xs else max(x, xs[-1] + gap))
    if xs:
        shift = (sum(w for _, w in wanted) - sum(xs)) / len(xs)
        xs = [x + shift for x in xs]
    return {uid: x for (uid, _), x in zip(wanted, xs, strict=True)}


def layout(sub: Subgraph, order: dict[str, float], next_edges: list[tuple[str, str]],
           attached: dict[str, list[str]], bands: dict[str, str]) -> dict[str, Position]:
    """Positions for every node of a relationship map (see the module docstring)."""
    pos: dict[str, Position] = {}
    rank = flow_ranks(order, next_edges)
    columns: dict[int, list[str]] = defaultdict(list)
    for uid in sorted(order, key=lambda u: (order[u], u)):
        columns[rank[uid]].append(uid)
    lanes = 1
    for col, uids in columns.items():
        lanes = max(lanes, len(uids))
        for lane, uid in enumerate(uids):
            pos[uid] = (col * STEP_DX, lane * LANE_DY)
    if not pos:
        pos[sub.title] = (0, 0)
    xs = [x for x, _ in pos.values()]
    left, right = min(xs), max(xs)
    mid = (left + right) / 2
    top, bottom = -BAND_GAP, (lanes - 1) * LANE_DY + BAND_GAP

    def wanted_x(uid: str) -> float:
        steps = [pos[s][0] for s in attached.get(uid, []) if s in pos]
        return sum(steps) / len(steps) if steps else mid

    departments: list[tuple[str, float]] = []
    stacks: dict[float, list[str]] = defaultdict(list)
    documents: list[tuple[str, float]] = []
    sides: dict[str, list[tuple[str, float]]] = {"left": [], "right": []}
    for uid, band in bands.items():
        if band == "performer" and sub.nodes[uid].label == "Employee":
            # people stack in a column above the step they perform
            stacks[round(wanted_x(uid) / STEP_DX) * STEP_DX].append(uid)
        elif band == "performer":
            departments.append((uid, wanted_x(uid)))
        elif band == "document":
            documents.append((uid, wanted_x(uid)))
        elif band == "party":
            sides["left"].append((uid, wanted_x(uid)))
    for uid, x in spread(departments).items():
        pos[uid] = (x, top)
    people_top = top
    for x, uids in stacks.items():
        uids.sort(key=lambda u: (u.startswith("group:"), sub.nodes[u].name))
        for i, uid in enumerate(uids):
            pos[uid] = (x, top - ROW_DY * (i + 1))
            people_top = min(people_top, top - ROW_DY * (i + 1))
    for i, (uid, x) in enumerate(sorted(spread(documents).items(), key=lambda kv: kv[1])):
        pos[uid] = (x, bottom + (i % 2) * ROW_DY * 0.6)
    # parties of the early steps go left, the rest right, half and half
    parties = sorted(sides["left"], key=lambda w: (w[1], w[0]))
    half = (len(parties) + 1) // 2
    sides = {"left": parties[:half], "right": parties[half:]}
    for side, row in sides.items():
        x = left - SIDE_DX if side == "left" else right + SIDE_DX
        row.sort(key=lambda w: w[0])
        for i, (uid, _) in enumerate(row):
            pos[uid] = (x, (i - (len(row) - 1) / 2) * ROW_DY * 0.8 + (lanes - 1) * LANE_DY / 2)
    for i, uid in enumerate(u for u, b in bands.items() if b == "process"):
        pos[uid] = (left - SIDE_DX + i * 2 * MIN_GAP, people_top - ROW_DY)
    return pos
