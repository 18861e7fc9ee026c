"""Load files into the graph: read every source, check everything, then write (or not).

:func:`prepare` reads and checks; the returned :class:`Prepared` knows how many rows it will
write (for a progress bar) and every record it rejects; :meth:`Prepared.write` writes. The one
call :func:`load` does both and returns the :class:`~erm_graph.ingest.writer.LoadReport`.

``on_error="stop"`` (the default) writes nothing when any record is wrong and raises a
:class:`~erm_graph.errors.ValidationError` that lists every problem. ``"skip"`` writes the good
records, leaves out the bad ones and the relationships that need them, and writes their reasons
to a rejects file. Nothing is dropped silently.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, Literal

from erm_graph import model
from erm_graph.errors import ErmError, Problem, ValidationError, shown
from erm_graph.events import WriteKind, writing
from erm_graph.ingest import registry
from erm_graph.ingest.aliases import resolve_aliases
from erm_graph.ingest.batch import GraphBatch, Rows
from erm_graph.ingest.contract import (
    SAME_UID,
    LoadContext,
    Loader,
    LoaderResult,
    LoadOptions,
    Reject,
)
from erm_graph.ingest.gc_pause import without_gc
from erm_graph.ingest.journal import begin_load, end_load
from erm_graph.ingest.load_owners import second_owner_rejects
from erm_graph.ingest.owners import makes_maps, refuse_taken_maps
from erm_graph.ingest.revisions import MapPlan, apply_plan, plan_map
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.worker import read_in_child
from erm_graph.ingest.writer import LoadReport, dangling_rows, plan, write_batch
from erm_graph.query.loads import unfinished_loads
from erm_graph.query.network import party_exists
from erm_graph.records import assign, column, distinct_pairs
from erm_graph.seen_keys import all_distinct
from erm_graph.store import GraphReader, GraphStore, open_store

OnError = Literal["stop", "skip"]


@dataclass
class Prepared:
    """Checked records ready to write, and everything that was rejected or skipped."""

    batch: GraphBatch
    rejects: list[Reject]
    notes: list[str]
    files: list[str]
    rows: int
    on_error: OnError
    #: records the loaders found already stored as they are (by fingerprint), never read further
    unchanged_nodes: Counter[str] = field(default_factory=Counter)
    unchanged_relationships: Counter[str] = field(default_factory=Counter)
    #: when reading began: the report's seconds cover reading, checking and writing
    started: float = field(default_factory=time.perf_counter)
    #: tokens of interrupted loads of these files: their rows were checked in full this time
    settled: list[str] = field(default_factory=list)
    #: the files of those loads among these: every row of them was compared with the graph
    redo: set[str] = field(default_factory=set)
    #: the maps these files define: namespace -> (file names, their records); a map's file
    #: is the authority for what it holds (:mod:`erm_graph.ingest.revisions`)
    maps: dict[str, tuple[list[str], GraphBatch]] = field(default_factory=dict)
    #: written with ``release=True``: the records are gone from :attr:`batch`
    spent: bool = False

    @property
    def total(self) -> int:
        """Records to write: the total of a progress bar."""
        return len(self.batch)

    @property
    def rejected_rows(self) -> Counter[str]:
        """Rejected rows (or elements) per label or type: a row with two bad cells, or two
        problems, is one rejected row."""
        return Counter(label for label, _ in
                       dict.fromkeys((r.label, r.problem.where) for r in self.rejects))

    def _write(self, store: GraphStore, progress: Callable[[int], None] | None,
               release: bool) -> tuple[LoadReport, set[str]]:
        """Write the batch and retire what the maps' files no longer have, leaving a
        PendingLoad mark on the store while it writes: a load cut short (Ctrl-C, a killed
        server, web or CLI) is listed by `erm status`, and the next load of its files trusts
        none of their fingerprints (see :mod:`erm_graph.ingest.journal`). Also the files of
        :attr:`redo` whose interrupted load this one settled."""
        names = [Path(f).name for f in self.files]
        # one load at a time from reading the maps' records to recording their versions:
        # two loads of one map would otherwise diff against the same version. The mark is
        # made and dropped inside too, so that a mark another load finds while it holds the
        # lock is an interrupted load's: one made before the lock was a waiting load's, which
        # the load ahead of it took for interrupted, and whose files that load's end took off
        # it (a mark gone, had the waiting load been cut short in its turn).
        with store.load_lock():
            interrupted = self._still_pending(store)
            token = begin_load(store, names)
            plans = self._plans(store)  # what the graph holds before the write
            report = write_batch(store, self.batch, check=False, progress=progress,
                                 locked=True, release=release)
            for map_plan in plans:
                apply_plan(store, map_plan)
            end_load(store, token, names, self.settled)
        report.maps = [p.as_dict() for p in plans]
        return report, interrupted

    def _still_pending(self, store: GraphReader) -> set[str]:
        """The files of :attr:`redo` whose interrupted load's mark is still there, under the
        load lock: a mark that was gone by then was a load under way while these files were
        read, which has finished since (its rows were compared in full all the same)."""
        pending = unfinished_loads(store)
        return self.redo & {name for token in self.settled for name in pending.get(token, ())}

    def _plans(self, store: GraphReader) -> list[MapPlan]:
        """What each map's files add, change and remove: only the records this load
        writes (a record rejected with ``on_error="skip"`` is not the file's yet)."""
        if not self.maps:  # a plain import defines no map: no set of every record's id
            return []
        written = {id(row) for rows in (*self.batch.nodes.values(),
                                        *self.batch.relationships.values()) for row in rows}
        plans = []
        for namespace, (files, batch) in sorted(self.maps.items()):
            kept = GraphBatch()
            for label, rows in batch.nodes.items():
                kept.nodes[label] = [r for r in rows if id(r) in written]
            for group, rows in batch.relationships.items():
                kept.relationships[group] = [r for r in rows if id(r) in written]
            plans.append(plan_map(store, namespace, files, kept))
        return plans

    def _count_unchanged(self, report: LoadReport) -> None:
        for label, count in self.unchanged_nodes.items():
            report.labels[label].unchanged += count
        for rel_type, count in self.unchanged_relationships.items():
            report.types[rel_type].unchanged += count

    @without_gc
    def write(self, store: GraphStore, *, dry_run: bool = False,
              rejects_file: str | Path | None = None,
              progress: Callable[[int], None] | None = None,
              release: bool = False) -> LoadReport:
        """Write the checked records (or, ``dry_run``, say what writing them would do).

        ``release=True``: the caller is done with these records once written (``load``, whose
        own they are): they leave :attr:`batch` as they are written (``write_batch``), and
        this :class:`Prepared` cannot be written again.
        """
        if self.spent:
            raise ErmError("these records were given up as they were written (release=True): "
                           "prepare them again to write them again")
        if self.rejects and self.on_error == "stop":
            raise ValidationError([r.problem for r in self.rejects])
        if dry_run:
            report = plan(store, self.batch)
            redo = self.redo
            self._count_unchanged(report)
            report.maps = [p.as_dict(dry_run=True) for p in self._plans(store)]
        else:
            with writing(WriteKind.LOAD, ", ".join(self.files), store,
                         detail={"records": self.total, "rows": self.rows}) as done:
                self.spent = release
                report, redo = self._write(store, progress, release)
                self._count_unchanged(report)
                done.detail.update({
                    "created": report.total("created"), "updated": report.total("updated"),
                    "unchanged": report.total("unchanged"),
                    "rejected": self.rejected_rows.total(),
                    "rows": self.rows})
                versions = {m["map"]: m["version"] for m in report.maps if m["version"]}
                if versions:  # the audit trail names the map versions the load wrote
                    done.detail["map_versions"] = versions
        report.rejected = [r.problem for r in self.rejects] + report.rejected
        for label, rows in self.rejected_rows.items():
            report.rejected_counts[label] += rows
        report.notes = _redo_notes(redo) + self.notes + report.notes
        report.files = self.files
        report.rows = self.rows
        report.seconds = time.perf_counter() - self.started
        if self.rejects and rejects_file:
            write_rejects(self.rejects, Path(rejects_file))
            report.rejects_file = str(rejects_file)
        return report


@without_gc
def prepare(store: GraphStore, paths: Sequence[str | Path], *, fmt: str = "auto",
            options: LoadOptions | None = None, on_error: OnError = "stop",
            progress: Callable[[int], None] | None = None,
            time_limit: float | None = None) -> Prepared:
    """Read every path with its loader and check every record against the model and the graph.

    ``progress`` is told the input rows read as large files are read (the mapping loader).
    ``time_limit``: read in a child process that is stopped past that many seconds
    (:mod:`erm_graph.ingest.worker`), as the web app reads uploads; every row is then
    compared with the graph, none left out by its fingerprint.
    """
    started = time.perf_counter()
    if on_error not in ("stop", "skip"):
        raise ErmError(f"on_error must be 'stop' or 'skip', got {on_error!r}")
    options = options or LoadOptions()
    _check_party(store, options)
    if time_limit is not None:
        sources, notes = read_in_child(paths, fmt, options, time_limit)
        settled, redo = _interrupted(store, {s.name for s in sources})
    else:
        notes = []
        found = _sources(paths, fmt, options, notes)
        settled, redo = _interrupted(store, {path.name for path, _ in found})
        sources = [loader.read(path, LoadContext.for_source(
            path, loader, options, progress=progress,
            stale=None if path.name in redo else store.stale_rows)) for path, loader in found]
    for source in sources:
        if makes_maps(source):  # a map's revision keeps its records by identity: dicts
            source.batch.as_dicts()
    resolve_aliases(store, sources)  # a uid merged into another lands on the kept record
    rejects: list[Reject] = []
    batch = GraphBatch()
    seen: dict[tuple, dict] = {}
    skipped: dict[str, list[Sequence[str]]] = {}
    unchanged_nodes: Counter[str] = Counter()
    unchanged_relationships: Counter[str] = Counter()
    for source in sources:
        rejects += source.rejects
        notes += source.notes
        unchanged_nodes += source.unchanged_nodes
        unchanged_relationships += source.unchanged_relationships
        for key, uids in source.skipped_uids.items():
            skipped.setdefault(key, []).extend(uids)
        if len(sources) == 1 and _distinct(source.batch):
            batch = source.batch  # one source, no key twice: nothing to merge or compare
        else:
            rejects += _merge(batch, source.batch, seen)
    refuse_taken_maps(store, sources, options.map_name)
    maps: dict[str, tuple[list[str], GraphBatch]] = {}
    for source in sources:
        if makes_maps(source):
            files, records = maps.setdefault(source.namespace, ([], GraphBatch()))
            files.append(source.name)
            records.extend(source.batch)
    if skipped:
        rejects += _against_stored(store, batch, skipped, unchanged_nodes)
    rejects += _model_rejects(batch)
    rejects += second_owner_rejects(batch)
    rejects += _dangling_rejects(store, batch)
    _forget_fingerprints(batch, rejects)
    return Prepared(batch, rejects, notes, [str(s.source) for s in sources],
                    sum(s.rows for s in sources), on_error, unchanged_nodes,
                    unchanged_relationships, started, settled, redo, maps)


def _check_party(store: GraphStore, options: LoadOptions) -> None:
    """``--of PARTY`` is for an org chart, and the party must exist: the contacts' WORKS_FOR
    would otherwise be dropped one by one as ends that are not there."""
    if options.party is None:
        return
    if options.diagram != "orgchart":
        raise ErmError(f"--of {shown(options.party)} loads an org chart as the contacts of that "
                       "party: use it with --as orgchart")
    if not party_exists(store, options.party):
        raise ErmError(f"--of {shown(options.party)}: no party has that uid. Name a customer, "
                       "supplier or other party that is in the library by its uid (erm search "
                       "NAME finds it), or load it first")


@without_gc  # between reading and writing too: a collection there walks every record
def load(store_or_url: GraphStore | str, paths: Sequence[str | Path] | str | Path, *,
         fmt: str = "auto", mapping: str | Path | None = None, map_name: str | None = None,
         encoding: str | None = None, max_mb: float | None = None,
         diagram: str | None = None, our_pools: Sequence[str] = (),
         of: str | None = None, on_error: OnError = "stop",
         dry_run: bool = False, rejects_file: str | Path | None = None,
         report_file: str | Path | None = None,
         progress: Callable[[int], None] | None = None) -> LoadReport:
    """Load files into the graph and return what changed.

    >>> report = load("embedded:/tmp/erm-doc", ["orders.bpmn"])   # doctest: +SKIP
    >>> report.total("created")                                     # doctest: +SKIP
    42
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    pools = (our_pools,) if isinstance(our_pools, str) else tuple(our_pools)
    options = LoadOptions(encoding=encoding, mapping=Path(mapping) if mapping else None,
                          map_name=map_name, max_mb=max_mb, diagram=diagram,
                          our_pools=pools, party=of)
    store = open_store(store_or_url) if isinstance(store_or_url, str) else store_or_url
    try:
        prepared = prepare(store, paths, fmt=fmt, options=options, on_error=on_error)
        report = prepared.write(store, dry_run=dry_run, rejects_file=rejects_file,
                                progress=progress, release=True)
    finally:
        if isinstance(store_or_url, str):
            store.close()
    if report_file:
        Path(report_file).write_text(json.dumps(report.as_dict(), indent=2, default=str))
    return report


# -- inputs ---------------------------------------------------------------------------------------
def read_sources(paths: Sequence[str | Path], fmt: str, options: LoadOptions
                 ) -> tuple[list[LoaderResult], list[str]]:
    """Every path read by its loader with no store at hand (what a worker process does): the
    loaders' results and the notes of finding them."""
    notes: list[str] = []
    found = _sources(paths, fmt, options, notes)
    return [loader.read(path, LoadContext.for_source(path, loader, options))
            for path, loader in found], notes


def _interrupted(store: GraphReader, names: set[str]) -> tuple[list[str], set[str]]:
    """The tokens of interrupted loads of files named ``names`` and the names of all their
    files: an interrupted load leaves those files' fingerprints untrustworthy, so their rows
    are checked in full this time, which settles those loads."""
    pending = unfinished_loads(store)
    settled = [token for token, files in pending.items() if names & set(files)]
    return settled, names & {name for token in settled for name in pending[token]}


def _redo_notes(redo: set[str]) -> list[str]:
    return [f"{name}: an earlier load of this file was interrupted before it wrote "
            "everything; every row was compared with the graph" for name in sorted(redo)]


def _sources(paths: Iterable[str | Path], fmt: str, options: LoadOptions,
             notes: list[str]) -> list[tuple[Path, Loader]]:
    """A source and its loader per path; a folder no loader reads whole gives its files."""
    chosen = [Path(p) for p in paths] or ([options.mapping] if options.mapping else [])
    found: list[tuple[Path, Loader]] = []
    available: dict[str, Loader] | None = None  # found once, for every path and folder child
    for path in chosen:
        if not path.exists():
            raise LoadError(f"{path}: no such file or folder")
        available = registry.loaders() if available is None else available
        if fmt != "auto":
            loader = registry.get(fmt, available)
        else:
            try:
                loader = registry.detect(path, options, available)
            except LoadError:
                if not path.is_dir():
                    raise
                for child in sorted(p for p in path.iterdir()
                                    if p.is_file() and not p.name.startswith(".")):
                    try:
                        inner = registry.detect(child, options, available)
                    except LoadError:
                        notes.append(f"{child}: skipped, not a format erm can load")
                        continue
                    found.append((child, inner))
                continue
        found.append((path, loader))
    if not found:
        raise LoadError("nothing to load: name one or more files or folders")
    return found


def _merge(batch: GraphBatch, part: GraphBatch, seen: dict[tuple, dict]) -> list[Reject]:
    """Add ``part`` to ``batch`` once per node key and relationship. A record seen again with
    the same properties (a department named by several files) is kept once; one with other
    properties is rejected, since the load could not say which one is right."""
    rejects = []
    for label, rows in part.nodes.items():
        key = model.label(label).key_label if label in model.LABELS else label
        for row in rows:
            ident = (key, row.get("uid"))
            first = seen.get(ident)
            if first is None:
                seen[ident] = row
                batch.nodes[label].append(row)
            elif _differs(first, row):
                rejects.append(Reject(label, Problem(
                    _where(row, label), "uid", f"unique in the load: {first.get('source')} "
                    "has the same uid with other values", row.get("uid"), SAME_UID), row))
    for group, rows in part.relationships.items():
        for row in rows:
            rel = (*group, row.get("start"), row.get("end"))
            if rel not in seen:
                seen[rel] = row
                batch.relationships[group].append(row)
    return rejects


def _distinct(batch: GraphBatch) -> bool:
    """No node key and no relationship (type, ends) twice in ``batch``: checked by hashes
    (:func:`~erm_graph.seen_keys.all_distinct`), a fraction of what merging a million rows
    one by one costs."""
    keys: dict[str, list[Sequence[str]]] = {}
    for label, rows in batch.nodes.items():
        key = model.label(label).key_label if label in model.LABELS else label
        keys.setdefault(key, []).append(column(rows, "uid"))
    return (all(all_distinct(uids[0] if len(uids) == 1 else [u for part in uids for u in part])
                for uids in keys.values())
            and all(map(_distinct_pairs, batch.relationships.values())))


def _distinct_pairs(rows: Rows) -> bool:
    """No (start, end) twice in ``rows`` (told from one side alone when it has no uid
    twice, :func:`erm_graph.records.distinct_pairs`)."""
    return len(distinct_pairs(column(rows, "start"), column(rows, "end"))) == len(rows)


def _against_stored(store: GraphReader, batch: GraphBatch,
                    skipped: dict[str, list[Sequence[str]]], unchanged: Counter[str]
                    ) -> list[Reject]:
    """Compare with the stored node each record whose uid a row left out as unchanged has
    too (a row of another table or file of this load), as :func:`_merge` compares two rows:
    a record whose properties the node holds already adds nothing, one with other values is
    rejected.

    The stored node is that row's version, so the load decides as it did when both rows were
    read. Without this, re-loading two files that share a uid wrote the second one's version
    over the first's, and the next load back again.
    """
    rejects = []
    for label, rows in list(batch.nodes.items()):
        key = model.label(label).key_label if label in model.LABELS else label
        chunks = skipped.get(key)
        # the records' uids against the skipped ones, never a set of every skipped uid: an
        # unchanged re-import skips every row of its file and has no records to compare
        uids = set(column(rows, "uid")) if chunks and rows else set()
        twins = uids.intersection(chain.from_iterable(chunks)) if uids and chunks else ()
        hits = [i for i, r in enumerate(rows) if r.get("uid") in twins] if twins else []
        if not hits:
            continue
        stored = dict(store.run(f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) "
                                f"RETURN n.uid, properties(n)",
                                {"uids": [rows[i]["uid"] for i in hits]}).rows)
        gone = set()
        for i in hits:
            row, first = rows[i], stored.get(rows[i]["uid"])
            if first is None:
                continue  # deleted since: this record writes it again
            gone.add(i)
            # only what the record sets: the node may hold more, from other loads
            if any(first.get(k) != v for k, v in row.items() if k not in _NOT_COMPARED):
                rejects.append(Reject(label, Problem(
                    _where(row, label), "uid", f"unique in the load: {first.get('source')} "
                    "has the same uid with other values", row["uid"], SAME_UID), row))
            else:
                unchanged[label] += 1
        batch.nodes[label] = [r for i, r in enumerate(rows) if i not in gone]
    return rejects


