"""The analysts' console behind the page (issue 19 item 8): errors placed at their line and
column, a refused write in words for the web, the model's vocabulary for completion, and a
running query its user stops in the engine (erm_graph/query/adhoc.py, erm_graph/web/
console_runs.py, erm_graph/web/routers/cypher.py, FalkorDBStore.stop_read)."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from fastapi.testclient import TestClient

from erm_graph.errors import QueryCancelled, QueryError, ReadOnlyError, UnsupportedQuery
from erm_graph.query import run_cypher
from erm_graph.query.cypher_text import CypherSyntaxError
from erm_graph.query.guard import MAX_NESTING
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app
from tests.test_model_extension import EXTENSION

LOCAL = "http://127.0.0.1"
#: a read that keeps one engine thread busy for far longer than any test waits
LONG = ("UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b UNWIND range(1, 1000) AS c "
        "RETURN count(*)")


@pytest.mark.parametrize(("text", "where"), [
    ("MATCH (c:Customer RETURN c", (1, 19)),
    ("\n  MATCH (c:Customer)\nRETRUN c", (3, 4)),  # leading space stripped, lines counted
    ("MATCH (c:Customer)\nRETURN nosuch", (2, 8)),  # the engine names it but not where
    ("MATCH (c)\nRETURN nosuchfunction(c)", (2, 8)),
    ("RETURN 1 +", (1, 11)),
])
def test_an_engine_error_carries_its_line_and_column(demo_store, text, where):
    with pytest.raises(QueryError) as caught:
        run_cypher(demo_store, text)
    assert caught.value.position == where
    assert f"(line {where[0]}, column {where[1]})" in str(caught.value)
    assert "errCtx" not in str(caught.value) and "errMsg" not in str(caught.value)
    # parameters (and a run id) travel in a header before the text: the place stays the same
    with pytest.raises(QueryError) as with_params:
        run_cypher(demo_store, text, {"some": "value " * 20}, run_id="a-run-id-1")
    assert with_params.value.position == where


def test_the_guard_and_the_lexer_place_their_refusals_too(demo_store):
    deep = "RETURN 1,\n" + "[" * (MAX_NESTING + 1) + "1" + "]" * (MAX_NESTING + 1)
    with pytest.raises(UnsupportedQuery) as caught:
        run_cypher(demo_store, deep)
    assert caught.value.position == (2, MAX_NESTING + 1)
    with pytest.raises(CypherSyntaxError) as unclosed:
        run_cypher(demo_store, "MATCH (c)\nRETURN 'open")
    assert unclosed.value.position == (2, 8)


def test_a_syntax_error_on_the_web_answers_line_and_column(demo_store):
    with TestClient(create_app(Settings.from_env(), store=demo_store), base_url=LOCAL) as client:
        r = client.post("/api/cypher", json={"query": "MATCH (c:Customer)\nRETRUN c"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert (error["line"], error["column"]) == (2, 4)
    assert error["message"].startswith("the query's syntax is wrong: found 'R' where RETURN")


def test_a_refused_write_is_explained_for_the_web_role(demo_store):
    text = "MATCH (c:Customer)\nWITH c LIMIT 1\nSET c.segment = 'x'"
    with pytest.raises(ReadOnlyError) as as_analyst:
        run_cypher(demo_store, text, role="analyst")
    message = str(as_analyst.value)
    assert "This console only reads the graph" in message and "Nothing was changed" in message
    assert "SET at line 3, column 1" in message and "ask an editor" in message
    assert "--write" not in message and "read_only=False" not in message
    assert as_analyst.value.position == (3, 1)
    with pytest.raises(ReadOnlyError) as as_editor:
        run_cypher(demo_store, text, role="editor")
    assert "on their own pages" in str(as_editor.value)
    assert "ask an editor" not in str(as_editor.value)
    with pytest.raises(ReadOnlyError) as cli:  # the CLI keeps the message that names --write
        run_cypher(demo_store, text)
    assert "--write" in str(cli.value)
    with TestClient(create_app(Settings.from_env(), store=demo_store), base_url=LOCAL) as client:
        r = client.post("/api/cypher", json={"query": text})
    assert r.status_code == 403 and r.json()["error"]["line"] == 3
    assert "Traceback" not in r.text and "RO_QUERY" not in r.text


def test_the_vocabulary_is_the_model_in_force_with_its_extension(demo_store, tmp_path):
    extension = tmp_path / "acme-model.yaml"
    extension.write_text(EXTENSION)
    settings = Settings.from_env().replace(model_extension=extension)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as client:
        body = client.get("/api/vocabulary").json()
    labels = {lab["name"]: lab for lab in body["labels"]}
    assert {"Customer", "Employee", "Warehouse"} <= set(labels)
    assert "credit_limit" in {p["name"] for p in labels["Customer"]["properties"]}
    assert "uid" in {p["name"] for p in labels["Warehouse"]["properties"]}
    types = {rel["name"]: rel for rel in body["relationships"]}
    assert types["STORES"]["from"] == ["Warehouse"] and "MANAGES" in types
    assert {"credit_limit", "quantity", "name"} <= set(body["properties"])
    with TestClient(create_app(Settings.from_env(), store=demo_store), base_url=LOCAL) as client:
        plain = client.get("/api/vocabulary").json()
    assert "Warehouse" not in {lab["name"] for lab in plain["labels"]}


def _running(store) -> list:
    """The queries the engine is running now (GRAPH.INFO's first section)."""
    conn = redis.Redis(unix_socket_path=str(store._server.socket))
    try:
        return conn.execute_command("GRAPH.INFO", "RunningQueries")[1]
    finally:
        conn.close()


def _reached(store, tag: str) -> bool:
    """Whether the read tagged ``tag`` has reached the engine, within 10 s: another query
    running (the store's own checks) is not it, and a loaded machine starts a thread late."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        conn = redis.Redis(unix_socket_path=str(store._server.socket))
        try:
            if tag in str(conn.execute_command("GRAPH.INFO")):
                return True
        finally:
            conn.close()
        time.sleep(0.05)
    return False


@pytest.fixture
def own_engine(tmp_path):
    """An engine of this test's own: stopping a query restarts it."""
    store = open_store(f"embedded:{tmp_path / 'db'}")
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    yield store
    store.close()


def test_a_stopped_read_frees_the_engine_at_once(own_engine):
    outcome: dict[str, object] = {}

    def long_read() -> None:
        started = time.monotonic()
        try:
            run_cypher(own_engine, LONG, timeout=60, run_id="test-run-1")
        except Exception as exc:  # noqa: BLE001 (the test reads what it was)
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=long_read)
    worker.start()
    assert _reached(own_engine, "test-run-1"), "the long read never reached the engine"
    assert own_engine.stop_read("another-run") is False  # only the tagged query is stopped
    assert own_engine.stop_read("test-run-1") is True
    worker.join(20)
    assert not worker.is_alive()
    assert isinstance(outcome["error"], QueryCancelled)  # not sent again after the restart
    assert outcome["seconds"] < 15
    assert _running(own_engine) == []
    started = time.monotonic()
    assert own_engine.run("MATCH (c:Customer) RETURN c.name").rows == [["Acme"]]
    assert time.monotonic() - started < 2
    assert own_engine.stop_read("test-run-1") is False  # nothing runs under that tag now
    # a second stop so soon would restart the engine again: that read ends at its timeout
    again, outcome = _in_thread(lambda: run_cypher(own_engine, LONG, timeout=3,
                                                   run_id="test-run-2"))
    assert _reached(own_engine, "test-run-2")
    assert own_engine.stop_read("test-run-2") is False
    again.join(20)
    assert type(outcome["error"]).__name__ == "QueryTimeout"


