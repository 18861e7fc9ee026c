"""What a draw.io page is: a flowchart, or an org chart, class diagram, table, list or
concept map that must not be read as a process.

draw.io draws everything with the same boxes and lines, and a box with a label would load as
a task: an org chart would become a "process" whose steps are people. The page's shapes tell
it apart, in this order:

1. any sign of a process makes it a flowchart: a decision or gateway, a symbol of the
   Flowchart or BPMN palette, a UML start or end node, a swimlane holding shapes joined by arrows,
   a document or data store joined to a shape;
2. table cells (``shape=table``, ``childLayout=tableLayout``): a table or ER diagram;
3. stacked containers of text rows (``childLayout=stackLayout``): a class diagram when a row
   is a member (``+ name: Type``, ``op()``) or a separator line, else a list;
4. boxes joined as a tree with unlabelled lines, no box with two bosses, and a sign of an org
   chart (a tree layout, lines without arrowheads, boxes with a picture or a name and a title):
   an org chart;
5. lines mostly without arrowheads or mostly labelled, or a mind map's edge style: a concept
   map;
6. three boxes or more and no connector at all: loose shapes, no flow (one or two are a
   process of a step or two);
7. anything else (boxes joined by arrows) is a flowchart.

The person decides otherwise with ``--as flowchart`` or ``--as orgchart``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from erm_graph.ingest import shapes

from . import styles
from .page import Edge, Page

FLOWCHART = "flowchart"
ORGCHART = "orgchart"
#: boxes on a page without any connector that make it no flow
_LOOSE_BOXES = 3
#: a row of a UML class: "+ name: Type", "- id : int", "getName()", "#count"
_MEMBER = re.compile(r"^\s*(?:[+\-#~]\s*\w|\w[\w ]*:\s*\w|\w+\s*\()")


@dataclass(frozen=True)
class Verdict:
    #: FLOWCHART, ORGCHART, or what else the page is ("a class diagram", ...)
    kind: str
    #: what showed it, for the message
    why: str


def what_it_is(page: Page) -> Verdict:
    joined = {e.source for e in page.edges} | {e.target for e in page.edges}
    # a flow has a direction: lines without arrowheads join the boxes of an org chart
    arrows = [e for e in page.edges if not _bare(e)]
    flowing = {e.source for e in arrows} | {e.target for e in arrows}
    if sign := _process_sign(page, joined, flowing):
        return Verdict(FLOWCHART, sign)
    children: dict[str, list[str]] = {}
    for cid in page.vertices:
        children.setdefault(page.parent(cid) or "", []).append(cid)
    tables = [c for c in page.vertices if page.styles[c].get("shape") in ("table", "tableRow")
              or page.styles[c].get("childLayout") == "tableLayout"]
    if tables:
        return Verdict("a table or ER diagram", f"{len(tables)} table cells")
    stacks = [c for c in page.vertices if page.styles[c].get("childLayout") == "stackLayout"
              and not any(styles.is_lane(page.styles[k]) for k in children.get(c, ()))]
    if stacks:
        rows = [k for c in stacks for k in children.get(c, ())]
        members = [k for k in rows if page.styles[k].get("shape") == "line"
                   or _MEMBER.match(page.text(k))]
        if members:
            return Verdict("a UML class diagram",
                           f"{len(stacks)} classes with members or separators")
        return Verdict("a list", f"{len(stacks)} stacked lists of {len(rows)} rows")
    boxes = [c for c in page.vertices if _is_box(page, c)]
    box_set = set(boxes)
    lines = [e for e in page.edges if e.source in box_set and e.target in box_set]
    if not lines:
        if len(boxes) >= _LOOSE_BOXES:
            return Verdict("loose shapes",
                           f"{len(boxes)} shapes, no connector between them")
        return Verdict(FLOWCHART, "a step or two, not yet connected")
    bare = [e for e in lines if _bare(e)]
    labelled = [e for e in lines if e.label]
    mind_map = any(e.style.get("edgeStyle") == "entityRelationEdgeStyle" for e in lines)
    if not labelled and not mind_map and _is_tree(boxes, lines):
        sign = _org_sign(page, boxes, bare, len(lines))
        if sign:
            return Verdict(ORGCHART, sign)
    if mind_map:
        return Verdict("a concept map or mind map", "mind map connectors")
    if 2 * len(bare) >= len(lines):
        return Verdict("a concept map", f"{len(bare)} of {len(lines)} lines have no "
                                        "arrowhead: a flow has a direction")
    if len(lines) >= 3 and 4 * len(labelled) >= 3 * len(lines):
        return Verdict("a concept map", f"{len(labelled)} of {len(lines)} links are "
                                        "labelled and no shape is a decision or an event")
    return Verdict(FLOWCHART, "boxes joined by arrows")


def _bare(edge: Edge) -> bool:
    """A line without arrowheads."""
    return (edge.style.get("endArrow") == "none"
            and edge.style.get("startArrow", "none") == "none")


def _process_sign(page: Page, joined: set[str], flowing: set[str]) -> str | None:
    lanes = {c for c in page.vertices if styles.is_lane(page.styles[c])}
    for cid in page.vertices:
        style = page.styles[cid]
        shape = style.get("shape", "")
        if cid in lanes:
            continue
        found = styles.symbol_of(style)
        if found is None or found.role == shapes.DECORATION:
            continue
        if found.kind == "gateway" and cid in joined:
            return f"a decision ({cid})"
        if shape.startswith(("mxgraph.flowchart.", "mxgraph.bpmn.")) or shape in (
                "startState", "endState"):
            return f"a {shape} shape ({cid})"
        if found.role == shapes.DOCUMENT and cid in joined:
            return f"a document or data store joined to the flow ({cid})"
        if page.parent(cid) in lanes and cid in flowing and page.text(cid):
            return f"a swimlane holding shapes joined by arrows ({page.parent(cid)})"
    return None


def _is_box(page: Page, cid: str) -> bool:
    style = page.styles[cid]
    if styles.is_lane(style) or style.get("shape") in ("text", "edgeLabel"):
        return False
    return bool(page.text(cid)) or "image" in style or style.get("shape", "") == "image"


def _is_tree(boxes: list[str], lines: list[Edge]) -> bool:
    """Three boxes or more joined without a cycle (a forest), one of them with two lines or
    more on the same end (a boss of two; a chain of steps has none)."""
    root = {b: b for b in boxes}

    def find(b: str) -> str:
        while root[b] != b:
            root[b] = root[root[b]]
            b = root[b]
        return b

    ends: Counter[tuple[str, int]] = Counter()
    for e in lines:
        a, b = find(e.source), find(e.target)
        if a == b:
            return False
        root[a] = b
        ends[(e.source, 0)] += 1
        ends[(e.target, 1)] += 1
    return len(boxes) >= 3 and max(ends.values(), default=0) >= 2


def _org_sign(page: Page, boxes: list[str], bare: list[Edge], lines: int) -> str | None:
    layouts = [c for c in page.vertices
               if page.styles[c].get("childLayout") in ("orgChartLayout", "treeLayout")]
    if layouts:
        return f"a tree layout ({layouts[0]})"
    people = [b for b in boxes if looks_like_person(page, b)]
    if 2 * len(people) >= len(boxes):
        return (f"{len(people)} of {len(boxes)} boxes show a person (a picture, or a name "
                "and a title)")
    if 2 * len(bare) >= lines:
        return f"a tree of {len(boxes)} boxes joined by {lines} lines without arrowheads"
    return None


def looks_like_person(page: Page, cid: str) -> bool:
    """A picture of someone, or a name over a title."""
    style = page.styles[cid]
    shape = style.get("shape", "")
    return ("image" in style or shape in ("image", "umlActor") or "user" in shape.lower()
            or "person" in shape.lower() or len(page.lines(cid)) >= 2)
