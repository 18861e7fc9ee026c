"""Columnar reading and typing of tables with pyarrow: the CSV parser and the typing of
large columns run in C, on every core, instead of cell by cell in Python.

Why pyarrow rather than polars: its CSV reader is multi-threaded and quotes as the csv module
does, its compute kernels (regex matches, casts, set membership) are what typing a column
needs, and a column converts to Python objects in one call; polars would add a second
columnar runtime and a query planner that a loader never uses. pyarrow is optional: without
it (or with :data:`ENABLED` off) every table takes the csv module and per-text typing.

The contract does not move: a file the columnar reader might read differently from the csv
module (records over several lines, blank rows, ragged rows, a sniffed dialect other than
plain quoting) is read by the csv module, and a cell the vectorised typing does not recognise
in its strict common form is typed by the Python converter that names the error. So rows,
their places (``file#line``), values, rejects and fingerprints are the same either way.
"""

from __future__ import annotations

import csv
import io
import os
import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from importlib.util import find_spec
from itertools import accumulate, compress
from pathlib import Path
from typing import Any

from erm_graph.ingest.chunk_rows import ChunkRows
from erm_graph.ingest.file_blocks import FileBlocks, TextScan
from erm_graph.ingest.memory import trim_heap

#: Off: every table goes through the csv module and per-text typing (the benchmark's
#: baseline, and a way out should a file read differently)
ENABLED = True
#: Texts shorter than this are read by the csv module: pyarrow is imported (a start-up cost
#: and memory) only for a file where its speed pays
MIN_CHARS = 1 << 20
#: Rows handed on at a time: one chunk of cells is Python objects at once, not the file
CHUNK_ROWS = 20_000
#: Bytes of the file read and parsed at once: larger blocks made pyarrow's reader hold more,
#: more so the larger the file, and read no faster that could be measured (docs/loaders.md,
#: "Speed and memory"); a row longer than a block is read by the csv module
BLOCK_BYTES = 1 << 20
#: A column read through its dictionary has at most one distinct text in this many cells
SHARED_TEXTS = 4
#: Fewer distinct texts than this are typed by the Python converters (vectorising has a fixed
#: cost per call, and a column of few texts is typed once per text anyway)
VECTOR_MIN = 2_000


def available() -> bool:
    return ENABLED and _installed()


@cache
def _installed() -> bool:
    return find_spec("pyarrow") is not None


@cache
def _arrow() -> tuple[Any, Any, Any]:
    """pyarrow, its compute kernels and its CSV reader, imported on first use."""
    import pyarrow
    import pyarrow.compute
    import pyarrow.csv

    return pyarrow, pyarrow.compute, pyarrow.csv


#: a doubled quote: the regex engine finds it faster than ``in`` in a text whose every row has
#: quotes (docs/loaders.md, "Speed and memory")
_DOUBLED = re.compile('""')


def _plain(dialect: Any, text: str) -> bool:
    """Whether the csv module reads ``text`` with ``dialect`` as pyarrow's parser does: the
    sniffer says no doubled quotes when the first lines have none, and then a doubled quote
    further down reads otherwise."""
    return (getattr(dialect, "quotechar", '"') == '"'
            and (getattr(dialect, "doublequote", True) or _DOUBLED.search(text) is None)
            and getattr(dialect, "escapechar", None) is None
            and not getattr(dialect, "skipinitialspace", False)
            and getattr(dialect, "quoting", csv.QUOTE_MINIMAL) == csv.QUOTE_MINIMAL)


def _line_count(text: str) -> int:
    """Physical lines as the csv module counts them (``\\n``, ``\\r\\n`` or ``\\r``)."""
    breaks = text.count("\n")
    # whether there is a "\r" at all stops at the first one, far cheaper than counting
    if "\r" in text:
        breaks += text.count("\r") - text.count("\r\n")
    return breaks + (0 if not text or text[-1] in "\r\n" else 1)


def csv_chunks(text: str, dialect: Any, width: int, header_lines: int, size: int
               ) -> Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]] | None:
    """The data rows of ``text``, parsed by pyarrow a block at a time and handed on ``size``
    at a time as (their line numbers, their cells), or None when the csv module must read it
    (see the module docstring).

    ``width``: the header's cells; ``header_lines``: the lines the header takes.
    """
    if len(text) < MIN_CHARS or not available() or not _plain(dialect, text) or width == 0:
        return None
    blocks = [text[at:at + BLOCK_BYTES].encode("utf-8", "surrogatepass")
              for at in range(0, len(text), BLOCK_BYTES)]
    return _two_passes(lambda release: _Blocks(blocks, release), lambda: _line_count(text),
                       dialect, width, header_lines, size, held=True)


