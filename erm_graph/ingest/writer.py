"""Write a checked `GraphBatch` to a store, and report what changed.

Order matters for speed and correctness: the schema (uid indexes) first, then nodes, then
relationships, whose two ends are then found by index. Every relationship end is resolved
before the first write, so a dangling reference stops the load with nothing written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import not_
from typing import Any, TypeVar

from erm_graph import model
from erm_graph.errors import Problem, ValidationError
from erm_graph.ingest.batch import GraphBatch, RelKey
from erm_graph.ingest.gc_pause import without_gc
from erm_graph.ingest.load_owners import OWNS, load_owners, replace_load_owners
from erm_graph.ingest.memory import trim_heap
from erm_graph.records import Coded, column
from erm_graph.seen_keys import RUN_KEYS, SeenKeys
from erm_graph.store.base import (
    GraphReader,
    GraphStore,
    UpsertCounts,
    batches,
)
from erm_graph.store.node_ids import NodeIds

K = TypeVar("K")

#: A batch larger than this is followed by an AOF rewrite, so the next start is quick.
COMPACT_AFTER_ROWS = 50_000
#: relationship ends searched at a time among the batch's nodes (:func:`dangling_rows`): the
#: search's arrays as small as that, its sorted queries still a pass along each run
PART = 1 << 16


@dataclass
class LoadReport:
    """Created / updated / unchanged per label and type, and every record not written."""

    labels: dict[str, UpsertCounts] = field(default_factory=lambda: defaultdict(UpsertCounts))
    types: dict[str, UpsertCounts] = field(default_factory=lambda: defaultdict(UpsertCounts))
    rejected: list[Problem] = field(default_factory=list)
    #: records not written, per label or type (the loaders' reasons are in ``rejected``)
    rejected_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: what the loaders left out on purpose (e.g. draw.io cells that are not flowchart shapes)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    rejects_file: str | None = None
    #: per map the load (re)wrote: its versions and what it added, changed and removed
    #: (:meth:`erm_graph.ingest.revisions.MapPlan.as_dict`)
    maps: list[dict] = field(default_factory=list)

    def total(self, what: str) -> int:
        return sum(getattr(c, what) for c in [*self.labels.values(), *self.types.values()])

    def as_dict(self) -> dict:
        def table(counts: dict[str, UpsertCounts]) -> dict:
            return {k: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged,
                        "rejected": self.rejected_counts.get(k, 0)}
                    for k, c in sorted(counts.items())}

        return {"files": self.files, "dry_run": self.dry_run, "rows": self.rows,
                "seconds": round(self.seconds, 3),
                "labels": table(self.labels), "types": table(self.types),
                "created": self.total("created"), "updated": self.total("updated"),
                "unchanged": self.total("unchanged"),
                "rejected": [p.as_dict() for p in self.rejected],
                "rejects_file": self.rejects_file, "notes": self.notes, "maps": self.maps}


def dangling(store: GraphReader, batch: GraphBatch) -> list[Problem]:
    """Relationship ends that are neither in the batch nor in the database."""
    return [problem for _, _, problem in dangling_rows(store, batch)]


def dangling_rows(store: GraphReader, batch: GraphBatch) -> list[tuple[RelKey, int, Problem]]:
    """Like :func:`dangling`, with the (type, start, end) group and row index of each.

    The batch's nodes are told by their uids' hashes (:class:`SeenKeys`, exact: a hash found
    is confirmed by its string), not by a set of every uid and one of every relationship
    column's, which were the peak of a large load's checks (docs/loaders.md, "Speed and
    memory"); only the ends not among them are gathered, to be looked for in the store."""
    in_batch: dict[str, SeenKeys] = {}
    for label, rows in batch.nodes.items():
        keys = in_batch.setdefault(model.label(label).key_label, SeenKeys())
        for part in batches(column(rows, "uid"), RUN_KEYS):
            keys.add(list(part), len(keys))
    wanted: dict[str, set[str]] = defaultdict(set)
    for (_, start, end), rows in batch.relationships.items():
        for side, lab in (("start", start), ("end", end)):
            key = model.label(lab).key_label
            wanted[key].update(_not_among(in_batch.get(key), column(rows, side)))
    absent = {key: uids - stored_uids(store, key, uids) for key, uids in wanted.items()}
    if not any(absent.values()):
        return []
    problems = []
    for group, rows in batch.relationships.items():
        rel_type, start, end = group
        s_key, e_key = model.label(start).key_label, model.label(end).key_label
        starts, ends = column(rows, "start"), column(rows, "end")
        for i, ends_of_row in enumerate(zip(starts, ends, strict=True)):
            for uid, side, key, lab in zip(ends_of_row, ("start", "end"), (s_key, e_key),
                                           (start, end), strict=True):
                if uid in absent.get(key, ()):
                    problems.append((group, i, Problem(
                        model.origin(rows[i]) or f"{rel_type} record {i + 1}", side,
                        f"the uid of a {lab} in this load or in the database", uid)))
    return problems


def stored_uids(store: GraphReader, key: str, uids: Collection[str]) -> set[str]:
    """Those of ``uids`` that are uids of stored nodes of key label ``key``."""
    found: set[str] = set()
    for chunk in batches(sorted(uids)):
        found.update(row[0] for row in store.run(
            f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) RETURN n.uid",
            {"uids": list(chunk)}).rows)
    return found


