"""`Source`: one input file (or folder) as a loader sees it, with the safe ways to read it.

A loader never opens files itself: it asks its `Source` for text (size limit, encoding), XML
(through defusedxml only), CSV rows or workbook sheets, and records what it could not use with
:meth:`Source.reject` and what it left out on purpose with :meth:`Source.note`. Every record a
loader makes carries ``source.ref(element)`` as its provenance, ``"format:file#element"``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from erm_graph import settings
from erm_graph.errors import ErmError, Problem, shown
from erm_graph.ingest.batch import GraphBatch
from erm_graph.interop.csv_errors import csv_problem
from erm_graph.model import SYSTEM_PROPS

#: Largest file read by default; ERM_LOAD_MAX_MB or ``max_mb`` raise it.

#: Elements inside elements: no BPMN, draw.io or GraphML file nests deeper, and code that
#: walks nested lanes, sub-processes and graphs recurses once per level.
MAX_XML_DEPTH = 200
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


class LoadError(ErmError):
    """A source cannot be read at all (too large, wrong encoding, not well-formed, hostile)."""

    kind = "load"


@dataclass
class LoadOptions:
    """What the person running the load stated; loaders read what concerns them."""

    encoding: str | None = None
    mapping: Path | None = None
    map_name: str | None = None
    max_mb: float | None = None

    @property
    def max_bytes(self) -> int:
        mb = self.max_mb if self.max_mb is not None else float(
            settings.get("load_max_mb"))
        return int(mb * 1024 * 1024)


@dataclass
class Reject:
    """A record not written, with why; ``label`` is its node label or relationship type."""

    label: str
    problem: Problem
    record: dict[str, Any] | None = None


@dataclass
class Source:
    """One input as a loader sees it."""

    path: Path
    format: str
    options: LoadOptions = field(default_factory=LoadOptions)
    batch: GraphBatch = field(default_factory=GraphBatch)
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: input rows or elements read, for the rows/s figures
    rows: int = 0
    #: ``stale(label, uids, fingerprints)``: indexes of the rows whose node is missing or was
    #: made from something else (the store's ``stale_rows``); None: treat all as new
    stale: Callable[[str, list[str], list[str]], list[int]] | None = None
    #: told the rows a loader has read, as it reads them (a progress bar for large files)
    progress: Callable[[int], None] | None = None
    #: records a loader left out because their fingerprint shows them already stored as is
    unchanged_nodes: Counter[str] = field(default_factory=Counter)
    unchanged_relationships: Counter[str] = field(default_factory=Counter)
    #: per key label, the uids of those nodes: another table's or file's row with one of
    #: them is compared with the stored node, as two rows of a load are compared
    skipped_uids: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: the file name endings its loader reads (``.bpmn20.xml`` counts as one ending)
    extensions: tuple[str, ...] = ()
    #: bytes the source's compressed parts have expanded to so far (see
    #: :func:`erm_graph.ingest.expansion.inflate`)
    inflated: int = 0

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def stem(self) -> str:
        """The file name without its ending: ``order.v1.bpmn`` -> ``order.v1``,
        ``order.bpmn20.xml`` -> ``order``; a folder's whole name."""
        name = self.path.name
        if self.path.is_dir():
            return name
        ending = max((e for e in self.extensions if name.lower().endswith(e.lower())),
                     key=len, default=self.path.suffix)
        return name[:len(name) - len(ending)] or name

    @property
    def namespace(self) -> str:
        """Prefix of the uids this source makes: ``--map NAME``, else the file's :attr:`stem`.

        The whole stem, not the name up to its first dot: ``order.v1.bpmn`` and
        ``order.v2.bpmn`` are two diagrams, and their steps must not share uids. Two files
        whose stems still give one namespace (``orders.bpmn``, ``orders.drawio``) are refused
        by :mod:`erm_graph.ingest.owners` unless the map is named.
        """
        return slug(self.options.map_name or self.stem)

    def ref(self, element: object) -> str:
        """Provenance of a record: ``format:file#element``."""
        return f"{self.format}:{self.name}#{element}"

    def advance(self, rows: int) -> None:
        """Count ``rows`` more input rows read, and tell ``progress``."""
        self.rows += rows
        if self.progress:
            self.progress(rows)

    def reject(self, label: str, element: object, field_name: str, expected: str,
               got: object = None, record: dict[str, Any] | None = None) -> None:
        self.rejects.append(Reject(label, Problem(self.ref(element), field_name, expected, got),
                                   record))

    def note(self, text: str) -> None:
        self.notes.append(f"{self.name}: {text}")

    # -- reading --------------------------------------------------------------------------------
    def read_bytes(self, path: Path | None = None) -> bytes:
        """The file's bytes, refused with a clear message past the size limit."""
        path = path or self.path
        limit = self.options.max_bytes
        try:
            size = path.stat().st_size
            if size <= limit:
                with path.open("rb") as fh:
                    data = fh.read(size + 1)
                    # a device or /proc file states no size: read on, but not past the limit
                    while len(data) <= limit and (more := fh.read(
                            min(2**20, limit + 1 - len(data)))):
                        data += more
                size = max(size, len(data))
        except OSError as exc:
            raise LoadError(f"{path}: cannot read: {exc.strerror}") from None
        if size > limit:
            raise LoadError(f"{path}: {size / 2**20:,.1f} MB is over the {limit / 2**20:,.0f} MB "
                            f"limit of one file: split it, or raise the limit with --max-mb "
                            f"(or ERM_LOAD_MAX_MB)")
        return data

    def text(self, path: Path | None = None, data: bytes | None = None) -> str:
        """The file as text: the stated ``--encoding``, else a BOM, else UTF-8."""
        path = path or self.path
        data = self.read_bytes(path) if data is None else data
        return decode(data, path, self.options.encoding)

    def xml(self, path: Path | None = None, data: bytes | None = None) -> Element:
        """The parsed XML root, through defusedxml: no DTD entities, no external references."""
        path = path or self.path
        data = self.read_bytes(path) if data is None else data
        return parse_xml(data, str(path), self.options.encoding)

    def csv_rows(self, path: Path | None = None) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, row) for each data row of a CSV file, headers trimmed."""
        names, rows = self.csv_table(path)
        for line, row in rows:
            yield line, dict(zip(names, row, strict=False))

    def csv_table(self, path: Path | None = None
                  ) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
        """The trimmed header and (line number, cells) of each data row of a CSV file.

        Cells come as lists, padded to the header's width: the form for large files (a dict
        per row cost more than the parsing). Blank rows are skipped.
        """
        path = path or self.path
        text = self.text(path)
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        header = next(reader, None)
        if header is None:
            raise LoadError(f"{path}: the file is empty: expected a header row")
        names = [h.strip() for h in header]
        width = len(names)

        def rows() -> Iterator[tuple[int, list[str]]]:
            first = reader.line_num + 1  # where the record being read begins
            try:
                for row in reader:
                    if not (row and row[0].strip()) and not "".join(row).strip():  # blank
                        first = reader.line_num + 1
                        continue
                    if len(row) < width:
                        row += [""] * (width - len(row))
                    yield reader.line_num, row
                    first = reader.line_num + 1
            except csv.Error as exc:
                raise LoadError(csv_problem(path, text, first, exc, names, dialect.delimiter,
                                            dialect.quotechar)) from None

        return names, rows()

    def sheets(self, path: Path | None = None) -> dict[str, list[tuple[int, dict[str, Any]]]]:
        """Every sheet of an .xlsx workbook as (row number, row) lists, by lower-case name.

        What the workbook expands to is bounded (:mod:`erm_graph.ingest.expansion`): its
        decompressed size before it is opened, its cells as they are read. Cells right of
        the header are not read, and a stated dimension is ignored (it would pad every row).
        """
        import openpyxl

        from erm_graph.ingest import expansion

        path = path or self.path
        data = self.read_bytes(path)
        expansion.check_workbook(data, path, self.options.max_bytes)
        most = expansion.limit(len(data), self.options.max_bytes)
        result: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        cells = 0
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            for sheet in book.worksheets:
                sheet.reset_dimensions()
                title = sheet.title.strip().lower()
                header = next(sheet.iter_rows(max_row=1, values_only=True), None)
                names = [str(h).strip() if h is not None else "" for h in header or ()]
                while names and not names[-1]:
                    names.pop()
                if not names:
                    continue
                width, found = len(names), []
                rows = sheet.iter_rows(min_row=2, max_col=width, values_only=True)
                for number, values in enumerate(rows, start=2):
                    cells += width
                    if cells > most:
                        raise expansion.too_many_cells(path, cells, most)
                    if number > expansion.MAX_SHEET_ROWS:
                        raise LoadError(f"{path}: sheet {shown(sheet.title)} has more than "
                                        f"{expansion.MAX_SHEET_ROWS:,} rows, the most a "
                                        "worksheet holds")
                    if not values:
                        continue
                    if all(v is None or str(v).strip() == "" for v in values):
                        continue
                    found.append((number, dict(zip(names, values, strict=False))))
                result[title] = found
            book.close()
        except LoadError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise LoadError(f"{path}: not a readable .xlsx workbook "
                            f"({shown(exc, 120, quote=False)})") from None
        return result


def slug(text: str) -> str:
    """A readable uid part: lower case, runs of other characters become one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-") or "x"


