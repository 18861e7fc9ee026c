"""The explorer's JSON API and pages, through httpx on the small demo."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from erm_graph.demo import facts
from erm_graph.settings import Settings
from erm_graph.web import create_app

KP = facts.KEY_PERSON
#: the app answers only to the names it is served under (erm_graph/web/hosts.py)
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client(demo_store):
    settings = Settings.from_env(web_neighbor_cap=40, web_node_cap=300, web_row_cap=50,
                                 web_max_body=4096, query_timeout=10)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as c:
        yield c


def test_error_shape(client):
    r = client.get("/api/nodes/no-such-uid")
    assert r.status_code == 404
    assert r.json() == {"error": {"kind": "not_found", "message": r.json()["error"]["message"]}}
    assert "no-such-uid" in r.json()["error"]["message"]
    r = client.get("/api/search")
    assert r.status_code == 422 and r.json()["error"]["kind"] == "validation"


def test_search(client):
    r = client.get("/api/search", params={"q": KP.customer_name.lower()[:12]})
    assert r.status_code == 200
    assert r.json()["results"][0] == {"uid": KP.customer, "label": "Customer",
                                      "labels": ["Party", "Customer"],
                                      "name": KP.customer_name}
    assert client.get("/api/search", params={"q": KP.customer}).json()["results"][0]["uid"] \
        == KP.customer
    r = client.get("/api/search", params={"q": "x", "label": "Nope"})
    assert r.status_code == 400 and "unknown label" in r.json()["error"]["message"]


def test_node_detail_has_timeline_and_cases(client):
    d = client.get(f"/api/nodes/{KP.customer}").json()
    assert d["label"] == "Customer" and d["name"] == KP.customer_name
    assert [o["uid"] for o in d["account_owners"]] == [KP.employee]
    assert d["timeline"] and all(t["kind"] for t in d["timeline"])
    assert d["timeline"] == sorted(d["timeline"], key=lambda t: t["at"], reverse=True)
    assert "content_hash" not in d["properties"]
    at_risk = client.get(f"/api/nodes/{facts.AT_RISK.customer}").json()
    assert len([c for c in at_risk["open_cases"] if c["kind"] == "complaint"]) \
        >= facts.AT_RISK.open_complaints


def test_neighbors_page_through_more(client):
    seen: set[str] = set()
    offset, total = 0, None
    while True:
        r = client.get(f"/api/nodes/{KP.customer}/neighbors",
                       params={"limit": 10, "offset": offset})
        body = r.json()
        total = body["total"]
        seen |= {e["id"] for e in body["edges"]}
        if not body["more"][KP.customer]:
            break
        assert body["next_offset"] > offset
        offset = body["next_offset"]
    assert len(seen) == total > 10


def test_neighbors_capped_and_filtered(client):
    body = client.get(f"/api/nodes/{KP.customer}/neighbors", params={"limit": 10_000}).json()
    assert len(body["edges"]) <= 40, "the server caps a page at neighbor_cap"
    body = client.get(f"/api/nodes/{KP.customer}/neighbors",
                      params={"types": "MANAGES"}).json()
    assert [e["type"] for e in body["edges"]] == ["MANAGES"]
    body = client.get(f"/api/nodes/{KP.customer}/neighbors",
                      params={"labels": ["Contact", "Employee"]}).json()
    assert {n["category"] for n in body["nodes"]} <= {"Customer", "Contact", "Employee"}
    r = client.get(f"/api/nodes/{KP.customer}/neighbors", params={"types": "X]-() DELETE"})
    assert r.status_code == 400


def test_neighborhood_respects_node_cap(client):
    body = client.get(f"/api/nodes/{facts.COMPLAINT_SPIKE.product}/neighborhood",
                      params={"depth": 3, "max_nodes": 10_000}).json()
    assert len(body["nodes"]) <= 300
    assert any(body["more"].values()), "what the cap cut off is counted"
    assert body["groups"]
    pairs = [(g["type"], g["label"]) for g in body["groups"]]
    assert len(pairs) == len(set(pairs)), "each (type, label) is counted once"


def test_path(client):
    wp = facts.WARM_PATH
    body = client.get("/api/path", params={"a": wp.employee, "b": wp.target}).json()
    assert [n["id"] for n in body["nodes"]] == list(wp.chain)
    assert len(body["edges"]) == 2


def test_maps_and_summary(client):
    maps = client.get("/api/maps").json()
    assert facts.GATEWAY.process in {m["uid"] for m in maps}
    m = client.get(f"/api/maps/{facts.GATEWAY.process}").json()
    assert m["nodes"] and all("x" in n and "y" in n for n in m["nodes"])
    assert {n["band"] for n in m["nodes"]} >= {"flow", "performer", "document", "party"}
    more = [n for n in m["nodes"] if n["id"].startswith("more:")]
    assert more and all(len(n["members"]) == int(n["name"].split()[0][1:]) for n in more)
    s = client.get("/api/summary").json()
    assert s["labels"]["Customer"] > 0
    assert facts.UNOWNED.uids <= {w["uid"] for w in s["warnings"]["unowned"]}
    assert client.get("/api/maps/cust-000001").status_code == 400


def test_cypher_console_is_read_only_and_capped(client):
    r = client.post("/api/cypher", json={"query": "MATCH (c:Customer)<-[m:MANAGES]-(e) "
                                                  "RETURN c, m, e LIMIT $n", "params": {"n": 5}})
    body = r.json()
    assert r.status_code == 200 and len(body["rows"]) == 5
    assert body["graph"]["edges"] and body["graph"]["nodes"]
    body = client.post("/api/cypher", json={"query": "MATCH (n) RETURN n.uid"}).json()
    assert len(body["rows"]) == 50 and body["truncated"]
    r = client.post("/api/cypher", json={"query": "CREATE (:Customer {uid: 'evil'})"})
    assert r.status_code == 403 and r.json()["error"]["kind"] == "read_only"
    r = client.post("/api/cypher", json={"query": "MATCH (n:Customer {uid: 'evil'}) "
                                                  "DETACH DELETE n"})
    assert r.status_code == 403
    r = client.post("/api/cypher", json={"query": "MATCH (n) RETURN n"}, headers={})
    assert r.status_code == 200


def test_request_body_limit(client):
    r = client.post("/api/cypher", json={"query": "RETURN 1", "params": {"x": "y" * 5000}})
    assert r.status_code == 413 and r.json()["error"]["kind"] == "too_large"

    def chunks():
        for _ in range(10):
            yield b" " * 1000
    r = client.post("/api/cypher", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_named_queries(client):
    listing = client.get("/api/queries").json()
    names = {q["name"] for q in listing}
    assert "customer-360" in names
    r = client.get("/api/queries/customer-360", params={"uid": KP.customer})
    assert r.status_code == 200 and r.json()["rows"][0][0] == KP.customer
    graph = r.json()["graph"]   # values only: the graph shows the records the rows name
    assert {KP.customer, KP.employee} <= {n["id"] for n in graph["nodes"]}
    assert any(e["type"] == "MANAGES" for e in graph["edges"])
    r = client.get("/api/queries/customer-360", params={"uid": KP.customer, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("uid,name")
    r = client.get("/api/queries/customer-360")
    assert r.status_code == 400 and "uid" in r.json()["error"]["message"]


def test_pages_and_offline_assets(client):
    for path in ("/", f"/map/{facts.GATEWAY.process}", f"/explore?focus={KP.customer}",
                 "/queries?name=customer-360", "/console?q=RETURN%201"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "https://" not in r.text and "http://" not in r.text, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
    home = client.get("/").text
    assert "Customer relationship" in home and "step-rc-report" in home
    assert client.get("/vendor/vis/vis-network.min.js").status_code == 200
    assert client.get("/static/explore.js").status_code == 200
    assert client.get("/map/cust-000001").status_code == 400


def test_openapi_lists_the_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/search", "/api/nodes/{uid}", "/api/nodes/{uid}/neighbors", "/api/cypher",
            "/api/maps/{uid}", "/api/queries/{name}"} <= set(paths)
    assert not any(p.startswith("/explore") for p in paths)


def test_names_are_never_markup(store):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    store.ensure_schema()
    store.upsert_nodes("Process", [{"uid": "proc-x", "name": evil}])
    store.upsert_nodes("Step", [{"uid": "step-x", "name": evil, "kind": "task"}])
    store.upsert_relationships("HAS_STEP", "Process", "Step",
                               [{"start": "proc-x", "end": "step-x", "order": 0}])
    with TestClient(create_app(Settings.from_env(), store=store), base_url=LOCAL) as c:
        for path in ("/", "/map/proc-x"):
            page = c.get(path).text
            assert evil not in page and "&lt;script&gt;" in page, path
        assert c.get("/api/search", params={"q": "<script>"}).json()["results"][0]["name"] == evil
    from erm_graph.viz import map_html

    page = map_html(store, "proc-x")
    assert "<script>alert" not in page and "<img src=x" not in page
