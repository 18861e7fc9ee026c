"""Who holds what, as a load asks before it writes: the owners stored for a load's components
(:mod:`erm_graph.ingest.load_owners`, the one-owner rule) and the files that wrote the maps
under a namespace (:mod:`erm_graph.ingest.owners`, one file per map; a map's revision reads
them too, :mod:`erm_graph.ingest.revisions`).

Imported as a load starts, so it imports no more than the store: the governance view of owners
is :mod:`erm_graph.query.governance`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from erm_graph.store.base import GraphReader, batches


def stored_owners(store: GraphReader, label: str, uids: Iterable[str]
                  ) -> list[tuple[str, str, str | None, str | None]]:
    """The owners the graph holds of the components ``uids`` of ``label`` (a label of the
    model, as a load's ``RESPONSIBLE_FOR`` rows name it), one row per ``RESPONSIBLE_FOR``:
    (component uid, owner uid, ``set_at``, ``set_by``), ``set_at`` given where the owner was
    set by hand."""
    found: list[tuple[str, str, str | None, str | None]] = []
    for chunk in batches(sorted(set(uids))):
        found += [(uid, owner, set_at, set_by) for uid, owner, set_at, set_by in store.run(
            f"UNWIND $uids AS u MATCH (c:{label} {{uid: u}})"
            f"<-[r:RESPONSIBLE_FOR]-(e:Employee) "
            f"RETURN u, e.uid, r.set_at, r.set_by", {"uids": list(chunk)}).rows]
    return found


def map_files(store: GraphReader, namespace: str) -> list[Any]:
    """The ``source_file`` of the maps whose uids lie under ``namespace``, each once, as
    stored (None for a map that records none)."""
    return [file for (file,) in store.run("MATCH (m:Map) WHERE m.uid STARTS WITH $prefix "
                                          "RETURN DISTINCT m.source_file",
                                          {"prefix": f"{namespace}/"}).rows]
