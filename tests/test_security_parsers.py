"""Parsers on untrusted input run in linear time, and a slow upload never blocks other requests.

Each loader reads adversarial files at two sizes, N and 4N, built from the patterns that make
parsers slow: long runs of spaces, dashes, brackets and quotes, deep nesting, huge attribute
values, many edges, compressed pages that expand a thousand times. A read must finish within
an absolute bound, grow roughly linearly (4N under 8x N plus a small constant: quadratic gives
16x), and either load or raise the project's own ``ErmError``.
Reads run in a forked child that is killed at a hard limit (a backtracking regex cannot be
interrupted) and are timed in the child's CPU seconds, which a busy machine barely changes.

Then hypothesis fuzzes each loader with structured inputs, and a served app answers a
viewer while an editor's upload is stuck in a loader.
"""

from __future__ import annotations

import base64
import gc
import multiprocessing
import os
import textwrap
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erm_graph.errors import ErmError
from erm_graph.ingest import LoadOptions, registry
from erm_graph.ingest.load import read_sources
from tests import vsdx_files
from tests.e2e.conftest import free_port, start_server, stop_server

#: a read that runs longer than this is killed and fails the test
KILL_AFTER = 15.0
#: every adversarial read, the 4N one included, finishes within this many CPU seconds
ABSOLUTE = 3.0
#: 4N may take 8x N plus this: room for the noise of reads that take milliseconds
SLACK = 0.15
#: fuzz examples per loader (the test's count is reported by FUZZ_CASES)
EXAMPLES = 40
NS = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
registry.loaders()  # imported once here, not in each forked child's timed read


def read(fmt: str, path: Path) -> None:
    """What a worker process does with an upload: the loader reads it, no store at hand."""
    read_sources([path], fmt, LoadOptions())


def _child(fmt: str, path: Path, conn) -> None:
    # the heap inherited from a long test run is not the reader's: a collection walking it
    # would be billed to the timed read (docs/testing.md)
    gc.freeze()
    started = time.process_time()
    try:
        read(fmt, path)
        outcome = "loaded"
    except ErmError as exc:
        outcome = f"refused: {str(exc)[:300]}"
        if len(str(exc)) > 2_000:  # an error quotes the input, never a whole one
            outcome = f"message of {len(str(exc)):,} characters: {outcome}"
    except BaseException as exc:  # the failure this module looks for: report, do not raise
        outcome = f"{type(exc).__name__}: {str(exc)[:300]}"
    conn.send((time.process_time() - started, outcome))


