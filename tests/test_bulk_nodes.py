"""New nodes through FalkorDB's bulk protocol: stored exactly as by Cypher, never twice.

``GRAPH.BULK`` neither enforces the unique uid constraint nor reports ids (see
``erm_graph/store/falkordb_bulk.py``), so these tests compare nodes created each way property
by property, write from a second client in the middle of the transaction, and restart the
engine from what it persisted.
"""

from __future__ import annotations

import math
import os
import signal

import falkordb
import pytest

from erm_graph.errors import ErmError, QueryError, StoreError, UniqueViolation
from erm_graph.ingest import GraphBatch, write_batch
from erm_graph.store import falkordb_bulk, falkordb_store, open_store
from erm_graph.store.embedded_server import PID
from erm_graph.store.upsert import NodeUpsert, Payload

from .test_bulk_relationships import CALL, bulk_calls

#: a value of every kind the protocol carries, the hard ones included
VALUES = {
    "text": "quote ' \" backtick ` backslash \\ newline \n tab \t \x01 é 😀",
    "empty": "",
    "zero": 0, "negative": -1, "largest": 2**63 - 1, "smallest": -2**63,
    "tenth": 0.1, "minus_zero": -0.0, "huge": 1e300, "tiny": 5e-324, "whole": 2.0,
    "yes": True, "no": False,
    "words": ["a", "b c", ""], "numbers": [1, -2], "reals": [0.5, -0.0], "flags": [True, False],
    "nothing": [], "nested": [[1, 2], ["x"], []], "mixed": [1, "a", 2.5, True],
}


@pytest.fixture
def embedded(tmp_path):
    s = open_store(f"embedded:{tmp_path / 'db'}")
    s.ensure_schema()  # as a load does: the bulk protocol declares no label
    yield s
    s.close()


def by_cypher(store, label: str, rows: list[dict]):
    """Upsert ``rows`` as a store on a server other than the embedded one does: by Cypher."""
    bulk, store._bulk = store._bulk, None
    try:
        return store.upsert_nodes(label, rows)
    finally:
        store._bulk = bulk


def stored(store, uid: str) -> tuple[list[str], dict]:
    """The labels and properties of the node with ``uid``, and its id checked by index."""
    return tuple(store.run("MATCH (n {uid: $u}) RETURN labels(n), properties(n)",
                           {"u": uid}).rows[0])


