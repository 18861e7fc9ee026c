"""Attacks on the store layer: private data files, queries that hang the engine, parallel loads,
and engine refusals that must read as the user's mistake, not an outage (issue 18)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from erm_graph.store import open_store


def _loose(data_dir: Path) -> list[str]:
    """Everything in ``data_dir`` (and one level below) that group or others may use."""
    found = []
    for path in [data_dir, *data_dir.iterdir(), *(data_dir / "appendonlydir").iterdir()]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(data_dir.parent)} {oct(mode)}")
    return found


def test_embedded_files_are_private_after_start_rewrite_and_restart(tmp_path):
    """The data directory, the AOF and its rewrites, the log, the pid, the socket and the lock
    files: 0700 folders and 0600 files, whatever the caller's umask; a directory left with
    looser modes (by an older version, or by hand) is mended at the next start."""
    data = tmp_path / "db"
    old = os.umask(0o022)
    try:
        store = open_store(f"embedded:{data}")
        try:
            store.run("CREATE (:Probe {uid: 'a'})", read_only=False)
            assert _loose(data) == []
            store.compact()  # the engine writes a new AOF base and manifest
            assert _loose(data) == []
        finally:
            store.close()
        assert _loose(data) == []
        for path in [data, data / "appendonlydir"]:
            path.chmod(0o755)
        for path in (data / "appendonlydir").iterdir():
            path.chmod(0o644)
        (data / "server.log").chmod(0o644)
        store = open_store(f"embedded:{data}")
        try:
            assert (data / "server.pid").exists()
            assert _loose(data) == []
            assert store.run("MATCH (p:Probe) RETURN p.uid").rows == [["a"]]
        finally:
            store.close()
    finally:
        os.umask(old)
