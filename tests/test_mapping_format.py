"""The mapping format's relationship tables, ``label_column``, optional columns, workbook date
cells and typed relationship properties (docs/loaders.md, schemas/mapping.schema.json).

Every error names what a person needs to fix it: the mapping file and the path in it, or the
data file, its row and its column.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from erm_graph import load
from erm_graph.errors import ValidationError
from erm_graph.ingest import LoadError
from erm_graph.loaders.mapping.document import read_mapping

PARTY_LABELS = "one of Party, Customer, Financier, Government, Partner, Supplier"


def write_csv(folder: Path, name: str, rows: list[list[str]]) -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_mapping(folder: Path, doc: dict, name: str = "mapping.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def value(store, query: str):
    return store.run(query).rows


def rel_props(store, rel_type: str) -> list[list]:
    """(start uid, end uid, properties but the store's hash) of each relationship."""
    rows = store.run(f"MATCH (a)-[r:{rel_type}]->(b) RETURN a.uid, b.uid, properties(r) "
                     "ORDER BY a.uid, b.uid").rows
    return [[a, b, {k: v for k, v in p.items() if k != "content_hash"}] for a, b, p in rows]


PARTIES = {"file": "parties.csv", "label": "Party", "key": {"column": "ID", "prefix": "p-"},
           "label_column": {"column": "Kind", "split": ";", "aliases": {"vendor": "Supplier"}},
           "properties": {"name": {"column": "Name"},
                          "tier": {"column": "Tier", "type": "int", "optional": True}}}
EMPLOYEES = {"file": "employees.csv", "label": "Employee", "key": {"column": "ID", "prefix": "e-"},
             "properties": {"name": {"column": "Name"}}}
CONTACTS = {"file": "contacts.csv", "label": "Contact", "key": {"column": "ID", "prefix": "c-"},
            "properties": {"name": {"column": "Name"}}}
WORKS_FOR = {"file": "works_for.csv", "type": "WORKS_FOR",
             "start": {"label": "Contact", "column": "Contact", "prefix": "c-"},
             "end": {"label": "Party", "column": "Party", "prefix": "p-"}}
KNOWS = {"file": "knows*.csv", "type": "KNOWS",
         "start": {"label": "Employee", "column": "Employee", "prefix": "e-"},
         "end": {"label": "Party", "column": "Party", "prefix": "p-"},
         "properties": {"strength": {"column": "Strength", "type": "float"},
                        "evidence": {"column": "Evidence", "optional": True}}}


@pytest.fixture
def folder(tmp_path) -> Path:
    write_csv(tmp_path, "parties.csv", [
        ["ID", "Kind", "Name", "Tier"],
        ["P1", "Party;Customer", "Acme", "1"],
        ["P2", "", "Initech", ""],
        ["P3", "Supplier", "Globex", "2"],
        ["P4", "Party", "Umbrella", ""],
        ["P5", " VENDOR ", "Hooli", ""]])
    write_csv(tmp_path, "employees.csv", [["ID", "Name"], ["E1", "Jane"], ["E2", "Raj"]])
    write_csv(tmp_path, "contacts.csv", [["ID", "Name"], ["C1", "Wile"], ["C2", "Hank"]])
    write_csv(tmp_path, "works_for.csv", [["Contact", "Party"], ["C1", "P1"], ["C2", "P3"]])
    write_csv(tmp_path, "knows.csv", [["Employee", "Party", "Strength"],  # no Evidence
                                      ["E1", "P1", "0.5"], ["E2", "P3", ""]])
    return tmp_path


# -- label_column --------------------------------------------------------------------------------
def test_label_column_gives_each_row_its_label_and_a_second_load_skips_them(store, folder):
    mapping = write_mapping(folder, {"tables": [PARTIES]})
    report = load(store, mapping)
    assert report.rejected == []
    assert {k: c.created for k, c in report.labels.items() if c.created} == {
        "Party": 2, "Customer": 1, "Supplier": 2}
    assert value(store, "MATCH (n:Party) RETURN n.uid, labels(n), n.tier ORDER BY n.uid") == [
        ["p-P1", ["Party", "Customer"], 1], ["p-P2", ["Party"], None],
        ["p-P3", ["Party", "Supplier"], 2], ["p-P4", ["Party"], None],
        ["p-P5", ["Party", "Supplier"], None]]
    again = load(store, mapping)
    assert again.total("created") == 0 and again.total("updated") == 0
    assert {k: c.unchanged for k, c in again.labels.items() if c.unchanged} == {
        "Party": 2, "Customer": 1, "Supplier": 2}


def test_a_label_the_table_may_not_have_rejects_the_row_naming_file_row_and_column(store,
                                                                                   folder):
    with (folder / "parties.csv").open("a", encoding="utf-8") as fh:
        fh.write("P6,Contact,Wrong,\nP7,Customer;Supplier,Both,\nP8,Party;Custom,Typo,\n")
    mapping = write_mapping(folder, {"tables": [PARTIES]})
    with pytest.raises(ValidationError) as caught:
        load(store, mapping)
    text = str(caught.value)
    expected = (f"expected {PARTY_LABELS}: the table's label or one of its sub-labels "
                "(an empty cell is Party)")
    assert f"mapping:parties.csv#7: field 'Kind': {expected}, got 'Contact'" in text
    assert f"mapping:parties.csv#8: field 'Kind': {expected}, got 'Customer;Supplier'" in text
    assert f"mapping:parties.csv#9: field 'Kind': {expected}, got 'Party;Custom'" in text
    assert value(store, "MATCH (n) RETURN count(n)") == [[0]]
    report = load(store, mapping, on_error="skip")
    assert report.rejected_counts == {"Party": 3}
    assert value(store, "MATCH (n:Party) RETURN count(n)") == [[5]]


def test_a_sub_label_table_takes_its_parent_in_the_cell_but_not_the_parent_alone(store, tmp_path):
    write_csv(tmp_path, "customers.csv", [["ID", "Labels", "Name"], ["A", "Party;Customer", "a"],
                                          ["B", "", "b"], ["C", "Party", "c"]])
    table = {"file": "customers.csv", "label": "Customer", "key": {"column": "ID"},
             "label_column": {"column": "Labels", "split": ";"},
             "properties": {"name": {"column": "Name"}}}
    report = load(store, write_mapping(tmp_path, {"tables": [table]}), on_error="skip")
    assert [str(p) for p in report.rejected] == [
        "mapping:customers.csv#4: field 'Labels': expected one of Customer: the table's label "
        "or one of its sub-labels (an empty cell is Customer), got 'Party'"]
    assert value(store, "MATCH (n:Customer) RETURN n.uid ORDER BY n.uid") == [["A"], ["B"]]


# -- relationship tables -------------------------------------------------------------------------
def test_relationship_tables_make_one_relationship_per_row(store, folder):
    nodes = write_mapping(folder, {"tables": [PARTIES, EMPLOYEES, CONTACTS]}, "nodes.yaml")
    rels = write_mapping(folder, {"relationships": [WORKS_FOR, KNOWS]}, "rels.yaml")
    load(store, nodes)
    report = load(store, rels)  # a mapping of relationship tables only is found by content
    assert report.rejected == []
    assert {k: c.created for k, c in report.types.items() if c.created} == {
        "WORKS_FOR": 2, "KNOWS": 2}
    assert value(store, "MATCH (c:Contact)-[:WORKS_FOR]->(p:Party) RETURN c.uid, p.uid "
                        "ORDER BY c.uid") == [["c-C1", "p-P1"], ["c-C2", "p-P3"]]
    assert rel_props(store, "KNOWS") == [["e-E1", "p-P1", {"strength": 0.5}],
                                         ["e-E2", "p-P3", {}]]
    again = load(store, rels)
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.total("unchanged") == 4
    # one mapping with both, its files given one by one: node tables and relationship tables
    # are matched by file name alike
    both = write_mapping(folder, {"tables": [PARTIES, EMPLOYEES, CONTACTS],
                                  "relationships": [WORKS_FOR, KNOWS]})
    files = [folder / n for n in ("parties.csv", "employees.csv", "contacts.csv",
                                  "works_for.csv", "knows.csv")]
    assert load(store, files, mapping=both).total("created") == 0


def test_relationship_table_rows_name_their_row_when_rejected(store, folder):
    write_csv(folder, "works_for.csv", [["Contact", "Party"], ["C1", "P1"], ["", "P3"],
                                        ["C2", " "], ["C2", "P9"]])
    write_csv(folder, "knows.csv", [["Employee", "Party", "Strength", "Evidence"],
                                    ["E1", "P1", "strong", "met"], ["E2", "P3", "0.25", "  "]])
    mapping = write_mapping(folder, {"tables": [PARTIES, EMPLOYEES, CONTACTS],
                                     "relationships": [WORKS_FOR, KNOWS]})
    with pytest.raises(ValidationError) as caught:
        load(store, mapping)
    text = str(caught.value)
    assert ("mapping:works_for.csv#3: field 'Contact': expected the key of the start node "
            "(Contact)") in text
    assert ("mapping:works_for.csv#4: field 'Party': expected the key of the end node (Party), "
            "got ' '") in text
    assert ("mapping:knows.csv#2: field 'Strength': expected a number such as 3.5, "
            "got 'strong'") in text
    # the row's place goes with the relationship to the writer's checks too
    assert ("mapping:works_for.csv#5: field 'end': expected the uid of a Party in this load "
            "or in the database, got 'p-P9'") in text
    assert value(store, "MATCH (n) RETURN count(n)") == [[0]]
    report = load(store, mapping, on_error="skip")
    assert report.rejected_counts == {"WORKS_FOR": 3, "KNOWS": 1}
    assert rel_props(store, "KNOWS") == [["e-E2", "p-P3", {"strength": 0.25}]]


# -- optional columns ----------------------------------------------------------------------------
def test_an_optional_column_may_be_missing_and_a_required_one_may_not(store, tmp_path):
    write_csv(tmp_path, "people.csv", [["ID", "Name"], ["P1", "Acme"]])
    table = {"file": "people.csv", "label": "Customer", "key": {"column": "ID"},
             "properties": {"name": {"column": "Name"},
                            "tier": {"column": "Tier", "type": "int", "optional": True},
                            "segment": {"column": "Segment", "optional": True,
                                        "default": "smb"}}}
    load(store, write_mapping(tmp_path, {"tables": [table]}))
    assert value(store, "MATCH (c:Customer) RETURN properties(c).tier, c.segment") == [
        [None, "smb"]]
    table["properties"]["country"] = {"column": "Country"}
    with pytest.raises(LoadError) as caught:
        load(store, write_mapping(tmp_path, {"tables": [table]}))
    assert str(caught.value) == (
        f"{tmp_path / 'people.csv'}: no column 'Country' (the mapping's table 'people.csv' "
        "needs it); the columns are ID, Name")
    rels = {"file": "people.csv", "type": "RELATES_TO",
            "start": {"label": "Party", "column": "ID"}, "end": {"label": "Party",
                                                                 "column": "Other"}}
    with pytest.raises(LoadError, match=r"people\.csv: no column 'Other' \(the mapping's "
                                        r"relationship table 'people\.csv' needs it\)"):
        load(store, write_mapping(tmp_path, {"relationships": [rels]}))


# -- workbook date cells -------------------------------------------------------------------------
def test_workbook_date_cells_are_read_whatever_the_format_says(store, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Calls"
    sheet.append(["ID", "Kind", "At", "Since"])
    sheet.append(["X1", "call", datetime(2024, 3, 2, 10, 4, 59, 999000),
                  datetime(2020, 1, 31)])
    sheet.append(["X2", "call", "02-03-2024 11:00", "31-01-2021"])   # text in the format
    sheet.append(["X3", "call", "2024-03-02 12:00:00", "2021-01-31"])  # text, not the format
    book.save(tmp_path / "calls.xlsx")
    table = {"file": "calls.xlsx", "sheet": "Calls", "label": "Interaction",
             "key": {"column": "ID"}, "set": {"name": "call"},
             "properties": {"kind": {"column": "Kind"},
                            "at": {"column": "At", "type": "datetime",
                                   "format": "dd-mm-yyyy HH:MM"}}}
    report = load(store, write_mapping(tmp_path, {"date_format": "dd-mm-yyyy",
                                                  "tables": [table]}), on_error="skip")
    assert [str(p) for p in report.rejected] == [
        "mapping:calls.xlsx#calls!4: field 'At': expected a date in the form dd-mm-yyyy HH:MM "
        "(e.g. 31-03-2024 14:05), got '2024-03-02 12:00:00'"]
    assert value(store, "MATCH (n:Interaction) RETURN n.uid, n.at ORDER BY n.uid") == [
        ["X1", "2024-03-02T10:05:00"], ["X2", "2024-03-02T11:00:00"]]
    parties = {"file": "calls.xlsx", "label": "Party", "key": {"column": "ID"},
               "set": {"name": "p"}, "properties": {"since": {"column": "Since",
                                                              "type": "date"}}}
    report = load(store, write_mapping(tmp_path, {"date_format": "dd-mm-yyyy",
                                                  "tables": [parties]}), on_error="skip")
    assert [p.got for p in report.rejected] == ["2021-01-31"]
    assert value(store, "MATCH (n:Party) RETURN n.uid, n.since ORDER BY n.uid") == [
        ["X1", "2020-01-31"], ["X2", "2021-01-31"]]


# -- typed relationship properties in a node table -----------------------------------------------
def test_relationship_properties_of_a_node_table_are_typed(store, folder):
    write_csv(folder, "employees.csv", [
        ["ID", "Name", "Knows", "Strength", "Evidence"],
        ["E1", "Jane", "P1;P3", "0.75", "  met at a fair "],
        ["E2", "Raj", "P1", "", ""],
        ["E3", "Ann", "P3", "strong", "x"]])
    employees = {**EMPLOYEES, "relationships": [
        {"type": "KNOWS", "label": "Party", "column": "Knows", "prefix": "p-", "split": ";",
         "properties": {"strength": {"column": "Strength", "type": "float"},
                        "evidence": "Evidence"}}]}  # the short form: text, trimmed
    mapping = write_mapping(folder, {"tables": [PARTIES, employees]})
    with pytest.raises(ValidationError, match=r"mapping:employees\.csv#4: field 'Strength': "
                                              r"expected a number such as 3\.5, got 'strong'"):
        load(store, mapping)
    report = load(store, mapping, on_error="skip")
    assert report.rejected_counts == {"Employee": 1}  # the row is rejected whole
    assert value(store, "MATCH (e:Employee) RETURN e.uid ORDER BY e.uid") == [["e-E1"],
                                                                             ["e-E2"]]
    assert rel_props(store, "KNOWS") == [
        ["e-E1", "p-P1", {"strength": 0.75, "evidence": "met at a fair"}],
        ["e-E1", "p-P3", {"strength": 0.75, "evidence": "met at a fair"}],
        ["e-E2", "p-P1", {}]]


# -- the mapping file's own checks ---------------------------------------------------------------
def problems_of(tmp_path: Path, doc: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        read_mapping(write_mapping(tmp_path, doc))
    return str(caught.value)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["relationships"][0].update(type="LIKES"),
     "field 'relationships/0/type': expected one of ["),
    (lambda d: d["relationships"][0]["start"].update(label="Ghost"),
     "field 'relationships/0/start/label': expected one of ["),
    (lambda d: d["relationships"][0]["start"].update(label="Party"),
     "field 'relationships/0/start/label': expected a start label of WORKS_FOR: one of "
     "Contact, got 'Party'"),
    (lambda d: d["relationships"][0].update(properties={"_where": {"column": "x"}}),
     "field 'relationships/0/properties/_where': expected a property name that does not "
     "start with _ (reserved for annotations)"),
    (lambda d: d["tables"][0]["properties"].update(_hash={"column": "x"}),
     "field 'tables/0/properties/_hash': expected a property name that does not start with _"),
    (lambda d: d["tables"][0].update(set={"_hash": "x"}),
     "field 'tables/0/set/_hash': expected a property name that does not start with _"),
    (lambda d: d["tables"][0]["label_column"].update(aliases={"person": "Contact"}),
     "field 'tables/0/label_column/aliases/person': expected one of Customer, Financier, "
     "Government, Partner, Party, Supplier, got 'Contact'"),
    (lambda d: d["tables"][0]["properties"]["tier"].update(optional="yes"),
     "field 'tables/0/properties/tier/optional': expected a boolean, got 'yes'"),
    (lambda d: d["relationships"][0]["end"].pop("column"),
     "field 'relationships/0/end': expected 'column' is required"),
    (lambda d: d.pop("tables") and d.pop("relationships"),
     "field 'tables': expected a list of node tables, or a list of relationship tables in "
     "relationships (or both)"),
])
def test_mapping_mistakes_are_named_by_their_path(tmp_path, change, expected):
    doc = yaml.safe_load(yaml.safe_dump({"tables": [PARTIES], "relationships": [WORKS_FOR]}))
    read_mapping(write_mapping(tmp_path, doc))
    change(doc)
    text = problems_of(tmp_path, doc)
    assert f"mapping {tmp_path / 'mapping.yaml'}: {expected}" in text, text