def timed(fmt: str, path: Path) -> tuple[float, str]:
    """(CPU seconds, outcome) of reading ``path`` in a forked child, killed at KILL_AFTER."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(fmt, path, send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(KILL_AFTER):
            pytest.fail(f"{fmt}: reading {path.name} ({path.stat().st_size:,} bytes) ran over "
                        f"{KILL_AFTER} s and was killed")
        return receive.recv()
    finally:
        child.kill()
        child.join()


# -- adversarial files: (file name, text of size ~n) -------------------------------------------
def _mxfile(cells: str) -> str:
    return (f'<mxfile><diagram id="p" name="P"><mxGraphModel><root><mxCell id="0"/>'
            f'<mxCell id="1" parent="0"/>{cells}</root></mxGraphModel></diagram></mxfile>')


def _compressed_page(xml: str) -> str:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(xml.encode()) + packer.flush()
    return (f'<mxfile><diagram id="p" name="P">{base64.b64encode(data).decode()}</diagram>'
            '</mxfile>')


def _bpmn(body: str) -> str:
    return f'<definitions {NS}><process id="p">{body}</process></definitions>'


def _graphml(body: str) -> str:
    return ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="l" for="node" attr.name="labels" attr.type="string"/>'
            '<key id="t" for="edge" attr.name="type" attr.type="string"/>'
            f'<graph edgedefault="directed">{body}</graph></graphml>')


def _nested_graphml(depth: int) -> str:
    return _graphml('<node id="n0"><data key="l">:Step</data>'
                    + "".join(f'<graph><node id="n{i}">' for i in range(1, depth))
                    + "</node></graph>" * (depth - 1) + "</node>")


def _mapping(folder: Path, cells: list[str]) -> Path:
    (folder / "deals.csv").write_text("Opp ID,Amount\n" + "".join(
        f"o{i},{cell}\n" for i, cell in enumerate(cells)))
    path = folder / "deals.yaml"
    path.write_text(textwrap.dedent("""\
        tables:
          - file: deals.csv
            label: Opportunity
            key: {column: Opp ID}
            properties:
              amount: {column: Amount, type: money}
        """))
    return path


Build = Callable[[Path, int], Path]


def _file(name: str, text: Callable[[int], str]) -> Build:
    def build(folder: Path, n: int) -> Path:
        path = folder / name
        path.write_text(text(n))
        return path
    return build


CASES: dict[str, tuple[str, int, Build]] = {
    # the upload: a link's text form backtracked over the spaces (cubic)
    "mermaid-link-spaces": ("mermaid", 1_000, _file(
        "m.mmd", lambda n: "flowchart LR\n  a --" + " " * n + "x\n")),
    "mermaid-header-spaces": ("mermaid", 5_000, _file(
        "m.mmd", lambda n: "flowchart" + " " * n + "x\n")),
    "mermaid-dashes": ("mermaid", 5_000, _file(
        "m.mmd", lambda n: "flowchart LR\n  a " + "-" * n + " b\n")),
    "mermaid-unclosed-shapes": ("mermaid", 20_000, _file(
        "m.mmd", lambda n: "flowchart LR\n  a" + "(((x))" * (n // 6) + "\n")),
    "mermaid-ampersands": ("mermaid", 20_000, _file(
        "m.mmd", lambda n: "flowchart LR\n  a" + " & a" * (n // 4) + " --> b\n")),
    "mermaid-many-edges": ("mermaid", 10_000, _file(
        "m.mmd", lambda n: "flowchart LR\n" + "".join(f"  n{i} -->|go| n{i + 1}\n"
                                                      for i in range(n // 16)))),
    "mermaid-quotes-brackets": ("mermaid", 20_000, _file(
        "m.mmd", lambda n: 'flowchart LR\n  a["' + '"[' * (n // 2) + "\n")),
    # a label of many "<" was rescanned from each one (quadratic)
    "drawio-label-angles": ("drawio", 40_000, _file("d.drawio", lambda n: _mxfile(
        f'<mxCell id="s" value="{"&lt;" * (n // 4)}" vertex="1" parent="1"/>'))),
    # cells nested n deep: the lane of each was found by walking to the top
    "drawio-nested-containers": ("drawio", 1_500, _file("d.drawio", lambda n: _mxfile(
        "".join(f'<mxCell id="c{i}" value="s{i}" vertex="1" parent="{f"c{i - 1}" if i else 1}"/>'
                for i in range(n))))),
    # the labels of each edge were looked for among all cells (edges x cells)
    "drawio-edge-labels": ("drawio", 1_500, _file("d.drawio", lambda n: _mxfile(
        '<mxCell id="a" value="A" vertex="1" parent="1"/>'
        '<mxCell id="b" value="B" vertex="1" parent="1"/>'
        + "".join(f'<mxCell id="e{i}" edge="1" parent="1" source="a" target="b"/>'
                  f'<mxCell id="l{i}" value="x" style="edgeLabel" vertex="1" parent="e{i}"/>'
                  for i in range(n))))),
    "drawio-huge-attribute": ("drawio", 200_000, _file("d.drawio", lambda n: _mxfile(
        f'<mxCell id="s" value="{"x" * n}" style="{"a=b;" * (n // 4)}" vertex="1" '
        'parent="1"/>'))),
    "bpmn-deep-subprocesses": ("bpmn", 300, _file("b.bpmn", lambda n: _bpmn(
        "".join(f'<subProcess id="s{i}">' for i in range(n)) + "</subProcess>" * n))),
    "bpmn-deep-lanes": ("bpmn", 90, _file("b.bpmn", lambda n: _bpmn(
        '<task id="t"/><laneSet>' + "".join(f'<lane id="l{i}" name="L{i}"><childLaneSet>'
                                            for i in range(n))
        + "</childLaneSet></lane>" * n + "</laneSet>"))),
    "bpmn-many-flows": ("bpmn", 1_000, _file("b.bpmn", lambda n: _bpmn(
        "".join(f'<task id="t{i}" name="{"n" * 20}"/><sequenceFlow id="f{i}" sourceRef="t{i}" '
                f'targetRef="t{i + 1}"/>' for i in range(n)) + f'<task id="t{n}"/>'))),
    # pools, processes and message flows: each process's pool was looked for among all pools
    "bpmn-many-pools": ("bpmn", 1_500, _file("b.bpmn", lambda n: (
        f'<definitions {NS}><collaboration id="c">'
        + "".join(f'<participant id="P{i}" name="Party {i}"/>' for i in range(n))
        + "".join(f'<messageFlow id="m{i}" sourceRef="P{i}" targetRef="t{i}"/>'
                  for i in range(n))
        + "</collaboration>"
        + "".join(f'<process id="p{i}"><task id="t{i}"/></process>' for i in range(n))
        + "</definitions>"))),
    "graphml-nested-graphs": ("graphml", 300, _file("g.graphml", _nested_graphml)),
    "graphml-many-edges": ("graphml", 600, _file("g.graphml", lambda n: _graphml(
        "".join(f'<node id="n{i}"><data key="l">:Step</data></node>' for i in range(n + 1))
        + "".join(f'<edge source="n{i}" target="n{i + 1}"><data key="t">NEXT</data></edge>'
                  for i in range(n))))),
    # a header of many "{" gave the name back one character at a time (quadratic)
    "neo4j-csv-header-braces": ("neo4j-csv", 15_000, _file(
        "n.csv", lambda n: "uid:ID(Step),name" + "{" * n + ":1\n1,a\n")),
    "neo4j-csv-many-rows": ("neo4j-csv", 40_000, _file("n.csv", lambda n: ":ID,:LABEL,name\n"
                                                        + "".join(f'{i},Step,"a ""q"" b"\n'
                                                                  for i in range(n // 20)))),
    "yaml-department-chain": ("yaml", 2_000, _file("y.yaml", lambda n: (
        "map: M\nsteps: [{id: a}]\ndepartments:\n" + "".join(
            f"  - {{name: d{i}, parent: d{i - 1}}}\n" for i in range(1, n))))),
    "yaml-long-scalars": ("yaml", 40_000, _file(
        "y.yaml", lambda n: f"map: {'m' * n}\nsteps: [{{id: a, name: '{'q' * n}'}}]\n")),
    # the YAML parser and the schema validator recurse once per level
    "yaml-deep-nesting": ("yaml", 2_000, _file("y.yaml", lambda n: (
        "map: m\nsteps: [{id: a}]\nx: " + "{a: " * n + "1" + "}" * n + "\n"))),
    "mapping-deep-nesting": ("mapping", 2_000, _file("m.yaml", lambda n: (
        "tables: " + "{a: " * n + "1" + "}" * n + "\n"))),
    "table-many-rows": ("table", 10_000, lambda folder, n: _table(folder, n)),
    # connectors, container relationships naming every member, lanes searched by position,
    # references joined across pages, groups in groups
    "vsdx-long-flow": ("vsdx", 500, lambda folder, n: vsdx_files.flow_of(n).write(
        folder / "v.vsdx")),
    "vsdx-lanes-by-position": ("vsdx", 500, lambda folder, n: vsdx_files.lanes_of(n).write(
        folder / "v.vsdx")),
    "vsdx-references-across-pages": ("vsdx", 100, lambda folder, n: vsdx_files.references_of(
        n).write(folder / "v.vsdx")),
    "vsdx-nested-groups": ("vsdx", 45, lambda folder, n: vsdx_files.nested_groups(n).write(
        folder / "v.vsdx")),
    # an amount of many digits backtracked in two patterns (quadratic)
    "mapping-money-digits": ("mapping", 4_000, lambda folder, n: _mapping(
        folder, ["1" * n + "x"])),
    "mapping-many-rows": ("mapping", 20_000, lambda folder, n: _mapping(
        folder, ["$1,100.04"] * (n // 12))),
}


def _table(folder: Path, n: int) -> Path:
    table = folder / "t"
    table.mkdir(exist_ok=True)
    steps = n // 12
    (table / "steps.csv").write_text("process,id,name\n" + "".join(
        f"p,s{i},'{'x' * 3}\n" for i in range(steps)))
    (table / "flows.csv").write_text("process,from,to\n" + "".join(
        f"p,s{i},s{i + 1}\n" for i in range(steps - 1)))
    return table


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_loader_reads_adversarial_input_in_linear_time(tmp_path, case):
    fmt, n, build = CASES[case]
    (tmp_path / "n").mkdir()
    (tmp_path / "4n").mkdir()
    small, small_outcome = timed(fmt, build(tmp_path / "n", n))
    large, large_outcome = timed(fmt, build(tmp_path / "4n", 4 * n))
    for outcome in (small_outcome, large_outcome):
        assert outcome.startswith(("loaded", "refused")), f"{case}: {outcome}"
    assert large < ABSOLUTE, f"{case}: 4N took {large:.2f} s (N: {small:.3f} s)"
    assert large < 8 * small + SLACK, (f"{case}: 4N took {large:.3f} s, N {small:.3f} s: "
                                       "more than linear")


def test_compressed_drawio_page_is_refused_past_its_ratio(tmp_path):
    """A deflate bomb: 6 MB of XML in a 6 KB file is refused before it is parsed."""
    path = tmp_path / "bomb.drawio"
    path.write_text(_compressed_page("<mxGraphModel><root>" + " " * 6_000_000
                                     + "</root></mxGraphModel>"))
    assert path.stat().st_size < 20_000
    seconds, outcome = timed("drawio", path)
    assert outcome.startswith("refused") and "decompression bomb" in outcome, outcome
    assert seconds < 1.0
    fine = tmp_path / "fine.drawio"  # an ordinary compressed page still loads
    fine.write_text(_compressed_page('<mxGraphModel><root><mxCell id="0"/><mxCell id="1" '
                                     'parent="0"/><mxCell id="a" value="A" vertex="1" '
                                     'parent="1"/></root></mxGraphModel>'))
    assert timed("drawio", fine)[1] == "loaded"


# -- fuzzing ------------------------------------------------------------------------------------
def _runs(pieces: list[str]) -> st.SearchStrategy[str]:
    """Text of pieces, some repeated up to 1,500 times, and runs of blanks: the runs that
    make parsers backtrack."""
    piece = st.one_of(st.sampled_from(pieces),
                      st.tuples(st.sampled_from(pieces), st.integers(1, 1_500)).map(
                          lambda t: t[0] * t[1]),
                      st.tuples(st.sampled_from(" \t"), st.integers(1, 1_500)).map(
                          lambda t: t[0] * t[1]),
                      st.text(max_size=20))
    return st.lists(piece, max_size=40).map("".join)


def _after(openers: list[str], pieces: list[str]) -> st.SearchStrategy[str]:
    """What opens a construct of the format, a long run of one character, then more: the
    shape of the issue's upload (``a --``, 2,000 spaces, ``x``)."""
    return st.tuples(st.sampled_from(openers), st.sampled_from(" \t-.=[(\"'<&"),
                     st.integers(200, 1_500), _runs(pieces)).map(
        lambda t: t[0] + t[1] * t[2] + t[3])


