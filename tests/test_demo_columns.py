"""The demo's bare relationships as columns, and the writer's one-pass check of rows that
cannot exist yet: the same rows, and the same graph, as before."""

from __future__ import annotations

import pytest

from erm_graph.demo import generate
from erm_graph.demo.columns import PairBatch
from erm_graph.ingest import GraphBatch, write_batch
from erm_graph.records import Records
from erm_graph.store.base import BATCH_SIZE
from erm_graph.store.upsert import cannot_exist

# (type, start label, start, end label, end, properties): bare rows, rows with properties,
# the same pair twice, and a type that takes both kinds of rows
ROWS = [
    ("WITH", "Interaction", "i1", "Employee", "e1", {}),
    ("PERFORMS", "Employee", "e1", "Step", "s1", {}),
    ("WITH", "Interaction", "i2", "Employee", "e1", {}),
    ("PERFORMS", "Employee", "e2", "Step", "s1", {"role": "lead"}),
    ("WITH", "Interaction", "i1", "Employee", "e1", {}),
    ("PERFORMS", "Employee", "e3", "Step", "s2", {}),
]


def test_a_pair_batch_holds_the_rows_a_graph_batch_holds_in_their_order():
    plain, pairs = GraphBatch(), PairBatch()
    for n, (rel_type, start_label, start, end_label, end, props) in enumerate(ROWS, 1):
        plain.add_relationship(rel_type, start_label, start, end_label, end, **props)
        pairs.add_relationship(rel_type, start_label, start, end_label, end, **props)
        assert len(pairs) == len(plain) == n
    pairs.finish()
    assert set(pairs.relationships) == set(plain.relationships)
    for key, rows in plain.relationships.items():
        assert list(pairs.relationships[key]) == rows
    assert isinstance(pairs.relationships[("WITH", "Interaction", "Employee")], Records)


def test_the_bulk_parts_hold_their_bare_relationships_as_columns():
    parts = list(generate(3_000, seed=5))
    held = [rows for part in parts for rows in part.relationships.values()]
    columns = [rows for rows in held if isinstance(rows, Records)]
    assert columns, "the bulk parts give their bare relationships as columns"
    assert sum(map(len, columns)) > sum(len(rows) for rows in held) / 2
    for rows in columns:
        assert set(rows.columns) >= {"start", "end"}
        assert all(row["start"] and row["end"] for row in rows)


def test_rows_that_all_end_at_new_nodes_are_taken_whole_and_the_others_apart():
    rows = [{"start": "a1", "end": "b1"}, {"start": "a2", "end": "b2"},
            {"start": "a1", "end": "b1"}]
    pairs, rest = cannot_exist(rows, False, {}, {"b1": 1, "b2": 2})
    assert (list(pairs), rest) == ([("a1", "b1"), ("a2", "b2")], [])
    pairs, rest = cannot_exist(rows, False, {"a2": 7}, {})
    assert (list(pairs), rest) == ([("a2", "b2")], [rows[0], rows[2]])
    assert cannot_exist(rows, False, {}, {}) == ([], rows)


def test_a_later_part_creates_its_relationships_to_its_new_nodes_once(store):
    first = GraphBatch()
    for uid in ("cust-1", "cust-2"):
        first.add_node("Customer", {"uid": uid, "name": uid})
    first.add_node("Interaction", {"uid": "int-1", "kind": "call"})
    first.add_relationship("HAD", "Customer", "cust-1", "Interaction", "int-1")
    write_batch(store, first, check=False)
    later = PairBatch()  # the type has a row already: every row ends at a node of this part
    for uid in ("int-2", "int-3"):
        later.add_node("Interaction", {"uid": uid, "kind": "call"})
    later.add_relationship("HAD", "Customer", "cust-1", "Interaction", "int-2")
    later.add_relationship("HAD", "Customer", "cust-2", "Interaction", "int-3")
    later.add_relationship("HAD", "Customer", "cust-2", "Interaction", "int-3")
    report = write_batch(store, later.finish(), check=False)
    assert (report.types["HAD"].created, report.types["HAD"].unchanged) == (2, 1)
    stored = store.run("MATCH (c:Customer)-[:HAD]->(i:Interaction) "
                       "RETURN c.uid, i.uid ORDER BY i.uid").rows
    assert stored == [["cust-1", "int-1"], ["cust-1", "int-2"], ["cust-2", "int-3"]]