def test_a_mapping_without_tables_or_relationships_says_what_it_needs(tmp_path):
    text = problems_of(tmp_path, {"name": "x", "tabels": [PARTIES]})
    assert "field 'tables': expected a list of node tables" in text
    assert "('tabels' was unexpected)" in text
    assert "any of the given schemas" not in text


def test_a_typed_relationship_property_spec_is_checked_like_a_node_property(tmp_path):
    table = {**EMPLOYEES, "relationships": [
        {"type": "KNOWS", "label": "Party", "column": "Knows",
         "properties": {"strength": {"column": "Strength", "type": "decimal"},
                        "evidence": "Evidence", "_x": "X"}}]}
    text = problems_of(tmp_path, {"tables": [table]})
    assert ("field 'tables/0/relationships/0/properties/strength/type': expected one of "
            "string, int, float, money, date, datetime, bool, got 'decimal'") in text
    assert "field 'tables/0/relationships/0/properties/_x'" in text
    assert "properties/evidence" not in text


# -- the documentation ---------------------------------------------------------------------------
def test_the_documented_example_of_these_keys_loads(store, folder):
    text = (Path(__file__).resolve().parent.parent / "docs" / "loaders.md").read_text()
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
                if "\nname: parties-and-links" in b]
    write_csv(folder, "employees.csv", [["ID", "Name", "Knows", "Strength", "Evidence"],
                                        ["E1", "Jane", "P1;P3", "0.75", "fair"],
                                        ["E2", "Raj", "", "", ""]])
    mapping = folder / "example.yaml"
    mapping.write_text(block, encoding="utf-8")
    report = load(store, mapping)
    assert report.rejected == []
    assert {k: c.created for k, c in report.labels.items() if c.created} == {
        "Party": 2, "Customer": 1, "Supplier": 2, "Contact": 2, "Employee": 2}
    assert {k: c.created for k, c in report.types.items() if c.created} == {
        "WORKS_FOR": 2, "KNOWS": 3}  # E1-P1 from both files is one relationship
    assert rel_props(store, "KNOWS") == [
        ["e-E1", "p-P1", {"strength": 0.75, "evidence": "fair"}],
        ["e-E1", "p-P3", {"strength": 0.75, "evidence": "fair"}],
        ["e-E2", "p-P3", {}]]


