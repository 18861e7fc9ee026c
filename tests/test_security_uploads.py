"""Uploaded files and what they expand to (issue 18, items 1, 7, 10, 13): a mapping cannot
read files outside the upload or the folder the user named, no error echoes a file, and
bombs (YAML aliases and nesting, zip and deflate, padded workbooks, long CSV fields) are
refused quickly and in bounded memory with an error naming file, line and field.

The exploits go through the real web app with an editor's token and through the CLI; the
readers are then fuzzed (hypothesis) with structured bombs under a time and memory bound.
"""

from __future__ import annotations

import base64
import io
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erm_graph.auth import Users, audit
from erm_graph.ingest import LoadContext, LoadError, LoadOptions, untrusted, yaml_reader
from erm_graph.ingest.load import load
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

SECRET = "TOP-SECRET-" + "x" * 200
FUZZ_CASES: dict[str, int] = {}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The app on an empty embedded store, an editor's token, and the audit file."""
    folder = tmp_path_factory.mktemp("uploads")
    users = Users.open(folder / "users.db")
    users.add("root", "admin", password="correct horse battery")
    users.add("ed", "editor", password="correct horse battery")
    token = users.new_token("ed")
    store = open_store(f"embedded:{folder / 'db'}")
    settings = Settings.from_env(users_db=folder / "users.db", web_host="0.0.0.0",
                                 web_max_body=400_000, query_timeout=10)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        client.headers["authorization"] = f"Bearer {token}"
        yield client, store, users
    users.close()
    store.close()


def upload(client, name: str, data: bytes, **form) -> tuple[int, dict, float]:
    """(status, JSON body, seconds) of an upload; the process's peak memory may not grow by
    256 MB (several times less than the reported bombs took). The fuzz tests below trace
    allocations exactly; here that would slow the engine-backed request too much."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    r = client.post("/api/load", files={"file": (name, data)}, data={"dry_run": "true", **form})
    seconds = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown < 256, f"{name}: peak memory grew {grown:.0f} MB"
    return r.status_code, r.json(), seconds


def cli(store_url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``erm load ARGS`` in a real process; its output with rich's line wrapping undone."""
    done = subprocess.run([sys.executable, "-c", "from erm_graph.cli import main; main()",
                           "--db", store_url, "load", *args], capture_output=True, text=True,
                          timeout=120, check=False, cwd=cwd, env={**os.environ,
                                                                  "COLUMNS": "2000"})
    done.stderr = " ".join(done.stderr.split())
    return done


# -- item 1: a mapping reads only files beside it ------------------------------------------------
OUTSIDE = ["../../../../proc/self/environ", "/proc/self/environ", "/etc/passwd",
           "sub/../../x.csv", "..", "..\\..\\x.csv", "C:\\x.csv", "\\\\host\\share\\x.csv"]


@pytest.mark.parametrize("pattern", OUTSIDE)
def test_mapping_file_outside_the_upload_is_refused_on_the_web(web, pattern):
    client, _, _ = web
    for key, table in (("tables", f"{{file: '{pattern}', label: Customer, "
                                  "key: {column: nope}}"),
                       ("relationships", f"{{file: '{pattern}', type: WORKS_FOR, start: "
                                         "{label: Contact, column: a}, end: {label: Party, "
                                         "column: b}}")):
        status, body, _ = upload(client, "m.yaml", f"{key}: [{table}]\n".encode())
        message = body["error"]["message"]
        assert status == 400, (pattern, body)
        assert f"field '{key}/0/file'" in message, message
        assert "erm-upload-" not in message, "no temporary path"
        for value in list(os.environ.values())[:20]:
            assert len(value) < 8 or value not in message, "no environment in the error"


@pytest.mark.parametrize("pattern", ["a**", ".", "", "*/.."])
def test_mapping_file_patterns_pathlib_cannot_match_are_a_400(web, pattern):
    client, _, _ = web
    status, body, _ = upload(client, "m.yaml", f"tables: [{{file: '{pattern}', label: "
                             "Customer, key: {column: uid}}]\n".encode())
    assert status == 400 and "field 'tables/0/file'" in body["error"]["message"], body


