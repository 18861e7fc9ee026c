"""The store's two sides: every engine is a GraphReader and a GraphWriter; a partner's
ScopedStore is a reader and nothing else, with its scope applied inside its own methods."""

from __future__ import annotations

import pytest

from erm_graph.auth.scope import ScopedStore
from erm_graph.errors import ReadOnlyError
from erm_graph.store import GraphReader, GraphStore, GraphWriter

WRITING = ("write", "upsert_nodes", "upsert_relationships", "ensure_schema", "stale_rows",
           "load_lock", "compact", "clear")


def test_an_engine_is_both_a_reader_and_a_writer(store):
    assert isinstance(store, GraphReader) and isinstance(store, GraphWriter)
    assert isinstance(store, GraphStore)


def test_a_partners_store_is_a_reader_with_its_scope_inside_and_no_writing_side(store):
    store.ensure_schema()
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Mine"}, {"uid": "c2", "name": "Not"}])
    scoped = ScopedStore(store, frozenset({"c1"}))
    assert isinstance(scoped, GraphReader) and not isinstance(scoped, GraphWriter)
    assert [name for name in WRITING if hasattr(scoped, name)] == []
    assert scoped.run("MATCH (n:Party) RETURN n.uid AS uid ORDER BY uid").rows == [["c1"]]
    assert scoped.run("MATCH (n:Party) WHERE n.uid IN $scope RETURN count(n) AS n, "
                      "collect(n.uid) AS uid").rows == [[1, ["c1"]]]
    assert scoped.counts() == ({"Party": 1, "Customer": 1}, {})
    with pytest.raises(ReadOnlyError):
        scoped.run("CREATE (:Party {uid: 'c3'})", read_only=False)
    scoped.close()  # a view: the store it reads stays open for its owner
    assert store.run("MATCH (n:Party) RETURN count(n)").rows == [[2]]
