"""Typed columns held compactly (`Numbers`, `Coded`) must read as the lists of values they
replace, in type and value, for every reader of a load's records, and a mapping load that
holds them must store what it stores with plain lists."""

from __future__ import annotations

import copy
import math
import pickle
import random
from array import array
from pathlib import Path
from typing import cast

import pytest

from erm_graph import load, model
from erm_graph.ingest.load import prepare
from erm_graph.loaders.mapping import columns as mapping_columns
from erm_graph.loaders.mapping import node_table, reader
from erm_graph.loaders.mapping.columns import ColumnConverter
from erm_graph.loaders.mapping.values import to_float, to_int, to_money
from erm_graph.records import Coded, Numbers, Packed, Records, assign, pick
from erm_graph.store.upsert import Payload

NAN = float("nan")
FLOATS = [1.5, None, -0.0, 0.0, math.inf, -math.inf, NAN, 2.0, None, 5e-324, 1.7976931348623157e308]
INTS = [1, None, 0, -(2**63), 2**63 - 1, None, 42]


def same(got: object, want: object) -> bool:
    """The same value of the same type: -0.0 is not 0.0, and NaN is NaN."""
    return type(got) is type(want) and repr(got) == repr(want)


def same_all(got: list, want: list) -> bool:
    return len(got) == len(want) and all(map(same, got, want))


def coded(values: list, table: list | None = None) -> Coded:
    """``values`` as codes into ``table`` (added to), each value its own entry: True, 1 and
    1.0 are three."""
    table = [] if table is None else table
    codes = array("H")
    for value in values:
        at = next((i for i, known in enumerate(table) if same(value, known)), len(table))
        if at == len(table):
            table.append(value)
        codes.append(at)
    return Coded(table, codes)


def shown_rows(rows) -> list:
    return [sorted((k, type(v).__name__, repr(v)) for k, v in row.items()) for row in rows]


def held(values: list) -> Packed:
    """``values`` as a compact column: numbers when they can be, else codes."""
    found = Numbers.of(values)
    return found if found is not None else coded(values)


@pytest.mark.parametrize("plain", [FLOATS, INTS, ["call", None, "email", "call", True, 1, 1.0],
                                   [None, None], [2.5] * 3])
def test_compact_columns_read_as_the_values_they_stand_for(plain):
    column = held(plain)
    n = len(plain)
    assert len(column) == n and same_all(list(column), plain)
    assert same_all([column[i] for i in range(-n, n)], [plain[i] for i in range(-n, n)])
    for part in (slice(1, 4), slice(None, None, 2), slice(-3, None), slice(5, 2)):
        assert same_all(list(column[part]), plain[part]) and isinstance(column[part], Packed)
        assert all((value in column[part]) == (value in plain[part])
                   and column[part].count(value) == plain[part].count(value)
                   for value in (None, 0, 1, "call", 2.5, True))
    with pytest.raises(IndexError):
        column[n]
    indexes = [n - 1, 0, 1, 1]
    assert same_all(list(column.pick(indexes)), list(pick(plain, indexes)))
    assert same_all(list(pick(column, iter(indexes))), [plain[i] for i in indexes])
    assert same_all(list(pickle.loads(pickle.dumps(column))), plain)  # a worker sends them
    for made in (column.copy(), copy.copy(column), copy.deepcopy(column)):
        assert same_all(list(made), plain)
    for value in (*plain, None, 0, 0.0, -0.0, False, 1, "call", "x", 2**70, NAN):
        assert (value in column) == (value in [*plain]) or value != value  # NaN: identity
        assert column.count(value) == plain.count(value) or value != value
    if NAN not in plain:  # a NaN read back is another object, unequal as in a list
        assert column == plain and column == held(plain)
    assert column != [*plain, None] and column != plain[:-1]