MERMAID = ["flowchart LR\n", "graph TD;", "a", "b1", " ", "\n", ";", "-->", "---", "-.->", "==>",
           "--", "-.", "==", "-", ".", "=", ">", "<", "&", "|", "|x|", "[", "]", "(", ")", "{",
           "}", "((", "))", "[(", ")]", ":::", '"', "%%", "subgraph ", "end", "x"]
XML = ["<", ">", "/>", "</", '"', "=", " ", "&lt;", "&amp;", "<!--", "-->", "<![CDATA[", "]]>",
       "<mxCell ", 'id="a" ', 'parent="a" ', 'vertex="1" ', 'edge="1" ', 'value="', "<node ",
       "<edge ", "<graph>", "<task ", "<lane ", "<subProcess ", "<sequenceFlow ", "x"]
CSV = ["uid:ID(Step)", ":ID", ":LABEL", ":START_ID", ":END_ID", ":TYPE", "name:int", "{", "}",
       ",", ";", '"', "'", "\n", "\r\n", "\t", "Step", "NEXT", "[]", "1", "x", " "]
YAML = ["map: m\n", "steps:\n", "  - ", "id: a\n", "{", "}", "[", "]", ": ", "- ", "\n", "  ",
        "'", '"', "next: [", "departments: [{name: d, parent: ", "&a ", "*a", "#", "x"]
