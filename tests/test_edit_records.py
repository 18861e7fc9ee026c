"""Records made and changed by hand (issue 14 item 1): the verbs of erm_graph.edit in Python,
the CLI (`erm add/set/link/unlink/remove`) and the web routes; the quick actions on
interactions, cases and opportunities. Each write is checked by the model (bad input names
the field and writes nothing) and audited with the values before and after. Real engine,
real security file, real CLI and web app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph import edit
from erm_graph.auth import Users, audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.cli import app
from erm_graph.errors import ErmError, ValidationError
from erm_graph.settings import Settings
from erm_graph.web import create_app

WHEN = "2026-12-01T10:00:00"
PASSWORD = "correct horse battery"


def trail(store: Any, action: str | None = None) -> list[dict[str, Any]]:
    """The store's audit trail, newest first (``action``: a prefix)."""
    conn = connect(users_db_path(store))
    try:
        return audit.events(conn, action=action)
    finally:
        conn.close()


def count(store: Any, pattern: str = "MATCH (n) RETURN count(n)") -> int:
    return store.run(pattern).rows[0][0]


def snapshot(store: Any) -> tuple[Any, ...]:
    """Everything in the graph: what a refused write must leave as it was."""
    nodes = store.run("MATCH (n) RETURN n.uid, labels(n), properties(n) ORDER BY n.uid").rows
    rels = store.run("MATCH (a)-[r]->(b) RETURN a.uid, type(r), b.uid, properties(r) "
                     "ORDER BY a.uid, type(r), b.uid").rows
    return repr(nodes), repr(rels)


@pytest.fixture
def office(store):
    """A customer with a contact, two employees (one has left), a department, a product."""
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Meridian Retail"}])
    store.upsert_nodes("Contact", [{"uid": "k1", "name": "Kim"}])
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "Ann Officer"},
                                    {"uid": "e2", "name": "Lee Lead"},
                                    {"uid": "e3", "name": "Gone", "left_on": "2020-01-01"}])
    store.upsert_nodes("Department", [{"uid": "d1", "name": "Service"}])
    store.upsert_nodes("Product", [{"uid": "p1", "name": "Widget", "kind": "product"}])
    return store


# -- the verbs in Python -----------------------------------------------------------------------
def test_a_bogus_case_is_refused_field_by_field_and_nothing_is_written(office):
    before = snapshot(office)
    with pytest.raises(ValidationError) as refused:
        edit.add_node(office, "Case", {"kind": "bogus", "severity": 9})
    fields = {p.field for p in refused.value.problems}
    assert fields == {"kind", "severity", "status", "opened_at"}
    assert "expected one of service, warranty, complaint, got 'bogus'" in str(refused.value)
    assert snapshot(office) == before
    failed = trail(office, "add")
    assert [e["outcome"] for e in failed] == []  # refused before any write was announced


def test_add_set_and_clear_are_stamped_and_audited_with_before_and_after(office):
    made = edit.add_node(office, "Case", {"kind": "service", "status": "open",
                                          "opened_at": WHEN}, uid="case-1")
    assert made.uid == "case-1"
    props = office.run("MATCH (x:Case {uid: 'case-1'}) RETURN properties(x)").rows[0][0]
    assert props["created_at"] == props["updated_at"] and props["content_hash"]
    assert props["source"].startswith("app:os:")  # who made it (here: the OS user)
    changed = edit.set_properties(office, "case-1", {"severity": 2, "status": "in_progress"})
    assert changed.before == {"severity": None, "status": "open"}
    cleared = edit.set_properties(office, "case-1", {"severity": None})
    assert cleared.before == {"severity": 2} and cleared.after == {"severity": None}
    props = office.run("MATCH (x:Case {uid: 'case-1'}) RETURN properties(x)").rows[0][0]
    assert "severity" not in props and props["status"] == "in_progress"
    events = trail(office)
    assert [(e["action"], e["outcome"]) for e in events[:3]] == [
        ("edit", "ok"), ("edit", "ok"), ("add", "ok")]
    assert events[1]["detail"]["before"] == {"severity": None, "status": "open"}
    assert events[1]["detail"]["after"] == {"severity": 2, "status": "in_progress"}
    assert events[0]["target"] == "case-1" and events[0]["detail"]["label"] == "Case"