#: what two records of one node may differ in: where each came from
_NOT_COMPARED = ("source", *model.ANNOTATIONS)


def _differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k not in _NOT_COMPARED} != \
        {k: v for k, v in b.items() if k not in _NOT_COMPARED}


def _forget_fingerprints(batch: GraphBatch, rejects: list[Reject]) -> None:
    """A node whose relationship was rejected is stored with a hash of its properties, not
    its row's fingerprint: otherwise the next load would find the row unchanged and never
    try that relationship again."""
    origins = {model.origin(r.record) for r in rejects
               if r.record is not None and r.label in model.RELATIONSHIPS}
    if not origins:
        return
    for rows in batch.nodes.values():
        for i, origin in enumerate(column(rows, "source")):
            if origin in origins:
                assign(rows, i, model.FINGERPRINT, None)


# -- checks ---------------------------------------------------------------------------------------
def _where(row: dict[str, Any], fallback: str) -> str:
    return str(model.origin(row) or fallback)


def _model_rejects(batch: GraphBatch) -> list[Reject]:
    """Remove every record that does not fit the model from ``batch``; return them."""
    rejects: list[Reject] = []
    for label in list(batch.nodes):
        rows = batch.nodes[label]
        if label not in model.LABELS:
            rejects += [Reject(label, Problem(_where(r, label), "label",
                                              f"one of {sorted(model.LABELS)}", label), r)
                        for r in rows]
            del batch.nodes[label]
            continue
        if not model.node_problems(label, rows):
            continue
        keep = []
        for row in rows:
            problems = model.node_problems(label, [row], where=_where(row, label))
            rejects += [Reject(label, p, row) for p in problems]
            if not problems:
                keep.append(row)
        batch.nodes[label] = keep
    for group in list(batch.relationships):
        rel_type, start, end = group
        rows = batch.relationships[group]
        if (rel_type not in model.RELATIONSHIPS or start not in model.LABELS
                or end not in model.LABELS):
            rejects += [Reject(rel_type, Problem(_where(r, rel_type), "type",
                                                 "a relationship type of the model joining "
                                                 "model labels", f"{start}-{rel_type}->{end}"),
                               r) for r in rows]
            del batch.relationships[group]
            continue
        if not model.relationship_problems(rel_type, start, end, rows):
            continue
        keep = []
        for row in rows:
            problems = model.relationship_problems(rel_type, start, end, [row],
                                                   where=_where(row, rel_type))
            rejects += [Reject(rel_type, p, row) for p in problems]
            if not problems:
                keep.append(row)
        batch.relationships[group] = keep
    return rejects


def _dangling_rejects(store: GraphReader, batch: GraphBatch) -> list[Reject]:
    """Remove relationships whose ends are in neither the batch nor the graph; return them."""
    found = dangling_rows(store, batch)
    if not found:
        return []
    bad: dict[tuple, set[int]] = {}
    rejects = []
    for group, index, problem in found:
        bad.setdefault(group, set()).add(index)
        rejects.append(Reject(group[0], problem, batch.relationships[group][index]))
    for group, indexes in bad.items():
        batch.relationships[group] = [r for i, r in enumerate(batch.relationships[group])
                                      if i not in indexes]
    return rejects


def write_rejects(rejects: list[Reject], path: Path) -> None:
    """The rejected records with their reasons: JSON for ``*.json``, CSV otherwise."""
    rows = [{"label": r.label, **r.problem.as_dict(),
             "record": json.dumps(r.record, default=str, ensure_ascii=False)
             if r.record is not None else ""} for r in rejects]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["where", "label", "field", "expected", "got", "record"])
        writer.writeheader()
        writer.writerows(rows)
