"""Microsoft Visio drawings (.vsdx) load like draw.io diagrams (issue 13, item 9).

The drawings are real .vsdx packages written by :mod:`tests.vsdx_files` (LibreOffice opens
them: the last test here shows it where LibreOffice is installed): multi-page, without lanes,
with Visio 2013 cross-functional lanes (container relationships) and with older functional
bands (members by where they sit). Each loads with exactly the steps, flows, documents and
departments counted by hand in that module, through the Python API, the CLI and the web
upload; hostile packages (zip bombs, too many entries, names leading out of the package,
entity expansion in a part) are refused quickly, naming the file and the part.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from erm_graph import load
from erm_graph.auth import Users
from erm_graph.cli import app
from erm_graph.errors import ErmError
from erm_graph.ingest import LoadError, LoadOptions, registry
from erm_graph.ingest.load import read_sources
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app
from tests import vsdx_files
from tests.vsdx_files import EXPECTED, Drawing


@pytest.fixture(scope="module")
def drawings(tmp_path_factory) -> dict[str, Path]:
    return vsdx_files.corpus(tmp_path_factory.mktemp("vsdx"))


@pytest.fixture(scope="module")
def attacks(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    return vsdx_files.hostile(tmp_path_factory.mktemp("vsdx-attacks"))


def rows(store, cypher: str, **params) -> list[list]:
    return store.run(cypher, params).rows


def count(store, cypher: str, **params) -> int:
    return rows(store, cypher, **params)[0][0]


def test_vsdx_is_a_format_found_by_its_name_and_content(drawings, tmp_path):
    assert "vsdx" in registry.loaders()
    for path in drawings.values():
        assert registry.detect(path, LoadOptions()).format == "vsdx"
    with_macros = tmp_path / "orders.vsdm"  # the same drawing, macro-enabled
    shutil.copy(drawings["orders.vsdx"], with_macros)
    assert registry.detect(with_macros, LoadOptions()).format == "vsdx"
    workbook = tmp_path / "book.xlsx"  # another zip is not taken for a drawing
    shutil.copy(drawings["orders.vsdx"], workbook)
    assert registry.detect(workbook, LoadOptions()).format != "vsdx"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_drawing_loads_with_the_counts_drawn(store, drawings, name):
    expected = EXPECTED[name]
    report = load(store, drawings[name])
    assert count(store, "MATCH (p:Process) RETURN count(p)") == expected["processes"]
    kinds = Counter(dict(rows(store, "MATCH (s:Step) RETURN s.kind, count(*)")))
    assert kinds == Counter(expected["steps"])
    docs = Counter(dict(rows(store, "MATCH (d:Document) RETURN d.kind, count(*)")))
    assert docs == Counter(expected["documents"])
    for key, rel in (("next", "NEXT"), ("uses", "USES"), ("produces", "PRODUCES"),
                     ("performs", "PERFORMS")):
        assert count(store, f"MATCH ()-[r:{rel}]->() RETURN count(r)") == expected[key], key
    assert count(store, "MATCH (d:Department) RETURN count(d)") == expected["departments"]
    assert len(report.notes) == expected["notes"], report.notes
    assert all(note.startswith(f"{name}: ") for note in report.notes)
    assert not report.rejected
    again = load(store, drawings[name])
    assert again.total("created") == 0 and again.total("updated") == 0


def test_flowchart_masters_connectors_and_pages(store, drawings):
    report = load(store, drawings["orders.vsdx"])
    assert rows(store, "MATCH (p:Process)-[:HAS_STEP]->(s:Step) WITH p, count(s) AS n "
                       "RETURN p.name, n ORDER BY p.name") == [["Backorder", 7],
                                                               ["Order intake", 6]]
    kinds = dict(rows(store, "MATCH (s:Step) RETURN s.name, s.kind"))
    assert kinds["Order received"] == "start" and kinds["Done"] == "end"
    assert kinds["In stock?"] == "gateway" and kinds["Receive goods"] == "subprocess"
    assert kinds["Wait for delivery"] == "event" and kinds["Send supplier order"] == "task"
    assert kinds["Manual operation 1"] == "task"  # unlabelled, in the flow: named by kind
    assert rows(store, "MATCH (:Step {name: 'In stock?'})-[r:NEXT]->(s) "
                       "RETURN r.label, s.name ORDER BY r.label") == [["no", "A"],
                                                                      ["yes", "Ship order"]]
    # the off-page reference continues on the other page
    assert rows(store, "MATCH (a:Process)-[:HAS_STEP]->(:Step {name: 'A'})-[r:NEXT]->"
                       "(:Step {name: 'A'})<-[:HAS_STEP]-(b:Process) "
                       "RETURN a.name, b.name, r.label") == [["Order intake", "Backorder",
                                                               "continued on Backorder"]]
    assert rows(store, "MATCH (:Document {name: 'Order form'})<-[:USES]-(s) RETURN s.name") == \
        [["Check order"]]
    assert rows(store, "MATCH (d:Document)<-[:PRODUCES]-(s) RETURN d.name, d.kind, s.name "
                       "ORDER BY d.name") == [["Delivery notes", "document", "Receive goods"],
                                              ["Orders DB", "database", "Ship order"]]
    assert rows(store, "MATCH (s:Step {name: 'Check order'}) RETURN s.source") == \
        [["vsdx:orders.vsdx#page-0/2"]]
    assert "orders.vsdx: page 'Backorder': skipped 2 shapes not in the flow (Callout: 1, " \
           "Process: 1); 1 connector not glued at both ends" in report.notes


def test_cross_functional_lanes_are_departments(store, drawings):
    load(store, drawings["claims.vsdx"])
    performed = rows(store, "MATCH (d:Department)-[:PERFORMS]->(s:Step) RETURN d.name, s.name "
                            "ORDER BY d.name, s.name")
    assert performed == [
        ["Claims", "Approve payment"], ["Claims", "B"], ["Claims", "B"], ["Claims", "Closed"],
        ["Claims", "Covered?"], ["Claims", "Pay claim"],
        # the lane's name is on its header, a part of the lane's group
        ["Customer service", "Claim received"], ["Customer service", "Register claim"],
        ["Customer service", "Send rejection"],
        # a functional band of the older template: its size comes from its master
        ["Finance", "Review payment"]]
    assert rows(store, "MATCH (s:Step {name: 'Archive'}) OPTIONAL MATCH (d)-[:PERFORMS]->(s) "
                       "RETURN count(d)") == [[0]]
    # an on-page reference joins the flow on the same page, without a label
    assert rows(store, "MATCH (:Step {name: 'Pay claim'})-[:NEXT]->(a:Step {name: 'B'})"
                       "-[r:NEXT]->(b:Step {name: 'B'})-[:NEXT]->(c:Step) "
                       "RETURN r.label, c.name") == [[None, "Closed"]]


def test_recorded_lane_membership_wins_over_where_a_shape_sits(store, drawings):
    load(store, drawings["moved.vsdx"])
    assert rows(store, "MATCH (d:Department)-[:PERFORMS]->(:Step {name: 'Send invoice'}) "
                       "RETURN d.name") == [["Billing"]]


PERFORMS = ("PERFORMS", "Department", "Step")


@pytest.mark.parametrize(("lanes", "placed"), [(100, 1), (101, 0)])
def test_lanes_searched_by_where_shapes_sit_are_bounded(tmp_path, lanes, placed):
    d = Drawing()
    page = d.page("Many lanes")
    for i in range(lanes):
        page.shape("Swimlane", f"Lane {i}", 4, i * 2 + 1, 8, 2)
    page.shape("Process", "Somewhere", 2, 1)
    (result,), _ = read_sources([d.write(tmp_path / "lanes.vsdx")], "vsdx", LoadOptions())
    assert len(result.batch.relationships.get(PERFORMS, [])) == placed
    assert any(f"{lanes} lanes, over the 100" in note for note in result.notes) == (not placed)


def test_a_lane_inside_another_is_part_of_it(tmp_path):
    """Visio's BPMN pools hold lanes as containers hold members: the lane is PART_OF the pool,
    and a step in both is performed by the inner one."""
    d = Drawing()
    page = d.page("Pool")
    page.shape("Pool / Lane", "Acme", 5, 4, 10, 8)
    page.shape("Pool / Lane", "Sales", 5, 6, 9, 4,
               relationships="SUM(DEPENDSON(4,Sheet.1!SheetRef()))")
    page.shape("Process", "Quote", 2, 6,
               relationships="SUM(DEPENDSON(4,Sheet.1!SheetRef(),Sheet.2!SheetRef()))")
    page.shape("Process", "Ship", 2, 1)  # in the pool only, by where it sits
    (result,), _ = read_sources([d.write(tmp_path / "pool.vsdx")], "vsdx", LoadOptions())
    part_of = result.batch.relationships[("PART_OF", "Department", "Department")]
    assert [(r["start"], r["end"]) for r in part_of] == [("dept:sales", "dept:acme")]
    assert sorted((r["start"], r["end"]) for r in result.batch.relationships[PERFORMS]) == \
        [("dept:acme", "pool/page-0/4"), ("dept:sales", "pool/page-0/3")]


def test_shapes_without_masters_are_known_by_their_names(tmp_path):
    """A drawing whose shapes name no master (as some converters write them) is read by the
    shapes' own universal names, Visio's copy suffix dropped."""
    page = (f'<PageContents xmlns="{vsdx_files.VISIO}"><Shapes>'
            '<Shape ID="1" NameU="Decision.1"><Text>Ok?</Text></Shape>'
            '<Shape ID="2" NameU="Process.7"><Text>Do it</Text></Shape>'
            '<Shape ID="3" NameU="Dynamic connector.3"><Text>yes</Text></Shape>'
            '</Shapes><Connects><Connect FromSheet="3" FromCell="BeginX" ToSheet="1"/>'
            '<Connect FromSheet="3" FromCell="EndX" ToSheet="2"/></Connects></PageContents>')
    d = Drawing()
    d.page("Plain")
    (result,), _ = read_sources([d.write(tmp_path / "plain.vsdx", {1: page})], "vsdx",
                                LoadOptions())
    assert sorted((s["name"], s["kind"]) for s in result.batch.nodes["Step"]) == \
        [("Do it", "task"), ("Ok?", "gateway")]
    flows = result.batch.relationships[("NEXT", "Step", "Step")]
    assert [(f["start"], f["end"], f["label"]) for f in flows] == \
        [("plain/page-0/1", "plain/page-0/2", "yes")]


def test_erm_load_reads_a_drawing(store, store_url, drawings):
    done = CliRunner().invoke(app, ["--db", store_url, "load", str(drawings["claims.vsdx"])],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert count(store, "MATCH (s:Step) RETURN count(s)") == 11


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The app on an empty embedded store and an editor's token."""
    folder = tmp_path_factory.mktemp("vsdx-web")
    users = Users.open(folder / "users.db")
    users.add("root", "admin", password="correct horse battery")
    users.add("ed", "editor", password="correct horse battery")
    token = users.new_token("ed")
    store = open_store(f"embedded:{folder / 'db'}")
    settings = Settings.from_env(users_db=folder / "users.db", web_host="0.0.0.0",
                                 web_max_body=400_000)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        client.headers["authorization"] = f"Bearer {token}"
        yield client
    users.close()
    store.close()


