"""Records (rows held as columns) must be indistinguishable from the lists of dicts they
replace, for every piece of the load that reads them: the checks, the dangling-end check,
the writer's payloads, and the code that changes records in place."""

from __future__ import annotations

import json
import pickle
import random
from array import array
from datetime import date

import pytest

from erm_graph import model
from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.load import prepare
from erm_graph.ingest.writer import dangling_rows
from erm_graph.records import (
    Coded,
    Hex64,
    Numbered,
    Pairs,
    Records,
    assign,
    column,
    distinct_pairs,
    names,
    pick,
)
from erm_graph.store.falkordb_store import params_header
from erm_graph.store.upsert import Payload, cannot_exist, property_names


def shown(problems: list) -> list[dict]:
    return [p.as_dict() for p in problems]


def sparse_rows(n: int, seed: int) -> list[dict]:
    """Customer rows with blank (absent) values here and there, and a bad value or two."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {"uid": f"c-{i % (n - 2) if i > n - 3 else i}", "source": f"t.csv#{i + 2}",
               model.FINGERPRINT: f"{i:016x}"}
        if rng.random() < 0.7:
            row["name"] = rng.choice(["Acme", "Globex", "", "Initech"])
        if rng.random() < 0.5:
            row["segment"] = rng.choice(["enterprise", "smb", "nonsense"])
        if rng.random() < 0.3:
            row["since"] = date(2020, 1, 1 + i % 28)
        if rng.random() < 0.1:
            row["annual_revenue"] = rng.choice([1.5, -3, "lots"])
        rows.append(row)
    return rows


def compact_records(rows: list[dict], chunk: int) -> Records:
    """``sparse_rows`` as the mapping loader holds them: added ``chunk`` rows at a time, the
    origins and fingerprints as compact columns, the other properties as lists."""
    made = Records()
    for first in range(0, len(rows), chunk):
        part = rows[first:first + chunk]
        columns: dict = {name: [row.get(name) for row in part]
                         for name in set().union(*part) - {"source", model.FINGERPRINT}}
        columns["source"] = Numbered("t.csv#", [int(r["source"].split("#")[1]) for r in part])
        columns[model.FINGERPRINT] = Hex64([int(r[model.FINGERPRINT], 16) for r in part])
        made.extend_columns(columns, len(part))
    return made


def test_compact_columns_read_as_the_texts_they_stand_for():
    texts = ["t.csv#2", "t.csv#3", "t.csv#10", "t.csv#3"]
    places = Numbered("t.csv#", [2, 3, 10, 3])
    prints = Hex64([0, 0xFFFF_FFFF_FFFF_FFFF, 0xAB, 2**63])
    hexes = ["0" * 16, "f" * 16, "00000000000000ab", "8" + "0" * 15]
    for compact, plain in ((places, texts), (prints, hexes)):
        assert len(compact) == len(plain) and list(compact) == plain and compact == plain
        assert [compact[i] for i in range(-4, 4)] == [plain[i] for i in range(-4, 4)]
        assert list(compact[1:3]) == plain[1:3] and type(compact[::2]) is type(compact)
        assert list(compact.pick([3, 0])) == list(pick(plain, [3, 0])) == [plain[3], plain[0]]
        assert pickle.loads(pickle.dumps(compact)) == compact  # a worker sends them back
        copy = compact.copy()
        copy.numbers.append(1)
        assert len(compact) == 4  # a copy is its own
        for value in (*plain, None, "", 3, "t.csv#4", "x" * 16):
            assert (value in compact) == (value in plain)
            assert compact.count(value) == plain.count(value)
    # texts the column would not make from a number are not in it
    for other in ("t.csv#03", "t.csv#+3", "t.csv#٣", "t.csv# 3", "u.csv#3", "t.csv#" + "9" * 5000):
        assert other not in places and places.count(other) == 0
    for other in ("F" * 16, "0x000000000000ab", "0000_00000000_ab", " 00000000000000ab"):
        assert other not in prints and prints.count(other) == 0
    assert list(places.prefixed("mapping:")) == [f"mapping:{t}" for t in texts]
    assert places != Numbered("u.csv#", [2, 3, 10, 3]) and places != prints


@pytest.mark.parametrize("numbers", [[], [0], [0, 0xFFFF_FFFF_FFFF_FFFF, 0xAB, 2**63]])
def test_fingerprints_go_to_the_engine_as_the_json_of_their_texts(numbers):
    prints = Hex64(numbers)
    assert json.loads(prints.json()) == list(prints)
    # the store's question which rows are stale sends the column as it is
    assert params_header({"uids": ["a"] * len(numbers), "hashes": prints}) == \
        params_header({"uids": ["a"] * len(numbers), "hashes": list(prints)})


@pytest.mark.parametrize("chunk", [1, 7, 40])
def test_records_with_compact_columns_are_the_dicts_they_stand_for(chunk):
    rows = sparse_rows(40, chunk)
    records = compact_records(rows, chunk)
    assert type(records.columns["source"]) is Numbered  # kept compact as chunks were added
    assert type(records.columns[model.FINGERPRINT]) is Hex64
    assert_read_as(records, rows)
    records.extend_columns({"uid": ["c-x"], "source": ["elsewhere#1"]}, 1)  # another kind
    rows.append({"uid": "c-x", "source": "elsewhere#1"})
    assert type(records.columns["source"]) is list and type(
        records.columns[model.FINGERPRINT]) is list  # a None added to it
    assert list(records) == rows
    fresh = sparse_rows(9, 3)
    more = compact_records(fresh, 4)
    for target in (fresh, more):
        assign(target, 1, model.FINGERPRINT, None)
        assign(target, 2, "source", "moved#1")
    assert type(more.columns["source"]) is list and list(more) == fresh
    records.extend(more)
    rows.extend(fresh)
    assert list(records) == rows and records == rows
    single = compact_records(sparse_rows(5, 2), 5)
    single.append({"uid": "c-y", "source": "t.csv#99"})
    assert single[-1] == {"uid": "c-y", "source": "t.csv#99"} and len(single) == 6


@pytest.mark.parametrize("seed", range(6))
def test_every_reader_sees_records_as_the_dicts_they_hold(seed):
    rows = sparse_rows(40, seed)
    assert_read_as(Records.of(rows), rows)


def assert_read_as(records: Records, rows: list[dict]) -> None:
    """Every reader of a load's records finds in ``records`` what it finds in ``rows``."""
    assert len(records) == len(rows) and list(records) == rows and records == rows
    assert [records[i] for i in range(len(rows))] == rows and records[-1] == rows[-1]
    assert list(records[5:17:3]) == rows[5:17:3] and len(records[5:17:3]) == 4
    assert names(records) == names(rows) == set().union(*rows)
    for name in ("uid", "name", "since", "nowhere"):
        assert column(records, name) == column(rows, name)
    found = shown(model.node_problems("Customer", records))
    assert found == shown(model.node_problems("Customer", rows))
    assert any("unique" in p["expected"] for p in found)  # the uid that comes twice
    assert property_names(records) == property_names(rows)
    declared = {**model.COMMON_PROPS, **model.label("Customer").props}
    for part in (slice(0, 40), slice(3, 11)):
        assert Payload.of(records[part], ("uid",), declared, label="Customer") == \
            Payload.of(rows[part], ("uid",), declared, label="Customer")


