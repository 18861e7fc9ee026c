"""What a write holds while it runs: a caller's batch stays its own, a load's is let go as it
is written, and a handled engine error leaves no reference cycle behind.

A load pauses the cyclic collector (``gc_pause``), so a cycle made during its write keeps
whatever its frames held until the load ends; and the records a load has written are its
own, so nothing needs them while the next step writes.
"""

from __future__ import annotations

import copy
import gc
import weakref
from pathlib import Path

import pytest
from falkordb.exceptions import SchemaVersionMismatchException

from erm_graph import load
from erm_graph.errors import ErmError, UniqueViolation
from erm_graph.ingest import GraphBatch, LoadOptions, prepare, write_batch
from erm_graph.ingest.gc_pause import paused_gc
from erm_graph.store import open_store

CALL = {"kind": "call", "at": "2026-01-02T10:00:00"}
ROWS = 6_000  # more than one store batch of nodes

MAPPING = """\
tables:
  - file: calls.csv
    label: Interaction
    key: {column: id, prefix: "ix-"}
    properties:
      kind: {column: kind}
      at: {column: at, type: datetime, format: "%Y-%m-%d %H:%M"}
      amount: {column: amount, type: money}
    relationships:
      - {type: HAD, label: Customer, column: customer, direction: in}
      - {type: WITH, label: Employee, column: employee}
"""


def parties() -> GraphBatch:
    batch = GraphBatch()
    for i in range(3):
        batch.add_node("Customer", {"uid": f"c{i}", "name": f"C{i}"})
    batch.add_node("Employee", {"uid": "e1", "name": "E"})
    return batch


def calls(n: int = ROWS) -> GraphBatch:
    """Interactions, each had by a customer (stored or in the batch) and with an employee."""
    batch = parties()
    for i in range(n):
        batch.add_node("Interaction", {"uid": f"x{i}", **CALL, "amount": float(i)})
        batch.add_relationship("HAD", "Customer", f"c{i % 3}", "Interaction", f"x{i}")
        batch.add_relationship("WITH", "Interaction", f"x{i}", "Employee", "e1")
    return batch


def content(store) -> tuple[list, list]:
    """Every node and relationship with its labels or type and its properties, timestamps
    left out."""
    def plain(props: dict) -> dict:
        return {k: v for k, v in props.items() if k not in ("created_at", "updated_at")}

    nodes = sorted((sorted(labels), uid, sorted(plain(props).items())) for labels, uid, props in
                   store.run("MATCH (n) RETURN labels(n), n.uid, properties(n)").rows)
    rels = sorted((kind, a, b, sorted(plain(props).items())) for kind, a, b, props in store.run(
        "MATCH (a)-[r]->(b) RETURN type(r), a.uid, b.uid, properties(r)").rows)
    return nodes, rels


def counts(report) -> dict:
    return {k: v for k, v in report.as_dict().items() if k != "seconds"}


@pytest.fixture
def two(tmp_path):
    a, b = open_store(f"embedded:{tmp_path / 'a'}"), open_store(f"embedded:{tmp_path / 'b'}")
    yield a, b
    a.close()
    b.close()


def test_a_callers_batch_is_intact_after_write_batch(store):
    batch = calls(200)
    before = copy.deepcopy((dict(batch.nodes), dict(batch.relationships)))
    write_batch(store, batch)
    assert (dict(batch.nodes), dict(batch.relationships)) == before


def test_a_released_batch_writes_what_a_kept_one_does_and_is_let_go(two):
    kept, released = calls(), calls()
    reports = write_batch(two[0], kept), write_batch(two[1], released, release=True)
    assert counts(reports[0]) == counts(reports[1])
    assert reports[1].labels["Interaction"].created == ROWS
    assert content(two[0]) == content(two[1])
    assert not any(released.nodes.values()) and not any(released.relationships.values())
    assert len(kept.nodes["Interaction"]) == ROWS


def write_files(folder: Path) -> Path:
    rows = [f"{i},c{i % 3},e1,call,2026-01-02 10:00,\"${i}.50\"" for i in range(ROWS)]
    (folder / "calls.csv").write_text("id,customer,employee,kind,at,amount\n" + "\n".join(rows)
                                      + "\n")
    (folder / "calls.yaml").write_text(MAPPING)
    return folder / "calls.csv"


def test_a_load_gives_its_records_up_and_writes_what_a_kept_write_does(two, tmp_path):
    csv = write_files(tmp_path)
    for store in two:
        write_batch(store, parties())
    by_load = load(two[0], csv, mapping=tmp_path / "calls.yaml")
    prepared = prepare(two[1], [csv], options=LoadOptions(mapping=tmp_path / "calls.yaml"),
                       streaming=False)  # a load read whole, its records kept
    kept = prepared.write(two[1])
    assert counts(by_load) == counts(kept)
    assert by_load.labels["Interaction"].created == ROWS
    assert content(two[0]) == content(two[1])
    assert len(prepared.batch) == ROWS * 3  # written without release: still there


