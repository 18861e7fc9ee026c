"""Typed settings: declared once, read once from the environment, refused by name when wrong,
handed to `erm serve`'s workers whole; database URLs parsed in one place."""

from __future__ import annotations

import ast
import dataclasses
import ipaddress
import os
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from erm_graph.database_url import DatabaseURL
from erm_graph.errors import ConfigError
from erm_graph.settings import (
    SETTINGS,
    Secret,
    Settings,
    WorkingHours,
    current,
    declaration,
    default_hint,
)
from erm_graph.web import create_app

PACKAGE = Path(__file__).resolve().parent.parent / "erm_graph"


def test_every_field_is_declared_once_with_the_variable_named_after_it():
    assert [s.name for s in SETTINGS] == [f.name for f in dataclasses.fields(Settings)]
    assert [s.env for s in SETTINGS] == [f"ERM_{s.name.upper()}" for s in SETTINGS]
    assert all(s.help for s in SETTINGS)


def test_the_cli_options_are_made_from_the_declarations():
    import typer.main

    from erm_graph.cli import app

    erm = typer.main.get_command(app)
    db = next(p for p in erm.params if p.name == "db")
    assert (db.envvar, db.default, db.help) == ("ERM_DB", "embedded:", declaration("db").help)
    for command, option, setting in [("cypher", "timeout", "query_timeout"),
                                     ("load", "max_mb", "load_max_mb")]:
        param = next(p for p in erm.commands[command].params if p.name == option)
        assert param.help.endswith(default_hint(setting))
    assert default_hint("query_timeout") == "[default: ERM_QUERY_TIMEOUT or 30]"


def test_the_environment_becomes_typed_values(tmp_path):
    env = {"ERM_DB": f"embedded:{tmp_path}", "ERM_QUERY_TIMEOUT": "2.5", "ERM_ROW_CAP": "9",
           "ERM_NEO4J_PASSWORD": "hunter2", "ERM_NEO4J_DATABASE": "",
           "ERM_LOADERS_PATH": os.pathsep.join(["/a", "", "~/b"]),
           "ERM_WEB_ALLOWED_HOSTS": "a.example, b.example c.example",
           "ERM_TRUSTED_PROXIES": "10.0.0.0/8, ::1", "ERM_USERS_DB": "~/u.db"}
    s = Settings.from_env(env)
    assert s.db == DatabaseURL.parse(f"embedded:{tmp_path}") and s.db.directory == tmp_path
    assert (s.query_timeout, s.row_cap, s.web_row_cap) == (2.5, 9, 2000)
    assert s.neo4j_password.reveal() == "hunter2" and s.neo4j_database is None
    assert s.loaders_path == (Path("/a"), Path.home() / "b")
    assert s.web_allowed_hosts == ("a.example", "b.example", "c.example")
    assert s.trusted_proxies == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))
    assert s.users_db == Path.home() / "u.db"
    assert Settings.from_env({}) == Settings()  # nothing set: the declared defaults


@pytest.mark.parametrize(("env", "text", "says"), [
    ("ERM_QUERY_TIMEOUT", "soon", "'soon' is not a number"),
    ("ERM_QUERY_TIMEOUT", "-1", "'-1' is not a number above 0"),
    ("ERM_WEB_ROW_CAP", "0", "'0' is not 1 or more"),
    ("ERM_WEB_MAX_BODY", "64k", "'64k' is not a whole number"),
    ("ERM_TRUSTED_PROXIES", "127.0.0.1, nginx", "'nginx' is not an address or a network"),
    ("ERM_DB", "mysql://db", "unknown database URL 'mysql://db'"),
])
def test_a_bad_value_is_refused_naming_the_variable_and_the_value(env, text, says):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({env: text})
    assert str(caught.value).startswith(f"{env}: ") and says in str(caught.value)


@pytest.mark.parametrize("url", ["mysql://erm:hunter2@db", "falkordb://:hunter2@db:port",
                                 "neo4j+s://neo4j:hunter2@example.databases.neo4j.io"])
