"""The loader contract: a :class:`Loader` reads one source with a :class:`LoadContext` and
returns a :class:`LoaderResult` (docs/loaders.md, "Writing a loader").

The context carries what the load brings to every loader: the person's options (encoding,
mapping, map name, size limit), the map namespace of the source's uids, the budget of what
its compressed parts may expand to, where its files may be found, and whom to tell about
progress and which rows are already stored. A loader reads files only through it (size
limit, encodings, defusedxml: :mod:`erm_graph.ingest.untrusted`) and returns everything it
made: the nodes and relationships, the records it rejected with why, the notes on what it
left out on purpose. Nothing is attached to a loader or filled in after it returns.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from stat import S_ISREG
from typing import Any, Protocol
from xml.etree.ElementTree import Element

from erm_graph.errors import Problem
from erm_graph.ingest import columnar, csv_file, file_blocks, tabular, untrusted
from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.chunk_rows import Cells
from erm_graph.ingest.untrusted import LoadError
from erm_graph.seen_keys import SeenKeys
from erm_graph.settings import current

#: ``stale(label, uids, fingerprints)``: indexes of the rows whose node is missing or was made
#: from something else (the store's ``stale_rows``)
Stale = Callable[[str, list[str], Sequence[str]], Collection[int]]
#: told the input rows a loader has read, as it reads them (a progress bar for large files)
Progress = Callable[[int], None]


@dataclass(frozen=True)
class LoadOptions:
    """What the person running the load stated; loaders read what concerns them."""

    encoding: str | None = None
    mapping: Path | None = None
    map_name: str | None = None
    max_mb: float | None = None
    #: what a diagram is, when the person says so (``--as``): "flowchart" loads any draw.io
    #: page as a process, "orgchart" as people and departments; None: told by its shapes
    diagram: str | None = None
    #: the pools of a BPMN collaboration that are the enterprise (names or ids); every other
    #: pool is an outside party
    our_pools: tuple[str, ...] = ()
    #: whose org chart a diagram loaded ``--as orgchart`` is (``--of``, a Party's uid): its
    #: people become that party's Contacts; None: ours (Employees and Departments)
    party: str | None = None
    #: files every source of the load reads, kept checked by the first source that read them
    #: (``--mapping`` over a folder of exports: one mapping, read once, not once per file)
    read_once: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False,
                                                  repr=False)

    @property
    def max_bytes(self) -> int:
        mb = self.max_mb if self.max_mb is not None else current().load_max_mb
        return int(mb * 1024 * 1024)


#: the cause (:func:`erm_graph.errors.by_cause`) of a record whose uid another record of the
#: load has with other values: each problem names the other record in ``expected``
SAME_UID = ("field 'uid': expected unique in the load (another record has the same uid "
            "with other values)")


@dataclass
class Reject:
    """A record not written, with why; ``label`` is its node label or relationship type."""

    label: str
    problem: Problem
    record: dict[str, Any] | None = None


@dataclass
class TableKeys:
    """The keys one table of a streaming loader (``read_chunks``) has read, as the table
    holds them to find a key's rows: a load checked a chunk at a time looks relationship
    ends up among them, rather than keeping every key of the load a second time."""

    #: every key the table has read so far, each to the number of keys before it
    every: SeenKeys
    #: this chunk's keys: of the rows whose node it makes or finds stored as it is, before
    #: the load's checks reject any
    chunk: Sequence[str]
    #: how many keys of ``every`` are of this chunk or one before it: a key numbered past
    #: them is of a chunk the table has read ahead
    known: int


@dataclass
class LoaderResult:
    """Everything a loader made of one source, returned by :meth:`Loader.read`."""

    #: the file or folder read
    source: Path
    format: str
    #: prefix of the uids of the maps this source makes (see :mod:`erm_graph.ingest.owners`)
    namespace: str
    batch: GraphBatch = field(default_factory=GraphBatch)
    rejects: list[Reject] = field(default_factory=list)
    #: what the loader left out on purpose, each starting with the file's name
    notes: list[str] = field(default_factory=list)
    #: input rows or elements read, for the rows/s figures
    rows: int = 0
    #: records left out because their fingerprint shows them already stored as they are
    unchanged_nodes: Counter[str] = field(default_factory=Counter)
    unchanged_relationships: Counter[str] = field(default_factory=Counter)
    #: per key label, the uids of those nodes, a sequence per chunk of rows as the loader
    #: found them (no set of every uid of an unchanged file): another table's or file's row
    #: with one of them is compared with the stored node, as two rows of a load are compared
    skipped_uids: defaultdict[str, list[Sequence[str]]] = field(
        default_factory=lambda: defaultdict(list))
    #: per key label, the keys of the table whose rows made this chunk (a streaming
    #: loader's chunks: :mod:`erm_graph.ingest.streamed`)
    keys: dict[str, TableKeys] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.source.name

    def ref(self, element: object) -> str:
        """Provenance of a record: ``format:file#element``."""
        return f"{self.format}:{self.name}#{element}"

    def reject(self, label: str, element: object, field_name: str, expected: str,
               got: object = None, record: dict[str, Any] | None = None) -> None:
        self.rejects.append(Reject(label, Problem(self.ref(element), field_name, expected, got),
                                   record))

    def note(self, text: str) -> None:
        self.notes.append(f"{self.name}: {text}")


