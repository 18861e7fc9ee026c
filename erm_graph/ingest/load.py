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
from pathlib import Path
from typing import Literal

from erm_graph.errors import ErmError, ValidationError, shown
from erm_graph.events import WriteKind, writing
from erm_graph.ingest import registry, streamed
from erm_graph.ingest.aliases import resolve_aliases
from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.contract import (
    InMemoryOnly,
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
from erm_graph.ingest.record_checks import (
    against_stored,
    distinct,
    forget_fingerprints,
    merge,
    model_rejects,
    rejected_origins,
)
from erm_graph.ingest.revisions import MapPlan, apply_plan, plan_map
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.worker import read_in_child
from erm_graph.ingest.writer import LoadReport, dangling_rows, plan, write_batch
from erm_graph.query.loads import unfinished_loads
from erm_graph.query.network import party_exists
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
            self._refuse_changed()
            token = begin_load(store, names)
            report = self._write_records(store, progress, release)
            end_load(store, token, names, self.settled)
        return report, interrupted

    def _refuse_changed(self) -> None:
        """Refuse, before anything is written, to write records whose files changed since
        they were checked: none here, as the records are held."""

    def _write_records(self, store: GraphStore, progress: Callable[[int], None] | None,
                       release: bool) -> LoadReport:
        """The write itself, under the load lock and the PendingLoad mark."""
        plans = self._plans(store)  # what the graph holds before the write
        report = write_batch(store, self.batch, check=False, progress=progress,
                             locked=True, release=release)
        for map_plan in plans:
            apply_plan(store, map_plan)
        report.maps = [p.as_dict() for p in plans]
        return report

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

    def _plan(self, store: GraphStore) -> LoadReport:
        """What writing would do, writing nothing."""
        report = plan(store, self.batch)
        report.maps = [p.as_dict(dry_run=True) for p in self._plans(store)]
        return report

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
            self._refuse_changed()
            report = self._plan(store)
            redo = self.redo
            self._count_unchanged(report)
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


@dataclass
class Streamed(Prepared):
    """A load checked a chunk at a time, whose write reads its files again
    (:mod:`erm_graph.ingest.streamed`): nothing but what the checks across rows need is held
    between the two passes, and only a chunk's records during the write."""

    found: list[tuple[Path, Loader]] = field(default_factory=list)
    options: LoadOptions = field(default_factory=LoadOptions)
    checked: streamed.Checked = field(default_factory=streamed.Checked)

    @property
    def total(self) -> int:
        return self.checked.records

    def _refuse_changed(self) -> None:
        streamed.unchanged(self.checked)

    def _write_records(self, store: GraphStore, progress: Callable[[int], None] | None,
                       release: bool) -> LoadReport:
        """The write pass: the files read again, each chunk written as it is read."""
        return streamed.write(store, self.found, self.options, self.redo, self.checked,
                              progress, dry_run=False)

    def _plan(self, store: GraphStore) -> LoadReport:
        return streamed.write(store, self.found, self.options, self.redo, self.checked, None,
                              dry_run=True)


def _streamed(store: GraphStore, found: list[tuple[Path, Loader]], options: LoadOptions,
              on_error: OnError, progress: Callable[[int], None] | None, notes: list[str],
              started: float) -> Prepared | None:
    """The load checked a chunk at a time, when its loaders and its records allow it: its
    records kept when they are few (``ERM_LOAD_KEEP_RECORDS``), else to be read again
    as they are written (:class:`Streamed`); None when they do not (:class:`InMemoryOnly`),
    and the load is read whole instead."""
    if not streamed.streams(found):
        return None
    settled, redo = _interrupted(store, {path.name for path, _ in found})
    try:
        checked = streamed.check(store, found, options, redo, progress)
    except InMemoryOnly:
        return None
    made = (checked.rejects, notes + checked.notes, [str(p) for p, _ in found], checked.rows,
            on_error, checked.unchanged_nodes, checked.unchanged_relationships, started,
            settled, redo)
    if checked.batch is not None:  # few enough records to keep: written as a load read whole
        return Prepared(checked.batch, *made)
    return Streamed(GraphBatch(), *made, found=found, options=options, checked=checked)


@without_gc
def prepare(store: GraphStore, paths: Sequence[str | Path], *, fmt: str = "auto",
            options: LoadOptions | None = None, on_error: OnError = "stop",
            progress: Callable[[int], None] | None = None,
            time_limit: float | None = None, streaming: bool = True) -> Prepared:
    """Read every path with its loader and check every record against the model and the graph.

    ``progress`` is told the input rows read as large files are read (the mapping loader).
    ``time_limit``: read in a child process that is stopped past that many seconds
    (:mod:`erm_graph.ingest.worker`), as the web app reads uploads; every row is then
    compared with the graph, none left out by its fingerprint.

    A load whose loaders read in chunks (the mapping loader's tables) is checked a chunk at
    a time and read again to write (:mod:`erm_graph.ingest.streamed`), unless its records
    need the whole load (a map, a key two tables make) or ``streaming=False``: every record
    is then read into memory first.
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
        chunked = _streamed(store, found, options, on_error, progress, notes, started) \
            if streaming else None
        if chunked is not None:
            return chunked
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
        if len(sources) == 1 and distinct(source.batch):
            batch = source.batch  # one source, no key twice: nothing to merge or compare
        else:
            rejects += merge(batch, source.batch, seen)
    refuse_taken_maps(store, sources, options.map_name)
    maps: dict[str, tuple[list[str], GraphBatch]] = {}
    for source in sources:
        if makes_maps(source):
            files, records = maps.setdefault(source.namespace, ([], GraphBatch()))
            files.append(source.name)
            records.extend(source.batch)
    if skipped:
        rejects += against_stored(store, batch, skipped, unchanged_nodes)
    rejects += model_rejects(batch)
    rejects += second_owner_rejects(batch)
    rejects += _dangling_rejects(store, batch)
    forget_fingerprints(batch, rejected_origins(rejects))
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
