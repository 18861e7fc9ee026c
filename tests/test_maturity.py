"""CRM capability maturity (issue 15 item 4): measures of the library, the staged levels, the
questionnaire, kept assessments and their trend, through the Python API, the CLI and the web
app, on the embedded engine with the demo and with real corpus files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth import audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.cli import app as cli
from erm_graph.ingest.component_owners import set_owner
from erm_graph.ingest.load import load
from erm_graph.query.governance import governance
from erm_graph.query.maturity import MEASURE_NAMES, assessments, maturity_measures
from erm_graph.settings import Settings
from erm_graph.strategy import assess, load_maturity_model
from erm_graph.strategy.maturity import MaturityError, MaturityModel, read_answers, save
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"


def test_every_measure_is_measured_and_the_model_names_only_those(demo_store):
    found = maturity_measures(demo_store)
    assert tuple(found) == MEASURE_NAMES
    spec = load_maturity_model()
    assert {c.metric for a in spec.areas.values() for c in a.criteria if c.metric} <= set(found)
    assert all(m.value is not None and 0 <= m.numerator for m in found.values())


def test_the_measures_agree_with_the_library_counted_another_way(demo_store):
    found = maturity_measures(demo_store)
    g = governance(demo_store)
    (components,) = demo_store.run(
        "MATCH (n) WHERE n:Map OR n:Process OR n:Step OR n:Document OR n:Department "
        "RETURN count(n)").rows[0]
    broken = {(r["label"], r["uid"]) for r in g.unowned + g.shared + g.departed}
    owned = found["components_owned_once"]
    assert (owned.numerator, owned.denominator) == (components - len(broken), components)
    (customers, managed) = demo_store.run(
        "MATCH (c:Customer) OPTIONAL MATCH (c)<-[:MANAGES]-(e:Employee) "
        "RETURN count(DISTINCT c), count(DISTINCT CASE WHEN e IS NULL THEN NULL ELSE c END)"
    ).rows[0]
    assert (found["customers_with_owner"].numerator,
            found["customers_with_owner"].denominator) == (managed, customers)
    (cases, closed) = demo_store.run(
        "MATCH (x:Case) RETURN count(x), "
        "count(CASE WHEN x.status IN ['resolved', 'closed'] THEN 1 END)").rows[0]
    assert found["cases_closed"].value == round(closed / cases, 4)


def test_an_empty_library_is_at_level_one_and_says_there_is_nothing_to_measure(store):
    found = assess(store)
    assert found.overall == 1 and {a.level for a in found.areas} == {1}
    first = found.areas[0].evidence[0]
    assert not first.met and "nothing to measure" in first.says
    assert all(a.to_next for a in found.areas), "every area says how to rise"


def test_owning_every_component_raises_ownership_to_the_top(store):
    load(store, [CORPUS / "onboarding.yaml"])
    before = {a.area: a for a in assess(store).areas}["ownership"]
    measured = maturity_measures(store)["components_owned_once"]
    assert measured.value is not None and measured.value < 1.0
    assert before.level < 5 and any("exactly one owner" in e.advice or "Own" in e.advice
                                    for e in before.to_next)
    for label in ("Map", "Process", "Step", "Document", "Department"):
        for (uid,) in store.run(f"MATCH (n:{label}) WHERE NOT (n)<-[:RESPONSIBLE_FOR]-() "
                                f"RETURN n.uid").rows:
            set_owner(store, uid, "emp-cro", label=label)
    after = {a.area: a for a in assess(store).areas}["ownership"]
    assert maturity_measures(store)["components_owned_once"].value == 1.0
    assert after.level == 5 and after.to_next == []


def test_levels_are_staged_a_strong_measure_does_not_hide_a_missing_basic(demo_store):
    """Knowledge sharing's level 4-5 criteria are met on the demo; with its level-2 threshold
    raised out of reach, the area falls to level 1 and asks for the basic first."""
    spec = load_maturity_model()
    data = spec.model_dump()
    data["areas"]["knowledge_sharing"]["criteria"][0]["at_least"] = 1.01
    found = {a.area: a for a in assess(demo_store, {},
                                       spec=MaturityModel.model_validate(data)).areas}
    sharing = found["knowledge_sharing"]
    assert sharing.level == 1
    assert [e.met for e in sharing.evidence][1:] == [e.met for e in {
        a.area: a for a in assess(demo_store, {}).areas}["knowledge_sharing"].evidence][1:]
    assert [e.name for e in sharing.to_next] == ["customers_with_owner"]


def test_the_questionnaire_raises_the_areas_the_graph_cannot_show(demo_store, tmp_path):
    spec = load_maturity_model()
    none = {a.area: a.level for a in assess(demo_store, {}).areas}
    assert none["relationship_design"] == 1
    yes = {q: True for q in spec.questions}
    full = {a.area: a.level for a in assess(demo_store, yes).areas}
    assert full["relationship_design"] == 5
    assert full["analytics_use"] > none["analytics_use"]
    with pytest.raises(MaturityError, match="no question 'bogus'"):
        assess(demo_store, {"bogus": True})
    bad = tmp_path / "answers.yaml"
    bad.write_text("target_customers_named: maybe\n")
    with pytest.raises(MaturityError, match=r"answers\.yaml.*yes"):
        read_answers(bad)


def test_kept_assessments_make_the_trend_and_carry_their_answers(store):
    load(store, [CORPUS / "onboarding.yaml"])
    first = save(store, assess(store, {"target_customers_named": True}))
    second = save(store, assess(store))  # the last kept answers, not none
    kept = assessments(store)
    assert [k["uid"] for k in kept] == [second, first]
    assert kept[0]["answers"] == {"target_customers_named": True}
    assert kept[0]["levels"]["relationship_design"] == 2
    conn = connect(users_db_path(store))
    try:
        events = audit.events(conn, action="assess")
    finally:
        conn.close()
    assert {e["target"] for e in events} == {first, second}


def test_the_cli_assesses_keeps_and_shows_the_trend(store, store_url, tmp_path):
    load(store, [CORPUS / "onboarding.yaml"])
    answers = tmp_path / "answers.yaml"
    answers.write_text("target_customers_named: yes\ntarget_relationships_described: no\n")
    runner = CliRunner()
    done = runner.invoke(cli, ["--db", store_url, "assess", "--answers", str(answers),
                               "--save", "-f", "json"])
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)
    design = next(a for a in found["areas"] if a["area"] == "relationship_design")
    assert design["level"] == 2 and found["kept_as"].startswith("assessment@")
    assert any("target_relationships_described" == e["name"] and e["answer"] is False
               for e in design["evidence"])
    history = runner.invoke(cli, ["--db", store_url, "assess", "--history", "-f", "json"])
    assert history.exit_code == 0, history.output
    (row,) = json.loads(history.output)
    assert row["overall"] == found["overall"] and row["relationship_design"] == 2


def test_the_web_app_reads_and_keeps_an_assessment(store, tmp_path):
    load(store, [CORPUS / "onboarding.yaml"])
    settings = Settings.from_env(users_db=tmp_path / "web-users.db")
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        now = client.get("/api/maturity").json()
        assert now["history"] == [] and len(now["areas"]) == 7
        kept = client.post("/api/maturity", json={"answers": {"target_customers_named": True}},
                           headers={"x-csrf-token": "local"})
        assert kept.status_code == 200, kept.text
        page = client.get("/maturity")
        assert page.status_code == 200 and "CRM maturity: level" in page.text
        assert client.get("/api/maturity").json()["history"][0]["uid"] == kept.json()["kept_as"]
