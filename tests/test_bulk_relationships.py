"""New relationships through FalkorDB's bulk protocol: used, and never joining wrong nodes.

The protocol trusts the node ids it is sent (see ``erm_graph/store/falkordb_bulk.py``), so
these tests write to the graph from a second client in the middle of the transaction, as a
concurrent user could, and check that no edge joins a node other than the one named.
"""

from __future__ import annotations

import os
import signal

import falkordb
import pytest

from erm_graph.errors import StoreError
from erm_graph.ingest import GraphBatch, write_batch
from erm_graph.store import falkordb_bulk, open_store
from erm_graph.store.embedded_server import PID

CALL = {"kind": "call", "at": "2026-01-02T10:00:00"}


@pytest.fixture
def embedded(tmp_path):
    s = open_store(f"embedded:{tmp_path / 'db'}")
    yield s
    s.close()


def bulk_calls(store) -> int:
    """How many GRAPH.BULK commands the server has run (its own command statistics)."""
    stats = store._db.connection.info("commandstats")
    return int(stats.get("cmdstat_graph.BULK", {}).get("calls", 0))


def interactions(store, n: int) -> dict:
    """Two customers and ``n`` interactions; their uid -> node id as the CREATEs reported."""
    batch = GraphBatch()
    for c in ("c1", "c2"):
        batch.add_node("Customer", {"uid": c, "name": c})
    write_batch(store, batch)
    return store.upsert_nodes("Interaction", [{"uid": f"x{i}", **CALL} for i in range(n)]
                              ).created_ids


def had(store) -> list[list[str]]:
    return store.run("MATCH (c)-[:HAD]->(x) RETURN c.uid, x.uid ORDER BY x.uid").rows


def test_a_load_creates_its_new_relationships_in_bulk(embedded):
    batch = GraphBatch()
    batch.add_node("Customer", {"uid": "c1", "name": "A"})
    batch.add_node("Employee", {"uid": "e1", "name": "E"})
    for i in range(12_000):  # three store batches
        batch.add_node("Interaction", {"uid": f"x{i}", **CALL})
        batch.add_relationship("HAD", "Customer", "c1", "Interaction", f"x{i}")
        batch.add_relationship("WITH", "Interaction", f"x{i}", "Employee", "e1")
    before = bulk_calls(embedded)
    report = write_batch(embedded, batch)
    assert bulk_calls(embedded) - before >= 2
    assert report.types["HAD"].created == report.types["WITH"].created == 12_000
    assert embedded.run("MATCH (:Customer {uid: 'c1'})-[:HAD]->(x:Interaction)-[:WITH]->"
                        "(:Employee {uid: 'e1'}) RETURN count(x), count(DISTINCT x)"
                        ).rows == [[12_000, 12_000]]
    again = write_batch(embedded, batch)
    assert again.total("created") == 0 and again.types["HAD"].unchanged == 12_000


def around_id_reads(store, before=None, after=None) -> None:
    """Run ``before(n)`` / ``after(n)`` around the n-th read of node ids inside a bulk
    transaction (n counts from 1)."""
    real, calls = store._id_reads, []

    def reads(key, uids, reported):
        read = real(key, uids, reported)

        def hooked(conn):
            calls.append(key)
            if before:
                before(len(calls))
            found = read(conn)
            if after:
                after(len(calls))
            return found
        return hooked

    store._id_reads = reads


