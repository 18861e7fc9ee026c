"""Named-query answers kept by the web app while the graph does not change
(erm_graph/query/result_cache.py), on the real embedded engine: read once, stale as soon as the
engine's change stamp moves (a write from anywhere), dropped by the write-event subscriber,
never kept for a partner or across a write that overlapped the read."""

from __future__ import annotations

import pytest

from erm_graph.auth.scope import ScopedStore
from erm_graph.events import WriteKind, writing
from erm_graph.query import load_library, run_query
from erm_graph.query.result_cache import RESULTS, ResultCache

NAMES = """// name: names
// title: Names
// description: every customer's uid
// access: [officer]
// read_only: true
MATCH (c:Customer) RETURN c.uid AS uid ORDER BY uid
"""


@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "names.cypher").write_text(NAMES)
    return load_library(folder)


def add_unannounced(store, uid: str) -> None:
    """A write this process's write events do not announce: as one made by another process."""
    store.run("CREATE (:Party:Customer {uid: $u})", {"u": uid}, read_only=False)


def names(store, library, cache) -> list[str]:
    return [u for (u,) in run_query(store, "names", library=library, cache=cache).rows]


class Untold:
    """The embedded store read through a reader that does not tell when its data changed,
    as a Neo4j server does not."""

    def __init__(self, store):
        self._store, self.engine, self.location = store, store.engine, store.location

    def run(self, *args, **kwargs):
        return self._store.run(*args, **kwargs)


STATEMENT = "MATCH (c:Customer) RETURN c.uid AS uid ORDER BY uid"


def test_an_answer_is_read_once_while_the_graph_does_not_change(store):
    cache = ResultCache()
    add_unannounced(store, "cust-a")
    reads = []

    def read():
        reads.append(1)
        return store.run(STATEMENT)

    first = cache.run(store, STATEMENT, {}, read)
    first.rows.clear()  # each caller gets its own rows (the web trims them)
    again = cache.run(store, STATEMENT, {}, read)
    assert len(reads) == 1 and again.rows == [["cust-a"]]
    assert cache.run(store, STATEMENT, {"other": 1}, read) and len(reads) == 2


def test_a_write_from_another_process_shows_at_once(store, library):
    cache = ResultCache()
    add_unannounced(store, "cust-a")
    assert names(store, library, cache) == ["cust-a"]
    add_unannounced(store, "cust-b")  # the engine's change stamp moves: the answer is stale
    assert names(store, library, cache) == ["cust-a", "cust-b"]


def test_on_a_store_that_does_not_tell_writes_show_by_event_or_age(store, library):
    untold = Untold(store)
    cache = ResultCache()
    add_unannounced(store, "cust-a")
    assert names(untold, library, cache) == ["cust-a"]
    add_unannounced(store, "cust-b")
    assert names(untold, library, cache) == ["cust-a"], "kept: nothing said it changed"
    with writing(WriteKind.EDIT, "cust-c", store):
        cache.clear()  # what the package's subscriber does for RESULTS (tested below)
        add_unannounced(store, "cust-c")
    assert names(untold, library, cache) == ["cust-a", "cust-b", "cust-c"]
    aged = ResultCache(ttl=0.0)  # every answer already too old: another process's writes show
    assert names(untold, library, aged) == ["cust-a", "cust-b", "cust-c"]
    add_unannounced(store, "cust-d")
    assert names(untold, library, aged)[-1] == "cust-d"


def test_the_package_drops_the_web_app_s_answers_after_every_write(store, library):
    add_unannounced(store, "cust-a")
    assert names(store, library, RESULTS) == ["cust-a"]
    assert len(RESULTS) >= 1
    with writing(WriteKind.EDIT, "cust-b", store):
        add_unannounced(store, "cust-b")
    assert len(RESULTS) == 0
    assert names(store, library, RESULTS) == ["cust-a", "cust-b"]


def test_a_read_that_overlapped_a_write_is_not_kept(store, library):
    cache = ResultCache()
    add_unannounced(store, "cust-a")

    def read_while_a_write_ends():
        result = store.run(STATEMENT)
        cache.clear()  # a write ended meanwhile
        return result

    cache.run(store, STATEMENT, {}, read_while_a_write_ends)
    assert len(cache) == 0


def test_a_partner_s_answers_are_never_kept(store, library):
    cache = ResultCache()
    add_unannounced(store, "cust-a")
    add_unannounced(store, "cust-b")
    scoped = ScopedStore(store, frozenset({"cust-a"}))
    assert names(scoped, library, cache) == ["cust-a"]
    assert len(cache) == 0