def test_set_refuses_unknown_store_kept_and_badly_typed_fields(office):
    before = snapshot(office)
    with pytest.raises(ErmError, match="cannot edit colour on a Customer"):
        edit.set_properties(office, "c1", {"colour": "red"})
    with pytest.raises(ErmError, match="cannot edit created_at"):
        edit.set_properties(office, "c1", {"created_at": WHEN})
    with pytest.raises(ValidationError, match="field 'tier': expected integer <= 3, got 7"):
        edit.set_properties(office, "c1", {"tier": 7})
    with pytest.raises(ValidationError, match="field 'name': expected a value"):
        edit.set_properties(office, "c1", {"name": None})  # required: cannot be cleared
    with pytest.raises(ErmError, match="bookkeeping"):
        edit.add_node(office, "Merge", {"label": "Party"})
    with pytest.raises(ErmError, match="exists already"):
        edit.add_node(office, "Supplier", {"name": "Twin"}, uid="c1")  # Party's uid
    assert snapshot(office) == before


def test_link_unlink_and_remove(office):
    before = snapshot(office)
    with pytest.raises(ValidationError, match="field 'end label': expected one of Employee, "
                                              "Department, got 'Customer'"):
        edit.link(office, "k1", "ASSIGNED_TO", "c1")
    with pytest.raises(ErmError, match="erm owner set"):
        edit.link(office, "e1", "RESPONSIBLE_FOR", "d1")
    with pytest.raises(ValidationError, match="field 'role'"):
        edit.link(office, "e1", "PERFORMS", "d1", {"role": 3})
    assert snapshot(office) == before
    made = edit.link(office, "k1", "WORKS_FOR", "c1")
    assert made.linked and count(office, "MATCH ()-[r:WORKS_FOR]->() RETURN count(r)") == 1
    again = edit.link(office, "k1", "WORKS_FOR", "c1")
    assert not again.linked  # there already: no second copy, no write
    assert count(office, "MATCH ()-[r:WORKS_FOR]->() RETURN count(r)") == 1
    office.upsert_nodes("Supplier", [{"uid": "s1", "name": "Parts Ltd"}])
    edit.link(office, "s1", "RELATES_TO", "c1", {"kind": "partners"})
    changed = edit.link(office, "s1", "RELATES_TO", "c1", {"kind": "supplies"})
    assert changed.before == {"kind": "partners"} and changed.after == {"kind": "supplies"}
    edit.unlink(office, "k1", "WORKS_FOR", "c1")
    with pytest.raises(ErmError, match="nothing to unlink"):
        edit.unlink(office, "k1", "WORKS_FOR", "c1")
    gone = edit.remove_node(office, "c1")
    assert gone.before["name"] == "Meridian Retail"
    assert gone.unlinked == [{"type": "RELATES_TO", "direction": "in", "uid": "s1"}]
    assert count(office, "MATCH (n:Customer) RETURN count(n)") == 0
    assert count(office, "MATCH ()-[r:RELATES_TO]->() RETURN count(r)") == 0
    actions = [e["action"] for e in trail(office)]
    assert actions[:5] == ["remove", "unlink", "link", "link", "link"]
    assert trail(office, "remove")[0]["detail"]["before"]["name"] == "Meridian Retail"


# -- the quick actions -------------------------------------------------------------------------
def test_log_an_interaction_with_notes(office):
    logged = edit.log_interaction(office, "c1", kind="call", notes="Asked about renewal",
                                  sentiment=0.5, channel="phone", product="p1", employee="e1")
    row = office.run("MATCH (:Customer {uid: 'c1'})-[:HAD]->(i:Interaction)-[:WITH]->(e) "
                     "MATCH (i)-[:ABOUT]->(p) RETURN i.notes, i.sentiment, i.channel, e.uid, "
                     "p.uid, i.at IS NOT NULL").rows
    assert row == [["Asked about renewal", 0.5, "phone", "e1", "p1", True]]
    event = trail(office, "interaction.log")[0]
    assert event["target"] == logged.uid and event["detail"]["after"]["notes"] == \
        "Asked about renewal"
    before = snapshot(office)
    with pytest.raises(ValidationError, match="field 'sentiment'"):
        edit.log_interaction(office, "c1", sentiment=3)
    with pytest.raises(ValidationError, match="field 'channel'"):
        edit.log_interaction(office, "c1", channel="pigeon")
    with pytest.raises(ErmError, match="is a Product"):
        edit.log_interaction(office, "p1")
    with pytest.raises(ErmError, match="left on 2020-01-01"):
        edit.log_interaction(office, "c1", employee="e3")
    assert snapshot(office) == before