def customers_kept(store) -> dict:
    """Two customers written by a batch whose new nodes are kept (``known_ids``): those."""
    if not getattr(store, "_bulk", None):
        pytest.skip("ids are read only by the embedded engine's bulk writer")
    ids: dict = {}
    first = GraphBatch()
    for uid in ("cust-1", "cust-2"):
        first.add_node("Customer", {"uid": uid, "name": uid})
    write_batch(store, first, check=False, known_ids=ids)
    return ids


def test_ends_an_earlier_batch_created_are_confirmed_by_id_not_looked_up(store):
    ids = customers_kept(store)
    assert len(ids["Party"]) == 2
    later = PairBatch()
    for uid in ("int-1", "int-2"):
        later.add_node("Interaction", {"uid": uid, "kind": "call"})
    later.add_relationship("HAD", "Customer", "cust-2", "Interaction", "int-1")
    later.add_relationship("HAD", "Customer", "cust-1", "Interaction", "int-2")
    reads, read_on = [], store._read_on
    store._read_on = lambda conn, cypher, params: reads.append(cypher) or read_on(
        conn, cypher, params)
    report = write_batch(store, later.finish(), check=False, known_ids=ids)
    assert report.types["HAD"].created == 2 and len(ids["Interaction"]) == 2
    assert reads and not [text for text in reads if "OPTIONAL MATCH" in text]  # no lookup
    stored = store.run("MATCH (c:Customer)-[:HAD]->(i:Interaction) "
                       "RETURN c.uid, i.uid ORDER BY i.uid").rows
    assert stored == [["cust-2", "int-1"], ["cust-1", "int-2"]]


def test_an_earlier_batchs_id_taken_by_another_node_is_looked_up(store):
    ids = customers_kept(store)
    store.write("MATCH (n:Customer {uid: 'cust-1'}) DELETE n")
    store.write("CREATE (:Customer:Party {uid: 'cust-9', name: 'x'})")  # may take its id
    later = PairBatch()
    later.add_node("Interaction", {"uid": "int-1", "kind": "call"})
    later.add_relationship("HAD", "Customer", "cust-1", "Interaction", "int-1")
    later.add_relationship("HAD", "Customer", "cust-2", "Interaction", "int-1")
    report = write_batch(store, later.finish(), check=False, known_ids=ids)
    assert report.types["HAD"].created == 1 and len(report.rejected) == 1
    assert store.run("MATCH (c:Customer)-[:HAD]->(i:Interaction) RETURN c.uid, i.uid"
                     ).rows == [["cust-2", "int-1"]]


def test_a_uid_another_writer_stored_between_two_parts_is_not_created_twice(store):
    """A later part's nodes of a label that holds nodes already are looked up, in one index
    scan per batch: nodes of their uids that another writer stored between the parts are
    updated, never stored twice. Here in the part's third batch, which is bulk-created
    unread once the first ones held no stored uid, unless its lookup finds one."""
    ids = customers_kept(store)
    uids = [f"cust-{i}" for i in range(3, 2 * BATCH_SIZE + 1_000)]
    theirs = [uids[2 * BATCH_SIZE + 100], uids[2 * BATCH_SIZE + 500]]
    for uid in theirs:
        store.write("CREATE (:Customer:Party {uid: $u, name: 'theirs'})", {"u": uid})
    later = GraphBatch()
    for uid in uids:
        later.add_node("Customer", {"uid": uid, "name": uid})
    report = write_batch(store, later, check=False, known_ids=ids)
    assert (report.labels["Customer"].created, report.labels["Customer"].updated) == (
        len(uids) - 2, 2)
    assert store.run("MATCH (n:Party) RETURN count(n), count(DISTINCT n.uid)").rows == [
        [len(uids) + 2] * 2]
    assert store.run("MATCH (n:Customer) WHERE n.uid IN $u RETURN n.name ORDER BY n.name",
                     {"u": theirs}).rows == [[name] for name in sorted(theirs)]
    assert len(ids["Party"]) == len(uids)
