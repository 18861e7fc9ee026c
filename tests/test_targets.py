"""Designed target relationships (issue 15 item 3): a plan file, the gap analysis per party and
per target with actions for the owners, prospects and their warm paths, through the Python
API, the CLI and the web app, on the embedded engine.

Planted facts: a small library written here, whose every gap is known; and the demo, whose
gaps are counted again by plain queries.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.cli import app as cli
from erm_graph.settings import Settings
from erm_graph.strategy.targets import TargetPlanError, check_plan, read_plan
from erm_graph.web import create_app

PLANTED = """
CREATE (cro:Employee {uid: 'e-cro', name: 'Cora Ro', role: 'CRO'}),
       (eng:Employee {uid: 'e-eng', name: 'Egon Ng', role: 'engineer'}),
       (am:Employee {uid: 'e-am', name: 'Ada Mann', role: 'account manager'}),
       (sales:Department {uid: 'd-sales', name: 'Sales'}),
       (support:Department {uid: 'd-support', name: 'Support'}),
       (am)-[:MEMBER_OF]->(sales), (eng)-[:MEMBER_OF]->(support),
       (prod:Product {uid: 'p-1', name: 'Pump', kind: 'product'}),
       (good:Customer:Party {uid: 'c-good', name: 'Good Co', segment: 'enterprise'}),
       (late:Customer:Party {uid: 'c-late', name: 'Late Co', segment: 'enterprise'}),
       (lone:Customer:Party {uid: 'c-lone', name: 'Lone Co', segment: 'enterprise'}),
       (small:Customer:Party {uid: 'c-small', name: 'Small Co', segment: 'smb'}),
       (partner:Partner:Party {uid: 'x-part', name: 'Bridge Partners'}),
       (am)-[:MANAGES]->(good), (eng)-[:MANAGES]->(late), (am)-[:MANAGES]->(partner),
       (good)-[:HAD]->(g1:Interaction {uid: 'i-g1', kind: 'purchase', channel: 'visit',
                                       at: '2026-06-20T10:00:00'}),
       (g1)-[:WITH]->(am), (g1)-[:ABOUT]->(prod),
       (good)-[:HAD]->(g2:Interaction {uid: 'i-g2', kind: 'call', channel: 'phone',
                                       at: '2026-06-25T10:00:00'}),
       (g2)-[:WITH]->(eng),
       (late)-[:HAD]->(l1:Interaction {uid: 'i-l1', kind: 'call', channel: 'phone',
                                       at: '2026-03-01T10:00:00'}),
       (l1)-[:WITH]->(eng),
       (small)-[:HAD]->(s1:Interaction {uid: 'i-s1', kind: 'call', channel: 'phone',
                                        at: '2026-06-30T10:00:00'})
"""
#: the day after the latest interaction: the plan is checked on that day
END = "2026-07-01"
PLAN = """
title: Planted targets
segments:
  - name: Enterprise
    match: {segment: enterprise}
    want:
      owner_roles: [account manager, CRO]
      contact_every_days: 30
      channels: {visit: 60}
      departments: [Sales, Support]
      products: [p-1]
accounts:
  - {name: Bridge Partners, want: {contact_every_days: 90}}
  - {name: Nordwind AG, want: {contact_every_days: 90}}
