"""Every write path leaves an audit record, with the right actor (issue 17 item 2).

The write paths are found in the code, not listed by hand: the CLI commands (every command is
either a writer, run here, or named a reader; one with a ``--write`` option must be a writer),
the web routes with an unsafe method, and the Python functions that write the graph (a scan of
the package for store writes: each sits in a function that announces a write event, or in a
helper named below with the reason it needs none). A new write path with no event, or a new
event that nothing here runs, fails a test. Real engine, real CLI, real web app.
"""

from __future__ import annotations

import ast
import getpass
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import erm_graph
from erm_graph.auth import Users, audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.cli import app
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

PACKAGE = Path(erm_graph.__file__).parent
FLOWCHART = "flowchart LR\n  a[Intake] --> b[Review]\n"
#: a named query that writes, in a library of its own (none of the shipped ones writes)
WRITE_QUERY = """// name: tag-customer
// title: Tag a customer
// description: Set the segment of one customer.
// read_only: false
// params:
//   uid: {type: string, required: true}
MATCH (c:Customer {uid: $uid}) SET c.segment = 'tagged' RETURN count(c) AS tagged
"""
PASSWORD = "correct horse battery\n"


def trail(db_or_path: str | Path) -> list[dict[str, Any]]:
    """The audit trail of a database URL (or a security file), newest first."""
    path = db_or_path if isinstance(db_or_path, Path) else users_db_path(db_or_path)
    if not path.exists():
        return []
    conn = connect(path)
    try:
        return audit.events(conn)
    finally:
        conn.close()


# -- the CLI -----------------------------------------------------------------------------------
def cli_commands() -> dict[str, Any]:
    """Every command of `erm`, by its path under it (``users add``)."""
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a group (typer ships its own click)
                walk(command, f"{prefix}{name} ")
            else:
                found[f"{prefix}{name}"] = command

    walk(typer.main.get_command(app), "")
    return found


#: commands that change neither the graph nor the security file (or only create the schema)
CLI_READERS = {
    "init": "creates the uid indexes and constraints, no data",
    "status": "reads counts and interrupted loads",
    "repair": "fixes the engine's append-only file when the engine cannot start",
    "export": "reads the graph into files",
    "query list": "reads the library", "query show": "reads the library",
    "owner check": "reads the governance view",
    "map history": "reads a map's revisions",
    "users list": "reads users", "audit": "reads the trail",
    "viz map": "writes an HTML file", "viz neighborhood": "writes an HTML file",
    "viz query": "writes an HTML file", "serve": "runs the web app (its routes are below)",
    "model show": "reads the vocabulary", "model check": "reads a model extension file",
    "merge suggest": "reads names", "merge list": "reads the merges",
    # alerts live in the security file, not the graph; a pass that fires or clears any leaves
    # a watch.fire event (tests/test_watch.py)
    # with --escalate its escalation rules escalate cases, each audited as case.escalate
    # with the rule's name: a pass may make none or many (tests/test_service.py)
    "watch run": "reads the graph; fires alerts; --escalate escalates cases by rule",
    "watch list": "reads the rules",
    "article search": "reads the knowledge base", "article show": "reads one article",
    "case suggest": "reads articles for a case", "case targets": "reads service targets",
    "watch inbox": "reads the alerts",
    # with --open-tasks each short party's owner gets a task, audited as task.add like
    # every task (the Python test of gap_tasks checks the trail)
    "targets check": "reads the graph and a plan file; --open-tasks opens tasks",
    "sales pipeline": "runs two named read queries", "sales campaigns": "runs a named query",
    "sales quota": "reads won deals and quotas",
    "sales commissions": "reads won deals, quotas and a rules file",
    "clv": "reads the purchase history and fits a model",
    "view list": "reads the saved views",
    "shares list": "reads the shares",
    "task list": "reads tasks", "appointment list": "reads appointments",
    "calendar show": "reads a calendar", "calendar export": "writes an .ics file",
}