def test_the_web_upload_loads_a_drawing_and_refuses_a_bomb(web, drawings, attacks):
    r = web.post("/api/load", files={"file": ("orders.vsdx",
                                              drawings["orders.vsdx"].read_bytes())})
    assert r.status_code == 200, r.text
    assert r.json()["labels"]["Step"]["created"] == 13
    path, expected = attacks["zip-bomb.vsdx"]
    started = time.perf_counter()
    r = web.post("/api/load", files={"file": ("zip-bomb.vsdx", path.read_bytes())})
    assert r.status_code == 400 and expected in r.json()["error"]["message"], r.text
    assert r.json()["error"]["message"].startswith("zip-bomb.vsdx: ")
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("name", ["zip-bomb.vsdx", "many-entries.vsdx",
                                  "understated-entries.vsdx", "zip64-entries.vsdx",
                                  "traversal.vsdx", "absolute.vsdx",
                                  "laughs.vsdx", "broken-page.vsdx", "not-a-zip.vsdx",
                                  "no-pages.vsdx", "rels-outside.vsdx"])
def test_hostile_packages_are_refused_quickly_naming_file_and_part(attacks, name):
    path, expected = attacks[name]
    started = time.process_time()
    with pytest.raises(LoadError) as refused:
        read_sources([path], "auto", LoadOptions())
    assert time.process_time() - started < 1.0
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and expected in message, message
    assert len(message) < 400


