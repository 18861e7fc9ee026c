"""What an edit of a map in the app reads: the map as the graph holds it now, whatever wrote
it (a flowchart file, the demo, earlier edits), and the labels of the records a change names.

A map's content here is its process, the maps that depict it, its steps, every relationship of
the flowchart types (:data:`erm_graph.ingest.flowchart.TYPES`) that touches one of them, the
owners of the documents and departments attached to its steps, and the attached nodes
themselves (the edit keeps only those its map's files or earlier edits wrote).
:mod:`erm_graph.edit.maps` applies a change list to it and saves the result as the map's next
revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from erm_graph import model
from erm_graph.ingest.flowchart import TYPES
from erm_graph.store import GraphReader

#: what one content row is: labels and properties of a node
Row = tuple[list[str], dict[str, Any]]
#: a relationship: type, start labels, start uid, end labels, end uid, properties
RelRow = tuple[str, list[str], str, list[str], str, dict[str, Any]]
#: attached labels whose owner belongs to the map's content
OWNED_ATTACHED = ("Document", "Department")


def map_content(store: GraphReader, process_uid: str, marks: list[str]
                ) -> tuple[list[Row], list[Row], list[RelRow]]:
    """The map of the process ``process_uid`` as stored: (its own nodes: the process, its
    maps and steps; the attached nodes whose ``source`` holds one of ``marks``, the map's
    files' or its edits'; the relationships), each relationship once. The many people who
    perform a step come as uids only."""
    own: list[Row] = []
    for labels, props in store.run(
            "MATCH (n:Process {uid: $uid}) RETURN labels(n) AS labels, properties(n) AS props "
            "UNION MATCH (n:Map)-[:DEPICTS]->(:Process {uid: $uid}) "
            "RETURN labels(n) AS labels, properties(n) AS props "
            "UNION MATCH (:Process {uid: $uid})-[:HAS_STEP]->(n:Step) "
            "RETURN labels(n) AS labels, properties(n) AS props", {"uid": process_uid}).rows:
        own.append((labels, props))
    rels: dict[tuple[str, str, str, str, str], RelRow] = {}
    wanted: dict[str, set[str]] = {}  # key label -> uids of the attached nodes to read
    by_label: dict[str, list[str]] = {}
    for labels, props in own:
        by_label.setdefault(model.primary_label(labels), []).append(props["uid"])
    for label, uids in by_label.items():
        for rel_type, out, labels, other, props, uid, source in store.run(
                f"UNWIND $uids AS u MATCH (n:{label} {{uid: u}})-[x]-(o) "
                f"WHERE type(x) IN $types "
                f"RETURN type(x), startNode(x) = n, labels(o), o.uid, properties(x), u, o.source",
                {"uids": uids, "types": list(TYPES)}).rows:
            row = ((rel_type, [label], uid, labels, other, props) if out
                   else (rel_type, labels, other, [label], uid, props))
            rels[_key(row)] = row
            o_label = model.primary_label(labels)
            if o_label not in ("Map", "Process", "Step") and source is not None \
                    and any(m in str(source) for m in marks):
                wanted.setdefault(_key_label(labels), set()).add(other)
    attached: list[Row] = []
    for key, found in wanted.items():
        attached += [(labels, props) for labels, props in store.run(
            f"UNWIND $uids AS u MATCH (n:{model.label(key).key_label} {{uid: u}}) "
            f"RETURN labels(n), properties(n)", {"uids": sorted(found)}).rows]
    owned = sorted({r[4] for r in rels.values()
                    if model.primary_label(r[3]) in OWNED_ATTACHED} | {
                        r[2] for r in rels.values()
                        if model.primary_label(r[1]) in OWNED_ATTACHED})
    for label in OWNED_ATTACHED:
        for labels, owner, uid, props in store.run(
                f"UNWIND $uids AS u MATCH (e:Employee)-[x:RESPONSIBLE_FOR]->(c:{label} "
                f"{{uid: u}}) RETURN labels(e), e.uid, u, properties(x)",
                {"uids": owned}).rows:
            row = ("RESPONSIBLE_FOR", labels, owner, [label], uid, props)
            rels[_key(row)] = row
    return own, attached, list(rels.values())


def _key_label(labels: list[str]) -> str:
    return model.label(model.primary_label(labels)).key_label


def _key(row: RelRow) -> tuple[str, str, str, str, str]:
    return (row[0], _key_label(row[1]), row[2], _key_label(row[3]), row[4])


def labels_of(store: GraphReader, uids: Iterable[str]) -> dict[str, tuple[list[str], Any]]:
    """The labels (and ``left_on``, for an employee who left) of each of ``uids`` the graph
    holds, under any key label (a uid several key labels share keeps the first found, in
    the model's order)."""
    wanted = sorted(set(uids))
    found: dict[str, tuple[list[str], Any]] = {}
    if not wanted:
        return found
    for key in model.KEY_LABELS:
        if key in model.BOOKKEEPING_LABELS:
            continue
        for uid, labels, left_on in store.run(
                f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) RETURN u, labels(n), n.left_on",
                {"uids": wanted}).rows:
            found.setdefault(uid, (labels, left_on))
    return found
