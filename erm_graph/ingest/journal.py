"""The load journal: which loads are under way or were cut short, kept in the graph itself.

A loader's fingerprint on a node says "this row is stored as it is", and a re-import skips such
rows, relationships included. Nodes are written before their relationships, so a load
interrupted between the two (Ctrl-C, a killed server) would leave nodes whose fingerprints hide
relationships that were never written. A load therefore leaves a ``PendingLoad`` node while it
writes (:func:`begin_load`); the next load of one of its files trusts no fingerprint of that
file (it compares every row with the graph and writes what is missing), then takes the file off
the mark (:func:`end_load`). Both are called under the store's load lock, so a mark that a load
holding the lock finds is an interrupted load's, never that of a load waiting its turn.
``erm status`` lists the files of the marks left (:func:`erm_graph.query.loads.unfinished_loads`,
the read of them). Marks are tiny and not part of the model; they are written and read with the
store's plain statements, the same on every engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from erm_graph.store.base import GraphWriter, now_iso

#: The label of the mark a load leaves while it writes
PENDING_LOAD = "PendingLoad"


def begin_load(store: GraphWriter, files: Sequence[str]) -> str:
    """Mark a load of ``files`` as under way; returns its token for :func:`end_load`."""
    token = uuid.uuid4().hex
    store.write(f"CREATE (:{PENDING_LOAD} {{token: $token, files: $files, started_at: $now}})",
                {"token": token, "files": list(files), "now": now_iso()})
    return token


def end_load(store: GraphWriter, token: str, files: Sequence[str],
             settled: Sequence[str] = ()) -> None:
    """The load ``token`` wrote everything: drop its mark, and take ``files`` off the
    interrupted loads ``settled`` (this load checked those files' rows in full)."""
    store.write(f"MATCH (m:{PENDING_LOAD}) WHERE m.token IN $settled "
                f"SET m.files = [f IN m.files WHERE NOT f IN $files]",
                {"settled": list(settled), "files": list(files)})
    store.write(f"MATCH (m:{PENDING_LOAD}) WHERE m.token = $token OR size(m.files) = 0 "
                f"DELETE m", {"token": token})