def test_a_row_that_changes_its_sub_label_moves_its_node_to_the_new_label(store, folder):
    mapping = write_mapping(folder, {"tables": [PARTIES]})
    load(store, mapping)
    write_csv(folder, "parties.csv", [
        ["ID", "Kind", "Name", "Tier"],
        ["P1", "Supplier", "Acme", "1"],        # was a Customer
        ["P2", "Customer", "Initech", ""],      # was a plain Party
        ["P3", "", "Globex", "2"]])             # was a Supplier
    report = load(store, mapping)
    assert report.total("updated") == 3 and report.total("created") == 0
    assert value(store, "MATCH (n:Party) WHERE n.uid IN ['p-P1', 'p-P2', 'p-P3'] "
                        "RETURN n.uid, labels(n) ORDER BY n.uid") == [
        ["p-P1", ["Party", "Supplier"]], ["p-P2", ["Party", "Customer"]], ["p-P3", ["Party"]]]
    assert load(store, mapping).total("updated") == 0


def test_a_row_repeated_in_a_file_loads_once_and_a_conflicting_one_is_rejected(store, tmp_path):
    mapping = write_mapping(tmp_path, {"tables": [EMPLOYEES]})
    write_csv(tmp_path, "employees.csv", [["ID", "Name"], ["E1", "Jane"], ["E1", "Jane"],
                                          ["E2", "Raj"]])
    report = load(store, mapping)
    assert report.labels["Employee"].created == 2 and not report.rejected
    write_csv(tmp_path, "employees.csv", [["ID", "Name"], ["E1", "Jane"], ["E1", "Janet"]])
    with pytest.raises(ValidationError) as caught:
        load(store, mapping)
    assert ("mapping:employees.csv#3: field 'uid': expected unique in the load: "
            "mapping:employees.csv#2 has the same uid with other values, got 'e-E1'"
            ) in str(caught.value)