def test_a_case_opened_assigned_escalated_and_resolved(office):
    opened = edit.open_case(office, "c1", kind="complaint", summary="Late delivery",
                            severity=3, product="p1")
    case = opened.uid
    edit.assign_case(office, case, "e1")
    escalated = edit.escalate_case(office, case, to="e2", severity=1)
    assert escalated.unlinked == [{"type": "ASSIGNED_TO", "direction": "out", "uid": "e1"}]
    history = escalated.before.pop("assignment_history")  # the hand-over is kept
    assert escalated.before == {"escalated": None, "severity": 3}  # responded_at: kept
    assert [h.split()[0] for h in history] == ["e1"]
    assert [h.split()[0] for h in escalated.after["assignment_history"]] == ["e1", "e2"]
    edit.assign_case(office, case, "d1")  # reassigned to a department
    resolved = edit.resolve_case(office, case, "Refunded the delivery")
    assert resolved.before["status"] == "in_progress"
    row = office.run("MATCH (x:Case {uid: $u}) OPTIONAL MATCH (x)-[:ASSIGNED_TO]->(a) "
                     "RETURN x.status, x.escalated, x.severity, x.resolution, "
                     "x.closed_at IS NOT NULL, collect(a.uid)", {"u": case}).rows
    assert row == [["resolved", True, 1, "Refunded the delivery", True, ["d1"]]]
    trail_ = [(e["action"], e["detail"].get("unlinked"), e["detail"].get("linked"))
              for e in trail(office, "case")]
    assert [t[0] for t in trail_] == ["case.resolve", "case.assign", "case.escalate",
                                      "case.assign", "case.open"]
    assert trail_[1][1] == [{"type": "ASSIGNED_TO", "direction": "out", "uid": "e2"}]
    assert trail_[1][2] == [{"type": "ASSIGNED_TO", "direction": "out", "uid": "d1"}]
    before = snapshot(office)
    with pytest.raises(ErmError, match="is resolved"):
        edit.escalate_case(office, case)
    with pytest.raises(ErmError, match="field 'resolution'"):
        edit.resolve_case(office, case, " ")
    with pytest.raises(ValidationError, match="field 'kind'"):
        edit.open_case(office, "c1", kind="bogus")
    with pytest.raises(ErmError, match="is a Product"):
        edit.open_case(office, "c1", kind="service", assignee="p1")
    assert snapshot(office) == before


def test_an_opportunity_opened_assigned_and_advanced_keeps_its_stage_history(office):
    opened = edit.open_opportunity(office, "c1", name="Renewal 2027", amount=12000.0,
                                   product="p1", assignee="e1")
    deal = opened.uid
    edit.assign_opportunity(office, deal, "e2")
    edit.advance_opportunity(office, deal, "qualified")
    edit.advance_opportunity(office, deal, "won")
    row = office.run("MATCH (:Party {uid: 'c1'})-[:HOLDS]->(o:Opportunity)-[:ASSIGNED_TO]->(e) "
                     "RETURN o.stage, o.stage_history, e.uid").rows
    stage, history, owner = row[0]
    assert (stage, owner) == ("won", "e2")
    assert [h.split()[0] for h in history] == ["lead", "qualified", "won"]
    assert all(len(h.split()) == 3 for h in history)  # stage, when, who
    before = snapshot(office)
    with pytest.raises(ErmError, match="is won: it is closed"):
        edit.advance_opportunity(office, deal, "lost")
    other = edit.open_opportunity(office, "c1", name="Upsell").uid
    before = snapshot(office)
    with pytest.raises(ValidationError, match="field 'stage'"):
        edit.advance_opportunity(office, other, "dreaming")
    with pytest.raises(ErmError, match="is a Contact"):
        edit.open_opportunity(office, "k1", name="x")
    assert snapshot(office) == before
    assert trail(office, "opportunity.advance")[0]["detail"]["after"]["stage"] == "won"


