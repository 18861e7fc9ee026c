"""draw.io's palettes load as what they mean; what is not a process is refused or loaded as
what it is (issue 13, items 6-8).

The corpus in tests/corpus/drawio: the Flowchart palette (two pages, plain), the BPMN palette
(compressed, a black-box pool, message flows, boundary event, data object and store), basic
shapes and UML activity nodes (two pages), an org chart, and pages that are no flowchart: a
class diagram, a concept map, a table and a list.
"""

from __future__ import annotations

import base64
import re
import zlib
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from typer.testing import CliRunner

from erm_graph import load
from erm_graph.cli import app
from erm_graph.ingest import LoadError, shapes
from erm_graph.ingest.shapes import BY_FLOWS, DECORATION, DOCUMENT, STEP
from erm_graph.loaders.drawio import styles

CORPUS = Path(__file__).parent / "corpus" / "drawio"


def count(store, cypher: str, **params) -> int:
    return store.run(cypher, params).rows[0][0]


def counts(store) -> dict[str, int]:
    """Steps, flows, parties, documents and departments in the graph."""
    return {"steps": count(store, "MATCH (s:Step) RETURN count(s)"),
            "flows": count(store, "MATCH (:Step)-[r:NEXT]->(:Step) RETURN count(r)"),
            "parties": count(store, "MATCH (p:Party) RETURN count(p)"),
            "documents": count(store, "MATCH (d:Document) RETURN count(d)"),
            "departments": count(store, "MATCH (d:Department) RETURN count(d)")}


def kinds(store) -> dict[str, int]:
    rows = store.run("MATCH (s:Step) RETURN s.kind, count(s)").rows
    return {kind: n for kind, n in rows}


def compress(source: Path, target: Path) -> Path:
    """``source`` with every page compressed as draw.io does: URL-encoded, raw deflate,
    base64."""
    def page(match: re.Match[str]) -> str:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = packer.compress(quote(match.group(2), safe="~()*!.'").encode()) + packer.flush()
        return f"{match.group(1)}{base64.b64encode(data).decode()}</diagram>"

    text = re.sub(r"(<diagram [^>]*>)(<mxGraphModel.*?</mxGraphModel>)</diagram>", page,
                  source.read_text(encoding="utf-8"), flags=re.S)
    assert "<mxGraphModel" not in text
    target.write_text(text, encoding="utf-8")
    return target


# -- the vocabulary -------------------------------------------------------------------------
def test_tools_spellings_name_one_symbol():
    """Visio's master names and draw.io's stencil names reach the same symbol."""
    assert shapes.symbol("Multiple documents") == shapes.symbol("multi-document")
    assert shapes.symbol("Start/End") == shapes.symbol("terminator")
    assert shapes.symbol("Predefined process").kind == "subprocess"
    assert shapes.symbol("Stored data") == shapes.symbol("stored_data")
    assert shapes.symbol("Stored data").role == DOCUMENT
    assert shapes.symbol("Annotation").role == DECORATION
    assert shapes.symbol("Magnetic drum of a spaceship") is None
    assert shapes.step_kind(BY_FLOWS, 0, 1) == "start"
    assert shapes.step_kind(BY_FLOWS, 1, 0) == "end"
    assert shapes.step_kind(BY_FLOWS, 1, 1) == "event"


