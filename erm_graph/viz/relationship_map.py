"""The relationship map of a process: its records (from :mod:`erm_graph.query.maps`), the people
and parties it draws (owners first, then the busiest; :func:`keep_important`), and a layout.

Two drawings read this: the web page and its PNG/SVG/PDF exports lay the map out with ELK in
the browser (``web/static/mapdraw.js``: departments holding their people, sub-process steps
inside their parent, party links in a channel of their own) and ignore the positions below;
the offline vis-network page (:func:`erm_graph.viz.map_html`, ``erm viz map -o map.html``,
notebooks) places its nodes at them. The layout below: the process flow runs left to right
through the middle (steps in flow order, the branches of a gateway in lanes below the main
line); the departments and employees who perform each step sit in a band above it, the
documents, materials, databases and systems each step uses or produces in a band below it, and
the outside parties at the left and right sides. Every component shows its owner
(``RESPONSIBLE_FOR``); one without an owner is flagged.

>>> m = relationship_map(store, "proc-customer")     # doctest: +SKIP
>>> m.positions["step-cr-start"]                     # doctest: +SKIP
(0, 0)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from erm_graph.query.maps import (
    activity,
    component_owner_records,
    departments_of,
    map_records,
)
from erm_graph.query.subgraph import GNode, Subgraph
from erm_graph.store import GraphStore

#: Spacing of the vis-network layout, in canvas units.
STEP_DX = 190
LANE_DY = 120
BAND_GAP = 190
ROW_DY = 120
SIDE_DX = 280
MIN_GAP = 150
#: People drawn on a map: the owners of its components always, then the busiest up to this
#: many; the rest are listed behind one "+N more people" node (a searchable list on the page).
PEOPLE_SHOWN = 12
#: Parties drawn on a map, the busiest first; the rest behind one "+N more parties" node.
PARTIES_SHOWN = 10

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
    #: employee or party uid -> interactions it took part in (what ranks them)
    activity: dict[str, int] = field(default_factory=dict)
    #: employee uid -> (uid, name) of the department it is a member of
    departments: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: "+N more" node uid -> who it stands for: uid, name, label, activity, steps
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def relationship_map(store: GraphStore, uid: str, *, max_steps: int = 2000) -> RelationshipMap:
    """Read the map of the process (or Map) ``uid`` (:func:`erm_graph.query.maps.map_records`),
    keep its most important people and parties (:func:`keep_important`) and lay it out."""
    records = map_records(store, uid, max_steps=max_steps)
    m = RelationshipMap(records.process, records.graph, bands=records.bands)
    attached = records.attached
    owned = component_owner_records(store, m.graph.nodes.values())
    owners = {o for found in owned.values() for o in found}
    people = [u for u, b in m.bands.items() if b == "performer"
              and m.graph.nodes[u].label == "Employee"]
    parties = [u for u, b in m.bands.items() if b == "party"]
    m.activity = {**activity(store, "Employee", people), **activity(store, "Party", parties)}

    def rank(u: str) -> tuple[bool, int, int, str]:
        return (u not in owners, -m.activity.get(u, 0), -len(set(attached[u])),
                m.graph.nodes[u].name)

    keep_important(m, attached, people, PEOPLE_SHOWN, rank, "people", always=owners)
    keep_important(m, attached, parties, PARTIES_SHOWN, rank, "parties")
    m.departments = departments_of(store, [u for u in people if u in m.graph.nodes])
    m.owners = {u: " + ".join(found.values()) or None for u, found in owned.items()}
    m.positions = layout(m.graph, records.order, records.next_edges, attached, m.bands)
    return m


def keep_important(m: RelationshipMap, attached: dict[str, list[str]], uids: list[str],
                   limit: int, rank: Callable[[str], Any], kind: str,
                   always: Collection[str] = ()) -> None:
    """Keep the first ``limit`` of ``uids`` by ``rank``, and every one of ``always`` (the
    owners of the map's components) however many; the rest leave the picture and are listed,
    with the steps each is tied to, on one "+N more ``kind``" node with no links of its own
    (links from one box to every step of a hundred parties would hide the flow)."""
    extra = sorted(uids, key=rank)[max(limit, len(set(always) & set(uids))):]
    if not extra:
        return
    sub = m.graph
    gid = f"more:{m.process.uid}:{kind}"
    labels = {sub.nodes[u].label for u in extra}
    label = labels.pop() if len(labels) == 1 else "Party"
    m.members[gid] = [{"uid": u, "name": sub.nodes[u].name, "label": sub.nodes[u].label,
                       "labels": list(sub.nodes[u].labels),
                       "activity": m.activity.get(u, 0),
                       "steps": [sub.nodes[s].name for s in dict.fromkeys(attached[u])]}
                      for u in extra]
    band = m.bands[extra[0]]
    gone = set(extra)
    for uid in extra:
        del sub.nodes[uid], m.bands[uid], attached[uid]
    sub.edges = {k: e for k, e in sub.edges.items()
                 if e.start not in gone and e.end not in gone}
    sub.add_node(GNode(gid, [label], {"name": f"+{len(extra)} more {kind}",
                                      "count": len(extra)}))
    sub.groups.append({"of": m.process.uid, "type": "PERFORMS" if band == "performer"
                       else "PARTICIPATES_IN", "label": label, "count": len(extra)})
    m.bands[gid] = band
    attached[gid] = []


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