# -- the CLI -----------------------------------------------------------------------------------
def test_the_cli_verbs(store_url, monkeypatch, tmp_path):
    monkeypatch.setenv("ERM_USERS_DB", str(tmp_path / "users.db"))
    runner = CliRunner()

    def erm(*args: str, code: int = 0) -> str:
        done = runner.invoke(app, ["--db", store_url, *args])
        assert done.exit_code == code, (args, done.output)
        return done.output

    erm("add", "Customer", "-s", "name=Meridian", "--uid", "c1")
    bad = erm("add", "Case", "-s", "kind=bogus", "-s", "severity=9", code=1)
    assert "field 'kind'" in bad and "field 'severity'" in bad and "got 9" in bad
    made = erm("add", "Case", "-s", "kind=complaint", "-s", "status=open", "-s",
               f"opened_at={WHEN}", "-s", "severity=2", "--uid", "k1")
    assert "add Case k1" in made and "severity: None -> 2" in made
    assert "escalated: None -> True" in erm("set", "k1", "escalated=yes", "resolution=")
    assert "field 'severity'" in erm("set", "k1", "severity=high", code=1)
    assert "+RAISED -> k1" in erm("link", "c1", "RAISED", "k1")
    assert "unknown relationship type 'RAISES'" in erm("link", "c1", "RAISES", "k1", code=1)
    assert "-RAISED -> k1" in erm("unlink", "c1", "RAISED", "k1")
    assert "--yes" in erm("remove", "k1", code=1)
    erm("remove", "k1", "--yes")
    # the quick actions
    assert "field 'sentiment'" in erm("log", "c1", "--sentiment", "2", code=1)
    assert "+HAD <- c1" in erm("log", "c1", "--notes", "called back", "--sentiment", "0.5")
    assert "field 'kind'" in erm("case", "open", "c1", "--kind", "bogus", code=1)
    opened = erm("case", "open", "c1", "--kind", "service", "--json")
    case = json.loads(opened)["uid"]
    assert "escalated: None -> True" in erm("case", "escalate", case, "--severity", "1")
    assert "status: 'open' -> 'resolved'" in erm("case", "resolve", case, "replaced")
    assert "is resolved" in erm("case", "resolve", case, "again", code=1)
    bypass = runner.invoke(app, ["--db", store_url, "cypher", "--write",
                                 "CREATE (:Case {kind: 'bogus', severity: 9})"])
    assert bypass.exit_code == 0 and "bypassed the model" in bypass.output
    conn = connect(tmp_path / "users.db")
    actions = [e["action"] for e in audit.events(conn)]
    conn.close()
    assert actions[:10] == ["cypher.write", "case.resolve", "case.escalate", "case.open",
                            "interaction.log", "remove", "unlink", "link", "edit", "add"]


# -- the web app -------------------------------------------------------------------------------
@pytest.fixture
def web(office, tmp_path):
    path = tmp_path / "app-users.db"
    users = Users.open(path)
    tokens = {}
    for name, role in (("ed", "editor"), ("olga", "officer"), ("vic", "viewer")):
        users.add(name, role, password=PASSWORD)
        tokens[role] = {"authorization": f"Bearer {users.new_token(name)}"}
    users.close()
    app_ = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1"), store=office)
    with TestClient(app_, base_url="http://127.0.0.1") as client:
        yield client, tokens, path


def test_web_forms_create_edit_link_and_remove(web, office):
    client, tokens, _ = web
    ed = tokens["editor"]
    form = client.get("/api/forms/Case", headers=ed).json()
    kinds = {f["name"]: f["widget"] for f in form["fields"]}
    assert kinds["severity"] == "number" and kinds["kind"] == "select"
    assert kinds["opened_at"] == "datetime-local" and kinds["summary"] == "textarea"
    assert {"type": "RAISED", "direction": "in"} in [
        {"type": r["type"], "direction": r["direction"]} for r in form["relationships"]]
    before = snapshot(office)
    bad = client.post("/api/records", headers=ed, json={
        "label": "Case", "properties": {"kind": "bogus", "severity": "9"}})
    assert bad.status_code == 400 and "field 'severity'" in bad.text and "'bogus'" in bad.text
    bad_link = client.post("/api/records", headers=ed, json={
        "label": "Case", "properties": {"kind": "service", "status": "open",
                                        "opened_at": WHEN[:16]},
        "links": [{"type": "RAISED", "uid": "p1", "direction": "in"}]})
    assert bad_link.status_code == 400 and "start label" in bad_link.text
    assert snapshot(office) == before
    made = client.post("/api/records", headers=ed, json={
        "label": "Case", "properties": {"kind": "service", "status": "open",
                                        "opened_at": WHEN[:16], "severity": "2"},
        "links": [{"type": "RAISED", "uid": "c1", "direction": "in"}]})
    assert made.status_code == 200, made.text
    case = made.json()["uid"]
    assert office.run("MATCH (:Party {uid: 'c1'})-[:RAISED]->(x:Case) RETURN x.severity, "
                      "x.opened_at").rows == [[2, WHEN]]
    patched = client.patch(f"/api/nodes/{case}", headers=ed,
                           json={"properties": {"escalated": "true", "severity": ""}})
    assert patched.json()["after"] == {"escalated": True, "severity": None}
    assert client.post("/api/links", headers=ed, json={
        "start": case, "type": "ASSIGNED_TO", "end": "e1"}).status_code == 200
    r = client.delete("/api/links", headers=ed,
                      params={"start": case, "type": "ASSIGNED_TO", "end": "e1"})
    assert r.status_code == 200
    assert client.get(f"/edit/{case}", headers=ed).status_code == 200
    assert client.get("/new/Opportunity", headers=ed).status_code == 200
    assert client.get("/new/Merge", headers=ed).status_code == 400
    assert client.delete(f"/api/nodes/{case}", headers=ed).status_code == 200
    assert count(office, "MATCH (x:Case) RETURN count(x)") == 0
    for role in ("officer", "viewer"):
        assert client.post("/api/records", headers=tokens[role], json={
            "label": "Customer", "properties": {"name": "x"}}).status_code == 403


