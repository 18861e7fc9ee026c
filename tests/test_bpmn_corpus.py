"""BPMN files in the styles of several modelers (tests/corpus/bpmn/) load with what they mean:
data associations to any data element, pools as parties with their message flows, boundary
events on their activity, readable names, the flow's order, and a note for whatever cannot be
loaded as drawn (issue 13, items 1-5).

Each file says in its header whose style it follows and what it holds; the counts below are
what a person reading the diagram counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erm_graph import load
from erm_graph.errors import ErmError
from erm_graph.settings import Settings
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"
BPMN = CORPUS / "bpmn"
CLAIMS, PROCUREMENT, DESK, HIRING, BROKEN = (
    BPMN / "camunda_claims.bpmn", BPMN / "signavio_procurement.bpmn",
    BPMN / "aris_service_desk.bpmn", BPMN / "bizagi_hiring.bpmn",
    BPMN / "eclipse_duplicate_ids.bpmn")

COUNTS = {
    "Step": "MATCH (n:Step) RETURN count(n)",
    "NEXT": "MATCH ()-[r:NEXT]->() RETURN count(r)",
    "Party": "MATCH (n:Party) RETURN count(n)",
    "PARTICIPATES_IN": "MATCH ()-[r:PARTICIPATES_IN]->() RETURN count(r)",
    "Document": "MATCH (n:Document) RETURN count(n)",
    "USES": "MATCH ()-[r:USES]->() RETURN count(r)",
    "PRODUCES": "MATCH ()-[r:PRODUCES]->() RETURN count(r)",
    "Department": "MATCH (n:Department) RETURN count(n)",
    "PERFORMS": "MATCH ()-[r:PERFORMS]->() RETURN count(r)",
}
#: what each file holds, counted on the diagram
EXPECTED = {
    CLAIMS: {"Step": 17, "NEXT": 16, "Party": 2, "PARTICIPATES_IN": 4, "Document": 4,
             "USES": 2, "PRODUCES": 3, "Department": 4, "PERFORMS": 17},
    PROCUREMENT: {"Step": 14, "NEXT": 14, "Party": 2, "PARTICIPATES_IN": 3, "Document": 3,
                  "USES": 1, "PRODUCES": 2, "Department": 3, "PERFORMS": 14},
    DESK: {"Step": 10, "NEXT": 10, "Party": 1, "PARTICIPATES_IN": 2, "Document": 3,
           "USES": 3, "PRODUCES": 1, "Department": 2, "PERFORMS": 10},
    HIRING: {"Step": 12, "NEXT": 11, "Party": 1, "PARTICIPATES_IN": 2, "Document": 2,
             "USES": 1, "PRODUCES": 1, "Department": 2, "PERFORMS": 12},
}


def counts(store) -> dict[str, int]:
    return {name: store.run(cypher).rows[0][0] for name, cypher in COUNTS.items()}


def rows(store, cypher: str, **params) -> list[list]:
    return store.run(cypher, params).rows


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_each_style_loads_with_the_counts_of_its_diagram(store, path):
    load(store, path)
    assert counts(store) == EXPECTED[path]
    again = load(store, path)
    assert again.total("created") == again.total("updated") == 0


# -- 1. data associations ---------------------------------------------------------------------
def test_data_inputs_outputs_objects_and_stores_are_documents_of_their_steps(store):
    load(store, [CLAIMS, PROCUREMENT])
    links = rows(store, "MATCH (s:Step)-[r:USES|PRODUCES]->(d:Document) "
                        "RETURN s.name, type(r), d.name, d.kind ORDER BY s.name, d.name")
    assert links == [
        # Camunda: the process's dataInput, a dataObject itself, the dataStore itself and
        # through its unnamed reference, the process's unnamed dataOutput
        ["Assess damage", "PRODUCES", "Assessment report", "document"],
        ["Book goods in stock", "PRODUCES", "ERP", "database"],
        ["Book goods in stock", "PRODUCES", "Goods receipt", "document"],
        ["Check for fraud", "USES", "Claims database", "database"],
        ["Pay claim", "PRODUCES", "Claims database", "database"],
        ["Pay claim", "PRODUCES", "Data output 1 (Handle claim)", "document"],
        ["Register claim", "USES", "Insurance policy", "document"],
        # Signavio: the dataObject behind an unnamed reference, a dataOutput, a dataStore
        ["Request quote", "USES", "Purchase order", "document"]]


# -- 2. pools and message flows ---------------------------------------------------------------
def test_other_pools_are_parties_in_the_steps_their_messages_touch(store):
    load(store, [CLAIMS, PROCUREMENT, DESK])
    roles = rows(store, "MATCH (p:Party)-[r:PARTICIPATES_IN]->(s:Step) "
                        "RETURN p.name, s.name, r.role ORDER BY p.name, s.name")
    assert roles == [
        ["Bank", "Pay supplier", "receives a message; sends payment confirmation"],
        ["Customer", "Claim received", "sends claim form"],
        # the flow has no name: the message it carries does
        ["Customer", "Notify customer", "receives decision letter"],
        ["Customer", "Send answer", "receives answer"],
        ["Customer", "Ticket received", "sends ticket"],
        ["Garage", "Order repair", "receives repair order"],
        ["Garage", "Receive repair invoice", "sends repair invoice"],
        # a step of the supplier's own process sends and receives for the supplier
        ["Supplier", "Quote received", "sends quote"],
        ["Supplier", "Request quote", "receives request for quote"]]
    # the outside pools' own processes are not ours
    assert rows(store, "MATCH (p:Process) RETURN p.name ORDER BY p.name") == [
        ["Handle claim"], ["Handle ticket"], ["Purchase goods"]]


def test_the_pool_with_the_most_steps_is_ours_and_the_choice_is_noted(store):
    report = load(store, CLAIMS)
    assert ("camunda_claims.bpmn: 2 pools have a process: took 'Insurer', the one with the "
            "most steps, as ours and the others as outside parties; name our pools with "
            "--our-pool to choose") in report.notes
    assert ("camunda_claims.bpmn: outside pools whose own process is not loaded (its message "
            "flows to our steps are their participations): Customer (4 steps)") in report.notes
    assert ("camunda_claims.bpmn: message flows between an outside party and our pool as a "
            "whole, not one of its steps: the party takes part in no step: Flow_M5"
            ) in report.notes


def test_our_pool_option_chooses_which_pools_are_the_enterprise(store):
    report = load(store, DESK, our_pools=["  customer "])  # case and spacing aside
    assert rows(store, "MATCH (p:Process) RETURN p.name") == [["Get help"]]
    assert rows(store, "MATCH (p:Party)-[r:PARTICIPATES_IN]->(s:Step) "
                       "RETURN p.name, s.name, r.role ORDER BY s.name") == [
        ["Service Desk", "Answer received", "sends answer"],
        ["Service Desk", "Report problem", "receives ticket"]]
    assert not any("pools have a process" in n for n in report.notes)


def test_naming_every_pool_ours_notes_the_messages_between_them(store):
    report = load(store, DESK, our_pools=("pool_desk", "Get help"))  # an id, a process name
    assert counts(store)["Step"] == 14 and counts(store)["Party"] == 0
    assert ("aris_service_desk.bpmn: message flows inside our enterprise (between pools taken "
            "as ours), not a participation: name our pools with --our-pool: mf_ticket, "
            "mf_answer") in report.notes


def test_an_our_pool_the_file_does_not_have_falls_back_with_a_note(store):
    report = load(store, DESK, our_pools="Help desk")
    assert ("aris_service_desk.bpmn: no pool named 'Help desk' (--our-pool): the pool with "
            "the most steps is taken as ours") in report.notes
    assert rows(store, "MATCH (p:Process) RETURN p.name") == [["Handle ticket"]]


def test_cli_our_pool_flows_to_the_loader_and_is_in_help(store_url, tmp_path):
    def erm(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from erm_graph.cli import main; main()",
                               "--db", store_url, "load", *args], capture_output=True,
                              text=True, timeout=120, check=False,
                              env={**os.environ, "COLUMNS": "400"})

    assert "--our-pool" in erm("--help").stdout
    done = erm(str(DESK), "--our-pool", "Customer", "--dry-run", "--report",
               str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["labels"]["Step"]["created"] == 4


def test_web_upload_takes_our_pool(store, tmp_path):
    settings = Settings.from_env(users_db=tmp_path / "u.db", query_timeout=10)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        client.get("/")
        client.headers["x-csrf-token"] = client.cookies.get("erm_csrf")
        sent = client.post("/api/load", files={"file": (DESK.name, DESK.read_bytes())},
                           data={"our_pool": "Customer"})
        assert sent.status_code == 200, sent.text
    assert rows(store, "MATCH (p:Process) RETURN p.name") == [["Get help"]]


# -- 3. boundary events and call activities ---------------------------------------------------
def test_boundary_events_leave_the_activity_they_are_attached_to(store):
    load(store, [CLAIMS, PROCUREMENT, DESK])
    exits = rows(store, "MATCH (a:Step)-[r:NEXT]->(e:Step {bpmn_type: 'boundaryEvent'}) "
                        "RETURN a.name, e.name, r.label ORDER BY a.name")
    assert exits == [
        ["Assess damage", "Timer boundary event 1", "timer (non-interrupting)"],
        ["Investigate", "Escalation boundary event 1", "escalation (non-interrupting)"],
        ["Pay claim", "Payment failed", "error"],
        ["Receive goods", "Goods late", "timer"]]
    # the exception path runs on from there
    assert rows(store, "MATCH (:Step {name: 'Pay claim'})-[:NEXT*2]->(s:Step) "
                       "WHERE s.kind = 'task' RETURN s.name ORDER BY s.name") == [
        ["Handle failed payment"]]


def test_call_activities_are_sub_process_steps(store):
    load(store, [CLAIMS, PROCUREMENT])
    assert rows(store, "MATCH (s:Step {bpmn_type: 'callActivity'}) RETURN s.name, s.kind "
                       "ORDER BY s.name") == [["Approve purchase", "subprocess"],
                                              ["Check for fraud", "subprocess"]]


# -- 4. names and order -----------------------------------------------------------------------
def test_unnamed_elements_are_named_by_kind_and_number_never_by_id(store):
    load(store, [CLAIMS, PROCUREMENT, DESK, HIRING])
    names = {r[0] for r in rows(store, "MATCH (n) WHERE n:Step OR n:Department OR "
                                       "n:Document OR n:Party RETURN n.name")}
    assert {"Exclusive gateway 1", "Timer boundary event 1", "End event 1", "Task 1",
            "Parallel gateway 1", "Parallel gateway 2", "Start event 1",
            "Escalation boundary event 1", "Lane 1 (Purchase goods)",
            "Data output 1 (Handle claim)"} <= names
    ids = set()
    for path in (CLAIMS, PROCUREMENT, DESK, HIRING):
        ids |= {part.split('"')[0] for part in path.read_text().split(' id="')[1:]}
    assert not names & ids


def test_line_breaks_and_repeated_spaces_are_one_space(store):
    load(store, [CLAIMS, PROCUREMENT, DESK])
    for label, name in [("Step", "Register claim"), ("Step", "Need identified"),
                        ("Step", "Book goods in stock"), ("Step", "Classify ticket"),
                        ("Department", "Claims handling"),
                        ("Department", "1st level support")]:
        assert rows(store, f"MATCH (n:{label} {{name: $name}}) RETURN count(n)",
                    name=name) == [[1]], name
    assert rows(store, "MATCH ()-[r:NEXT {label: 'fraud suspected'}]->() "
                       "RETURN count(r)") == [[1]]


def test_steps_are_ordered_as_the_flow_runs_from_the_start(store):
    load(store, [CLAIMS, HIRING])
    order = {process: names for process, names in rows(
        store, "MATCH (p:Process)-[h:HAS_STEP]->(s:Step) WITH p, s ORDER BY s.order "
               "RETURN p.name, collect(s.name)")}
    assert order["Handle claim"] == [
        "Claim received", "Register claim", "Check for fraud", "Exclusive gateway 1",
        "Assess damage", "Order repair", "Receive repair invoice", "Pay claim",
        "Notify customer", "Claim paid", "Payment failed", "Handle failed payment",
        "Payment escalated", "Timer boundary event 1", "Remind assessor", "End event 1",
        "Claim rejected"]
    # a sub-process's steps follow it; the loop back into it does not move it
    assert order["Hire employee"] == [
        "Application received", "Screen application", "Start event 1", "Check CV",
        "Check references", "End event 1", "Interview", "Suitable?", "Send offer",
        "Candidate hired", "Request more information", "Candidate rejected"]


# -- 5. nothing dropped silently --------------------------------------------------------------
def test_what_cannot_be_loaded_as_drawn_is_noted_and_the_file_loads(store):
    report = load(store, PROCUREMENT)
    assert not report.rejected
    assert [n.removeprefix("signavio_procurement.bpmn: ") for n in report.notes] == [
        "2 pools have a process: took 'Purchasing', the one with the most steps, as ours "
        "and the others as outside parties; name our pools with --our-pool to choose",
        "outside pools whose own process is not loaded (its message flows to our steps are "
        "their participations): Supplier (4 steps)",
        "sequence flows to or from an id this file does not hold, skipped: sid-f14 (to "
        "sid-missing)",
        "sequence flows without a sourceRef or targetRef, skipped: sid-f15",
        "sequence flows from one process into another, skipped (pools are joined by "
        "message flows): sid-f16",
        "sequence flows between the same two steps, loaded as one flow with their labels: "
        "sid-f2a+sid-f2b",
        "lanes with no steps, loaded as departments that perform none: Quality",
        "data associations with what is not a data object or store (a variable, an "
        "activity's own input), skipped: sid-dia-budget (a <property>)",
        "message flows between two outside parties, skipped (no step of ours): sid-mf5",
        "message flows to or from an id this file does not hold, skipped: sid-mf6 "
        "(sid-ghost)"]
    assert rows(store, "MATCH (:Step {name: 'Request quote'})-[r:NEXT]->"
                       "(:Step {name: 'Quote received'}) RETURN r.label") == [["email | portal"]]
    assert rows(store, "MATCH (d:Department {name: 'Quality'}) RETURN count(d)") == [[1]]


def test_dangling_references_in_another_style_are_noted_too(store):
    report = load(store, DESK)
    assert not report.rejected
    assert ("aris_service_desk.bpmn: sequence flows to or from an id this file does not "
            "hold, skipped: sf10 (to tns:t_deleted)") in report.notes
    assert ("aris_service_desk.bpmn: lanes listing an id this file does not hold: lane_l1 "
            "(t_deleted)") in report.notes


PROCESS = ('<bpmn:process id="p" name="P"><bpmn:startEvent id="s"/><bpmn:task id="t" name="T">'
           '{task}</bpmn:task><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/>{more}'
           '</bpmn:process>')
POOLS = ('<bpmn:collaboration id="c"><bpmn:participant id="P" name="Us" processRef="p"/>'
         '<bpmn:participant id="Q" name="Them"/>{flows}</bpmn:collaboration>')


@pytest.mark.parametrize(("task", "more", "flows", "note"), [
    ("", '<bpmn:textAnnotation id="a"/><bpmn:sequenceFlow id="f" sourceRef="t" targetRef="a"/>',
     "", "sequence flows to or from what is not a step, skipped: f (a <textAnnotation>)"),
    ("", '<bpmn:sequenceFlow id="f" sourceRef="gone" targetRef="t"/>', "",
     "sequence flows to or from an id this file does not hold, skipped: f (from gone)"),
    ("", '<bpmn:boundaryEvent id="b" attachedToRef="gone"/>', "",
     "boundary events attached to no activity of their process (loaded without a flow into "
     "them): b"),
    ("", '<bpmn:laneSet><bpmn:lane id="L" name="Ops"><bpmn:flowNodeRef>t</bpmn:flowNodeRef>'
     '</bpmn:lane></bpmn:laneSet>', '<bpmn:messageFlow id="m" sourceRef="Q" targetRef="L"/>',
     "message flows joining what is not a pool or a step, skipped: m (a <lane>)"),
    ("", "", '<bpmn:messageFlow id="m" sourceRef="Q"/>',
     "message flows without a sourceRef or targetRef, skipped: m"),
    ('<bpmn:dataInputAssociation id="da"/>', "", "",
     "data associations without a sourceRef, skipped: da"),
    ('<bpmn:dataOutputAssociation id="do"><bpmn:targetRef>gone</bpmn:targetRef>'
     '</bpmn:dataOutputAssociation>', "", "",
     "data associations with an id this file does not hold, skipped: do (gone)"),
    ("", '<bpmn:choreographyTask id="x"/>', "",
     "elements this loader does not read, skipped: 1 <choreographyTask>"),
], ids=["flow-to-annotation", "flow-from-unknown", "boundary-unattached", "message-to-lane",
        "message-without-end", "association-without-source", "association-to-unknown",
        "unread-element"])
def test_each_kind_of_element_left_out_is_named_in_a_note(store, tmp_path, task, more,
                                                           flows, note):
    path = tmp_path / "odd.bpmn"
    path.write_text('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
                    + POOLS.format(flows=flows) + PROCESS.format(task=task, more=more)
                    + '<bpmn:process id="empty"/></bpmn:definitions>')
    report = load(store, path)
    assert not report.rejected
    assert f"odd.bpmn: {note}" in report.notes, report.notes
    assert "odd.bpmn: processes with no steps, not loaded: empty" in report.notes
    assert counts(store)["Step"] >= 2 and counts(store)["Party"] == 1


def test_two_steps_with_one_id_are_refused_naming_the_id(store):
    with pytest.raises(ErmError, match=r"eclipse_duplicate_ids\.bpmn#UserTask_1: field 'id': "
                                       r"expected an id no other element"):
        load(store, BROKEN)
    assert counts(store)["Step"] == 0


# -- the corpus as a whole --------------------------------------------------------------------
def corpus_outcomes(store) -> dict[str, str]:
    """Each BPMN file of the test corpus loaded on its own (dry run): 'refused', 'notes' (loaded
    with notes) or 'loaded'."""
    outcome = {}
    for path in sorted([*CORPUS.glob("*.bpmn"), *BPMN.glob("*.bpmn")]):
        try:
            report = load(store, path, dry_run=True)
        except ErmError:
            outcome[path.name] = "refused"
        else:
            outcome[path.name] = "notes" if report.notes else "loaded"
    return outcome


def test_corpus_files_loaded_refused_and_with_notes(store):
    outcome = corpus_outcomes(store)
    assert outcome == {
        "aris_service_desk.bpmn": "notes", "bizagi_hiring.bpmn": "loaded",
        "camunda_claims.bpmn": "notes", "camunda_order.bpmn": "loaded",
        "collaboration_only.bpmn": "notes", "eclipse_duplicate_ids.bpmn": "refused",
        "signavio_procurement.bpmn": "notes", "signavio_two_processes.bpmn": "loaded"}
    totals = {kind: list(outcome.values()).count(kind) for kind in ("loaded", "notes",
                                                                    "refused")}
    print(f"\nBPMN corpus: {len(outcome)} files: {totals['loaded'] + totals['notes']} loaded "
          f"({totals['notes']} with notes), {totals['refused']} refused")
    assert totals == {"loaded": 3, "notes": 4, "refused": 1}
