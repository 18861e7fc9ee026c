"""What a draw.io cell's style says it is: a flowchart symbol, a lane, or something else.

draw.io keeps a shape's kind in its style string (``shape=mxgraph.flowchart.decision;...``,
``rhombus;whiteSpace=wrap;``). Its palettes spell the same symbols several ways: the
Flowchart palette (``mxgraph.flowchart.*`` and a few built-in shapes such as
``shape=manualInput``), the BPMN palette (``mxgraph.bpmn.event`` with ``outline=`` telling
start, intermediate and end, ``mxgraph.bpmn.gateway2``, ``mxgraph.bpmn.task`` with
``bpmnShapeType=subprocess|call``, ``mxgraph.bpmn.data``, ``shape=datastore``), UML activity
nodes (``shape=startState``, ``shape=endState``, a ``shape=line`` fork/join bar) and the
plain shapes (rhombus, ellipse, rectangle, ``shape=document``, cylinders). Each is turned
into a name of the shared vocabulary, :mod:`erm_graph.ingest.shapes`.
"""

from __future__ import annotations

import html
import re

from erm_graph.ingest import shapes
from erm_graph.ingest.shapes import Symbol

#: draw.io's built-in shape names -> the vocabulary's
_BUILT_IN = {
    "parallelogram": "data", "hexagon": "preparation", "process": "predefinedprocess",
    "trapezoid": "manualoperation", "manualInput": "manualinput",
    "internalStorage": "internalstorage", "offPageConnector": "offpagereference",
    "tape": "papertape", "startState": "startevent", "endState": "endevent",
    "doubleEllipse": "ellipse", "line": "forkjoin", "datastore": "datastore",
}
#: shapes that are never a step, whatever their label: their name is their kind in notes
_NOT_STEPS = ("text", "image", "umlActor", "note", "callout", "edgeLabel", "link",
              "partialRectangle", "umlLifeline", "umlFrame", "flexArrow", "arrow",
              "singleArrow", "doubleArrow", "message")
_STARTS = ("standard", "eventInt", "eventNonint")
#: mxgraph stencil libraries whose shapes are read; others are icons and pictures
_LIBRARIES = ("mxgraph.flowchart.", "mxgraph.bpmn.", "mxgraph.sysml.")


def parse(text: str | None) -> dict[str, str]:
    """``"rhombus;whiteSpace=wrap"`` -> ``{"shape": "rhombus", "whiteSpace": "wrap"}``: a
    bare first word is the shape, a bare later word a flag (``{"ellipse": "ellipse"}``)."""
    parts = [p for p in (text or "").split(";") if p]
    return {(k if v else "shape" if i == 0 else k): (v if v else k)
            for i, (k, _, v) in enumerate(p.partition("=") for p in parts)}


def label(value: str | None) -> str:
    """A cell's text without its HTML, line breaks as spaces."""
    return " ".join(lines(value))


def lines(value: str | None) -> list[str]:
    """A cell's text line by line (``<br>``, ``<div>`` and newlines break it)."""
    text = re.sub(r"<br\s*/?>|</div>|</p>|</li>", "\n", value or "", flags=re.I)
    # a tag holds no "<": "<[^>]+>" rescanned the rest of the value from every "<" (quadratic)
    text = html.unescape(re.sub(r"<[^<>]+>", "", text))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def is_lane(style: dict[str, str]) -> bool:
    """Swimlanes, pools and containers drawn as them."""
    return (style.get("shape") in ("swimlane", "pool", "table", "mxgraph.bpmn.swimlane")
            or "swimlane" in style)


def kind_name(style: dict[str, str]) -> str:
    """How a skipped cell's kind is named in the notes."""
    shape = style.get("shape", "")
    if shape.startswith("mxgraph."):
        return shape.split(".")[1] + " icon" if not shape.startswith(_LIBRARIES) else shape
    return shape or "shape"


def symbol_of(style: dict[str, str]) -> Symbol | None:
    """The flowchart symbol a vertex's style draws, None when it draws no step, document or
    data store (text, pictures, icons of other palettes)."""
    shape = style.get("shape", "")
    if shape.startswith("mxgraph.flowchart."):
        return shapes.symbol(shape.removeprefix("mxgraph.flowchart."))
    if shape.startswith("mxgraph.bpmn."):
        return _bpmn(shape.removeprefix("mxgraph.bpmn."), style)
    if shape.startswith("mxgraph.sysml."):  # the activity final and flow final nodes
        return shapes.symbol("endevent") if "final" in shape.lower() else None
    if shape.startswith(("mxgraph.", "image")) or shape in _NOT_STEPS or "image" in style:
        return None
    if "rhombus" in style:
        return shapes.symbol("rhombus")
    if shape in ("", "rect", "label", "ext") and "ellipse" in style:
        return shapes.symbol("ellipse")
    found = shapes.symbol(_BUILT_IN.get(shape, shape)) if shape else None
    # any other box with a label is a task: people draw steps in every shape
    return found or shapes.TASK


def _bpmn(name: str, style: dict[str, str]) -> Symbol | None:
    outline = style.get("outline", "")
    if name == "event" or (name == "shape" and style.get("background") != "gateway"
                           and style.get("perimeter") != "rhombusPerimeter"):
        if outline in _STARTS:
            return shapes.symbol("startevent")
        return shapes.symbol("endevent" if outline == "end" else "intermediateevent")
    if name in ("gateway", "gateway2", "shape"):
        return shapes.symbol("gateway")
    if name in ("task", "task2"):
        inner = style.get("bpmnShapeType") in ("subprocess", "call")
        return shapes.symbol("subprocess" if inner else "task")
    if name == "data":
        return shapes.symbol("dataobject")
    return None  # conversations and the task-type icons drawn inside tasks
