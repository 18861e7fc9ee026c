"""A load checked a chunk at a time, so that a large one holds no more than a few chunks of
rows: a check pass that types and checks every row and keeps only what checks across rows
need, then, once nothing is wrong (or, with ``on_error="skip"``, once every bad row is
known), a write pass that reads the files again and writes them a chunk at a time
(docs/loaders.md, "The mapping load's two passes, as built"). A load of few records keeps
them from its check pass instead, and is written as a load read whole is.

The write pass makes the same records as the check pass: the same files (refused when one
changed in between), the same loader, the store's answers about unchanged rows replayed from
the check pass. What the check pass keeps grows with the load's keys (to tell a key made
twice and a relationship end that is not there), and with its rejects and its relationships
to nodes of a later chunk, which are written at the end. The keys are those the loader's
tables hold to find a key's rows, handed on with each chunk (``LoaderResult.keys``), not a
copy; the write pass keeps none of a table whose keys the check pass found on one row each.

A loader streams through ``read_chunks``, its chunks carrying their table's keys; it
raises :class:`InMemoryOnly` for records that only the whole file decides, as this module
does for keys made by two tables or two files and for maps and owners, and the load then
reads everything into memory first
(:func:`erm_graph.ingest.load.prepare`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from array import array
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from erm_graph import model
from erm_graph.errors import ErmError, Problem
from erm_graph.ingest.aliases import Aliases, landed_note
from erm_graph.ingest.batch import GraphBatch, RelKey
from erm_graph.ingest.contract import (
    InMemoryOnly,
    LoadContext,
    Loader,
    LoaderResult,
    LoadOptions,
    Reject,
    TableKeys,
)
from erm_graph.ingest.file_blocks import Stamp, refuse_changed
from erm_graph.ingest.load_owners import OWNS
from erm_graph.ingest.owners import makes_maps
from erm_graph.ingest.record_checks import chunk_rejects, forget_fingerprints, rejected_origins
from erm_graph.ingest.writer import COMPACT_AFTER_ROWS, LoadReport, stored_uids
from erm_graph.query.merges import alias_table
from erm_graph.records import Coded, column
from erm_graph.settings import current
from erm_graph.store import GraphReader, GraphStore
from erm_graph.store.node_ids import NodeIds

T = TypeVar("T")
#: records written at a time: chunks read are joined up to it, as each write of the engine
#: costs the same whatever its size, and a write of a few chunks' records holds little
WRITE_RECORDS = 100_000
#: a relationship record's identity across the two passes: its group, ends and origin
_RelId = tuple[RelKey, str, str, str]
#: a relationship whose end was not there when its chunk was checked, with the (side, key
#: label, label) of each such end
_Pending = tuple[RelKey, dict[str, Any], list[tuple[str, str, str]]]


def streams(found: Sequence[tuple[Path, Loader]]) -> bool:
    """Whether every source's loader reads in chunks."""
    return all(hasattr(loader, "read_chunks") for _, loader in found)


class Checked:
    """What the check pass found, and what the write pass needs of it."""

    def __init__(self) -> None:
        #: the loaders' rejects, then those of the checks across a chunk's records, then
        #: the relationships whose end is not there: the order of a load read whole
        self.read_rejects: list[Reject] = []
        self.chunk_rejects: list[Reject] = []
        self.dangling: list[Reject] = []
        self.notes: list[str] = []
        self.rows = 0
        self.records = 0
        self.unchanged_nodes: Counter[str] = Counter()
        self.unchanged_relationships: Counter[str] = Counter()
        #: per source, the store's answers about stale rows, in the order they were asked
        self.answers: list[list[Collection[int]]] = []
        #: per chunk, whether its checks changed nothing (no reject, no alias, no record
        #: twice): the write pass takes its records as they are read, unchecked again
        self.clean: list[bool] = []
        #: per source, what each file read was like (size, modification time) when read
        self.files: list[dict[Path, Stamp | None]] = []
        #: per source, its tables with no key on two rows (``LoadContext.distinct_keys``),
        #: which the write pass reads without keeping their keys
        self.distinct: list[set[str]] = []
        #: relationships the write pass leaves out of their chunk: rejected (their ends are
        #: not there) or written at the end (an end is a node of a later chunk)
        self.held: set[_RelId] = set()
        self.later: list[tuple[RelKey, list[dict[str, Any]]]] = []
        #: the origins of rejected relationships: their rows' nodes are stored without their
        #: fingerprint, so that the next load tries the relationship again
        self.origins: set[str] = set()
        #: the load's records when they were few enough to keep (``ERM_LOAD_KEEP_RECORDS``):
        #: the write then needs no second pass
        self.batch: GraphBatch | None = None


    @property
    def rejects(self) -> list[Reject]:
        """Every reject, in the order of a load read whole."""
        return self.read_rejects + self.chunk_rejects + self.dangling