def decode(data: bytes, path: Path | str, encoding: str | None = None) -> str:
    """Decode with the stated encoding, else a BOM, else UTF-8; a clear error otherwise."""
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise LoadError(f"unknown encoding {encoding!r}: use a Python codec name such as "
                            "utf-8, latin-1, cp1252 or utf-16") from None
        except UnicodeDecodeError as exc:
            raise LoadError(f"{path}: {_where(data, exc.start)} is not valid {encoding} "
                            f"(byte 0x{data[exc.start]:02x}): state the right one with "
                            "--encoding") from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not UTF-8: byte 0x{data[exc.start]:02x} at "
                        f"{_where(data, exc.start)}; state the file's encoding, e.g. "
                        "--encoding latin-1 (or cp1252 for Windows exports)") from None


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def parse_xml(data: bytes, where: str, encoding: str | None = None) -> Element:
    """Parse XML safely; the text is decoded first so encoding errors get a clear message."""
    import defusedxml.ElementTree as safe_et
    from defusedxml import DefusedXmlException

    declared = _XML_DECL.match(data[:200])
    text = decode(data, where, encoding or (declared.group(1).decode() if declared else None))
    # The text is now str: drop the declaration so the parser does not re-decode it.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    try:
        root = safe_et.fromstring(text.encode("utf-8"))
    except DefusedXmlException as exc:
        raise LoadError(f"{where}: refused hostile XML ({shown(exc, 120, quote=False)}): entity "
                        "declarations and external references are never expanded; remove "
                        "the DOCTYPE") from None
    except ParseError as exc:
        line, column = exc.position
        raise LoadError(f"{where}: not well-formed XML at line {line}, column {column} "
                        f"({str(exc).split(':')[0]}); is the file complete?") from None
    if _depth(root) > MAX_XML_DEPTH:
        raise LoadError(f"{where}: elements nested more than {MAX_XML_DEPTH} deep: no "
                        "diagram nests so deep; refused")
    return root


