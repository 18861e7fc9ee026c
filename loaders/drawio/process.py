"""A draw.io page read as a process: steps, flows, departments, documents and parties.

Shapes become steps by their symbol (:mod:`.styles`), edges between steps become NEXT with
their label. Swimlanes and pools that hold steps are departments performing the steps inside
them (nested: PART_OF); a pool or lane that holds no step but is joined to steps by edges (a
black-box pool of the BPMN palette, a "Customer" lane) is an outside party that takes part in
those steps, the edge's label being its role. Documents and data stores are linked to the
steps their edges join: into one is PRODUCES, out of one USES.

A shape without a label that a flow passes through is kept, named by its kind and its number
on the page ("Decision 2"), so the flow does not break; a shape without a label and without
flows, text, pictures and icons are decoration, left out and counted in one note per page.
"""

from __future__ import annotations

from collections import Counter

from erm_graph.ingest import shapes
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.shapes import Symbol

from . import styles
from .page import Page


def load_process(build: FlowchartBuilder, page: Page) -> None:
    pid = page.id
    build.process(pid, page.name, pid)
    lanes = {cid: page.text(cid) or cid for cid in page.vertices
             if styles.is_lane(page.styles[cid])}
    symbols: dict[str, Symbol] = {}
    for cid in page.vertices:
        if cid in lanes:
            continue
        found = styles.symbol_of(page.styles[cid])
        if found is None or found.role == shapes.DECORATION:
            page.skip(styles.kind_name(page.styles[cid]), cid)
        else:
            symbols[cid] = found
    # ends of an edge to another shape or a lane (an annotation's dotted line joins nothing)
    ends = symbols.keys() | lanes.keys()
    joined = {end for e in page.edges if e.source in ends and e.target in ends
              for end in (e.source, e.target)}
    flows_in: Counter[str] = Counter()
    flows_out: Counter[str] = Counter()
    for e in page.edges:
        if _is_step(symbols.get(e.source)) and _is_step(symbols.get(e.target)):
            flows_out[e.source] += 1
            flows_in[e.target] += 1
    steps: dict[str, str] = {}
    docs: dict[str, str] = {}
    numbers: Counter[str] = Counter()
    lane_of: dict[str, str | None] = {}
    for cid, found in symbols.items():
        text = page.text(cid)
        if not text and cid not in joined:
            page.skip("unlabelled shape without flows", cid)
            continue
        if found.role == shapes.DOCUMENT:
            if not text:  # a document's uid is its name, shared by every map: none to give
                page.skip("unlabelled document or data store", cid)
                continue
            docs[cid] = build.document(text, found.kind, cid)
            continue
        kind = shapes.step_kind(found.kind, flows_in[cid], flows_out[cid])
        if not text:
            title = shapes.untitled(kind, found.title)
            numbers[title] += 1
            text = f"{title} {numbers[title]}"
        steps[cid] = build.step(pid, cid, text, kind, cid)
        lane_of[cid] = _lane_of(page, cid, lanes, lane_of)
    parties = _parties(build, page, lanes, steps, lane_of)
    for cid, lane in lanes.items():
        if cid not in parties:
            parent = page.parent(cid)
            outer = lanes.get(parent) if parent and parent not in parties else None
            build.department(lane, cid, parent=outer)
    for cid, uid in steps.items():
        if performer := lane_of.get(cid):
            build.performs(lanes[performer], uid, cid)
    _edges(build, page, steps, docs, parties)


def _edges(build: FlowchartBuilder, page: Page, steps: dict[str, str], docs: dict[str, str],
           parties: dict[str, tuple[str, str]]) -> None:
    """Flows between steps, documents used and produced, parties taking part."""
    pid = page.id
    for e in page.edges:
        src, dst = e.source, e.target
        if src in steps and dst in steps:
            build.flow(pid, src, dst, e.id, e.label or None)
        elif src in steps and dst in docs:
            build.produces(steps[src], docs[dst], e.id)
        elif src in docs and dst in steps:
            build.uses(steps[dst], docs[src], e.id)
        elif (party := parties.get(src) or parties.get(dst)) and (step := steps.get(
                dst if src in parties else src)):
            build.participates(party, step, e.id, role=e.label or None)
        else:
            page.skip("edge not joining two flowchart shapes", e.id)


def _is_step(found: Symbol | None) -> bool:
    return found is not None and found.role == shapes.STEP


def _parties(build: FlowchartBuilder, page: Page, lanes: dict[str, str],
             steps: dict[str, str], lane_of: dict[str, str | None]
             ) -> dict[str, tuple[str, str]]:
    """The lanes and pools that hold no step (nor lanes holding steps) but are joined to
    steps by edges: the outside parties of the process."""
    holding: set[str] = set()
    for cid in steps:
        lane = lane_of.get(cid)
        while lane and lane not in holding:  # the lane and every lane around it
            holding.add(lane)
            lane = page.parent(lane) if page.parent(lane) in lanes else None
    parties = {}
    for e in page.edges:
        for lane, other in ((e.source, e.target), (e.target, e.source)):
            if lane in lanes and lane not in holding and other in steps and lane not in parties:
                parties[lane] = build.party(lanes[lane], lane)
    return parties


def _lane_of(page: Page, cid: str, lanes: dict[str, str],
             known: dict[str, str | None]) -> str | None:
    """The id of the nearest container of ``cid`` that is a lane. ``known`` keeps the answer
    for every container walked through, so a page of cells nested n deep costs n steps, not
    n * n."""
    path: dict[str, None] = {}  # walked, in order (a dict: membership in one step)
    parent = page.parent(cid)
    found = None
    while parent:
        if parent in known:
            found = known[parent]
            break
        if parent in lanes:
            found = parent
            break
        if parent in path:  # a cycle of parents: no lane
            break
        path[parent] = None
        parent = page.parent(parent)
    known.update(dict.fromkeys(path, found))
    return found
