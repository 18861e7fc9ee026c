"""A partner working like an attacker against its scope: enumeration through search limits,
answers that change with data outside the scope, edits beyond contact details, and its own
process maps. Real embedded engine, real app, real security file.

The partner is the demo's Bridgeway Consulting (``part-000001``), given a contact and a part
in the partner-sales process (as an admin's load would) so that every read path has
something in scope and something next to it outside; the demo shares a customer, a deal and
a case with it (SHARED_WITH), around which the attack adds records that are not shared with
it (tests/test_partner_portal.py: sharing and revoking). The attack figures (requests tried,
out-of-scope records returned) are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import re
import string
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from erm_graph.auth import Users, audit
from erm_graph.auth.scope import ScopedStore
from erm_graph.demo import facts
from erm_graph.demo.planted import SHARED
from erm_graph.model import LABELS
from erm_graph.query import run_query
from erm_graph.query.explore import shortest_path
from erm_graph.query.library import load_library
from erm_graph.query.partner_scope import forget_scopes, partner_scope
from erm_graph.settings import Settings
from erm_graph.web import create_app

PARTNER = facts.WARM_PATH.via
PARTNER_NAME = facts.WARM_PATH.via_name
CONTACT, CONTACT_NAME = "cont-bw-000001", "Nadia Okafor"
STEP, PROCESS, MAP = "step-ps-register", "proc-partner", "map-partner"
PASSWORD = "correct horse battery"
#: in every name the attack data gives to records outside the scope
MARKER = "OUTSIDER"
UID = re.compile(r"\b[a-z]+(?:-[a-z0-9]+)+\b")


@pytest.fixture
def library(tmp_path, small_demo_copy):
    """A fresh small demo with Bridgeway's contact and its part in the partner process."""
    store = small_demo_copy(tmp_path / "db")
    store.upsert_nodes("Contact", [{"uid": CONTACT, "name": CONTACT_NAME,
                                    "email": "nadia@bridgeway.example"}])
    store.upsert_relationships("WORKS_FOR", "Contact", "Party",
                               [{"start": CONTACT, "end": PARTNER}])
    store.upsert_relationships("PARTICIPATES_IN", "Party", "Step",
                               [{"start": PARTNER, "end": STEP, "role": "co-seller"}])
    forget_scopes()
    yield store
    forget_scopes()
    store.close()


@pytest.fixture
def app(library, tmp_path):
    users = Users.open(tmp_path / "users.db")
    users.add("admin", "admin", password=PASSWORD)
    users.add("bridgeway", "partner", password=PASSWORD, party=PARTNER)
    headers = {"authorization": f"Bearer {users.new_token('bridgeway')}"}
    settings = Settings.from_env(users_db=tmp_path / "users.db", web_host="127.0.0.1",
                                 web_row_cap=50, web_max_body=8192, query_timeout=10)
    with TestClient(create_app(settings, store=library),
                    base_url="http://127.0.0.1") as client:
        yield {"client": client, "h": headers, "store": library, "users": users}
    users.close()


def out_of_scope(store, scope: frozenset[str]) -> set[str]:
    every = {u for label in ("Party", "Contact", "Employee", "Interaction", "Case", "Product",
                             "Process", "Step", "Map", "Document", "Department", "Opportunity")
             for (u,) in store.run(f"MATCH (n:{label}) RETURN n.uid").rows}
    return every - scope


def leaked(answers: list[tuple[str, str]], outside: set[str]) -> set[str]:
    """Out-of-scope uids and attack names in the answers to (request, answer) pairs, but for
    the uids the request itself named (a 404 repeats the uid it was asked for)."""
    found = {u for ask, text in answers for u in set(UID.findall(text)) - set(UID.findall(ask))
             if u in outside}
    return found | {text[:80] for _, text in answers if MARKER in text}