def test_a_refused_url_never_shows_its_password(url):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"ERM_DB": url})
    assert "ERM_DB" in str(caught.value) and "hunter2" not in str(caught.value)


def test_secrets_are_never_printed():
    s = Settings.from_env({"ERM_DB_PASSWORD": "hunter2", "ERM_NEO4J_PASSWORD": "hunter3",
                           "ERM_DB": "falkordb://:hunter4@db:6379/g"})
    for shown in (repr(s), str(s), str(s.db), repr(s.db), f"{s.neo4j_password}"):
        assert "hunter" not in shown, shown
    assert s.db.text.endswith(":hunter4@db:6379/g")  # the driver still gets the URL as given
    assert Secret("x") == Secret("x") and not Secret("")


def test_to_env_round_trips_every_setting(tmp_path):
    """The hand-off to `erm serve`'s workers loses nothing: every field, set away from its
    default, comes back equal from the variables :meth:`Settings.to_env` writes."""
    changed = Settings(
        db=DatabaseURL.parse("falkordb://db.example:7000/other"), data_dir=tmp_path / "data",
        query_timeout=12.5, row_cap=7, db_password=Secret("p1"), neo4j_user="ana",
        neo4j_password=Secret("p2"), neo4j_database="sales", users_db=tmp_path / "u.db",
        load_max_mb=1.5, load_keep_records=5, loaders_path=(tmp_path / "a", tmp_path / "b"),
        web_row_cap=8,
        web_neighbor_cap=9, web_node_cap=10, web_max_body=11, web_load_timeout=4.0,
        web_load_workers=3, web_dashboards=tmp_path / "boards", web_host="0.0.0.0",
        web_allowed_hosts=("a.example", "b.example"),
        trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1")),
        tck_dir=tmp_path / "tck", model_extension=tmp_path / "model.yaml",
        watch_rules=tmp_path / "rules", target_plan=tmp_path / "plan.yaml",
        commission_rules=tmp_path / "commissions.yaml",
        smtp_host="mail.example", smtp_port=465, smtp_tls="ssl", smtp_user="erm",
        smtp_password=Secret("p3"), smtp_from="a@b.example", chromium=tmp_path / "chromium",
        working_hours=WorkingHours((0, 1, 2, 3, 5), "07:30", "16:00"))
    default = Settings()
    unchanged = [f.name for f in dataclasses.fields(Settings)
                 if getattr(changed, f.name) == getattr(default, f.name)]
    assert unchanged == [], "set every field away from its default"
    env = changed.to_env()
    assert set(env) == {s.env for s in SETTINGS}
    assert Settings.from_env(env) == changed
    assert Settings.from_env(default.to_env()) == default


def test_current_follows_the_environment(monkeypatch):
    monkeypatch.setenv("ERM_WEB_NODE_CAP", "123")
    assert current().web_node_cap == 123 and current() is current()  # built once
    monkeypatch.setenv("ERM_WEB_NODE_CAP", "124")
    assert current().web_node_cap == 124


@pytest.mark.parametrize(("text", "engine", "where"), [
    ("embedded:", "embedded", (None, "", 0, "")),
    ("embedded:/srv/erm", "embedded", (Path("/srv/erm"), "", 0, "")),
    ("EMBEDDED:~/erm", "embedded", (Path.home() / "erm", "", 0, "")),
    ("falkordb://db.example", "falkordb", (None, "db.example", 6379, "erm")),
    ("falkordb://db.example:7000/sales", "falkordb", (None, "db.example", 7000, "sales")),
    ("bolt://localhost:7687", "neo4j", (None, "localhost", 7687, "")),
    ("neo4j+s://xxxx.databases.neo4j.io", "neo4j", (None, "xxxx.databases.neo4j.io", 0, "")),
])
def test_database_url_forms(text, engine, where):
    url = DatabaseURL.parse(text)
    assert url.engine == engine and (url.directory, url.host, url.port, url.graph) == where
    assert url.text == text and str(url) == text


