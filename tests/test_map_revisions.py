"""Map revisions (issue 20 item 7): a flowchart's file is the authority for its map.

Real corpus files (camunda_order.bpmn, orders.drawio) are loaded, revised in tmp_path (a step
removed, one renamed, a flow's label changed, a document removed, a whole diagram removed),
dry-run and reloaded; relationships entered by hand on top of the maps (owners, interactions)
must survive; then the first version is restored. One store for the module: the fixture plays
the whole story once and keeps what each stage saw, the tests check it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth import Users, audit
from erm_graph.auth.db import connect
from erm_graph.cli import app as cli_app
from erm_graph.ingest.load import load
from erm_graph.ingest.revisions import restore_map
from erm_graph.query.maps import map_records
from erm_graph.query.revisions import map_history
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"
ORDER = "camunda-order/Process_Order"
CHECK = f"{ORDER}/Task_Check"
REJECTED = f"{ORDER}/End_Rejected"
ORDERS = "orders/orders"


def revise_bpmn(text: str) -> str:
    """Task_Check renamed, End_Rejected and its flow removed, Flow_3's label changed and its
    condition dropped, the Invoice document (and the association that produced it) removed."""
    out = text.replace('name="Check order"', 'name="Check the order"')
    out = out.replace('<bpmn:endEvent id="End_Rejected" name="Rejected" />', "")
    out = out.replace('<bpmn:sequenceFlow id="Flow_4" name="no" sourceRef="Gateway_Credit" '
                      'targetRef="End_Rejected" />', "")
    out = out.replace('name="yes" sourceRef="Gateway_Credit"', 'name="approved" '
                      'sourceRef="Gateway_Credit"')
    out = re.sub(r'<bpmn:dataOutputAssociation id="DOA_1">.*?</bpmn:dataOutputAssociation>',
                 "", out)
    out = re.sub(r"<bpmn:conditionExpression .*?</bpmn:conditionExpression>", "", out)
    out = out.replace('<bpmn:dataObjectReference id="DataRef_Invoice" name="Invoice" '
                      'dataObjectRef="DataObject_1" />', "")
    assert out.count("End_Rejected") == 1 and "DataRef_Invoice" not in out  # the lane's ref
    return out


def revise_drawio(text: str) -> str:
    """The Ship step and its three edges removed (its Packing slip with them), Check stock
    renamed, the "no" flow relabelled, the Returns diagram removed."""
    out = re.sub(r'<mxCell id="ship" .*?</mxCell>\n', "", text)
    for edge in ("e3", "e5", "e6"):
        out = re.sub(rf'<mxCell id="{edge}" .*?</mxCell>\n', "", out)
    out = re.sub(r'<mxCell id="slip" .*?</mxCell>\n', "", out)
    out = out.replace('value="Check &lt;b&gt;stock&lt;/b&gt;"', 'value="Check stock level"')
    out = out.replace('id="e4l" value="no"', 'id="e4l" value="sold out"')
    out = re.sub(r'<diagram id="returns".*?</diagram>', "", out, flags=re.S)
    assert 'id="ship"' not in out and "Returns" not in out
    return out


def dump(store) -> tuple[list, list]:
    """Every node and relationship with every property: what "nothing written" compares."""
    nodes = store.run("MATCH (n) RETURN labels(n), properties(n)").rows
    rels = store.run("MATCH (a)-[r]->(b) RETURN a.uid, type(r), b.uid, properties(r)").rows
    return sorted(map(repr, nodes)), sorted(map(repr, rels))


def hand_entered(store) -> None:
    """What people add on top of the loaded maps: an owner set in the app, interactions
    recorded at steps (one at a step the revised file drops)."""
    store.upsert_nodes("Employee", [{"uid": "emp-ana", "name": "Ana Ito"}])
    store.upsert_nodes("Customer", [{"uid": "cust-acme", "name": "Acme"}])
    store.upsert_nodes("Interaction", [
        {"uid": "int-1", "kind": "call", "at": "2026-01-05T10:00:00"},
        {"uid": "int-2", "kind": "complaint", "at": "2026-01-06T10:00:00"}])
    store.upsert_relationships("RESPONSIBLE_FOR", "Employee", "Step",
                               [{"start": "emp-ana", "end": CHECK}])
    store.upsert_relationships("RESPONSIBLE_FOR", "Employee", "Process",
                               [{"start": "emp-ana", "end": ORDERS}])
    store.upsert_relationships("HAD", "Customer", "Interaction",
                               [{"start": "cust-acme", "end": "int-1"},
                                {"start": "cust-acme", "end": "int-2"}])
    store.upsert_relationships("AT_STEP", "Interaction", "Step",
                               [{"start": "int-1", "end": CHECK},
                                {"start": "int-2", "end": REJECTED}])


def steps(store, process: str) -> dict[str, str]:
    return dict(store.run("MATCH (:Process {uid: $p})-[:HAS_STEP]->(s:Step) RETURN s.uid, "
                          "s.name", {"p": process}).rows)


def flows(store, prefix: str) -> list[list[str]]:
    return sorted(store.run("MATCH (a:Step)-[r:NEXT]->(b:Step) WHERE a.uid STARTS WITH $p "
                            "RETURN a.name, b.name, r.label, r.condition", {"p": prefix}).rows,
                  key=repr)


def snapshot(store) -> dict[str, Any]:
    """What the tests check of one stage."""
    return {
        "order_steps": steps(store, ORDER), "orders_steps": steps(store, ORDERS),
        "processes": sorted(u for (u,) in store.run("MATCH (p:Process) RETURN p.uid").rows),
        "documents": sorted(n for (n,) in store.run("MATCH (d:Document) RETURN d.name").rows),
        "order_flows": flows(store, "camunda-order/"), "orders_flows": flows(store, "orders/"),
        "owners": sorted(store.run("MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(c) "
                                   "WHERE e.uid = 'emp-ana' RETURN c.uid").rows),
        "at_step": sorted(store.run("MATCH (:Customer)-[:HAD]->(i:Interaction)-[:AT_STEP]->"
                                    "(s:Step) RETURN i.uid, s.uid, s.name").rows),
        "rejected": store.run("MATCH (s:Step {uid: $u}) RETURN s.name, s.source, "
                              "size([(s)<-[:HAS_STEP]-() | 1])", {"u": REJECTED}).rows,
    }


@pytest.fixture(scope="module")
def story(shared_engine_url, tmp_path_factory) -> Any:
    folder = tmp_path_factory.mktemp("revisions")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ERM_USERS_DB", str(folder / "users.db"))
        store = open_store(shared_engine_url)
        store.clear()
        bpmn = Path(shutil.copy(CORPUS / "camunda_order.bpmn", folder / "camunda_order.bpmn"))
        drawio = Path(shutil.copy(CORPUS / "orders.drawio", folder / "orders.drawio"))
        seen: dict[str, Any] = {"first": load(store, [bpmn, drawio])}
        hand_entered(store)
        seen["v1"] = snapshot(store)
        bpmn.write_text(revise_bpmn(bpmn.read_text()))
        drawio.write_text(revise_drawio(drawio.read_text()))
        before = dump(store)
        seen["dry"] = load(store, [bpmn, drawio], dry_run=True)
        seen["dry_wrote"] = dump(store) != before
        seen["reload"] = load(store, [bpmn, drawio])
        seen["v2"] = snapshot(store)
        seen["map_v2"] = map_records(store, ORDER)
        seen["history_v2"] = map_history(store, ORDER)
        seen["again"] = load(store, [bpmn, drawio])
        seen["restore"] = restore_map(store, CHECK, 1)
        seen["v3"] = snapshot(store)
        seen["history_v3"] = map_history(store, "camunda-order")
        # a map loaded before revisions existed: its next load records its version 1
        load(store, CORPUS / "support.mmd")
        store.write("MATCH (r:MapRevision {map: 'support'}) DELETE r")
        seen["legacy"] = [load(store, CORPUS / "support.mmd").maps[0] for _ in range(2)]
        seen["folder"] = folder
        yield store, seen
        store.close()


def by_map(report) -> dict[str, dict]:
    return {m["map"]: m for m in report.maps}


def test_a_first_load_is_version_1_with_everything_added(story):
    _, seen = story
    first = by_map(seen["first"])
    assert {m: (d["previous"], d["version"], d["removed"]) for m, d in first.items()} == \
        {"camunda-order": (None, 1, 0), "orders": (None, 1, 0)}
    assert first["orders"]["changes"]["added"]["Process"] == ["Orders", "Returns"]


def test_dry_run_shows_the_exact_diff_and_writes_nothing(story):
    _, seen = story
    assert seen["dry_wrote"] is False
    dry = by_map(seen["dry"])
    assert seen["dry"].dry_run
    order = dry["camunda-order"]
    assert (order["previous"], order["version"]) == (1, 2)
    assert order["changes"] == {
        "added": {},
        "changed": {"NEXT": ["Credit ok? -> Fulfil order: condition, label"],
                    "Step": ["Check the order: name"]},
        "removed": {"Document": ["Invoice"],
                    "HAS_STEP": ["Order to cash -> Rejected"],
                    "NEXT": ["Credit ok? -> Rejected"],
                    "PERFORMS": ["Finance -> Rejected"],
                    "PRODUCES": ["Send invoice -> Invoice"],
                    "Step": ["Rejected (kept, off the map: held by AT_STEP int-2)"]}}
    orders = dry["orders"]
    assert orders["changes"]["removed"] == {
        "DEPICTS": ["Returns map -> Returns"],
        "Document": ["Packing slip"],
        "HAS_STEP": ["Orders -> Ship", "Returns -> Receive return", "Returns -> Refund"],
        "Map": ["Returns map"],
        "NEXT": ["In stock? -> Ship", "Receive return -> Refund", "Ship -> Done"],
        "PERFORMS": ["Operations -> Ship"],
        "PRODUCES": ["Ship -> Packing slip"],
        "Process": ["Returns"],
        "Step": ["Receive return", "Refund", "Ship"]}
    # Done moves up into Ship's place in the flow
    assert orders["changes"]["changed"] == {
        "HAS_STEP": ["Orders -> Done: order"],
        "NEXT": ["In stock? -> Done: label"],
        "Step": ["Check stock level: name", "Done: order"]}
    assert orders["changes"]["added"] == {}
    # the dry run and the load that follows it agree
    assert {m: d["changes"] for m, d in by_map(seen["reload"]).items()} == \
        {m: d["changes"] for m, d in dry.items()}


def test_reload_retires_what_the_file_no_longer_has(story):
    _, seen = story
    v1, v2 = seen["v1"], seen["v2"]
    assert set(v1["order_steps"]) - set(v2["order_steps"]) == {REJECTED}
    assert v2["order_steps"][CHECK] == "Check the order"
    assert "orders/orders/ship" in v1["orders_steps"]
    assert "orders/orders/ship" not in v2["orders_steps"]
    assert v2["orders_steps"]["orders/orders/check"] == "Check stock level"
    assert "orders/returns" in v1["processes"] and "orders/returns" not in v2["processes"]
    assert {"Invoice", "Packing slip"} <= set(v1["documents"])
    assert not {"Invoice", "Packing slip"} & set(v2["documents"])
    # a property the file set and sets no more is cleared
    assert ["Credit ok?", "Fulfil order", "yes", "${creditOk}"] in v1["order_flows"]
    assert ["Credit ok?", "Fulfil order", "approved", None] in v2["order_flows"]
    assert ["In stock?", "Done", "sold out", None] in v2["orders_flows"]
    assert not [f for f in v2["order_flows"] + v2["orders_flows"]
                if "Rejected" in f or "Ship" in f]
    # the map the page draws holds none of it
    drawn = set(seen["map_v2"].graph.nodes)
    assert REJECTED not in drawn and "doc:invoice" not in drawn and CHECK in drawn


def test_hand_entered_relationships_stay(story):
    _, seen = story
    v1, v2 = seen["v1"], seen["v2"]
    assert v2["owners"] == v1["owners"] == [[CHECK], [ORDERS]]
    assert v2["at_step"] == [["int-1", CHECK, "Check the order"],
                             ["int-2", REJECTED, "Rejected"]]
    # the step an interaction still holds stays, off the map and no longer the file's
    assert v2["rejected"] == [["Rejected", None, 0]]


def test_each_map_keeps_its_version_and_history(story):
    _, seen = story
    history = seen["history_v2"]
    assert (history["map"], history["version"]) == ("camunda-order", 2)
    newest, first = history["revisions"]
    assert (newest["version"], newest["action"], newest["source_file"]) == \
        (2, "load", "camunda_order.bpmn")
    assert (newest["added"], newest["changed"], newest["removed"]) == (0, 2, 6)
    assert newest["changes"]["changed"]["Step"] == ["Check the order: name"]
    assert newest["by"].startswith("os:") and newest["at"] >= first["at"]
    assert (first["version"], first["added"]) == (1, 60)


def test_the_audit_trail_names_the_versions_written(story):
    _, seen = story
    conn = connect(seen["folder"] / "users.db")
    try:
        trail = audit.events(conn)
    finally:
        conn.close()
    restore = next(e for e in trail if e["action"] == "map.restore")
    assert restore["target"] == "camunda-order v1"
    assert restore["detail"]["new_version"] == 3
    loads = [e["detail"].get("map_versions") for e in trail if e["action"] == "load"]
    assert {"camunda-order": 2, "orders": 2} in loads


def test_loading_the_same_file_again_changes_nothing(story):
    _, seen = story
    assert [(m["map"], m["version"], m["previous"]) for m in seen["again"].maps] == \
        [("camunda-order", None, 2), ("orders", None, 2)]
    assert seen["again"].total("created") == seen["again"].total("updated") == 0


def test_a_map_without_history_gets_its_version_1_at_its_next_load(story):
    _, seen = story
    first, second = seen["legacy"]
    assert (first["previous"], first["version"], first["added"], first["changed"],
            first["removed"]) == (None, 1, 0, 0, 0)
    assert (second["previous"], second["version"]) == (1, None)


def test_restore_brings_version_1_back_as_version_3(story):
    _, seen = story
    restore, v1, v2, v3 = seen["restore"], seen["v1"], seen["v2"], seen["v3"]
    assert (restore.namespace, restore.previous, restore.version) == ("camunda-order", 2, 3)
    assert v3["order_steps"] == v1["order_steps"]
    assert v3["order_flows"] == v1["order_flows"] != v2["order_flows"]
    assert "Invoice" in v3["documents"]
    assert v3["rejected"] == [["Rejected", "bpmn:camunda_order.bpmn#End_Rejected", 1]]
    # hand-entered relationships are still there, the one at the retired step included
    assert v3["owners"] == v1["owners"] and v3["at_step"] == v1["at_step"]
    newest = seen["history_v3"]["revisions"][0]
    assert (newest["version"], newest["action"], newest["restored_from"]) == (3, "restore", 1)
    assert newest["changes"]["added"]["Document"] == ["Invoice"]
    assert seen["history_v3"]["version"] == 3
    # the other map is untouched
    assert (v3["orders_steps"], v3["orders_flows"]) == (v2["orders_steps"], v2["orders_flows"])


def test_the_cli_lists_history_and_restores(story):
    store, seen = story
    runner = CliRunner()
    db = store.location
    done = runner.invoke(cli_app, ["--db", f"embedded:{db}", "map", "history", "orders",
                                   "--format", "json"])
    assert done.exit_code == 0, done.output
    assert '"version": 2' in done.output and '"map": "orders"' in done.output
    bad = runner.invoke(cli_app, ["--db", f"embedded:{db}", "map", "restore", "orders", "9"])
    assert bad.exit_code == 1 and "its versions: 1, 2" in bad.output
    # version 3 is version 1 again: the revised file's dry run shows the way back to 2
    before = dump(store)
    dry = runner.invoke(cli_app, ["--db", f"embedded:{db}", "load", "--dry-run",
                                  str(seen["folder"] / "camunda_order.bpmn")])
    assert dry.exit_code == 0, dry.output
    assert dump(store) == before
    lines = [line.strip() for line in dry.output.splitlines()]
    assert ("Map 'camunda-order' would be version 4, was 3: 0 added, 2 changed, 6 removed."
            in lines)
    assert {"~ Step: Check the order: name", "- Document: Invoice",
            "- NEXT: Credit ok? -> Rejected"} <= set(lines)


ROLES = ("admin", "editor", "analyst", "viewer", "partner")


@pytest.fixture(scope="module")
def web(story) -> Any:
    store, seen = story
    path = seen["folder"] / "web-users.db"
    users = Users.open(path)
    tokens = {}
    for role in ROLES:
        users.add(role, role, password="correct horse battery",
                  party="cust-acme" if role == "partner" else None)
        tokens[role] = {"authorization": f"Bearer {users.new_token(role)}"}
    users.close()
    app = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1", query_timeout=10),
                     store=store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, tokens


@pytest.mark.parametrize("role", ROLES)
def test_history_in_the_web_api_per_role(web, role):
    client, tokens = web
    r = client.get(f"/api/maps/{ORDERS}/history", headers=tokens[role])
    assert r.status_code == 200, r.text
    versions = [v["version"] for v in r.json()["revisions"]]
    # a partner's scope holds no revision
    assert versions == ([] if role == "partner" else [2, 1])
    refused = client.post(f"/api/maps/{ORDERS}/restore", json={"version": 9},
                          headers=tokens[role])
    if role in ("admin", "editor"):
        assert refused.status_code == 400 and "no version 9" in refused.text
    else:
        assert refused.status_code == 403


def test_the_map_page_shows_the_version_and_history(web):
    client, tokens = web
    page = client.get(f"/map/{ORDERS}", headers=tokens["editor"]).text
    assert 'id="map-version">version 2<' in page
    assert "− Process: Returns" in page and "~ Step: Check stock level: name" in page
    assert 'class="restore" data-version="1"' in page
    viewer = client.get(f"/map/{ORDERS}", headers=tokens["viewer"]).text
    assert 'id="map-history"' in viewer and 'class="restore"' not in viewer