def test_two_files_sharing_a_key_load_the_same_way_every_time(store, tmp_path):
    """The same employee in two files: the first load keeps one node (or rejects the second
    version when they differ); so must every re-load, though the first file's row is then
    left out as unchanged before it is read (it is compared with the stored node)."""
    staff = {**EMPLOYEES, "file": "staff-*.csv"}
    mapping = write_mapping(tmp_path, {"tables": [staff]})
    write_csv(tmp_path, "staff-a.csv", [["ID", "Name"], ["E1", "Jane"], ["E2", "Raj"]])
    write_csv(tmp_path, "staff-b.csv", [["ID", "Name"], ["E1", "Jane"]])
    files = [tmp_path / "staff-a.csv", tmp_path / "staff-b.csv"]
    first = load(store, files, mapping=mapping)
    assert first.labels["Employee"].created == 2 and not first.rejected
    # a property another load gave the node is no difference
    store.run("MATCH (e:Employee {uid: 'e-E1'}) SET e.title = 'CTO'", read_only=False)
    for _ in range(2):
        again = load(store, files, mapping=mapping)
        assert again.total("created") == again.total("updated") == 0, again.as_dict()
        assert again.labels["Employee"].unchanged == 3 and not again.rejected

    write_csv(tmp_path, "staff-b.csv", [["ID", "Name"], ["E1", "Janet"]])
    for _ in range(2):
        report = load(store, files, mapping=mapping, on_error="skip")
        assert [(p.where, p.got) for p in report.rejected] == [
            ("mapping:staff-b.csv#2", "e-E1")], report.as_dict()
        assert "staff-a.csv#2 has the same uid" in report.rejected[0].expected
        assert value(store, "MATCH (e:Employee {uid: 'e-E1'}) RETURN e.name") == [["Jane"]]