def test_numbers_are_only_what_an_array_holds_exactly():
    assert Numbers.of([1.0, 2]) is None  # an int read back as a float would change type
    assert Numbers.of([True, False]) is None and Numbers.of([1, True]) is None
    assert Numbers.of([2**63]) is None and Numbers.of([-(2**63) - 1]) is None
    assert Numbers.of(["1.5"]) is None and Numbers.of([None, None]) is None

    class Amount(float):
        pass

    assert Numbers.of([Amount(1.0)]) is None
    assert list(Numbers.of([None, None], "d") or ()) == [None, None]
    assert [type(v) for v in Numbers.of([3, None, 4]) or ()] == [int, type(None), int]
    # an int column's filler (0 where a value is None) is no value
    ints = Numbers.of([None, 5])
    assert ints is not None and 0 not in ints and ints.count(0) == 0 and ints.count(None) == 1
    assert list(ints) == [None, 5]


def test_a_column_of_numbers_with_many_values_missing_reads_in_blocks():
    rng = random.Random(3)
    plain = [rng.choice([None, rng.uniform(-1, 1)]) for _ in range(10_000)]
    column = Numbers.of(plain)
    assert column is not None and column.missing is not None
    assert same_all(list(column), plain) and column.count(None) == plain.count(None)
    assert column == plain and None in column


def chunks_of(rows: list[dict], size: int, pack: bool) -> Records:
    """``rows`` added to records ``size`` at a time as the mapping loader adds a table's
    columns: each name's chunk compact where it can be (codes into one table per name,
    numbers), else a list."""
    tables: dict[str, list] = {}
    made = Records()
    for first in range(0, len(rows), size):
        part = rows[first:first + size]
        columns: dict = {}
        for name in sorted(set().union(*part)):
            values = [row.get(name) for row in part]
            numbers = Numbers.of(values) if pack else None
            if numbers is not None and first:  # codes first, then numbers: as a converter
                columns[name] = numbers
            elif pack:
                columns[name] = coded(values, tables.setdefault(name, []))
            else:
                columns[name] = values
        made.extend_columns(columns, len(part))
    return made


def interaction_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {"uid": f"ix-{i}", "kind": rng.choice(["call", "email"]),
               "at": f"2024-03-{1 + i % 28:02d}T10:00:00", "source": f"t.csv#{i + 2}"}
        if rng.random() < 0.8:
            row["amount"] = rng.choice([-0.0, 0.0, 12.5, float(i)])
        if rng.random() < 0.5:
            row["sentiment"] = rng.choice([0.5, -1.0, 2.0, math.inf])  # 2.0, inf: problems
        if rng.random() < 0.3:
            row["minutes"] = rng.choice([0, 7, 2**40])
        rows.append(row)
    return rows


@pytest.mark.parametrize("size", [1, 6, 50])
def test_records_with_compact_typed_columns_are_the_dicts_they_stand_for(size):
    rows = interaction_rows(50, size)
    records = chunks_of(rows, size, pack=True)
    kinds = {type(c) for c in records.columns.values()}
    assert Coded in kinds and (Numbers in kinds) == (size < 50)
    assert shown_rows(records) == shown_rows(rows) and records == rows
    assert all(same_all(list(records.column(name)), [r.get(name) for r in rows])
               for name in ("amount", "sentiment", "minutes", "kind"))
    plain = Records.of(rows)
    assert [p.as_dict() for p in model.node_problems("Interaction", records)] == \
        [p.as_dict() for p in model.node_problems("Interaction", plain)]
    assert any(p.field == "sentiment" for p in model.node_problems("Interaction", records))
    declared = {**model.COMMON_PROPS, **model.label("Interaction").props}
    for part in (slice(0, 50), slice(3, 17)):
        assert Payload.of(records[part], ("uid",), declared, label="Interaction") == \
            Payload.of(rows[part], ("uid",), declared, label="Interaction")
    assert pickle.loads(pickle.dumps(records)) == rows
    # a value assigned, a row appended, another kind added: a list from then on
    assign(records, 0, "amount", 7.0)
    records.append({"uid": "ix-x", "kind": "call"})
    records.extend_columns({"minutes": ["lots"]}, 1)
    rows[0]["amount"] = 7.0
    rows += [{"uid": "ix-x", "kind": "call"}, {"minutes": "lots"}]
    assert type(records.columns["amount"]) is list and type(records.columns["kind"]) is list
    assert type(records.columns["minutes"]) is list
    assert shown_rows(records) == shown_rows(rows)