class _Keys:
    """The load's keys per key label, as the tables that read them hold them, and the
    relationship ends found in the store."""

    def __init__(self) -> None:
        #: per key label, each table's keys as its latest chunk gave them
        self.tables: dict[str, list[TableKeys]] = {}
        #: per key label, keys a table read whose record the load rejected
        self.unmade: dict[str, set[str]] = {}
        self.stored: dict[str, set[str]] = {}

    def add(self, key: str, read: TableKeys, made: Collection[str]) -> None:
        """A chunk's keys of ``key``: those of its table (``read``), of which it ``made``
        the records not rejected. A key another table (or file) made as well means records
        that only the whole load decides."""
        tables = self.tables.setdefault(key, [])
        others = [t for t in tables if t.every is not read.every]
        if any(at >= 0 for other in others for at in other.every.find(list(made))):
            raise InMemoryOnly(f"a {key} key made by two tables or files")
        self.tables[key] = [*others, read]
        unmade = set(read.chunk).difference(made) if made is not read.chunk else ()
        if unmade:
            self.unmade.setdefault(key, set()).update(unmade)

    def absent(self, key: str, uids: Sequence[str], chunk: set[str]) -> list[str]:
        """The distinct ``uids`` that are not keys of the load so far: not among the
        chunk's own keys (``chunk``, the most a chunk's relationships name), then not among
        those of the chunks before, by :meth:`SeenKeys.find` (which confirms only the keys
        it finds), nor rejected."""
        distinct = list((set(uids.table[code] for code in set(uids.codes))
                         if isinstance(uids, Coded) else set(uids)) - chunk)
        unmade = self.unmade.get(key, set())
        for table in self.tables.get(key, []):
            if not distinct:
                break
            distinct = [uid for uid, at in zip(distinct, table.every.find(distinct),
                                                strict=True)
                        if not 0 <= at < table.known or uid in unmade]
        return distinct

    def unstored(self, store: GraphReader, key: str, uids: list[str]) -> set[str]:
        """Those of ``uids`` that the store does not hold either (asked once per uid)."""
        stored = self.stored.setdefault(key, set())
        asked = [u for u in uids if u not in stored]
        stored |= stored_uids(store, key, asked) if asked else set()
        return {u for u in asked if u not in stored}


def chunks(found: Sequence[tuple[Path, Loader]], options: LoadOptions, redo: set[str],
           stale: Callable[[int, LoadContext], Any],
           progress: Callable[[int], None] | None) -> Iterator[tuple[int, LoadContext,
                                                                    LoaderResult]]:
    """Every source's chunks: (the source's index, its context, the chunk)."""
    for index, (path, loader) in enumerate(found):
        ctx = LoadContext.for_source(path, loader, options, progress=progress)
        ask = stale(index, ctx)  # asked for every source: the answers are kept per source
        ctx.stale = None if path.name in redo else ask
        for chunk in loader.read_chunks(path, ctx):  # type: ignore[attr-defined]
            yield index, ctx, chunk