def test_a_bad_cell_repeated_in_later_chunks_is_rejected_in_each(store, tmp_path, monkeypatch):
    # a column keeps the texts it typed from one chunk to the next (and stops once it has
    # MEMO_SIZE of them): a bad text must be reported again in every chunk it appears in
    monkeypatch.setattr("erm_graph.loaders.mapping.reader.CHUNK_ROWS", 2)
    monkeypatch.setattr("erm_graph.loaders.mapping.columns.MEMO_SIZE", 3)
    table = {"file": "calls.csv", "label": "Interaction", "key": {"column": "ID"},
             "set": {"kind": "call"},
             "properties": {"at": {"column": "At", "type": "datetime", "format": "dd-mm-yyyy"},
                            "amount": {"column": "Amount", "type": "money"}}}
    mapping = write_mapping(tmp_path, {"tables": [table]})
    rows = [["1", "01-02-2024", "$1"], ["2", "31-02-2024", "$2"], ["3", "01-02-2024", "$3"],
            ["4", "31-02-2024", "$4"], ["5", "02-02-2024", "five"], ["6", "03-02-2024", "five"],
            ["7", "04-02-2024", "$7"], ["8", "01-02-2024", "five"]]
    write_csv(tmp_path, "calls.csv", [["ID", "At", "Amount"], *rows])
    report = load(store, mapping, on_error="skip")
    assert sorted((p.where, p.field) for p in report.rejected) == [
        ("mapping:calls.csv#3", "At"), ("mapping:calls.csv#5", "At"),
        ("mapping:calls.csv#6", "Amount"), ("mapping:calls.csv#7", "Amount"),
        ("mapping:calls.csv#9", "Amount")]
    assert store.run("MATCH (n:Interaction) RETURN n.uid, n.at, n.amount ORDER BY n.uid"
                     ).rows == [["1", "2024-02-01T00:00:00", 1.0],
                                ["3", "2024-02-01T00:00:00", 3.0],
                                ["7", "2024-02-04T00:00:00", 7.0]]


# -- denormalised files: a record repeated on many rows ----------------------------------------
def test_a_key_repeated_with_the_same_values_is_one_record_from_each_table(store, tmp_path):
    """One row per agent, the manager and office repeated: offices and managers load from
    the agents file itself; only a repeat with other values is rejected, naming both rows."""
    write_csv(tmp_path, "teams.csv", [
        ["agent", "manager", "office"], ["Ada", "Mara", "Central"], ["Ben", "Mara", "Central"],
        ["Cleo", "Otto", "East"], ["Dev", "Otto", "East"]])
    offices = {"file": "teams.csv", "label": "Department",
               "key": {"column": "office", "prefix": "o-"},
               "properties": {"name": {"column": "office"}}}
    managers = {"file": "teams.csv", "label": "Employee",
                "key": {"column": "manager", "prefix": "e-"},
                "properties": {"name": {"column": "manager"}},
                "relationships": [{"type": "MEMBER_OF", "label": "Department",
                                   "column": "office", "prefix": "o-"}]}
    agents = {"file": "teams.csv", "label": "Employee",
              "key": {"column": "agent", "prefix": "e-"},
              "properties": {"name": {"column": "agent"}},
              "relationships": [{"type": "REPORTS_TO", "label": "Employee",
                                 "column": "manager", "prefix": "e-"}]}
    mapping = write_mapping(tmp_path, {"tables": [offices, managers, agents]})
    report = load(store, mapping)
    assert report.rejected == []
    assert {k: c.created for k, c in report.labels.items()} == {"Department": 2,
                                                                 "Employee": 6}
    assert {k: c.created for k, c in report.types.items()} == {"MEMBER_OF": 2,
                                                                "REPORTS_TO": 4}
    assert value(store, "MATCH (e)-[:MEMBER_OF]->(d) RETURN e.uid, d.uid, e.source "
                        "ORDER BY e.uid") == [["e-Mara", "o-Central", "mapping:teams.csv#2"],
                                               ["e-Otto", "o-East", "mapping:teams.csv#4"]]
    again = load(store, mapping)
    assert again.total("created") == again.total("updated") == 0
    assert again.total("unchanged") == 8 + 6

    write_csv(tmp_path, "teams.csv", [
        ["agent", "manager", "office", "code"], ["Ada", "Mara", "Central", "C"],
        ["Ben", "Mara", "Centre", "C"]])
    by_code = {**offices, "key": {"column": "code", "prefix": "o-"}}
    with pytest.raises(ValidationError) as caught:
        load(store, write_mapping(tmp_path, {"tables": [by_code]}))
    assert ("mapping:teams.csv#3: field 'uid': expected unique in the load: "
            "mapping:teams.csv#2 has the same uid with other values, got 'o-C'"
            ) in str(caught.value)


