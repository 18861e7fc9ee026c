"""How far a file may expand once it is decompressed: a workbook's XML and cells, a draw.io
diagram's deflated pages.

A 592 KB workbook held 165 MB of sheet XML (209 s and 1 GB to read); deflate turns 64 KB into
64 MB. The file-size limit (``--max-mb``) says nothing about that, so what a file expands to
is held to :data:`RATIO` times its own size (at least :data:`FLOOR`) and never past the
file-size limit itself. A workbook's sizes are checked in its zip directory before anything is
decompressed (the ``zipfile`` module stops each member at its stated size and fails its
checksum past it, so a member cannot lie its way larger), and the cells its rows pad out to
count too: a sheet's stated dimension or one far cell can widen every row to 16,384 columns.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from erm_graph.ingest.source import LoadError, Source

#: what a file may expand to, per byte of the file; real workbooks measured 10-23
RATIO = 100
#: what any file may expand to, however small
FLOOR = 2**20
#: the rows of an Excel worksheet
MAX_SHEET_ROWS = 1_048_576


def limit(size: int, max_bytes: int) -> int:
    """Bytes (or workbook cells) a file of ``size`` bytes may expand to."""
    return min(max(RATIO * size, FLOOR), max_bytes)


def _refused(where: Path | str, found: str, most: int) -> LoadError:
    return LoadError(f"{where}: expands to {found}, over the {most:,} allowed ({RATIO} times "
                     f"the file's size, at least {FLOOR // 2**20} MB, at most the file-size "
                     "limit --max-mb): refused as a decompression bomb, or a file to split")


def check_workbook(data: bytes, where: Path | str, max_bytes: int) -> None:
    """Refuse a workbook whose members decompress to more than :func:`limit` allows, before
    any of them is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(f"{where}: not a readable .xlsx workbook (not a zip archive: "
                        f"{type(exc).__name__})") from None
    most = limit(len(data), max_bytes)
    if total > most:
        raise _refused(where, f"{total:,} bytes decompressed", most)


def too_many_cells(where: Path | str, cells: int, most: int) -> LoadError:
    """The error for a workbook whose cells read (rows times header columns, a row the file
    skips counting one) pass ``most``, its :func:`limit`."""
    return _refused(where, f"over {cells - 1:,} cells (rows times header columns)", most)


def inflate(data: bytes, where: Path | str, source: Source, already: int = 0) -> bytes:
    """Raw deflate data (draw.io's compressed pages) inflated, refused once what ``source``'s
    compressed parts expand to together (``already`` before this one) passes :func:`limit`
    for the file's size, without inflating more than that."""
    try:
        size = source.path.stat().st_size
    except OSError:
        size = len(data)
    most = limit(size, source.options.max_bytes)
    room = max(most - already, 0)
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, room + 1)
        if not inflater.unconsumed_tail:
            out += inflater.flush()
    except zlib.error as exc:
        raise LoadError(f"{where}: does not decompress (deflate): {exc}") from None
    if len(out) > room or inflater.unconsumed_tail:
        raise _refused(where, f"over {most:,} bytes inflated", most)
    if not inflater.eof:
        raise LoadError(f"{where}: does not decompress (deflate): the compressed data is "
                        "incomplete or truncated")
    return out
