"""One flowchart vocabulary (erm_graph/ingest/shapes.py): a symbol drawn in draw.io and in
Visio loads the same way.

The draw.io styles are those its Flowchart palette inserts (draw.io's
``Sidebar-Flowchart.js``, every entry) and the BPMN and basic shapes the loader reads; the
Visio names are the masters' universal names of Visio's flowchart, cross-functional and
BPMN stencils. Each pair is one symbol, and both loaders must give it the same role and kind;
the last test draws one process in both tools and loads both files.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from erm_graph.ingest import LoadOptions
from erm_graph.ingest.load import read_sources
from erm_graph.ingest.shapes import BY_FLOWS, DECORATION, DOCUMENT, STEP
from erm_graph.loaders import vsdx
from erm_graph.loaders.drawio import styles
from tests.vsdx_files import Drawing

FLOWCHART = "strokeWidth=2;html=1;shape=mxgraph.flowchart."
BELOW = "verticalLabelPosition=bottom;verticalAlign=top;html=1;strokeWidth=2;shape="

#: (Visio master, draw.io style, role, kind); None where the tool has no such symbol
SAME_SYMBOL = [
    # draw.io's Flowchart palette, in its order
    (None, FLOWCHART + "annotation_1;align=left;", DECORATION, ""),
    ("Annotation", FLOWCHART + "annotation_2;align=left;", DECORATION, ""),
    ("Card", BELOW + "card;whiteSpace=wrap;size=20;arcSize=12;", DOCUMENT, "document"),
    ("Collate", BELOW + "mxgraph.flowchart.collate;", STEP, "task"),
    ("Data", BELOW + "parallelogram;perimeter=parallelogramPerimeter;whiteSpace=wrap;rounded=1;",
     STEP, "task"),
    ("Database", FLOWCHART + "database;whiteSpace=wrap;", DOCUMENT, "database"),
    ("Decision", FLOWCHART + "decision;whiteSpace=wrap;", STEP, "gateway"),
    ("Delay", FLOWCHART + "delay;whiteSpace=wrap;", STEP, "event"),
    ("Direct data", FLOWCHART + "direct_data;whiteSpace=wrap;", DOCUMENT, "database"),
    ("Display", FLOWCHART + "display;whiteSpace=wrap;", STEP, "task"),
    ("Document", FLOWCHART + "document2;whiteSpace=wrap;size=0.25;", DOCUMENT, "document"),
    ("Extract", FLOWCHART + "extract_or_measurement;whiteSpace=wrap;", STEP, "task"),
    ("Internal storage", "shape=internalStorage;whiteSpace=wrap;html=1;dx=15;dy=15;rounded=1;",
     DOCUMENT, "database"),
    ("Loop limit", FLOWCHART + "loop_limit;whiteSpace=wrap;", STEP, "task"),
    ("Manual input", BELOW + "manualInput;whiteSpace=wrap;rounded=1;size=26;arcSize=11;", STEP,
     "task"),
    ("Manual operation", BELOW + "trapezoid;perimeter=trapezoidPerimeter;whiteSpace=wrap;"
     "size=0.23;arcSize=10;flipV=1;", STEP, "task"),
    # the triangle: an operation on data (merge, or storage), not a decision
    ("Merge", FLOWCHART + "merge_or_storage;whiteSpace=wrap;", STEP, "task"),
    ("Multi-document", FLOWCHART + "multi-document;whiteSpace=wrap;", DOCUMENT, "document"),
    ("Multiple documents", FLOWCHART + "multi-document;whiteSpace=wrap;", DOCUMENT, "document"),
    ("Off-page reference", BELOW + "offPageConnector;rounded=0;size=0.5;", STEP, "event"),
    ("On-page reference", BELOW + "mxgraph.flowchart.on-page_reference;", STEP, "event"),
    ("Summing junction", BELOW + "mxgraph.flowchart.summing_function;", STEP, "gateway"),
    ("Paper tape", "shape=tape;whiteSpace=wrap;html=1;strokeWidth=2;size=0.19", DOCUMENT,
     "document"),
    ("Parallel mode", BELOW + "mxgraph.flowchart.parallel_mode;", STEP, "gateway"),
    ("Predefined process", BELOW + "process;whiteSpace=wrap;rounded=1;size=0.14;arcSize=6;",
     STEP, "subprocess"),
    ("Preparation", BELOW + "hexagon;perimeter=hexagonPerimeter2;arcSize=6;size=0.27;", STEP,
     "task"),
    ("Process", "rounded=1;whiteSpace=wrap;html=1;absoluteArcSize=1;arcSize=14;strokeWidth=2;",
     STEP, "task"),
    ("Sequential data", FLOWCHART + "sequential_data;whiteSpace=wrap;", DOCUMENT, "database"),
    ("Sort", BELOW + "mxgraph.flowchart.sort;", STEP, "task"),
    ("Start/End", FLOWCHART + "start_1;whiteSpace=wrap;", STEP, BY_FLOWS),
    (None, FLOWCHART + "start_2;whiteSpace=wrap;", STEP, BY_FLOWS),
    ("Stored data", FLOWCHART + "stored_data;whiteSpace=wrap;", DOCUMENT, "database"),
    ("Or", BELOW + "mxgraph.flowchart.or;", STEP, "gateway"),
    ("Terminator", FLOWCHART + "terminator;whiteSpace=wrap;", STEP, BY_FLOWS),
    (None, BELOW + "mxgraph.arrows2.arrow;dy=0.6;dx=40;notch=0;", None, None),  # "Transfer"
    # BPMN
    ("Task", "shape=mxgraph.bpmn.task;rectStyle=rounded;taskMarker=abstract;", STEP, "task"),
    ("Gateway", "shape=mxgraph.bpmn.gateway2;outline=none;symbol=none;gwType=exclusive;", STEP,
     "gateway"),
    ("Collapsed Sub-Process", "shape=mxgraph.bpmn.task;bpmnShapeType=subprocess;", STEP,
     "subprocess"),
    ("Expanded Sub-Process", "shape=mxgraph.bpmn.task;bpmnShapeType=subprocess;", STEP,
     "subprocess"),
    ("Start Event", "shape=mxgraph.bpmn.event;outline=standard;symbol=general;", STEP, "start"),
    ("Intermediate Event", "shape=mxgraph.bpmn.event;outline=catching;symbol=timer;", STEP,
     "event"),
    ("End Event", "shape=mxgraph.bpmn.event;outline=end;symbol=terminate;", STEP, "end"),
    ("Data Object", "shape=mxgraph.bpmn.data;whiteSpace=wrap;size=15;", DOCUMENT, "document"),
    ("Data Store", "shape=datastore;whiteSpace=wrap;html=1;", DOCUMENT, "database"),
    # Visio's own masters, no draw.io palette entry
    ("Subprocess", None, STEP, "subprocess"),
    ("Custom 1", None, STEP, "task"),
    ("Custom 4", None, STEP, "task"),
    ("Manual file", None, DOCUMENT, "document"),
    ("External data", None, DOCUMENT, "system"),
    ("Callout", None, DECORATION, ""),
    ("Text Annotation", None, DECORATION, ""),
]


def _visio(master: str) -> tuple[str, str] | None:
    _, found = vsdx.known_as(master)
    return (found.role, found.kind) if found else None


def _drawio(style: str) -> tuple[str, str] | None:
    found = styles.symbol_of(styles.parse(style))
    return (found.role, found.kind) if found else None


@pytest.mark.parametrize(("master", "style", "role", "kind"), SAME_SYMBOL,
                         ids=[m or s.split("shape=")[-1][:24] for m, s, _, _ in SAME_SYMBOL])
def test_a_symbol_loads_the_same_from_either_tool(master, style, role, kind):
    expected = (role, kind) if role is not None else None
    if master is not None:
        assert _visio(master) == expected, master
    if style is not None:
        assert _drawio(style) == expected, style


@pytest.mark.parametrize(("master", "role"), [
    ("Swimlane", vsdx.LANE), ("Functional band (vertical)", vsdx.LANE),
    ("Pool / Lane", vsdx.LANE), ("Dynamic connector", vsdx.CONNECTOR),
    ("Connector", vsdx.CONNECTOR), ("Sequence Flow", vsdx.CONNECTOR),
    ("CFF Container", vsdx.FRAME), ("Title block", vsdx.FRAME), ("Phase", vsdx.FRAME),
    ("On-page reference", vsdx.REFERENCE), ("Off-page reference.12", vsdx.REFERENCE),
    ("Decision.7", STEP), ("Cloud", ""),
])
def test_visio_structure_is_visios_own(master, role):
    """Lanes, connectors and frame furniture are Visio's structure, never a symbol (Visio's
    "Connector" is a line, the vocabulary's connector a circle); references are the
    vocabulary's event steps that Visio joins across pages."""
    found_role, found = vsdx.known_as(master)
    assert found_role == role
    assert (found is None) == (role not in (vsdx.REFERENCE, STEP))


