"""A CSV file read straight from disk, a block at a time, when the columnar reader can take it:
a large UTF-8 file, held whole as bytes and as text, made the peak of its reading grow with
the file, which a load of any size must not (docs/loaders.md, "Speed and memory").

Only what the text's way would read alike is read so: a regular file within the size limit,
large enough for the columnar reader, stated UTF-8 or stated nothing and with no BOM but
UTF-8's (skipped, as decoding it skips it). Its dialect and header come from its head,
decoded as far as they need; any doubt (a head that is not UTF-8, rows the columnar reader
declines, a byte further down that is not UTF-8) leaves the file to the text's way, which
reads it whole and names the place of what it refuses. The rows, their places and every
message are the same either way.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from erm_graph.ingest import columnar, tabular, untrusted
from erm_graph.ingest.chunk_rows import Cells
from erm_graph.ingest.file_blocks import BOM_BYTES, TextHead


def csv_chunks(path: Path, found: os.stat_result | None, max_bytes: int, encoding: str | None,
               size: int
               ) -> tuple[list[str], Iterator[tuple[Sequence[int], Sequence[Cells]]]] | None:
    """:func:`tabular.csv_chunks` of the file ``path``, read in blocks from disk, or None
    when its text must be read whole (see the module docstring). ``found``: its ``stat`` as
    the load stamped it (:meth:`~erm_graph.ingest.contract.LoadContext.stat`), the file the
    blocks must be; None when it could not be taken, and the text's way says why."""
    if found is None:
        return None
    stop = found.st_size
    # past the limit, the text's way refuses it without reading it
    if (not stat.S_ISREG(found.st_mode) or stop > max_bytes or stop < columnar.MIN_CHARS
            or not columnar.available()):
        return None
    start = _text_start(path, encoding)
    if start is None:
        return None
    head = TextHead(path, start, stop)
    try:
        dialect = tabular.sniff(head.prefix(tabular.SNIFFED)[0])
        header, header_lines = tabular.header_of(head.prefix, dialect)
    except (UnicodeDecodeError, OSError):
        return None
    if header is None:
        return None
    names = [h.strip() for h in header]
    chunks = columnar.file_chunks(path, start, found, dialect, len(names), header_lines, size)
    return None if chunks is None else (names, chunks)


def _text_start(path: Path, encoding: str | None) -> int | None:
    """Where the UTF-8 text of the file begins (past a UTF-8 BOM its decoding skips), or None
    when it is not read as UTF-8 or not so read the same: a stated ``utf-8`` keeps a BOM in
    the text, as a character of the first header."""
    try:
        with path.open("rb") as file:
            mark = untrusted.bom(file.read(BOM_BYTES))
        stated = codecs.lookup(encoding).name if encoding else "utf-8-sig"
    except (OSError, LookupError):
        return None
    if stated == "utf-8-sig":
        return None if mark and mark[1] != "utf-8-sig" else mark[0] if mark else 0
    return 0 if stated == "utf-8" and mark is None else None
