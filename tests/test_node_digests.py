"""Node content hashes made by column are the ones made row by row, and a batch they cannot
carry takes the row-by-row way."""

from __future__ import annotations

import datetime
import enum
from random import Random

from erm_graph.records import Records
from erm_graph.store.base import content_hash
from erm_graph.store.node_digests import node_hashes
from erm_graph.store.upsert import Payload

VALUES = ["plain", "", 'quo"te\\', "ünïcode ✓", "tab\tnew\nline", 0, -7, 2**70, 10**400, 1.5, -0.0,
          1e-05, 1e16, 0.1 + 0.2, True, False, None]


def by_row(rows, label):
    return [content_hash({"label": label, "properties": {
        k: v for k, v in row.items() if v is not None and k != "uid"}}) for row in rows]


def random_rows(seed: int, count: int) -> list[dict]:
    rng = Random(seed)
    rows = []
    for n in range(count):
        row = {"uid": f"u{n}"}
        for name in ("zeta", "alpha", "Mid", "é", "a b"):
            if rng.random() < 0.7:
                row[name] = rng.choice(VALUES)
        rows.append(row)
    return rows


def test_hashes_by_column_are_the_hashes_row_by_row():
    for seed in range(20):
        rows = random_rows(seed, 200)
        names = sorted({k for row in rows for k in row} - {"uid"})
        assert node_hashes(rows, "Customer", names) == by_row(rows, "Customer")
        assert node_hashes(Records.of(rows), "Customer", names) == by_row(rows, "Customer")


def test_number_columns_with_gaps_and_huge_ints():
    rows = [{"uid": f"u{n}", "amount": [None, 1.25, 3, 10**400, True][n % 5],
             "gone": None} for n in range(50)]
    assert node_hashes(rows, "Case", ["amount", "gone"]) == by_row(rows, "Case")
    rows[7]["amount"] = float("-inf")
    assert node_hashes(rows, "Case", ["amount", "gone"]) is None


def test_columns_of_one_type_and_rows_without_properties():
    rows = [{"uid": f"u{n}", "name": f"n{n}", "score": n, "ok": n % 2 == 0} for n in range(50)]
    assert node_hashes(rows, "Case", ["name", "ok", "score"]) == by_row(rows, "Case")
    bare = [{"uid": "a"}, {"uid": "b"}]
    assert node_hashes(bare, "Step", []) == by_row(bare, "Step")


class Colour(enum.IntEnum):
    RED = 1


def test_values_the_pieces_do_not_carry_take_the_row_by_row_way():
    for odd in (float("nan"), float("inf"), datetime.date(2024, 1, 2), Colour.RED, [1, 2]):
        rows = [{"uid": "a", "x": 1}, {"uid": "b", "x": odd}]
        assert node_hashes(rows, "Case", ["x"]) is None
        payload = Payload.of(rows, ("uid",), {"x": None}, label="Case")
        assert [r[1] for r in payload.rows] == by_row(rows, "Case")


def test_a_payload_of_nodes_keeps_the_last_row_of_a_uid_and_the_undeclared_map():
    rows = [{"uid": "a", "name": "first", "extra": 1}, {"uid": "b", "name": "b"},
            {"uid": "a", "name": "last", "extra": None, "more": "m"}]
    payload = Payload.of(rows, ("uid",), {"name": None}, label="Case")
    assert payload.columns == ["name"] and payload.others
    assert payload.rows == [["a", by_row(rows, "Case")[2], "last", {"more": "m"}],
                            ["b", by_row(rows, "Case")[1], "b", {}]]
