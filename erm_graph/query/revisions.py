"""A map's history: its versions, newest first, as its ``MapRevision`` nodes record them.

The revisions are written by loads and restores (:mod:`erm_graph.ingest.revisions`); this is
the read the CLI (`erm map history`), the map page and ``GET /api/maps/{uid}/history`` share.
A revision's records (what a restore writes back) stay out of it: they are the map's whole
content, and a restore reads them itself.

A partner sees no history: revisions lie outside every partner's scope (:func:`within`).
"""

from __future__ import annotations

import json
from typing import Any

from erm_graph.auth.scope import within
from erm_graph.ingest.owners import namespace_of
from erm_graph.store import GraphReader

#: what each version of the history shows
COLUMNS = ("uid", "version", "at", "by", "action", "source_file", "restored_from", "added",
           "changed", "removed", "based_on", "summary")


def map_history(store: GraphReader, uid: str) -> dict[str, Any]:
    """The history of the map of ``uid`` (a map, its process, one of its steps, or its
    namespace): ``{"map", "version", "revisions"}``, ``version`` the latest (None for a map
    that no load recorded), each revision with ``changes``: the names added, changed and
    removed per label and relationship type.

    >>> map_history(store, "camunda-order/Process_Order")["version"]   # doctest: +SKIP
    2
    """
    namespace = namespace_of(uid)
    returned = ", ".join(f"r.{c} AS {c}" for c in COLUMNS)
    rows = store.run(f"MATCH (r:MapRevision) WHERE r.map = $map AND {within(store, 'r')} "
                     f"RETURN {returned}, r.changes AS changes ORDER BY r.version DESC",
                     {"map": namespace}).records()
    for row in rows:
        row["changes"] = json.loads(row["changes"] or "{}")
    return {"map": namespace, "version": rows[0]["version"] if rows else None,
            "revisions": rows}