def check(store: GraphStore, found: Sequence[tuple[Path, Loader]], options: LoadOptions,
          redo: set[str], progress: Callable[[int], None] | None) -> Checked:
    """The check pass: every chunk typed and checked as :func:`~erm_graph.ingest.load.prepare`
    checks a whole load; the rejects, the counts, and what the write pass needs."""
    checked, keys = Checked(), _Keys()
    pending: list[_Pending] = []

    def recorded(index: int, ctx: LoadContext) -> Any:
        answers: list[Collection[int]] = []
        checked.answers.append(answers)
        checked.files.append(ctx.opened)
        checked.distinct.append(ctx.distinct_keys)

        def ask(label: str, uids: Sequence[str], prints: Sequence[str]) -> Collection[int]:
            found = store.stale_rows(label, uids, prints)
            answers.append(_compact(found, len(uids)))
            return found
        return ask

    types: dict[str, int] = {}
    # the records kept for the write, None once the load has, or will have as its counted
    # rows tell, more than ERM_LOAD_KEEP_RECORDS: two passes cost a second read and typing of
    # every row, which a load of fewer records need not pay, and records kept only to be let
    # go were the peak of a larger one (docs/loaders.md, "The mapping load's two passes, as
    # built")
    keep = current().load_keep_records
    kept: GraphBatch | None = GraphBatch()
    aliases = alias_table(store)
    merged = {key: set(table.values()) for key, table in aliases.items()}
    pairs: set[tuple[RelKey, str, str]] = set()
    landed: list[Counter[str]] = []
    contexts: dict[int, LoadContext] = {}
    for index, ctx, chunk in chunks(found, options, redo, recorded, progress):
        contexts[index] = ctx
        if makes_maps(chunk):
            raise InMemoryOnly(f"{chunk.source}: makes maps")
        for group in chunk.batch.relationships:
            if group[0] == OWNS or types.setdefault(group[0], index) != index:
                raise InMemoryOnly(f"{group[0]}: owners, or made by two sources")
        if len(landed) == index:  # the source's first chunk
            landed.append(Counter())
            _noted(checked, found, landed, index - 1)
        rejects, changed = chunk_rejects(aliases, chunk, landed[index])
        checked.clean.append(not changed)
        if merged:
            _made_once(chunk, aliases, merged, pairs, checked)
        checked.rows += chunk.rows
        checked.notes += chunk.notes
        checked.unchanged_nodes += chunk.unchanged_nodes
        checked.unchanged_relationships += chunk.unchanged_relationships
        checked.read_rejects += chunk.rejects
        checked.chunk_rejects += rejects
        if _all_skipped(chunk):  # an unchanged chunk: its keys made as they were read
            for key, read in chunk.keys.items():
                keys.add(key, read, read.chunk)
        else:
            made = _made(chunk)
            for key, read in chunk.keys.items():
                keys.add(key, read, made[key])
            pending += _ends_not_there(store, keys, chunk.batch, made)
        checked.records += len(chunk.batch)
        checked.origins |= rejected_origins(chunk.rejects + rejects)
        if kept is not None and _expected(checked, contexts.values()) <= keep:
            kept.extend(chunk.batch)
        else:
            kept = None
    _noted(checked, found, landed, len(landed) - 1)
    _settle(checked, keys, pending)
    if kept is not None:
        checked.batch = _whole(kept, checked)
    return checked


def _all_skipped(chunk: LoaderResult) -> bool:
    """Whether the chunk has no records and skipped, as stored as they are, every row its
    tables keyed: the keys it made are its tables' keys as they are (the very lists its
    tables hand on), with no set of them made per chunk."""
    skipped = chunk.skipped_uids
    return not len(chunk.batch) and skipped.keys() <= chunk.keys.keys() and all(
        len(skipped.get(key, ())) == 1 and skipped[key][0] is read.chunk
        for key, read in chunk.keys.items())


def _made(chunk: LoaderResult) -> dict[str, set[str]]:
    """Per key label, the keys of the chunk's records its checks kept: its nodes' and those
    of its rows skipped as stored as they are."""
    made: dict[str, set[str]] = {key: set() for key in chunk.keys}
    for label, rows in chunk.batch.nodes.items():
        made[model.label(label).key_label].update(column(rows, "uid"))
    for key, parts in chunk.skipped_uids.items():
        for part in parts:
            made[key].update(part)
    return made


def _made_once(chunk: LoaderResult, aliases: Aliases, merged: dict[str, set[str]],
               pairs: set[tuple[RelKey, str, str]], checked: Checked) -> None:
    """Leave out of a chunk's batch (and of the write pass's, by ``checked.held``) each
    relationship an earlier chunk made already, as a load read whole keeps a relationship's
    first record.

    A table's rows have keys of their own, so two rows make one relationship only when
    their keys land on one record: a merged record's row (its uid an alias,
    :func:`aliases.land`) and the kept record's row, or that of another record merged into
    it. Only the relationships of rows whose key is, or lands on, a kept uid (``merged``,
    per key label: the uids the alias table names) are kept in ``pairs`` to tell: as few as
    those rows, not every row that names a kept record (a customer named by every
    interaction)."""
    own = {key: (set(read.chunk) & merged.get(key, set()))
           | {aliases[key][uid] for uid in aliases.get(key, {}).keys() & set(read.chunk)}
           for key, read in chunk.keys.items()}
    batch = chunk.batch
    for group, rows in list(batch.relationships.items()):
        _, start, end = group
        into = (own.get(model.label(start).key_label, set()),
                own.get(model.label(end).key_label, set()))
        if into[0].isdisjoint(column(rows, "start")) and into[1].isdisjoint(column(rows, "end")):
            continue  # no row of such a record: every row as it is, looked at in C
        kept = []
        for row in rows:
            pair = (group, row["start"], row["end"])
            if pair[1] in into[0] or pair[2] in into[1]:
                if pair in pairs:
                    checked.held.add((*pair, str(model.origin(row))))
                    continue
                pairs.add(pair)
            kept.append(row)
        if len(kept) < len(rows):
            batch.relationships[group] = kept