def _depth(root: Element) -> int:
    """How deep elements nest under ``root`` (itself 1), walked without recursion."""
    deepest, level = 0, [root]
    while level:
        deepest += 1
        if deepest > MAX_XML_DEPTH:
            break
        level = [child for element in level for child in element]
    return deepest


class RecordSink:
    """Callbacks that put parsed interop records (nodes, relationships) into a source's batch.

    The properties the store maintains itself (created_at, updated_at, content_hash) are left
    out and named in a note: a load sets its own; `erm import` is the route that keeps them.
    """

    def __init__(self, source: Source):
        self.source = source
        self.dropped: set[str] = set()

    def _keep(self, props: dict, where: str) -> dict:
        self.dropped.update(k for k in props if k in SYSTEM_PROPS)
        return {**{k: v for k, v in props.items() if k not in SYSTEM_PROPS}, "source": where}

    def node(self, record, where: str) -> None:
        self.source.batch.add_node(record.label, self._keep(record.props, where))

    def relationship(self, record, where: str) -> None:
        self.source.batch.add_relationship(record.type, record.start_label, record.start,
                                           record.end_label, record.end,
                                           **self._keep(record.props, where))

    def close(self) -> None:
        if self.dropped:
            self.source.note(f"attributes {', '.join(sorted(self.dropped))} are set by the "
                             "store and were not loaded (erm import keeps them)")
