"""A frozen embedded engine (SIGSTOP) is found within a bounded time when a store opens: by the
probe that decides whether a running server can be reused, and by the store's first query. Once
an engine that answered its readiness probe never answered ``RETURN 1``, and every test of the
run waited out its timeout."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from erm_graph.errors import StoreError
from erm_graph.store import embedded_server as server_module
from erm_graph.store import falkordb_store, open_store
from erm_graph.store.embedded_server import PID, EmbeddedServer, _running

# without the bounds these tests hang: fail them well before the suite's own timeout
pytestmark = pytest.mark.timeout(90)


def _pid(data_dir: Path) -> int:
    return int((data_dir / PID).read_text())


def _unfreeze(pid: int) -> None:
    """Kill a server a failed test left frozen (a stopped process holds its socket forever)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_a_frozen_server_is_replaced_when_a_store_opens(tmp_path, monkeypatch):
    monkeypatch.setattr(server_module, "SILENT_SECONDS", 1.0)
    holder = open_store(f"embedded:{tmp_path}")
    holder.run("CREATE (:Customer {uid: 'kept'})", read_only=False)
    frozen = _pid(tmp_path)
    os.kill(frozen, signal.SIGSTOP)
    try:
        started = time.monotonic()
        store = open_store(f"embedded:{tmp_path}")
        took = time.monotonic() - started
        try:
            assert took < 15, f"{took:.1f} s"
            assert not _running(frozen), "the frozen server is killed"
            assert _pid(tmp_path) != frozen
            # the new server replayed the AOF: acknowledged writes are kept
            assert store.run("MATCH (c:Customer) RETURN c.uid").rows == [["kept"]]
        finally:
            store.close()
    finally:
        _unfreeze(frozen)
        holder.close()


def _freeze_after_start(monkeypatch, times: int) -> list[int]:
    """Every server this process starts is frozen right after it answered its readiness
    probe, ``times`` times; returns the frozen pids."""
    frozen: list[int] = []
    start = EmbeddedServer._start

    def start_then_freeze(self: EmbeddedServer,
                          launched: Callable[[], None] | None = None) -> None:
        start(self, launched)
        if len(frozen) < times:
            frozen.append(_pid(self.data_dir))
            os.kill(frozen[-1], signal.SIGSTOP)

    monkeypatch.setattr(EmbeddedServer, "_start", start_then_freeze)
    monkeypatch.setattr(falkordb_store, "FIRST_QUERY_SECONDS", 2.0)
    return frozen


def test_a_server_frozen_before_the_first_query_is_restarted_once(tmp_path, monkeypatch):
    frozen = _freeze_after_start(monkeypatch, times=1)
    started = time.monotonic()
    try:
        store = open_store(f"embedded:{tmp_path}")
        took = time.monotonic() - started
        try:
            assert took < 20, f"{took:.1f} s"
            assert len(frozen) == 1 and not _running(frozen[0])
            assert store.run("RETURN 1").rows == [[1]]
        finally:
            store.close()
    finally:
        for pid in frozen:
            _unfreeze(pid)


def test_a_server_frozen_again_after_its_restart_is_a_clear_error(tmp_path, monkeypatch):
    frozen = _freeze_after_start(monkeypatch, times=2)
    started = time.monotonic()
    try:
        with pytest.raises(StoreError, match="did not answer its first commands within 2 s"):
            open_store(f"embedded:{tmp_path}")
        assert time.monotonic() - started < 30
        assert len(frozen) == 2 and not any(_running(pid) for pid in frozen)
    finally:
        for pid in frozen:
            _unfreeze(pid)
