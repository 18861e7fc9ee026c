"""The walk that export, copy and every verification read a store by: each node once, in uid
order, page by page between bounds found ahead, while the store may change under it."""

from __future__ import annotations

from itertools import pairwise

import pytest

from erm_graph.interop import stream
from erm_graph.interop.stream import NodeRecord, RelRecord, walk

# uids whose order is not their length's, prefixes of each other, and beyond ASCII
UIDS = sorted({f"p:{i}" for i in range(40)} | {"p:1", "p:10", "p:100", "p:1x", "p:é", "p:ü"})


def _fill(store) -> None:
    store.write("UNWIND $uids AS u CREATE (:Party:Customer {uid: u, name: 'n ' + u})",
                {"uids": UIDS})
    store.write("UNWIND range(0, size($uids) - 2) AS k MATCH (a:Party {uid: $uids[k]}), "
                "(b:Party {uid: $uids[k + 1]}) CREATE (a)-[:RELATES_TO {k: k}]->(b)",
                {"uids": UIDS})


@pytest.mark.parametrize(("page", "lookahead"), [(3, 2), (4, 1), (7, 20), (1000, 2)])
def test_every_node_once_in_uid_order_with_its_relationships(store, monkeypatch, page,
                                                              lookahead):
    monkeypatch.setattr(stream, "LOOKAHEAD", lookahead)
    _fill(store)
    problems: list[str] = []
    records = list(walk(store, problems, page=page))
    nodes = [r.props["uid"] for r in records if isinstance(r, NodeRecord)]
    assert nodes == UIDS and not problems
    assert all(r.props["name"] == "n " + r.props["uid"] for r in records
               if isinstance(r, NodeRecord))
    rels = [(r.start, r.end, r.props["k"]) for r in records if isinstance(r, RelRecord)]
    assert sorted(rels, key=lambda x: x[2]) == [(a, b, k) for k, (a, b)
                                                in enumerate(pairwise(UIDS))]
    # each relationship comes in the page of its start, after that start
    seen: set[str] = set()
    for record in records:
        if isinstance(record, NodeRecord):
            seen.add(record.props["uid"])
        else:
            assert record.start in seen
    only_uids = list(walk(store, problems, page=page, relationships=False))
    assert [r.props["uid"] for r in only_uids] == UIDS


def test_nodes_written_during_the_walk_ahead_of_it_are_read_and_deleted_ones_are_not(
        store, monkeypatch):
    monkeypatch.setattr(stream, "LOOKAHEAD", 2)
    _fill(store)
    problems: list[str] = []
    read: list[str] = []
    added = ["p:39a", "p:39b", "p:39c", "p:39d", "p:zz", "p:zzz"]  # inside a page, and past all
    for record in walk(store, problems, page=3, relationships=False):
        read.append(record.props["uid"])
        if len(read) == 4:  # the bounds of the pages ahead are known: write under them
            store.write("UNWIND $uids AS u CREATE (:Party:Customer {uid: u})", {"uids": added})
            store.write("MATCH (n:Party {uid: 'p:5'}) DETACH DELETE n")
    assert read == sorted(set(UIDS + added) - {"p:5"})


class _Replies:
    """The store, with the rows of each reply of relationships counted: what the walk holds
    at once."""

    def __init__(self, store):
        self.store = store
        self.engine = store.engine
        self.largest = 0

    def run(self, cypher, params=None, **kwargs):
        result = self.store.run(cypher, params, **kwargs)
        if "-[r]->" in cypher:
            self.largest = max(self.largest, len(result.rows))
        return result


def test_a_page_of_many_relationships_is_read_in_bounded_replies_each_once(store, monkeypatch):
    """An account manager with thousands of accounts: the relationships a page's nodes start
    are read at most ``REL_PAGE`` a reply (a little more where parallel relationships count
    once), grouped by node, a node of more in pages of its own; each relationship once, the
    parallel ones and a node of exactly ``REL_PAGE`` too."""
    monkeypatch.setattr(stream, "REL_PAGE", 10)
    degrees = {"m:hub": 37, "m:ten": 10, "m:a": 4, "m:b": 6, "m:c": 3, "m:d": 0, "m:e": 9}
    uids = sorted(degrees)
    store.write("UNWIND $uids AS u CREATE (:Employee {uid: u})", {"uids": uids})
    store.write("UNWIND range(0, 39) AS i CREATE (:Party:Customer {uid: 'c:' + toString(i)})")
    for uid, degree in degrees.items():
        store.write("MATCH (m:Employee {uid: $m}) UNWIND range(0, $d - 1) AS i "
                    "MATCH (c:Party {uid: 'c:' + toString(i % 35)}) "
                    "CREATE (m)-[:MANAGES {i: i}]->(c)", {"m": uid, "d": degree})
    expected = sorted((u, f"c:{i % 35}", i) for u, d in degrees.items() for i in range(d))
    assert len({(u, c) for u, c, _ in expected}) < len(expected)  # parallel ones among them
    for page in (3, 50):
        replies = _Replies(store)
        problems: list[str] = []
        rels = sorted((r.start, r.end, r.props["i"]) for r in walk(replies, problems, page=page)
                      if isinstance(r, RelRecord) and r.type == "MANAGES")
        assert rels == expected and not problems
        assert replies.largest == 11  # a first read that finds more than REL_PAGE, stopped