def test_relationship_records_read_as_their_dicts():
    rows = [{"start": f"ix-{i}", "end": f"c-{i % 3}", model.WHERE: f"t.csv#{i}"}
            for i in range(12)] + [{"start": "ix-0", "end": "c-0", model.WHERE: "t.csv#99"}]
    records = Records.of(rows)
    rows[4]["end"] = ""  # no end: a problem
    records = Records.of(rows)
    found = shown(model.relationship_problems("HAD", "Customer", "Interaction", records))
    assert found == shown(model.relationship_problems("HAD", "Customer", "Interaction", rows))
    assert [p["field"] for p in found] == ["end"]
    assert Payload.of(records, ("start", "end"), {}) == Payload.of(rows, ("start", "end"), {})
    for fresh in (True, False):
        pairs, rest = cannot_exist(records, fresh, {"ix-1": 5}, {})
        as_dicts = cannot_exist(rows, fresh, {"ix-1": 5}, {})
        assert (list(pairs), rest) == (list(as_dicts[0]), as_dicts[1])
        assert len(pairs) == len(set(pairs)) == (12 if fresh else 1)  # ix-0 -> c-0 once


def test_changes_in_place_reach_records_and_dicts_alike():
    rows = sparse_rows(10, 1)
    records = Records.of([dict(r) for r in rows])
    for target in (rows, records):
        assign(target, 2, "name", "Renamed")
        assign(target, 3, model.FINGERPRINT, None)  # None removes the property
        assign(target, 4, "brand_new", 7)
    assert list(records) == rows
    assert model.FINGERPRINT not in records[3] and records[2]["name"] == "Renamed"
    changed = records[0]
    changed["name"] = "lost"  # a dict read from records is a copy
    assert records[0] != changed