"""


@pytest.fixture
def planted(store, tmp_path):
    store.run(PLANTED, read_only=False)
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    return store, plan


def gaps_of(report, name):
    (check,) = [c for c in report.checks if c.name == name]
    return {g.criterion: (g.says, g.action) for g in check.gaps}, check


def test_each_party_is_checked_on_every_criterion_with_the_figure_and_the_action(planted):
    store, plan = planted
    report = check_plan(store, read_plan(plan))
    assert report.period_end == END
    good, check = gaps_of(report, "Good Co")
    assert good == {} and check.met == ["owner", "contact", "channel:visit", "departments",
                                        "products"]
    late, _ = gaps_of(report, "Late Co")
    days = (dt.date.fromisoformat(END) - dt.date(2026, 3, 1)).days
    assert late == {
        "owner": ("owned by Egon Ng (engineer)",
                  "Egon Ng: give Late Co an owner who is one of: account manager, CRO"),
        "contact": (f"last contact {days} days ago",
                    "Egon Ng: contact Late Co (target: every 30 days)"),
        "channel:visit": ("no visit on record",
                          "Egon Ng: visit with Late Co (target: every 60 days)"),
        "departments": ("Sales does not know them", "Egon Ng: introduce Late Co to Sales"),
        "products": ("does not hold p-1", "Egon Ng: offer p-1 to Late Co"),
    }
    lone, check = gaps_of(report, "Lone Co")
    assert check.owner is None and lone["owner"][0] == "no account owner"
    assert lone["contact"] == ("never contacted", "CRO: contact Lone Co (target: every 30 days)")
    assert "Small Co" not in {c.name for c in report.checks}, "not in the segment"


def test_the_summary_counts_each_target_and_its_shortfalls(planted):
    store, plan = planted
    summary = {t["target"]: t for t in check_plan(store, read_plan(plan)).by_target()}
    assert summary["Enterprise"] == {
        "target": "Enterprise", "parties": 3, "on_target": 1,
        "short_on": {"owner": 2, "contact": 2, "channel:visit": 2, "departments": 2,
                     "products": 2}}
    assert summary["Nordwind AG"]["short_on"] == {"relationship": 1}


def test_prospects_get_no_relationship_yet_or_their_warm_path(planted):
    store, plan = planted
    report = check_plan(store, read_plan(plan))
    nordwind, check = gaps_of(report, "Nordwind AG")
    assert check.uid is None and nordwind["relationship"][0].startswith("not in the library")
    bridge, check = gaps_of(report, "Bridge Partners")
    assert check.uid == "x-part" and bridge["contact"][0] == "never contacted"
    assert check.warm_path is not None and check.warm_path["chain"][0] == "e-am"
    assert check.warm_path["chain"][-1] == "x-part"


@pytest.mark.parametrize(("text", "says"), [
    ("segments: [{name: A, kind: Robot, want: {}}]", "Robot"),
    ("segments: [{name: A, match: {colour: red}, want: {}}]", "colour"),
    ("accounts: [{want: {}}]", "uid (in the library) or its name"),
    ("accounts: [{uid: x, want: {contact_every_days: 0}}]", "contact_every_days"),
    ("bogus: 1", "bogus"),
])
def test_a_bad_plan_is_refused_naming_the_file_and_the_fault(tmp_path, text, says):
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    with pytest.raises(TargetPlanError) as caught:
        read_plan(path)
    assert str(path) in str(caught.value) and says in str(caught.value)


def test_the_demo_gaps_agree_with_plain_queries(demo_store, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("segments:\n  - name: Enterprise\n    match: {segment: enterprise}\n"
                    "    want: {contact_every_days: 60, owner_roles: [account manager]}\n")
    report = check_plan(demo_store, read_plan(plan))
    (latest,) = demo_store.run("MATCH (i:Interaction) RETURN max(i.at)").rows[0]
    end = dt.date.fromisoformat(latest[:10]) + dt.timedelta(days=1)
    expected_late, expected_owner = set(), set()
    for uid, last, roles in demo_store.run(
            "MATCH (c:Customer {segment: 'enterprise'}) "
            "OPTIONAL MATCH (c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i:Interaction) "
            "WITH c, max(i.at) AS last "
            "RETURN c.uid, last, [(c)<-[:MANAGES]-(e:Employee) | e.role]").rows:
        if last is None or (end - dt.date.fromisoformat(last[:10])).days > 60:
            expected_late.add(uid)
        if "account manager" not in roles:
            expected_owner.add(uid)
    assert {c.uid for c in report.checks if any(g.criterion == "contact" for g in c.gaps)} \
        == expected_late
    assert {c.uid for c in report.checks if any(g.criterion == "owner" for g in c.gaps)} \
        == expected_owner
    assert expected_late and expected_owner, "the demo has both kinds of gap"


def test_the_cli_prints_the_gaps_and_the_web_app_shows_them(planted, store_url, tmp_path):
    store, plan = planted
    runner = CliRunner()
    done = runner.invoke(cli, ["--db", store_url, "targets", "check", str(plan), "-f", "json"])
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)
    assert found["title"] == "Planted targets" and len(found["parties"]) == 5
    csv = runner.invoke(cli, ["--db", store_url, "targets", "check", str(plan), "--gaps",
                              "-f", "csv"])
    assert csv.exit_code == 0 and csv.output.startswith("party,target,owner,gap,action")
    assert "Good Co" not in csv.output, "on target: left out with --gaps"
    missing = runner.invoke(cli, ["--db", store_url, "targets", "check"],
                            env={"ERM_TARGET_PLAN": ""})
    assert missing.exit_code != 0 and "ERM_TARGET_PLAN" in missing.output

    for settings, says in ((Settings.from_env(users_db=tmp_path / "u1.db"), "no plan"),
                           (Settings.from_env(users_db=tmp_path / "u2.db", target_plan=plan),
                            None)):
        with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as c:
            answer = c.get("/api/targets").json()
            page = c.get("/targets")
        assert page.status_code == 200
        if says:
            assert answer["says"].startswith(says) and "No plan yet" in page.text
        else:
            assert answer == found and "Egon Ng: contact Late Co" in page.text


def test_the_gaps_become_one_task_per_short_party_for_its_owner_once(planted):
    from erm_graph.strategy.gap_tasks import open_gap_tasks
    store, plan = planted
    report = check_plan(store, read_plan(plan))
    first = open_gap_tasks(store, report, due_in_days=7, limit=1)
    assert len(first.opened) == 1 and first.left == 1 and first.problems == []
    assert sorted(first.no_owner) == ["Lone Co", "Nordwind AG"], "for the CRO, not a task"
    done = open_gap_tasks(store, report, due_in_days=7)
    assert len(done.opened) == 1 and done.already == 1 and done.left == 0
    again = open_gap_tasks(store, report)
    assert again.opened == [] and again.already == 2, "once for the same gaps"
    tasks = store.run(
        "MATCH (t:Task)-[:ASSIGNED_TO]->(e:Employee), (t)-[:CONCERNS]->(p:Party) "
        "RETURN p.name, e.uid, t.status, t.title, t.notes, t.due ORDER BY p.name").rows
    assert [(p, e, s) for p, e, s, *_ in tasks] == [("Bridge Partners", "e-am", "open"),
                                                   ("Late Co", "e-eng", "open")]
    _, late = gaps_of(report, "Late Co")
    title, notes, due = tasks[1][3:]
    assert title.startswith("Relationship plan: Late Co falls short on ")
    for gap in late.gaps:  # every proposed action is in the task, with its figure
        assert gap.criterion in title and f"{gap.says}: {gap.action}" in notes
    days = (dt.datetime.fromisoformat(due) - dt.datetime.now()).total_seconds() / 86400
    assert 6.9 < days <= 7.0
    # new gaps, a new task: Late Co is no longer short on its products
    store.run("MATCH (l:Party {uid: 'c-late'}), (p:Product {uid: 'p-1'}) "
              "CREATE (l)-[:HAD]->(:Interaction {uid: 'i-l2', kind: 'purchase', "
              "at: '2026-03-02T10:00:00'})-[:ABOUT]->(p)", read_only=False)
    changed = open_gap_tasks(store, check_plan(store, read_plan(plan)))
    assert len(changed.opened) == 1 and changed.already == 1


def test_the_cli_and_the_web_app_open_the_tasks(planted, store_url, tmp_path):
    store, plan = planted
    done = CliRunner().invoke(cli, ["--db", store_url, "targets", "check", str(plan),
                                    "--open-tasks", "--due-in-days", "3", "-f", "json"])
    assert done.exit_code == 0, done.output
    tasks = json.loads(done.stdout)["tasks"]
    assert len(tasks["opened"]) == 2 and tasks["says"].startswith("opened 2 tasks for owners")
    settings = Settings.from_env(users_db=tmp_path / "u.db", target_plan=plan)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        answer = client.post("/api/targets/tasks", json={"due_in_days": 3})
        assert answer.status_code == 200, answer.text
        assert answer.json()["opened"] == [] and answer.json()["already"] == 2
        assert client.post("/api/targets/tasks", json={"due_in_days": 999}).status_code == 422
        assert 'id="gap-tasks"' in client.get("/targets").text
    no_plan = Settings.from_env(users_db=tmp_path / "u2.db")
    with TestClient(create_app(no_plan, store=store), base_url="http://127.0.0.1") as client:
        refused = client.post("/api/targets/tasks", json={})
        assert refused.status_code == 400 and "ERM_TARGET_PLAN" in refused.text