# -- 1. the enumeration the outside tester ran --------------------------------------------
def test_rename_to_prefix_enumeration_recovers_no_out_of_scope_name(app):
    """Rename the partner's own contact to a prefix followed by '~' (which sorts after every
    letter) and search that prefix with ``limit=1``: when LIMIT came before the scope, an
    empty answer meant another contact's name starts with the prefix, and a depth-first walk
    over prefixes spelled other parties' contacts out. Bounded at 300 requests."""
    client, h = app["client"], app["h"]
    scope = partner_scope(app["store"], PARTNER)
    outside = out_of_scope(app["store"], scope)
    budget, requests, recovered, texts = 300 - len(PARTNER_NAME), 0, [], []

    def exists(prefix: str) -> bool:
        nonlocal requests
        requests += 2
        r = client.patch(f"/api/nodes/{CONTACT}", headers=h,
                         json={"properties": {"name": prefix + "~~~~"}})
        assert r.status_code == 200, r.text
        r = client.get("/api/search", headers=h,
                       params={"q": prefix, "label": "Contact", "limit": 1})
        texts.append((prefix, r.text))
        return r.json()["results"] == []  # the top hit was someone else's, then dropped

    stack = list(reversed(string.ascii_uppercase))
    while stack and requests < budget:
        prefix = stack.pop()
        if exists(prefix):
            recovered.append(prefix)
            stack += [prefix + c for c in reversed(string.ascii_lowercase + " ")]
    # the same oracle on parties, no rename needed: search the own name's prefixes
    for n in range(1, len(PARTNER_NAME) + 1):
        requests += 1
        r = client.get("/api/search", headers=h,
                       params={"q": PARTNER_NAME[:n], "label": "Party", "limit": 1})
        texts.append((PARTNER_NAME[:n], r.text))
        if [x["uid"] for x in r.json()["results"]] != [PARTNER]:
            recovered.append(f"party before {PARTNER_NAME[:n]!r}")
    found = leaked(texts, outside)
    print(f"enumeration: {requests} requests, {len(recovered)} out-of-scope prefixes "
          f"recovered, {len(found)} out-of-scope records returned")
    assert recovered == [] and found == set()


# -- 2. answers that do not depend on what lies outside the scope -------------------------
def add_outsiders(store, scope: frozenset[str]) -> int:
    """Rename every out-of-scope party and contact so it sorts before and matches what the
    partner searches for, and add parties, contacts, interactions, cases, performers,
    documents and processes tied to records in the scope. Returns the records touched."""
    touched = 0
    for label, own, mid in (("Party", PARTNER_NAME, "part-0000"),
                            ("Contact", CONTACT_NAME, "cont-000070")):
        touched += len(store.run(
            f"MATCH (n:{label}) WHERE NOT n.uid IN $scope "
            f"SET n.name = CASE WHEN n.uid < $mid THEN $near ELSE 'A {MARKER} ' END + n.name "
            f"RETURN n.uid", {"scope": sorted(scope), "mid": mid,
                              "near": own[:-1] + "a " + MARKER + " "},
            read_only=False).rows)
    product = store.run("MATCH (:Party {uid: $p})-[:HAD]->()-[:ABOUT]->(d:Product) "
                        "RETURN d.uid LIMIT 1", {"p": PARTNER}).rows[0][0]
    employee = facts.WARM_PATH.employee
    rows = [{"i": i, "name": f"{PARTNER_NAME[:-1]}a {MARKER} {i}"} for i in range(30)]
    touched += len(store.run(
        "MATCH (own:Party {uid: $p}) MATCH (e:Employee {uid: $e}) "
        "MATCH (d:Product {uid: $d}) MATCH (s:Step {uid: $s}) "
        "UNWIND $rows AS r "
        "CREATE (c:Party:Customer {uid: 'cust-9' + toString(1000 + r.i), name: r.name}) "
        "CREATE (k:Contact {uid: 'cont-9' + toString(1000 + r.i), name: $cn + ' ' + r.name}) "
        "CREATE (i:Interaction {uid: 'int-9' + toString(1000 + r.i), kind: 'call', "
        "        at: '2099-01-01T00:00:00'}) "
        "CREATE (x:Case {uid: 'case-9' + toString(1000 + r.i), kind: 'complaint', "
        "        status: 'open', severity: 1, opened_at: '2099-01-01T00:00:00'}) "
        "CREATE (w:Employee {uid: 'emp-9' + toString(1000 + r.i), name: 'A ' + r.name}) "
        "CREATE (doc:Document {uid: 'doc-0' + toString(1000 + r.i), name: 'A ' + r.name, "
        "        kind: 'document'}) "
        "CREATE (pr:Process {uid: 'proc-0' + toString(1000 + r.i), name: 'A ' + r.name}) "
        "CREATE (m:Map {uid: 'map-0' + toString(1000 + r.i), name: 'A ' + r.name}) "
        "CREATE (k)-[:WORKS_FOR]->(c), (e)-[:MANAGES]->(c), (c)-[:RELATES_TO]->(own), "
        "       (c)-[:PARTICIPATES_IN]->(s), (k)-[:HAD]->(i), (i)-[:ABOUT]->(d), "
        "       (i)-[:WITH]->(e), (i)-[:AT_STEP]->(s), (c)-[:RAISED]->(x), (x)-[:ABOUT]->(d), "
        "       (x)-[:ASSIGNED_TO]->(e), (w)-[:PERFORMS]->(s), "
        "       (m)-[:DEPICTS]->(pr), (pr)-[:HAS_STEP]->(:Step {uid: 'step-0' + "
        "       toString(1000 + r.i), name: 'A ' + r.name}) "
        "RETURN c.uid",
        {"p": PARTNER, "e": employee, "d": product, "s": STEP, "rows": rows,
         "cn": CONTACT_NAME[:-1] + "a"}, read_only=False).rows) * 9
    touched += add_unshared(store, scope)
    return touched