def test_a_repeated_record_adds_the_relationships_its_other_cells_name(store, tmp_path):
    """An account read from a pipeline: one row per deal, each relating it to its deal."""
    write_csv(tmp_path, "deals.csv", [
        ["deal", "account", "sector"], ["D1", "Acme", "retail"], ["D2", "Acme", "retail"],
        ["D3", "Initech", "software"], ["D4", "Acme", "retail"], ["D2", "Acme", "retail"]])
    deals = {"file": "deals.csv", "label": "Opportunity", "key": {"column": "deal"},
             "properties": {"name": {"column": "deal"}}}
    accounts = {"file": "deals.csv", "label": "Customer", "key": {"column": "account"},
                "properties": {"name": {"column": "account"}, "industry": {"column": "sector"}},
                "relationships": [{"type": "HOLDS", "label": "Opportunity",
                                   "column": "deal"}]}
    mapping = write_mapping(tmp_path, {"tables": [deals, accounts]})
    for _ in range(2):  # the chunk of a million rows and the one of a few behave alike
        report = load(store, mapping)
        assert report.rejected == []
    assert value(store, "MATCH (c:Customer)-[:HOLDS]->(o) RETURN c.uid, o.uid "
                        "ORDER BY o.uid") == [["Acme", "D1"], ["Acme", "D2"],
                                              ["Initech", "D3"], ["Acme", "D4"]]
    assert report.total("created") == report.total("updated") == 0
    assert report.labels["Customer"].unchanged == 2 and report.types["HOLDS"].unchanged == 4


def test_repeats_in_later_chunks_are_the_same_record(store, tmp_path, monkeypatch):
    monkeypatch.setattr("erm_graph.loaders.mapping.reader.CHUNK_ROWS", 2)
    write_csv(tmp_path, "teams.csv", [["agent", "office"], *(
        [f"A{n}", ("Central", "East")[n % 2]] for n in range(7))])
    offices = {"file": "teams.csv", "label": "Department", "key": {"column": "office"},
               "properties": {"name": {"column": "office"}}}
    report = load(store, write_mapping(tmp_path, {"tables": [offices]}))
    assert report.rejected == [] and report.labels["Department"].created == 2


@pytest.mark.parametrize(("key_hash", "array_keys"), [(hash, 50_000), (hash, 0), (len, 0),
                                                     (lambda uid: 0, 0), (hash, 4)],
                         ids=["dict", "arrays", "by-length", "all-one", "dict-then-arrays"])
def test_keys_of_earlier_chunks_are_found_exactly(store, tmp_path, monkeypatch, key_hash,
                                                 array_keys):
    """A key is found again, in the dict of a few keys or by its hash in the arrays of many
    (told from another key of the same hash by its text): with hashes that collide for many
    or all keys, every distinct key makes its node, a repeat in a later chunk is the same
    record or rejected naming its first row, and one within a chunk too."""
    monkeypatch.setattr("erm_graph.loaders.mapping.reader.CHUNK_ROWS", 3)
    monkeypatch.setattr("erm_graph.seen_keys.KEY_HASH", key_hash)
    monkeypatch.setattr("erm_graph.seen_keys.ARRAY_KEYS", array_keys)
    rows = [["E1", "Jane"], ["E2", "Raj"], ["E3", "Mo"],  # chunk 1
            ["E4", "Li"], ["E2", "Raj"], ["E12", "Ann"],  # E2 again, the same: one record
            ["E3", "Max"], ["E5", "Ute"], ["E5", "Ute"],  # E3 with another name; E5 twice
            ["E12", "Ann"], ["E6", "Kim"], ["E6", "Kai"]]  # E6 twice, differing, in a chunk
    write_csv(tmp_path, "employees.csv", [["ID", "Name"], *rows])
    mapping = write_mapping(tmp_path, {"tables": [EMPLOYEES]})
    report = load(store, mapping, on_error="skip")
    assert [(p.where, p.got, p.expected) for p in report.rejected] == [
        ("mapping:employees.csv#8", "e-E3", "unique in the load: mapping:employees.csv#4 "
         "has the same uid with other values"),
        ("mapping:employees.csv#13", "e-E6", "unique in the load: mapping:employees.csv#12 "
         "has the same uid with other values")]
    assert value(store, "MATCH (e:Employee) RETURN e.uid, e.name, e.source ORDER BY e.uid") == [
        ["e-E1", "Jane", "mapping:employees.csv#2"], ["e-E12", "Ann", "mapping:employees.csv#7"],
        ["e-E2", "Raj", "mapping:employees.csv#3"], ["e-E3", "Mo", "mapping:employees.csv#4"],
        ["e-E4", "Li", "mapping:employees.csv#5"], ["e-E5", "Ute", "mapping:employees.csv#9"],
        ["e-E6", "Kim", "mapping:employees.csv#12"]]


@pytest.mark.parametrize("strings", [True, False], ids=["strings", "hashes"])
@pytest.mark.parametrize(("run_keys", "index_limit"), [(1 << 19, 2**31 - 1), (64, 2**31 - 1),
                                                      (64, 1000)],
                         ids=["uncapped", "capped", "capped-64-bit-indexes"])
