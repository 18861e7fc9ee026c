"""What every engine must do: schema, idempotent upserts, read-only and timeouts.

Runs on the embedded engine by default and on Neo4j with ``--backend=neo4j``.
"""

from __future__ import annotations

import pytest

from erm_graph import model
from erm_graph.errors import QueryError, QueryTimeout, ReadOnlyError, UniqueViolation


def test_schema_indexes_every_label_and_is_repeatable(store):
    store.ensure_schema()
    store.ensure_schema()  # a second run must not fail on existing indexes
    indexed = {row[0] for row in store.run(
        "CALL db.indexes() YIELD label, properties RETURN label, properties").rows
        if "uid" in row[1]}
    assert set(model.LABELS) <= indexed


def test_unique_uid_is_enforced_by_the_engine(store):
    store.ensure_schema()
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "A"}])
    with pytest.raises(Exception, match="(?i)unique|constraint|already exists"):
        store.run("CREATE (:Party {uid: 'c1'})", read_only=False)


def test_a_duplicate_uid_is_a_typed_error_and_an_upsert_recovers_from_it(store):
    """The engine's refusal of a second uid comes back as UniqueViolation (still a query
    error: a 400 on the web), so the upsert catches a type, not a message; an optimistic
    CREATE that meets a known uid then takes the read path and reports the truth."""
    store.ensure_schema()
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "A"}])
    with pytest.raises(UniqueViolation) as caught:
        store.write("CREATE (:Party {uid: 'c1'})")
    assert isinstance(caught.value, QueryError) and caught.value.kind == "query"
    rows = [{"uid": f"n{i}", "name": f"N{i}"} for i in range(2 * 5000)] + [
        {"uid": "c1", "name": "B"}]
    counts = store.upsert_nodes("Customer", rows)
    assert (counts.created, counts.updated, counts.unchanged) == (10_000, 1, 0)
    assert store.run("MATCH (n:Party {uid: 'c1'}) RETURN count(n), n.name").rows == [[1, "B"]]


def test_upserts_are_idempotent_and_update_in_place(store):
    store.ensure_schema()
    rows = [{"uid": f"c{i}", "name": f"Customer {i}", "tier": 2} for i in range(12_000)]
    first = store.upsert_nodes("Customer", rows)
    assert (first.created, first.updated, first.unchanged) == (12_000, 0, 0)
    again = store.upsert_nodes("Customer", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12_000)
    rows[5] = {**rows[5], "tier": 1}
    changed = store.upsert_nodes("Customer", rows)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 11_999)
    assert store.run("MATCH (c:Customer {uid: 'c5'}) RETURN c.tier, labels(c)").rows[0][0] == 1
    assert store.run("MATCH (n:Party) RETURN count(n)").rows == [[12_000]]
    created_at = store.run("MATCH (c:Customer {uid: 'c5'}) RETURN c.created_at, c.updated_at")
    assert all(created_at.rows[0])


def test_relationship_upserts_report_missing_ends(store):
    store.ensure_schema()
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "Eve"}])
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    rows = [{"start": "e1", "end": "c1"}, {"start": "e1", "end": "nope"},
            {"start": "ghost", "end": "c1"}]
    counts = store.upsert_relationships("MANAGES", "Employee", "Customer", rows)
    assert counts.created == 1
    assert sorted((p.field, p.got) for p in counts.missing) == [("end", "nope"),
                                                                ("start", "ghost")]
    again = store.upsert_relationships("MANAGES", "Employee", "Customer", rows[:1])
    assert (again.created, again.unchanged) == (0, 1)
    assert store.run("MATCH (:Employee)-[m:MANAGES]->(:Party) RETURN count(m)").rows == [[1]]


@pytest.mark.parametrize("statement", [
    "CREATE (n:Customer {uid: 'x'})",
    "MATCH (n) SET n.hacked = true",
    "MATCH (n) DETACH DELETE n",
    "MERGE (n:Party {uid: 'y'})",
])
def test_read_only_runs_refuse_writes(store, statement):
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "A"}])
    with pytest.raises(ReadOnlyError, match="--write"):
        store.run(statement)
    assert store.run("MATCH (n) WHERE n.hacked IS NOT NULL OR n.uid IN ['x', 'y'] "
                     "RETURN count(n)").rows == [[0]]
    assert store.run("MATCH (n) RETURN count(n)").rows == [[1]]


def test_a_runaway_query_is_stopped_by_its_timeout(store):
    with pytest.raises(QueryTimeout):
        store.run("UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b "
                  "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(a)", timeout=0.2)
    assert store.run("RETURN 1").rows == [[1]]


def test_counts_and_clear(store):
    store.ensure_schema()
    store.upsert_nodes("Supplier", [{"uid": "s1", "name": "Steel Co"}])
    labels, types = store.counts()
    assert labels["Supplier"] == 1 and labels["Party"] == 1 and labels["Customer"] == 0
    assert set(types) == set(model.RELATIONSHIPS)
    store.clear()
    assert store.run("MATCH (n) RETURN count(n)").rows == [[0]]