MAPPING = ["tables:\n", "  - file: d.csv\n", "    label: Opportunity\n",
           "    key: {column: id}\n", "    properties: {amount: {column: a, type: money}}\n",
           "relationships:\n", "{", "}", "[", "]", ": ", "- ", "\n", "x", "*", "?"]
#: format: (file name, pieces, openers of its constructs, prefix)
FUZZ: dict[str, tuple[str, list[str], list[str], str]] = {
    "mermaid": ("f.mmd", MERMAID, ["--", "-.", "==", "-->|", "[", "((", "{", "flowchart"],
                "flowchart LR\n"),
    "drawio": ("f.drawio", XML, ['<mxCell value="', "<", "<!--"],
               "<mxfile><diagram><mxGraphModel><root>"),
    "bpmn": ("f.bpmn", XML, ['<task name="', "<", "<!--"],
             f"<definitions {NS}><process id='p'>"),
    "graphml": ("f.graphml", XML, ['<node id="', "<", "<!--"],
                '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph>'),
    "neo4j-csv": ("f.csv", CSV, ["uid:ID(Step)", "name", '"'], ""),
    "table": ("steps.csv", CSV + ["process,id,name\n", "p,s,"], ["p,s,", '"'],
              "process,id,name\n"),
    "yaml": ("f.yaml", YAML, ["- ", "name: ", "'", "["], "map: m\nsteps: [{id: a}]\n"),
    "mapping": ("f.yaml", MAPPING, ["- ", "file: ", "'", "["], ""),
}
FUZZ_CASES = {"examples per loader": EXAMPLES, "loaders": len(FUZZ)}


