"""Merge duplicate records into one (``erm merge KEEP DROP...``), and undo a merge.

A merge moves every relationship of the dropped records onto the kept one, gives the kept one
the properties it lacks (where both have a property, the kept value wins and the dropped one is
kept in the merge's record), deletes the dropped records and writes a ``Merge`` node. All of that
is **one statement**, so one transaction on either engine: it is written whole or not at all.

* **No copies.** A relationship the kept record already has (same type, direction and other
  end) is not made twice; one between the merged records themselves (a department
  ``PART_OF`` its duplicate) would become a loop and is not moved. Both are recorded.
* **Nothing lost to a race.** The statement first checks that the records still have the
  number of relationships the plan was made from, and writes nothing otherwise; the plan is
  made and written under the store's load lock, so loads wait.
* **Aliases.** While the merge is not undone, each dropped uid names the kept record: a load
  of a source that still says ``dept-sales`` lands on ``dept:sales``
  (:mod:`erm_graph.ingest.aliases`).
* **One owner.** A component (:data:`erm_graph.model.COMPONENT_LABELS`) has one owner
  (``RESPONSIBLE_FOR``): the kept record keeps its own, and a dropped record's other owner is
  not moved but kept in the merge's record (the answer says whom), so the undo gives it back.
  A kept record without an owner takes the first dropped record's (docs/data-model.md,
  "Owners: one responsible person per component").
* **Undo.** The ``Merge`` node's ``record`` holds the dropped records (labels, properties, every
  relationship) and what the merge changed on the kept one, so :func:`undo_merge` recreates
  them and takes back exactly what the merge added, again in one statement. A merge is undone
  last-in first-out: while a later merge involves its records, it says which to undo first.

Labels and relationship types in the statements come from :mod:`erm_graph.model` only (and
from nodes checked against it); every value is a parameter.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, current_actor, writing
from erm_graph.query.explore import NotFound, find_node
from erm_graph.query.merges import (
    MergeRecord,
    Record,
    Relationship,
    alias_table,
    merge_records,
    records_with_relationships,
)
from erm_graph.store import GraphStore
from erm_graph.store.base import now_iso

#: properties a merge never copies from a dropped record: the kept record's own bookkeeping and
#: provenance (the dropped record's stays in the merge's record, which the undo restores)
_OWN = frozenset({"uid", "source", "source_file", *model.SYSTEM_PROPS})


class MergeRefused(ErmError):
    """A merge or undo that would be wrong; the message says why and what to do."""

    kind = "conflict"


@dataclass
class MergePlan:
    """What a merge does (all of it, before anything is written: ``--dry-run`` shows it)."""

    id: str
    label: str
    keep: Record
    drops: list[Record]
    #: relationships of the dropped records made anew on the kept one
    created: list[Relationship] = field(default_factory=list)
    #: relationships the kept record already had (same type, direction, other end): not copied
    absorbed: list[Relationship] = field(default_factory=list)
    #: relationships between the merged records themselves: not moved (they would be loops)
    internal: list[Relationship] = field(default_factory=list)
    #: properties the kept record takes from the dropped ones (it had none of that name)
    added: dict[str, Any] = field(default_factory=dict)
    #: property -> {"kept": value, "dropped": {uid: value}} where the kept value won
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: owners (RESPONSIBLE_FOR) of dropped components not moved, as the kept one has its owner
    owners_left: list[tuple[str, Relationship]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return model.label(self.label).key_label

    def as_dict(self) -> dict[str, Any]:
        moved = Counter(r.type for r in self.created)
        return {"id": self.id, "label": self.label, "keep": self.keep.uid,
                "dropped": [d.uid for d in self.drops],
                "relationships": sum(len(d.relationships) for d in self.drops),
                "moved": dict(sorted(moved.items())), "already_on_kept": len(self.absorbed),
                "between_merged": len(self.internal), "added": self.added,
                "conflicts": self.conflicts,
                "owners_not_moved": [{"record": uid, "owner": rel.other}
                                     for uid, rel in self.owners_left],
                "notes": self.notes()}

    def notes(self) -> list[str]:
        """What the answer (CLI, web) says beyond the counts: the owners not moved."""
        owner = next((r.other for r in (*self.keep.relationships, *self.created)
                      if _is_owner(r)), None)
        return [f"{self.label} {uid}'s owner {rel.other} was not moved: {self.keep.uid} keeps "
                f"its one owner {owner}; undoing the merge gives {uid} back with {rel.other}"
                for uid, rel in self.owners_left]

    def record(self, before: dict[str, Any]) -> dict[str, Any]:
        """What the ``Merge`` node keeps for the undo (its ``record`` property, as JSON)."""
        return {"dropped": [{"uid": d.uid, "labels": d.labels, "props": d.props,
                             "relationships": [r.as_dict() for r in d.relationships]}
                            for d in self.drops],
                "created": [r.as_dict() for r in self.created],
                "added": self.added, "keep_before": before, "conflicts": self.conflicts,
                "owners_not_moved": [{"record": uid, "owner": rel.other}
                                     for uid, rel in self.owners_left]}


def _is_owner(rel: Relationship) -> bool:
    return rel.type == "RESPONSIBLE_FOR" and rel.direction == "in"


# -- planning -------------------------------------------------------------------------------
def _new_id() -> str:
    """A merge's id: its UTC time to the microsecond first, so ids sort in the order merges
    were made (which merge came later decides what may be undone)."""
    return f"merge-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:4]}"


def _find(store: GraphStore, uid: str) -> Any:
    try:
        return find_node(store, uid)
    except NotFound:
        for key, aliases in alias_table(store).items():
            if uid in aliases:
                raise MergeRefused(f"{uid!r} was merged into {aliases[uid]!r} (a {key}); name "
                                   f"{aliases[uid]!r} instead, or undo that merge "
                                   "(`erm merge list`)") from None
        raise


def plan_merge(store: GraphStore, keep: str, drops: Sequence[str]) -> MergePlan:
    """The plan of merging ``drops`` into ``keep`` (uids); reads only. Raises
    :class:`MergeRefused` when the merge would be wrong."""
    drops = list(dict.fromkeys(drops))
    if not drops:
        raise MergeRefused("name the uid to keep and at least one uid to merge into it: "
                           "erm merge KEEP DROP...")
    if keep in drops:
        raise MergeRefused(f"{keep!r} is both kept and dropped: name it once, as KEEP")
    kept = _find(store, keep)
    label = kept.label
    if label not in model.LABELS or label in model.BOOKKEEPING_LABELS:
        raise MergeRefused(f"{keep!r} is a {label}: only records of the model's labels merge")
    for uid in drops:
        other = _find(store, uid)
        if sorted(other.labels) != sorted(kept.labels):
            raise MergeRefused(
                f"{uid!r} is a {other.label} and {keep!r} a {label}: only records of one label "
                "merge. A merge says two records are one thing; the relationships of a "
                f"{other.label} are not those a {label} may have, and a party's kind "
                "(Customer, Supplier...) is a fact to correct first (edit the record, or load "
                "it again with the right label), then merge.")
    key = model.label(label).key_label
    keep_rec = records_with_relationships(store, key, [keep])[keep]
    found = records_with_relationships(store, key, drops)
    plan = MergePlan(_new_id(), label, keep_rec, [found[u] for u in drops])
    merged = {keep, *drops}
    have = {r.end for r in keep_rec.relationships}
    # one owner per component: the kept record's, else the first dropped record's
    owned = label in model.COMPONENT_LABELS and any(map(_is_owner, keep_rec.relationships))
    for drop in plan.drops:
        for rel in drop.relationships:
            if rel.type not in model.RELATIONSHIPS or not rel.other or \
                    rel.other_label not in model.KEY_LABELS:
                raise MergeRefused(
                    f"{drop.uid!r} has a {rel.type} relationship to a node that is not a "
                    "record of the model (no uid or an unknown label), which a merge cannot "
                    "move and restore: delete or fix it first (`erm cypher --write`)")
            if rel.other_label == key and rel.other in merged:
                plan.internal.append(rel)
            elif rel.end in have:
                plan.absorbed.append(rel)
            elif owned and _is_owner(rel):
                plan.owners_left.append((drop.uid, rel))
            else:
                have.add(rel.end)
                plan.created.append(rel)
                owned = owned or (label in model.COMPONENT_LABELS and _is_owner(rel))
        for name, value in drop.props.items():
            if name in _OWN or value is None:
                continue
            current = keep_rec.props.get(name, plan.added.get(name))
            if current is None:
                plan.added[name] = value
            elif current != value:
                conflict = plan.conflicts.setdefault(name, {"kept": current, "dropped": {}})
                conflict["dropped"][drop.uid] = value
    return plan


# -- merging --------------------------------------------------------------------------------
def _groups(rels: Sequence[Relationship]) -> dict[tuple[str, str, str], list[Relationship]]:
    groups: dict[tuple[str, str, str], list[Relationship]] = {}
    for rel in rels:
        groups.setdefault((rel.type, rel.direction, rel.other_label), []).append(rel)
    return groups


def _arrow(direction: str, near: str, rel_type: str, far: str) -> str:
    return (f"({near})-[r:{rel_type}]->({far})" if direction == "out"
            else f"({far})-[r:{rel_type}]->({near})")


def _merge_statement(plan: MergePlan) -> tuple[str, dict[str, Any]]:
    key = plan.key
    params: dict[str, Any] = {
        "keep": plan.keep.uid, "keep_degree": plan.keep.degree,
        "drops": [d.uid for d in plan.drops], "n": len(plan.drops),
        "degree": sum(d.degree for d in plan.drops)}
    parts = [f"MATCH (k:{key} {{uid: $keep}}) OPTIONAL MATCH (k)-[y]-() "
             f"WITH k, count(y) AS kd WHERE kd = $keep_degree "
             f"MATCH (d:{key}) WHERE d.uid IN $drops OPTIONAL MATCH (d)-[x]-() "
             f"WITH k, d, count(x) AS dd "
             f"WITH k, collect(d) AS ds, sum(dd) AS degree WHERE size(ds) = $n AND "
             f"degree = $degree "]
    for i, ((rel_type, direction, other), rels) in enumerate(_groups(plan.created).items()):
        params[f"c{i}"] = [[r.other, r.props] for r in rels]
        parts.append(f"WITH k, ds UNWIND $c{i} AS row OPTIONAL MATCH (o:{other} "
                     f"{{uid: row[0]}}) FOREACH (_ IN CASE WHEN o IS NULL THEN [] ELSE [1] END "
                     f"| CREATE {_arrow(direction, 'k', rel_type, 'o')} SET r += row[1]) "
                     f"WITH k, ds, count(*) AS _c{i} ")
    parts.append("SET k += $added, k.updated_at = $now "
                 "CREATE (:Merge {uid: $id, label: $label, keep: $keep, dropped: $drops, "
                 "at: $now, by: $by, record: $record, created_at: $now, updated_at: $now}) "
                 "WITH ds UNWIND ds AS d DETACH DELETE d RETURN count(*)")
    return "".join(parts), params


def merge_nodes(store: GraphStore, keep: str, drops: Sequence[str], *,
                dry_run: bool = False) -> dict[str, Any]:
    """Merge the records ``drops`` into ``keep`` (uids of one label): see the module docstring.
    Returns what was (or, ``dry_run``, would be) done, with the merge's ``id`` for the undo.

    >>> merge_nodes(store, "dept:sales", ["dept-sales"])["moved"]       # doctest: +SKIP
    {'MEMBER_OF': 2}
    """
    if dry_run:
        return {**plan_merge(store, keep, drops).as_dict(), "dry_run": True}
    with writing(WriteKind.MERGE, keep, store, detail={"dropped": list(drops)}) as report, \
            store.load_lock():
        plan = plan_merge(store, keep, drops)
        now = now_iso()
        before = {"updated_at": plan.keep.props.get("updated_at"),
                  **dict.fromkeys(plan.added)}
        cypher, params = _merge_statement(plan)
        params.update(added=plan.added, now=now, id=plan.id, label=plan.label,
                      by=current_actor().name,
                      record=json.dumps(plan.record(before), default=str, ensure_ascii=False))
        result = store.run(cypher, params, read_only=False)
        if not result.rows or not result.rows[0][0]:
            raise MergeRefused("the records changed while the merge was planned (another "
                               "write added or removed a relationship); nothing was merged: "
                               "run it again")
        done = plan.as_dict()
        report.detail.update(id=plan.id, label=plan.label, moved=len(plan.created),
                             conflicts=sorted(plan.conflicts))
    return {**done, "dry_run": False}


# -- undoing --------------------------------------------------------------------------------
def _undo_statement(merge: MergeRecord, key: str, labels: list[str],
                    restore: dict[str, Any]) -> tuple[str, dict[str, Any], int]:
    detail = merge.detail
    params: dict[str, Any] = {"keep": merge.keep, "id": merge.uid, "restore": restore,
                              "nodes": [d["props"] for d in detail["dropped"]]}
    parts = [f"MATCH (k:{key} {{uid: $keep}}) MATCH (m:Merge {{uid: $id}}) "
             f"WHERE m.undone_at IS NULL "]
    created = [Relationship(**r) for r in detail["created"]]
    for i, ((rel_type, direction, other), rels) in enumerate(_groups(created).items()):
        params[f"c{i}"] = [r.other for r in rels]
        parts.append(f"WITH k, m UNWIND $c{i} AS o OPTIONAL MATCH "
                     f"{_arrow(direction, 'k', rel_type, f'x:{other} {{uid: o}}')} "
                     f"WITH k, m, collect(r) AS rs FOREACH (r IN rs | DELETE r) ")
    parts.append(f"WITH k, m UNWIND $nodes AS props CREATE (d:{':'.join(labels)}) "
                 f"SET d += props WITH k, m, count(*) AS _n ")
    restored = [(d["uid"], Relationship(**r)) for d in detail["dropped"]
                for r in d["relationships"]]
    groups: dict[tuple[str, str, str], list[list[Any]]] = {}
    for uid, rel in restored:
        groups.setdefault((rel.type, rel.direction, rel.other_label), []).append(
            [uid, rel.other, rel.props])
    for i, ((rel_type, direction, other), rows) in enumerate(groups.items()):
        params[f"r{i}"] = rows
        parts.append(f"WITH k, m UNWIND $r{i} AS row OPTIONAL MATCH (d:{key} {{uid: row[0]}}) "
                     f"OPTIONAL MATCH (o:{other} {{uid: row[1]}}) FOREACH (_ IN CASE WHEN "
                     f"d IS NULL OR o IS NULL THEN [] ELSE [1] END | "
                     f"CREATE {_arrow(direction, 'd', rel_type, 'o')} SET r += row[2]) "
                     f"WITH k, m, count(*) AS _r{i} ")
    parts.append("SET k += $restore, m.undone_at = $now, m.undone_by = $by RETURN count(*)")
    return "".join(parts), params, len(restored)


def _check_undoable(store: GraphStore, merge: MergeRecord) -> str:
    """The key label of the merge's records, or :class:`MergeRefused` saying why it cannot be
    undone now."""
    if not merge.active:
        raise MergeRefused(f"merge {merge.uid} was undone already ({merge.undone_at}, by "
                           f"{merge.undone_by})")
    if merge.label not in model.LABELS:
        raise MergeRefused(f"merge {merge.uid} is of {merge.label!r}, not a label of the model")
    mine = {merge.keep, *merge.dropped}
    for later in merge_records(store):
        if later.uid > merge.uid and later.active and \
                later.label == merge.label and mine & {later.keep, *later.dropped}:
            raise MergeRefused(f"merge {later.uid} ({later.keep} <- {', '.join(later.dropped)}) "
                               f"came later and involves the same records: undo it first")
    key = model.label(merge.label).key_label
    back = records_with_relationships(store, key, merge.dropped)
    if back:
        raise MergeRefused(f"{', '.join(sorted(back))} exist again (written since the merge), "
                           "so the merge cannot bring them back; merge them into "
                           f"{merge.keep!r} too, or delete them, then undo")
    return key


def undo_merge(store: GraphStore, merge_id: str) -> dict[str, Any]:
    """Undo the merge ``merge_id``: the dropped records come back with their properties and
    relationships, and the kept record loses what the merge gave it (relationships and the
    properties it added, where they still hold the merged value). One statement."""
    with writing(WriteKind.MERGE_UNDO, merge_id, store) as report, store.load_lock():
        found = merge_records(store, uid=merge_id)
        if not found:
            raise NotFound(f"no merge has id {merge_id!r}: `erm merge list` shows them")
        merge = found[0]
        key = _check_undoable(store, merge)
        keep = records_with_relationships(store, key, [merge.keep]).get(merge.keep)
        if keep is None:
            raise MergeRefused(f"the kept record {merge.keep!r} is gone, so merge {merge_id} "
                               "cannot be undone")
        detail = merge.detail
        labels = detail["dropped"][0]["labels"]
        # the record is data in the graph: what reaches the statement's text is checked again
        rels = [*detail["created"], *(r for d in detail["dropped"] for r in d["relationships"])]
        bad = sorted({f"{r['type']} to {r['other_label']}" for r in rels
                      if r["type"] not in model.RELATIONSHIPS
                      or r["other_label"] not in model.KEY_LABELS}) + \
            [lab for lab in labels if lab not in model.LABELS]
        if bad:
            raise MergeRefused(f"merge {merge_id} records {', '.join(bad)}, outside the model: "
                               "it cannot be undone")
        added = detail.get("added", {})
        restore = {name: value for name, value in detail.get("keep_before", {}).items()
                   if name not in added or keep.props.get(name) == added[name]}
        cypher, params, expected = _undo_statement(merge, key, labels, restore)
        params.update(now=now_iso(), by=current_actor().name)
        result = store.run(cypher, params, read_only=False)
        if not result.rows or not result.rows[0][0]:
            raise MergeRefused(f"merge {merge_id} changed while it was being undone; nothing "
                               "was written: run it again")
        restored = records_with_relationships(store, key, merge.dropped)
        # listed as the merge listed them (one between two restored records, once), so a
        # relationship whose other end is gone since the merge is the difference
        made = sum(len(r.relationships) for r in restored.values())
        out = {"id": merge_id, "keep": merge.keep, "restored": sorted(restored),
               "relationships": made, "not_restored": max(expected - made, 0)}
        report.detail.update(out)
    return out


def list_merges(store: GraphStore) -> list[dict[str, Any]]:
    """The merges recorded in the graph, newest first."""
    return [m.as_dict() for m in merge_records(store)]