def _not_among(keys: SeenKeys | None, uids: Sequence[str]) -> Iterator[str]:
    """The uids of ``uids`` that are not ``keys``: a coded column's distinct ones, the
    others a part at a time (the search's arrays as small as a part)."""
    if isinstance(uids, Coded):
        used = set(uids.codes)
        uids = [uids.table[code] for code in used]
    if keys is None:
        yield from uids
        return
    for part in batches(uids, PART):
        yield from compress(part, map(not_, keys.holds(part)))


@without_gc
def write_batch(store: GraphStore, batch: GraphBatch, *,
                progress: Callable[[int], None] | None = None,
                check: bool = True, compact: bool = True, locked: bool = False,
                release: bool = False, known_ids: dict[str, NodeIds] | None = None
                ) -> LoadReport:
    """Check ``batch`` whole, then upsert it: nodes by label, then relationships by type.

    Raises :class:`ValidationError` (and writes nothing) when any record does not fit the
    model or any relationship end cannot be found. ``check=False`` skips both checks, for
    callers that built the batch from the model themselves (the demo generator, whose tests
    check its output); relationship ends that are still missing come back in ``rejected``.
    ``compact=False`` leaves the AOF rewrite to a caller that writes several batches in a row.
    ``locked=True``: the caller holds the store's load lock (it reads and writes more around
    the batch, as one load: a map's revision, :mod:`erm_graph.ingest.revisions`).
    ``known_ids``: per key label, the nodes a caller's earlier batches created (the demo's
    parts), to which this batch's are added: the relationships' ends among them have their
    ids confirmed rather than looked up by uid.
    ``release=True``: the caller gives the batch up (a load's own, which nothing reads once
    written): each label's and type's records leave it as soon as they are written, so that
    the relationships are not written on top of every node record.
    """
    problems = batch.problems() + dangling(store, batch) if check else []
    if problems:
        raise ValidationError(problems)
    if locked:
        return _write(store, batch, progress, compact, release, known_ids)
    with store.load_lock():  # loads that run at once write one after another
        return _write(store, batch, progress, compact, release, known_ids)


def _write(store: GraphStore, batch: GraphBatch, progress: Callable[[int], None] | None,
           compact: bool, release: bool, known_ids: dict[str, NodeIds] | None) -> LoadReport:
    owners = load_owners(store, batch)  # one owner per component: checked before any write
    store.ensure_schema()
    trim_heap()  # what reading and checking freed: the write's peak then starts from what is held
    report = LoadReport(notes=owners.notes)
    created: dict[str, NodeIds] = {}
    for label in list(batch.nodes):
        counts = store.upsert_nodes(label, _take(batch.nodes, label, release),
                                    progress=progress)
        key = model.label(label).key_label
        if key in created:  # a sub-label of a key label already written (a Customer's Party)
            created[key].update(counts.created_ids)
        else:
            created[key] = counts.created_ids
        counts.created_ids = NodeIds()
        report.labels[label] += counts
        trim_heap()  # what the step freed, before the next one allocates again
    if known_ids is not None:
        for key, made in created.items():
            known_ids.setdefault(key, NodeIds()).update(made)
    if compact and report.total("created") + report.total("updated") >= COMPACT_AFTER_ROWS:
        store.compact(wait=False)  # the engine rewrites while the relationships load
    replace_load_owners(store, owners)
    if owners.kept_by_hand:
        report.types[OWNS].unchanged += owners.kept_by_hand
    for group in list(batch.relationships):
        rel_type, start, end = group
        rows = _take(batch.relationships, group, release)
        if group in owners.rows:  # the load's owners, one per component
            rows = _take(owners.rows, group, release)
        counts = store.upsert_relationships(rel_type, start, end, rows, progress=progress,
                                            new_nodes=created, known_ids=known_ids)
        del rows  # the step's records, given up or not, are not held during the next one
        report.rejected += counts.missing
        report.types[rel_type] += counts
        if counts.removed:
            report.notes.append(f"{rel_type}: {counts.removed} copies of relationships "
                                "stored twice (by loads that ran at once) were deleted")
    if compact and report.total("created") + report.total("updated") >= COMPACT_AFTER_ROWS:
        store.compact()
    return report


def _take(records: dict[K, Any], key: K, release: bool) -> Any:
    """The records under ``key``; taken out of ``records`` when the caller gave them up (the
    step that writes them then holds the only reference, and frees them as it ends)."""
    return records.pop(key) if release else records[key]


def plan(store: GraphStore, batch: GraphBatch) -> LoadReport:
    """What :func:`write_batch` would do, read from the stored content hashes; writes nothing."""
    owners = load_owners(store, batch)
    report = LoadReport(dry_run=True, notes=owners.notes)
    if owners.kept_by_hand:
        report.types[OWNS].unchanged += owners.kept_by_hand
    for label, rows in batch.nodes.items():
        report.labels[label] += store.upsert_nodes(label, rows, dry_run=True)
    for (rel_type, start, end), rows in batch.relationships.items():
        rows = owners.rows.get((rel_type, start, end), rows)
        report.types[rel_type] += store.upsert_relationships(rel_type, start, end, rows,
                                                             dry_run=True)
    return report