def test_a_workbook_gets_the_same_zip_checks(tmp_path):
    """The .xlsx reader shares the zip checks: a name leading out of the package."""
    path = tmp_path / "steps.xlsx"
    path.write_bytes(vsdx_files.package({"../x.xml": "<x/>"}))
    with pytest.raises(LoadError, match="names a path outside the package"):
        read_sources([path], "table", LoadOptions())


def _page(body: str) -> str:
    return (f'<PageContents xmlns="{vsdx_files.VISIO}"><Shapes>{body}</Shapes>'
            "</PageContents>")


PIECES = ['<Shape ID="1" Master="2">', '<Shape ID="2">', '<Shape ID="3" Master="99">',
          "</Shape>", "<Shapes>", "</Shapes>", "<Text>x</Text>", '<Cell N="PinX" V="1"/>',
          '<Cell N="Width" V="x"/>', '<Cell N="Relationships" F="DEPENDSON(4,Sheet.1!',
          "Sheet.2!SheetRef()", "DEPENDSON(1,", ")", "<Connects>", "</Connects>",
          '<Connect FromSheet="2" FromCell="BeginX" ToSheet="1"/>',
          '<Connect FromSheet="2" FromCell="EndX" ToSheet="3"/>', "<", ">", '"', "&amp;"]


