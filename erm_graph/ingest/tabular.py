"""Rows of a CSV text and of the sheets of an .xlsx workbook, as loaders read them.

The bytes come decoded and size-checked from :mod:`erm_graph.ingest.untrusted`; what a
workbook expands to is bounded there too (its decompressed size before it is opened), and
here as its cells are read. A large UTF-8 CSV file is read from disk in blocks instead
(:mod:`erm_graph.ingest.csv_file`), its dialect and header found here as for a text.
:class:`~erm_graph.ingest.contract.LoadContext` is the way a loader reaches these.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from erm_graph.errors import shown
from erm_graph.ingest import columnar, untrusted
from erm_graph.ingest.chunk_rows import Cells
from erm_graph.ingest.untrusted import LoadError
from erm_graph.interop.csv_errors import csv_problem

Sheets = dict[str, list[tuple[int, dict[str, Any]]]]
#: characters the dialect is sniffed from
SNIFFED = 4096


def each_row(chunks: Iterable[tuple[Sequence[int], Sequence[Cells]]]
             ) -> Iterator[tuple[int, Cells]]:
    """(line number, cells) of each row of chunks of rows."""
    return (row for lines, rows in chunks for row in zip(lines, rows, strict=True))


def csv_chunks(text: str, path: Path, size: int
               ) -> tuple[list[str], Iterator[tuple[Sequence[int], Sequence[Cells]]]]:
    """The trimmed header and the data rows of a CSV text ``size`` at a time, as (their line
    numbers, their cells); :func:`each_row` for a loader that takes them one by one.

    The delimiter (``,;\\t|``) is sniffed from the first 4 KB. Cells come as lists, padded
    to the header's width: the form for large files (a dict per row cost more than the
    parsing). Blank rows are skipped.
    """
    dialect = sniff(text[:SNIFFED])
    header, header_lines = header_of(lambda size: (text[:size], size >= len(text)), dialect)
    if header is None:
        raise LoadError(f"{path}: the file is empty: expected a header row")
    names = [h.strip() for h in header]
    width = len(names)
    fast = columnar.csv_chunks(text, dialect, width, header_lines, size)
    if fast is not None:
        return names, fast
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    next(reader)

    def rows() -> Iterator[tuple[int, Cells]]:
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

    return names, in_chunks(rows(), size)


def sniff(head: str) -> Any:
    """The dialect of a CSV text, sniffed from its first :data:`SNIFFED` characters."""
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def header_of(prefix: Callable[[int], tuple[str, bool]], dialect: Any
              ) -> tuple[list[str] | None, int]:
    """The header record of a CSV text and the lines it takes, read from the text's start
    (``prefix(size)``: its first ``size`` characters, and whether they are all of it): a
    reader over the whole text holds a copy at four bytes a character, and a file read in
    blocks is never decoded whole (docs/loaders.md, "Speed and memory")."""
    size = 1 << 16
    while True:
        head, whole = prefix(size)
        part = io.StringIO(head, newline="")
        reader = csv.reader(part, dialect)
        header = next(reader, None)
        # whole unless its last line ran to the part's end, short of the text's
        if whole or part.tell() < size:
            return header, reader.line_num
        size *= 4


def in_chunks(numbered: Iterable[tuple[int, Cells]], size: int
              ) -> Iterator[tuple[Sequence[int], list[Cells]]]:
    """(line number, cells) rows ``size`` at a time, as (their line numbers, their cells)."""
    rows = iter(numbered)
    while chunk := list(islice(rows, size)):
        lines, cells = zip(*chunk, strict=True)
        yield lines, list(cells)


def sheets(data: bytes, path: Path, max_bytes: int) -> Sheets:
    """Every sheet of an .xlsx workbook as (row number, row) lists, by lower-case name.

    What the workbook expands to is bounded: its decompressed size before it is opened, its
    cells as they are read. Cells right of the header are not read, and a stated dimension
    is ignored (it would pad every row).
    """
    import openpyxl

    untrusted.check_workbook(data, path, max_bytes)
    most = untrusted.limit(len(data), max_bytes)
    result: Sheets = {}
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
                    raise untrusted.too_many_cells(path, cells, most)
                if number > untrusted.MAX_SHEET_ROWS:
                    raise LoadError(f"{path}: sheet {shown(sheet.title)} has more than "
                                    f"{untrusted.MAX_SHEET_ROWS:,} rows, the most a "
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