def _expected(checked: Checked, contexts: Iterable[LoadContext]) -> int:
    """The records the load will have, as far as its rows counted before they were read
    tell (``LoadContext.counted_rows``): those checked so far, and as many a row for the
    rows still to read."""
    ahead = sum(ctx.counted_rows for ctx in contexts) - checked.rows
    return checked.records + max(ahead, 0) * checked.records // max(checked.rows, 1)


def _ends_not_there(store: GraphReader, keys: _Keys, batch: GraphBatch,
                    own: dict[str, set[str]]) -> list[_Pending]:
    """A chunk's relationships with an end that is neither a key of the load so far (its
    own keys ``own`` per key label, then the earlier chunks') nor stored: each with the
    (side, key label, label) of those ends, to be settled once every chunk is read."""
    found: list[_Pending] = []
    for group, rows in batch.relationships.items():
        _, start, end = group
        sides = [(side, model.label(lab).key_label, lab) for side, lab
                 in (("start", start), ("end", end))]
        missing = {side: set(keys.unstored(store, key, keys.absent(
            key, column(rows, side), own.get(key, set())))) for side, key, _ in sides}
        if not any(missing.values()):
            continue
        for row in rows:
            ends = [(side, key, lab) for side, key, lab in sides if row[side] in missing[side]]
            if ends:
                found.append((group, dict(row), ends))
    return found


def _whole(batch: GraphBatch, checked: Checked) -> GraphBatch:
    """The records of a load kept whole, as the write pass would make them, and the
    relationships it would write at the end."""
    _final(batch, checked)
    batch.extend(GraphBatch(relationships=dict(checked.later)))
    return batch


def _noted(checked: Checked, found: Sequence[tuple[Path, Loader]], landed: list[Counter[str]],
           index: int) -> None:
    """The note of source ``index`` on its records that landed on merged ones, once it is
    read, where a load read whole notes them."""
    if index >= 0 and landed[index]:
        checked.notes.append(f"{found[index][0].name}: {landed_note(landed[index])}")


def _settle(checked: Checked, keys: _Keys, pending: list[_Pending]) -> None:
    """The relationships whose end was not there when their chunk was checked: written at
    the end when the end is a key of a later chunk, else rejected."""
    later: dict[RelKey, list[dict[str, Any]]] = {}
    order = {group: i for i, group in enumerate(dict.fromkeys(g for g, _, _ in pending))}
    pending.sort(key=lambda found: order[found[0]])  # by type, as a load read whole has them
    asked: dict[str, set[str]] = {}
    for _, row, ends in pending:
        for side, key, _ in ends:
            asked.setdefault(key, set()).add(row[side])
    made = {key: uids - set(keys.absent(key, list(uids), set())) for key, uids in asked.items()}
    for group, row, ends in pending:
        checked.held.add((group, row["start"], row["end"], str(model.origin(row))))
        absent = [(side, lab) for side, key, lab in ends if row[side] not in made[key]]
        if not absent:
            later.setdefault(group, []).append(row)
            continue
        checked.records -= 1
        checked.dangling += [Reject(group[0], Problem(
            model.origin(row) or f"{group[0]} record", side,
            f"the uid of a {lab} in this load or in the database", row[side]), row)
            for side, lab in absent]
        checked.origins.add(str(model.origin(row)))
    checked.later = list(later.items())