class Cli:
    """Two libraries ``a`` and ``b`` and the files the write commands need."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.a, self.b = f"embedded:{tmp / 'a'}", f"embedded:{tmp / 'b'}"
        self.flowchart = tmp / "intake.mmd"
        self.flowchart.write_text(FLOWCHART)
        self.library = tmp / "library"
        self.library.mkdir()
        (self.library / "tag-customer.cypher").write_text(WRITE_QUERY)
        self.extension = tmp / "our-model.yaml"
        self.extension.write_text("properties:\n  Contact:\n    mobile: text\n")
        self.changes = tmp / "changes.yaml"
        self.changes.write_text("- {kind: rename_step, step: intake/flowchart/b, name: Vet}\n")
        self.runner = CliRunner()

    def erm(self, db: str, *args: str, stdin: str | None = None) -> str:
        done = self.runner.invoke(app, ["--db", db, *args], input=stdin)
        assert done.exit_code == 0, (args, done.output)
        return done.output


#: command -> (the database it writes, its arguments, the audit action it leaves), in the
#: order they run: each finds the graph the one before left
CLI_WRITERS: dict[str, Callable[[Cli], tuple[str, list[str], str]]] = {
    "demo": lambda c: (c.a, ["demo", "--size", "300"], "demo"),
    "load": lambda c: (c.a, ["load", str(c.flowchart)], "load"),
    "owner set": lambda c: (c.a, ["owner", "set", "intake/flowchart/a", "emp-0001"],
                            "owner.set"),
    "owner clear": lambda c: (c.a, ["owner", "clear", "intake/flowchart/a"], "owner.clear"),
    "map restore": lambda c: (c.a, ["map", "restore", "intake", "1"], "map.restore"),
    "map edit": lambda c: (c.a, ["map", "edit", "intake/flowchart", "--changes",
                                 str(c.changes)], "map.edit"),
    "cypher": lambda c: (c.a, ["cypher", "--write", "MATCH (c:Customer) WITH c LIMIT 1 "
                               "SET c.segment = 'vip' RETURN c.uid"], "cypher.write"),
    "query run": lambda c: (c.a, ["query", "run", "tag-customer", "-p", "uid=cust-000001",
                                  "--write"], "query.write"),
    "analyze": lambda c: (c.a, ["analyze", "strength", "--write"], "analytics.write"),
    "import": lambda c: (c.b, ["import", str(c.tmp / "export")], "import"),
    "reset": lambda c: (c.b, ["reset", "--yes"], "reset"),
    "copy": lambda c: (c.b, ["--db", c.a, "copy", "--to", c.b], "copy"),
    "backup": lambda c: (c.a, ["backup", str(c.tmp / "a.erm")], "backup"),  # a read, recorded
    "restore": lambda c: (f"embedded:{c.tmp / 'c'}", ["restore", str(c.tmp / "a.erm")],
                          "restore"),
    "users add": lambda c: (c.a, ["users", "add", "zed", "--role", "viewer",
                                  "--password-stdin"], "user.add"),
    "users token": lambda c: (c.a, ["users", "token", "zed"], "token.add"),
    "users link": lambda c: (c.a, ["users", "link", "zed", "emp-0001"], "user.link"),
    "calendar subscribe": lambda c: (c.a, ["calendar", "subscribe", "zed"],
                                     "calendar.subscribe"),
    "users remove": lambda c: (c.a, ["users", "remove", "zed"], "user.remove"),
    "model extend": lambda c: (c.a, ["model", "extend", str(c.extension)], "model.extend"),
    # the short form `erm merge KEEP DROP` runs `erm merge apply`
    "merge apply": lambda c: (c.a, ["merge", "cust-000002", "cust-000003"], "merge"),
    "merge undo": lambda c: (c.a, ["merge", "undo", _last_merge(c)], "merge.undo"),
    "assess": lambda c: (c.a, ["assess", "--save"], "assess"),
    "view save": lambda c: (c.a, ["view", "save", "Intake", "/map/intake"], "view.save"),
    "view delete": lambda c: (c.a, ["view", "delete", "--", _last_view(c)], "view.delete"),
    "add": lambda c: (c.a, ["add", "Product", "--uid", "p-cli", "-s", "name=Gadget", "-s",
                            "kind=product"], "add"),
    "set": lambda c: (c.a, ["set", "p-cli", "price=9.5"], "edit"),
    "link": lambda c: (c.a, ["link", "cust-000001", "SUPPLIES", "p-cli"], "link"),
    "unlink": lambda c: (c.a, ["unlink", "cust-000001", "SUPPLIES", "p-cli"], "unlink"),
    "remove": lambda c: (c.a, ["remove", "p-cli", "--yes"], "remove"),
    "log": lambda c: (c.a, ["log", "cust-000001", "--notes", "called"], "interaction.log"),
    "case open": lambda c: (c.a, ["case", "open", "cust-000001", "--kind", "complaint",
                                  "--summary", "from the cli"], "case.open"),
    "case dispatch": lambda c: (c.a, ["case", "dispatch",
                                      _made(c, "Case", "summary", "from the cli"),
                                      "dept-service"], "case.assign"),
    "article add": lambda c: (c.a, ["article", "add", "CLI article", "Reset it", "--keywords",
                                    "no power", "--about", "prod-0001"], "article.add"),
    "article edit": lambda c: (c.a, ["article", "edit", _made(c, "Article", "title",
                                                              "CLI article"),
                                     "--body", "Reset it twice"], "article.edit"),
    "article link": lambda c: (c.a, ["article", "link", _made(c, "Article", "title",
                                                              "CLI article"),
                                     _made(c, "Case", "summary", "from the cli")],
                               "article.link"),
    "case assign": lambda c: (c.a, ["case", "assign", _made(c, "Case", "summary", "from the cli"),
                                    "emp-0001"], "case.assign"),
    "case escalate": lambda c: (c.a, ["case", "escalate",
                                      _made(c, "Case", "summary", "from the cli")],
                                "case.escalate"),
    "case resolve": lambda c: (c.a, ["case", "resolve",
                                     _made(c, "Case", "summary", "from the cli"), "done"],
                               "case.resolve"),
    "opportunity open": lambda c: (c.a, ["opportunity", "open", "cust-000001", "--name",
                                         "CLI deal"], "opportunity.open"),
    "opportunity assign": lambda c: (c.a, ["opportunity", "assign",
                                           _made(c, "Opportunity", "name", "CLI deal"),
                                           "emp-0001"], "opportunity.assign"),
    "opportunity advance": lambda c: (c.a, ["opportunity", "advance",
                                            _made(c, "Opportunity", "name", "CLI deal"), "won"],
                                      "opportunity.advance"),
    "share": lambda c: (c.a, ["share", "cust-000001", "--with", "part-000001"], "share"),
    "unshare": lambda c: (c.a, ["unshare", "cust-000001", "--with", "part-000001"], "unshare"),
    "task add": lambda c: (c.a, ["task", "add", "CLI task", "--due", "2026-12-01T10:00",
                                 "--for", "emp-0001"], "task.add"),
    "task assign": lambda c: (c.a, ["task", "assign", _made(c, "Task", "title", "CLI task"),
                                    "emp-0002"], "task.assign"),
    "task done": lambda c: (c.a, ["task", "done", _made(c, "Task", "title", "CLI task")],
                            "task.done"),
    "task cancel": lambda c: (c.a, ["task", "cancel", "task-000001"], "task.cancel"),
    "appointment book": lambda c: (c.a, ["appointment", "book", "CLI meeting", "--start",
                                         "2026-12-01T10:00", "--end", "2026-12-01T11:00",
                                         "--with", "emp-0001"], "appointment.book"),
    "appointment move": lambda c: (c.a, ["appointment", "move",
                                         _made(c, "Appointment", "title", "CLI meeting"),
                                         "2026-12-01T12:00"], "appointment.move"),
    "appointment cancel": lambda c: (c.a, ["appointment", "cancel",
                                           _made(c, "Appointment", "title", "CLI meeting")],
                                     "appointment.cancel"),
    "calendar import": lambda c: (c.a, ["calendar", "import", _ics(c), "--for", "emp-0001",
                                        "--from", "2026-01-01", "--to", "2027-01-01"],
                                  "appointment.import"),
}


def _ics(cli: Cli) -> str:
    """A calendar file of one event."""
    path = cli.tmp / "one.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
                    "UID:cli-1\r\nSUMMARY:Imported\r\nDTSTART:20261202T100000\r\n"
                    "DTEND:20261202T110000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    return str(path)


def _made(cli: Cli, label: str, key: str, value: str) -> str:
    """The uid of the ``label`` record whose ``key`` is ``value`` (made by a step before)."""
    out = cli.erm(cli.a, "cypher", f"MATCH (x:{label}) WHERE x.{key} = $v RETURN x.uid AS uid",
                  "-p", f"v={value}", "--format", "json")
    return str(json.loads(out)[0]["uid"])


def _last_merge(cli: Cli) -> str:
    return str(json.loads(cli.erm(cli.a, "merge", "list", "--json"))[0]["id"])


def _last_view(cli: Cli) -> str:
    return str(json.loads(cli.erm(cli.a, "view", "list", "--json"))[0]["id"])


def _has_write_option(command: Any) -> bool:
    return any("--write" in getattr(p, "opts", ()) for p in command.params)


def test_every_cli_command_is_a_writer_or_a_reader():
    commands = cli_commands()
    unknown = set(commands) - set(CLI_WRITERS) - set(CLI_READERS)
    assert not unknown, f"say whether these write (CLI_WRITERS, with a run) or not: {unknown}"
    assert not (set(CLI_WRITERS) | set(CLI_READERS)) - set(commands), "gone from the CLI"
    with_write = {name for name, command in commands.items() if _has_write_option(command)}
    assert with_write <= set(CLI_WRITERS), with_write - set(CLI_WRITERS)
    assert {"cypher", "query run", "analyze"} <= with_write  # the scan sees the options


def test_every_cli_write_leaves_an_audit_record_by_the_os_user(tmp_path, monkeypatch):
    monkeypatch.delenv("ERM_USERS_DB", raising=False)
    cli = Cli(tmp_path)
    # the shipped library holds no writing query: `erm query run` reads this one instead
    monkeypatch.setattr("erm_graph.query.library.default_library_dir", lambda: cli.library)
    me = f"os:{getpass.getuser()}"
    missing = []
    for name, step in CLI_WRITERS.items():
        if name == "import":
            cli.erm(cli.a, "export", str(tmp_path / "export"))
        db, args, action = step(cli)
        stdin = PASSWORD if "--password-stdin" in args else None
        before = len(trail(db))
        cli.erm(db, *args, stdin=stdin)
        events = trail(db)
        # a restore brings the backed-up library's history back: its own record is the newest
        new = events[:1] if name == "restore" else events[:len(events) - before]
        if [(e["action"], e["actor"], e["outcome"]) for e in new] != [(action, me, "ok")]:
            missing.append((name, [(e["action"], e["actor"], e["outcome"]) for e in new]))
            continue
        assert new[0]["source"].startswith(f"erm {name} pid "), new[0]
    assert not missing, f"commands whose write left no (or a wrong) audit record: {missing}"


# -- the web app -------------------------------------------------------------------------------
class Web:
    def __init__(self, app_: Any, client: TestClient, store: Any, path: Path, token: str):
        self.app, self.client, self.store, self.path = app_, client, store, path
        self.token = token

    def as_editor(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


def _patch_node(web: Web) -> Any:
    return web.client.patch("/api/nodes/c1", json={"properties": {"name": "Acme Ltd"}},
                            headers=web.as_editor())


def _post_record(web: Web) -> Any:
    return web.client.post("/api/records", json={
        "label": "Product", "uid": "p9", "properties": {"name": "Widget", "kind": "product"}},
        headers=web.as_editor())


def _post_link(web: Web) -> Any:
    return web.client.post("/api/links", json={"start": "c1", "type": "SUPPLIES", "end": "p9"},
                           headers=web.as_editor())


def _delete_link(web: Web) -> Any:
    return web.client.delete("/api/links", params={"start": "c1", "type": "SUPPLIES",
                                                   "end": "p9"}, headers=web.as_editor())


def _delete_node(web: Web) -> Any:
    return web.client.delete("/api/nodes/p9", headers=web.as_editor())


def _quick(path: str, body: dict[str, Any], label: str | None = None) -> Callable[[Web], Any]:
    """A quick action's call; ``{uid}`` in ``path`` is the newest record of ``label``."""
    def call(web: Web) -> Any:
        uid = web.store.run(f"MATCH (n:{label}) RETURN n.uid ORDER BY n.created_at DESC "
                            f"LIMIT 1").rows[0][0] if label else ""
        return web.client.post(path.format(uid=uid), json=body, headers=web.as_editor())
    return call


