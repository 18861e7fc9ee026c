"""The reads behind merges (:mod:`erm_graph.identity`): a record with every relationship it has,
the merges recorded in the graph, and the aliases they give.

A merge is recorded as a ``Merge`` node (the model declares it): the kept uid, the dropped uids
and, as JSON, what its undo needs. While it is not undone, each dropped uid is an *alias* of the
kept one: :func:`alias_table` is what a load resolves its uids with
(:mod:`erm_graph.ingest.aliases`). Merges are made by hand, so there are few: reading them all
is cheap next to any load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.store import GraphReader


@dataclass
class Relationship:
    """One relationship of a record, seen from it: its type, its direction (``out`` from the
    record or ``in`` to it), the other end (key label and uid) and its properties."""

    type: str
    direction: str
    other_label: str
    other: str
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> tuple[str, str, str, str]:
        """What makes two relationships of one record the same: type, direction, other end."""
        return self.type, self.direction, self.other_label, self.other

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "direction": self.direction,
                "other_label": self.other_label, "other": self.other, "props": self.props}


@dataclass
class Record:
    """A node with every relationship it has (:func:`records_with_relationships`)."""

    uid: str
    labels: list[str]
    props: dict[str, Any]
    relationships: list[Relationship]
    #: how many relationships the engine counts on the node: checked again as the merge writes
    degree: int


def _key_of(labels: Sequence[str]) -> str | None:
    for name in labels:
        if name in model.KEY_LABELS:
            return name
    return None


def records_with_relationships(store: GraphReader, key_label: str,
                               uids: Sequence[str]) -> dict[str, Record]:
    """The nodes ``uids`` of ``key_label`` (a model key label) with all their relationships.
    A relationship between two of them is listed once, from its start. Other ends that are
    not records of the model (no key label or no uid) come back with an empty ``other``."""
    assert key_label in model.KEY_LABELS
    params = {"uids": list(uids)}
    found = {uid: Record(uid, list(labels), dict(props), [], degree)
             for uid, labels, props, degree in store.run(
                 f"UNWIND $uids AS u MATCH (n:{key_label} {{uid: u}}) "
                 f"OPTIONAL MATCH (n)-[r]-() WITH n, count(r) AS degree "
                 f"RETURN n.uid, labels(n), properties(n), degree", params).rows}
    outgoing = store.run(f"UNWIND $uids AS u MATCH (n:{key_label} {{uid: u}})-[r]->(x) "
                         f"RETURN n.uid, type(r), labels(x), x.uid, properties(r)", params).rows
    # the far end's label tested after a WITH: in the MATCH's own WHERE, FalkorDB starts from
    # that label's every node instead of the uid (a whole label scan per record)
    incoming = store.run(f"UNWIND $uids AS u MATCH (n:{key_label} {{uid: u}})<-[r]-(x) "
                         f"WITH n, r, x WHERE NOT (x:{key_label} AND x.uid IN $uids) "
                         f"RETURN n.uid, type(r), labels(x), x.uid, properties(r)", params).rows
    for direction, rows in (("out", outgoing), ("in", incoming)):
        for uid, rel_type, labels, other, props in rows:
            found[uid].relationships.append(Relationship(
                rel_type, direction, _key_of(labels) or "", other or "", dict(props or {})))
    return found


@dataclass
class MergeRecord:
    """One merge as recorded (``Merge`` node): see :mod:`erm_graph.identity.merge`."""

    uid: str
    label: str
    keep: str
    dropped: list[str]
    at: str
    by: str
    detail: dict[str, Any]
    undone_at: str | None = None
    undone_by: str | None = None

    @property
    def active(self) -> bool:
        return self.undone_at is None

    def as_dict(self, *, detail: bool = False) -> dict[str, Any]:
        out = {"id": self.uid, "label": self.label, "keep": self.keep, "dropped": self.dropped,
               "at": self.at, "by": self.by, "undone_at": self.undone_at,
               "undone_by": self.undone_by,
               "moved": len(self.detail.get("created", [])),
               "conflicts": self.detail.get("conflicts", {})}
        if detail:
            out["detail"] = self.detail
        return out


_MERGE_FIELDS = ("m.uid, m.label, m.keep, m.dropped, m.at, m.by, m.record, m.undone_at, "
                 "m.undone_by")


def _merge_record(row: list[Any]) -> MergeRecord:
    uid, label, keep, dropped, at, by, record, undone_at, undone_by = row
    return MergeRecord(uid, label, keep, list(dropped or []), at, by or "",
                       json.loads(record or "{}"), undone_at, undone_by)


def merge_records(store: GraphReader, *, uid: str | None = None) -> list[MergeRecord]:
    """The merges recorded in the graph, newest first (only ``uid``'s when given)."""
    where = "{uid: $uid}" if uid is not None else ""
    # a merge's uid begins with its time (to the microsecond): the newest sorts last
    rows = store.run(f"MATCH (m:Merge {where}) RETURN {_MERGE_FIELDS} ORDER BY m.uid DESC",
                     {"uid": uid} if uid is not None else {}).rows
    return [_merge_record(r) for r in rows]


def alias_table(store: GraphReader) -> dict[str, dict[str, str]]:
    """Per key label, each alias (a dropped uid of a merge not undone) -> the uid it now
    names, merges of merges followed to the end (A into B, then B into C: A -> C)."""
    rows = store.run("MATCH (m:Merge) WHERE m.undone_at IS NULL "
                     "RETURN m.label, m.keep, m.dropped").rows
    direct: dict[str, dict[str, str]] = {}
    for label, keep, dropped in rows:
        key = model.label(label).key_label if label in model.LABELS else label
        for uid in dropped or []:
            direct.setdefault(key, {})[uid] = keep
    table: dict[str, dict[str, str]] = {}
    for key, aliases in direct.items():
        for uid in aliases:
            target, seen = aliases[uid], {uid}
            while target in aliases and target not in seen:
                seen.add(target)
                target = aliases[target]
            table.setdefault(key, {})[uid] = target
    return table
