"""The flowchart symbol vocabulary: what each kind of flowchart shape means in the model.

Diagram tools name the same symbols (ISO 5807 flowcharts, the BPMN shapes, UML activity
nodes) each in their own way: draw.io's ``mxgraph.flowchart.multi-document`` is Visio's
"Multiple documents" master. A loader turns its own spelling into a symbol name and asks
:func:`symbol` what it is: a step of the flow (and which kind), a document or data store
linked to the steps, or decoration that is not part of the process. One table, so a process
drawn in draw.io and in Visio loads the same way.

A symbol whose kind is :data:`BY_FLOWS` (a terminator, a plain circle) is a start, an end or an
event by its flows (the flows between steps): see :func:`step_kind`. Its ``title`` names a
shape that has no label ("Decision 2", see :func:`untitled`), so that a flow through it does
not break. A document has no such name: its uid is its name, shared by every map, so an
unlabelled one is left out.

Where tools give a glyph two meanings, the table decides once for all of them: the merge
triangle (draw.io's "merge or storage") is an operation on data like sort and collate, a
task, not a gateway; the data parallelogram is an input or output step, not a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STEP = "step"
DOCUMENT = "document"
DECORATION = "decoration"
#: a step kind told by the step's flows: start (none in), end (none out), else event
BY_FLOWS = "by-flows"


@dataclass(frozen=True)
class Symbol:
    """What a flowchart shape stands for."""

    #: STEP, DOCUMENT or DECORATION
    role: str
    #: a Step kind (task, gateway, ..., or BY_FLOWS) or a Document kind (document, database)
    kind: str
    #: how an unlabelled one is named, with its number on the page
    title: str


def _step(kind: str, title: str) -> Symbol:
    return Symbol(STEP, kind, title)


def _doc(kind: str, title: str) -> Symbol:
    return Symbol(DOCUMENT, kind, title)


_DECORATION = Symbol(DECORATION, "", "Annotation")
#: what a shape of no symbol is when a flow passes through it: people draw steps in any box
TASK = _step("task", "Task")

# keys are normalised names (see `normalise`): lower case, letters and digits only
_SYMBOLS: dict[str, Symbol] = {
    # steps of the flow
    **dict.fromkeys(("process", "rectangle", "alternateprocess", "task", "activity", "action",
                     "custom1", "custom2", "custom3", "custom4"), TASK),
    **dict.fromkeys(("decision", "rhombus", "diamond"), _step("gateway", "Decision")),
    "gateway": _step("gateway", "Gateway"),
    **dict.fromkeys(("or", "summingfunction", "summingjunction", "parallelmode", "forkjoin",
                     "fork", "join"), _step("gateway", "Junction")),
    **dict.fromkeys(("terminator", "startend", "terminal", "start1", "start2", "ellipse",
                     "circle"), _step(BY_FLOWS, "Event")),
    **dict.fromkeys(("predefinedprocess", "subprocess", "subroutine", "callactivity",
                     "collapsedsubprocess", "expandedsubprocess"),
                    _step("subprocess", "Subprocess")),
    "manualinput": _step("task", "Manual input"),
    "manualoperation": _step("task", "Manual operation"),
    "preparation": _step("task", "Preparation"),
    # the data symbol is an input or output operation in the flow ("Read the order")
    **dict.fromkeys(("data", "inputoutput", "io"), _step("task", "Data")),
    "display": _step("task", "Display"),
    "looplimit": _step("task", "Loop limit"),
    **dict.fromkeys(("extract", "extractormeasurement", "merge", "mergeorstorage", "sort",
                     "collate"), TASK),
    "delay": _step("event", "Delay"),
    **dict.fromkeys(("onpagereference", "offpagereference", "connector"),
                    _step("event", "Connector")),
    "startevent": _step("start", "Start"),
    "endevent": _step("end", "End"),
    **dict.fromkeys(("intermediateevent", "boundaryevent", "event"), _step("event", "Event")),
    # what the steps use and produce
    **dict.fromkeys(("document", "document2", "card", "papertape", "tape", "punchedcard",
                     "dataobject", "manualfile"), _doc("document", "Document")),
    **dict.fromkeys(("multidocument", "multipledocuments", "multipledocument"),
                    _doc("document", "Documents")),
    **dict.fromkeys(("database", "storeddata", "directdata", "sequentialdata",
                     "internalstorage", "datastore", "cylinder", "cylinder3", "magneticdisk",
                     "magnetictape", "directaccessstorage"), _doc("database", "Data store")),
    # data kept in another system than the one drawn
    "externaldata": _doc("system", "External data"),
    # not part of the process
    **dict.fromkeys(("annotation", "annotation1", "annotation2", "note", "comment", "callout",
                     "text", "textannotation", "group"), _DECORATION),
}


def normalise(name: str) -> str:
    """``"Multiple documents"``, ``multi-document`` and ``multiple_documents`` alike."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def symbol(name: str) -> Symbol | None:
    """The symbol a shape named ``name`` stands for, None when it is no flowchart symbol."""
    return _SYMBOLS.get(normalise(name))


def step_kind(kind: str, flows_in: int, flows_out: int) -> str:
    """The Step kind of a step symbol: :data:`BY_FLOWS` resolved by its flows from and to
    other steps (a line to a document is no flow)."""
    if kind != BY_FLOWS:
        return kind
    if not flows_in and flows_out:
        return "start"
    return "end" if flows_in and not flows_out else "event"


def untitled(kind: str, title: str) -> str:
    """What to call an unlabelled shape of this kind (its number is added by the loader)."""
    return {"start": "Start", "end": "End"}.get(kind, title)