def test_web_quick_actions_as_an_officer(web, office):
    client, tokens, path = web
    olga = tokens["officer"]
    before = snapshot(office)
    bad = client.post("/api/accounts/c1/interactions", headers=olga,
                      json={"kind": "call", "sentiment": 4})
    assert bad.status_code == 400 and "field 'sentiment'" in bad.text
    assert snapshot(office) == before
    logged = client.post("/api/accounts/c1/interactions", headers=olga,
                         json={"kind": "call", "notes": "Renewal next month", "product": "p1"})
    assert logged.status_code == 200, logged.text
    opened = client.post("/api/accounts/c1/cases", headers=olga,
                         json={"kind": "complaint", "summary": "Broken", "severity": 3})
    case = opened.json()["uid"]
    for step, body in (("assign", {"assignee": "e1"}), ("escalate", {"to": "e2"}),
                       ("resolve", {"resolution": "Replaced it"})):
        r = client.post(f"/api/cases/{case}/{step}", headers=olga, json=body)
        assert r.status_code == 200, (step, r.text)
    again = client.post(f"/api/cases/{case}/resolve", headers=olga, json={"resolution": "x"})
    assert again.status_code == 400 and "is resolved" in again.text
    deal = client.post("/api/accounts/c1/opportunities", headers=olga,
                       json={"name": "Renewal", "amount": 100}).json()["uid"]
    assert client.post(f"/api/opportunities/{deal}/assign", headers=olga,
                       json={"assignee": "e2"}).status_code == 200
    bad = client.post(f"/api/opportunities/{deal}/advance", headers=olga,
                      json={"stage": "maybe"})
    assert bad.status_code == 400 and "field 'stage'" in bad.text
    assert client.post(f"/api/opportunities/{deal}/advance", headers=olga,
                       json={"stage": "proposal"}).status_code == 200
    assert client.post("/api/accounts/c1/interactions", headers=tokens["viewer"],
                       json={"kind": "call"}).status_code == 403
    conn = connect(path)
    events = audit.events(conn)
    conn.close()
    assert [(e["action"], e["actor"]) for e in events[:8]] == [
        ("opportunity.advance", "olga"), ("opportunity.assign", "olga"),
        ("opportunity.open", "olga"), ("case.resolve", "olga"), ("case.escalate", "olga"),
        ("case.assign", "olga"), ("case.open", "olga"), ("interaction.log", "olga")]
    assert events[3]["detail"]["before"]["status"] == "in_progress"
    assert events[3]["detail"]["after"]["status"] == "resolved"


def test_cypher_and_named_query_writes_say_they_bypass_the_model(office, tmp_path):
    """Decided (docs/editing.md): a statement's writes are audited but not checked; every run
    says so. The bogus case of issue 14 is written as it stands."""
    from erm_graph.query import run_cypher, run_query
    from erm_graph.query.library import load_library

    result = run_cypher(office, "CREATE (:Case {kind: 'bogus', severity: 9})", write=True)
    assert any("bypassed the model" in w for w in result.warnings)
    assert office.run("MATCH (x:Case {kind: 'bogus'}) RETURN x.severity, x.uid, "
                      "x.created_at").rows == [[9, None, None]]
    assert trail(office, "cypher.write")[0]["outcome"] == "ok"
    (tmp_path / "tag.cypher").write_text(
        "// name: tag\n// title: Tag\n// description: Tag one customer.\n"
        "// read_only: false\n// params:\n//   uid: {type: string, required: true}\n"
        "MATCH (c:Customer {uid: $uid}) SET c.segment = 'tagged' RETURN count(c) AS n\n")
    named = run_query(office, "tag", {"uid": "c1"}, write=True, library=load_library(tmp_path))
    assert any("bypassed the model" in w and "--action query" in w for w in named.warnings)
    assert not run_cypher(office, "MATCH (c:Customer) RETURN count(c)").warnings
