"""Every uid reaches its node on every page and API route that takes one.

Loaders make uids with `/` (`camunda-order/Process_Order`); users' files bring spaces, `%`,
`#`, `?` and any script. The corpus is loaded through every loader it has a file for, hostile
uids are added, and each uid is requested as the pages build their links: the templates'
``urlencode`` (which keeps `/`) and the scripts' ``erm.uidPath`` (each `/`-separated segment
through ``encodeURIComponent``).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from erm_graph import load, model
from erm_graph.ingest import LoadOptions, registry
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"
#: every good file of the corpus (a folder is one table or mapping load)
CORPUS_FILES = ("onboarding.yaml", "camunda_order.bpmn", "collaboration_only.bpmn",
                "signavio_two_processes.bpmn", "orders.drawio", "orders_compressed.drawio",
                "support.mmd", "approval_td.mmd", "table", "crm/crm.yaml")
#: a process, one step and one document whose uids hold what URLs treat specially
HOSTILE = {
    "Process": "odd maps/50% done #1?",
    "Step": "odd maps/step ?a=1&b=2#frag",
    "Document": "dökümän/分析 100%/résumé.pdf",
}


def uid_path(uid: str) -> str:
    """The scripts' ``erm.uidPath``: encodeURIComponent on each `/`-separated segment."""
    return "/".join(quote(part, safe="!~*'()") for part in uid.split("/"))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A store with the whole corpus and the hostile records; the formats that loaded."""
    store = open_store(f"embedded:{tmp_path_factory.mktemp('uids') / 'db'}")
    store.clear()
    formats = set()
    for name in CORPUS_FILES:
        formats.add(registry.detect(CORPUS / name, LoadOptions()).format)
        load(store, CORPUS / name)
    store.upsert_nodes("Process", [{"uid": HOSTILE["Process"], "name": "Odd map"}])
    store.upsert_nodes("Step", [{"uid": HOSTILE["Step"], "name": "Odd step"}])
    store.upsert_nodes("Document", [{"uid": HOSTILE["Document"], "name": "Résumé"}])
    store.run("MATCH (p:Process {uid: $p}), (s:Step {uid: $s}), (d:Document {uid: $d}) "
              "CREATE (p)-[:HAS_STEP {order: 1}]->(s), (s)-[:USES]->(d)",
              {"p": HOSTILE["Process"], "s": HOSTILE["Step"], "d": HOSTILE["Document"]},
              read_only=False)
    yield store, formats
    store.close()


@pytest.fixture(scope="module")
def client(loaded):
    settings = Settings.from_env(query_timeout=10)
    with TestClient(create_app(settings, store=loaded[0]),
                    base_url="http://127.0.0.1") as c:
        yield c


def uids(store, label: str | None = None) -> list[str]:
    match = f"MATCH (n:{label})" if label else "MATCH (n)"
    return [r[0] for r in store.run(f"{match} RETURN n.uid ORDER BY n.uid").rows]


def test_the_corpus_covers_every_file_loader_and_slash_uids(loaded):
    store, formats = loaded
    assert formats == {"yaml", "bpmn", "drawio", "mermaid", "table", "mapping"}
    assert "camunda-order/Process_Order" in uids(store, "Process")
    assert sum("/" in u for u in uids(store)) > 50


def test_every_uid_reaches_its_node_on_every_api_route(loaded, client):
    store, _ = loaded
    every = uids(store)
    assert set(HOSTILE.values()) <= set(every)
    for uid in every:
        path = uid_path(uid)
        detail = client.get(f"/api/nodes/{path}")
        assert detail.status_code == 200, (uid, detail.text)
        assert detail.json()["uid"] == uid
        for tail in ("neighbors", "neighborhood"):
            r = client.get(f"/api/nodes/{path}/{tail}")
            assert r.status_code == 200, (uid, tail, r.text)
            assert uid in {n["id"] for n in r.json()["nodes"]}, (uid, tail)
        found = client.get("/api/search", params={"q": uid})
        assert uid in {n["uid"] for n in found.json()["results"]}


def test_every_component_uid_reaches_its_owner_route(loaded, client):
    """The component is found (the error names the missing employee, not the component)."""
    store, _ = loaded
    for label in model.COMPONENT_LABELS:
        for uid in uids(store, label):
            r = client.post(f"/api/nodes/{uid_path(uid)}/owner",
                            json={"employee": "no-such-employee", "label": label})
            assert r.status_code == 404, (uid, r.text)
            assert "'no-such-employee'" in r.json()["error"]["message"], (uid, r.text)


def test_every_map_link_of_the_home_page_opens_its_map(loaded, client):
    store, _ = loaded
    home = client.get("/")
    assert home.status_code == 200
    links = [unescape(h) for h in re.findall(r'href="(/map/[^"]+)"', home.text)]
    assert len(links) == len(uids(store, "Process"))
    opened = set()
    for link in links:
        page = client.get(link)
        assert page.status_code == 200, (link, page.text[:300])
        uid = unescape(re.search(r'data-uid="([^"]*)"', page.text).group(1))
        data = client.get(f"/api/maps/{uid_path(uid)}")
        assert data.status_code == 200, (uid, data.text)
        assert uid in {n["id"] for n in data.json()["nodes"]}
        explore = re.search(r'href="(/explore\?focus=[^"]+)"', page.text).group(1)
        assert client.get(unescape(explore)).status_code == 200
        opened.add(uid)
    assert opened == set(uids(store, "Process"))
    assert HOSTILE["Process"] in opened


def test_a_hostile_uid_can_be_edited(loaded, client):
    uid = HOSTILE["Step"]
    r = client.patch(f"/api/nodes/{uid_path(uid)}", json={"properties": {"name": "Odd step 2"}})
    assert r.status_code == 200, r.text
    assert r.json()["uid"] == uid
    assert client.get(f"/api/nodes/{uid_path(uid)}").json()["name"] == "Odd step 2"


def test_an_encoded_slash_reaches_the_same_node(client):
    uid = "camunda-order/Process_Order"
    assert client.get(f"/api/nodes/{quote(uid, safe='')}").json()["uid"] == uid
    assert client.get(f"/map/{quote(uid, safe='')}").status_code == 200


def test_a_path_between_hostile_uids(client):
    r = client.get("/api/path", params={"a": HOSTILE["Document"], "b": HOSTILE["Process"]})
    assert r.status_code == 200, r.text
    assert {HOSTILE["Document"], HOSTILE["Step"], HOSTILE["Process"]} == {
        n["id"] for n in r.json()["nodes"]}