def test_the_reported_environ_leak_is_closed(web):
    client, _, _ = web
    status, body, _ = upload(client, "m.yaml", b'tables: [{file: "../../../../proc/self/'
                             b'environ", label: Customer, key: {column: nope}}]\n')
    assert status == 400 and body["error"]["kind"] == "validation"
    assert "PATH=" not in body["error"]["message"] and "HOME=" not in body["error"]["message"]


def test_mapping_links_out_of_its_folder_are_refused_on_the_cli(store_url, tmp_path):
    secret = tmp_path / "private" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text(f"uid,name\n{SECRET},x\n")
    secret.chmod(0o600)
    folder = tmp_path / "maps"
    folder.mkdir()
    (folder / "customers.csv").symlink_to(secret)
    (folder / "m.yaml").write_text("tables: [{file: '*.csv', label: Customer, "
                                   "key: {column: uid}}]\n")
    (folder / "up.yaml").write_text("tables: [{file: '../private/*.csv', label: Customer, "
                                    "key: {column: uid}}]\n")
    for mapping, field in (("m.yaml", "tables/0/file"), ("up.yaml", "tables/0/file")):
        done = cli(store_url, str(folder / mapping))
        assert done.returncode == 1, done.stdout + done.stderr
        assert field in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert SECRET[:20] not in done.stdout + done.stderr
    store = open_store(store_url)
    try:
        assert store.run("MATCH (n) RETURN count(n)").rows[0][0] == 0
    finally:
        store.close()


