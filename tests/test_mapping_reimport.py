"""Loading a mapping's files again: the rows the store holds as they are are counted unchanged
and never typed, the others are written, whether the rows come in one chunk or many and from
the csv module or the columnar reader; and a row's fingerprint is the hash it always was, so a
store loaded by an earlier version finds its rows unchanged."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from erm_graph import load
from erm_graph.ingest import columnar
from erm_graph.ingest.chunk_rows import ChunkRows
from erm_graph.ingest.contract import LoadOptions
from erm_graph.loaders.mapping.document import read_mapping
from erm_graph.loaders.mapping.node_table import NodeTable, key_rows
from erm_graph.records import Numbered

OFFICES = ["Central", "East", "North"]


def write_team(folder: Path, grades: dict[int, str] | None = None) -> Path:
    """12 agents over 3 offices (each office repeated on several rows), and the mapping."""
    grades = grades or {}
    with (folder / "team.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["agent", "office", "grade"])
        for i in range(12):
            out.writerow([f"Agent {i}", OFFICES[i % 3], grades.get(i, str(i % 4))])
    offices = {"file": "team.csv", "label": "Department",
               "key": {"column": "office", "prefix": "o-"},
               "properties": {"name": {"column": "office"}}}
    agents = {"file": "team.csv", "label": "Employee",
              "key": {"column": "agent", "prefix": "e-"},
              "properties": {"name": {"column": "agent"}, "role": {"column": "grade"}},
              "relationships": [{"type": "MEMBER_OF", "label": "Department",
                                 "column": "office", "prefix": "o-"}]}
    mapping = folder / "team.yaml"
    mapping.write_text(yaml.safe_dump({"tables": [offices, agents]}, sort_keys=False))
    return mapping


@pytest.mark.parametrize("chunk", [1000, 4, 1])
@pytest.mark.parametrize("arrow", [False, True])
def test_a_file_loaded_again_counts_what_it_holds_as_unchanged(store, tmp_path, monkeypatch,
                                                               chunk, arrow):
    monkeypatch.setattr("erm_graph.loaders.mapping.reader.CHUNK_ROWS", chunk)
    monkeypatch.setattr(columnar, "ENABLED", arrow)
    monkeypatch.setattr(columnar, "MIN_CHARS", 0)
    mapping = write_team(tmp_path)
    first = load(store, mapping)
    assert first.rejected == []
    assert {k: c.created for k, c in first.labels.items()} == {"Department": 3,
                                                                "Employee": 12}
    stored = store.run("MATCH (e:Employee) RETURN e.uid, e.content_hash ORDER BY e.uid").rows

    again = load(store, mapping)
    assert again.total("created") == again.total("updated") == 0
    assert {k: c.unchanged for k, c in again.labels.items()} == {"Department": 3,
                                                                  "Employee": 12}
    assert again.types["MEMBER_OF"].unchanged == 12
    assert again.rows == first.rows

    # two rows changed, in different chunks when the chunks are small (neither the first
    # of its office: a row's fingerprint covers all its cells, its office's node too)
    write_team(tmp_path, {5: "senior", 9: "junior"})
    changed = load(store, mapping)
    assert changed.rejected == []
    assert {k: (c.updated, c.unchanged) for k, c in changed.labels.items()} == {
        "Department": (0, 3), "Employee": (2, 10)}
    assert changed.types["MEMBER_OF"].unchanged == 12
    now = dict(store.run("MATCH (e:Employee) RETURN e.uid, e.content_hash").rows)
    assert sorted(uid for uid, before in stored if now[uid] != before) == ["e-Agent 5",
                                                                          "e-Agent 9"]
    assert store.run("MATCH (e:Employee) WHERE e.uid IN ['e-Agent 5', 'e-Agent 9'] "
                     "RETURN e.role ORDER BY e.uid").rows == [["senior"], ["junior"]]


def test_a_rows_fingerprint_is_the_hash_of_the_mapping_its_place_and_its_cells(tmp_path):
    """The bytes hashed stay ``digest \\x1e place \\x1e cells joined by \\x1f``: a store
    loaded before holds these hashes, and any other bytes would make every row changed."""
    mapping = write_team(tmp_path)
    doc = read_mapping(mapping, LoadOptions())
    table = NodeTable(doc, doc["tables"][1], tmp_path / "team.csv",
                      ["agent", "office", "grade"], {}, "team.csv#")
    places = Numbered("team.csv#", [2, 3, 4, 5])
    assert list(places) == ["team.csv#2", "team.csv#3", "team.csv#4", "team.csv#5"]
    cells = [("Agent 0", "Central", "0"), ("Zoë", "Zürich", ""), ("", "", ""),
             ("a\x1fb", "c\x1ed", "€ 5")]

    def expected(where: str, row: tuple[str, ...]) -> str:
        data = f"{table.digest}\x1e{where}\x1e{chr(0x1f).join(row)}".encode()
        return hashlib.blake2b(data, digest_size=8).hexdigest()

    assert table.fingerprints(places, cells) == [expected(*pair) for pair in
                                                 zip(places, cells, strict=True)]
    elsewhere = Numbered("other.csv#", [7, 8, 9, 10])  # not the table's own prefix
    assert table.fingerprints(elsewhere, cells) == [expected(*pair) for pair in
                                                    zip(elsewhere, cells, strict=True)]
    keyed, rejects, _ = key_rows(table, places, cells)
    assert keyed.uids == ["e-Agent 0", "e-Zoë", "e-a\x1fb"]  # the row without a key is out
    assert keyed.prints == [expected(places[i], cells[i]) for i in (0, 1, 3)]
    assert [(r.problem.where, r.problem.field) for r in rejects] == [
        ("mapping:team.csv#4", "agent")]

    # the columnar reader's chunks hold the same rows as columns: the same fingerprints
    by_column = ChunkRows([list(column) for column in zip(*cells, strict=True)], len(cells))
    assert table.fingerprints(places, by_column) == table.fingerprints(places, cells)
    again = NodeTable(doc, doc["tables"][1], tmp_path / "team.csv",
                      ["agent", "office", "grade"], {}, "team.csv#")
    keyed_too, rejects_too, _ = key_rows(again, places, by_column)
    assert (keyed_too.uids, keyed_too.prints, list(keyed_too.cells)) == (
        keyed.uids, keyed.prints, [tuple(row) for row in keyed.cells])
    assert [(r.problem.where, r.problem.field, r.problem.expected, r.record) for r in rejects_too
            ] == [(r.problem.where, r.problem.field, r.problem.expected, r.record) for r in rejects]
    assert list(again.firsts[0]) == list(table.firsts[0])  # the repeats' hashes alike


@pytest.mark.parametrize("chunk", [1000, 3])
@pytest.mark.parametrize("arrow", [False, True])
def test_unchanged_relationships_are_counted_as_the_first_load_made_them(
        store, tmp_path, monkeypatch, chunk, arrow):
    """A blank cell makes no relationship, a split cell one per part: a re-import counts as
    unchanged what the first load created, without making the relationships."""
    monkeypatch.setattr("erm_graph.loaders.mapping.reader.CHUNK_ROWS", chunk)
    monkeypatch.setattr(columnar, "ENABLED", arrow)
    monkeypatch.setattr(columnar, "MIN_CHARS", 0)
    offices = ["Central", "", "East", " ", "Central", "North"] * 2
    managers = ["Agent 1;Agent 2", "", "Agent 3", " ", "Agent 1; Agent 3", "Agent 2"] * 2
    with (tmp_path / "team.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["agent", "office", "managers"])
        out.writerows([f"Agent {i}", office, boss]
                      for i, (office, boss) in enumerate(zip(offices, managers, strict=True)))
    departments = {"file": "team.csv", "label": "Department",
                   "key": {"column": "office", "prefix": "o-"},
                   "properties": {"name": {"column": "office"}}}
    agents = {"file": "team.csv", "label": "Employee",
              "key": {"column": "agent", "prefix": "e-"},
              "properties": {"name": {"column": "agent"}},
              "relationships": [
                  {"type": "MEMBER_OF", "label": "Department", "column": "office",
                   "prefix": "o-"},
                  {"type": "REPORTS_TO", "label": "Employee", "column": "managers",
                   "prefix": "e-", "split": ";"}]}
    mapping = tmp_path / "team.yaml"
    mapping.write_text(yaml.safe_dump({"tables": [departments, agents]}, sort_keys=False))
    first = load(store, mapping, on_error="skip")
    made = {k: c.created for k, c in first.types.items()}
    assert made == {"MEMBER_OF": 8, "REPORTS_TO": 12}  # a blank cell makes none
    again = load(store, mapping, on_error="skip")
    assert again.total("created") == again.total("updated") == 0, again.as_dict()
    assert {k: c.unchanged for k, c in again.types.items()} == made


def test_a_content_hash_is_the_digest_stored_hashes_were_made_with():
    """Records without a loader's fingerprint (the demo's, a flowchart's) are told unchanged
    by this digest: it must stay the hash of the same text, whatever makes it faster."""
    from datetime import date

    from erm_graph.store.base import content_hash

    for props in ({"label": "Customer", "properties": {"name": "Zoë", "n": 3, "x": 1.5}},
                  {"b": [1, "two", None], "a": {"nested": True}, "when": date(2024, 3, 2)},
                  {}, {"text": "a\x1fb\n\"quoted\""}):
        text = json.dumps(props, sort_keys=True, separators=(",", ":"), default=str)
        assert content_hash(props) == hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def test_a_table_without_relationships_keeps_no_hash_of_relationship_cells(tmp_path):
    """A table without relationships keeps per key the hash of its node's cells and its first
    row, not a hash of relationship cells it has none of; its repeated keys are still the
    same record (left out) or rejected naming the first row, across chunks. A table with
    relationships keeps one per key, and a repeat naming another end relates it."""
    mapping = write_team(tmp_path)
    doc = read_mapping(mapping, LoadOptions())
    names = ["agent", "office", "grade"]
    offices, agents = (NodeTable(doc, doc["tables"][i], tmp_path / "team.csv", names, {},
                                 "team.csv#") for i in (0, 1))
    chunks = [(Numbered("team.csv#", [2, 3]), [("A0", "Central", "0"), ("A1", "East", "1")]),
              (Numbered("team.csv#", [4, 5, 6, 7]), [
                  ("A2", "Central", "2"), ("A3", "East ", "3"), ("A4", "North", "0"),
                  ("A0", "North", "0")])]
    found = []
    for places, cells in chunks:
        for table in (offices, agents):
            keyed, rejects, repeats = key_rows(table, places, cells)
            found.append((keyed.uids, [r.problem.where for r in rejects],
                          [(line, uid) for line, _, uid, _ in repeats]))
    assert found == [
        (["o-Central", "o-East"], [], []), (["e-A0", "e-A1"], [], []),
        (["o-North"], ["mapping:team.csv#5"], []),  # "East " is another name for o-East
        (["e-A2", "e-A3", "e-A4"], [], [(7, "e-A0")])]  # A0 again, in another office
    assert len(offices.firsts[0]) == len(offices.firsts[1]) == 3 and not offices.firsts[2]
    assert len(agents.firsts[0]) == len(agents.firsts[2]) == 5


def test_first_rows_past_32_bit_lines_are_kept_exactly(tmp_path):
    """A key's first row is kept by its line as a 32-bit number while it fits: a line past
    that range widens them all, and a repeat with other values still names its first row,
    before the widening and after it."""
    mapping = write_team(tmp_path)
    doc = read_mapping(mapping, LoadOptions())
    table = NodeTable(doc, doc["tables"][1], tmp_path / "team.csv",
                      ["agent", "office", "grade"], {}, "team.csv#")
    far = 2**31 + 5
    chunks = [(Numbered("team.csv#", [2, 3]), [("A0", "Central", "0"), ("A1", "East", "1")]),
              (Numbered("team.csv#", [far, far + 1]), [("A2", "North", "2"), ("A0", "West", "9")]),
              (Numbered("team.csv#", [far + 2]), [("A2", "South", "7")])]
    found = []
    for places, cells in chunks:
        keyed, rejects, _ = key_rows(table, places, cells)
        found.append((keyed.uids, [(r.problem.where, r.problem.expected) for r in rejects]))
    assert table.firsts[1].numbers.typecode == "q"
    assert list(table.firsts[1]) == ["mapping:team.csv#2", "mapping:team.csv#3",
                                     f"mapping:team.csv#{far}"]
    same = "unique in the load: {} has the same uid with other values"
    assert found == [
        (["e-A0", "e-A1"], []),
        (["e-A2"], [(f"mapping:team.csv#{far + 1}", same.format("mapping:team.csv#2"))]),
        ([], [(f"mapping:team.csv#{far + 2}", same.format(f"mapping:team.csv#{far}"))])]
