"""The store carries the default timeout of reads, set once where it is opened: readers pass
none along, and a read stops at it with the engine's timeout error."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from erm_graph.database_url import DatabaseURL
from erm_graph.errors import QueryTimeout
from erm_graph.query import run_cypher, run_query
from erm_graph.query.explore import search
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

#: a read of a few seconds on the embedded engine, many times what a stop at 0.05 s takes. Its
#: lists are small: the engine builds a list before it looks at the clock again, so one long
#: ``range`` cannot be stopped until it is built (that made the stop as slow as the whole read
#: on a loaded machine)
SLOW = ("UNWIND range(1, 1000) AS a UNWIND range(1, 10000) AS b "
        "WITH a, b WHERE (a * b) % 7 = 99 RETURN count(*)")


def test_a_read_stops_at_the_stores_default_and_an_explicit_timeout_wins(store):
    store.read_timeout = 0.05
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        store.run(SLOW)
    stopped = time.monotonic() - started
    started = time.monotonic()
    assert store.run(SLOW, timeout=120).rows == [[0]]
    # stopped early, not run to the end: measured against the whole read in the same run, so
    # a loaded machine slows both (a fixed bound in seconds failed under CI's load)
    assert stopped < time.monotonic() - started


def test_writes_do_not_take_the_read_timeout(store):
    store.read_timeout = 0.001
    store.run("UNWIND range(1, 20000) AS i CREATE (:Party {uid: 'p' + toString(i)})",
              read_only=False)
    assert store.run("MATCH (n:Party) RETURN count(n)", timeout=60).rows == [[20000]]


def test_open_store_sets_the_read_timeout_once(store):
    opened = open_store(f"embedded:{store.location}", read_timeout=0.05)
    try:
        assert opened.read_timeout == 0.05
        with pytest.raises(QueryTimeout):
            opened.run(SLOW)
        # the explorer's readers name no timeout of their own: the store's applies
        assert search(opened, "nobody") == []
    finally:
        opened.close()


def test_ad_hoc_and_named_queries_still_stop_at_erm_query_timeout(store, monkeypatch):
    monkeypatch.setenv("ERM_QUERY_TIMEOUT", "0.05")
    store.read_timeout = 600  # the setting, not a store's default, times the query paths
    with pytest.raises(QueryTimeout):
        run_cypher(store, SLOW)
    assert run_query(store, "unowned-components").rows == []


def test_the_web_app_opens_its_store_with_the_query_timeout(store, tmp_path):
    settings = Settings.from_env(db=DatabaseURL.parse(f"embedded:{store.location}"),
                                 users_db=tmp_path / "u.db", query_timeout=7)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        assert client.app.state.store.read_timeout == 7
        assert client.get("/api/search", params={"q": "x"}).status_code == 200