#: records the demo shares with the partner (erm_graph/demo/planted.py SHARED)
SHARED_CUSTOMER, SHARED_DEAL, SHARED_CASE = (uid for _, uid in SHARED)


def add_unshared(store, scope: frozenset[str]) -> int:
    """Around the records shared with the partner: deals and cases the shared customer holds
    and raised, named like the shared ones and about the same product, shared with other
    parties (never with the partner), and a second holder of the shared deal."""
    name, product = store.run(
        "MATCH (o:Opportunity {uid: $o}) MATCH (:Case {uid: $c})-[:ABOUT]->(d:Product) "
        "RETURN o.name, d.uid", {"o": SHARED_DEAL, "c": SHARED_CASE}).rows[0]
    assert product in scope
    rows = [{"i": i, "name": f"{name[:-1]}a {MARKER} {i}"} for i in range(20)]
    return len(store.run(
        "MATCH (sc:Party {uid: $sc}) MATCH (sd:Opportunity {uid: $sd}) "
        "MATCH (d:Product {uid: $d}) UNWIND $rows AS r "
        "CREATE (c:Party:Partner {uid: 'part-9' + toString(1000 + r.i), name: 'A ' + r.name}) "
        "CREATE (o:Opportunity {uid: 'opp-9' + toString(1000 + r.i), name: r.name, "
        "        stage: 'lead', amount: 1.0}) "
        "CREATE (x:Case {uid: 'case-8' + toString(1000 + r.i), kind: 'complaint', "
        "        status: 'open', severity: 1, opened_at: '2099-01-01T00:00:00', "
        "        name: 'complaint ' + $d}) "
        "CREATE (sc)-[:HOLDS]->(o), (sc)-[:RAISED]->(x), (o)-[:ABOUT]->(d), (x)-[:ABOUT]->(d), "
        "       (o)-[:SHARED_WITH]->(c), (x)-[:SHARED_WITH]->(c), (sd)-[:SHARED_WITH]->(c), "
        "       (sc)-[:SHARED_WITH]->(c), (c)-[:HOLDS]->(sd) "
        "RETURN o.uid",
        {"sc": SHARED_CUSTOMER, "sd": SHARED_DEAL, "d": product, "rows": rows},
        read_only=False).rows) * 3


def probe(client, h, scope: frozenset[str]) -> list[tuple[str, int, bytes]]:
    """Every read a partner can make, with many limits and offsets: (request, status, body)."""
    inside = sorted(scope)
    asks: list[tuple[str, dict]] = []
    deal = "Battery racks for plant 3"  # the shared deal's name (planted)
    for q in (PARTNER_NAME[:3], PARTNER_NAME[:-1], PARTNER_NAME, CONTACT_NAME[:2],
              CONTACT_NAME, "a", "e", " ", "A", MARKER, PARTNER, "cust-9001000", deal[:3],
              deal, "Polar", "complaint"):
        for label in ("", "Party", "Contact", "Employee", "Product", "Opportunity", "Case"):
            for limit in (1, 2, 3, 20, 100):
                asks.append(("/api/search", {"q": q, "label": label, "limit": limit}))
    for uid in inside:
        asks.append((f"/api/nodes/{uid}", {}))
        for limit, offset in ((0, 0), (1, 0), (1, 1), (2, 1), (3, 2), (50, 0), (5, 100)):
            asks.append((f"/api/nodes/{uid}/neighbors", {"limit": limit, "offset": offset}))
        for depth, per in ((1, 1), (2, 2), (3, 25)):
            asks.append((f"/api/nodes/{uid}/neighborhood",
                         {"depth": depth, "per_node": per, "max_nodes": 40}))
    product = next(u for u in inside if u.startswith("prod-"))
    ends = [PARTNER, CONTACT, facts.WARM_PATH.employee, STEP, PROCESS, MAP, product]
    for a in ends:
        for b in ends:
            asks.append(("/api/path", {"a": a, "b": b, "max_hops": 8}))
    for uid in (PROCESS, MAP):
        asks.append((f"/api/maps/{uid}", {}))
    asks += [("/api/summary", {}), ("/api/maps", {})]
    for params in ({}, {"limit": 1}, {"limit": 2, "offset": 1}, {"kind": "meeting"},
                   {"sections": "people,steps"}):
        asks.append((f"/api/accounts/{PARTNER}", params))
    # records outside the scope: existing ones, and ones that exist only after add_outsiders
    for uid in (facts.AT_RISK.customer, "proc-customer", "cust-9001000", "proc-01000",
                "opp-91000", "case-81000", "part-91000"):
        for path in ("/api/nodes/{}", "/api/nodes/{}/neighbors", "/api/maps/{}",
                     "/api/accounts/{}"):
            asks.append((path.format(uid), {}))
        asks.append(("/api/path", {"a": PARTNER, "b": uid}))
    out = []
    for path, params in asks:
        r = client.get(path, params=params, headers=h)
        assert r.status_code < 500, (path, params, r.text)
        out.append((f"GET {path}?{sorted(params.items())}", r.status_code, r.content))
    for uid in (facts.AT_RISK.customer, "cont-9001000"):
        r = client.patch(f"/api/nodes/{uid}", headers=h, json={"properties": {"phone": "1"}})
        out.append((f"PATCH {uid}", r.status_code, r.content))
    return out