def test_records_grow_from_dicts_columns_and_records_with_names_missing_on_either_side():
    grown = Records()
    grown.append({"uid": "a", "x": 1})
    grown.extend_columns({"uid": ["b", "c"], "y": [None, 2]}, 2)
    grown.extend([{"uid": "d"}, {}])
    grown.extend(Records.of([{"uid": "e", "z": "z"}]))
    assert list(grown) == [{"uid": "a", "x": 1}, {"uid": "b"}, {"uid": "c", "y": 2},
                           {"uid": "d"}, {}, {"uid": "e", "z": "z"}]
    assert {len(values) for values in grown.columns.values()} == {len(grown)}
    assert list(Records.of([{}, {}])) == [{}, {}]
    assert pickle.loads(pickle.dumps(grown)) == grown  # a worker process sends them back
    with pytest.raises(IndexError):
        grown[6]


def test_a_batch_of_records_finds_dangling_ends_as_one_of_dicts(store):
    def batch(as_records: bool) -> GraphBatch:
        made = GraphBatch()
        made.add_node("Customer", {"uid": "c-1", "name": "Acme"})
        nodes = [{"uid": f"ix-rec-{i}", "source": f"t#{i}"} for i in range(5)]
        rels = [{"start": "cust-nowhere" if i == 3 else "c-1", "end": f"ix-rec-{i}",
                 model.WHERE: f"t#{i}"} for i in range(5)]
        made.nodes["Interaction"] = Records.of(nodes) if as_records else nodes
        key = ("HAD", "Customer", "Interaction")
        made.relationships[key] = Records.of(rels) if as_records else rels
        return made

    found = dangling_rows(store, batch(True))
    assert [(index, problem.got) for _, index, problem in found] == [(3, "cust-nowhere")]
    as_dicts = dangling_rows(store, batch(False))
    assert shown([p for *_, p in found]) == shown([p for *_, p in as_dicts])


@pytest.mark.parametrize(("key_hash", "array_keys"), [(hash, 50_000), (hash, 0),
                                                      (lambda uid: len(uid) % 2, 0),
                                                      (lambda uid: 0, 0)],
                         ids=["dict", "arrays", "two-hashes", "one-hash"])
