"""Every named query runs on the embedded engine over the small demo and finds what the demo
generator planted (erm_graph.demo.facts)."""

from __future__ import annotations

import types

import pytest
from typer.testing import CliRunner

import erm_graph
from erm_graph.cli import app
from erm_graph.demo import facts
from erm_graph.errors import ErmError
from erm_graph.query import load_library, run_query


@pytest.fixture(scope="module")
def demo(request, tmp_path_factory):
    """The session's loaded small demo (read-only), or one loaded here when conftest has none."""
    try:
        yield request.getfixturevalue("demo_store")
        return
    except pytest.FixtureLookupError:
        pass
    from erm_graph.demo import load_demo
    from erm_graph.store import open_store

    store = open_store(f"embedded:{tmp_path_factory.mktemp('demo') / 'db'}")
    load_demo(store, "small", 7)
    yield store
    store.close()


def rows(store, name, **params):
    return run_query(store, name, params).records()


@pytest.mark.parametrize("query", [q.name for q in load_library()])
def test_every_query_runs_with_its_example_parameters(demo, query):
    named = load_library().get(query)
    result = run_query(demo, query, named.example_params())
    assert result.rows, f"{query} found nothing on the demo"


def test_customer_360_shows_the_key_person_customer(demo):
    kp = facts.KEY_PERSON
    [row] = rows(demo, "customer-360", uid=kp.customer)
    assert row["name"] == kp.customer_name
    assert row["account_owners"] == [{"uid": kp.employee, "name": kp.employee_name}]
    assert row["interaction_count"] == kp.interactions
    assert sum(i["count"] for i in row["interactions"]) == kp.interactions
    assert {f["kind"] for f in row["feedback"]} == {"need", "defect", "idea", "praise"}


def test_relationship_map_lays_out_the_gateway_process(demo):
    gw = facts.GATEWAY
    result = rows(demo, "relationship-map", uid=gw.process)
    assert {r["step_uid"] for r in result} == set(gw.steps)
    assert {r["process"] for r in result} == {gw.process_name}
    gateway = next(r for r in result if r["step_uid"] == gw.gateway)
    assert {(n["to"], n["label"]) for n in gateway["next"]} == {
        (gw.yes_step, "yes"), (gw.no_step, "no")}
    assert [r["order"] for r in result] == sorted(r["order"] for r in result)


def test_who_touches_the_key_person_customer_is_one_employee(demo):
    kp = facts.KEY_PERSON
    result = rows(demo, "who-touches", uid=kp.customer)
    employees = {r["uid"] for r in result if r["label"] == "Employee"}
    assert employees == {kp.employee}
    touches = {r["touch"]: r["times"] for r in result}
    assert touches["interactions"] == kp.interactions
    assert touches["account owner"] == 1


def test_journey_documents_follow_the_supplier_material(demo):
    dep = facts.SUPPLIER_DEPENDENCY
    result = rows(demo, "journey-documents", uid=dep.supplier)
    assert result, "the supplier takes part in steps that use documents"
    assert dep.material in {r["uid"] for r in result}
    assert {r["kind"] for r in result} > {"material"}, "without a kind, every kind"
    materials = rows(demo, "journey-documents", uid=dep.supplier, kind="material")
    assert dep.material in {r["uid"] for r in materials}
    assert all(r["kind"] == "material" for r in materials)
    assert rows(demo, "journey-documents", uid=facts.AT_RISK.customer, kind="material") == []


def test_unowned_components_are_exactly_the_planted_ones(demo):
    result = rows(demo, "unowned-components")
    assert {r["uid"] for r in result} == set(facts.UNOWNED.uids)
    labels = {r["uid"]: r["label"] for r in result}
    assert {u for u, lab in labels.items() if lab == "Step"} == set(facts.UNOWNED.steps)
    assert {u for u, lab in labels.items() if lab == "Process"} == set(facts.UNOWNED.processes)


def test_key_person_risk_finds_the_planted_customer(demo):
    kp = facts.KEY_PERSON
    result = rows(demo, "key-person-risk", kind="Customer")
    found = {r["uid"]: r for r in result}
    assert kp.customer in found
    assert found[kp.customer]["employee_uid"] == kp.employee
    assert found[kp.customer]["interactions"] == kp.interactions
    assert result[0]["uid"] == kp.customer


def test_complaint_hotspots_top_cell_is_the_spike(demo):
    spike = facts.COMPLAINT_SPIKE
    top = rows(demo, "complaint-hotspots")[0]
    assert (top["product_uid"], top["step_uid"], top["month"]) == (
        spike.product, spike.step, spike.month)
    assert top["complaints"] >= spike.min_interactions
    assert top["cases"] >= spike.min_cases
    month = rows(demo, "complaint-hotspots", since=f"{spike.month}-01", until="2026-04-01")
    assert {r["month"] for r in month} == {spike.month}


def test_customer_needs_cluster_on_the_planted_product_and_segment(demo):
    needs = facts.CUSTOMER_NEEDS
    result = rows(demo, "customer-needs", kinds=["need"])
    top = result[0]
    assert (top["product_uid"], top["segment"], top["kind"]) == (
        needs.product, needs.segment, "need")
    assert top["feedback"] >= needs.min_feedback
    assert all(r["feedback"] * 2 <= top["feedback"] for r in result[1:])