def _post_load(web: Web) -> Any:
    return web.client.post("/api/load", files={"file": ("intake.mmd", FLOWCHART.encode())},
                           headers=web.as_editor())


def _post_owner(web: Web) -> Any:
    return web.client.post("/api/nodes/s1/owner", json={"employee": "e1"},
                           headers=web.as_editor())


def _delete_owner(web: Web) -> Any:
    return web.client.delete("/api/nodes/s1/owner", headers=web.as_editor())


def _post_restore(web: Web) -> Any:
    return web.client.post("/api/maps/intake/restore", json={"version": 1},
                           headers=web.as_editor())
def _post_map_edit(web: Web) -> Any:
    version = web.client.get("/api/maps/intake/history",
                             headers=web.as_editor()).json()["version"]
    return web.client.post("/api/maps/intake%2Fflowchart/edit", headers=web.as_editor(),
                           json={"based_on": version, "changes": [
                               {"kind": "rename_step", "step": "intake/flowchart/b",
                                "name": "Vet"}]})


def _post_merge(web: Web) -> Any:
    web.store.upsert_nodes("Customer", [{"uid": "c2", "name": "ACME Corp."}])
    return web.client.post("/api/merges", json={"keep": "c1", "drop": ["c2"]},
                           headers=web.as_editor())