def test_a_node_deleted_and_its_id_reused_during_the_transaction_gets_no_edge(embedded):
    ids = interactions(embedded, 3)
    other = falkordb.FalkorDB(unix_socket_path=str(embedded._server.socket)).select_graph("erm")
    reads = []

    def meanwhile(n):
        # another client deletes x1 and creates a node that takes its id, after this load
        # read the ids and before its EXEC
        reads.append(n)
        if n == 2:
            other.query("MATCH (x:Interaction {uid: 'x1'}) DELETE x")
            other.query("CREATE (:Interaction {uid: 'intruder'})")

    around_id_reads(embedded, after=meanwhile)
    counts = embedded.upsert_relationships(
        "HAD", "Customer", "Interaction",
        [{"start": "c1", "end": f"x{i}"} for i in range(3)],
        new_nodes={"Interaction": ids})
    assert len(reads) > 2, "the transaction was not tried again"
    assert other.query("MATCH (n:Interaction {uid: 'intruder'}) RETURN id(n)"
                       ).result_set[0][0] == ids["x1"], "the engine no longer reuses ids"
    assert had(embedded) == [["c1", "x0"], ["c1", "x2"]]
    assert counts.created == 2
    assert [p.got for p in counts.missing] == ["x1"]


def test_other_writers_that_never_stop_leave_it_to_cypher(embedded):
    ids = interactions(embedded, 2)
    other = falkordb.FalkorDB(unix_socket_path=str(embedded._server.socket)).select_graph("erm")
    around_id_reads(embedded, before=lambda n: other.query(
        "CREATE (:Note {uid: 'n' + toString(rand())})"))
    before = bulk_calls(embedded)
    counts = embedded.upsert_relationships(
        "HAD", "Customer", "Interaction",
        [{"start": "c1", "end": "x0"}, {"start": "c2", "end": "x1"}],
        new_nodes={"Interaction": ids})
    assert bulk_calls(embedded) == before
    assert counts.created == 2 and had(embedded) == [["c1", "x0"], ["c2", "x1"]]
    assert embedded.run("MATCH (n:Note) RETURN count(n)").rows[0][0] == \
        2 * falkordb_bulk.ATTEMPTS


def test_ids_the_load_did_not_create_are_looked_up(embedded):
    interactions(embedded, 2)
    counts = embedded.upsert_relationships(
        "HAD", "Customer", "Interaction",
        [{"start": "c1", "end": "x0"}, {"start": "c2", "end": "x1"},
         {"start": "c2", "end": "nowhere"}])
    assert had(embedded) == [["c1", "x0"], ["c2", "x1"]]
    assert counts.created == 2 and [p.got for p in counts.missing] == ["nowhere"]


def test_a_server_killed_during_the_transaction_is_restarted_and_the_write_reported(embedded):
    ids = interactions(embedded, 2)
    real = embedded._id_reads
    around_id_reads(embedded, before=lambda n: os.kill(
        int((embedded._server.data_dir / PID).read_text()), signal.SIGKILL))
    with pytest.raises(StoreError, match="stopped during a write and was restarted"):
        embedded.upsert_relationships("HAD", "Customer", "Interaction",
                                      [{"start": "c1", "end": "x0"}],
                                      new_nodes={"Interaction": ids})
    embedded._id_reads = real
    embedded.upsert_relationships("HAD", "Customer", "Interaction",
                                  [{"start": "c1", "end": "x0"}], new_nodes={"Interaction": ids})
    assert had(embedded) == [["c1", "x0"]]


def test_rows_that_cannot_exist_yet_skip_the_read_and_the_others_are_compared(embedded):
    ids = interactions(embedded, 2)
    embedded.upsert_relationships("HAD", "Customer", "Interaction",
                                  [{"start": "c1", "end": "x0"}], new_nodes={"Interaction": ids})
    new = embedded.upsert_nodes("Interaction", [{"uid": "x2", **CALL}]).created_ids
    before = bulk_calls(embedded)
    counts = embedded.upsert_relationships(
        "HAD", "Customer", "Interaction",
        [{"start": "c1", "end": "x0"},  # stored already: unchanged
         {"start": "c2", "end": "x1"},  # both ends old: read, then created
         {"start": "c2", "end": "x2"}, {"start": "c2", "end": "x2"}],  # a new node, twice
        new_nodes={"Interaction": new})
    assert bulk_calls(embedded) - before == 2  # the new node's chunk, then the read batch
    assert (counts.created, counts.unchanged, counts.missing) == (2, 2, [])
    assert had(embedded) == [["c1", "x0"], ["c2", "x1"], ["c2", "x2"]]