def test_seen_keys_stay_in_few_runs_and_find_every_key_exactly(monkeypatch, run_keys,
                                                              index_limit, strings):
    """Many chunks of keys: each key is found at its first row and an unseen one is not,
    while the sorted runs stay as few as a binary counter's digits (a run per chunk, or one
    array re-sorted per chunk, would cost the square of the file's chunks); with runs capped
    (a merge's copies bounded), no run passes the cap and full runs are at least half full.
    Indexes past the 32-bit limit (lowered) are found as exactly, in runs of their own or
    merged with 32-bit ones; with the keys kept as two hashes as with their strings."""
    import random

    from erm_graph import seen_keys

    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", 0)
    monkeypatch.setattr(seen_keys, "INDEX_LIMIT", index_limit)
    monkeypatch.setattr(seen_keys, "RUN_KEYS", run_keys)
    monkeypatch.setattr(seen_keys, "KEY_HASH", lambda uid: hash(uid) % 1000)  # collisions
    rng = random.Random(5)
    seen, first, expected = seen_keys.SeenKeys(strings), 0, {}
    for chunk in range(1000):
        uids = [f"k{chunk}-{i}" for i in range(rng.randint(1, 9))]
        seen.add(uids, first)
        expected.update(zip(uids, range(first, first + len(uids)), strict=True))
        first += len(uids)
        sizes = [len(hashes) for hashes, _ in seen.runs]
        assert max(sizes) <= max(run_keys, 9), chunk
        full = [n for n in sizes if 2 * n > run_keys]
        assert len(sizes) - len(full) <= (chunk + 1).bit_length() + 1, chunk
        assert len(full) <= 2 * first // run_keys + 1, chunk
    sample = rng.sample(sorted(expected), 300)
    assert seen.find(sample) == [expected[u] for u in sample]
    wide = {str(at.dtype) for _, at in seen.runs}
    assert wide == ({"int32", "int64"} if index_limit < first else {"int32"})
    found = seen.find(["k0-0", "nowhere", "k999-0"])
    assert found is not None and found[1] == -1 and found[0] == 0


# -- constants on relationships, aliases to an empty value -------------------------------------
def test_relationships_take_constant_properties(store, folder):
    write_csv(folder, "parents.csv", [["ID", "Parent"], ["P2", "P1"]])
    subsidiaries = {"file": "parents.csv", "type": "RELATES_TO",
                    "start": {"label": "Party", "column": "ID", "prefix": "p-"},
                    "end": {"label": "Party", "column": "Parent", "prefix": "p-"},
                    "set": {"kind": "subsidiary"}}
    employees = {**EMPLOYEES, "relationships": [
        {"type": "KNOWS", "label": "Party", "column": "Knows", "prefix": "p-",
         "set": {"evidence": "crm"}, "properties": {"strength": {"column": "S",
                                                                  "type": "float"}}}]}
    write_csv(folder, "employees.csv", [["ID", "Name", "Knows", "S"], ["E1", "Jane", "P1", ""],
                                        ["E2", "Raj", "P3", "0.5"]])
    mapping = write_mapping(folder, {"tables": [PARTIES, employees],
                                     "relationships": [subsidiaries]})
    assert load(store, mapping).rejected == []
    assert rel_props(store, "RELATES_TO") == [["p-P2", "p-P1", {"kind": "subsidiary"}]]
    assert rel_props(store, "KNOWS") == [["e-E1", "p-P1", {"evidence": "crm"}],
                                         ["e-E2", "p-P3", {"evidence": "crm", "strength": 0.5}]]


def test_an_alias_to_an_empty_value_is_an_empty_cell_everywhere(store, tmp_path):
    empty = {"n/a": "", "none": ""}
    write_csv(tmp_path, "people.csv", [
        ["ID", "Kind", "Name", "Tier", "Segment", "Manager"],
        ["A", "n/a", "Acme", "n/a", "none", "n/a"],
        ["B", "", "Initech", "", "", ""]])
    write_csv(tmp_path, "staff.csv", [["ID", "Name"], ["M", "Mara"]])
    write_csv(tmp_path, "links.csv", [["From", "To"], ["A", "n/a"]])
    people = {"file": "people.csv", "label": "Party", "key": {"column": "ID"},
              "label_column": {"column": "Kind", "aliases": empty},
              "properties": {"name": {"column": "Name"},
                             "tier": {"column": "Tier", "type": "int", "aliases": empty},
                             "segment": {"column": "Segment", "aliases": empty,
                                         "default": "smb"}},
              "relationships": [{"type": "MANAGES", "label": "Employee", "column": "Manager",
                                 "direction": "in", "aliases": empty}]}
    staff = {"file": "staff.csv", "label": "Employee", "key": {"column": "ID"},
             "properties": {"name": {"column": "Name"}}}
    links = {"file": "links.csv", "type": "RELATES_TO",
             "start": {"label": "Party", "column": "From"},
             "end": {"label": "Party", "column": "To", "aliases": empty}}
    report = load(store, write_mapping(tmp_path, {"tables": [people, staff],
                                                  "relationships": [links]}), on_error="skip")
    assert [str(p) for p in report.rejected] == [
        "mapping:links.csv#2: field 'To': expected the key of the end node (Party), "
        "got 'n/a'"]
    assert value(store, "MATCH (p:Party) RETURN p.uid, labels(p), properties(p).tier, "
                        "p.segment ORDER BY p.uid") == [["A", ["Party"], None, "smb"],
                                                        ["B", ["Party"], None, "smb"]]
    assert value(store, "MATCH ()-[r]->() RETURN count(r)") == [[0]]