def _post_undo(web: Web) -> Any:
    merge_id = web.client.get("/api/merges", headers=web.as_editor()).json()[0]["id"]
    return web.client.post(f"/api/merges/{merge_id}/undo", headers=web.as_editor())


def _post_maturity(web: Web) -> Any:
    return web.client.post("/api/maturity", json={"answers": {"target_customers_named": True}},
                           headers=web.as_editor())


def _post_target_tasks(web: Web) -> Any:
    """A plan whose one named account (Acme, owned by Ann) falls short: it holds no pump."""
    web.store.upsert_relationships("MANAGES", "Employee", "Party",
                                   [{"start": "e1", "end": "c1"}])
    plan = web.path.parent / "plan.yaml"
    plan.write_text("title: Plan\naccounts:\n  - {uid: c1, want: {products: [p-pump]}}\n")
    web.app.state.settings = replace(web.app.state.settings, target_plan=plan)
    return web.client.post("/api/targets/tasks", json={}, headers=web.as_editor())


def _login(web: Web) -> Any:
    web.client.get("/login")
    return web.client.post("/login", data={"username": "ed", "password": PASSWORD.strip(),
                                           "csrf": web.client.cookies["erm_csrf"]},
                           follow_redirects=False)


def _logout(web: Web) -> Any:
    _login(web)
    return web.client.post("/logout", data={"csrf": web.client.cookies["erm_csrf"]},
                           follow_redirects=False)


def _post_view(web: Web) -> Any:
    return web.client.post("/api/views", json={"name": "Acme", "url": "/explore?focus=c1"},
                           headers=web.as_editor())


def _delete_view(web: Web) -> Any:
    view_id = web.client.get("/api/views", headers=web.as_editor()).json()["views"][0]["id"]
    return web.client.delete(f"/api/views/{view_id}", headers=web.as_editor())


def _post_share(web: Web) -> Any:
    return web.client.post("/api/shares", json={"record": "c1", "partner": "pt1"},
                           headers=web.as_editor())


def _delete_share(web: Web) -> Any:
    return web.client.delete("/api/shares", params={"record": "c1", "partner": "pt1"},
                             headers=web.as_editor())
def _fresh_task(web: Web) -> Any:
    web.store.upsert_nodes("Task", [{"uid": "t-cancel", "title": "To cancel", "status": "open",
                                     "due": "2026-12-01T10:00:00"}])
    return web.client.post("/api/tasks/t-cancel/cancel", headers=web.as_editor())


def _post_ics(web: Web) -> Any:
    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:w-1\r\n"
            b"SUMMARY:Imported\r\nDTSTART:20261202T100000\r\nDTEND:20261202T110000\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    return web.client.post("/api/calendar/import", files={"file": ("one.ics", data)},
                           data={"employee": "e1"}, headers=web.as_editor())


def _subscription(method: str) -> Callable[[Web], Any]:
    def call(web: Web) -> Any:
        return web.client.request(method, "/api/calendar/subscription",
                                  headers=web.as_editor())
    return call


