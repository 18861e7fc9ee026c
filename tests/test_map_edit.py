"""Editing a relationship map in the app (issue 14 item 2): a change list applied as one save,
the map's next revision. Each kind of change, all-or-nothing validation, a stale version
refused, the audit record with before and after, a restore giving the map back, hostile
input, a map loaded from a file, the web route and the CLI. Real engine (the demo's customer
map, or a flowchart loaded from a file), real security file, real CLI and web app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import erm_graph
from erm_graph import edit
from erm_graph.auth import Users, audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.cli import app
from erm_graph.demo import load_demo
from erm_graph.edit.maps import MAX_CHANGES, ChangeError, StaleRevision, edit_map, read_changes
from erm_graph.errors import ErmError
from erm_graph.ingest.revisions import restore_map
from erm_graph.query.maps import map_records
from erm_graph.query.revisions import map_history
from erm_graph.settings import Settings
from erm_graph.web import create_app

PROC = "proc-customer"
START, CONSULT, DECIDE, PURCHASE = ("step-cr-start", "step-cr-consultation", "step-cr-decide",
                                    "step-cr-purchase")
PASSWORD = "correct horse battery"


@pytest.fixture
def demo(store):
    load_demo(store, 300, seed=7)
    return store


def trail(store: Any, action: str) -> list[dict[str, Any]]:
    conn = connect(users_db_path(store))
    try:
        return audit.events(conn, action=action)
    finally:
        conn.close()


def drawn(store: Any, uid: str = PROC) -> tuple[Any, ...]:
    """The map as the page draws it: nodes (uid, name), edges, and the owners of its
    components."""
    m = map_records(store, uid)
    nodes = sorted((n.uid, n.props.get("name")) for n in m.graph.nodes.values())
    edges = sorted((e.start, e.type, e.end, e.props.get("label") or "")
                   for e in m.graph.edges.values())
    owners = store.run("MATCH (:Process {uid: $p})-[:HAS_STEP]->(s:Step) "
                       "OPTIONAL MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(s) "
                       "RETURN s.uid, collect(e.uid) ORDER BY s.uid", {"p": PROC}).rows
    return nodes, edges, [(u, sorted(o)) for u, o in owners]


def snapshot(store: Any) -> tuple[str, str]:
    nodes = store.run("MATCH (n) RETURN n.uid, labels(n), properties(n) ORDER BY n.uid").rows
    rels = store.run("MATCH (a)-[r]->(b) RETURN a.uid, type(r), b.uid, properties(r) "
                     "ORDER BY a.uid, type(r), b.uid").rows
    return repr(nodes), repr(rels)


def step_named(store: Any, name: str) -> str:
    rows = store.run("MATCH (:Process {uid: $p})-[:HAS_STEP]->(s:Step {name: $n}) "
                     "RETURN s.uid", {"p": PROC, "n": name}).rows
    assert len(rows) == 1, rows
    return str(rows[0][0])


def flows(store: Any) -> set[tuple[str, str]]:
    return {(a, b) for a, b in store.run(
        "MATCH (:Process {uid: $p})-[:HAS_STEP]->(a:Step)-[:NEXT]->(b:Step) "
        "RETURN a.uid, b.uid", {"p": PROC}).rows}


def test_each_kind_of_change_in_one_save_and_a_restore_gives_the_map_back(demo):
    original = drawn(demo)
    assert map_history(demo, PROC)["version"] is None  # the demo's maps have no history
    assert (START, CONSULT) in flows(demo) and (CONSULT, DECIDE) in flows(demo)
    done = edit_map(demo, PROC, [
        {"kind": "add_step", "name": "Qualify", "after": START, "id": "q"},
        {"kind": "add_step", "name": "Welcome pack", "before": PURCHASE, "id": "w",
         "step_kind": "event"},
        {"kind": "rename_step", "step": CONSULT, "name": "Consult"},
        {"kind": "add_flow", "from": "q", "to": DECIDE, "label": "fast track"},
        {"kind": "rename_flow", "from": START, "to": "q", "label": "new enquiry"},
        {"kind": "assign_performer", "step": "q", "performer": "emp-0002", "role": "lead"},
        {"kind": "assign_performer", "step": "q", "performer": "dept-sales"},
        {"kind": "attach_document", "step": "q", "name": "Lead register",
         "document_kind": "database"},
        {"kind": "attach_document", "step": "w", "document": "doc-cr-catalogue",
         "how": "produces"},
        {"kind": "add_party", "step": "q", "party": "cust-000001", "role": "prospect"},
        {"kind": "set_owner", "component": "q", "owner": "emp-0003"},
        {"kind": "set_owner", "component": CONSULT, "owner": "emp-0004"},
        {"kind": "detach", "step": CONSULT, "uid": "doc-cr-catalogue"},
        {"kind": "remove_flow", "from": CONSULT, "to": DECIDE},
        {"kind": "remove_step", "step": "step-cr-lost"},
    ], based_on=0)
    assert (done.based_on, done.version) == (0, 2)  # 1: the map as the demo wrote it
    q, w = step_named(demo, "Qualify"), step_named(demo, "Welcome pack")
    assert done.new_steps == {"q": q, "w": w} and q.startswith(f"{PROC}/")
    now = flows(demo)
    assert {(START, q), (q, CONSULT), (q, DECIDE), (w, PURCHASE)} <= now
    assert (START, CONSULT) not in now and (CONSULT, DECIDE) not in now
    assert demo.run("MATCH (:Step {uid: $a})-[x:NEXT]->(:Step {uid: $b}) RETURN x.label",
                    {"a": START, "b": q}).rows == [["new enquiry"]]
    assert step_named(demo, "Consult") == CONSULT
    ties = {(t, o) for t, o in demo.run("MATCH (s:Step {uid: $s})-[x]-(o) "
                                        "RETURN type(x), o.uid", {"s": q}).rows}
    assert {("PERFORMS", "emp-0002"), ("PERFORMS", "dept-sales"),
            ("PARTICIPATES_IN", "cust-000001"), ("RESPONSIBLE_FOR", "emp-0003")} <= ties
    register = demo.run("MATCH (:Step {uid: $s})-[:USES]->(d:Document) RETURN d.name, d.kind",
                        {"s": q}).rows
    assert register == [["Lead register", "database"]]
    assert demo.run("MATCH (:Step {uid: $s})-[:PRODUCES]->(d) RETURN d.uid",
                    {"s": w}).rows == [["doc-cr-catalogue"]]
    assert demo.run("MATCH (:Step {uid: $s})-[:USES]->(d {uid: 'doc-cr-catalogue'}) "
                    "RETURN count(d)", {"s": CONSULT}).rows == [[0]]
    assert demo.run("MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(:Step {uid: $s}) RETURN e.uid",
                    {"s": CONSULT}).rows == [["emp-0004"]]  # one owner, replaced
    assert demo.run("MATCH (s:Step {uid: 'step-cr-lost'}) RETURN count(s)").rows == [[0]]
    history = map_history(demo, PROC)
    assert [(r["version"], r["action"]) for r in history["revisions"]] == [(2, "edit"),
                                                                           (1, "edit")]
    assert "add step 'Qualify' after Enquiry received" in history["revisions"][0]["summary"]
    assert history["revisions"][0]["based_on"] == 1
    assert "Qualify" in history["revisions"][0]["changes"]["added"]["Step"]
    # the version before the edit comes back whole, as version 3
    plan = restore_map(demo, PROC, 1)
    assert plan.version == 3
    assert drawn(demo) == original
    # and the edit can be brought back again
    restore_map(demo, PROC, 2)
    assert step_named(demo, "Qualify")


def test_a_failing_change_refuses_the_whole_list_naming_change_and_field(demo):
    before = snapshot(demo)
    edit.set_properties(demo, "emp-0005", {"left_on": "2020-01-01"})
    before = snapshot(demo)
    with pytest.raises(ChangeError) as refused:
        edit_map(demo, PROC, [
            {"kind": "rename_step", "step": CONSULT, "name": "Fine"},  # good on its own
            {"kind": "add_flow", "from": START, "to": "no-such-step"},
            {"kind": "assign_performer", "step": START, "performer": "prod-0001"},
            {"kind": "set_owner", "component": START, "owner": "emp-0005"},
            {"kind": "add_step", "name": "   "},
            {"kind": "add_step", "name": "x", "step_kind": "bogus"},
            {"kind": "drop_table"},
            "not a change",
            {"kind": "add_flow", "from": START, "to": CONSULT},  # exists already
            {"kind": "attach_document", "step": START, "name": "Doc", "how": "eats"},
        ], based_on=0)
    found = {(p.where, p.field) for p in refused.value.problems}
    assert found == {("change 2 (add_flow)", "to"), ("change 3 (assign_performer)", "performer"),
                     ("change 4 (set_owner)", "owner"), ("change 5 (add_step)", "name"),
                     ("change 6 (add_step)", "step_kind"), ("change 7 (drop_table)", "kind"),
                     ("change 8", "kind"), ("change 9 (add_flow)", "to"),
                     ("change 10 (attach_document)", "how")}
    message = str(refused.value)
    assert message.startswith("9 problem(s) in the change list; nothing was saved")
    assert "change 2 (add_flow): field 'to': expected a step of this map" in message
    assert snapshot(demo) == before
    assert trail(demo, "map.edit") == []  # refused before the write began


def test_a_stale_version_is_refused(demo):
    edit_map(demo, PROC, [{"kind": "rename_step", "step": START, "name": "In"}], based_on=0)
    before = snapshot(demo)
    with pytest.raises(StaleRevision) as refused:
        edit_map(demo, PROC, [{"kind": "rename_step", "step": START, "name": "Again"}],
                 based_on=0)
    assert refused.value.kind == "conflict"
    assert "made on version 0 and the map is at version 2 now" in str(refused.value)
    assert snapshot(demo) == before
    edit_map(demo, PROC, [{"kind": "rename_step", "step": START, "name": "Again"}], based_on=2)
    assert map_history(demo, PROC)["version"] == 3


def test_the_audit_record_holds_each_change_before_and_after(demo):
    edit_map(demo, PROC, [
        {"kind": "rename_step", "step": CONSULT, "name": "Consult"},
        {"kind": "set_owner", "component": CONSULT, "owner": "emp-0004"},
        {"kind": "remove_flow", "from": CONSULT, "to": DECIDE},
    ], based_on=0)
    (event,) = trail(demo, "map.edit")
    assert event["target"] == PROC and event["outcome"] == "ok"
    detail = event["detail"]
    assert (detail["based_on"], detail["new_version"]) == (0, 2)
    rename, owner, flow = detail["changes"]
    assert rename["change"] == "change 1 (rename_step)"
    assert (rename["before"], rename["after"]) == ({"name": "Consultation"}, {"name": "Consult"})
    assert owner["before"]["owner"] and owner["after"] == {"owner": "emp-0004"}
    assert flow["before"] is not None and flow["after"] is None


def test_hostile_change_lists_are_bounded(demo):
    before = snapshot(demo)
    too_many = [{"kind": "rename_step", "step": START, "name": "x"}] * (MAX_CHANGES + 1)
    with pytest.raises(ErmError, match="at most 500 are taken"):
        edit_map(demo, PROC, too_many, based_on=0)
    with pytest.raises(ErmError, match="the change list is empty"):
        edit_map(demo, PROC, [], based_on=0)
    with pytest.raises(ErmError, match="must be a list"):
        edit_map(demo, PROC, "rename everything", based_on=0)  # type: ignore[arg-type]
    with pytest.raises(ChangeError) as refused:
        edit_map(demo, PROC, [
            {"kind": "rename_step", "step": START, "name": "x" * 501},
            {"kind": "rename_step", "step": {"$ne": 1}, "name": "x"},
            {"kind": "assign_performer", "step": START, "performer": "' OR 1=1 //"},
            {"kind": "add_party", "step": START, "party": ["cust-000001"]},
            {"kind": "detach", "step": START, "uid": "no-such-uid"},
            {"kind": "set_owner", "component": "step-of-another-map", "owner": "emp-0002"},
            {"kind": ["add_step"]},
            {"kind": "add_flow", "from": START, "to": {"uid": CONSULT}},
            {"kind": "set_owner", "component": [START], "owner": "emp-0002"},
        ], based_on=0)
    assert len(refused.value.problems) == 9
    with pytest.raises(ErmError, match="not a Process or Map"):
        edit_map(demo, "emp-0002", [{"kind": "rename_step"}], based_on=0)
    assert snapshot(demo) == before


def test_a_map_loaded_from_a_file_is_edited_and_restored(store, tmp_path):
    flowchart = tmp_path / "intake.mmd"
    flowchart.write_text("flowchart LR\n  a[Intake] --> b[Review] --> c[Done]\n")
    erm_graph.load(store, [flowchart])
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "Ann"}])
    proc = "intake/flowchart"
    edit_map(store, proc, [
        {"kind": "add_step", "name": "Triage", "after": f"{proc}/a"},
        {"kind": "assign_performer", "step": f"{proc}/b", "performer": "e1"},
    ], based_on=1)
    history = map_history(store, proc)
    assert history["version"] == 2
    assert history["revisions"][0]["source_file"] == "intake.mmd, intake.edits"
    names = {n.props.get("name") for n in map_records(store, proc).graph.nodes.values()}
    assert "Triage" in names
    # the file is the authority for its map: loading it again takes the map back to it (the
    # edit stays in the history), and a restore brings the edit back
    erm_graph.load(store, [flowchart])
    names = {n.props.get("name") for n in map_records(store, proc).graph.nodes.values()}
    assert "Triage" not in names and map_history(store, proc)["version"] == 3
    restore_map(store, proc, 2)
    names = {n.props.get("name") for n in map_records(store, proc).graph.nodes.values()}
    assert "Triage" in names
    restore_map(store, proc, 1)
    names = {n.props.get("name") for n in map_records(store, proc).graph.nodes.values()}
    assert "Triage" not in names and {"Intake", "Review", "Done"} <= names
    assert store.run("MATCH (:Employee {uid: 'e1'})-[x:PERFORMS]->() RETURN count(x)"
                     ).rows == [[0]]


def test_the_web_route_saves_refuses_stale_and_bounds_the_list(demo, tmp_path):
    path = tmp_path / "app-users.db"
    users = Users.open(path)
    users.add("ed", "editor", password=PASSWORD)
    users.add("vic", "viewer", password=PASSWORD)
    ed = {"authorization": f"Bearer {users.new_token('ed')}"}
    vic = {"authorization": f"Bearer {users.new_token('vic')}"}
    users.close()
    app_ = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1"), store=demo)
    change = {"kind": "rename_step", "step": START, "name": "In"}
    with TestClient(app_, base_url="http://127.0.0.1") as client:
        url = f"/api/maps/{PROC}/edit"
        assert client.post(url, headers=vic, json={"based_on": 0, "changes": [change]}
                           ).status_code == 403
        bad = client.post(url, headers=ed, json={"based_on": 0, "changes": [
            {"kind": "rename_step", "step": "nope", "name": "x"}]})
        assert bad.status_code == 400 and "change 1 (rename_step)" in bad.json()["error"][
            "message"]
        huge = client.post(url, headers=ed, json={"based_on": 0,
                                                  "changes": [change] * (MAX_CHANGES + 1)})
        assert huge.status_code == 422
        dry = client.post(url, headers=ed, json={"based_on": 0, "changes": [change],
                                                 "dry_run": True})
        assert dry.status_code == 200 and dry.json()["version"] is None
        assert map_history(demo, PROC)["version"] is None
        done = client.post(url, headers=ed, json={"based_on": 0, "changes": [change]})
        assert done.status_code == 200, done.text
        assert done.json()["version"] == 2 and done.json()["summary"] == [
            "rename step 'Enquiry received' to 'In'"]
        stale = client.post(url, headers=ed, json={"based_on": 0, "changes": [change]})
        assert stale.status_code == 409 and "changed since" in stale.json()["error"]["message"]
        page = client.get(f"/map/{PROC}", headers=ed).text
        assert 'id="edit-map"' in page and 'data-version="2"' in page
        assert "rename step &#39;Enquiry received&#39; to &#39;In&#39;" in page
        assert 'id="edit-map"' not in client.get(f"/map/{PROC}", headers=vic).text
    conn = connect(path)
    try:
        (event,) = audit.events(conn, action="map.edit")
    finally:
        conn.close()
    assert event["actor"] == "ed"


def test_the_cli_applies_a_change_file(tmp_path, store_url):
    from erm_graph.store import open_store

    store = open_store(store_url)
    load_demo(store, 300, seed=7)
    store.close()
    changes = tmp_path / "changes.yaml"
    changes.write_text(f"changes:\n  - {{kind: add_step, name: Qualify, after: {START}}}\n"
                       f"  - {{kind: rename_step, step: {CONSULT}, name: Consult}}\n")
    assert len(read_changes(changes)) == 2
    runner = CliRunner()
    dry = runner.invoke(app, ["--db", store_url, "map", "edit", PROC, "--changes", str(changes),
                              "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "nothing written (dry run)" in dry.output and "+ Step: Qualify" in dry.output
    done = runner.invoke(app, ["--db", store_url, "map", "edit", PROC, "--changes",
                               str(changes)])
    assert done.exit_code == 0, done.output
    assert "saved as version 2 (made on version 0)" in done.output
    stale = runner.invoke(app, ["--db", store_url, "map", "edit", PROC, "--changes",
                                str(changes), "--based-on", "1"])
    assert stale.exit_code != 0 and "changed since this edit began" in stale.output
    shown = runner.invoke(app, ["--db", store_url, "map", "history", PROC, "--format", "json"])
    assert [r["action"] for r in json.loads(shown.output)["revisions"]] == ["edit", "edit"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: a mapping\n")
    refused = runner.invoke(app, ["--db", store_url, "map", "edit", PROC, "--changes",
                                  str(bad)])
    assert refused.exit_code != 0 and "expected a list of changes" in refused.output
    assert Path(changes).exists()