def test_the_docs_list_every_visio_master():
    docs = (Path(__file__).parents[1] / "docs" / "loaders.md").read_text(encoding="utf-8")
    section = docs[docs.index("### `vsdx`"):docs.index("### `mermaid`")].lower()
    missing = [m for m, _, _, _ in SAME_SYMBOL if m and m.lower() not in section]
    assert not missing


# -- one process, drawn in both tools ---------------------------------------------------------
#: (id, Visio master, draw.io style, text); flows and lines by id below
SHAPES = [
    ("start", "Start/End", FLOWCHART + "terminator;", "Order received"),
    ("enter", "Process", "rounded=1;whiteSpace=wrap;html=1;", ""),  # unlabelled: "Task 1"
    ("ok", "Decision", FLOWCHART + "decision;", ""),                # "Decision 1"
    ("merge", "Merge", FLOWCHART + "merge_or_storage;", "Merge order lines"),
    ("read", "Data", "shape=parallelogram;html=1;", "Read stock"),
    ("done", "Start/End", FLOWCHART + "terminator;", ""),  # flows in and a line to a document
    ("loop", "Loop limit", FLOWCHART + "loop_limit;", "Each order line"),  # no flow: a step
    ("notes", "Multi-document", FLOWCHART + "multi-document;", "Delivery notes"),
    ("draft", "Document", FLOWCHART + "document2;", ""),  # unlabelled document: left out
    ("ask", "Callout", FLOWCHART + "annotation_1;", "Ask finance?"),  # decoration
]
LINES = [("start", "enter"), ("enter", "ok"), ("ok", "merge"), ("ok", "read"),
         ("merge", "done"), ("read", "done"), ("done", "notes"), ("enter", "draft"),
         ("ask", "ok")]