#: route -> (how to call it, the audit action it leaves; ed, an editor, calls each)
WEB_WRITERS: dict[tuple[str, str], tuple[Callable[[Web], Any], str]] = {
    ("PATCH", "/api/nodes/{uid:uid}"): (_patch_node, "edit"),
    ("POST", "/api/records"): (_post_record, "add"),
    ("POST", "/api/links"): (_post_link, "link"),
    ("DELETE", "/api/links"): (_delete_link, "unlink"),
    ("DELETE", "/api/nodes/{uid:uid}"): (_delete_node, "remove"),
    ("POST", "/api/accounts/{uid:uid}/interactions"): (
        _quick("/api/accounts/c1/interactions", {"kind": "call", "notes": "hi"}),
        "interaction.log"),
    ("POST", "/api/accounts/{uid:uid}/cases"): (
        _quick("/api/accounts/c1/cases", {"kind": "service"}), "case.open"),
    ("POST", "/api/cases/{uid:uid}/dispatch"): (
        _quick("/api/cases/{uid}/dispatch", {"department": "d1"}, "Case"), "case.assign"),
    ("POST", "/api/cases/{uid:uid}/assign"): (
        _quick("/api/cases/{uid}/assign", {"assignee": "e1"}, "Case"), "case.assign"),
    ("POST", "/api/cases/{uid:uid}/escalate"): (
        _quick("/api/cases/{uid}/escalate", {}, "Case"), "case.escalate"),
    ("POST", "/api/cases/{uid:uid}/resolve"): (
        _quick("/api/cases/{uid}/resolve", {"resolution": "done"}, "Case"), "case.resolve"),
    ("POST", "/api/kb/articles"): (
        _quick("/api/kb/articles", {"title": "Web article", "body": "Reset it"}),
        "article.add"),
    ("POST", "/api/kb/articles/{uid:uid}"): (
        _quick("/api/kb/articles/{uid}", {"body": "Reset it twice"}, "Article"),
        "article.edit"),
    ("POST", "/api/kb/articles/{uid:uid}/links"): (
        _quick("/api/kb/articles/{uid}/links", {"to": "s1"}, "Article"), "article.link"),
    ("POST", "/api/accounts/{uid:uid}/opportunities"): (
        _quick("/api/accounts/c1/opportunities", {"name": "Deal"}), "opportunity.open"),
    ("POST", "/api/opportunities/{uid:uid}/assign"): (
        _quick("/api/opportunities/{uid}/assign", {"assignee": "e1"}, "Opportunity"),
        "opportunity.assign"),
    ("POST", "/api/opportunities/{uid:uid}/advance"): (
        _quick("/api/opportunities/{uid}/advance", {"stage": "won"}, "Opportunity"),
        "opportunity.advance"),
    ("POST", "/api/tasks"): (
        _quick("/api/tasks", {"title": "T", "due": "2026-12-01T10:00", "assignee": "e1"}),
        "task.add"),
    ("POST", "/api/tasks/{uid:uid}/assign"): (
        _quick("/api/tasks/{uid}/assign", {"assignee": "e1"}, "Task"), "task.assign"),
    ("POST", "/api/tasks/{uid:uid}/done"): (_quick("/api/tasks/{uid}/done", {}, "Task"),
                                            "task.done"),
    ("POST", "/api/tasks/{uid:uid}/cancel"): (_fresh_task, "task.cancel"),
    ("POST", "/api/appointments"): (
        _quick("/api/appointments", {"title": "A", "start": "2026-12-01T10:00",
                                     "end": "2026-12-01T11:00", "attendees": ["e1"]}),
        "appointment.book"),
    ("POST", "/api/appointments/{uid:uid}/move"): (
        _quick("/api/appointments/{uid}/move", {"start": "2026-12-01T12:00"}, "Appointment"),
        "appointment.move"),
    ("POST", "/api/appointments/{uid:uid}/cancel"): (
        _quick("/api/appointments/{uid}/cancel", {}, "Appointment"), "appointment.cancel"),
    ("POST", "/api/calendar/import"): (_post_ics, "appointment.import"),
    ("POST", "/api/calendar/subscription"): (_subscription("POST"), "calendar.subscribe"),
    ("DELETE", "/api/calendar/subscription"): (_subscription("DELETE"), "calendar.revoke"),
    ("POST", "/api/load"): (_post_load, "load"),
    ("POST", "/api/nodes/{uid:uid}/owner"): (_post_owner, "owner.set"),
    ("DELETE", "/api/nodes/{uid:uid}/owner"): (_delete_owner, "owner.clear"),
    ("POST", "/api/maps/{uid:uid}/restore"): (_post_restore, "map.restore"),  # the load's map
    ("POST", "/api/maps/{uid:uid}/edit"): (_post_map_edit, "map.edit"),
    ("POST", "/api/merges"): (_post_merge, "merge"),
    ("POST", "/api/merges/{merge_id}/undo"): (_post_undo, "merge.undo"),
    ("POST", "/api/maturity"): (_post_maturity, "assess"),
    ("POST", "/api/targets/tasks"): (_post_target_tasks, "task.add"),
    ("POST", "/login"): (_login, "login"),
    ("POST", "/logout"): (_logout, "logout"),
    ("POST", "/api/views"): (_post_view, "view.save"),
    ("DELETE", "/api/views/{view_id}"): (_delete_view, "view.delete"),
    ("POST", "/api/shares"): (_post_share, "share"),
    ("DELETE", "/api/shares"): (_delete_share, "unshare"),
}
#: routes with an unsafe method that write nothing
WEB_READERS = {("POST", "/api/cypher"): "read-only: the engine refuses a write (checked below)",
               ("POST", "/api/cypher/runs/{run_id}/cancel"):
                   "stops the caller's own read; the engine restarts from its AOF, unchanged",
               ("POST", "/api/alerts/{alert_id}/read"):
                   "marks an alert read for its user in the security file; no graph write"}


