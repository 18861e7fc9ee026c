"""Sales operations on the embedded engine: commissions from a rules file (domains, tiers at
their boundaries, splits), the rules file's errors, quota attainment, campaign return, who
sees whose pay, the CLI and the web page (docs/sales.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth.users import Users
from erm_graph.cli import app as cli
from erm_graph.demo.sales import WON
from erm_graph.edit import actions
from erm_graph.errors import ErmError
from erm_graph.query.named import run_query
from erm_graph.sales import CommissionRulesError, commissions, period, read_rules
from erm_graph.sales.commissions import EXAMPLE_RULES
from erm_graph.sales.report import visible_reps
from erm_graph.settings import Settings
from erm_graph.web import create_app
from erm_graph.web.dashboard_files import load_dashboard

RULES = """\
title: Test rules
currency: EUR
rates: {product: 0.10, service: 0.20}
default_rate: 0.01
tiers:
  - {above: 0, multiplier: 1.0}
  - {above: 1.0, multiplier: 2.0}
splits: {assignee: 75, account_owner: 25}
"""


def rules_file(tmp_path: Path, text: str = RULES, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def build(store, deals, quotas=(), managers=(), reports=()):
    """Employees e1..e4, customer c1 (managed by ``managers``), products of two domains and
    one with no rate, the won ``deals`` (uid, amount, won day, products, assignees) and the
    ``quotas`` (rep, period, amount); ``reports``: (employee, manager)."""
    store.ensure_schema()
    store.upsert_nodes("Employee", [{"uid": f"e{n}", "name": f"Rep {n}"} for n in range(1, 5)])
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Customer One"}])
    store.upsert_nodes("Product", [
        {"uid": "p-prod", "name": "Box", "kind": "product"},
        {"uid": "p-serv", "name": "Care", "kind": "service"},
        {"uid": "p-ad", "name": "Banner", "kind": "advertising"}])
    store.upsert_nodes("Opportunity", [
        {"uid": uid, "name": uid, "stage": "won", "amount": amount,
         "stage_history": ["lead 2026-01-02T10:00:00 t", f"won {day}T10:00:00 t"]}
        for uid, amount, day, _, _ in deals])
    store.upsert_relationships("HOLDS", "Customer", "Opportunity",
                               [{"start": "c1", "end": d[0]} for d in deals])
    store.upsert_relationships("ABOUT", "Opportunity", "Product",
                               [{"start": d[0], "end": p} for d in deals for p in d[3]])
    store.upsert_relationships("ASSIGNED_TO", "Opportunity", "Employee",
                               [{"start": d[0], "end": e} for d in deals for e in d[4]])
    store.upsert_relationships("MANAGES", "Employee", "Customer",
                               [{"start": m, "end": "c1"} for m in managers])
    store.upsert_relationships("REPORTS_TO", "Employee", "Employee",
                               [{"start": e, "end": m} for e, m in reports])
    store.upsert_nodes("Quota", [{"uid": f"q-{rep}-{p}", "name": "q", "period": p,
                                  "amount": amount} for rep, p, amount in quotas])
    store.upsert_relationships("QUOTA_OF", "Quota", "Employee",
                               [{"start": f"q-{rep}-{p}", "end": rep} for rep, p, _ in quotas])


def by_rep(report):
    return {r.rep: r for r in report.reps}


# -- commission arithmetic ---------------------------------------------------------------------
def test_rates_by_domain_and_the_split_of_a_deal_about_two_products(store, tmp_path):
    build(store, [("o1", 1000.0, "2026-07-10", ["p-prod", "p-serv"], ["e1"]),
                  ("o2", 100.0, "2026-08-01", ["p-ad"], ["e1"]),  # no rate: the default
                  ("o3", 500.0, "2026-10-01", ["p-prod"], ["e1"])],  # next quarter
          managers=["e2"])
    report = commissions(store, "2026-Q3", rules_file(tmp_path))
    reps = by_rep(report)
    # o1: 500 product at 10 %, 500 service at 20 %; e1 gets 75 %, the account owner e2 25 %
    assert reps["e1"].commission == pytest.approx(0.75 * (50 + 100) + 0.75 * 100 * 0.01)
    assert reps["e2"].commission == pytest.approx(0.25 * (50 + 100) + 0.25 * 100 * 0.01)
    assert reps["e1"].credited == pytest.approx(0.75 * 1100)
    shares = {}
    for rep in report.reps:
        for line in rep.lines:
            shares[(line.deal, line.product)] = shares.get((line.deal, line.product), 0) \
                + line.share
    assert shares == pytest.approx({("o1", "p-prod"): 100, ("o1", "p-serv"): 100,
                                    ("o2", "p-ad"): 100})  # every share is credited whole
    assert {line.domain for line in reps["e1"].lines} == {"product", "service", "advertising"}
    assert reps["e1"].quota is None and reps["e1"].attainment is None


def test_a_role_nobody_fills_goes_to_the_others_and_several_people_share_a_role(store,
                                                                               tmp_path):
    build(store, [("o1", 1000.0, "2026-07-10", ["p-prod"], ["e1", "e3"])])  # no owner
    reps = by_rep(commissions(store, "2026-Q3", rules_file(tmp_path)))
    assert set(reps) == {"e1", "e3"}
    assert [line.share for line in reps["e1"].lines] == [50.0]
    assert reps["e1"].commission == reps["e3"].commission == pytest.approx(50.0)


def test_a_deal_nobody_works_is_reported_unassigned(store, tmp_path):
    build(store, [("o1", 1000.0, "2026-07-10", ["p-prod"], [])])
    report = commissions(store, "2026-Q3", rules_file(tmp_path))
    assert report.reps == [] and report.unassigned == ["o1"]


@pytest.mark.parametrize(("amounts", "expected"), [
    ([100.0], 10.0),  # exactly at quota: all in the first tier
    ([99.99], 9.999),  # just below
    ([100.01], 10.0 + 0.01 * 0.1 * 2),  # the cent past quota earns double
    ([60.0, 40.0, 50.0], 10.0 + 50 * 0.1 * 2),  # the third deal lies wholly above quota
    ([60.0, 90.0], 6.0 + 4.0 + 50 * 0.1 * 2),  # the second one crosses the boundary
])
def test_tiers_are_marginal_at_the_quota_boundary(store, tmp_path, amounts, expected):
    deals = [(f"o{n}", a, f"2026-07-{10 + n:02d}", ["p-prod"], ["e1"])
             for n, a in enumerate(amounts)]
    build(store, deals, quotas=[("e1", "2026-Q3", 100.0)])
    path = rules_file(tmp_path, RULES.replace("{assignee: 75, account_owner: 25}",
                                              "{assignee: 100}"))
    rep = by_rep(commissions(store, "2026-Q3", path))["e1"]
    assert rep.commission == pytest.approx(expected)
    assert rep.attainment == pytest.approx(sum(amounts) / 100)


def test_quota_attainment_per_period(store, tmp_path):
    build(store, [("o1", 50_000.0, "2026-07-10", ["p-prod"], ["e1"]),
                  ("o2", 30_000.0, "2026-04-10", ["p-prod"], ["e1"])],
          quotas=[("e1", "2026-Q2", 60_000.0), ("e1", "2026-Q3", 100_000.0),
                  ("e3", "2026-Q3", 80_000.0)])
    path = rules_file(tmp_path, RULES.replace("{assignee: 75, account_owner: 25}",
                                              "{assignee: 100}"))
    q3 = by_rep(commissions(store, "2026-Q3", path))
    assert q3["e1"].quota == 100_000 and q3["e1"].attainment == pytest.approx(0.5)
    assert q3["e3"].credited == 0 and q3["e3"].attainment == 0  # a quota, nothing won
    year = by_rep(commissions(store, "2026", path))
    assert year["e1"].quota == 160_000  # the quarters' quotas of the year, added up
    assert year["e1"].attainment == pytest.approx(80_000 / 160_000)
    assert by_rep(commissions(store, "2026-07", path))["e1"].quota is None


def test_won_day_comes_from_the_stage_history_before_the_close_date(store, tmp_path):
    build(store, [("o1", 100.0, "2026-09-30", ["p-prod"], ["e1"])])
    store.run("MATCH (o:Opportunity {uid: 'o1'}) SET o.close_date = '2026-12-24'",
              read_only=False)
    path = rules_file(tmp_path)
    assert [r.rep for r in commissions(store, "2026-Q3", path).reps] == ["e1"]
    assert commissions(store, "2026-Q4", path).reps == []


def test_the_shipped_example_reads_and_the_demo_earns_commission(demo_store):
    rules = read_rules(EXAMPLE_RULES)
    assert sum(rules.splits.values()) == 100
    report = commissions(demo_store, "2026-Q3")
    reps = by_rep(report)
    domains = {line.domain for r in report.reps for line in r.lines}
    assert domains == {"product", "service", "advertising"}
    planted = {w[0] for w in WON}
    assert planted <= {line.deal for r in report.reps for line in r.lines}
    assert reps["emp-0008"].commission > 0 and reps["emp-0008"].quota
    assert any(line.multiplier > 1 for line in reps["emp-0008"].lines), \
        "the key account manager passes quota in 2026-Q3"


# -- the rules file ------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "line", "field", "says"), [
    (RULES.replace("{assignee: 75, account_owner: 25}", "{assignee: 75, account_owner: 20}"),
     8, "splits", "add up to 95 %, not 100 %"),
    (RULES.replace("{above: 1.0, multiplier: 2.0}", "{above: 0, multiplier: 2.0}"),
     5, "tiers", "each tier starts above the one before it"),
    (RULES.replace("  - {above: 0, multiplier: 1.0}\n", "  - {above: 0.5, multiplier: 1}\n"),
     5, "tiers", "the first tier starts at above: 0"),
    (RULES.replace("product: 0.10", "hardware: 0.10"), 3, "rates",
     "hardware is not a product domain"),
    (RULES.replace("service: 0.20", "service: 20"), 3, "rates", "not between 0 and 1"),
    (RULES.replace("{above: 1.0, multiplier: 2.0}", "{above: 1.0, multiplier: -1}"),
     7, "tiers.1.multiplier", "greater than or equal to 0"),
    (RULES.replace("account_owner: 25", "manager: 25"), 8, "splits",
     "manager is not a role"),
    (RULES + "bonus: 3\n", 9, "bonus", "Extra inputs are not permitted"),
])
def test_rules_file_errors_name_the_file_line_and_field(tmp_path, text, line, field, says):
    path = rules_file(tmp_path, text)
    with pytest.raises(CommissionRulesError) as caught:
        read_rules(path)
    message = str(caught.value)
    assert str(path) in message and f"line {line}, {field}:" in message and says in message


def test_rules_file_that_is_not_yaml_or_missing(tmp_path):
    with pytest.raises(CommissionRulesError, match=r"bad\.yaml.*line 1"):
        read_rules(rules_file(tmp_path, "rates: {product: [", "bad.yaml"))
    with pytest.raises(CommissionRulesError, match="missing.yaml"):
        read_rules(tmp_path / "missing.yaml")


def test_periods():
    assert (period("2026-Q3").since, period("2026-Q3").until) == ("2026-07-01", "2026-10-01")
    assert (period("2026-12").since, period("2026-12").until) == ("2026-12-01", "2027-01-01")
    assert period("2026").until == "2027-01-01"
    with pytest.raises(ErmError, match="2026-Q3"):
        period("2026-Q5")


# -- campaigns ---------------------------------------------------------------------------------
def test_campaign_performance_and_return_with_zero_cost(store):
    store.ensure_schema()
    store.upsert_nodes("Campaign", [
        {"uid": "k1", "name": "Paid", "cost": 1000.0, "start": "2026-03-01"},
        {"uid": "k2", "name": "Free", "cost": 0.0, "start": "2026-03-01"},
        {"uid": "k3", "name": "Unknown cost", "start": "2026-03-01"}])
    store.upsert_nodes("Interaction", [{"uid": f"i{n}", "kind": "email",
                                        "at": "2026-03-02T10:00:00"} for n in range(3)])
    store.upsert_nodes("Opportunity", [
        {"uid": "w1", "name": "w1", "stage": "won", "amount": 2500.0},
        {"uid": "w2", "name": "w2", "stage": "won", "amount": 400.0},
        {"uid": "l1", "name": "l1", "stage": "lost", "amount": 9000.0}])
    store.upsert_relationships("GENERATED", "Campaign", "Interaction", [
        {"start": "k1", "end": "i0"}, {"start": "k1", "end": "i1"},
        {"start": "k2", "end": "i2"}])
    store.upsert_relationships("GENERATED", "Campaign", "Opportunity", [
        {"start": "k1", "end": "w1"}, {"start": "k1", "end": "l1"},
        {"start": "k2", "end": "w2"}])
    rows = {r["uid"]: r for r in run_query(store, "campaign-performance").records()}
    assert rows["k1"] == {**rows["k1"], "responses": 2, "opportunities": 2,
                               "won_deals": 1, "won_revenue": 2500.0, "cost": 1000.0,
                               "return_ratio": 1.5}
    assert (rows["k2"]["won_revenue"], rows["k2"]["return_ratio"]) == (400.0, None)
    assert (rows["k3"]["responses"], rows["k3"]["return_ratio"]) == (0, None)


def test_the_quick_actions_link_what_a_campaign_produced(store):
    store.ensure_schema()
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Customer One"}])
    store.upsert_nodes("Campaign", [{"uid": "k1", "name": "Webinar", "cost": 200.0}])
    actions.log_interaction(store, "c1", kind="email", campaign="k1")
    deal = actions.open_opportunity(store, "c1", name="Pilot", amount=1000.0, campaign="k1")
    actions.advance_opportunity(store, deal.uid, "won")
    row = run_query(store, "campaign-performance").records()[0]
    assert (row["responses"], row["opportunities"], row["won_revenue"],
            row["return_ratio"]) == (1, 1, 1000.0, 4.0)
    with pytest.raises(ErmError, match="no Campaign has uid 'c1'"):
        actions.open_opportunity(store, "c1", name="Wrong", campaign="c1")
    assert store.run("MATCH (o:Opportunity) RETURN count(o)").rows == [[1]]


# -- who sees whose pay, the CLI, the web page ---------------------------------------------------
def test_a_rep_sees_their_own_a_manager_their_team_the_cro_everyone(store):
    build(store, [], reports=[("e1", "e2"), ("e2", "e3")])
    assert visible_reps(store, "sales", "e1") == {"e1"}
    assert visible_reps(store, "sales", "e3") == {"e1", "e2", "e3"}
    assert visible_reps(store, "cro", None) is None
    assert visible_reps(store, "sales", None) == set()


def test_cli_commissions_quota_and_pipeline(store, store_url, tmp_path):
    build(store, [("o1", 1000.0, "2026-07-10", ["p-prod"], ["e1"])],
          quotas=[("e1", "2026-Q3", 4000.0)], managers=["e2"])
    store.upsert_nodes("Opportunity", [{"uid": "open1", "name": "open1", "stage": "proposal",
                                        "amount": 700.0}])
    store.upsert_relationships("ASSIGNED_TO", "Opportunity", "Employee",
                               [{"start": "open1", "end": "e1"}])
    runner, env = CliRunner(), {"ERM_DB": store_url,
                                "ERM_COMMISSION_RULES": str(rules_file(tmp_path))}
    out = runner.invoke(cli, ["sales", "commissions", "--period", "2026-Q3", "--rep", "e1",
                              "--format", "json"], env=env)
    assert out.exit_code == 0, out.output
    found = json.loads(out.output)
    assert [r["rep"] for r in found["reps"]] == ["e1"] and found["rules"] == "Test rules"
    assert found["reps"][0]["commission"] == 75.0
    out = runner.invoke(cli, ["sales", "quota", "--period", "2026-Q3", "--format", "json"],
                        env=env)
    quota = {r["rep"]: r for r in json.loads(out.output)}
    assert quota["e1"]["attainment"] == 0.1875 and quota["e2"]["quota"] is None
    out = runner.invoke(cli, ["sales", "pipeline", "--format", "json"], env=env)
    assert json.loads(out.output) == [{"rep_uid": "e1", "rep": "Rep 1", "stage": "proposal",
                                       "deals": 1, "amount": 700.0}]
    bad = runner.invoke(cli, ["sales", "commissions", "--period", "Q3"], env=env)
    assert bad.exit_code != 0 and "2026-Q3" in bad.output


def test_web_page_shows_each_their_own_pay(store, tmp_path):
    build(store, [("o1", 1000.0, "2026-07-10", ["p-prod"], ["e1"]),
                  ("o2", 2000.0, "2026-07-11", ["p-serv"], ["e2"])],
          reports=[("e1", "e3"), ("e2", "e3")])
    users = Users.open(tmp_path / "users.db")
    for name, role, employee in (("rep", "sales", "e1"), ("boss", "sales", "e3"),
                                 ("cro", "cro", None), ("nobody", "sales", None)):
        users.add(name, role, password="correct horse battery")
        if employee:
            users.link_employee(name, employee)
    tokens = {name: users.new_token(name) for name in ("rep", "boss", "cro", "nobody")}
    users.close()
    settings = Settings.from_env(users_db=tmp_path / "users.db",
                                 commission_rules=rules_file(tmp_path))
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        def seen(name):
            r = client.get("/api/sales", params={"period": "2026-Q3"},
                           headers={"authorization": f"Bearer {tokens[name]}"})
            assert r.status_code == 200, r.text
            return {rep["rep"] for rep in r.json()["commissions"]["reps"]}
        assert seen("rep") == {"e1"}
        assert seen("boss") == {"e1", "e2"}
        assert seen("cro") == {"e1", "e2"}
        assert seen("nobody") == set()
        page = client.get("/sales?period=2026-Q3",
                          headers={"authorization": f"Bearer {tokens['rep']}"})
        assert page.status_code == 200 and 'data-rep="e1"' in page.text
        assert 'data-rep="e2"' not in page.text
        bad = client.get("/api/sales", params={"period": "next year"},
                         headers={"authorization": f"Bearer {tokens['cro']}"})
        assert bad.status_code == 400 and "2026-Q3" in bad.json()["error"]["message"]


def test_the_sales_dashboard_has_the_pipeline_and_campaign_tiles(demo_store):
    board = load_dashboard("sales", None)
    assert [t.query for t in board.tiles] == ["pipeline-by-rep", "pipeline-by-territory",
                                              "campaign-performance"]
    for tile in board.tiles:
        assert run_query(demo_store, tile.query, tile.params).rows, tile.query