class InMemoryOnly(Exception):
    """Raised by a loader's ``read_chunks`` when its rows cannot be checked a chunk at a time
    (a record that only the whole file decides: a map, rows that merge by key): the load
    then reads every record into memory first (:mod:`erm_graph.ingest.streamed`)."""


@dataclass
class LoadContext:
    """The inputs and limits of reading one source: built by ingest, handed to the loader."""

    format: str
    #: prefix of the uids this source makes: ``--map NAME``, else the file's :func:`stem`
    namespace: str
    options: LoadOptions = field(default_factory=LoadOptions)
    #: bytes the source's compressed parts may expand to together (:func:`untrusted.limit`)
    expansion_limit: int = untrusted.FLOOR
    #: None: no store at hand (a worker process), every row is new
    stale: Stale | None = None
    progress: Progress | None = None
    #: bytes the compressed parts have expanded to so far
    inflated: int = field(default=0, init=False)
    #: every table file read, with its stamp when it was opened: a load that reads its files
    #: twice refuses a file changed in between
    opened: dict[Path, file_blocks.Stamp | None] = field(default_factory=dict, init=False)
    #: the tables (by their loader's name for them) in which no key is on two rows: found so
    #: by a load's check pass, and handed to its write pass, which reads the same files
    #: again and need not keep their keys to find a key's first row
    distinct_keys: set[str] = field(default_factory=set, init=False)
    #: the data rows of the files read so far whose reader counted them before handing any
    #: on (a CSV file the columnar reader takes); the rows of other files are not in it
    counted_rows: int = field(default=0, init=False)

    @classmethod
    def for_source(cls, source: Path, loader: Loader, options: LoadOptions, *,
                   stale: Stale | None = None, progress: Progress | None = None
                   ) -> LoadContext:
        """The context of reading ``source`` with ``loader``."""
        try:
            size = source.stat().st_size
        except OSError:
            size = 0
        namespace = slug(options.map_name or stem(source, loader.extensions))
        return cls(loader.format, namespace, options,
                   untrusted.limit(size, options.max_bytes), stale, progress)

    def result(self, source: Path) -> LoaderResult:
        """An empty result for what the loader makes of ``source``."""
        return LoaderResult(source, self.format, self.namespace)

    def advance(self, result: LoaderResult, rows: int) -> None:
        """Count ``rows`` more input rows read into ``result``, and tell ``progress``."""
        result.rows += rows
        if self.progress:
            self.progress(rows)

    # -- reading ------------------------------------------------------------------------------
    def read_bytes(self, path: Path) -> bytes:
        """The file's bytes, refused with a clear message past the size limit."""
        return untrusted.read_limited(path, self.options.max_bytes)

    def text(self, path: Path, data: bytes | None = None) -> str:
        """The file as text: the stated ``--encoding``, else a BOM, else UTF-8."""
        data = self.read_bytes(path) if data is None else data
        return untrusted.decode(data, path, self.options.encoding)

    def lines(self, path: Path) -> str | Callable[[], Iterable[str]]:
        """The file's text for a reader of lines: a function giving its lines read from disk a
        block at a time (:func:`~erm_graph.ingest.file_blocks.text_lines`, which decodes as
        :meth:`text` does when no ``--encoding`` is stated), so that no copy of a large file is
        held; else, for a stated encoding or a file that is not a regular one within the size
        limit, its text read whole (:meth:`text`, which says what is wrong)."""
        found = self.stat(path)
        if (found is None or not S_ISREG(found.st_mode) or self.options.encoding
                or found.st_size > self.options.max_bytes):
            return self.text(path)
        return partial(file_blocks.text_lines, path, found)

    def xml(self, path: Path, data: bytes | None = None) -> Element:
        """The parsed XML root, through defusedxml: no DTD entities, no external references."""
        data = self.read_bytes(path) if data is None else data
        return untrusted.parse_xml(data, str(path), self.options.encoding)

    def csv_table(self, path: Path) -> tuple[list[str], Iterator[tuple[int, Cells]]]:
        """The trimmed header and (line number, cells) of each data row of a CSV file."""
        names, chunks = self.csv_chunks(path, columnar.CHUNK_ROWS)
        return names, tabular.each_row(chunks)

    def csv_chunks(self, path: Path, size: int
                   ) -> tuple[list[str],
                              Iterator[tuple[Sequence[int], Sequence[Cells]]]]:
        """The trimmed header and the data rows of a CSV file ``size`` at a time, as (their
        line numbers, their cells): read from disk a block at a time when it can be
        (:mod:`erm_graph.ingest.csv_file`), else from its text read whole."""
        read = csv_file.csv_chunks(path, self.stat(path), self.options.max_bytes,
                                   self.options.encoding, size)
        names, chunks = read if read is not None else \
            tabular.csv_chunks(self.text(path), path, size)
        if isinstance(chunks, columnar.Counted):
            self.counted_rows += chunks.rows
        return names, chunks

    def csv_rows(self, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, row) for each data row of a CSV file, headers trimmed."""
        names, rows = self.csv_table(path)
        for line, row in rows:
            yield line, dict(zip(names, row, strict=False))

    def sheets(self, path: Path) -> tabular.Sheets:
        """Every sheet of an .xlsx workbook as (row number, row) lists, by lower-case name."""
        self.stat(path)
        return tabular.sheets(self.read_bytes(path), path, self.options.max_bytes)

    def stat(self, path: Path) -> os.stat_result | None:
        """Note ``path``'s stamp in :attr:`opened`; its ``stat``, from which the stamp is
        made and against which a reader of it in blocks checks it, or None when it cannot be
        read (its reader then says why)."""
        try:
            found = path.stat()
        except OSError:
            found = None
        self.opened[path] = None if found is None else file_blocks.stamp(
            path, found, limit=self.options.max_bytes)
        return found

    def inflate(self, data: bytes, where: str) -> bytes:
        """Deflate data of the source inflated, within what its parts may expand to."""
        out = untrusted.inflate(data, where, self.expansion_limit, self.inflated)
        self.inflated += len(out)
        return out

    def package(self, path: Path, what: str) -> untrusted.ZipPackage:
        """The zip package ``path`` (a .vsdx drawing), its directory checked and its parts'
        stated sizes counted against what the source may expand to; ``what`` names its kind
        for the error on a file that is not a zip (``"a Visio .vsdx drawing"``)."""
        package = untrusted.ZipPackage(self.read_bytes(path), path,
                                       self.expansion_limit - self.inflated, what)
        self.inflated += package.total
        return package

    def confine(self, path: Path, folder: Path, what: str, folder_name: str) -> Path:
        """``path`` if it stays in ``folder`` once links are followed, else a LoadError
        naming what found it (``what``) and the folder in words (a temporary upload folder's
        path is no one's business): a loader that finds files (a mapping's patterns) reads
        only where the person pointed."""
        if not path.resolve().is_relative_to(folder.resolve()):
            raise LoadError(f"{what}: {path.name!r} leads outside {folder_name} (a link): "
                            "only the files in it are read")
        return path


class Loader(Protocol):
    """A format erm can load: one object per format, named ``LOADER`` in its module."""

    @property
    def format(self) -> str:
        """The name ``--format`` takes."""

    @property
    def extensions(self) -> tuple[str, ...]:
        """Lower-case file name endings it usually reads (``.bpmn20.xml`` counts as one)."""

    @property
    def description(self) -> str: ...

    @property
    def priority(self) -> int:
        """Lower wins when several loaders detect a file (50 is the usual)."""

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        """Does ``path`` (its first 4 KB in ``head``; empty for a folder) look like ours?"""

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        """Everything ``source`` holds, read through ``ctx``; raise :class:`LoadError` when
        it cannot be read at all."""


def slug(text: str) -> str:
    """A readable uid part: lower case, runs of other characters become one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-") or "x"


def stem(source: Path, extensions: tuple[str, ...]) -> str:
    """The file name without its ending: ``order.v1.bpmn`` -> ``order.v1``,
    ``order.bpmn20.xml`` -> ``order``; a folder's whole name.

    The whole stem, not the name up to its first dot: ``order.v1.bpmn`` and ``order.v2.bpmn``
    are two diagrams, and their steps must not share uids. Two files whose stems still give
    one namespace (``orders.bpmn``, ``orders.drawio``) are refused by
    :mod:`erm_graph.ingest.owners` unless the map is named.
    """
    name = source.name
    if source.is_dir():
        return name
    ending = max((e for e in extensions if name.lower().endswith(e.lower())),
                 key=len, default=source.suffix)
    return name[:len(name) - len(ending)] or name