def unsafe_routes(routes: Any) -> set[tuple[str, str]]:
    """(method, path) of the routes with a method that may write, in included routers too."""
    found = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found |= unsafe_routes(included.routes)
        if isinstance(route, APIRoute):
            found |= {(m, route.path) for m in route.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    return found


@pytest.fixture
def web(store, tmp_path) -> Iterator[Web]:
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    store.upsert_nodes("Step", [{"uid": "s1", "name": "Intake"}])
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "Ann"}])
    store.upsert_nodes("Department", [{"uid": "d1", "name": "Service"}])
    store.upsert_relationships("MEMBER_OF", "Employee", "Department",
                               [{"start": "e1", "end": "d1"}])
    store.upsert_nodes("Partner", [{"uid": "pt1", "name": "Bridge"}])
    path = tmp_path / "app-users.db"
    users = Users.open(path)
    users.add("ed", "editor", password=PASSWORD.strip())
    token = users.new_token("ed")
    users.close()
    app_ = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1",
                                        query_timeout=10), store=store)
    with TestClient(app_, base_url="http://127.0.0.1") as client:
        yield Web(app_, client, store, path, token)


def test_every_web_route_that_writes_leaves_an_audit_record_by_its_user(web):
    routes = unsafe_routes(web.app.routes)
    known = set(WEB_WRITERS) | set(WEB_READERS)
    assert routes == known, f"say how to call these and what they leave: {routes ^ known}"
    missing = []
    for route, (call, action) in WEB_WRITERS.items():
        before = len(trail(web.path))
        response = call(web)
        assert response.status_code < 400, (route, response.text)
        mine = [(e["action"], e["actor"], e["outcome"]) for e in trail(web.path)[:-before or None]
                if e["action"] == action]
        if mine != [(action, "ed", "ok")]:
            missing.append((route, mine))
    assert not missing, f"routes whose write left no (or a wrong) audit record: {missing}"
    loads = [e for e in trail(web.path) if e["action"] == "load"]
    assert loads[0]["source"].startswith("web testclient upload intake.mmd")
    restores = [e for e in trail(web.path) if e["action"] == "map.restore"]
    assert restores[0]["target"] == "intake v1"
    web.store.clear()  # here, outside any request: the requests' user did not leak into it
    assert trail(users_db_path(web.store))[0]["actor"] == f"os:{getpass.getuser()}"


def test_the_web_console_writes_nothing(web):
    before = web.store.run("MATCH (n) RETURN count(n)").rows[0][0]
    r = web.client.post("/api/cypher", json={"query": "CREATE (:Customer {uid: 'x'})"},
                        headers=web.as_editor())
    assert r.status_code in (400, 403), r.text
    assert web.store.run("MATCH (n) RETURN count(n)").rows[0][0] == before


# -- the Python API ----------------------------------------------------------------------------
#: store methods that write
WRITE_METHODS = {"upsert_nodes", "upsert_relationships"}
#: functions that write the graph without announcing a write of their own, and why none is
#: needed ("module:function")
HELPERS = {
    "cli/core.py:cypher": "run_cypher announces it",
    "cli/core.py:reset": "store.clear() announces it",
    "cli/query.py:run_named": "run_query announces it",
    "query/named.py:dataframe": "run_query announces it",
    "ingest/writer.py:_write": "write_batch runs inside the load or demo write",
    "ingest/streamed.py:_write_chunk": "a load's write pass runs inside the load write "
                                       "(Prepared.write)",
    "ingest/revisions.py:apply_plan": "runs inside the load or map restore write",
    "interop/stream.py:_write": "GraphWriter runs inside the import or copy write",
    "conformance/runner.py:_run": "run_cypher announces it",
    "interop/backup.py:_write_graph": "restore_library announces the restore (_audit_write)",
    "ingest/load_owners.py:replace_load_owners": "write_batch runs it inside the load or demo "
                                                 "write",
    "edit/maps.py:_adopt": "edit_map runs it inside the map edit write",
    "edit/maps.py:_clear_owners": "edit_map runs it inside the map edit write",
    "conformance/runner.py:play": "builds each TCK scenario's graph in the scratch store the "
                                  "conformance report opens for itself",
}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _writes(call: ast.Call) -> bool:
    """A call that writes the graph: a store's upsert (not a dry run), a store's clear(), a
    statement run with write access, the ad hoc and named query runners asked to write."""
    def const(keyword: ast.keyword, value: object) -> bool:
        return isinstance(keyword.value, ast.Constant) and keyword.value.value is value

    name = _name(call)
    if name in WRITE_METHODS:
        return not any(k.arg == "dry_run" and const(k, True) for k in call.keywords)
    if name == "clear" and isinstance(call.func, ast.Attribute):
        return "store" in ast.unparse(call.func.value).lower()
    if name == "run":
        return any(k.arg == "read_only" and not const(k, True) for k in call.keywords)
    if name in ("run_cypher", "run_query"):
        return any(k.arg == "write" and not const(k, False) for k in call.keywords)
    return False


