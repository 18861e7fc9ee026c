"""The same store contract on a live Neo4j 5: runs only when ERM_TEST_NEO4J_URL is set.

The whole suite can also run there with ``pytest --backend=neo4j``; these tests make sure a
plain ``pytest`` shows the Neo4j side as skipped, with the reason, rather than silently absent.
The graph at that URL is wiped.
"""

from __future__ import annotations

import pytest

from erm_graph.errors import QueryTimeout, ReadOnlyError
from erm_graph.store import open_store
from tests.conftest import NEO4J_URL

pytestmark = pytest.mark.neo4j


@pytest.fixture
def neo4j_store():
    store = open_store(NEO4J_URL or "")
    store.clear()
    yield store
    store.close()


def test_neo4j_schema_upserts_and_counts(neo4j_store):
    neo4j_store.ensure_schema()
    neo4j_store.ensure_schema()
    rows = [{"uid": f"c{i}", "name": f"Customer {i}"} for i in range(100)]
    assert neo4j_store.upsert_nodes("Customer", rows).created == 100
    assert neo4j_store.upsert_nodes("Customer", rows).unchanged == 100
    labels, _ = neo4j_store.counts()
    assert labels["Customer"] == labels["Party"] == 100


def test_neo4j_read_only_is_enforced_by_the_server(neo4j_store):
    with pytest.raises(ReadOnlyError):
        neo4j_store.run("CREATE (:Customer {uid: 'x'})")


def test_neo4j_timeout(neo4j_store):
    with pytest.raises(QueryTimeout):
        neo4j_store.run("UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b "
                        "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(a)", timeout=0.2)


def test_neo4j_fulltext_index_on_names(neo4j_store):
    neo4j_store.ensure_schema()
    neo4j_store.upsert_nodes("Customer", [{"uid": "c1", "name": "Harbor & Finch Logistics"}])
    neo4j_store.upsert_nodes("Employee", [{"uid": "e1", "name": "Tomas Lindqvist"}])
    rows = neo4j_store.run("CALL db.index.fulltext.queryNodes($index, $text) YIELD node "
                           "RETURN node.uid", {"index": "erm_names", "text": "harbor"}).rows
    assert rows == [["c1"]]