def same(a, b) -> bool:
    """Equal values of the same types all the way down (-0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float):
        return math.copysign(1, a) == math.copysign(1, b) and a == b
    return a == b


def test_every_kind_of_value_is_stored_as_cypher_stores_it(embedded):
    declared = {"kind": "call", "at": "2026-01-02T10:00:00", "amount": 12.5, "inbound": True,
                "sentiment": None}  # declared properties, one null: left unset
    before = bulk_calls(embedded)
    bulk = embedded.upsert_nodes("Interaction", [{"uid": "b", **declared, **VALUES}])
    assert bulk_calls(embedded) == before + 1
    cypher = by_cypher(embedded, "Interaction", [{"uid": "c", **declared, **VALUES}])
    assert bulk_calls(embedded) == before + 1
    (b_labels, b), (c_labels, c) = stored(embedded, "b"), stored(embedded, "c")
    assert b_labels == c_labels == ["Interaction"]
    assert set(b) == set(c) == {*declared, *VALUES, "uid", "content_hash", "created_at",
                                "updated_at"} - {"sentiment"}
    for name in set(b) - {"uid", "created_at", "updated_at"}:
        assert same(b[name], c[name]), name
    for name in ("created_at", "updated_at"):
        assert type(b[name]) is type(c[name]) is str and len(b[name]) == len(c[name])
    assert same(b["text"], VALUES["text"]) and same(b["nested"], VALUES["nested"])
    # the ids reported are the nodes' own
    for counts, uid in ((bulk, "b"), (cypher, "c")):
        assert counts.created_ids == {uid: embedded.run(
            "MATCH (n:Interaction {uid: $u}) RETURN id(n)", {"u": uid}).rows[0][0]}


def test_a_second_label_is_written_as_cypher_writes_it(embedded):
    before = bulk_calls(embedded)
    ids = embedded.upsert_nodes("Customer", [{"uid": f"c{i}", "name": f"C{i}", "since": 2001}
                                             for i in range(3)]).created_ids
    assert bulk_calls(embedded) == before + 1
    by_cypher(embedded, "Customer", [{"uid": "k", "name": "K", "since": 2001}])
    assert stored(embedded, "c1")[0] == stored(embedded, "k")[0] == ["Party", "Customer"]
    for label in ("Party", "Customer"):  # each label's uid index finds it
        assert embedded.run(f"MATCH (n:{label} {{uid: 'c1'}}) RETURN id(n)").rows == \
            [[ids["c1"]]]


@pytest.mark.parametrize("value, stored_as", [
    ({"a": 1}, QueryError),  # a map: the engine refuses it
    ([1, None], QueryError),  # a null in a list: refused
    (2**64, 2**63 - 1),  # beyond 64 bits: Cypher clamps it
    (float("nan"), ErmError),  # refused before it is sent
    ("a\x00b", ErmError),
])
def test_values_the_protocol_cannot_carry_go_by_cypher(embedded, value, stored_as):
    before = bulk_calls(embedded)
    rows = [{"uid": "x", "odd": value}, {"uid": "y", "odd": "plain"}]
    if isinstance(stored_as, type):
        with pytest.raises(stored_as):
            embedded.upsert_nodes("Interaction", rows)
        assert embedded.run("MATCH (n:Interaction) RETURN count(n)").rows == [[0]]
    else:
        embedded.upsert_nodes("Interaction", rows)
        assert embedded.run("MATCH (n:Interaction {uid: 'x'}) RETURN n.odd").rows == \
            [[stored_as]]
    assert bulk_calls(embedded) == before


def test_a_property_name_that_is_not_an_identifier_goes_by_cypher(embedded):
    before = bulk_calls(embedded)
    embedded.upsert_nodes("Interaction", [{"uid": "x", "first name": "Ann"}])
    assert bulk_calls(embedded) == before
    assert stored(embedded, "x")[1]["first name"] == "Ann"


def test_a_batch_holding_a_stored_uid_is_not_sent_in_bulk(embedded):
    embedded.upsert_nodes("Interaction", [{"uid": "x1", "kind": "call"}])
    nodes = NodeUpsert(embedded, "Interaction")
    payload = Payload.of([{"uid": u, "kind": "visit"} for u in ("x0", "x1", "x2")], ("uid",),
                         nodes.declared, label="Interaction")
    before = bulk_calls(embedded)
    with pytest.raises(UniqueViolation):
        embedded._create_nodes(nodes, payload, payload.rows)
    assert bulk_calls(embedded) == before
    assert embedded.run("MATCH (n:Interaction) RETURN n.uid, n.kind").rows == [["x1", "call"]]


def test_a_uid_seen_again_in_a_later_batch_is_updated_not_duplicated(embedded):
    rows = [{"uid": f"x{i}", "kind": "call"} for i in range(10_000)]
    rows[7_000] = {"uid": "x3", "kind": "visit"}  # the second batch holds x3 again
    counts = embedded.upsert_nodes("Interaction", rows)
    assert (counts.created, counts.updated) == (9_999, 1)
    assert embedded.run("MATCH (n:Interaction) RETURN count(n), count(DISTINCT n.uid)"
                        ).rows == [[9_999, 9_999]]
    # the two batches run two at a time: whichever comes second updates x3
    assert embedded.run("MATCH (n:Interaction {uid: 'x3'}) RETURN n.kind").rows in (
        [["visit"]], [["call"]])
    assert embedded.run("MATCH (n:Interaction) WHERE id(n) = $i RETURN n.uid",
                        {"i": counts.created_ids["x9999"]}).rows == [["x9999"]]


def around_ready(monkeypatch, after=None, before=None) -> list[int]:
    """Run ``before(n, uids)`` / ``after(n, uids)`` around the reads of the n-th bulk node
    transaction (from 1; ``uids``: its batch's), which come before its ``MULTI``; the list of
    those n."""
    real, calls = falkordb_store._NewNodes.__call__, []

    def hooked(self, conn):
        calls.append(len(calls) + 1)
        if before:
            before(len(calls), self.uids)
        read = real(self, conn)
        if after:
            after(len(calls), self.uids)
        return read

    monkeypatch.setattr(falkordb_store._NewNodes, "__call__", hooked)
    return calls


def other_client(store):
    return falkordb.FalkorDB(unix_socket_path=str(store._server.socket)).select_graph("erm")


def test_a_uid_created_by_another_writer_during_the_transaction_is_not_created_twice(
        embedded, monkeypatch):
    other = other_client(embedded)

    def meanwhile(n, uids):  # after this load read that x1 is not stored, before its EXEC
        if n == 1:
            other.query("CREATE (:Interaction {uid: 'x1', kind: 'theirs'})")

    calls = around_ready(monkeypatch, meanwhile)
    counts = embedded.upsert_nodes("Interaction", [{"uid": f"x{i}", "kind": "ours"}
                                                   for i in range(3)])
    assert len(calls) >= 2, "the transaction was not tried again"
    assert embedded.run("MATCH (n:Interaction) RETURN n.uid, n.kind ORDER BY n.uid").rows == \
        [["x0", "ours"], ["x1", "ours"], ["x2", "ours"]]
    assert (counts.created, counts.updated) == (2, 1)
    assert set(counts.created_ids) == {"x0", "x2"}


def test_a_uid_created_by_another_writer_between_two_batches_is_not_created_twice(
        embedded, monkeypatch):
    """A load into an empty label knows every uid it holds while the server writes nothing
    else; a write by anyone in between must end that."""
    other = other_client(embedded)

    def between(n, uids):  # after the first batch, before the next one's reads
        if n == 2:
            other.query("CREATE (:Interaction {uid: $u, kind: 'theirs'})", {"u": uids[0]})

    around_ready(monkeypatch, before=between)
    counts = embedded.upsert_nodes("Interaction", [{"uid": f"x{i}", "kind": "ours"}
                                                   for i in range(10_000)])
    assert (counts.created, counts.updated) == (9_999, 1)
    assert embedded.run("MATCH (n:Interaction) RETURN count(n), count(DISTINCT n.uid), "
                        "collect(DISTINCT n.kind)").rows == [[10_000, 10_000, ["ours"]]]


def test_other_writers_that_never_stop_leave_it_to_cypher(embedded, monkeypatch):
    other = other_client(embedded)
    embedded.upsert_nodes("Interaction", [{"uid": "first"}])  # its property keys declared
    calls = around_ready(monkeypatch, lambda n, uids: other.query(
        "CREATE (:Interaction {uid: 'n' + toString(rand())})"))
    before = bulk_calls(embedded)
    counts = embedded.upsert_nodes("Interaction", [{"uid": f"x{i}"} for i in range(3)])
    assert len(calls) == falkordb_bulk.ATTEMPTS and bulk_calls(embedded) == before
    assert counts.created == 3
    assert embedded.run("MATCH (n:Interaction) WHERE n.uid STARTS WITH 'x' "
                        "RETURN count(n), count(DISTINCT n.uid)").rows == [[3, 3]]
    assert counts.created_ids == dict(embedded.run(
        "MATCH (n:Interaction) WHERE n.uid STARTS WITH 'x' RETURN n.uid, id(n)").rows)


def test_ids_of_deleted_nodes_reused_by_the_engine_are_reported_right(embedded):
    old = embedded.upsert_nodes("Interaction", [{"uid": f"old{i}"} for i in range(4)])
    embedded.write("MATCH (n:Interaction) WHERE n.uid IN ['old1', 'old2'] DELETE n")
    counts = embedded.upsert_nodes("Interaction", [{"uid": f"x{i}"} for i in range(5)])
    assert counts.created_ids == dict(embedded.run(
        "MATCH (n:Interaction) WHERE n.uid STARTS WITH 'x' RETURN n.uid, id(n)").rows)
    freed = {old.created_ids["old1"], old.created_ids["old2"]}
    assert freed < set(counts.created_ids.values()), "the engine no longer reuses ids"


NODES = ("MATCH (n) WHERE n.uid IS NOT NULL RETURN n.uid, id(n), labels(n), properties(n) "
         "ORDER BY n.uid")
HAD = "MATCH (c)-[:HAD]->(x) RETURN c.uid, id(c), x.uid, id(x) ORDER BY x.uid"


def test_a_restart_keeps_the_nodes_their_index_and_their_uniqueness(tmp_path):
    batch = GraphBatch()
    for i in range(3):
        batch.add_node("Customer", {"uid": f"c{i}", "name": f"C{i}", "since": f"200{i}-01-31"})
    for i in range(6):
        batch.add_node("Interaction", {"uid": f"x{i}", **CALL, "amount": i / 4})
        batch.add_relationship("HAD", "Customer", f"c{i % 3}", "Interaction", f"x{i}")
    store = open_store(f"embedded:{tmp_path / 'db'}")  # the AOF is not rewritten
    try:
        before = bulk_calls(store)
        write_batch(store, batch)
        assert bulk_calls(store) - before == 3  # Customers, Interactions, HAD
        nodes = store.run(NODES).rows
        had = store.run(HAD).rows
    finally:
        store.close()
    store = open_store(f"embedded:{tmp_path / 'db'}")
    try:
        assert store.run(NODES).rows == nodes
        assert store.run(HAD).rows == had
        assert store.run("MATCH (n:Interaction {uid: 'x4'}) RETURN n.amount").rows == [[1.0]]
        assert store.run("MATCH (n:Party {uid: 'c2'}) RETURN n.since").rows == [["2002-01-31"]]
        while not store._uid_is_enforced("Party"):  # rebuilt in the background
            pass
        with pytest.raises(UniqueViolation):
            store.write("CREATE (:Party:Customer {uid: 'c1'})")
        assert write_batch(store, batch).total("created") == 0
    finally:
        store.close()


def test_a_server_killed_during_the_transaction_is_restarted_and_the_write_reported(
        embedded, monkeypatch):
    embedded.upsert_nodes("Interaction", [{"uid": "first", **CALL}])
    pid = int((embedded._server.data_dir / PID).read_text())
    around_ready(monkeypatch, before=lambda n, uids: n == 1 and os.kill(pid, signal.SIGKILL))
    with pytest.raises(StoreError, match="stopped during a write and was restarted"):
        embedded.upsert_nodes("Interaction", [{"uid": f"x{i}", **CALL} for i in range(3)])
    monkeypatch.undo()
    counts = embedded.upsert_nodes("Interaction", [{"uid": f"x{i}", **CALL} for i in range(3)])
    assert counts.created == 3
    assert embedded.run("MATCH (n:Interaction) RETURN count(n), count(DISTINCT n.uid)"
                        ).rows == [[4, 4]]