def test_a_released_load_cannot_be_written_again(store, tmp_path):
    csv = write_files(tmp_path)
    write_batch(store, parties())
    prepared = prepare(store, [csv], options=LoadOptions(mapping=tmp_path / "calls.yaml"))
    report = prepared.write(store, release=True)
    assert report.types["HAD"].created == ROWS
    assert len(prepared.batch) == 0
    with pytest.raises(ErmError, match="prepare them again"):
        prepared.write(store)


def mismatches() -> int:
    return sum(isinstance(o, SchemaVersionMismatchException) for o in gc.get_objects())


def test_a_schema_change_met_by_a_query_leaves_no_cycle(store):
    """The engine refuses a query sent with an older schema version; the client reads the
    schema again and sends it again. The refusal it raised must not stay in a cycle (with
    every frame above it) while the collector is paused."""
    gc.collect()
    with paused_gc():
        for i in range(3):  # each write declares a new key: the next query meets a new version
            store.write(f"CREATE (:Probe {{key_{i}: 1}})")
            store.run("MATCH (n:Probe) RETURN count(n)")
        left = mismatches()
    assert left == 0


class Record(dict):
    """A record whose end a weak reference sees."""


def records(uids: range, **props) -> list[Record]:
    """Customers ``c<i>``, each with ``props``."""
    return [Record(uid=f"c{i}", name=f"C{i}", **props) for i in uids]


def kept_while_paused(write) -> int:
    """How many of the records handed to ``write`` are still alive once it returns, the
    collector paused throughout: each one a cycle keeps (with the frames that held it)."""
    gc.collect()
    with paused_gc():
        refs = write()
        return sum(ref() is not None for ref in refs)


@pytest.mark.parametrize("name", ["note", "free-text"], ids=["bulk", "cypher"])
def test_a_load_whose_writes_the_engine_refuses_lets_its_records_go(store, monkeypatch, name):
    """The third batch holds stored uids: its optimistic create is refused (by the bulk
    writer's check, or by the unique constraint when a property name sends it by Cypher)
    and the batch takes the read path; the load's new property keys make the engine refuse
    queries sent with the schema version the client knew. Once the load is over, none of its
    records may be kept by what those refusals left, while the collector is still paused."""
    write_batch(store, GraphBatch(nodes={"Customer": records(range(10_000, 15_000))}))
    refused = []
    create = store._create_nodes

    def counted(*args):
        try:
            return create(*args)
        except UniqueViolation:
            refused.append(True)
            raise

    monkeypatch.setattr(store, "_create_nodes", counted)

    def write():
        rows = records(range(15_000), **{name: "new key"})
        refs = [weakref.ref(row) for row in rows]
        report = write_batch(store, GraphBatch(nodes={"Customer": rows}), release=True)
        assert (report.labels["Customer"].created, report.labels["Customer"].updated) == (
            10_000, 5_000)
        return refs

    assert kept_while_paused(write) == 0
    assert refused


def lose_connection(store) -> None:
    store._server.kill()  # the read finds the socket gone, starts the server again, resends


def delete_graph(store) -> None:
    store._db.connection.execute_command("GRAPH.DELETE", store._graph_name)  # another client


@pytest.mark.own_engine
@pytest.mark.parametrize("refusal", [lose_connection, delete_graph], ids=["lost", "deleted"])
def test_a_read_sent_again_after_a_refusal_lets_its_parameters_go(store, refusal):
    """A read the engine cannot answer (its connection lost, the graph deleted) is sent again
    and answers; nothing it was given may stay in a cycle that error left."""
    def read():
        rows = records(range(100))
        refusal(store)
        assert store.run("UNWIND $rows AS r RETURN count(r)", {"rows": rows}).rows == [[100]]
        return [weakref.ref(row) for row in rows]

    assert kept_while_paused(read) == 0


def test_a_bulk_write_refused_by_another_write_lets_its_batch_go(store):
    """Another client's write between the bulk writer's WATCH and its EXEC makes the engine
    refuse the transaction; the writer reads the ids again and sends it again."""
    write_batch(store, parties())
    store._declare(set(), "RELATES_TO")
    look_up = store._id_reads("Party", ["c0", "c1", "c2"], {})
    attempts = []

    def meddled(conn):
        attempts.append(conn)
        if len(attempts) == 1:  # between WATCH and EXEC of the first attempt only
            store.write("CREATE (n:Probe) DELETE n")
        return look_up(conn)

    def write():
        rows = records(range(3))
        uids = [row["uid"] for row in rows]
        made = store._bulk.create_edges("RELATES_TO", uids, uids[1:] + uids[:1],
                                        (meddled, look_up))
        assert made == 3
        return [weakref.ref(row) for row in rows]

    assert kept_while_paused(write) == 0
    assert len(attempts) == 2
    assert store.run("MATCH (:Party)-[r:RELATES_TO]->(:Party) RETURN count(r)").rows == [[3]]