def file_chunks(path: Path, start: int, stated: os.stat_result, dialect: Any, width: int,
                header_lines: int, size: int
                ) -> Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]] | None:
    """:func:`csv_chunks` of a UTF-8 file's bytes from ``start`` (past a BOM) to its size
    ``stated`` (its ``stat`` when it was checked against the size limit), read from the
    file a block at a time in both passes: neither its bytes nor its text is
    ever held whole. The first pass counts its lines and looks for doubled quotes as it
    reads, and pyarrow's conversion to strings checks that every cell is UTF-8: None (the
    csv module's way, whose decoding names the place of a byte that is not) otherwise."""
    if not available() or not _plain(dialect, "") or width == 0:
        return None
    scan = TextScan()

    def lines() -> int | None:
        # a dialect sniffed without doubled quotes reads one further down otherwise
        return None if scan.doubled and not _plain(dialect, '""') else scan.lines

    return _two_passes(lambda release: FileBlocks(path, start, stated,
                                                  None if release else scan),
                       lines, dialect, width, header_lines, size)


def _two_passes(opened: Callable[[bool], io.RawIOBase], lines: Callable[[], int | None],
                dialect: Any, width: int, header_lines: int, size: int, held: bool = False
                ) -> Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]] | None:
    """The rows of the bytes ``opened(release)`` reads, once a first pass found that the
    csv module reads them as pyarrow does; ``lines()``: the text's physical lines, once the
    first pass has read it, or None when the csv module must read it.

    ``held``: the whole text is held while the first pass reads it, which then hands back
    what each batch freed (:func:`_release`); a file read from disk holds one block at a time,
    whose pages the next block takes again, and is released once, after the pass: a release
    per batch delayed the first question an unchanged re-import asks the store
    (docs/loaders.md, "Speed and memory")."""
    pa, pc, pacsv = _arrow()
    names = [f"c{i}" for i in range(width)]
    read = pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=True,
                             block_size=BLOCK_BYTES)
    parse = pacsv.ParseOptions(delimiter=dialect.delimiter, quote_char='"', double_quote=True,
                               newlines_in_values=False, ignore_empty_lines=True)
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                   strings_can_be_null=False, quoted_strings_can_be_null=False)

    def batches(release: bool = False) -> Any:
        """The file in record batches of about BLOCK_BYTES: one block parsed at a time;
        ``release``: each block let go once the parser has it."""
        return pacsv.open_csv(io.BufferedReader(opened(release), BLOCK_BYTES),
                              read_options=read, parse_options=parse, convert_options=convert)

    # a first pass only checks, holding one block at a time: rows are handed on only once
    # the whole file is known to read as the csv module reads it
    rows = 0
    try:
        for batch in batches():
            if batch.num_rows and _maybe_blank_rows(pc, batch):
                return None
            rows += batch.num_rows
            if held:
                _release(pa)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError, OSError):
        # ragged rows, a stray quote, a byte not UTF-8, a file that cannot be read: the text's
        # way names the place, or says why
        return None
    if not held:
        _release(pa)
    # one record per line and no blank line: a row's line number is its index's
    if lines() != header_lines + rows:
        return None

    def chunks() -> Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]]:
        line = header_lines + 1
        distinct: set[int] = set()  # the columns found to hold mostly distinct texts
        for batch in batches(release=True):
            for start in range(0, batch.num_rows, size):
                part = batch.slice(start, size)
                columns = [_texts(pc, part.column(i), i, distinct) for i in range(width)]
                yield range(line, line + part.num_rows), ChunkRows(columns, part.num_rows)
                line += part.num_rows
            _release(pa)

    return Counted(chunks(), rows)


class Counted(Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]]):
    """A text's chunks, and how many data rows they hold, which the first pass counted
    before any is handed on: a load can tell from the first chunk how large it will be."""

    def __init__(self, chunks: Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]],
                 rows: int):
        self.chunks, self.rows = chunks, rows

    def __next__(self) -> tuple[Sequence[int], Sequence[Sequence[str]]]:
        return next(self.chunks)


def _release(pa: Any) -> None:
    """Hand back what a parsed batch freed, before the next (:mod:`erm_graph.ingest.memory`):
    in the first pass too, where the whole text and its bytes are held, and the pages its
    batches freed, kept by pyarrow's pool and glibc's heap, were held on top of them to the
    end of it (docs/loaders.md, "Speed and memory"); a file read from disk holds neither."""
    pa.default_memory_pool().release_unused()
    trim_heap()


class _Blocks(io.RawIOBase):
    """A file over a text's bytes in blocks. Read with ``release``, each block is let go as
    the parser takes it: the rows a load makes grow as the text they come from shrinks, and
    a large file's bytes, held whole, were the peak of its reading (docs/loaders.md, "Speed
    and memory")."""

    def __init__(self, blocks: list[bytes], release: bool):
        self.blocks, self.release, self.next = blocks, release, 0
        self.rest = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not len(self.rest):  # an empty block is no end of the file
            if self.next == len(self.blocks):
                return 0
            self.rest = memoryview(self.blocks[self.next])
            if self.release:
                self.blocks[self.next] = b""
            self.next += 1
        size = min(len(buffer), len(self.rest))
        buffer[:size] = self.rest[:size]
        self.rest = self.rest[size:]
        return size


