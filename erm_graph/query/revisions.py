"""A map's history: its versions, newest first, as its ``MapRevision`` nodes record them; and
what a reload or a restore of a map reads before it writes.

The revisions are written by loads, restores and edits (:mod:`erm_graph.ingest.revisions`);
:func:`map_history` is the read the CLI (`erm map history`), the map page and
``GET /api/maps/{uid}/history`` share. A revision's records (what a restore writes back) stay
out of it: they are the map's whole content, and a restore reads them with :func:`revision`.
A reload plans its changes from :func:`latest_version`, what the map's files wrote
(:func:`written_nodes`, :func:`written_relationships`) and what still holds a record it would
retire (:func:`ties`).

A partner sees no history: revisions lie outside every partner's scope (:func:`within`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from erm_graph.auth.scope import within
from erm_graph.errors import ErmError
from erm_graph.ingest.flowchart import OWN_LABELS, SHARED_LABELS, TYPES
from erm_graph.ingest.owners import namespace_of
from erm_graph.store import GraphReader

#: the label of a map's revisions
REVISION = "MapRevision"

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
    rows = store.run(f"MATCH (r:{REVISION}) WHERE r.map = $map AND {within(store, 'r')} "
                     f"RETURN {returned}, r.changes AS changes ORDER BY r.version DESC",
                     {"map": namespace}).records()
    for row in rows:
        row["changes"] = json.loads(row["changes"] or "{}")
    return {"map": namespace, "version": rows[0]["version"] if rows else None,
            "revisions": rows}


def latest_version(store: GraphReader, namespace: str) -> int | None:
    """The latest version of the map ``namespace``; None before its first."""
    rows = store.run(f"MATCH (r:{REVISION}) WHERE r.map = $map RETURN max(r.version)",
                     {"map": namespace}).rows
    return rows[0][0] if rows and rows[0][0] is not None else None


def revision(store: GraphReader, namespace: str, version: int) -> dict[str, Any]:
    """The revision ``version`` of the map ``namespace``, with its records; an error names
    the versions there are."""
    rows = store.run(f"MATCH (r:{REVISION}) WHERE r.map = $map AND r.version = $version "
                     f"RETURN properties(r)", {"map": namespace, "version": version}).rows
    if not rows:
        known = [v for (v,) in store.run(f"MATCH (r:{REVISION}) WHERE r.map = $map "
                                         f"RETURN r.version ORDER BY r.version",
                                         {"map": namespace}).rows]
        raise ErmError(f"map {namespace!r} has no version {version}; "
                       + (f"its versions: {', '.join(map(str, known))} (erm map history "
                          f"{namespace})" if known else "it has no history: load its file"))
    props: dict[str, Any] = rows[0][0]
    return props


def written_nodes(store: GraphReader, namespace: str, marks: Sequence[str]
                  ) -> list[tuple[str, list[str], dict[str, Any]]]:
    """The nodes a map's files wrote, as the graph holds them now: (the flowchart label it
    was found under, its labels, its properties). ``marks``: the files' marks in a
    ``source`` (``:<file>#``). A map's own records lie under its namespace; those an edit
    in the app took in (a map whose uids have no namespace, the demo's) carry the map's own
    edit mark; a shared node (a department, a document, a party) is the files' by its
    ``source`` alone."""
    found = []
    for label in OWN_LABELS:
        found += [(label, labels, props) for labels, props in store.run(
            f"MATCH (n:{label}) WHERE (n.uid STARTS WITH $prefix "
            f"AND any(m IN $marks WHERE n.source CONTAINS m)) "
            f"OR n.source STARTS WITH $edited "
            f"RETURN labels(n), properties(n)",
            {"prefix": f"{namespace}/", "marks": list(marks),
             "edited": f"edit:{namespace}.edits#"}).rows]
    for label in SHARED_LABELS:
        found += [(label, labels, props) for labels, props in store.run(
            f"MATCH (n:{label}) WHERE any(m IN $marks WHERE "
            f"n.source CONTAINS m) RETURN labels(n), properties(n)",
            {"marks": list(marks)}).rows]
    return found


def written_relationships(store: GraphReader, marks: Sequence[str]
                          ) -> list[tuple[str, list[str], str, list[str], str, dict[str, Any]]]:
    """The flowchart relationships whose ``source`` holds one of ``marks``: (type, the
    start's labels and uid, the end's labels and uid, its properties)."""
    found = []
    for rel_type in TYPES:
        found += [(rel_type, a, start, b, end, props) for a, start, b, end, props in store.run(
            f"MATCH (a)-[x:{rel_type}]->(b) WHERE any(m IN $marks WHERE x.source "
            f"CONTAINS m) RETURN labels(a), a.uid, labels(b), b.uid, properties(x)",
            {"marks": list(marks)}).rows]
    return found


def ties(store: GraphReader, key_label: str, uids: Sequence[str]
         ) -> list[tuple[str, str, bool, list[str], str, Any]]:
    """Every relationship of the nodes ``uids`` of ``key_label`` (a key label of the model):
    (uid, type, whether the node is its start, the other end's labels, uid and name)."""
    return [(uid, rel_type, out, labels, other, name)
            for uid, rel_type, out, labels, other, name in store.run(
                f"UNWIND $uids AS u MATCH (n:{key_label} {{uid: u}})-[x]-(o) "
                f"RETURN u, type(x), startNode(x) = n, labels(o), o.uid, o.name",
                {"uids": list(uids)}).rows]
