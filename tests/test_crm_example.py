"""The CRM mapping example of docs/loaders.md is the file in docs/examples/crm/, and it loads."""

from __future__ import annotations

import re
from pathlib import Path

from erm_graph import load
from erm_graph.loaders.mapping.document import read_mapping

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "crm"
MAPPING = EXAMPLE / "crm.yaml"
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n", re.M)


def doc_block() -> str:
    text = (ROOT / "docs" / "loaders.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
              if "\nname: crm-export\n" in b]
    assert len(blocks) == 1, "docs/loaders.md needs exactly one crm-export mapping block"
    return blocks[0]


def test_the_documented_mapping_is_the_example_file():
    block, shipped = doc_block(), MAPPING.read_text(encoding="utf-8")
    for text, folder in ((block, ROOT / "docs"), (shipped, EXAMPLE)):
        schema = SCHEMA_LINE.search(text)
        assert schema, "the mapping names its JSON schema for editors"
        assert (folder / schema.group(1)).resolve() == ROOT / "schemas" / "mapping.schema.json"
    assert SCHEMA_LINE.sub("", block) == SCHEMA_LINE.sub("", shipped)


def test_the_example_fits_the_schema_and_the_model():
    doc = read_mapping(MAPPING)  # raises, naming each problem, when it does not
    files = {t["file"] for t in doc["tables"]}
    assert {"users.csv", "accounts*.csv", "contacts.csv", "opportunities.csv", "cases.xlsx",
            "surveys.csv", "survey_answers.csv"} == files


def test_the_example_loads_with_its_values_normalised(store):
    report = load(store, MAPPING)
    assert report.rejected == [] and report.notes == []
    labels, types = store.counts()
    assert {k: v for k, v in labels.items() if v} == {
        "Employee": 2, "Party": 3, "Customer": 3, "Contact": 2, "Opportunity": 2, "Case": 2,
        "Survey": 1, "Response": 2}
    assert {k: v for k, v in types.items() if v} == {
        "MANAGES": 3, "WORKS_FOR": 2, "HOLDS": 3, "RAISED": 2, "ASSIGNED_TO": 2, "TO": 2,
        "GAVE": 2}
    assert store.run("MATCH (e:Employee)-[:MANAGES]->(c:Customer) "
                     "RETURN c.uid, c.name, c.segment, c.tier, c.since, e.uid, e.email "
                     "ORDER BY c.uid").rows == [
        ["crm-acct-A1", "Acme Corp", "smb", 1, "2020-01-31", "crm-user-jane.doe@corp.test",
         "jane.doe@corp.test"],
        ["crm-acct-A2", "Globex", "enterprise", 2, "2021-06-15", "crm-user-jane.doe@corp.test",
         "jane.doe@corp.test"],
        ["crm-acct-A3", "Initech", "smb", 3, "2019-12-01", "crm-user-raj@corp.test",
         "raj@corp.test"]]
    assert store.run("MATCH (o:Opportunity) RETURN o.uid, o.name, o.amount, o.stage, "
                     "o.close_date ORDER BY o.uid").rows == [
        ["crm-opp-O1", "Rockets", 1100.04, "won", "2024-03-02"],
        ["crm-opp-O2", "Doomsday device", 250000.0, "proposal", "2024-09-30"]]
    assert sorted(store.run("MATCH (c:Customer)-[:HOLDS]->(o:Opportunity) "
                            "RETURN c.uid, o.uid").rows) == [
        ["crm-acct-A1", "crm-opp-O1"], ["crm-acct-A2", "crm-opp-O2"],
        ["crm-acct-A3", "crm-opp-O2"]]
    assert store.run("MATCH (c:Customer)-[:RAISED]->(k:Case)-[:ASSIGNED_TO]->(e:Employee) "
                     "RETURN k.uid, k.name, k.kind, k.status, k.severity, k.opened_at, "
                     "k.escalated, c.uid, e.uid ORDER BY k.uid").rows == [
        ["crm-case-K-100", "Rocket misfires", "service", "open", 2, "2024-03-02T10:05:00",
         False, "crm-acct-A1", "crm-user-raj@corp.test"],
        ["crm-case-K-101", "Device overheats", "service", "in_progress", 1,
         "2024-03-05T16:30:00", True, "crm-acct-A2", "crm-user-raj@corp.test"]]
    assert store.run("MATCH (p:Contact)-[:GAVE]->(r:Response)-[:TO]->(s:Survey) "
                     "RETURN r.uid, r.score, r.at, r.text, p.email, s.name, s.audience, "
                     "s.sent_at ORDER BY r.uid").rows == [
        ["crm-resp-R1", 9, "2024-03-20T09:15:00", "Great support", "wile@acme.test",
         "NPS Q1 2024", "customer", "2024-03-15"],
        ["crm-resp-R2", 4, "2024-03-21T17:40:00", "Slow delivery, again", "hank@globex.test",
         "NPS Q1 2024", "customer", "2024-03-15"]]


def test_loading_the_example_files_again_with_mapping_changes_nothing(store):
    load(store, MAPPING)
    files = sorted(p for p in EXAMPLE.iterdir() if p.suffix in (".csv", ".xlsx"))
    again = load(store, files, mapping=MAPPING)
    assert again.rejected == []
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.total("unchanged") == 14 + 16  # nodes + relationships