def _texts(pc: Any, column: Any, index: int, distinct: set[int]) -> list[str]:
    """A column's cells as Python strings. A column of few distinct texts (a kind, a
    channel, the customer a row names) goes through its dictionary: one string per text,
    shared by every cell that holds it, so fewer objects are made and freed, and a string
    hashed once (as keys, signatures and counts of the rows do) keeps its hash. A column
    found to hold mostly distinct texts (an id, an amount) is put in ``distinct`` and
    converted cell by cell from then on, which is cheaper for it."""
    if index not in distinct:
        encoded = pc.dictionary_encode(column)
        if len(encoded.dictionary) * SHARED_TEXTS <= len(column):
            # not through numpy's object arrays: no faster here, and they raised the peak RSS
            # of a first import (docs/loaders.md, "Speed and memory")
            texts = encoded.dictionary.to_pylist()
            return list(map(texts.__getitem__, encoded.indices.to_pylist()))
        distinct.add(index)
    return column.to_pylist()


def _maybe_blank_rows(pc: Any, batch: Any) -> bool:
    """Whether a row may be all blank cells (the csv module's reader skips it): any row whose
    every cell lacks a visible ASCII character, a test that errs towards "maybe"."""
    blank = None
    for column in batch.columns:
        empty = pc.match_substring_regex(column, r"^[^!-~]*$")
        blank = empty if blank is None else pc.and_(blank, empty)
        if not pc.any(blank).as_py():
            return False
    return True


# -- typing ---------------------------------------------------------------------------------------
#: Strict forms read by pyarrow's cast; any other text goes to the Python converter, which
#: accepts the looser forms and names the error. RE2's ``\s`` is narrower than Python's
#: ``str.strip``, so an exotic blank takes the Python way too.
_FLOAT = r"^\s*-?[0-9,]*\.?[0-9]+\s*$"
_INT = r"^\s*-?[0-9,_]*[0-9]\s*$"
_MONEY = r"^\s*\$?-?[0-9,]*\.?[0-9]+\s*$"
#: the characters of RE2's ``\s``, which the forms allow around a number
_BLANKS = " \t\n\f\r"
#: what each form allows between the digits, left out before the cast
_MARKS = {"float": (",",), "int": (",", "_"), "money": (",", "$")}
_LONGEST = 60  # below the money converter's own limit: the Python way refuses longer ones
_TRUE = ["true", "yes", "y", "1", "t", "x", "on"]
_FALSE = ["false", "no", "n", "0", "f", "off"]


def typed(kind: str, texts: list[str]) -> tuple[list[str], list[Any]] | None:
    """The texts of ``texts`` (none blank) in the strict common form of ``kind``, and their
    values, typed in C; the other texts are left for the Python converter. None when this
    kind or this column is not worth vectorising."""
    if not available() or len(texts) < VECTOR_MIN or kind not in ("float", "int", "money",
                                                                     "bool"):
        return None
    pa, pc, _ = _arrow()
    column = _strings(pa, texts)
    if column is None:
        return None
    # no Python scalar reaches pyarrow: converting one imports pandas, a slow start-up
    if kind == "bool":
        lowered = pc.utf8_lower(pc.utf8_trim(column, " \t"))
        yes = pc.is_in(lowered, value_set=_strings(pa, _TRUE))
        ok = pc.or_(yes, pc.is_in(lowered, value_set=_strings(pa, _FALSE)))
        return (list(compress(texts, ok.to_pylist())),
                pc.filter(yes, ok).to_pylist())
    form = {"float": _FLOAT, "int": _INT, "money": _MONEY}[kind]
    longest = 18 if kind == "int" else _LONGEST  # an int64 holds any 18 digits
    ok = pc.and_(pc.match_substring_regex(column, form),
                 pc.match_substring_regex(column, f"^.{{0,{longest}}}$"))
    # the form puts blanks only at the ends: a trim and plain replacements clean it, far
    # cheaper than a regex replacement run on every text
    cleaned = pc.utf8_trim(pc.filter(column, ok), _BLANKS)
    for mark in _MARKS[kind]:
        cleaned = pc.replace_substring(cleaned, mark, "")
    values = pc.cast(cleaned, pa.int64() if kind == "int" else pa.float64(), safe=True)
    return list(compress(texts, ok.to_pylist())), values.to_pylist()


def _strings(pa: Any, texts: list[str]) -> Any:
    """``texts`` as an arrow string array built from its buffers (``pa.array`` would import
    pandas to look at a list), or None when a text cannot be UTF-8 (a lone surrogate)."""
    try:
        encoded = list(map(str.encode, texts))
    except UnicodeEncodeError:
        return None
    offsets = array("q", [0])
    offsets.extend(accumulate(map(len, encoded)))
    return pa.LargeStringArray.from_buffers(len(texts), pa.py_buffer(offsets),
                                            pa.py_buffer(b"".join(encoded)))
