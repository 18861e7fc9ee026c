"""Each format's good corpus file loads with the expected nodes and relationships, twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.ingest import registry

CORPUS = Path(__file__).parent / "corpus"


def count(store, cypher: str, **params) -> int:
    return store.run(cypher, params).rows[0][0]


def test_every_format_is_found_by_path():
    assert {"table", "yaml", "bpmn", "drawio", "mermaid", "mapping"} <= set(registry.loaders())


@pytest.mark.parametrize(("name", "fmt"), [
    ("onboarding.yaml", "yaml"), ("camunda_order.bpmn", "bpmn"), ("support.mmd", "mermaid"),
    ("orders.drawio", "drawio"), ("orders_compressed.drawio", "drawio"), ("table", "table"),
    ("crm/crm.yaml", "mapping")])
def test_format_is_detected(name, fmt):
    from erm_graph.ingest import LoadOptions

    assert registry.detect(CORPUS / name, LoadOptions()).format == fmt


def test_yaml_map_loads_and_is_idempotent(store):
    report = load(store, CORPUS / "onboarding.yaml")
    assert report.labels["Step"].created == 5
    assert count(store, "MATCH (:Step)-[r:NEXT]->(:Step) RETURN count(r)") == 5
    assert count(store, "MATCH (:Department {name:'Sales'})-[:PART_OF]->"
                        "(:Department {name:'Commercial'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Employee)-[r:RESPONSIBLE_FOR]->() RETURN count(r)") == 3
    source = store.run("MATCH (s:Step {uid: 'onboarding/onboarding/check'}) "
                       "RETURN s.source").rows[0][0]
    assert source == "yaml:onboarding.yaml#steps/1"
    again = load(store, CORPUS / "onboarding.yaml")
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.total("unchanged") == report.total("created")


def test_changed_record_updates_in_place(store, tmp_path):
    path = tmp_path / "onboarding.yaml"
    text = (CORPUS / "onboarding.yaml").read_text()
    path.write_text(text)
    load(store, path)
    path.write_text(text.replace("name: Check credit", "name: Check credit score"))
    report = load(store, path)
    assert report.labels["Step"].updated == 1 and report.labels["Step"].created == 0
    assert count(store, "MATCH (s:Step {name: 'Check credit score'}) RETURN count(s)") == 1
    assert count(store, "MATCH (s:Step) RETURN count(s)") == 5


def test_bpmn_camunda_style_with_pools_lanes_subprocess_and_data(store):
    load(store, CORPUS / "camunda_order.bpmn")
    assert count(store, "MATCH (s:Step) RETURN count(s)") == 11
    assert count(store, "MATCH (:Step)-[:SUBPROCESS_OF]->(:Step {name:'Fulfil order'}) "
                        "RETURN count(*)") == 4
    assert count(store, "MATCH (:Department {name:'Inside Sales'})-[:PART_OF]->"
                        "(:Department {name:'Sales'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Department {name:'Inside Sales'})-[:PERFORMS]->"
                        "(:Step {kind:'gateway'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Step {name:'Check order'})-[:USES]->"
                        "(:Document {kind:'database'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Step {name:'Send invoice'})-[:PRODUCES]->"
                        "(:Document {name:'Invoice'}) RETURN count(*)") == 1
    assert count(store, "MATCH (:Party {name:'Customer'})-[r:PARTICIPATES_IN]->(:Step) "
                        "RETURN count(r)") == 2
    row = store.run("MATCH (:Step {name:'Credit ok?'})-[r:NEXT {label:'yes'}]->() "
                    "RETURN r.condition").rows
    assert row == [["${creditOk}"]]
    assert store.run("MATCH (s:Step {name:'Check order'}) RETURN s.bpmn_type").rows == \
        [["userTask"]]


def test_bpmn_plain_style_with_two_processes_and_collaboration_only(store):
    load(store, [CORPUS / "signavio_two_processes.bpmn", CORPUS / "collaboration_only.bpmn"])
    assert count(store, "MATCH (p:Process) RETURN count(p)") == 2
    assert count(store, "MATCH (:Process {name:'Pay supplier'})-[:HAS_STEP]->(s) "
                        "RETURN count(s)") == 3
    assert count(store, "MATCH (p:Party) RETURN count(p)") == 2


def test_drawio_compressed_and_plain_load_the_same(store):
    plain = load(store, CORPUS / "orders.drawio", map_name="orders")
    assert any("umlActor" in n for n in plain.notes)
    assert count(store, "MATCH (s:Step {kind:'gateway'}) RETURN count(s)") == 1
    assert count(store, "MATCH (:Department {name:'Operations'})-[:PERFORMS]->(s) "
                        "RETURN count(s)") == 3
    assert count(store, "MATCH (:Step {name:'Check stock'})-[:USES]->(:Document {kind:"
                        "'database'}) RETURN count(*)") == 1
    assert count(store, "MATCH ()-[r:NEXT {label:'no'}]->(:Step {kind:'end'}) "
                        "RETURN count(r)") == 1
    assert count(store, "MATCH (p:Process) RETURN count(p)") == 2
    compressed = load(store, CORPUS / "orders_compressed.drawio", map_name="orders")
    # the same records, only their provenance (the file name) changed
    assert compressed.total("created") == 0
    assert compressed.total("updated") == plain.total("created")


def test_mermaid_shapes_labels_and_subgraphs(store):
    load(store, [CORPUS / "support.mmd", CORPUS / "approval_td.mmd"])
    assert count(store, "MATCH (s:Step {name:'Known issue?', kind:'gateway'}) "
                        "RETURN count(s)") == 1
    assert count(store, "MATCH (:Step {kind:'start', name:'Ticket opened'}) "
                        "RETURN count(*)") == 1
    assert count(store, "MATCH (:Department {name:'Engineering'})-[:PERFORMS]->(s) "
                        "RETURN count(s)") == 2
    assert count(store, "MATCH ()-[r:NEXT {label:'no'}]->() RETURN count(r)") == 1
    assert count(store, "MATCH (:Step {name:'Request'})-[:NEXT]->(:Step {kind:'gateway'}) "
                        "RETURN count(*)") == 1
    assert count(store, "MATCH (:Document {name:'Knowledge base'})<-[:PRODUCES]-() "
                        "RETURN count(*)") == 1


def test_tables_folder_and_workbook(store, tmp_path):
    load(store, CORPUS / "table")
    assert count(store, "MATCH (:Process {name:'Complaint handling'})-[:HAS_STEP]->(s) "
                        "RETURN count(s)") == 4
    assert count(store, "MATCH (:Customer)-[:PARTICIPATES_IN {role:'complainant'}]->() "
                        "RETURN count(*)") == 1
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    from erm_graph.ingest import LoadContext

    for csv_path in sorted((CORPUS / "table").glob("*.csv")):
        sheet = book.create_sheet(csv_path.stem)
        rows = LoadContext("table", "x").csv_rows(csv_path)
        header = None
        for _, row in rows:
            if header is None:
                header = list(row)
                sheet.append(header)
            sheet.append([row[h] for h in header])
    book.save(tmp_path / "table.xlsx")
    report = load(store, tmp_path / "table.xlsx", map_name="table")
    assert report.total("created") == 0  # the same uids; only the provenance changed


def test_mapping_types_aliases_and_many_to_many(store):
    load(store, CORPUS / "crm" / "crm.yaml")
    rows = store.run("MATCH (o:Opportunity) RETURN o.uid, o.amount, o.stage, o.close_date "
                     "ORDER BY o.uid").rows
    assert rows == [["crm-opp-O1", 1100.04, "won", "2024-03-02"],
                    ["crm-opp-O2", 250000.0, "proposal", "2024-09-30"]]
    assert store.run("MATCH (c:Customer {uid:'crm-acct-A1'}) RETURN c.name, c.segment, "
                     "c.since, c.tier").rows == [["Acme Corp", "smb", "2020-01-31", 1]]
    assert count(store, "MATCH (:Customer)-[:HOLDS]->(:Opportunity {uid:'crm-opp-O2'}) "
                        "RETURN count(*)") == 2
    again = load(store, [CORPUS / "crm" / n for n in
                         ("accounts.csv", "contacts.csv", "opportunities.csv")],
                 mapping=CORPUS / "crm" / "crm.yaml")
    assert again.total("created") == 0 and again.total("updated") == 0