def test_dangling_ends_are_found_exactly_whatever_the_hashes(store, monkeypatch, key_hash,
                                                             array_keys):
    """The batch's nodes are told by their uids' hashes: an end missing everywhere whose hash
    is a batch node's must still dangle, and an end that is a batch node or a stored node must
    not, in a coded column (its distinct values) as in a list."""
    from erm_graph import seen_keys

    monkeypatch.setattr(seen_keys, "KEY_HASH", key_hash)
    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", array_keys)
    stored = GraphBatch()
    stored.add_node("Customer", {"uid": "c-stored", "name": "Stored"})
    from erm_graph.ingest.writer import write_batch

    write_batch(store, stored)
    made = GraphBatch()
    made.nodes["Interaction"] = Records.of([{"uid": f"ix-{i}", "source": f"t#{i}"}
                                            for i in range(8)])
    made.add_node("Customer", {"uid": "c-1", "name": "Acme"})
    customers = ["c-1", "c-stored", "c-2", "c-1", "c-stored", "c-2", "c-33", "c-1"]
    ends = ["ix-0", "ix-1", "ix-99", "ix-3", "ix-4", "ix-5", "ix-6", "iy-7"]
    coded = Coded(["c-1", "c-stored", "c-2", "c-33", "c-unused"],
                  array("H", [["c-1", "c-stored", "c-2", "c-33"].index(c) for c in customers]))
    made.relationships[("HAD", "Customer", "Interaction")] = Records.of(
        [{"start": c, "end": e, model.WHERE: f"t#{i}"}
         for i, (c, e) in enumerate(zip(customers, ends, strict=True))])
    made.relationships[("HAD", "Customer", "Interaction")].columns["start"] = coded
    found = dangling_rows(store, made)
    assert [(index, problem.field, problem.got) for _, index, problem in found] == [
        (2, "start", "c-2"), (2, "end", "ix-99"), (5, "start", "c-2"), (6, "start", "c-33"),
        (7, "end", "iy-7")]


def test_a_table_with_blank_cells_constants_and_bad_rows_loads_as_rows_did(store, tmp_path):
    """The mapping loader's columns, against what its rows say: each node's properties
    are those of its row's filled cells, a blank cell keeps the table's constant, and a
    row whose cell does not convert is left out of the nodes and rejected."""
    (tmp_path / "people.csv").write_text(
        "id,name,segment,since\n"
        "1,Ann,smb,2021-01-02\n"
        "2,Bo,,\n"
        "3,Cy,enterprise,not a date\n"
        "4,Di,,2022-03-04\n")
    (tmp_path / "people.yaml").write_text(
        "tables:\n"
        "  - file: people.csv\n"
        "    label: Customer\n"
        "    key: {column: id, prefix: rec-}\n"
        "    set: {segment: smb, country: NZ}\n"
        "    properties:\n"
        "      name: {column: name}\n"
        "      segment: {column: segment}\n"
        "      since: {column: since, type: date}\n")
    prepared = prepare(store, [tmp_path / "people.yaml"], on_error="skip", streaming=False)
    nodes = prepared.batch.nodes["Customer"]
    assert isinstance(nodes, Records)
    props = {row["uid"]: {k: v for k, v in row.items() if k in ("name", "segment", "since",
                                                                 "country")}
             for row in nodes}
    assert props == {
        "rec-1": {"name": "Ann", "segment": "smb", "since": "2021-01-02", "country": "NZ"},
        "rec-2": {"name": "Bo", "segment": "smb", "country": "NZ"},
        "rec-4": {"name": "Di", "segment": "smb", "since": "2022-03-04", "country": "NZ"}}
    assert [(r.problem.where.rsplit("#")[-1], r.problem.field) for r in prepared.rejects] == \
        [("4", "since")]
    # what a large table holds per row as numbers: each origin's line, each fingerprint
    assert type(nodes.column("source")) is Numbered and type(
        nodes.column(model.FINGERPRINT)) is Hex64
    assert list(nodes.column("source")) == [f"mapping:people.csv#{n}" for n in (2, 3, 5)]


@pytest.mark.parametrize("unique_side", ["start", "end", "neither"])
def test_distinct_pairs_read_from_columns_are_those_a_set_finds(unique_side):
    n = 50
    many = [f"u-{i}" for i in range(n)]
    few = [f"f-{i % 7}" for i in range(n)]
    starts, ends = (many, few) if unique_side == "start" else (few, many) \
        if unique_side == "end" else (few, [f"g-{i % 3}" for i in range(n)])
    pairs = distinct_pairs(starts, ends)
    expected = list(dict.fromkeys(zip(starts, ends, strict=True)))
    assert list(pairs) == expected and len(pairs) == len(expected)
    assert [p for i in range(0, len(pairs), 8) for p in pairs[i:i + 8]] == expected
    assert isinstance(pairs, Pairs) == (unique_side != "neither")
