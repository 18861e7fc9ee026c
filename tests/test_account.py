"""The account page of a party: its read layer against the demo's planted facts (exact
contents), the routes as each role, and uids that URLs treat specially. Real embedded engine.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from erm_graph.auth import Users
from erm_graph.auth.me import signed_in_employee
from erm_graph.auth.scope import ScopedStore
from erm_graph.auth.users import Principal
from erm_graph.demo import facts
from erm_graph.query.account import SECTION_ROWS, account, timeline
from erm_graph.query.explore import NotFound
from erm_graph.query.partner_scope import partner_scope
from erm_graph.settings import Settings
from erm_graph.web import create_app

RISK, TOP, WARM, KP = facts.AT_RISK, facts.TOP_CUSTOMER, facts.WARM_PATH, facts.KEY_PERSON
DEP = facts.SUPPLIER_DEPENDENCY
LOCAL = "http://127.0.0.1"
#: the at-risk customer's interactions: the planted monthly counts
RISK_TOUCHES = sum(n for _, n in RISK.monthly_interactions)


def uids(rows):
    return [r["uid"] for r in rows]


# -- the read layer, against the planted facts ---------------------------------------------
def test_at_risk_customer_shows_its_owner_contact_open_cases_and_why_it_is_at_risk(demo_store):
    a = account(demo_store, RISK.customer)
    assert (a["name"], a["kinds"]) == (RISK.customer_name, ["Customer"])
    assert uids(a["owners"]["rows"]) == ["emp-0009"] and a["owners"]["count"] == 1
    assert [(c["uid"], c["name"]) for c in a["contacts"]["rows"]] == [
        ("cont-000003", "Ilse van Dijk")]
    # every touch is with the account manager but support (every fifth, from the third): emp-0010
    support = len(range(2, RISK_TOUCHES, 5))
    assert [(e["uid"], e["interactions"]) for e in a["team"]["rows"]] == [
        ("emp-0009", RISK_TOUCHES - support), ("emp-0010", support)]
    cases = a["cases"]
    assert (cases["count"], cases["open"]) == (3, RISK.open_complaints)
    assert sorted(uids(cases["rows"])) == ["case-risk-001", "case-risk-002", "case-risk-003"]
    assert all(c["open"] and c["products"] == [{"uid": "prod-0004", "name": "Solis Heat Pump"}]
               for c in cases["rows"])
    assert a["timeline"]["count"] == RISK_TOUCHES
    assert a["products"]["rows"][0]["uid"] == "prod-0004"
    # value and risk: the named queries' own figures, with their reasons
    purchases = len(range(0, RISK_TOUCHES, 5))
    assert (a["value"]["value"], a["value"]["purchases"]) == (purchases * 23_800.0, purchases)
    assert a["value"]["query"] == "lifetime-value"
    risk = a["risk"]
    assert risk["open_complaints"] == RISK.open_complaints
    assert risk["avg_score"] == round(sum(RISK.survey_scores) / len(RISK.survey_scores), 1)
    assert risk["recent_per_month"] == 0.0 and risk["risk"] >= 0.5
    assert f"{RISK.open_complaints} open complaint case(s)" in risk["reasons"]
    assert any(r.startswith("interactions per month fell from") for r in risk["reasons"])


def test_open_cases_come_before_closed_ones(demo_store):
    customer = "cust-000005"  # a complaint-spike customer: open, in progress, resolved, closed
    a = account(demo_store, customer)
    statuses = [c["status"] for c in a["cases"]["rows"]]
    expected = demo_store.run(
        "MATCH (:Party {uid: $u})-[:RAISED]->(x:Case) RETURN x.status", {"u": customer}).rows
    assert a["cases"]["count"] == len(expected)
    assert a["cases"]["open"] == sum(s in ("open", "in_progress") for (s,) in expected)
    assert {"open", "resolved"} <= set(statuses) or {"open", "closed"} <= set(statuses)
    opened = [s in ("open", "in_progress") for s in statuses]
    assert opened == sorted(opened, reverse=True), statuses
    assert len(a["cases"]["rows"]) == min(SECTION_ROWS, a["cases"]["count"])


def test_top_customer_shows_its_deals_group_and_value_parts(demo_store):
    a = account(demo_store, TOP.customer)
    assert [(d["uid"], d["kind"], d["amount"]) for d in a["deals"]["rows"]] == [
        ("ctr-top-001", "Contract", TOP.total), ("opp-top-001", "Opportunity", 1_290_000.0)]
    assert [(t["uid"], t["kind"], t["direction"]) for t in a["ties"]["rows"]] == [
        ("fin-000001", "finances", "in"), ("cust-000018", "subsidiary", "in")]
    v = a["value"]
    assert (v["purchase_revenue"], v["contract_value"], v["won_value"]) == (
        TOP.total, TOP.total, 1_290_000.0)
    assert v["value"] == 2 * TOP.total + 1_290_000.0 and v["purchases"] == TOP.purchases
    assert "won opportunities 1,290,000.00" in v["reasons"]
    held = {p["uid"]: p for p in a["products"]["rows"]}
    assert held["prod-0013"]["held"] == 1 and held["prod-0014"]["held"] == 1
    assert sum(p["bought"] for p in held.values()) == TOP.purchases
    # similar customers share a bought product, and say which
    assert a["similar"]["rows"] and all(r["reasons"][0].startswith("also bought")
                                        for r in a["similar"]["rows"])
    owned = set(held)
    assert a["cross_sell"]["rows"] and not owned & set(uids(a["cross_sell"]["rows"]))


def test_warm_paths_start_from_the_signed_in_employee(demo_store):
    a = account(demo_store, WARM.target, viewer=WARM.employee)
    assert a["warm_paths"]["employee"] == {"uid": WARM.employee, "name": WARM.employee_name}
    first = a["warm_paths"]["rows"][0]
    assert tuple(uids(first["chain"])) == WARM.chain
    assert tuple(first["relationships"]) == WARM.relationships
    # the user is found by e-mail too; an unknown user gets paths from anyone
    email = demo_store.run("MATCH (e:Employee {uid: $e}) RETURN e.email",
                           {"e": WARM.employee}).rows[0][0]
    by_email = signed_in_employee(demo_store, Principal(email.upper(), "officer"))
    assert by_email["uid"] == WARM.employee
    anyone = account(demo_store, WARM.target, viewer="somebody")
    assert anyone["warm_paths"]["employee"] is None
    assert tuple(uids(anyone["warm_paths"]["rows"][0]["chain"])) == WARM.chain
    # a chosen employee with no tie to the target: no path
    chosen = account(demo_store, WARM.target, employee=facts.CRO.employee)
    assert chosen["warm_paths"]["employee"]["uid"] == facts.CRO.employee
    assert chosen["warm_paths"]["rows"] == []


def test_timeline_filters_and_pages(demo_store):
    everything = timeline(demo_store, RISK.customer, limit=100)
    assert everything["count"] == RISK_TOUCHES == len(everything["rows"])
    ats = [r["at"] for r in everything["rows"]]
    assert ats == sorted(ats, reverse=True)
    assert everything["kinds"] == ["call", "consultation", "email", "purchase", "support"]
    bought = timeline(demo_store, RISK.customer, kind="purchase", limit=3, offset=2)
    assert bought["count"] == len(range(0, RISK_TOUCHES, 5))
    assert [r["uid"] for r in bought["rows"]] == [
        r["uid"] for r in everything["rows"] if r["kind"] == "purchase"][2:5]
    assert all(r["amount"] == 23_800.0 for r in bought["rows"])
    july = timeline(demo_store, RISK.customer, since="2026-07-01", until="2026-08-01")
    assert july["count"] == dict(RISK.monthly_interactions)["2026-07"]
    assert timeline(demo_store, RISK.customer, product="prod-0004")["count"] == RISK_TOUCHES
    assert timeline(demo_store, RISK.customer, product="prod-0001")["count"] == 0
    channel = everything["channels"][0]
    assert timeline(demo_store, RISK.customer, channel=channel)["count"] == sum(
        r["channel"] == channel for r in everything["rows"])
    row = everything["rows"][0]
    assert row["who"] == [{"uid": RISK.customer, "name": RISK.customer_name,
                           "labels": ["Party", "Customer"]}]
    assert row["staff"] and row["products"] == [{"uid": "prod-0004", "name": "Solis Heat Pump"}]


def test_supplier_account_shows_its_steps_and_maps_and_no_customer_scores(demo_store):
    a = account(demo_store, DEP.supplier)
    assert uids(a["deals"]["rows"]) == ["ctr-sup-001"]
    step = a["steps"]["rows"][0]
    assert (step["uid"], step["role"]) == ("step-pr-receive", "supplier")
    assert uids(a["steps"]["maps"]) == ["map-procurement"]
    assert [(t["uid"], t["kind"]) for t in a["ties"]["rows"]] == [("gov-000001", "regulates")]
    assert a["value"] is a["risk"] is a["similar"] is a["cross_sell"] is None


def test_a_uid_that_is_not_a_party_is_refused_with_where_to_look(demo_store):
    with pytest.raises(NotFound, match="is a Employee, not a party"):
        account(demo_store, WARM.employee)
    with pytest.raises(NotFound, match="no node has uid"):
        account(demo_store, "cust-999999")


def test_partner_reads_its_own_account_inside_its_scope_only(demo_store):
    scoped = ScopedStore(demo_store, partner_scope(demo_store, KP.customer))
    a = account(scoped, KP.customer, viewer=KP.employee)
    assert a["timeline"]["count"] == KP.interactions
    assert uids(a["owners"]["rows"]) == [KP.employee]
    assert a["value"] is a["risk"] is a["warm_paths"] is a["similar"] is None
    full = account(demo_store, KP.customer)
    for part in ("contacts", "cases", "team", "owners"):
        assert a[part] == full[part]
    with pytest.raises(NotFound):
        account(scoped, RISK.customer)


# -- the routes ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("account-auth") / "users.db"
    users = Users.open(path)
    tokens = {}
    for role in ("admin", "analyst", "viewer", "partner"):
        users.add(role, role, password="correct horse battery",
                  party=KP.customer if role == "partner" else None)
        tokens[role] = {"authorization": f"Bearer {users.new_token(role)}"}
    users.add(WARM.employee, "viewer", password="correct horse battery")
    tokens["priya"] = {"authorization": f"Bearer {users.new_token(WARM.employee)}"}
    settings = Settings.from_env(users_db=path, web_host="0.0.0.0", query_timeout=20)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as client:
        yield client, tokens
    users.close()


@pytest.mark.parametrize("role", ["admin", "analyst", "viewer", "partner"])
def test_each_role_opens_an_account(web, role):
    client, tokens = web
    own = KP.customer if role == "partner" else RISK.customer
    r = client.get(f"/api/accounts/{own}", headers=tokens[role])
    assert r.status_code == 200, r.text
    assert r.json()["uid"] == own
    page = client.get(f"/account/{own}", headers=tokens[role])
    assert page.status_code == 200 and 'id="account-page"' in page.text
    other = client.get(f"/api/accounts/{RISK.customer if role == 'partner' else KP.customer}",
                       headers=tokens[role])
    assert other.status_code == (404 if role == "partner" else 200), other.text


def test_the_signed_in_user_is_where_warm_paths_start(web):
    client, tokens = web
    body = client.get(f"/api/accounts/{WARM.target}", headers=tokens["priya"]).json()
    assert body["warm_paths"]["employee"]["uid"] == WARM.employee
    chosen = client.get(f"/api/accounts/{WARM.target}",
                        params={"employee": facts.CRO.employee}, headers=tokens["viewer"])
    assert chosen.json()["warm_paths"]["employee"]["uid"] == facts.CRO.employee


def test_timeline_filters_through_the_api_and_bad_values_are_refused(web):
    client, tokens = web
    r = client.get(f"/api/accounts/{RISK.customer}", headers=tokens["viewer"],
                   params={"kind": "purchase", "limit": 2, "offset": 1})
    t = r.json()["timeline"]
    assert (t["offset"], t["limit"], len(t["rows"])) == (1, 2, 2)
    assert {row["kind"] for row in t["rows"]} == {"purchase"}
    assert client.get(f"/api/accounts/{RISK.customer}", params={"limit": 0},
                      headers=tokens["viewer"]).status_code == 422


def test_sections_are_asked_for_apart(web):
    client, tokens = web
    r = client.get(f"/api/accounts/{TOP.customer}", headers=tokens["viewer"],
                   params={"sections": "similar,cross_sell"})
    body = r.json()
    assert set(body) == {"uid", "name", "kinds", "label", "properties", "similar", "cross_sell"}
    assert body["similar"]["rows"] and body["cross_sell"]["rows"]
    bad = client.get(f"/api/accounts/{TOP.customer}", headers=tokens["viewer"],
                     params={"sections": "gossip"})
    assert bad.status_code == 400 and "unknown account section 'gossip'" in bad.text


def test_node_links_open_a_party_on_its_account_page_and_others_in_the_explorer(web):
    client, tokens = web
    r = client.get(f"/node/{RISK.customer}", headers=tokens["viewer"], follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"/account/{RISK.customer}")
    r = client.get(f"/node/{WARM.employee}", headers=tokens["viewer"], follow_redirects=False)
    assert r.headers["location"] == f"/explore?focus={WARM.employee}"
    assert client.get("/node/nothing-here", headers=tokens["viewer"]).status_code == 404
    assert client.get(f"/account/{WARM.employee}", headers=tokens["viewer"]).status_code == 404


ODD = ["acme/emea #1?", "dökümän/分析 100%", "q?a=1&b=2/x y"]


@pytest.mark.parametrize("uid", ODD, ids=["slash-hash", "unicode-percent", "query-chars"])
def test_odd_party_uids_reach_their_account(store, uid):
    store.upsert_nodes("Customer", [{"uid": uid, "name": f"Odd {uid}", "segment": "smb"}])
    store.upsert_nodes("Contact", [{"uid": uid + "/k", "name": "Odd contact"}])
    store.run("MATCH (c:Contact {uid: $k}), (p:Party {uid: $p}) CREATE (c)-[:WORKS_FOR]->(p)",
              {"k": uid + "/k", "p": uid}, read_only=False)
    with TestClient(create_app(Settings.from_env(), store=store), base_url=LOCAL) as client:
        path = "/".join(quote(part, safe="") for part in uid.split("/"))
        body = client.get(f"/api/accounts/{path}").json()
        assert body["uid"] == uid and uids(body["contacts"]["rows"]) == [uid + "/k"]
        assert client.get(f"/account/{path}").status_code == 200
        r = client.get(f"/node/{path}", follow_redirects=False)
        assert r.headers["location"] == f"/account/{quote(uid, safe='/')}"