def test_answers_are_byte_identical_whatever_lies_outside_the_scope(app):
    """Search, node details, neighbour pages (every limit and offset), neighbourhoods,
    paths, maps and counts: the same bytes before and after out-of-scope records are renamed
    to sort first and match every search, and added around every record of the scope, the
    shared ones included (deals, cases and shares with other partners that are not its)."""
    client, h, store = app["client"], app["h"], app["store"]
    scope = partner_scope(store, PARTNER)
    before = probe(client, h, scope)
    touched = add_outsiders(store, scope)
    forget_scopes()
    assert partner_scope(store, PARTNER) == scope
    after = probe(client, h, scope)
    outside = out_of_scope(store, scope)
    found = leaked([(ask, body.decode()) for ask, _, body in after], outside)
    differ = [(a[0], a[1], b[1]) for a, b in zip(before, after, strict=True) if a != b]
    kinds = Counter(UID.sub("U", ask.split("?")[0]) for ask, _, _ in differ)
    print(f"scope probe: {2 * len(before)} requests, {touched} out-of-scope records added or "
          f"renamed, {len(differ)} answers differ {dict(kinds)}, {len(found)} out-of-scope "
          f"records returned")
    assert differ == [] and found == set()
    assert [s for _, s, _ in after].count(404) >= 12  # outside the scope: as missing


# -- 3. edits: contact details of its own records, nothing else ---------------------------
def test_partner_edits_only_the_contact_details_of_its_own_records(app):
    client, h, users = app["client"], app["h"], app["users"]
    for prop, value in (("tier", 3), ("segment", "enterprise"), ("industry", "banking"),
                        ("name", "Aaa"), ("since", "2001-01-01"), ("country", "US")):
        r = client.patch(f"/api/nodes/{PARTNER}", headers=h,
                         json={"properties": {prop: value}})
        assert r.status_code == 403, (prop, r.text)
        assert prop in r.json()["error"]["message"] and "phone" in r.json()["error"]["message"]
    # one refused field refuses the whole edit
    r = client.patch(f"/api/nodes/{PARTNER}", headers=h,
                     json={"properties": {"phone": "+49 30 1234", "tier": 3}})
    assert r.status_code == 403
    product = next(u for u in partner_scope(app["store"], PARTNER) if u.startswith("prod-"))
    assert client.patch(f"/api/nodes/{product}", headers=h,
                        json={"properties": {"name": "x"}}).status_code == 403
    r = client.patch(f"/api/nodes/{PARTNER}", headers=h,
                     json={"properties": {"phone": "+49 30 1234",
                                          "website": "https://bridgeway.example"}})
    assert r.status_code == 200 and r.json()["updated"] == 1
    r = client.patch(f"/api/nodes/{CONTACT}", headers=h,
                     json={"properties": {"email": "n.okafor@bridgeway.example"}})
    assert r.status_code == 200
    node = client.get(f"/api/nodes/{PARTNER}", headers=h).json()["properties"]
    assert node["phone"] == "+49 30 1234" and node["tier"] == 1
    edits = [(e["actor"], e["target"], e["detail"]["after"])
             for e in audit.events(users.conn, action="edit")]
    assert ("bridgeway", PARTNER, {"phone": "+49 30 1234",
                                   "website": "https://bridgeway.example"}) in edits
    assert ("bridgeway", CONTACT, {"email": "n.okafor@bridgeway.example"}) in edits
    assert len(edits) == 2  # the refused edits wrote nothing