def write(store: GraphStore, found: Sequence[tuple[Path, Loader]], options: LoadOptions,
          redo: set[str], checked: Checked, progress: Callable[[int], None] | None,
          dry_run: bool) -> LoadReport:
    """The write pass (``dry_run``: what it would do, writing nothing): each chunk's records
    as the check pass made them, its rejects left out, written as soon as they are made."""
    report = LoadReport(dry_run=dry_run)
    if not dry_run:
        store.ensure_schema()

    def replayed(index: int, ctx: LoadContext) -> Any:
        answers = deque(checked.answers[index])
        ctx.distinct_keys = checked.distinct[index]

        def ask(label: str, uids: Sequence[str], prints: Sequence[str]) -> Collection[int]:
            if not answers:
                raise ErmError(f"{found[index][0]}: read otherwise than when it was checked, "
                               "load it again")
            return answers.popleft()
        return ask

    aliases = alias_table(store)  # asked here: the thread that reads the files asks nothing

    def made() -> Iterator[GraphBatch]:
        for clean, (_, _, chunk) in zip(checked.clean,
                                        chunks(found, options, redo, replayed, None),
                                        strict=False):
            if not clean:
                chunk_rejects(aliases, chunk, Counter())
            yield _final(chunk.batch, checked)

    for batch in read_ahead(joined(made(), WRITE_RECORDS)):
        _write_chunk(store, batch, report, progress, dry_run)
    for group, rows in checked.later:
        _write_chunk(store, GraphBatch(relationships={group: rows}), report, progress, dry_run)
    if not dry_run and report.total("created") + report.total("updated") >= COMPACT_AFTER_ROWS:
        store.compact()
    return report


def _final(batch: GraphBatch, checked: Checked) -> GraphBatch:
    """A chunk's checked records as they are written: the relationships the check pass
    held back (rejected, or written at the end) left out, the fingerprints of rows with a
    rejected relationship forgotten."""
    if checked.held:
        for group, rows in list(batch.relationships.items()):
            batch.relationships[group] = [
                r for r in rows
                if (group, r["start"], r["end"], str(model.origin(r))) not in checked.held]
    forget_fingerprints(batch, checked.origins)
    return batch


def joined(batches: Iterator[GraphBatch], records: int) -> Iterator[GraphBatch]:
    """Consecutive ``batches`` joined into batches of at least ``records`` records (the
    last one less)."""
    whole = GraphBatch()
    for batch in batches:
        whole.extend(batch)
        if len(whole) >= records:
            yield whole
            whole = GraphBatch()
    if len(whole):
        yield whole


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """``items``, each made in a thread of its own while the one before is used: the write
    pass reads and types a chunk while the engine writes the chunk before. An error of
    either side stops both; the thread's is raised here."""
    ahead: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def make() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ahead.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put((False, None))
        except BaseException as error:  # handed to the reader, which raises it
            ahead.put((False, error))

    thread = threading.Thread(target=make, name="erm-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            more, item = ahead.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a thread waiting to hand a chunk over see the stop
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.1)
        thread.join()


def _write_chunk(store: GraphStore, batch: GraphBatch, report: LoadReport,
                 progress: Callable[[int], None] | None, dry_run: bool) -> None:
    """Upsert a chunk's nodes, then its relationships, whose ends are written already."""
    created: dict[str, NodeIds] = {}
    for label, rows in batch.nodes.items():
        counts = store.upsert_nodes(label, rows, progress=progress, dry_run=dry_run)
        created.setdefault(model.label(label).key_label, NodeIds()).update(counts.created_ids)
        counts.created_ids = NodeIds()  # the report keeps counts, not every node's id
        report.labels[label] += counts
    for (rel_type, start, end), rows in batch.relationships.items():
        counts = store.upsert_relationships(rel_type, start, end, rows, progress=progress,
                                            dry_run=dry_run, new_nodes=created)
        report.rejected += counts.missing
        report.types[rel_type] += counts
        if counts.removed:
            report.notes.append(f"{rel_type}: {counts.removed} copies of relationships "
                                "stored twice (by loads that ran at once) were deleted")


def unchanged(checked: Checked) -> None:
    """Refuse, before anything is written, a file changed since the check pass read it."""
    for stamps in checked.files:
        refuse_changed(stamps, "load it again")


def _compact(stale: Collection[int], rows: int) -> Collection[int]:
    """A chunk's stale rows as little as they can be kept: every row as a range, none as an
    empty tuple, some as machine integers."""
    if len(stale) == rows:
        return range(rows)
    return array("l", stale) if stale else ()
