"""The worked example of docs/loaders.md: a denormalised sales export (accounts, products,
sales teams, pipeline) loads through its mapping alone, with no script to prepare it.

The files in docs/examples/sales/ are shaped like the public "CRM sales opportunities"
sample export (its columns, one row per agent with the manager and office repeated, deals
without an account, a product spelled two ways); the rows are the example's own.
"""

from __future__ import annotations

import re
from pathlib import Path

from erm_graph import load
from erm_graph.query import run_query

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "sales"
MAPPING = EXAMPLE / "sales.yaml"
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n", re.M)


def test_the_documented_mapping_is_the_example_file():
    text = (ROOT / "docs" / "loaders.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
              if "\nname: sales-export\n" in b]
    assert len(blocks) == 1, "docs/loaders.md needs exactly one sales-export mapping block"
    shipped = MAPPING.read_text(encoding="utf-8")
    for found, folder in ((blocks[0], ROOT / "docs"), (shipped, EXAMPLE)):
        schema = SCHEMA_LINE.search(found)
        assert schema, "the mapping names its JSON schema for editors"
        assert (folder / schema.group(1)).resolve() == ROOT / "schemas" / "mapping.schema.json"
    assert SCHEMA_LINE.sub("", blocks[0]) == SCHEMA_LINE.sub("", shipped)


def test_the_sales_export_loads_as_it_is(store):
    report = load(store, MAPPING)
    assert report.rejected == [] and report.notes == []
    labels, types = store.counts()
    assert {k: v for k, v in labels.items() if v} == {
        "Party": 5, "Customer": 5, "Product": 4, "Department": 3, "Employee": 9,
        "Opportunity": 8}
    assert {k: v for k, v in types.items() if v} == {
        "RELATES_TO": 1, "MEMBER_OF": 9, "REPORTS_TO": 6, "HOLDS": 7, "ABOUT": 8,
        "ASSIGNED_TO": 8}


def test_offices_and_managers_come_from_the_agents_file(store):
    load(store, MAPPING)
    assert store.run("MATCH (a:Employee)-[:REPORTS_TO]->(m:Employee) "
                     "MATCH (a)-[:MEMBER_OF]->(office:Department)<-[:MEMBER_OF]-(m) "
                     "RETURN a.name, a.role, m.name, m.role, office.name ORDER BY a.name"
                     ).rows == [
        ["Ada Quist", "sales agent", "Mara Feld", "sales manager", "Central"],
        ["Ben Ortiz", "sales agent", "Mara Feld", "sales manager", "Central"],
        ["Cleo Nakamura", "sales agent", "Mara Feld", "sales manager", "Central"],
        ["Dev Raman", "sales agent", "Otto Lind", "sales manager", "East"],
        ["Elif Sahin", "sales agent", "Otto Lind", "sales manager", "East"],
        ["Finn Boyle", "sales agent", "Rosa Ibarra", "sales manager", "West"]]
    assert store.run("MATCH (d:Department) RETURN d.uid, d.name ORDER BY d.uid").rows == [
        ["office:Central", "Central"], ["office:East", "East"], ["office:West", "West"]]


def test_the_pipeline_ties_deals_to_accounts_products_and_agents(store):
    load(store, MAPPING)
    assert store.run(
        "MATCH (o:Opportunity)-[:ASSIGNED_TO]->(e:Employee) "
        "MATCH (o)-[:ABOUT]->(p:Product) "
        "OPTIONAL MATCH (c:Customer)-[:HOLDS]->(o) "
        "RETURN o.uid, o.stage, o.amount, o.close_date, c.name, p.name, p.price, e.name "
        "ORDER BY o.uid").rows == [
        ["opp:K1AB2C01", "won", 61.0, "2024-02-19", "Alder Mills", "Nimbus Basic", 55.0,
         "Ada Quist"],
        ["opp:K1AB2C02", "won", 1054.0, "2024-03-04", "Copperline", "Nimbus Pro", 1096.0,
         "Ada Quist"],
        ["opp:K1AB2C03", "lost", 0.0, "2024-03-29", "Copperline Japan", "Stratus Edge",
         4821.0, "Ben Ortiz"],
        ["opp:K1AB2C04", "qualified", None, None, "Brightwater Labs", "Cirrus Max", 26768.0,
         "Cleo Nakamura"],
        ["opp:K1AB2C05", "lead", None, None, None, "Nimbus Basic", 55.0, "Dev Raman"],
        ["opp:K1AB2C06", "won", 4980.0, "2024-04-02", "Dunmore Freight", "Stratus Edge",
         4821.0, "Elif Sahin"],
        ["opp:K1AB2C07", "won", 1110.0, "2024-04-15", "Alder Mills", "Nimbus Pro", 1096.0,
         "Finn Boyle"],
        ["opp:K1AB2C08", "qualified", None, None, "Copperline", "Cirrus Max", 26768.0,
         "Finn Boyle"]]
    assert store.run("MATCH (s:Customer)-[r:RELATES_TO]->(p:Customer) "
                     "RETURN s.name, r.kind, p.name, s.industry, s.country").rows == [
        ["Copperline Japan", "subsidiary", "Copperline", "technology", "Japan"]]


def test_won_deals_count_in_lifetime_value(store):
    load(store, MAPPING)
    rows = run_query(store, "lifetime-value", {}).records()
    assert [(r["uid"], r["value"], r["won_value"], r["purchase_revenue"],
             r["contract_value"]) for r in rows] == [
        ("acct:Dunmore Freight", 4980.0, 4980.0, 0.0, 0.0),
        ("acct:Alder Mills", 1171.0, 1171.0, 0.0, 0.0),
        ("acct:Copperline", 1054.0, 1054.0, 0.0, 0.0)]  # lost and open deals count nothing


def test_loading_the_export_again_changes_nothing(store):
    load(store, MAPPING)
    again = load(store, MAPPING)
    assert again.rejected == []
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.total("unchanged") == 29 + 39  # nodes + relationships, each once