def _announces(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return (any(isinstance(c, ast.Call) and _name(c) == "writing" for c in ast.walk(function))
            or any(isinstance(d, ast.Call) and _name(d) == "announced"
                   for d in function.decorator_list))


def package_writes() -> tuple[set[str], set[str]]:
    """(functions that announce a write, functions that write without announcing one), as
    ``module:function``; the store's own internals are the store's, the event module's
    the announcing itself."""
    announcing, silent = set(), set()
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        if where == "events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if _announces(node):
                announcing.add(f"{where}:{node.name}")
            elif not where.startswith("store/") and any(
                    isinstance(c, ast.Call) and _writes(c) for c in ast.walk(node)):
                silent.add(f"{where}:{node.name}")
    return announcing, silent


def test_every_graph_write_in_the_package_is_announced():
    _, silent = package_writes()
    unexplained = silent - set(HELPERS)
    assert not unexplained, ("these write the graph with no write event: wrap the write in "
                             f"erm_graph.events.writing(...) {sorted(unexplained)}")
    assert not set(HELPERS) - silent, "HELPERS names functions that no longer write"


def test_writers_do_not_know_the_audit_trail():
    """The write paths announce; only the programs' edges (cli, web), the trail itself (auth)
    and the package's one subscription open the security file. Before, a load ended by
    opening it."""
    # interop/backup.py copies the security file itself, and records a restore in the
    # restored copy before it is renamed into place
    edges = ("auth/", "cli/", "web/", "__init__.py", "interop/backup.py")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module in ("erm_graph.auth.audit", "erm_graph.auth.db")
                    or (node.module == "erm_graph.auth"
                        and {"audit", "users_db_path"} & {a.name for a in node.names})):
                if not where.startswith(edges):
                    found.append(f"{where}: {node.module}")
    assert not found, found


def _py_writes(store, tmp_path: Path) -> dict[str, Callable[[], Any]]:
    """The announcing functions of the package, each run once (in this order) on ``store``."""
    from erm_graph import analytics, edit
    from erm_graph.demo import load_demo
    from erm_graph.edit.maps import edit_map
    from erm_graph.identity import merge_nodes, undo_merge
    from erm_graph.ingest.component_owners import clear_owner, set_owner
    from erm_graph.ingest.revisions import restore_map
    from erm_graph.interop import copy_graph, export_graph, import_graph
    from erm_graph.query.adhoc import run_cypher
    from erm_graph.query.library import load_library
    from erm_graph.query.named import run_query
    from erm_graph.query.revisions import latest_version
    from erm_graph.strategy import assess
    from erm_graph.strategy.maturity import save as save_assessment

    flowchart = tmp_path / "intake.mmd"
    flowchart.write_text(FLOWCHART)
    library = tmp_path / "library"
    library.mkdir()
    (library / "tag-customer.cypher").write_text(WRITE_QUERY)
    other = tmp_path / "other"

    def import_back() -> Any:
        export_graph(store, tmp_path / "export")
        store.clear()
        return import_graph(store, tmp_path / "export")

    def copy_out() -> Any:
        target = open_store(f"embedded:{other}")
        try:
            return copy_graph(store, target)
        finally:
            target.close()

    return {
        "demo/__init__.py:load_demo": lambda: load_demo(store, 300),
        "ingest/load.py:write": lambda: erm_graph.load(store, [flowchart]),
        "ingest/component_owners.py:set_owner": lambda: set_owner(
            store, "intake/flowchart/a", "emp-0001"),
        "ingest/component_owners.py:clear_owner": lambda: clear_owner(
            store, "intake/flowchart/a"),
        "ingest/revisions.py:restore_map": lambda: restore_map(store, "intake", 1),
        "edit/maps.py:edit_map": lambda: edit_map(
            store, "intake/flowchart", [{"kind": "rename_step", "step": "intake/flowchart/b",
                                         "name": "Vet"}],
            based_on=latest_version(store, "intake")),
        "query/adhoc.py:run_cypher": lambda: run_cypher(
            store, "MATCH (c:Customer) WITH c LIMIT 1 SET c.segment = 'vip'", write=True),
        "query/named.py:run_query": lambda: run_query(
            store, "tag-customer", {"uid": "cust-000001"}, write=True,
            library=load_library(library)),
        "analytics/strength.py:write_knows": lambda: analytics.write_knows(
            store, analytics.relationship_strength(store)),
        "store/falkordb_store.py:clear": import_back,  # clear(), then an import into it
        "interop/transfer.py:import_graph": lambda: None,  # done by the step before
        "interop/transfer.py:copy_graph": copy_out,
        "identity/merge.py:merge_nodes": lambda: merge_nodes(
            store, "cust-000004", ["cust-000005"]),
        "identity/merge.py:undo_merge": lambda: undo_merge(
            store, str(store.run("MATCH (m:Merge) RETURN m.uid").rows[0][0])),
        "strategy/maturity.py:save": lambda: save_assessment(store, assess(store)),
        # add_node, set_properties and every quick action write through save
        "edit/records.py:save": lambda: edit.add_node(
            store, "Product", {"name": "Gadget", "kind": "product"}, uid="p-py"),
        "edit/records.py:link": lambda: edit.link(store, "cust-000001", "SUPPLIES", "p-py"),
        "edit/records.py:unlink": lambda: edit.unlink(store, "cust-000001", "SUPPLIES",
                                                      "p-py"),
        "edit/records.py:remove_node": lambda: edit.remove_node(store, "p-py"),
        "edit/sharing.py:share": lambda: edit.share(store, "cust-000001", "part-000001"),
        "edit/sharing.py:unshare": lambda: edit.unshare(store, "cust-000001", "part-000001"),
    }


