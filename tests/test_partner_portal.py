"""The partner portal: records shared with a partner are in its scope while the share stands,
in every read it reaches, and gone at its next request once revoked; a partner changes only
the working fields of what is shared with it, never shares, and meets an unshared record as
a missing one (404). Real embedded engine, real app, real security file.

The partner is the demo's Bridgeway Consulting (``part-000001``); the demo shares a customer,
a won deal and a case with it. Each test opens two deals of its own on a customer outside its
scope, with names alike: ``DEAL`` is shared, ``HIDDEN`` never is.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth import Users, audit
from erm_graph.auth.roles import PARTNER_SHARED_EDITABLE, Forbidden
from erm_graph.auth.scope import ScopedStore
from erm_graph.cli import app as cli_app
from erm_graph.demo import facts
from erm_graph.demo.planted import SHARED
from erm_graph.edit import actions, link, partner_update, share, unshare
from erm_graph.errors import ErmError
from erm_graph.model import LABELS, SHAREABLE_LABELS
from erm_graph.query import run_query
from erm_graph.query.explore import find_node
from erm_graph.query.library import load_library
from erm_graph.query.partner_scope import forget_scopes, partner_scope
from erm_graph.query.shares import shares
from erm_graph.settings import Settings
from erm_graph.web import create_app

PARTNER = facts.WARM_PATH.via
CUSTOMER = "cust-000018"  # Atlas Components: outside the partner's scope, shared with none
PASSWORD = "correct horse battery"


@pytest.fixture
def world(tmp_path, small_demo_copy):
    store = small_demo_copy(tmp_path / "db")
    deal = actions.open_opportunity(store, CUSTOMER, name="Cold room retrofit",
                                    stage="qualified", amount=50_000.0).uid
    hidden = actions.open_opportunity(store, CUSTOMER, name="Cold room sensors",
                                      stage="proposal", amount=9_000.0).uid
    case = actions.open_case(store, CUSTOMER, kind="service", summary="door seal").uid
    other = store.run("MATCH (p:Partner) WHERE p.uid <> $p RETURN p.uid ORDER BY p.uid LIMIT 1",
                      {"p": PARTNER}).rows[0][0]
    users = Users.open(tmp_path / "users.db")
    users.add("admin", "admin", password=PASSWORD)
    tokens = {}
    for name, role, party in (("olga", "officer", None), ("vic", "viewer", None),
                              ("bridgeway", "partner", PARTNER), ("rival", "partner", other)):
        users.add(name, role, password=PASSWORD, party=party)
        tokens[name] = {"authorization": f"Bearer {users.new_token(name)}"}
    settings = Settings.from_env(users_db=tmp_path / "users.db", web_host="127.0.0.1",
                                 web_row_cap=50, web_max_body=8192, query_timeout=10)
    forget_scopes()
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        yield {"client": client, "h": tokens, "store": store, "users": users, "deal": deal,
               "hidden": hidden, "case": case, "other": other}
    forget_scopes()
    users.close()
    store.close()


def reads(client, h, uid: str, name: str) -> dict[str, bool]:
    """Whether the record ``uid`` shows in each read a partner reaches."""
    own_neighbours = client.get(f"/api/nodes/{PARTNER}/neighbors", headers=h,
                                params={"limit": 500}).text
    around = client.get(f"/api/nodes/{PARTNER}/neighborhood", headers=h,
                        params={"depth": 1, "per_node": 200, "max_nodes": 400}).text
    path = client.get("/api/path", headers=h, params={"a": PARTNER, "b": uid, "max_hops": 4})
    search = client.get("/api/search", headers=h, params={"q": name, "limit": 20}).json()
    portal = client.get("/api/portal", headers=h).text
    return {
        "node": client.get(f"/api/nodes/{uid}", headers=h).status_code == 200,
        "its neighbours": client.get(f"/api/nodes/{uid}/neighbors", headers=h).status_code
        == 200,
        "search": uid in [r["uid"] for r in search["results"]],
        "neighbours": uid in own_neighbours,
        "neighbourhood": uid in around,
        "path": path.status_code == 200 and uid in path.text,
        "portal": uid in portal,
        "page": client.get(f"/node/{uid}", headers=h, follow_redirects=False).status_code
        == 303,
    }


def counted(client, h, label: str) -> int:
    return client.get("/api/summary", headers=h).json()["labels"].get(label, 0)


# -- 1. visibility: while shared, and only then ------------------------------------------------
def test_a_shared_record_is_seen_in_every_read_and_gone_at_the_next_request_when_revoked(world):
    client, h, deal, hidden = world["client"], world["h"], world["deal"], world["hidden"]
    partner, officer = h["bridgeway"], h["olga"]
    assert not any(reads(client, partner, deal, "Cold room").values())
    before = counted(client, partner, "Opportunity")
    r = client.post("/api/shares", headers=officer, json={"record": deal, "partner": PARTNER})
    assert r.status_code == 200, r.text
    seen = reads(client, partner, deal, "Cold room")  # the next request: no cache to wait for
    assert all(seen.values()), seen
    assert counted(client, partner, "Opportunity") == before + 1
    # its alike neighbour, held by the same customer, stays hidden in every read
    assert not any(reads(client, partner, hidden, "Cold room").values())
    # ... and the customer who holds the deal is not shared by sharing the deal
    assert client.get(f"/api/nodes/{CUSTOMER}", headers=partner).status_code == 404
    # another partner sees nothing of it
    assert not any(reads(client, h["rival"], deal, "Cold room").values())
    r = client.delete("/api/shares", headers=officer, params={"record": deal, "partner": PARTNER})
    assert r.status_code == 200, r.text
    assert not any(reads(client, partner, deal, "Cold room").values())
    assert counted(client, partner, "Opportunity") == before


def test_a_share_revoked_outside_the_app_is_gone_at_the_next_request(world):
    """`erm unshare` run beside `erm serve` is another process: the app hears no write event
    of it, and still the partner's next request no longer sees the record (the shared part
    of a scope is never cached)."""
    client, h, store, deal = world["client"], world["h"], world["store"], world["deal"]
    share(store, deal, PARTNER)
    assert client.get(f"/api/nodes/{deal}", headers=h["bridgeway"]).status_code == 200
    assert client.get(f"/api/nodes/{PARTNER}", headers=h["bridgeway"]).status_code == 200
    store.run("MATCH (:Opportunity {uid: $u})-[s:SHARED_WITH]->() DELETE s", {"u": deal},
              read_only=False)  # no write event: as another process's write is to this one
    assert client.get(f"/api/nodes/{deal}", headers=h["bridgeway"]).status_code == 404


def test_the_demo_shares_records_with_its_partner(world):
    store = world["store"]
    scope = partner_scope(store, PARTNER)
    assert {uid for _, uid in SHARED} <= scope
    assert {(s["uid"], s["partner"]) for s in shares(store, partner=PARTNER)} == \
        {(uid, PARTNER) for _, uid in SHARED}
    assert not {world["deal"], world["hidden"], world["case"], CUSTOMER} & scope


# -- 2. named queries ---------------------------------------------------------------------------
NAMED = """// name: deals
// title: Deals by name
// description: opportunities whose name starts with a prefix
// access: [partner, viewer]
// read_only: true
// params:
//   prefix: {type: string, required: true}
//   limit: {type: integer, default: 1}
MATCH (o:Opportunity) WHERE o.name STARTS WITH $prefix AND ($scope IS NULL OR o.uid IN $scope)
RETURN o.uid AS uid, o.name AS name ORDER BY o.name LIMIT $limit
"""


def test_named_queries_see_shared_records_only_while_shared(world, tmp_path):
    store, deal = world["store"], world["deal"]
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "deals.cypher").write_text(NAMED)
    library = load_library(folder)

    def as_partner(limit: int) -> list[list]:
        scoped = ScopedStore(store, partner_scope(store, PARTNER))
        return run_query(scoped, "deals", {"prefix": "Cold room", "limit": limit},
                         library=library, role="partner").rows

    assert as_partner(1) == [] and as_partner(5) == []
    share(store, deal, PARTNER)
    # "Cold room retrofit" sorts before "Cold room sensors": LIMIT 1 after the scope finds it
    assert as_partner(1) == as_partner(5) == [[deal, "Cold room retrofit"]]
    unshare(store, world["deal"], PARTNER)
    assert as_partner(5) == []


# -- 3. what a partner changes ---------------------------------------------------------------
def test_a_partner_updates_the_working_fields_of_a_shared_record_and_nothing_else(world):
    client, h, store, users = world["client"], world["h"], world["store"], world["users"]
    deal, case, partner = world["deal"], world["case"], h["bridgeway"]
    share(store, deal, PARTNER)
    share(store, case, PARTNER)
    share(store, CUSTOMER, PARTNER)
    r = client.patch(f"/api/nodes/{deal}", headers=partner, json={"properties": {
        "stage": "proposal", "amount": "61000", "next_step": "site survey on Monday"}})
    assert r.status_code == 200, r.text
    before = r.json()["before"]
    assert (before["stage"], before["amount"], before["next_step"]) == ("qualified", 50_000.0, None)
    props = client.get(f"/api/nodes/{deal}", headers=partner).json()["properties"]
    assert (props["stage"], props["amount"]) == ("proposal", 61_000.0)
    history = store.run("MATCH (o:Opportunity {uid: $u}) RETURN o.stage_history",
                        {"u": deal}).rows[0][0]
    assert [e.split()[0] for e in history] == ["qualified", "proposal"]
    assert history[-1].endswith(" bridgeway")
    r = client.patch(f"/api/nodes/{case}", headers=partner,
                     json={"properties": {"status": "in_progress", "summary": "seal ordered"}})
    assert r.status_code == 200, r.text
    # refused: the deal's name, the case's severity, a stage the model does not know, the
    # shared customer's details (read only), a field with an allowed one (all or nothing),
    # a shared deal that is closed
    for uid, properties, status in (
            (deal, {"name": "Mine now"}, 403), (case, {"severity": 1}, 403),
            (case, {"kind": "warranty"}, 403), (deal, {"stage": "bogus"}, 400),
            (CUSTOMER, {"phone": "+1 555"}, 403), (deal, {"amount": 1, "name": "x"}, 403),
            ("opp-top-001", {"next_step": "again"}, 400)):  # won (the demo's): closed
        r = client.patch(f"/api/nodes/{uid}", headers=partner, json={"properties": properties})
        assert r.status_code == status, (uid, properties, r.text)
    edits = [(e["actor"], e["target"], e["detail"]["before"], e["detail"]["after"])
             for e in audit.events(users.conn, action="edit")]
    assert edits == [  # newest first; the refused edits wrote nothing
        ("bridgeway", case, {"status": "open", "summary": "door seal"},
         {"status": "in_progress", "summary": "seal ordered"}),
        ("bridgeway", deal, {"stage": "qualified", "amount": 50_000.0, "next_step": None,
                             "stage_history": history[:1]},
         {"stage": "proposal", "amount": 61_000.0, "next_step": "site survey on Monday",
          "stage_history": history}),
    ]
    # the hidden deal: as missing, to read and to change
    for method in ("GET", "PATCH"):
        r = client.request(method, f"/api/nodes/{world['hidden']}", headers=partner,
                           json={"properties": {"stage": "won"}} if method == "PATCH" else None)
        assert r.status_code == 404, (method, r.text)
    # revoked: the edit it could make a moment ago is a 404 now
    unshare(store, deal, PARTNER)
    r = client.patch(f"/api/nodes/{deal}", headers=partner, json={"properties": {"amount": 1}})
    assert r.status_code == 404


def test_partner_edits_of_records_it_only_reaches_are_refused(world):
    """A product or employee in its scope, a case its own contact raised: seen, not changed."""
    store = world["store"]
    scope = ScopedStore(store, partner_scope(store, PARTNER))
    for uid in (facts.WARM_PATH.employee, "prod-0011"):
        with pytest.raises(Forbidden):
            partner_update(store, PARTNER, find_node(scope, uid), {"name": "x"})


def test_partner_shared_editable_fields_are_properties_of_the_model():
    assert set(PARTNER_SHARED_EDITABLE) == set(SHAREABLE_LABELS)
    for label, props in PARTNER_SHARED_EDITABLE.items():
        assert props <= set(LABELS[label].props), label
        assert not props & {"name", "uid", "kind", "severity", "tier", "stage_history"}


# -- 4. who shares ----------------------------------------------------------------------------
def test_a_partner_neither_shares_nor_revokes_nor_lists_shares(world):
    client, h, deal = world["client"], world["h"], world["deal"]
    share(world["store"], world["case"], PARTNER)
    for who in ("bridgeway", "vic"):
        assert client.post("/api/shares", headers=h[who],
                           json={"record": deal, "partner": PARTNER}).status_code == 403
        assert client.delete("/api/shares", headers=h[who],
                             params={"record": world["case"], "partner": PARTNER}
                             ).status_code == 403
        assert client.get("/api/shares", headers=h[who]).status_code == 403
    assert client.get("/portal", headers=h["olga"]).status_code == 403  # a partner's page
    assert deal not in partner_scope(world["store"], PARTNER)
    assert world["case"] in partner_scope(world["store"], PARTNER)


def test_sharing_is_checked_and_audited_with_who_and_when(world):
    client, h, store, users = world["client"], world["h"], world["store"], world["users"]
    deal, officer = world["deal"], h["olga"]
    for body, status in (({"record": "prod-0011", "partner": PARTNER}, 400),  # not shareable
                         ({"record": deal, "partner": "prod-0011"}, 400),  # not a party
                         ({"record": PARTNER, "partner": PARTNER}, 400),  # itself
                         ({"record": "no-such-deal", "partner": PARTNER}, 404)):
        r = client.post("/api/shares", headers=officer, json=body)
        assert r.status_code == status, (body, r.text)
    r = client.post("/api/links", headers=h["olga"],
                    json={"start": deal, "type": "SHARED_WITH", "end": PARTNER})
    assert r.status_code == 403  # an officer may not link by hand at all
    with pytest.raises(ErmError, match="erm share"):
        link(store, deal, "SHARED_WITH", PARTNER)  # nor does the generic verb share
    assert client.post("/api/shares", headers=officer,
                       json={"record": deal, "partner": PARTNER}).status_code == 200
    again = client.post("/api/shares", headers=officer, json={"record": deal, "partner": PARTNER})
    assert again.json()["before"] == again.json()["after"]  # shared already: nothing written
    listed = client.get("/api/shares", headers=officer, params={"record": deal}).json()
    assert [(s["partner"], s["by"]) for s in listed["shares"]] == [(PARTNER, "olga")]
    assert PARTNER in [p["uid"] for p in listed["partners"]]
    assert client.delete("/api/shares", headers=officer,
                         params={"record": deal, "partner": PARTNER}).status_code == 200
    assert client.delete("/api/shares", headers=officer,
                         params={"record": deal, "partner": PARTNER}).status_code == 404
    trail = [(e["action"], e["actor"], e["target"], e["outcome"])
             for e in audit.events(users.conn) if e["action"] in ("share", "unshare")]
    target = f"{deal} SHARED_WITH {PARTNER}"
    assert trail == [("unshare", "olga", target, "ok"), ("share", "olga", target, "ok")]
    shared = next(e for e in audit.events(users.conn, action="share"))
    assert shared["detail"]["after"]["by"] == "olga" and shared["detail"]["after"]["at"]


# -- 5. the command line and the portal page --------------------------------------------------
def test_erm_share_unshare_and_shares_list(tmp_path, small_demo_copy):
    db = f"embedded:{tmp_path / 'cli'}"
    store = small_demo_copy(tmp_path / "cli")
    deal = actions.open_opportunity(store, CUSTOMER, name="Cold room retrofit").uid
    store.close()  # the CLI opens the library itself
    runner = CliRunner()

    def erm(*args: str) -> str:
        done = runner.invoke(cli_app, ["--db", db, *args])
        assert done.exit_code == 0, (args, done.output)
        return done.output

    assert "share Opportunity" in erm("share", deal, "--with", PARTNER)
    listed = json.loads(erm("shares", "list", "--partner", PARTNER, "--json"))
    assert deal in [s["uid"] for s in listed] and len(listed) == len(SHARED) + 1
    mine = next(s for s in listed if s["uid"] == deal)
    assert mine["by"].startswith("os:") and mine["at"] > "2026"
    assert "Shares (1)" in erm("shares", "list", "--record", deal)
    assert "unshare Opportunity" in erm("unshare", deal, "--with", PARTNER)
    assert "Nothing is shared" in erm("shares", "list", "--record", deal)
    done = runner.invoke(cli_app, ["--db", db, "share", "prod-0011", "--with", PARTNER])
    assert done.exit_code != 0 and "opportunities and cases" in done.output


def test_the_portal_page_lists_what_the_partner_works_with(world):
    client, h, store = world["client"], world["h"], world["store"]
    share(store, world["deal"], PARTNER)
    r = client.get("/portal", headers=h["bridgeway"])
    assert r.status_code == 200 and facts.WARM_PATH.via_name in r.text
    d = client.get("/api/portal", headers=h["bridgeway"]).json()
    assert d["party"]["uid"] == PARTNER
    assert {o["uid"] for o in d["opportunities"]} == {"opp-top-001", world["deal"]}
    assert [c["uid"] for c in d["customers"]] == ["cust-000019"]
    assert [c["uid"] for c in d["cases"]] == ["case-spike-0001"]
    assert {f["name"] for f in d["editable"]["shared"]["Opportunity"]} == \
        PARTNER_SHARED_EDITABLE["Opportunity"]
    assert world["hidden"] not in r.text + json.dumps(d)