def test_codes_followed_by_numbers_become_numbers_and_other_codes_a_list():
    records = Records()
    records.extend_columns({"x": coded([1.5, None, 1.5])}, 3)
    records.extend_columns({"x": Numbers.of([2.5, -0.0]) or []}, 2)
    assert type(records.columns["x"]) is Numbers
    records.extend_columns({"y": [None]}, 1)  # x missing: None, still numbers
    assert type(records.columns["x"]) is Numbers
    assert same_all(list(records.column("x")), [1.5, None, 1.5, 2.5, -0.0, None])
    other = Records()
    other.extend_columns({"k": coded(["a", "b"])}, 2)
    other.extend_columns({"k": coded(["c", "a"])}, 2)  # another table: a list
    assert type(other.columns["k"]) is list and other.column("k") == ["a", "b", "c", "a"]
    same_table = coded(["a", "b"])
    grown = Records()
    grown.extend_columns({"k": same_table}, 2)
    grown.extend_columns({"k": Coded(same_table.table, array("H", [1, 1]))}, 2)
    assert type(grown.columns["k"]) is Coded and list(grown.column("k")) == ["a", "b", "b", "b"]
    assert list(same_table) == ["a", "b"]  # the column added to is a copy


@pytest.mark.parametrize(("convert", "texts"), [
    (to_money, ["$1,100.04", "-0.00", "", "lots", "  $3 ", "-$2.50", "(12.00)"]),
    (to_float, ["1.5", "-0", "nan", "inf", "", "1e400", "x"]),
    (to_int, ["1", "-7", "", "99999999999999999999", "1_000", "2.5"]),
])
def test_a_converter_packs_the_values_it_would_list(monkeypatch, convert, texts):
    """Chunk after chunk, few distinct texts and then many (the memo let go): the values
    read back are those of the converter that lists them."""
    monkeypatch.setattr(mapping_columns, "MEMO_SIZE", 10)
    rng = random.Random(5)
    packed, listed = (ColumnConverter(convert, packs=True), ColumnConverter(convert))
    made = Records()
    everything: list = []
    for chunk in range(6):
        pool = texts + [f"{rng.randrange(10**6)}.{rng.randrange(100)}" for _ in range(chunk * 4)]
        cells = [rng.choice(pool) for _ in range(30)]
        values, errors = packed.apply(cells, default=None)
        expected, expected_errors = listed.apply(cells, default=None)
        assert type(expected) is list and same_all(list(values), expected)
        assert errors == expected_errors
        if chunk in (0, 5):  # codes while the texts are few; numbers unless an int is big
            big = any(type(v) is int and v >= 2**63 for v in expected)
            assert type(values) is (Coded if chunk == 0 else list if big else Numbers)
        made.extend_columns({"v": values}, len(cells))
        everything += expected
    assert same_all(list(made.column("v")), everything)
    # an int beyond 64 bits anywhere: a list (the codes before it cannot become numbers)
    big = any(type(v) is int and v >= 2**63 for v in everything)
    assert type(made.column("v")) is (list if big else Numbers) and big == (convert is to_int)


MAPPING = """\
tables:
  - file: calls.csv
    label: Interaction
    key: {column: id, prefix: "pk-"}
    properties:
      kind: {column: kind}
      at: {column: at, type: datetime, format: "%Y-%m-%d %H:%M"}
      channel: {column: channel}
      amount: {column: amount, type: money}
      sentiment: {column: sentiment, type: float}
      inbound: {column: inbound, type: bool}
"""
CASES = """\
tables:
  - file: cases.csv
    label: Case
    key: {column: id, prefix: "pk-case-"}
    properties:
      kind: {column: kind}
      status: {column: status}
      opened_at: {column: opened, type: datetime, format: "%Y-%m-%d"}
      severity: {column: severity, type: int}
"""