#: what each announcing function leaves in the trail of the store it writes
PY_ACTIONS = {
    "demo/__init__.py:load_demo": ["demo"], "ingest/load.py:write": ["load"],
    "ingest/component_owners.py:set_owner": ["owner.set"],
    "ingest/component_owners.py:clear_owner": ["owner.clear"],
    "ingest/revisions.py:restore_map": ["map.restore"],
    "edit/maps.py:edit_map": ["map.edit"],
    "query/adhoc.py:run_cypher": ["cypher.write"], "query/named.py:run_query": ["query.write"],
    "analytics/strength.py:write_knows": ["analytics.write"],
    "store/falkordb_store.py:clear": ["import", "reset"],
    "interop/transfer.py:import_graph": [],
    "interop/transfer.py:copy_graph": ["copy"],  # the test's one trail (ERM_USERS_DB)
    "identity/merge.py:merge_nodes": ["merge"], "identity/merge.py:undo_merge": ["merge.undo"],
    "strategy/maturity.py:save": ["assess"],
    "edit/records.py:save": ["add"], "edit/records.py:link": ["link"],
    "edit/records.py:unlink": ["unlink"], "edit/records.py:remove_node": ["remove"],
    "edit/sharing.py:share": ["share"], "edit/sharing.py:unshare": ["unshare"],
}
#: announcing functions run by the CLI and web tests above, or the same as one run here
COVERED_ELSEWHERE = {"store/cypher_store.py:clear": "the same announcement, on the Neo4j engine's "
                                            "clear (tests/test_neo4j_live.py runs it)",
                     "interop/backup.py:_audit_write": "the CLI test (`erm restore`)",
                     "model/effective.py:keep": "the CLI test (`erm model extend`)"}


def test_every_python_write_leaves_an_audit_record_by_the_actor_named(store, tmp_path):
    from erm_graph.events import Actor, acting_as

    announcing, _ = package_writes()
    runs = _py_writes(store, tmp_path)
    assert announcing == set(runs) | set(COVERED_ELSEWHERE), \
        f"run these here: {announcing ^ (set(runs) | set(COVERED_ELSEWHERE))}"
    path = users_db_path(store)
    missing = []
    with acting_as(Actor("ana", "notebook")):
        for name, run in runs.items():
            before = len(trail(path))
            run()
            events = trail(path)
            new = [(e["action"], e["actor"]) for e in events[:len(events) - before]]
            if new != [(action, "ana") for action in PY_ACTIONS[name]]:
                missing.append((name, new))
    assert not missing, f"writes that left no (or a wrong) audit record: {missing}"


def test_python_with_no_actor_named_is_recorded_as_the_os_user(store):
    store.clear()
    event = trail(users_db_path(store))[0]
    assert (event["action"], event["actor"]) == ("reset", f"os:{getpass.getuser()}")
    assert json.dumps(event["detail"])  # the detail is stored whole


# -- the event module itself (no engine) -----------------------------------------------------
class Heard:
    """A subscriber that notes what it hears; ``refuse`` makes it fail to record the start."""

    def __init__(self, refuse: bool = False):
        self.refuse, self.heard = refuse, []

    def __call__(self, event):
        if self.refuse:
            raise OSError("the trail cannot be written")
        self.heard.append(("start", event.kind.value, event.target, event.actor.name))
        return lambda ended: self.heard.append(("end", ended.outcome.value,
                                                dict(ended.detail)))



def _bus():
    from erm_graph.events import StoreRef, WriteEvents

    return WriteEvents(), StoreRef("embedded", "/nowhere")


def test_a_write_is_heard_before_it_runs_and_after_with_what_it_reported():
    from erm_graph.events import Actor, WriteKind, acting_as

    bus, where = _bus()
    heard = Heard()
    stop = bus.subscribe(heard)
    with acting_as(Actor("ana", "test")), bus.writing(WriteKind.LOAD, "f.csv", where,
                                                      detail={"rows": 2}) as report:
        assert heard.heard == [("start", "load", "f.csv", "ana")]  # before the write
        report.detail["created"] = 2
    assert heard.heard[1] == ("end", "ok", {"rows": 2, "created": 2})
    stop()
    with bus.writing(WriteKind.LOAD, "g.csv", where):
        pass
    assert len(heard.heard) == 2, "an unsubscribed subscriber hears nothing"


def test_a_failed_or_interrupted_write_is_heard_so_and_a_nested_one_not_at_all():
    from erm_graph.events import WriteKind

    bus, where = _bus()
    heard = Heard()
    bus.subscribe(heard)
    with pytest.raises(ValueError), bus.writing(WriteKind.EDIT, "x", where):
        raise ValueError("bad")
    with pytest.raises(KeyboardInterrupt), bus.writing(WriteKind.EDIT, "y", where):
        raise KeyboardInterrupt
    with bus.writing(WriteKind.RESET, "all", where), bus.writing(WriteKind.RESET, "inner",
                                                                  where):
        pass
    assert [h[:2] for h in heard.heard] == [("start", "edit"), ("end", "failed"),
                                            ("start", "edit"), ("end", "interrupted"),
                                            ("start", "reset"), ("end", "ok")]


def test_a_subscriber_that_cannot_record_the_start_stops_the_write():
    from erm_graph.events import WriteKind

    bus, where = _bus()
    first, broken = Heard(), Heard(refuse=True)
    bus.subscribe(first)
    bus.subscribe(broken)
    ran = []
    with pytest.raises(OSError), bus.writing(WriteKind.LOAD, "f.csv", where):
        ran.append(1)
    assert not ran
    assert [h[:2] for h in first.heard] == [("start", "load"), ("end", "failed")]