def test_the_console_route_stops_only_its_users_run(own_engine):
    app = create_app(Settings.from_env(query_timeout=60), store=own_engine)
    answers: dict[str, object] = {}
    with TestClient(app, base_url=LOCAL) as client:
        def long_read() -> None:
            answers["long"] = client.post("/api/cypher", json={"query": LONG,
                                                                "run_id": "page-run-0001"})

        worker = threading.Thread(target=long_read)
        worker.start()
        assert _reached(own_engine, "page-run-0001")
        # a JSON body, as the page sends: an unsafe request with a cookie needs one or a token
        mine = client.post("/api/cypher/runs/not-this-one/cancel", json={})
        stopped = client.post("/api/cypher/runs/page-run-0001/cancel", json={})
        assert mine.status_code == 404, mine.text
        assert stopped.status_code == 200 and stopped.json() == {"stopped": True}
        worker.join(20)
        long = answers["long"]
        assert long.status_code == 409 and long.json()["error"]["kind"] == "cancelled"
        started = time.monotonic()
        quick = client.post("/api/cypher", json={"query": "MATCH (c:Customer) RETURN c.name"})
        assert quick.status_code == 200 and quick.json()["rows"] == [["Acme"]]
        assert time.monotonic() - started < 2
        assert _running(own_engine) == []
        again = client.post("/api/cypher/runs/page-run-0001/cancel", json={})
        assert again.status_code == 404  # it has ended


def test_the_vendored_editor_is_the_pinned_codemirror_with_its_licence():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("vendor_js", root / "tools" / "vendor_js.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    version, files = module.PINS["codemirror"]
    folder = root / "erm_graph" / "web" / "static" / "vendor" / "codemirror"
    for name in files.values():
        assert (folder / name).is_file(), f"{name} missing: run `make vendor`"
    assert f'CodeMirror.version = "{version}"' in (folder / "codemirror.js").read_text()
    assert 'defineMode("cypher"' in (folder / "cypher.js").read_text()
    assert "MIT License" in (folder / "LICENSE").read_text()


def _in_thread(call) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:  # noqa: BLE001 (the test reads what it was)
            outcome["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    return worker, outcome


def test_no_restart_while_a_load_or_a_write_is_under_way(own_engine):
    """Stopping a read restarts the engine: never under a load (between its batches no client
    waits, so only the load lock tells) nor while a write runs; the read then ends at its
    timeout, as it would have."""
    read, read_out = _in_thread(lambda: run_cypher(own_engine, LONG, timeout=4,
                                                   run_id="read-under-load"))
    assert _reached(own_engine, "read-under-load")
    deadline = time.monotonic() + 10
    with own_engine.load_lock():
        assert own_engine.stop_read("read-under-load") is False
    slow_write = ("UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b "
                  "UNWIND range(1, 1000) AS c WITH c WHERE c < 0 CREATE (:Probe) RETURN 1")
    write, write_out = _in_thread(lambda: run_cypher(own_engine, slow_write, write=True,
                                                     timeout=3))
    while len(_running(own_engine)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert own_engine.stop_read("read-under-load") is False
    read.join(20)
    write.join(20)
    assert type(read_out["error"]).__name__ == "QueryTimeout"  # ended at its own timeout
    assert type(write_out["error"]).__name__ == "QueryTimeout"
    assert own_engine.run("MATCH (c:Customer) RETURN c.name").rows == [["Acme"]]