# -- property names the model does not know ----------------------------------------------------
@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["tables"][0]["properties"].update(indsutry={"column": "Industry"}),
     "field 'tables/0/properties/indsutry': expected a property of Party (did you mean "
     "'industry'? Party has address, country, created_at, email, industry, name, phone, "
     "segment, since, source, tier, uid, updated_at, website; the enterprise's model "
     "extension may declare more), got 'indsutry'"),
    (lambda d: d["tables"][0].update(set={"Tier": 1}),
     "field 'tables/0/set/Tier': expected a property of Party (did you mean 'tier'?"),
    (lambda d: d["relationships"][0].update(set={"role": "x"}),
     "field 'relationships/0/set/role': expected a property of WORKS_FOR (WORKS_FOR has no "
     "properties;"),
    (lambda d: d["tables"].append({**EMPLOYEES, "relationships": [
        {"type": "KNOWS", "label": "Party", "column": "K",
         "properties": {"strenght": "S"}, "set": {"evidense": "x"}}]}),
     "field 'tables/1/relationships/0/properties/strenght': expected a property of KNOWS "
     "(did you mean 'strength'? KNOWS has evidence, strength, strength_series;"),
    (lambda d: d["tables"].append({**EMPLOYEES, "relationships": [
        {"type": "KNOWS", "label": "Party", "column": "K", "set": {"evidense": "x"}}]}),
     "field 'tables/1/relationships/0/set/evidense': expected a property of KNOWS (did you "
     "mean 'evidence'?"),
])
def test_a_property_the_model_does_not_know_is_refused_with_the_closest(tmp_path, change,
                                                                        expected):
    doc = yaml.safe_load(yaml.safe_dump({"tables": [PARTIES], "relationships": [WORKS_FOR]}))
    change(doc)
    text = problems_of(tmp_path, doc)
    assert f"mapping {tmp_path / 'mapping.yaml'}: {expected}" in text, text


# -- what a stopped load reports -----------------------------------------------------------------
def test_a_stopped_load_groups_its_problems_by_cause_and_counts_rows(store, tmp_path):
    """25 bad amounts used to fill the 20 lines shown: the one missing account behind them
    went unseen. Each cause now shows its count and its first rows."""
    rows = [["ID", "Amount", "Stage", "Account"]]
    rows += [[f"O{n}", "12 dollars", "won", "A1"] for n in range(25)]
    rows += [["X1", "$5", "won", "A9"], ["X2", "-5", "bogus", "A1"]]
    write_csv(tmp_path, "deals.csv", rows)
    write_csv(tmp_path, "accounts.csv", [["ID", "Name"], ["A1", "Acme"]])
    deals = {"file": "deals.csv", "label": "Opportunity", "key": {"column": "ID"},
             "set": {"name": "deal"},
             "properties": {"amount": {"column": "Amount", "type": "money"},
                            "stage": {"column": "Stage"}},
             "relationships": [{"type": "HOLDS", "label": "Customer", "column": "Account",
                                "direction": "in"}]}
    accounts = {"file": "accounts.csv", "label": "Customer", "key": {"column": "ID"},
                "properties": {"name": {"column": "Name"}}}
    mapping = write_mapping(tmp_path, {"tables": [accounts, deals]})
    with pytest.raises(ValidationError) as caught:
        load(store, mapping)
    lines = str(caught.value).splitlines()
    # 25 rows, X1's relationship, X2 (a bad stage and amount) and so its relationship too
    assert lines[0] == "28 record(s) do not fit the model (29 problem(s)):"
    causes = [line for line in lines if line.startswith("  field")]
    assert causes[0].startswith("  field 'Amount'")  # in the order each was first found
    assert sorted(causes) == sorted([
        "  field 'Amount': expected an amount such as $1,100.04 (25 record(s)):",
        "  field 'stage': expected one of lead, qualified, proposal, won, lost (1 record(s)):",
        "  field 'amount': expected number >= 0 (1 record(s)):",
        "  field 'start': expected the uid of a Customer in this load or in the database "
        "(1 record(s)):",
        "  field 'end': expected the uid of a Opportunity in this load or in the database "
        "(1 record(s)):"])
    assert "    - mapping:deals.csv#27: field 'start': expected the uid of a Customer in this " \
           "load or in the database, got 'A9'" in lines
    assert "    ... and 21 more" in lines  # 25 bad amounts: the first 4 (20 shared by 5)
    report = load(store, mapping, on_error="skip")
    assert report.rejected_counts == {"Opportunity": 26, "HOLDS": 2}  # X2: one row
    assert len(report.rejected) == 29


# -- read once per load --------------------------------------------------------------------------
def test_a_load_of_many_files_reads_their_mapping_once_and_a_changed_one_again(
        store, folder, monkeypatch):
    """``--mapping`` over a folder: each of its files is a source, and each used to read and
    check the mapping again (the demo export's 94 files spent most of their load in YAML).
    The same options read a mapping again once the file changes."""
    from erm_graph.ingest import LoadOptions, prepare
    from erm_graph.loaders.mapping import document

    parsed = []
    real = document.load_yaml
    monkeypatch.setattr(document, "load_yaml", lambda *a: parsed.append(a) or real(*a))
    mapping = write_mapping(folder, {"tables": [PARTIES, EMPLOYEES]})
    options = LoadOptions(mapping=mapping)
    files = [folder / "parties.csv", folder / "employees.csv"]
    first = prepare(store, files, options=options)
    assert len(parsed) == 1 and first.rejects == []
    write_mapping(folder, {"tables": [PARTIES, {
        **EMPLOYEES, "key": {"column": "ID", "prefix": "emp-"}}]})
    again = prepare(store, files, options=options, streaming=False)  # its records kept
    assert len(parsed) == 2
    assert sorted(r["uid"] for r in again.batch.nodes["Employee"]) == ["emp-E1", "emp-E2"]