def test_partner_editable_fields_are_properties_of_the_model():
    from erm_graph.auth.roles import PARTNER_EDITABLE

    for label, props in PARTNER_EDITABLE.items():
        assert props <= set(LABELS[label].props), label
        assert not props & {"tier", "segment", "industry", "uid"}


# -- 4. its own process maps -------------------------------------------------------------
def test_partner_sees_and_opens_its_own_maps(app):
    client, h, store = app["client"], app["h"], app["store"]
    scope = partner_scope(store, PARTNER)
    assert {PROCESS, MAP, STEP} <= scope
    maps = client.get("/api/maps", headers=h).json()
    assert [(m["uid"], m["map"]) for m in maps] == [(PROCESS, MAP)]
    assert maps[0]["steps"] == len(store.run(
        "MATCH (:Process {uid: $p})-[:HAS_STEP]->(s) RETURN s.uid", {"p": PROCESS}).rows)
    assert client.get("/api/summary", headers=h).json()["maps"] == maps
    for uid in (PROCESS, MAP):
        r = client.get(f"/api/maps/{uid}", headers=h)
        assert r.status_code == 200, r.text
        nodes = {n["id"] for n in r.json()["nodes"]}
        assert STEP in nodes and PARTNER in nodes and nodes <= scope
        parties = {n["id"] for n in r.json()["nodes"] if "Party" in n["labels"]}
        assert parties == {PARTNER}  # the other parties of the process stay hidden
        assert client.get(f"/map/{uid}", headers=h).status_code == 200


# -- 5. named queries a partner may run ----------------------------------------------------
NAMED = """// name: {name}
// title: Parties by name
// description: parties whose name starts with a prefix, first by name
// access: [partner, viewer]
// read_only: true
// params:
//   prefix: {{type: string, required: true}}
//   limit: {{type: integer, default: 1}}
MATCH (n:Party) WHERE n.name STARTS WITH $prefix {scoped}
RETURN n.uid AS uid, n.name AS name ORDER BY n.name LIMIT $limit
"""


def test_named_query_for_partners_must_filter_by_scope_before_its_limit(library, tmp_path):
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "loose.cypher").write_text(NAMED.format(name="loose", scoped=""))
    (folder / "scoped.cypher").write_text(NAMED.format(
        name="scoped", scoped="AND ($scope IS NULL OR n.uid IN $scope)"))
    queries = load_library(folder)
    scoped = ScopedStore(library, partner_scope(library, PARTNER))
    with pytest.raises(Exception, match=r"\$scope"):
        run_query(scoped, "loose", {"prefix": "B"}, library=queries, role="partner")
    prefix = PARTNER_NAME[:1]
    assert library.run("MATCH (n:Party) WHERE n.name STARTS WITH $p AND n.name < $own "
                       "RETURN count(n)", {"p": prefix, "own": PARTNER_NAME}).rows[0][0] > 0
    rows = run_query(scoped, "scoped", {"prefix": prefix, "limit": 1}, library=queries,
                     role="partner").rows
    assert rows == [[PARTNER, PARTNER_NAME]]
    everyone = run_query(library, "scoped", {"prefix": prefix, "limit": 5}, library=queries,
                         role="viewer").rows
    assert len(everyone) == 5 and everyone[0][0] != PARTNER


def test_partner_paths_run_through_its_scope(app):
    """Where the shortest path between two records of the scope cuts through records outside
    it, the partner gets the shortest path inside its scope (it got nothing, which told that
    the shortcut exists)."""
    client, h, store = app["client"], app["h"], app["store"]
    scope = partner_scope(store, PARTNER)
    detours = 0
    for a in (CONTACT, "dept-partners"):
        for b in sorted(scope - {a}):
            full = shortest_path(store, a, b, max_hops=8)
            r = client.get("/api/path", params={"a": a, "b": b, "max_hops": 8}, headers=h)
            assert r.status_code == 200, r.text
            nodes = [n["id"] for n in r.json()["nodes"]]
            assert set(nodes) <= scope
            if set(full.nodes) <= scope:
                assert len(nodes) == len(full.nodes), (a, b)
                continue
            detours += 1
            edges = {frozenset((e["from"], e["to"])) for e in r.json()["edges"]}
            assert nodes and nodes[0] == a and nodes[-1] == b, (a, b)
            assert len(nodes) >= len(full.nodes), (a, b)
            assert all(frozenset(pair) in edges
                       for pair in zip(nodes, nodes[1:], strict=False)), (a, b)
    print(f"paths: {2 * len(scope) - 2} requests, {detours} paths that cut outside the scope "
          f"shown through it instead")
    assert detours > 5