@pytest.mark.parametrize("text", ["", "/srv/erm", "mysql://db", "falkordb://db:notaport"])
def test_a_url_no_engine_takes_is_refused(text):
    with pytest.raises(ConfigError):
        DatabaseURL.parse(text)


def test_the_data_dir_of_an_embedded_url(tmp_path):
    assert DatabaseURL.parse("embedded:").data_dir(tmp_path) == tmp_path
    assert DatabaseURL.parse(f"embedded:{tmp_path}/x").data_dir(Path("/else")) == tmp_path / "x"
    with pytest.raises(ConfigError, match="not an embedded database"):
        DatabaseURL.parse("bolt://h:7687").data_dir(tmp_path)


def _environ_reads(tree: ast.AST) -> list[int]:
    """Lines that read an ``ERM_`` variable straight from the environment."""
    found = []
    for node in ast.walk(tree):
        args: list[ast.expr] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("get", "getenv", "pop", "setdefault"):
            args = node.args[:1]
        elif isinstance(node, ast.Subscript):
            args = [node.slice]
        if any(isinstance(a, ast.Constant) and str(a.value).startswith("ERM_") for a in args):
            found.append(node.lineno)
    return found


def _parses_database_urls(text: str) -> bool:
    return any(pattern in text for pattern in (
        'startswith("embedded', 'url.split(":"', 'db.split(":"', "urlsplit(url",
        "NEO4J_SCHEMES"))


def test_settings_and_urls_are_read_in_one_place_each():
    """ERM_ variables are read only by erm_graph/settings.py, database URLs parsed only by
    erm_graph/database_url.py: every other module asks them."""
    readers, parsers = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        if name != "settings.py":
            readers += [f"{name}:{line}" for line in _environ_reads(ast.parse(text))]
        if name != "database_url.py" and _parses_database_urls(text):
            parsers.append(name)
    assert readers == [] and parsers == []
    # the checks themselves find what they look for
    assert _environ_reads(ast.parse('os.environ.get("ERM_DB")\nos.environ["ERM_X"]')) == [1, 2]
    assert _parses_database_urls('if db.startswith("embedded:"):')


def test_the_web_app_opens_its_store_with_reads_bounded_by_the_query_timeout(tmp_path):
    settings = Settings.from_env(db=DatabaseURL.parse(f"embedded:{tmp_path / 'db'}"),
                                 users_db=tmp_path / "u.db", query_timeout=7.5)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        assert client.get("/api/summary").status_code == 200
        assert client.app.state.store.read_timeout == 7.5


@pytest.mark.slow
def test_erm_serve_hands_every_setting_to_its_workers(tmp_path, monkeypatch):
    """A real `erm serve` with two worker processes: the database named by --db only (not in
    the environment) and the limits set in the environment reach the app each worker builds."""
    from erm_graph.store import open_store
    from tests.e2e.conftest import free_port, start_server, stop_server

    db = f"embedded:{tmp_path / 'db'}"
    store = open_store(db)
    try:
        store.upsert_nodes("Customer", [{"uid": "cust-handoff", "name": "Handoff Ltd"}])
    finally:
        store.close()
    for name in [s.env for s in SETTINGS]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ERM_DATA_DIR", str(tmp_path / "data"))  # nothing reaches the user's
    monkeypatch.setenv("ERM_QUERY_TIMEOUT", "12.5")
    monkeypatch.setenv("ERM_WEB_ROW_CAP", "7")
    port = free_port()
    proc = start_server(db, port, "--workers", "2")
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(4):  # either worker may answer: each must have the same settings
            page = httpx.get(f"{base}/console", timeout=30).text
            assert "12.5 s timeout · 7 rows at most" in page
            found = httpx.get(f"{base}/api/search", params={"q": "Handoff"}, timeout=30).json()
            assert [n["uid"] for n in found["results"]] == ["cust-handoff"], found
    finally:
        stop_server(proc)