def write_files(folder: Path, rows: int) -> list[Path]:
    rng = random.Random(11)
    lines = ["id,kind,at,channel,amount,sentiment,inbound"]
    for i in range(rows):
        amount = rng.choice(["", "-0.00", f"${rng.randrange(10**5):,}.{i % 100:02d}"])
        sentiment = rng.choice(["", "-0", "0.25", f"{rng.uniform(-1, 1):.3f}"])
        lines.append(f"{i},{rng.choice(['call', 'email'])},2024-03-{1 + i % 28:02d} "
                     f"{rng.randrange(24):02d}:{rng.randrange(60):02d},"
                     f"{rng.choice(['', 'phone', 'web'])},\"{amount}\",{sentiment},"
                     f"{rng.choice(['', 'yes', 'no'])}")
    (folder / "calls.csv").write_text("\n".join(lines) + "\n")
    cases = ["id,kind,status,opened,severity"] + [
        f"{i},{rng.choice(['service', 'complaint'])},{rng.choice(['open', 'closed'])},"
        f"2024-01-{1 + i % 28:02d},{'x' if i == 77 else rng.choice(['', '1', '2', '3', '4'])}"
        for i in range(rows)]
    (folder / "cases.csv").write_text("\n".join(cases) + "\n")
    # a value typed but out of the model's range: its record, as typed, in the rejects file
    late = [line.replace(",x", ",9") for line in cases]
    (folder / "late.csv").write_text("\n".join(late) + "\n")
    (folder / "calls.yaml").write_text(MAPPING)
    (folder / "cases.yaml").write_text(CASES)
    (folder / "late.yaml").write_text(CASES.replace("cases.csv", "late.csv")
                                      .replace("pk-case-", "pk-late-"))
    return [folder / "calls.yaml", folder / "cases.yaml", folder / "late.yaml"]


def stored(store, label: str) -> list:
    """Each node of ``label``: its uid and its properties' names, types and values."""
    rows = store.run(f"MATCH (n:{label}) RETURN n.uid, properties(n) ORDER BY n.uid").rows
    return [(uid, sorted((k, type(v).__name__, repr(v)) for k, v in props.items()
                         if k not in ("created_at", "updated_at"))) for uid, props in rows]


def test_a_load_with_compact_columns_stores_what_one_with_lists_stores(store, tmp_path,
                                                                       monkeypatch):
    """Through the real engine: every stored property (type and value), the rejects and the
    report of a load whose typed columns are compact (codes, numbers, codes turned numbers)
    are those of a load of the same files whose columns are plain lists."""
    mappings = write_files(tmp_path, 600)
    monkeypatch.setattr(reader, "CHUNK_ROWS", 70)
    monkeypatch.setattr(mapping_columns, "MEMO_SIZE", 3)  # more texts: codes, then numbers
    packing = mapping_columns.column_converter

    def listing(spec: dict, doc: dict) -> ColumnConverter:
        made = packing(spec, doc)
        made.packs = False
        return made

    held = {name: type(column).__name__
            for mapping, label in zip(mappings[:2], ("Interaction", "Case"), strict=True)
            for name, column in cast(Records, prepare(store, [mapping], on_error="skip",
                                                      streaming=False)
                                     .batch.nodes[label]).columns.items()}
    assert {held[n] for n in ("amount", "sentiment", "severity")} == {"Numbers"}
    assert {held[n] for n in ("kind", "channel", "inbound")} == {"Coded"}
    results = []
    for converter in (packing, listing):
        monkeypatch.setattr(mapping_columns, "column_converter", converter)
        store.clear()
        dry = load(store, mappings[0], on_error="skip", dry_run=True).as_dict()
        files = [tmp_path / f"rejects-{converter.__name__}-{i}.csv" for i in range(3)]
        reports = [load(store, mapping, on_error="skip", rejects_file=file).as_dict()
                   for mapping, file in zip(mappings, files, strict=True)]
        for report in (dry, *reports):
            report.pop("seconds"), report.pop("rejects_file")
        results.append((dry, reports, [f.read_text() for f in files if f.exists()],
                        stored(store, "Interaction"), stored(store, "Case")))
    assert results[0] == results[1]
    dry, reports, rejects, calls, cases = results[0]
    assert dry["labels"]["Interaction"]["created"] == 600 and not dry["rejected"]
    assert reports[0]["labels"]["Interaction"]["created"] == 600 and len(calls) == 600
    assert [[(r["where"], r["field"]) for r in report["rejected"]] for report in reports] == \
        [[], [("mapping:cases.csv#79", "severity")],
         [("mapping:late.csv#79 1 (Case 'pk-late-77')", "severity")]]
    assert len(rejects) == 2 and '""severity"": 9' in rejects[1]  # the typed record
    assert len(cases) == 599 * 2
    kinds = {(k, t) for _, props in calls + cases for k, t, _ in props}
    assert {("amount", "float"), ("severity", "int"), ("inbound", "bool"),
            ("sentiment", "float")} <= kinds
    assert any(("amount", "float", "-0.0") in props for _, props in calls)