@pytest.mark.slow
@settings(max_examples=60, deadline=2_000, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_fuzz_pages_load_or_are_refused(tmp_path_factory, body):
    """Any page inside a sound package loads or raises the project's own error."""
    d = vsdx_files.claims()
    path = d.write(tmp_path_factory.mktemp("fuzz") / "f.vsdx", {1: _page(body)})
    try:
        read_sources([path], "vsdx", LoadOptions())
    except ErmError as exc:
        assert str(exc) and "Traceback" not in str(exc)


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_opens_the_drawings(drawings, tmp_path):
    """The drawings are real Visio files: LibreOffice's Visio import reads their pages and
    the shapes' text (converted to a flat OpenDocument drawing)."""
    for name in ("orders.vsdx", "claims.vsdx"):
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile",
                        "--headless", "--convert-to", "fodg", "--outdir", str(tmp_path),
                        str(drawings[name])], check=True, capture_output=True, timeout=180)
        text = (tmp_path / name.replace(".vsdx", ".fodg")).read_text(encoding="utf-8")
        for shown in {"orders.vsdx": ("Order intake", "Backorder", "Check order", "In stock?",
                                      "Orders DB"),
                      "claims.vsdx": ("Claim intake", "Review", "Customer service",
                                      "Covered?", "Review payment")}[name]:
            assert shown in text, (name, shown)


def test_a_part_cannot_grow_past_its_stated_size(tmp_path):
    """The expansion limit counts the sizes the zip directory states: a part whose entry
    understates it stops there and fails its checksum, refused naming the part."""
    parts = vsdx_files.orders().parts()
    data = bytearray(vsdx_files.package(parts))
    name = b"visio/pages/page1.xml"
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + len(name)] != name:  # its central directory entry
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = (100).to_bytes(4, "little")
    path = tmp_path / "lying.vsdx"
    path.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="part 'visio/pages/page1.xml' does not decompress"):
        read_sources([path], "vsdx", LoadOptions())
