"""Map revisions retire parties too (issue 20 item 7, docs/loaders.md "Revising a map").

camunda_order.bpmn's Customer pool sends the purchase order and receives the invoice: two
message flows, two participations of one Party. A revision that drops one message flow retires
that participation and keeps the party (the other still names it); one that drops the pool
retires the party with its last participation, unless something entered by hand (an account
owner's MANAGES) still holds it: then it stays, off the map and no longer the file's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from erm_graph.ingest.load import load

CORPUS = Path(__file__).parent / "corpus"
PARTY = "party:customer"
INVOICE_FLOW = ('<bpmn:messageFlow id="Msg_Invoice" name="invoice" sourceRef="Task_Invoice" '
                'targetRef="Pool_Customer" />')
ORDER_FLOW = ('<bpmn:messageFlow id="Msg_Order" name="purchase order" '
              'sourceRef="Pool_Customer" targetRef="Start_Order" />')
POOL = '<bpmn:participant id="Pool_Customer" name="Customer" />'


def participations(store) -> list[list[str]]:
    return sorted(store.run("MATCH (p:Party)-[r:PARTICIPATES_IN]->(s:Step) "
                            "RETURN p.uid, r.role, s.name").rows)


def party(store) -> list[list]:
    return store.run("MATCH (p:Party {uid: $u}) RETURN p.name, p.source", {"u": PARTY}).rows


def revise(path: Path, *drop: str) -> None:
    text = path.read_text()
    for piece in drop:
        assert text.count(piece) == 1, piece
        text = text.replace(piece, "")
    path.write_text(text)


def loaded(store, tmp_path) -> Path:
    bpmn = Path(shutil.copy(CORPUS / "camunda_order.bpmn", tmp_path / "camunda_order.bpmn"))
    load(store, bpmn)
    assert participations(store) == [[PARTY, "receives invoice", "Send invoice"],
                                     [PARTY, "sends purchase order", "Order received"]]
    return bpmn


def test_a_dropped_message_flow_retires_its_participation_and_keeps_the_party(store, tmp_path):
    bpmn = loaded(store, tmp_path)
    revise(bpmn, INVOICE_FLOW)
    report = load(store, bpmn)
    (revision,) = report.maps
    assert (revision["previous"], revision["version"]) == (1, 2)
    assert revision["changes"] == {"added": {}, "changed": {},
                                   "removed": {"PARTICIPATES_IN": ["Customer -> Send invoice"]}}
    assert participations(store) == [[PARTY, "sends purchase order", "Order received"]]
    assert party(store) == [["Customer", "bpmn:camunda_order.bpmn#Pool_Customer"]]


def test_a_dropped_pool_retires_the_party_with_its_last_participation(store, tmp_path):
    bpmn = loaded(store, tmp_path)
    revise(bpmn, INVOICE_FLOW, ORDER_FLOW, POOL)
    dry = load(store, bpmn, dry_run=True).maps[0]["changes"]["removed"]
    assert dry == {"PARTICIPATES_IN": ["Customer -> Order received", "Customer -> Send invoice"],
                   "Party": ["Customer"]}
    assert len(party(store)) == 1  # the dry run wrote nothing
    assert load(store, bpmn).maps[0]["changes"]["removed"] == dry
    assert participations(store) == []
    assert party(store) == []


def test_a_party_held_by_hand_stays_off_the_map_when_its_pool_is_dropped(store, tmp_path):
    bpmn = loaded(store, tmp_path)
    store.upsert_nodes("Employee", [{"uid": "emp-ana", "name": "Ana Ito"}])
    store.upsert_relationships("MANAGES", "Employee", "Party",
                               [{"start": "emp-ana", "end": PARTY}])
    revise(bpmn, INVOICE_FLOW, ORDER_FLOW, POOL)
    removed = load(store, bpmn).maps[0]["changes"]["removed"]
    assert removed == {"PARTICIPATES_IN": ["Customer -> Order received",
                                           "Customer -> Send invoice"],
                       "Party": ["Customer (kept, off the map: held by MANAGES Ana Ito)"]}
    assert participations(store) == []
    # kept for the account owner, no longer the file's: a later load of it is not a reload
    assert party(store) == [["Customer", None]]  # its name kept, its source gone
    assert store.run("MATCH (:Employee {uid: 'emp-ana'})-[:MANAGES]->(p:Party) "
                     "RETURN p.uid").rows == [[PARTY]]