@pytest.mark.parametrize("fmt", sorted(FUZZ))
def test_fuzz_each_loader_loads_or_refuses_quickly(tmp_path_factory, fmt):
    """Every input loads or raises ErmError, within 2 s (hypothesis' deadline)."""
    name, pieces, openers, prefix = FUZZ[fmt]
    folder = tmp_path_factory.mktemp(f"fuzz-{fmt}")
    path = folder / name
    target = folder if fmt == "table" else path
    (folder / "d.csv").write_text("id,a\n1,$1\n")

    @settings(max_examples=EXAMPLES, deadline=2_000, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(_runs(pieces).map(lambda text: prefix + text), _runs(pieces),
                     _after(openers, pieces).map(lambda text: prefix + "a " + text)))
    def run(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            read(fmt, target)
        except ErmError as exc:
            assert str(exc) and "Traceback" not in str(exc)

    run()


# -- the served app: a stuck upload blocks no one -----------------------------------------------
SLOW_LOADER = '''
"""A loader stuck in a backtracking regular expression, which holds the GIL: in the server's
own process it would freeze every request."""
import os
import re
from pathlib import Path


class SlowTest:
    format = "slowtest"
    extensions = (".slow",)
    description = "test loader that never finishes"
    priority = 50

    def detect(self, path, head, options):
        return path.suffix == ".slow"

    def read(self, source, ctx):
        Path(os.environ["ERM_TEST_SLOW_PID"]).write_text(str(os.getpid()))
        re.match(r"(a|aa)+$", "a" * 60 + "b")  # hours, without releasing the GIL
        return ctx.result(source)


LOADER = SlowTest()
'''


@pytest.fixture
def served(tmp_path):
    """`erm serve` on loopback (no users: the local admin) with the slow loader installed."""
    (tmp_path / "loaders").mkdir()
    (tmp_path / "loaders" / "slowtest.py").write_text(SLOW_LOADER)
    env = {"ERM_LOADERS_PATH": str(tmp_path / "loaders"), "ERM_WEB_LOAD_TIMEOUT": "4",
           "ERM_TEST_SLOW_PID": str(tmp_path / "slow.pid"),
           "ERM_USERS_DB": str(tmp_path / "users.db")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    port = free_port()
    try:
        proc = start_server(f"embedded:{tmp_path / 'db'}", port)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/")
    client.headers["x-csrf-token"] = client.cookies.get("erm_csrf") or ""
    yield client, tmp_path
    client.close()
    stop_server(proc)


def test_viewer_is_served_while_an_upload_is_stuck_and_the_upload_is_stopped(served):
    client, folder = served
    before = client.get("/api/summary").json()

    answer: dict = {}

    def upload() -> None:
        started = time.monotonic()
        r = client.post("/api/load", files={"file": ("stuck.slow", b"aaaa")})
        answer.update(status=r.status_code, body=r.json(), seconds=time.monotonic() - started)

    uploader = threading.Thread(target=upload)
    uploader.start()
    deadline = time.monotonic() + 10
    while not (folder / "slow.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (folder / "slow.pid").exists(), "the upload never reached its loader"
    waits = []
    for _ in range(5):  # a viewer's requests while the loader spins
        started = time.monotonic()
        assert client.get("/api/legend").status_code == 200
        waits.append(time.monotonic() - started)
        time.sleep(0.2)
    uploader.join(30)
    assert max(waits) < 1.5, f"a viewer waited {max(waits):.1f} s behind the upload"
    assert answer["status"] == 422, answer
    assert answer["body"]["error"]["kind"] == "load_timeout"
    assert "4 s limit" in answer["body"]["error"]["message"]
    assert answer["seconds"] < 12
    pid = int((folder / "slow.pid").read_text())
    with pytest.raises(ProcessLookupError):  # the reader was killed, not left spinning
        os.kill(pid, 0)
    assert client.get("/api/summary").json() == before, "nothing was written"


def test_worker_errors_come_back_as_the_loaders_errors(tmp_path):
    """A refusal inside the worker reaches the caller as the same ErmError, message and all."""
    from erm_graph.errors import ValidationError
    from erm_graph.ingest.worker import read_in_child

    path = tmp_path / "x.mmd"
    path.write_text("not a flowchart\n")
    with pytest.raises(ErmError, match=r"x\.mmd: line 1: expected 'flowchart TD'"):
        read_in_child([path], "mermaid", LoadOptions(), 30)
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables: [{file: a.csv, label: Nope, key: {column: k}}]\n")
    with pytest.raises(ValidationError, match="tables/0/label") as caught:
        read_in_child([bad], "mapping", LoadOptions(), 30)
    assert caught.value.problems[0].field == "tables/0/label"
    good = tmp_path / "ok.mmd"
    good.write_text("flowchart LR\n a --> b\n")
    sources, _ = read_in_child([good], "auto", LoadOptions(), 30)
    assert sources[0].batch.relationships[("NEXT", "Step", "Step")][0]["end"] == "ok/flowchart/b"


def test_an_upload_beyond_the_slots_is_told_to_retry(store, tmp_path):
    from fastapi.testclient import TestClient

    from erm_graph.settings import Settings
    from erm_graph.web import create_app

    app = create_app(Settings.from_env(users_db=tmp_path / "u.db", web_load_workers=1),
                     store=store)
    app.state.load_slots.wait = 0.1
    upload = {"file": ("a.mmd", b"flowchart LR\n a --> b\n")}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.get("/")
        client.headers["x-csrf-token"] = client.cookies.get("erm_csrf")
        with app.state.load_slots.taken():  # the one slot is busy
            busy = client.post("/api/load", files=upload)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert busy.json()["error"]["kind"] == "busy"
        assert store.run("MATCH (n) RETURN count(n)").rows[0][0] == 0
        done = client.post("/api/load", files=upload)  # the slot is free again
        assert done.status_code == 200, done.text
        assert done.json()["labels"]["Step"]["created"] == 2
