"""Customer service (issue 14 item 4): service agreements and their due times and breaches,
dispatch to the least-loaded member, escalation rules, the solutions knowledge base (search,
suggestions, linking the article used), on the real embedded engine; the breached-service-
target watch rule."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from erm_graph import edit
from erm_graph.edit import service as svc
from erm_graph.errors import ErmError
from erm_graph.query import service as reads
from erm_graph.watch import load_rules
from erm_graph.watch.escalation import Escalation, EscalationFile, apply_escalation

OPENED = "2026-03-01T10:00:00"


@pytest.fixture
def desk(store):
    """Two customers (tier 1, tier 3, and one covered by its own agreement), agreements for
    tier 1 (severity 1 and any severity) and for any tier, a service department of three."""
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Gold Co", "tier": 1},
                                    {"uid": "c3", "name": "Bronze Co", "tier": 3},
                                    {"uid": "cx", "name": "Special Co", "tier": 1}])
    store.upsert_nodes("ServiceAgreement", [
        {"uid": "sa-1-1", "name": "Gold critical", "tier": 1, "severity": 1,
         "response_hours": 1, "resolution_hours": 8},
        {"uid": "sa-1", "name": "Gold", "tier": 1, "response_hours": 4,
         "resolution_hours": 24},
        {"uid": "sa-any", "name": "Standard", "response_hours": 24,
         "resolution_hours": 120},
        {"uid": "sa-x", "name": "Special", "response_hours": 0.5, "resolution_hours": 2}])
    store.upsert_relationships("COVERED_BY", "Party", "ServiceAgreement",
                               [{"start": "cx", "end": "sa-x"}])
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "Ann"}, {"uid": "e2", "name": "Bo"},
                                    {"uid": "e3", "name": "Cy"},
                                    {"uid": "e4", "name": "Gone", "left_on": "2020-01-01"},
                                    {"uid": "boss", "name": "Head of Service"}])
    store.upsert_nodes("Department", [{"uid": "svc", "name": "Service"}])
    store.upsert_relationships("MEMBER_OF", "Employee", "Department", [{"start": e, "end": "svc"}
                                             for e in ("e1", "e2", "e3", "e4")])
    store.upsert_relationships("RESPONSIBLE_FOR", "Employee", "Department",
                               [{"start": "boss", "end": "svc"}])
    store.upsert_nodes("Product", [{"uid": "p1", "name": "Widget", "kind": "product"},
                                   {"uid": "p2", "name": "Gadget", "kind": "product"}])
    return store


def _case(store: Any, uid: str, party: str, severity: int, **props: Any) -> None:
    store.upsert_nodes("Case", [{"uid": uid, "kind": "service", "status": "open",
                                 "severity": severity, "opened_at": OPENED, **props}])
    store.upsert_relationships("RAISED", "Party", "Case", [{"start": party, "end": uid}])


def _target(store: Any, uid: str, as_of: str) -> dict[str, Any]:
    (row,) = reads.service_targets(store, case=uid, as_of=as_of)
    return row


# -- agreements, due times and breaches --------------------------------------------------------
def test_the_most_specific_agreement_sets_the_due_times(desk):
    _case(desk, "k1", "c1", 1)
    _case(desk, "k2", "c1", 3)
    _case(desk, "k3", "c3", 1)
    _case(desk, "kx", "cx", 1)
    rows = {r["uid"]: r for r in reads.service_targets(desk, as_of=OPENED)}
    assert rows["k1"]["agreement_uid"] == "sa-1-1"  # tier and severity
    assert rows["k1"]["response_due"] == "2026-03-01T11:00:00"
    assert rows["k1"]["resolution_due"] == "2026-03-01T18:00:00"
    assert rows["k2"]["agreement_uid"] == "sa-1"  # tier, any severity
    assert rows["k3"]["agreement_uid"] == "sa-any"  # no tier-3 agreement
    assert rows["kx"]["agreement_uid"] == "sa-x"  # its own, ahead of its tier's
    assert rows["kx"]["response_due"] == "2026-03-01T10:30:00"


def test_a_target_is_breached_one_second_after_it_is_due_not_on_it(desk):
    _case(desk, "k1", "c1", 1)
    on_time = _target(desk, "k1", "2026-03-01T11:00:00")
    assert not on_time["response_breached"] and not on_time["resolution_breached"]
    late = _target(desk, "k1", "2026-03-01T11:00:01")
    assert late["response_breached"] and not late["resolution_breached"]
    assert late["target"] == "response"
    past = _target(desk, "k1", "2026-03-01T18:00:01")
    assert past["resolution_breached"] and past["target"] == "resolution"
    assert reads.service_targets(desk, as_of="2026-03-01T11:00:00", breached_only=True) == []


def test_due_times_cross_midnight_month_and_leap_day(desk):
    desk.upsert_nodes("ServiceAgreement", [{"uid": "sa-any", "name": "Standard",
                                            "response_hours": 24, "resolution_hours": 120}])
    _case(desk, "k3", "c3", 2, opened_at="2028-02-28T23:30:00")
    row = _target(desk, "k3", "2028-02-28T23:30:00")
    assert row["response_due"] == "2028-02-29T23:30:00"
    assert row["resolution_due"] == "2028-03-04T23:30:00"
    _case(desk, "k4", "c3", 2, opened_at="2026-12-31T12:00:00Z")  # the app's own form
    assert _target(desk, "k4", "2026-12-31T12:00:00")["response_due"] == "2027-01-01T12:00:00"


def test_a_response_or_resolution_in_time_is_no_breach_however_late_now_is(desk):
    _case(desk, "k1", "c1", 1, responded_at="2026-03-01T11:00:00", status="resolved",
          closed_at="2026-03-01T18:00:00")
    row = _target(desk, "k1", "2027-01-01T00:00:00")
    assert not row["response_breached"] and not row["resolution_breached"]
    _case(desk, "k2", "c1", 1, responded_at="2026-03-01T11:00:01", status="closed",
          closed_at="2026-03-01T18:00:01")
    row = _target(desk, "k2", "2026-03-01T18:00:01")
    assert row["response_breached"] and row["resolution_breached"]
    assert row["over_hours"] == 0.0


def test_the_first_assignment_to_a_person_is_the_first_response(desk):
    case = edit.open_case(desk, "c1", kind="service", severity=1, product="p1").uid
    edit.assign_case(desk, case, "svc")  # a department: dispatch, not yet a response
    props = desk.run("MATCH (x:Case {uid: $u}) RETURN x.responded_at, x.assignment_history",
                     {"u": case}).rows[0]
    assert props[0] is None and len(props[1]) == 1 and props[1][0].startswith("svc ")
    edit.assign_case(desk, case, "e1")
    edit.assign_case(desk, case, "e2")  # reassignment keeps the history
    responded, history = desk.run("MATCH (x:Case {uid: $u}) RETURN x.responded_at, "
                                  "x.assignment_history", {"u": case}).rows[0]
    assert responded is not None
    assert [h.split()[0] for h in history] == ["svc", "e1", "e2"]
    row = reads.service_targets(desk, case=case)[0]
    assert row["responded"] and not row["response_breached"]


# -- dispatch and escalation -------------------------------------------------------------------
def test_dispatch_goes_to_the_least_loaded_member_still_with_us(desk):
    for n, who in enumerate(["e1", "e1", "e2"]):
        _case(desk, f"busy{n}", "c1", 3)
        desk.upsert_relationships("ASSIGNED_TO", "Case", "Employee",
                                  [{"start": f"busy{n}", "end": who}])
    _case(desk, "new", "c1", 2)
    done = svc.dispatch_case(desk, "new", "svc")
    assert done.linked == [{"type": "ASSIGNED_TO", "direction": "out", "uid": "e3"}]
    _case(desk, "new2", "c1", 2)
    assert svc.dispatch_case(desk, "new2", "svc").linked[0]["uid"] == "e2"  # tie: lower uid
    with pytest.raises(ErmError, match="no Department"):
        svc.dispatch_case(desk, "new2", "nowhere")


def test_an_escalation_rule_hands_an_unanswered_critical_case_to_the_department_head(desk):
    _case(desk, "k1", "c1", 1, opened_at="2026-03-01T10:00:00")
    _case(desk, "k2", "c1", 1, opened_at="2026-03-01T10:00:01")  # one second too young
    _case(desk, "k3", "c1", 2, opened_at="2026-03-01T08:00:00")  # another severity
    for k in ("k1", "k2", "k3"):
        desk.upsert_relationships("ASSIGNED_TO", "Case", "Department", [{"start": k, "end": "svc"}])
    rule = Escalation("t", EscalationFile(title="t", severity=[1], older_than_hours=4,
                                          unresponded=True))
    now = datetime(2026, 3, 1, 14, 0, 0, tzinfo=UTC)
    outcome = apply_escalation(desk, rule, now)
    assert outcome.escalated == ["k1"] and not outcome.problems
    row = desk.run("MATCH (x:Case {uid: 'k1'})-[:ASSIGNED_TO]->(a) RETURN x.escalated, "
                   "collect(a.uid)").rows
    assert row == [[True, ["boss"]]]
    assert apply_escalation(desk, rule, now).escalated == []  # once only


# -- knowledge base ----------------------------------------------------------------------------
@pytest.fixture
def kb(desk):
    svc.add_article(desk, "Widget will not power on", "Hold reset for ten seconds.",
                    keywords="power, reset, won't start", about=["p1"])
    svc.add_article(desk, "Gadget screen flickers", "Update the firmware.",
                    keywords=["flicker", "screen"], about=["p2"])
    svc.add_article(desk, "Power supply check", "Check the power supply fuse.",
                    keywords=["power", "fuse"])
    return desk


def _titles(rows: list[dict[str, Any]]) -> list[str]:
    return [r["title"] for r in rows]


def test_a_case_about_the_product_and_symptom_is_offered_the_right_article_first(kb):
    case = edit.open_case(kb, "c1", kind="service", product="p1",
                          summary="Widget has no power after the storm").uid
    ranked = reads.suggest_articles(kb, case)
    assert _titles(ranked) == ["Widget will not power on", "Power supply check"]
    assert ranked[0]["same_topic"] and ranked[0]["score"] > ranked[1]["score"]
    other = edit.open_case(kb, "c1", kind="service", product="p2",
                           summary="The screen flickers").uid
    assert _titles(reads.suggest_articles(kb, other))[0] == "Gadget screen flickers"
    nothing = edit.open_case(kb, "c1", kind="service", summary="Invoice address wrong").uid
    assert reads.suggest_articles(kb, nothing) == []


def test_resolving_with_an_article_links_it_to_the_case(kb):
    case = edit.open_case(kb, "c1", kind="service", product="p1", summary="no power").uid
    art = reads.suggest_articles(kb, case)[0]["uid"]
    edit.assign_case(kb, case, "e1")
    edit.escalate_case(kb, case, to="e2")
    edit.resolve_case(kb, case, "Reset it", article=art)
    assert reads.article(kb, art)["solved"] == [{"uid": case, "name": "no power"}]
    with pytest.raises(ErmError, match="no Article"):
        reads.article(kb, "nope")


def test_search_ranks_by_words_found_and_title(kb):
    assert _titles(reads.search_articles(kb, "power reset"))[:2] == [
        "Widget will not power on", "Power supply check"]
    assert _titles(reads.search_articles(kb, "Power FUSE")) == [
        "Power supply check", "Widget will not power on"]
    assert _titles(reads.search_articles(kb, "firmware screen")) == ["Gadget screen flickers"]
    assert len(reads.search_articles(kb, "")) == 3


@pytest.mark.parametrize("hostile", [
    ".*", "(a+)+$", "[", "\\", "' OR 1=1 //", "}) MATCH (n) DETACH DELETE n //",
    "$terms", "%00\x00", "ü" * 10, "power" * 100_000, " ".join(["power"] * 50_000)])
def test_hostile_search_text_is_only_a_value_and_stays_quick(kb, hostile):
    started = time.monotonic()
    reads.search_articles(kb, hostile)
    assert time.monotonic() - started < 2
    assert kb.run("MATCH (a:Article) RETURN count(a)").rows == [[3]]


def test_bad_articles_are_refused_and_edits_are_kept(kb):
    with pytest.raises(ErmError, match="field 'title'"):
        svc.add_article(kb, " ", "body")
    with pytest.raises(ErmError, match="is a Customer"):
        svc.add_article(kb, "t", "b", about=["c1"])
    art = reads.search_articles(kb, "firmware")[0]["uid"]
    svc.edit_article(kb, art, body="Update the firmware to 2.1.", keywords="flicker, blink")
    assert reads.article(kb, art)["keywords"] == ["flicker", "blink"]
    svc.link_article(kb, art, "p1")
    assert {a["uid"] for a in reads.article(kb, art)["about"]} == {"p1", "p2"}
    svc.link_article(kb, art, "p1", unlink=True)
    assert [a["uid"] for a in reads.article(kb, art)["about"]] == ["p2"]


# -- the watch rule ----------------------------------------------------------------------------
def test_the_breached_service_target_rule_reads_open_breached_cases(desk):
    (rule,) = [r for r in load_rules() if r.name == "breached-service-target"]
    _case(desk, "k1", "c1", 1)  # opened long ago: breached now
    _case(desk, "k2", "c1", 1, status="resolved", closed_at="2026-03-01T12:00:00")
    from erm_graph.query import run_query
    rows = run_query(desk, rule.query, rule.params).records()
    assert [r["uid"] for r in rows] == ["k1"]
    assert "k1" not in rule.text_of(rows[0]) and "Gold critical" in rule.text_of(rows[0])


def test_erm_watch_run_escalates_only_when_asked(desk, store_url, tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from erm_graph.cli import app

    monkeypatch.setenv("ERM_USERS_DB", str(tmp_path / "users.db"))
    _case(desk, "k1", "c1", 1, opened_at="2020-01-01T00:00:00")
    desk.upsert_relationships("ASSIGNED_TO", "Case", "Department", [{"start": "k1",
                                                                     "end": "svc"}])
    runner = CliRunner()
    plain = runner.invoke(app, ["--db", store_url, "watch", "run", "-f", "json"])
    assert plain.exit_code == 0, plain.output
    assert not any(r["rule"].startswith("escalation:") for r in json.loads(plain.output))
    assert desk.run("MATCH (x:Case {uid: 'k1'}) RETURN x.escalated").rows == [[None]]
    done = runner.invoke(app, ["--db", store_url, "watch", "run", "--escalate", "-f", "json"])
    rows = {r["rule"]: r for r in json.loads(done.output)}
    assert rows["escalation:critical-unanswered"]["new_alerts"] == 1
    assert desk.run("MATCH (x:Case {uid: 'k1'})-[:ASSIGNED_TO]->(a) RETURN x.escalated, "
                    "a.uid").rows == [[True, "boss"]]


def test_serve_schedules_escalation_rules_only_when_asked(tmp_path):
    from erm_graph.settings import Settings
    from erm_graph.watch.schedule import start

    for escalate in (False, True):
        scheduler = start(Settings.from_env(watch_rules=tmp_path), tmp_path / "users.db",
                          escalate=escalate)
        try:
            jobs = {job.id for job in scheduler.get_jobs()}
        finally:
            scheduler.shutdown(wait=False)
        assert ("escalation:critical-unanswered" in jobs) is escalate


def test_a_case_with_no_department_is_marked_escalated_and_the_pass_says_why(desk):
    _case(desk, "k1", "c1", 1, opened_at="2026-03-01T00:00:00")
    rule = Escalation("t", EscalationFile(title="t", severity=[1], older_than_hours=1))
    outcome = apply_escalation(desk, rule, datetime(2026, 3, 2, tzinfo=UTC))
    assert outcome.escalated == ["k1"]
    assert "has no head" in outcome.problems[0]
    assert desk.run("MATCH (x:Case {uid: 'k1'}) RETURN x.escalated").rows == [[True]]


def test_the_cli_writes_searches_suggests_and_measures(desk, store_url, tmp_path,
                                                        monkeypatch):
    import json

    from typer.testing import CliRunner

    from erm_graph.cli import app

    monkeypatch.setenv("ERM_USERS_DB", str(tmp_path / "users.db"))
    runner = CliRunner()

    def erm(*args: str) -> str:
        done = runner.invoke(app, ["--db", store_url, *args])
        assert done.exit_code == 0, done.output
        return done.output

    erm("article", "add", "Widget will not power on", "Hold reset", "--keywords",
        "no power, reset", "--about", "p1")
    (found,) = json.loads(erm("article", "search", "power", "-f", "json"))
    assert found["title"] == "Widget will not power on" and found["about"] == "Widget"
    _case(desk, "k1", "c1", 1)
    desk.upsert_relationships("ABOUT", "Case", "Product", [{"start": "k1", "end": "p1"}])
    (offered,) = json.loads(erm("case", "suggest", "k1", "-f", "json"))
    assert offered["uid"] == found["uid"] and offered["same_topic"] is True
    (target,) = json.loads(erm("case", "targets", "k1", "--as-of", "2026-03-01T11:00:01",
                               "-f", "json"))
    assert target["response_due"] == "2026-03-01T11:00:00" and target["response_breached"]
    erm("case", "dispatch", "k1", "svc")
    erm("case", "resolve", "k1", "Reset it", "--article", found["uid"])
    shown = json.loads(erm("article", "show", found["uid"], "-f", "json"))
    assert shown[0]["solved"] == "k1"
