"""The embedded server answers before its uid indexes are rebuilt (DELAY_INDEXING); the uid
constraints still hold from the first write after a restart, because every connection waits
for the indexes before it writes (erm_graph/store/index_gate.py), and before it reads too,
unless its process is a one-command process served by head_start. Real engines, a graph large
enough that its indexes take a while to build."""

from __future__ import annotations

import shutil
from pathlib import Path

import falkordb
import pytest
import redis

from erm_graph.errors import UniqueViolation
from erm_graph.store import head_start
from erm_graph.store.embedded_server import SOCKET, EmbeddedServer
from erm_graph.store.falkordb_store import FalkorDBStore
from erm_graph.store.index_gate import STATUS, gated_client_kwargs

NODES = 300_000
#: the uid the index rebuild reaches last (it goes in the order the nodes were created)
LAST = f"x{NODES}"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stopped server's folder: NODES Interactions under their uid index and constraint,
    the AOF rewritten as a snapshot (as a load leaves it)."""
    data = tmp_path_factory.mktemp("gate") / "db"
    store = FalkorDBStore(data_dir=data)
    try:
        store.ensure_schema()
        store.write(f"UNWIND range(1, {NODES}) AS i CREATE (:Interaction {{uid: 'x' + "
                    "toString(i), kind: 'call'})")
        store.compact()
    finally:
        store.close()
    return data


@pytest.fixture
def data(stored: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "db"
    shutil.copytree(stored, copy)
    return copy


def building(data: Path) -> bool:
    """Some index is still being built ("[Indexing] 8510/300000: UNDER CONSTRUCTION"), asked
    on a plain connection (no gate)."""
    with redis.Redis(unix_socket_path=str(data / SOCKET), decode_responses=True) as conn:
        rows = conn.execute_command("GRAPH.RO_QUERY", "erm", STATUS)[1]
    return any(row[0] != "OPERATIONAL" for row in rows)


def test_a_stored_uid_is_refused_on_the_first_write_after_a_restart(data: Path) -> None:
    server = EmbeddedServer(data)
    server.acquire()  # answers as soon as the graph is read
    try:
        assert building(data)  # the window the gate closes
        store = FalkorDBStore(data_dir=data)
        try:
            with pytest.raises(UniqueViolation):
                store.write("CREATE (:Interaction {uid: $uid})", {"uid": LAST})
            assert not building(data)
            assert store.run("MATCH (n:Interaction {uid: $uid}) RETURN count(n)",
                             {"uid": LAST}).rows == [[1]]
        finally:
            store.close()
    finally:
        server.release()


def test_a_store_reads_once_the_indexes_are_built(data: Path) -> None:
    store = FalkorDBStore(data_dir=data)
    try:
        rows = store.run("MATCH (n:Interaction {uid: 'x42'}) RETURN n.kind").rows
        assert not building(data)  # it waited: a large read would need them
        assert rows == [["call"]]
    finally:
        store.close()


def test_a_head_started_store_reads_at_once_and_writes_once_they_are_built(data: Path) -> None:
    head_start.begin(data)
    store = FalkorDBStore(data_dir=data)
    try:
        assert store._server is not None and store._server.read_before_indexes
        rows = store.run("MATCH (n:Interaction {uid: 'x42'}) RETURN n.kind").rows
        assert building(data)  # answered by a scan of the label
        assert rows == [["call"]]
        with pytest.raises(UniqueViolation):
            store.write("CREATE (:Interaction {uid: $uid})", {"uid": LAST})
        assert not building(data)
    finally:
        store.close()


def test_the_gated_connections_are_set_as_the_clients_own(tmp_path: Path) -> None:
    """No socket timeout and no silent retries, as the falkordb client sets them: a load's long
    write must not time out after 5 s, a write must not be sent twice."""
    server = EmbeddedServer(tmp_path / "db")
    server.acquire()
    try:
        plain = falkordb.FalkorDB(unix_socket_path=str(server.socket))
        own = plain.connection.connection_pool.connection_kwargs
        gated = gated_client_kwargs(str(server.socket), read_before_indexes=False)[
            "connection_pool"].connection_kwargs
        ignored = ("driver_info", "read_before_indexes")  # the library's name; the gate's
        assert {k: repr(v) for k, v in gated.items() if k not in ignored} == \
            {k: repr(v) for k, v in own.items() if k not in ignored}
        plain.connection.close()
    finally:
        server.release()