RELATED = """\
tables:
  - file: customers.csv
    label: Customer
    key: {column: id, prefix: "cust-"}
    properties:
      name: {column: name}
  - file: employees.csv
    label: Employee
    key: {column: id, prefix: "emp-"}
    properties:
      name: {column: name}
  - file: visits.csv
    label: Interaction
    key: {column: id, prefix: "pk-"}
    properties:
      kind: {column: kind}
      at: {column: at, type: datetime, format: "%Y-%m-%d %H:%M"}
    relationships:
      - {type: HAD, label: Customer, column: customer, prefix: "cust-", direction: in}
      - {type: WITH, label: Employee, column: with, prefix: "emp-", split: ";"}
"""


def test_a_load_with_coded_relationship_ends_stores_what_one_with_lists_stores(
        store, tmp_path, monkeypatch):
    """The other end of each row's relationships (the customer it names) is held as codes
    into the names of the file's chunks, a list once more are named than a code tells apart;
    through the real engine the relationships stored, the rejects and the reports are those
    of a load whose ends are lists. A chunk with a row naming two ends or none goes the row
    by row way."""
    rng = random.Random(5)
    (tmp_path / "customers.csv").write_text(
        "id,name\n" + "".join(f"{i},Customer {i}\n" for i in range(40)))
    (tmp_path / "employees.csv").write_text(
        "id,name\n" + "".join(f"{i},Employee {i}\n" for i in range(5)))
    lines = ["id,customer,with,kind,at"]
    for i in range(600):
        # 8 customers in the first two chunks, 40 after; spaces around a name: another
        # text, the same customer. Each row names one customer; row 99 names no employee,
        # row 431 two
        named = str(rng.randrange(8 if i < 140 else 40))
        other = "" if i == 99 else "1;2" if i == 431 else str(rng.randrange(5))
        lines.append(f"{i},{' ' * (i % 7 == 0)}{named},{other},call,2024-03-01 10:00")
    (tmp_path / "visits.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "visits.yaml").write_text(RELATED)
    monkeypatch.setattr(reader, "CHUNK_ROWS", 70)
    coding = node_table._Related.single_ends

    def listing(self, rows):
        found = coding(self, rows)
        return None if found is None else list(found)

    def relationships(kind: str) -> list:
        return sorted(store.run(
            f"MATCH (a)-[r:{kind}]->(b) RETURN a.uid, b.uid, r._where, r.source").rows)

    results, held = [], []
    for limit, ends in ((Coded.LIMIT, coding), (8, coding), (Coded.LIMIT, listing)):
        monkeypatch.setattr(Coded, "LIMIT", limit)
        monkeypatch.setattr(node_table._Related, "single_ends", ends)
        store.clear()
        batch = prepare(store, [tmp_path / "visits.yaml"], on_error="skip",
                        streaming=False).batch
        held.append({key[0]: {type(cast(Records, rows).columns[side]).__name__
                              for side in ("start", "end")}
                     for key, rows in batch.relationships.items()})
        report = load(store, tmp_path / "visits.yaml", on_error="skip").as_dict()
        report.pop("seconds")
        results.append((report, relationships("HAD"), relationships("WITH")))
    assert results[0] == results[1] == results[2]
    report, had, with_ = results[0]
    assert report["types"]["HAD"]["created"] == len(had) == 600 and not report["rejected"]
    assert report["types"]["WITH"]["created"] == len(with_) == 600  # none on 99, two on 431
    assert {b for _, b, *_ in had} == {f"pk-{i}" for i in range(600)}
    # the customers as codes, the interactions' uids a list; the employees a list, as a
    # chunk with a row naming none or two makes its rows one by one; past 8 customers a list
    assert held[0] == {"HAD": {"Coded", "list"}, "WITH": {"list"}}
    assert held[1]["HAD"] == held[2]["HAD"] == {"list"}