@pytest.mark.parametrize(("style", "role", "kind"), [
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.decision;whiteSpace=wrap;", STEP, "gateway"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.terminator;", STEP, BY_FLOWS),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.start_2;", STEP, BY_FLOWS),
    ("html=1;strokeWidth=2;shape=process;whiteSpace=wrap;rounded=1;", STEP, "subprocess"),
    ("html=1;strokeWidth=2;shape=manualInput;rounded=1;size=26;", STEP, "task"),
    ("html=1;shape=trapezoid;perimeter=trapezoidPerimeter;flipV=1;", STEP, "task"),
    ("html=1;shape=parallelogram;perimeter=parallelogramPerimeter;", STEP, "task"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.delay;", STEP, "event"),
    ("html=1;shape=offPageConnector;rounded=0;size=0.5;", STEP, "event"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.summing_function;", STEP, "gateway"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.document2;size=0.25;", DOCUMENT, "document"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.multi-document;", DOCUMENT, "document"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.database;", DOCUMENT, "database"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.stored_data;", DOCUMENT, "database"),
    ("shape=internalStorage;whiteSpace=wrap;html=1;dx=15;dy=15;", DOCUMENT, "database"),
    ("shape=mxgraph.bpmn.event;html=1;outline=standard;symbol=general;", STEP, "start"),
    ("shape=mxgraph.bpmn.event;html=1;outline=catching;symbol=message;", STEP, "event"),
    ("shape=mxgraph.bpmn.event;html=1;outline=boundInt;symbol=timer;", STEP, "event"),
    ("shape=mxgraph.bpmn.event;html=1;outline=end;symbol=terminate;", STEP, "end"),
    ("shape=mxgraph.bpmn.gateway2;html=1;outline=none;symbol=none;gwType=exclusive;", STEP,
     "gateway"),
    ("shape=mxgraph.bpmn.shape;perimeter=rhombusPerimeter;background=gateway;outline=none;"
     "symbol=parallelGw;", STEP, "gateway"),
    ("shape=mxgraph.bpmn.shape;perimeter=ellipsePerimeter;outline=end;symbol=general;", STEP,
     "end"),
    ("shape=mxgraph.bpmn.task;rectStyle=rounded;taskMarker=user;", STEP, "task"),
    ("shape=mxgraph.bpmn.task;taskMarker=abstract;bpmnShapeType=subprocess;", STEP,
     "subprocess"),
    ("shape=mxgraph.bpmn.task;bpmnShapeType=call;", STEP, "subprocess"),
    ("shape=mxgraph.bpmn.data;whiteSpace=wrap;size=15;html=1;", DOCUMENT, "document"),
    ("shape=datastore;whiteSpace=wrap;html=1;", DOCUMENT, "database"),
    ("ellipse;html=1;shape=startState;fillColor=#000000;", STEP, "start"),
    ("ellipse;html=1;shape=endState;fillColor=#000000;", STEP, "end"),
    ("shape=line;html=1;strokeWidth=6;strokeColor=#ff0000;", STEP, "gateway"),
    ("rhombus;whiteSpace=wrap;html=1;", STEP, "gateway"),
    ("ellipse;whiteSpace=wrap;html=1;", STEP, BY_FLOWS),
    ("rounded=1;whiteSpace=wrap;html=1;", STEP, "task"),
    ("shape=document;whiteSpace=wrap;html=1;boundedLbl=1;", DOCUMENT, "document"),
    ("shape=cylinder3;whiteSpace=wrap;html=1;", DOCUMENT, "database"),
    ("strokeWidth=2;html=1;shape=mxgraph.flowchart.annotation_1;align=left;", DECORATION, ""),
])
def test_drawio_styles_read_as_their_symbol(style, role, kind):
    found = styles.symbol_of(styles.parse(style))
    assert (found.role, found.kind) == (role, kind)


@pytest.mark.parametrize("style", ["text;html=1;", "shape=umlActor;", "shape=image;image=x;",
                                   "shape=mxgraph.aws4.lambda;", "shape=mxgraph.bpmn.user_task;"])
def test_drawio_styles_that_are_no_flowchart_shape(style):
    assert styles.symbol_of(styles.parse(style)) is None


# -- item 6: the palettes -------------------------------------------------------------------
def test_flowchart_palette_two_pages(store):
    report = load(store, CORPUS / "flowchart_palette.drawio")
    assert counts(store) == {"steps": 17, "flows": 17, "parties": 0, "documents": 5,
                             "departments": 3}
    assert kinds(store) == {"start": 2, "end": 2, "task": 7, "gateway": 3, "subprocess": 1,
                            "event": 2}
    assert store.run("MATCH (s:Step) WHERE s.name IN ['Reserve stock', 'Wait for payment', "
                     "'Enter order', 'Print invoice'] RETURN s.name, s.kind ORDER BY s.name"
                     ).rows == [["Enter order", "task"], ["Print invoice", "task"],
                                ["Reserve stock", "subprocess"], ["Wait for payment", "event"]]
    assert store.run("MATCH (d:Document) RETURN d.kind, count(d) ORDER BY d.kind").rows == \
        [["database", 3], ["document", 2]]
    assert count(store, "MATCH (:Step)-[r:PRODUCES]->() RETURN count(r)") == 3
    assert count(store, "MATCH (:Step {name: 'Check credit'})-[:USES]->"
                        "(:Document {name: 'Customer DB', kind: 'database'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Department {name: 'Warehouse'})-[:PART_OF]->"
                        "(:Department {name: 'Order to cash'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Department)-[r:PERFORMS]->() RETURN count(r)") == 11
    assert count(store, "MATCH (p:Process) RETURN count(p)") == 2
    # one note for the page's decoration, by kind, not one per cell
    notes = [n for n in report.notes if "'Order handling'" in n]
    assert len(notes) == 1
    for part in ("5 cells", "1 image (logo)", "1 text (title)",
                 "1 unlabelled shape without flows (frame)",
                 "1 mxgraph.flowchart.annotation_1 (memo)"):
        assert part in notes[0]


def test_bpmn_palette_compressed_with_pool_message_flows_and_data(store, tmp_path):
    load(store, CORPUS / "bpmn_palette.drawio")
    expected = {"steps": 14, "flows": 14, "parties": 1, "documents": 2, "departments": 3}
    assert counts(store) == expected
    assert kinds(store) == {"start": 1, "end": 2, "event": 3, "gateway": 3, "task": 3,
                            "subprocess": 2}
    # the black-box pool is the outside party, each message flow a participation
    assert store.run("MATCH (:Party {name: 'Supplier'})-[r:PARTICIPATES_IN]->(s:Step) "
                     "RETURN s.name, r.role ORDER BY s.name").rows == [
        ["Goods received", "Delivery"], ["Invoice received", "Invoice"],
        ["Send order", "Purchase order"]]
    # the boundary timer starts the exception path from the task it sits on
    assert count(store, "MATCH (:Step {name: 'Event 1', kind: 'event'})-[:NEXT]->"
                        "(:Step {name: 'Remind approver'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Step {name: 'Send order'})-[:PRODUCES]->(:Document "
                        "{name: 'Purchase order'})<-[:USES]-(:Step {name: 'Pay invoice'}) "
                        "RETURN count(*)") == 1
    assert count(store, "MATCH (:Step {name: 'Archive order'})-[:PRODUCES]->(:Document "
                        "{name: 'ERP', kind: 'database'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Department {name: 'Accounts payable'})-[:PART_OF]->"
                        "(:Department {name: 'Purchasing'}) RETURN count(*)") == 1
    # decompressed, the same diagram loads the same records
    plain = tmp_path / "bpmn_palette.drawio"
    text = (CORPUS / "bpmn_palette.drawio").read_text(encoding="utf-8")
    assert "<mxGraphModel" not in text
    body = re.search(r"<diagram [^>]*>([^<]+)</diagram>", text).group(1)
    model = unquote(zlib.decompress(base64.b64decode(body), -15).decode("utf-8"))
    plain.write_text(text.replace(body, model), encoding="utf-8")
    again = load(store, plain)
    assert again.total("created") == 0 and counts(store) == expected


def test_basic_shapes_and_uml_activity(store, tmp_path):
    report = load(store, compress(CORPUS / "basic_and_uml.drawio",
                                  tmp_path / "basic_and_uml.drawio"))
    assert counts(store) == {"steps": 15, "flows": 16, "parties": 0, "documents": 3,
                             "departments": 0}
    assert kinds(store) == {"start": 2, "end": 2, "task": 7, "gateway": 4}
    assert count(store, "MATCH (:Step {name: 'Junction 1'})-[r:NEXT]->() RETURN count(r)") == 2
    assert count(store, "MATCH ()-[r:NEXT]->(:Step {name: 'Junction 2'}) RETURN count(r)") == 2
    assert count(store, "MATCH (:Step {name: 'Known issue?'})-[:USES]->(:Document {name: "
                        "'Knowledge base', kind: 'database'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Step {name: 'Triage'})-[:PRODUCES]->(:Document {name: "
                        "'Ticket store', kind: 'database'}) RETURN count(*)") == 1
    assert sorted(report.notes) == [
        "basic_and_uml.drawio: page 'Claims (UML activity)': 1 cell not part of the diagram "
        "skipped: 1 umlActor (u9)",
        "basic_and_uml.drawio: page 'Support (basic shapes)': 2 cells not part of the diagram "
        "skipped: 1 edge not joining two flowchart shapes (h10); 1 unlabelled document or "
        "data store (p10)"]


# -- item 7: unlabelled shapes in the flow ---------------------------------------------------
def test_unlabelled_shapes_in_the_flow_are_kept_by_kind_and_number(store):
    load(store, CORPUS / "flowchart_palette.drawio")
    assert count(store, "MATCH (:Step {name: 'Reserve stock'})-[:NEXT]->(d:Step {name: "
                        "'Decision 1', kind: 'gateway'})-[:NEXT]->(n) RETURN count(n)") == 2
    # the second page numbers its own: an unlabelled terminator after Refund is its end
    assert count(store, "MATCH (:Step {name: 'Refund'})-[:NEXT]->(:Step {name: 'End 1', "
                        "kind: 'end'}) RETURN count(*)") == 1
    load(store, CORPUS / "bpmn_palette.drawio")
    names = [row[0] for row in store.run("MATCH (s:Step) RETURN s.name ORDER BY s.name").rows]
    assert [n for n in names if re.fullmatch(r"(Start|End|Event|Gateway|Decision) \d+", n)] == [
        "Decision 1", "End 1", "End 1", "Event 1", "Gateway 1", "Gateway 2", "Start 1"]


# -- item 8: what is not a flowchart ---------------------------------------------------------
@pytest.mark.parametrize(("name", "looks_like"), [
    ("orgchart.drawio", "looks like an org chart (7 of 10 boxes show a person"),
    ("class_diagram.drawio", "looks like a UML class diagram"),
    ("concept_map.drawio", "looks like a concept map (4 of 4 links are labelled"),
    ("table_and_list.drawio", "looks like a table or ER diagram"),
])
def test_a_diagram_that_is_no_process_is_refused(store, name, looks_like):
    with pytest.raises(LoadError) as refused:
        load(store, CORPUS / name)
    message = str(refused.value)
    assert name in message and looks_like in message and "--as flowchart" in message
    assert ("--as orgchart" in message) == (name == "orgchart.drawio")
    assert count(store, "MATCH (n) RETURN count(n)") == 0


def test_a_list_page_is_named_as_a_list(store):
    with pytest.raises(LoadError, match=r"page 'Checklist' looks like a list \(1 stacked "
                                        r"lists of 3 rows\)"):
        load(store, CORPUS / "table_and_list.drawio")


def test_forced_as_flowchart_loads_the_boxes_as_steps(store):
    load(store, CORPUS / "concept_map.drawio", diagram="flowchart")
    assert counts(store) == {"steps": 4, "flows": 4, "parties": 0, "documents": 0,
                             "departments": 0}


def test_org_chart_loads_as_people_departments_and_reporting_lines(store):
    report = load(store, CORPUS / "orgchart.drawio", diagram="orgchart")
    assert counts(store) == {"steps": 0, "flows": 0, "parties": 0, "documents": 0,
                             "departments": 4}
    assert count(store, "MATCH (e:Employee) RETURN count(e)") == 7
    assert sorted(store.run("MATCH (e:Employee)-[:REPORTS_TO]->(m:Employee) "
                            "RETURN e.name, m.name").rows) == [
        ["Ana Lopez", "Maria Costa"],   # through the Sales box
        ["Ben Ode", "Ana Lopez"],
        ["Chen Wu", "Ana Lopez"],       # the line drawn upwards: the upper box is the boss
        ["Dee Park", "Maria Costa"],    # through IT and Service desk
        ["Eva Ruiz", "Tom Berg"],       # inside the Finance container, under its boss
        ["Tom Berg", "Maria Costa"]]
    assert sorted(store.run("MATCH (e:Employee)-[:MEMBER_OF]->(d:Department) "
                            "RETURN e.name, d.name").rows) == [
        ["Ana Lopez", "Sales"], ["Ben Ode", "Sales"], ["Chen Wu", "Sales"],
        ["Dee Park", "Service desk"], ["Eva Ruiz", "Finance"]]
    assert store.run("MATCH (d:Department)-[:PART_OF]->(o:Department) RETURN d.name, o.name"
                     ).rows == [["Service desk", "IT"]]
    assert store.run("MATCH (e:Employee {name: 'Ana Lopez'}) RETURN e.title, e.uid").rows == \
        [["Head of Sales", "emp:ana-lopez"]]
    assert report.notes == ["orgchart.drawio: page 'Organisation': 1 cell not part of the "
                            "diagram skipped: 1 text (legend)"]
    # the org chart's Sales is the Sales lane of the process maps: one department
    load(store, CORPUS / "flowchart_palette.drawio")
    assert count(store, "MATCH (d:Department {name: 'Sales'}) RETURN count(d)") == 1
    assert count(store, "MATCH (:Employee)-[:MEMBER_OF]->(:Department {name: 'Sales'})"
                        "-[:PERFORMS]->(s:Step) RETURN count(DISTINCT s)") == 5


def test_a_file_with_a_flowchart_page_loads_it_and_notes_the_other(store, tmp_path):
    flow = (CORPUS / "flowchart_palette.drawio").read_text(encoding="utf-8")
    org = (CORPUS / "orgchart.drawio").read_text(encoding="utf-8")
    org_page = re.search(r"<diagram .*</diagram>", org, flags=re.S).group(0)
    mixed = tmp_path / "mixed.drawio"
    mixed.write_text(flow.replace("</mxfile>", org_page + "</mxfile>"), encoding="utf-8")
    report = load(store, mixed)
    assert count(store, "MATCH (p:Process) RETURN count(p)") == 2
    assert count(store, "MATCH (e:Employee) RETURN count(e)") == 0
    assert [n for n in report.notes if "not loaded" in n] == [
        "mixed.drawio: not loaded: page 'Organisation' looks like an org chart (7 of 10 boxes "
        "show a person (a picture, or a name and a title)), not a process: load it as people "
        "and departments with reporting lines with --as orgchart, or as a process anyway "
        "with --as flowchart"]


def test_cli_refuses_an_org_chart_and_loads_it_as_one(store_url):
    runner = CliRunner()
    path = str(CORPUS / "orgchart.drawio")
    refused = runner.invoke(app, ["--db", store_url, "load", path])
    assert refused.exit_code == 1
    assert "looks like an org chart" in refused.output and "--as orgchart" in refused.output
    loaded = runner.invoke(app, ["--db", store_url, "load", path, "--as", "orgchart"])
    assert loaded.exit_code == 0, loaded.output
    assert "REPORTS_TO" in loaded.output


# -- the corpus as a whole -------------------------------------------------------------------
def test_corpus_files_loaded_refused_and_with_notes(store):
    """The figures of the closing note: every corpus file as a person would load it."""
    outcome = {}
    for path in sorted(CORPUS.glob("*.drawio")):
        store.clear()
        try:
            report = load(store, path)
        except LoadError:
            outcome[path.name] = "refused"
            continue
        outcome[path.name] = "loaded with notes" if report.notes else "loaded"
    assert outcome == {
        "basic_and_uml.drawio": "loaded with notes",
        "bpmn_palette.drawio": "loaded with notes",
        "class_diagram.drawio": "refused",
        "concept_map.drawio": "refused",
        "flowchart_palette.drawio": "loaded with notes",
        "orgchart.drawio": "refused",
        "table_and_list.drawio": "refused"}


def test_boxes_without_connectors_are_no_flow_but_one_step_is(store, tmp_path):
    def page(*names: str) -> Path:
        cells = "".join(f'<mxCell id="c{i}" value="{n}" style="rounded=1;" vertex="1" '
                        f'parent="1"><mxGeometry as="geometry"/></mxCell>'
                        for i, n in enumerate(names))
        path = tmp_path / f"{len(names)}.drawio"
        path.write_text(f'<mxfile><diagram id="p" name="Ideas"><mxGraphModel><root>'
                        f'<mxCell id="0"/><mxCell id="1" parent="0"/>{cells}</root>'
                        f'</mxGraphModel></diagram></mxfile>')
        return path

    with pytest.raises(LoadError, match=r"page 'Ideas' looks like loose shapes \(3 shapes, no "
                                        r"connector between them\)"):
        load(store, page("Price", "Speed", "Quality"))
    load(store, page("Approve invoice"))
    assert counts(store)["steps"] == 1


def test_web_upload_refuses_an_org_chart_and_takes_as(store, tmp_path):
    from fastapi.testclient import TestClient

    from erm_graph.settings import Settings
    from erm_graph.web import create_app

    settings = Settings.from_env(users_db=tmp_path / "u.db", query_timeout=10)
    data = (CORPUS / "orgchart.drawio").read_bytes()
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        client.get("/")
        client.headers["x-csrf-token"] = client.cookies.get("erm_csrf")
        refused = client.post("/api/load", files={"file": ("orgchart.drawio", data)})
        assert refused.status_code == 400, refused.text
        assert "--as orgchart" in refused.json()["error"]["message"]
        loaded = client.post("/api/load", files={"file": ("orgchart.drawio", data)},
                             data={"as": "orgchart"})
        assert loaded.status_code == 200, loaded.text
    assert count(store, "MATCH (:Employee)-[r:REPORTS_TO]->(:Employee) RETURN count(r)") == 6


def test_org_chart_drawn_in_department_containers_is_still_an_org_chart(store, tmp_path):
    """Lines without arrowheads inside swimlanes are reporting lines, not a process's flow."""
    line = "edgeStyle=elbowEdgeStyle;elbow=vertical;endArrow=none;html=1;"
    cells = [
        '<mxCell id="ops" value="Operations" style="swimlane;html=1;" vertex="1" parent="1">'
        '<mxGeometry x="0" y="0" width="400" height="300" as="geometry"/></mxCell>']
    for cid, name, y in (("a", "Ida Lind&lt;br&gt;COO", 30),
                         ("b", "Jon Hay&lt;br&gt;Planner", 150),
                         ("c", "Kim Sol&lt;br&gt;Buyer", 150)):
        cells.append(f'<mxCell id="{cid}" value="{name}" style="rounded=1;html=1;" '
                     f'vertex="1" parent="ops"><mxGeometry y="{y}" width="120" height="60" '
                     f'as="geometry"/></mxCell>')
    for eid, src, dst in (("e1", "a", "b"), ("e2", "a", "c")):
        cells.append(f'<mxCell id="{eid}" style="{line}" edge="1" parent="ops" '
                     f'source="{src}" target="{dst}"><mxGeometry relative="1" as="geometry"/>'
                     '</mxCell>')
    path = tmp_path / "ops.drawio"
    path.write_text('<mxfile><diagram id="o" name="Ops"><mxGraphModel><root><mxCell id="0"/>'
                    '<mxCell id="1" parent="0"/>' + "".join(cells)
                    + "</root></mxGraphModel></diagram></mxfile>", encoding="utf-8")
    with pytest.raises(LoadError, match="looks like an org chart"):
        load(store, path)
    load(store, path, diagram="orgchart")
    assert sorted(store.run("MATCH (e:Employee)-[:REPORTS_TO]->(m) RETURN e.name, m.name").rows
                  ) == [["Jon Hay", "Ida Lind"], ["Kim Sol", "Ida Lind"]]
    assert count(store, "MATCH (:Employee)-[:MEMBER_OF]->(:Department {name: 'Operations'}) "
                        "RETURN count(*)") == 3


def test_an_annotation_line_does_not_make_an_empty_box_a_step(store, tmp_path):
    cells = (
        '<mxCell id="a" value="Ship" style="rounded=1;" vertex="1" parent="1"/>'
        '<mxCell id="b" value="Bill" style="rounded=1;" vertex="1" parent="1"/>'
        '<mxCell id="box" value="" style="rounded=0;dashed=1;" vertex="1" parent="1"/>'
        '<mxCell id="n" value="see policy" style="shape=mxgraph.flowchart.annotation_2;" '
        'vertex="1" parent="1"/>'
        '<mxCell id="e1" edge="1" parent="1" source="a" target="b"/>'
        '<mxCell id="e2" style="endArrow=none;dashed=1;" edge="1" parent="1" source="n" '
        'target="box"/>')
    path = tmp_path / "note.drawio"
    path.write_text('<mxfile><diagram id="p" name="P"><mxGraphModel><root><mxCell id="0"/>'
                    f'<mxCell id="1" parent="0"/>{cells}</root></mxGraphModel></diagram>'
                    '</mxfile>', encoding="utf-8")
    report = load(store, path)
    assert counts(store)["steps"] == 2
    assert "1 unlabelled shape without flows (box)" in report.notes[0]