def test_mapping_files_inside_the_folder_still_load(store, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.csv").write_text("uid,name\nc1,Acme\n")
    (tmp_path / "m.yaml").write_text("tables: [{file: 'sub/*.csv', label: Customer, "
                                     "key: {column: uid}, properties: {name: {column: name}}}]"
                                     "\n")
    assert load(store, tmp_path / "m.yaml").total("created") == 1


def test_errors_quote_no_more_than_a_short_value(store, tmp_path):
    """A header or a cell reaches an error only cut short: file, row and field locate it."""
    (tmp_path / "c.csv").write_text(f"{SECRET},name\nc1,{SECRET}\n")
    (tmp_path / "m.yaml").write_text("tables: [{file: c.csv, label: Customer, "
                                     "key: {column: uid}}]\n")
    with pytest.raises(LoadError) as caught:
        load(store, tmp_path / "m.yaml")
    assert "no column 'uid'" in str(caught.value) and SECRET not in str(caught.value)
    (tmp_path / "m.yaml").write_text(f"tables: [{{file: c.csv, label: Customer, key: "
                                     f"{{column: name}}, properties: {{since: {{column: "
                                     f"'{SECRET}', type: date}}}}}}]\n")
    report = load(store, tmp_path / "m.yaml", on_error="skip", dry_run=True,
                  rejects_file=tmp_path / "r.csv")
    (problem,) = report.rejected
    assert "c.csv#2" in str(problem) and SECRET not in str(problem)
    assert len(problem.as_dict()["got"]) < 120


# -- item 13: upload errors and audit targets name the file as sent ------------------------------
def test_upload_errors_and_audit_name_the_file_as_sent(web):
    client, _, users = web
    status, body, _ = upload(client, "broken.bpmn", b"<definitions", dry_run="false")
    assert status == 400 and body["error"]["message"].startswith("broken.bpmn: ")
    assert "/tmp" not in body["error"]["message"]
    status, body, _ = upload(client, "ok.mmd", b"flowchart LR\n  a --> b\n", dry_run="false")
    assert status == 200, body
    loads = audit.events(users.conn, action="load")  # in the app's own audit trail
    assert [e["target"] for e in loads if "ok.mmd" in e["target"]] == ["ok.mmd"]


# -- items 7 and 10: bombs and errors that read as outages ---------------------------------------
def alias_bomb(width: int = 9, levels: int = 9) -> str:
    """The "billion laughs" of YAML: each level lists the previous one ``width`` times."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]"
              for i in range(1, levels)]
    return "map: bomb\nsteps: [{id: a}]\n" + "\n".join(lines) + "\n"


def deep_yaml(depth: int) -> str:
    return "tables:\n" + "".join("  " * (i + 1) + "- \n" for i in range(depth)) + \
        "  " * (depth + 1) + "x\n"


WEB_BOMBS = {
    "alias-bomb.yaml": (alias_bomb().encode(), "aliases are expanded"),
    "alias-bomb-map.yaml": (alias_bomb().replace("map: bomb\nsteps: [{id: a}]\n", "tables:\n")
                            .encode(), "aliases are expanded"),
    "deep.yaml": (deep_yaml(500).encode(), "nested deeper than 64 levels"),
    "deep-flow.yaml": (b"tables: " + b"[" * 100_000, "nested deeper than 64 levels"),
    "deep.json": (b'{"map": "x", "steps": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
                  "nested deeper than 64 levels"),
}


@pytest.mark.parametrize("name", WEB_BOMBS)
def test_yaml_and_json_bombs_through_the_web(web, name):
    client, _, _ = web
    data, expected = WEB_BOMBS[name]
    status, body, seconds = upload(client, name, data)
    assert status == 400, body
    assert expected in body["error"]["message"] and name in body["error"]["message"]
    assert "line" in body["error"]["message"] or name.endswith(".json")
    assert seconds < 5


def test_yaml_within_the_limits_keeps_its_anchors_and_merge_keys():
    text = ("base: &base {type: date, format: dd/mm/yyyy}\n"
            "a: {<<: *base, column: Opened}\nb: [*base, *base]\n" + "c: " + "[" * 60 + "1"
            + "]" * 60 + "\n")
    doc = yaml_reader.load_yaml(text, "ok.yaml")
    assert doc["a"] == {"type": "date", "format": "dd/mm/yyyy", "column": "Opened"}
    assert doc["b"][1]["format"] == "dd/mm/yyyy"
    with pytest.raises(LoadError, match="ok.yaml: not valid YAML at line 1, column 68: "
                                        "nested deeper than 64 levels"):
        yaml_reader.load_yaml("c: " + "[" * 70 + "1" + "]" * 70, "ok.yaml")


@pytest.mark.slow
def test_yaml_bombs_through_the_cli(store_url, tmp_path):
    for name, (data, expected) in WEB_BOMBS.items():
        path = tmp_path / name
        path.write_bytes(data)
        started = time.perf_counter()
        done = cli(store_url, str(path), "--dry-run")
        assert done.returncode == 1 and expected in done.stderr, (name, done.stderr[-500:])
        assert "Traceback" not in done.stderr and time.perf_counter() - started < 60


def workbook(sheet_rows: bytes, dimension: str = "") -> bytes:
    """A minimal .xlsx whose one sheet holds ``sheet_rows`` (``<row>`` elements)."""
    main = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{main}/package/2006/content-types"><Default '
        'Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet'
        '+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{main}/package/2006/relationships"><Relationship'
        f' Id="rId1" Type="{main}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}/spreadsheetml/2006/main" xmlns:r="{main}'
        '/officeDocument/2006/relationships"><sheets><sheet name="steps" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{main}/package/2006/relationsh'
        f'ips"><Relationship Id="rId1" Type="{main}/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    header = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>process</t></is></c>'
              b'<c r="B1" t="inlineStr"><is><t>id</t></is></c></row>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main}/spreadsheetml/'
                         f'2006/main">{dimension}<sheetData>'.encode() + header + sheet_rows
                         + b"</sheetData></worksheet>")
    return out.getvalue()


ROW = b'<row><c t="inlineStr"><is><t>p</t></is></c><c t="inlineStr"><is><t>s</t></is></c></row>'
XLSX_BOMBS = {
    # the reported bomb's shape (docs/testing.md), smaller: 22 MB of sheet XML in about 60 KB
    "zip-bomb.xlsx": (workbook(ROW * 250_000), "bytes decompressed"),
    # a stated dimension padded every row to 16,384 cells; a far row number adds empty rows
    "dimension.xlsx": (workbook(b''.join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i)
                                         for i in range(2, 3000)),
                                '<dimension ref="A1:XFD1048576"/>'), None),
    "far-row.xlsx": (workbook(b'<row r="9000000"><c r="A9000000"><v>1</v></c></row>'),
                     "cells (rows times header columns)"),
    "far-cells.xlsx": (workbook(b"".join(b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>'
                                         % (i, i) for i in range(2, 20_000))), None),
}


@pytest.mark.parametrize("name", XLSX_BOMBS)
def test_workbook_bombs_through_the_web(web, name):
    client, _, _ = web
    data, expected = XLSX_BOMBS[name]
    assert len(data) < 400_000
    status, body, seconds = upload(client, name, data)
    if expected:
        assert status == 400 and expected in body["error"]["message"], body
        assert body["error"]["message"].startswith(f"{name}: ")
    else:
        assert status in (200, 400), body
    assert seconds < 15, f"{name}: {seconds:.1f} s"


def test_workbook_bomb_through_the_cli(store_url, tmp_path):
    path = tmp_path / "zip-bomb.xlsx"
    path.write_bytes(XLSX_BOMBS["zip-bomb.xlsx"][0])
    done = cli(store_url, str(path), "--dry-run")
    assert done.returncode == 1 and "compression bomb" in done.stderr, done.stderr[-500:]


def test_drawio_deflate_bomb_through_the_web(web):
    client, _, _ = web
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    page = base64.b64encode(packer.compress(b"A" * 100_000_000) + packer.flush())
    data = b'<mxfile><diagram id="p" name="x">' + page + b"</diagram></mxfile>"
    status, body, seconds = upload(client, "bomb.drawio", data)
    assert status == 400 and "bytes inflated" in body["error"]["message"], body
    assert seconds < 5


def test_a_csv_field_past_128_kb_names_file_line_and_column(web, store_url, tmp_path):
    client, _, _ = web
    data = b':ID,name,:LABEL\n1,ok,Customer\n2,"' + b"x" * 140_000 + b'\n3,z,Customer\n'
    status, body, _ = upload(client, "people.csv", data, format="neo4j-csv")
    message = body["error"]["message"]
    assert status == 400 and "people.csv: line 3: field 'name' (column 2)" in message, body
    assert "x" * 100 not in message
    (tmp_path / "c.csv").write_text("uid,name,note\nc1,a,b\nc2,b,\"" + "y" * 140_000 + "\n")
    (tmp_path / "m.yaml").write_text("tables: [{file: c.csv, label: Customer, "
                                     "key: {column: uid}}]\n")
    done = cli(store_url, str(tmp_path / "m.yaml"), "--dry-run")
    assert done.returncode == 1, done.stderr[-500:]
    assert "c.csv: line 3: field 'note' (column 3)" in done.stderr, done.stderr[-500:]


# -- fuzzing the readers: structured bombs under a time and a memory bound -----------------------
def bounded(kind: str, seconds: float, megabytes: int, run,
            allowed: tuple[type[Exception], ...] = (), traced: bool = True) -> None:
    """Run ``run()``: it returns or raises LoadError (or one of ``allowed``, which its
    caller turns into one), within ``seconds`` and ``megabytes`` of traced Python memory;
    count the case. ``traced``: measure with tracemalloc (exact, but it slows openpyxl's
    row loop 30-fold), else by the growth of the process's peak resident memory."""
    FUZZ_CASES[kind] = FUZZ_CASES.get(kind, 0) + 1
    if traced:
        tracemalloc.start()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    try:
        run()
    except LoadError as exc:
        assert str(exc) and "Traceback" not in str(exc)
    except allowed:
        pass
    finally:
        if traced:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss
    took = time.perf_counter() - started
    assert took < seconds, f"{kind}: {took:.1f} s"
    assert peak < megabytes * 2**20, f"{kind}: {peak / 2**20:.0f} MB"


def _nested(depth: int, flow: bool, mapping: bool, closed: bool) -> str:
    if flow:
        opening, closing = ("{a: ", "}") if mapping else ("[", "]")
        return opening * depth + "x" + (closing * depth if closed else "")
    step = "k:\n" if mapping else "-\n"
    depth = min(depth, 1_500)  # the text grows with the square of the depth
    return "".join("  " * i + step for i in range(depth)) + "  " * depth + "x\n"


YAML_DOCS = st.one_of(
    st.builds(alias_bomb, st.integers(2, 12), st.integers(2, 30)),
    st.builds(lambda w, n: "a: &a {x: 1, y: 2}\n" + "".join(
        f"m{i}: &m{i} {{<<: [{', '.join([f'*{prev}'] * w)}], k{i}: 1}}\n"
        for i, prev in enumerate(["a", *[f"m{j}" for j in range(n)]][:n])),
        st.integers(2, 6), st.integers(2, 40)),
    st.builds(_nested, st.integers(1, 20_000), st.booleans(), st.booleans(), st.booleans()),
    st.text(max_size=2000),
    st.builds(lambda a, b: a + "\n" + b, st.text(max_size=200),
              st.sampled_from(["&a [1]", "*a", "<<: *a", "!!python/object:os.system x",
                               "? [a]\n: b", "{[[[[", "'''", "%YAML 1.1\n---\n"])),
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(YAML_DOCS)
def test_fuzz_the_yaml_reader(text):
    bounded("yaml", 5, 128, lambda: yaml_reader.load_yaml(text, "fuzz.yaml"))


@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.integers(1, 200_000), st.booleans(), st.booleans())
def test_fuzz_the_json_reader(depth, objects, closed):
    opening, closing = ('{"a":', "}") if objects else ("[", "]")
    text = opening * depth + "1" + (closing * depth if closed else "")
    bounded("json", 5, 128, lambda: yaml_reader.load_json(text, "fuzz.json"))


def _lying(data: bytes, member: str, declared: int) -> bytes:
    """``data`` with ``member``'s stated uncompressed size changed in both zip headers."""
    out = bytearray(data)
    name = member.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(signature + b"", 0)
        while at != -1:
            end = at + (30 if signature == b"PK\x03\x04" else 46)
            if out[end:end + len(name)] == name:
                out[at + offset:at + offset + 4] = declared.to_bytes(4, "little")
            at = out.find(signature, at + 4)
    return bytes(out)


XLSX_CASES = st.one_of(
    st.builds(lambda n: workbook(ROW * n), st.integers(0, 300_000)),
    st.builds(lambda r, col: workbook(b'<row r="%d"><c r="%s%d"><v>1</v></c></row>'
                                      % (r, col.encode(), r)),
              st.integers(2, 50_000_000), st.sampled_from(["A", "B", "Z", "AAA", "XFD"])),
    st.builds(lambda n, dim: workbook(ROW * n, f'<dimension ref="A1:{dim}"/>'),
              st.integers(0, 2_000), st.sampled_from(["B2", "XFD1048576", "ZZ99999"])),
    st.builds(lambda n, declared: _lying(workbook(ROW * n), "xl/worksheets/sheet1.xml",
                                         declared), st.integers(1, 200_000),
              st.integers(0, 2**32 - 1)),
    st.binary(max_size=3000),
)


def test_fuzz_the_workbook_reader(tmp_path):
    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(XLSX_CASES)
    def run(data: bytes) -> None:
        path = tmp_path / "fuzz.xlsx"
        path.write_bytes(data)
        bounded("xlsx", 20, 256, lambda: LoadContext("table", "fuzz").sheets(path), traced=False)

    run()


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.integers(0, 60_000_000), st.integers(0, 8), st.binary(max_size=64))
def test_fuzz_deflate(size, cut, tail):
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = (packer.compress(b"A" * size) + packer.flush())[:-cut or None] + tail
    most = untrusted.limit(len(data), LoadOptions(max_mb=512).max_bytes)
    bounded("deflate", 5, 256, lambda: untrusted.inflate(data, "fuzz.drawio", most))


@pytest.mark.slow  # counts the cases of the fuzz tests, the YAML one slow among them
def test_fuzz_cases_ran():
    """The counts for the record (pytest -s prints them)."""
    print("fuzz cases:", FUZZ_CASES, "total", sum(FUZZ_CASES.values()))
    assert sum(FUZZ_CASES.values()) >= 200 or not FUZZ_CASES