def test_survey_sentiment_counts_every_response(demo):
    result = rows(demo, "survey-sentiment", period="year")
    total = demo.run("MATCH (r:Response)-[:ABOUT]->() RETURN count(r)").rows[0][0]
    assert sum(r["responses"] for r in result) == total
    assert all(-100 <= r["nps"] <= 100 and 0 <= r["avg_score"] <= 10 for r in result)
    staff = rows(demo, "survey-sentiment", audience="employee")
    assert staff and {r["segment"] for r in staff} == {"employee"}


def test_sales_by_domain_adds_up_to_the_purchase_revenue(demo):
    result = rows(demo, "sales-by-domain", period="year")
    total = demo.run("MATCH (i:Interaction {kind: 'purchase'}) WHERE (i)-[:ABOUT]->(:Product) "
                     "RETURN sum(i.amount)").rows[0][0]
    assert sum(r["revenue"] for r in result) == pytest.approx(total, rel=1e-6)
    assert {r["domain"] for r in result} == {"product", "service", "advertising"}


def test_lifetime_value_ranks_the_top_customer_first(demo):
    top = facts.TOP_CUSTOMER
    first = rows(demo, "lifetime-value", limit=3)[0]
    assert first["uid"] == top.customer
    assert first["purchase_revenue"] == pytest.approx(top.total)
    assert first["purchases"] == top.purchases
    assert first["won_value"] == pytest.approx(1_290_000.0)  # its won opportunity
    assert first["value"] == pytest.approx(first["purchase_revenue"] + first["contract_value"]
                                           + first["won_value"])


def test_at_risk_customers_puts_the_drifting_customer_first(demo):
    risk = facts.AT_RISK
    first = rows(demo, "at-risk-customers")[0]
    assert first["uid"] == risk.customer
    assert first["open_complaints"] == risk.open_complaints
    assert first["recent_per_month"] == 0
    assert first["avg_score"] == pytest.approx(sum(risk.survey_scores) / 3, abs=0.05)


def test_warm_path_is_the_planted_chain(demo):
    wp = facts.WARM_PATH
    first = rows(demo, "warm-path", target=wp.target)[0]
    assert tuple(first["chain"]) == wp.chain
    assert tuple(first["relationships"]) == wp.relationships
    assert first["hops"] == 2


def test_supplier_dependency_finds_the_single_supplier(demo):
    dep = facts.SUPPLIER_DEPENDENCY
    result = {r["uid"]: r for r in rows(demo, "supplier-dependency")}
    assert set(result) == {dep.product, dep.material}
    assert {r["supplier_uid"] for r in result.values()} == {dep.supplier}
    assert dep.step in result[dep.material]["steps"]


def test_similar_customers_and_cross_sell(demo):
    uid = facts.TOP_CUSTOMER.customer
    similar = rows(demo, "similar-customers", uid=uid)
    assert similar and uid not in {r["uid"] for r in similar}
    assert all(0 < r["jaccard"] <= 1 for r in similar)
    assert [r["score"] for r in similar] == sorted((r["score"] for r in similar), reverse=True)
    owned = {r[0] for r in demo.run(
        "MATCH (c:Party {uid: $uid})<-[:WORKS_FOR*0..1]-()-[:HAD]->(:Interaction "
        "{kind: 'purchase'})-[:ABOUT]->(p:Product) RETURN DISTINCT p.uid", {"uid": uid}).rows}
    suggestions = rows(demo, "cross-sell", uid=uid)
    assert suggestions and not owned & {r["product_uid"] for r in suggestions}


def test_python_api_returns_a_dataframe(demo):
    frame = erm_graph.query.dataframe("warm-path", store=demo, target=facts.WARM_PATH.target)
    assert list(frame.columns)[:3] == ["employee_uid", "employee", "hops"]
    assert frame.iloc[0]["employee_uid"] == facts.WARM_PATH.employee
    with pytest.raises(ErmError, match="needs parameter target"):
        erm_graph.query.dataframe("warm-path", store=demo)


def test_the_query_package_is_a_plain_module():
    """``erm_graph.query`` is the package, not a callable stand-in for one of its functions:
    ``import erm_graph.query as q`` gives the package, and the DataFrame function has a name."""
    import erm_graph.query as package

    assert package is erm_graph.query and type(package) is types.ModuleType
    assert not callable(erm_graph.query)
    assert erm_graph.query.dataframe.__module__ == "erm_graph.query.named"


def test_cli_list_show_run(demo):
    runner = CliRunner()
    listed = runner.invoke(app, ["query", "list", "--format", "csv"])
    assert listed.exit_code == 0 and "customer-360" in listed.stdout
    shown = runner.invoke(app, ["query", "show", "warm-path"])
    assert shown.exit_code == 0 and "target" in shown.stdout and "MATCH" in shown.stdout
    missing = runner.invoke(app, ["query", "run", "warm-path"])
    assert missing.exit_code == 1 and "needs parameter target" in missing.output
    ran = runner.invoke(app, ["--db", f"embedded:{demo.location}", "query", "run", "warm-path",
                              "-p", f"target={facts.WARM_PATH.target}", "--format", "json"])
    assert ran.exit_code == 0, ran.output
    assert '"employee_uid": "emp-0012"' in ran.stdout
    unknown = runner.invoke(app, ["query", "show", "nope"])
    assert unknown.exit_code == 1 and "no named query 'nope'" in unknown.output
