"""The loads under way or cut short, as their marks in the graph say (the load journal of
:mod:`erm_graph.ingest.journal`, which writes and clears the marks): what a load reads to know
which files' fingerprints it may not trust, and what ``erm status`` lists."""

from __future__ import annotations

from erm_graph.ingest.journal import PENDING_LOAD
from erm_graph.store import GraphReader


def unfinished_loads(store: GraphReader) -> dict[str, list[str]]:
    """Loads begun and never ended (interrupted, or still writing): token -> names of the
    files they read."""
    return dict(store.run(f"MATCH (m:{PENDING_LOAD}) RETURN m.token, m.files").rows)