def _drawio_file(path: Path) -> Path:
    cells = [f'<mxCell id="{sid}" value={quoteattr(text)} style={quoteattr(style)} '
             f'vertex="1" parent="1"><mxGeometry x="{i * 120}" y="0" width="100" height="60" '
             'as="geometry"/></mxCell>' for i, (sid, _, style, text) in enumerate(SHAPES)]
    cells += [f'<mxCell id="e{i}" style="edgeStyle=orthogonalEdgeStyle;html=1;" edge="1" '
              f'parent="1" source="{a}" target="{b}"><mxGeometry relative="1" as="geometry"/>'
              "</mxCell>" for i, (a, b) in enumerate(LINES)]
    path.write_text('<mxfile><diagram id="p" name="Orders"><mxGraphModel><root>'
                    '<mxCell id="0"/><mxCell id="1" parent="0"/>' + "".join(cells)
                    + "</root></mxGraphModel></diagram></mxfile>", encoding="utf-8")
    return path


def _visio_file(path: Path) -> Path:
    d = Drawing()
    page = d.page("Orders")
    ids = {sid: page.shape(master, text, 2 + i, 5) for i, (sid, master, _, text)
           in enumerate(SHAPES)}
    for a, b in LINES:
        page.connect(ids[a], ids[b])
    return d.write(path)


def _loaded(path: Path) -> dict[str, list[tuple[str, str]]]:
    (result,), _ = read_sources([path], "auto", LoadOptions())
    nodes, rels = result.batch.nodes, result.batch.relationships
    names = {n["uid"]: n["name"] for label in ("Step", "Document") for n in nodes.get(label, [])}
    loaded = {"steps": sorted((n["name"], n["kind"]) for n in nodes["Step"]),
              "documents": sorted((n["name"], n["kind"]) for n in nodes.get("Document", []))}
    for rel in ("NEXT", "PRODUCES", "USES"):
        loaded[rel] = sorted((names[r["start"]], names[r["end"]]) for key, found in rels.items()
                             if key[0] == rel for r in found)
    return loaded


def test_one_process_drawn_in_draw_io_and_in_visio_loads_the_same(tmp_path):
    drawio = _loaded(_drawio_file(tmp_path / "orders.drawio"))
    visio = _loaded(_visio_file(tmp_path / "orders.vsdx"))
    assert visio == drawio
    assert drawio["steps"] == [
        ("Decision 1", "gateway"), ("Each order line", "task"), ("End 1", "end"),
        ("Merge order lines", "task"), ("Order received", "start"), ("Read stock", "task"),
        ("Task 1", "task")]
    assert drawio["documents"] == [("Delivery notes", "document")]
    assert drawio["PRODUCES"] == [("End 1", "Delivery notes")]
    assert len(drawio["NEXT"]) == 6 and not drawio["USES"]
