"""A file read a block at a time, as a parser reads it, and what the csv module's way needs
to know of its text found in the blocks as they pass.

A large CSV held whole (its bytes, its text, their copy in blocks) was the peak of a load's
reading, and the file on disk already is the text: reading it from there in blocks holds one
block, whatever the file's size (docs/loaders.md, "Speed and memory"). The checks that the
text held whole made at once (its physical lines, whether a doubled quote is in it) are made
on the bytes as the parser reads them; in UTF-8 a line break or a quote is one byte that no
other character's bytes contain, so counting bytes counts characters.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import LoadError, bom, decode

#: a doubled quote: the regex engine finds it faster than ``in`` in bytes whose every row has
#: quotes, as ``columnar._DOUBLED`` in a text
_DOUBLED = re.compile(b'""')

#: How recently a file may have changed for its size and times of change not to tell a later
#: change: file systems stamp a change with a clock that moves in ticks (of milliseconds, or of
#: seconds on FAT), and a second same-sized write within the tick of the first leaves every field
#: of ``stat`` as it was. The content of a file that changed this recently (or whose times are
#: ahead of this machine's clock) is hashed as well: git's "racily clean" files.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Stamp:
    """What tells that a file read twice is the same file both times: its size, times of
    change (``ctime`` moves on every write, even one that puts ``mtime`` back) and inode (a
    file replaced by a rename), and, for a file that changed within :data:`RACY_NS`, the
    SHA-256 of its content."""

    fields: tuple[int, int, int, int]
    digest: bytes | None = None


def _fields(found: os.stat_result) -> tuple[int, int, int, int]:
    return found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino


def _digest(path: Path) -> bytes:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").digest()


def stamp(path: Path, found: os.stat_result | None = None, *,
          limit: int | None = None) -> Stamp | None:
    """``path``'s :class:`Stamp` now (``found``: its ``stat`` just taken), or None when it
    cannot be read. A file over ``limit`` bytes, which its reader refuses unread, is not
    hashed."""
    try:
        found = path.stat() if found is None else found
        racy = time.time_ns() - max(found.st_mtime_ns, found.st_ctime_ns) < RACY_NS
        hashed = racy and (limit is None or found.st_size <= limit)
        return Stamp(_fields(found), _digest(path) if hashed else None)
    except OSError:
        return None


def _same(path: Path, stated: Stamp | None) -> bool:
    """``path`` is still the file ``stated`` stamped."""
    try:
        if stated is None or _fields(path.stat()) != stated.fields:
            return False
        return stated.digest is None or _digest(path) == stated.digest
    except OSError:
        return False


def refuse_changed(stamps: Mapping[Path, Stamp | None], again: str) -> None:
    """Refuse, before anything is written, a file that is not the one it was when it was
    checked (``stamps``); ``again`` says what to do."""
    for path, stated in stamps.items():
        if not _same(path, stated):
            raise ErmError(f"{path}: the file changed after it was checked, nothing written: "
                           f"{again}")

#: bytes of a file's head that show its byte-order mark, the longest four
BOM_BYTES = 4


class FileBlocks(io.RawIOBase):
    """The bytes of ``path`` from ``start`` to the size ``stated`` (its ``stat`` when it was
    checked against the size limit), never past it, each read told to ``scan``. A file read
    twice must be the same file both times: one that changed since (another size, time of
    change or inode, found as it is opened and at its end) is refused, not read as half of
    each."""

    def __init__(self, path: Path, start: int, stated: os.stat_result,
                 scan: TextScan | None = None):
        self.path, self.left, self.scan = path, stated.st_size - start, scan
        self.stamp = _fields(stated)
        self.file: io.BufferedReader | None = path.open("rb")
        self._same()
        self.file.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.file is None or self.left <= 0:
            self._let_go()  # the end: the file is not held open until the parser is collected
            return 0
        view = memoryview(buffer)[:min(len(buffer), self.left)]
        size = self.file.readinto(view)
        self.left -= size
        if self.left <= 0 or not size:
            self._same()
        if self.scan is not None:
            self.scan.feed(view[:size])
        return size

    def close(self) -> None:
        self._let_go()
        super().close()

    def _same(self) -> None:
        found = os.fstat(self.file.fileno()) if self.file is not None else None
        if found is None or _fields(found) != self.stamp:
            self._let_go()
            raise LoadError(f"{self.path}: the file changed while it was read: load it again "
                            "once it is written")

    def _let_go(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def text_lines(path: Path, stated: os.stat_result) -> Iterator[str]:
    """The lines of the text of ``path`` as ``newline=""`` reads them (each with its break),
    decoded as :func:`~erm_graph.ingest.untrusted.decode` decodes a file whole, but read a
    block at a time as they are asked for, so that a reader of rows holds one block of a file
    of any size (docs/loaders.md, "Streaming within the all-or-nothing rule"). UTF-8, behind
    its BOM or none, is decoded as read; a byte that is not UTF-8 raises decode's error, which
    names its line and column, the bytes then read whole to find them. A file marked UTF-16 or
    UTF-32 is decoded whole, as decode does. The file must be the one ``stated``
    (:class:`FileBlocks`): one changed since is refused."""
    with path.open("rb") as head:
        mark = bom(head.read(BOM_BYTES))
    if mark and mark[1] != "utf-8-sig":
        yield from io.StringIO(decode(_whole(path, stated), path), newline="")
        return
    with io.TextIOWrapper(io.BufferedReader(FileBlocks(path, 0, stated)), encoding="utf-8-sig",
                          newline="") as text:
        try:
            yield from text
        except UnicodeDecodeError:
            decode(_whole(path, stated), path)  # raises, naming the byte's line and column
            raise


def _whole(path: Path, stated: os.stat_result) -> bytes:
    with FileBlocks(path, 0, stated) as raw:
        return raw.readall()


class TextScan:
    """Physical lines (``\\n``, ``\\r\\n`` or ``\\r``, and a last line with no break, as the
    csv module counts them) and whether a doubled quote occurs, over bytes fed in pieces:
    a ``\\r\\n`` or a ``""`` split between two pieces counts as one."""

    def __init__(self) -> None:
        self.breaks = 0
        self.doubled = False
        self.last = b""  # the last byte fed so far

    def feed(self, piece: bytes | memoryview) -> None:
        if not len(piece):
            return
        data = bytes(piece)
        self.breaks += data.count(b"\n")
        if b"\r" in data:
            self.breaks += data.count(b"\r") - data.count(b"\r\n")
            # a "\r" that ended the last piece and the "\n" that begins this one: one break
        if self.last == b"\r" and data.startswith(b"\n"):
            self.breaks -= 1
        if not self.doubled:
            self.doubled = _DOUBLED.search(data) is not None or (
                self.last == b'"' and data.startswith(b'"'))
        self.last = data[-1:]

    @property
    def lines(self) -> int:
        return self.breaks + (0 if not self.last or self.last in b"\r\n" else 1)


class TextHead:
    """The text a UTF-8 file begins with (from ``start``, past a BOM), decoded strictly only
    as far as asked, never past ``stop``: a head of so many characters, which is up to four
    times as many bytes, and a character cut at the end of what was read is completed by the
    next read, never broken. Invalid UTF-8 in it raises UnicodeDecodeError."""

    def __init__(self, path: Path, start: int, stop: int):
        self.path, self.start, self.stop = path, start, stop
        self.text, self.read, self.ended = "", 0, False
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def prefix(self, size: int) -> tuple[str, bool]:
        """The first ``size`` characters, and whether they are the whole text."""
        if len(self.text) <= size and not self.ended:
            with self.path.open("rb") as file:
                file.seek(self.start + self.read)
                while len(self.text) <= size and not self.ended:
                    want = max(1 << 16, 4 * (size + 1 - len(self.text)))
                    data = file.read(min(want, self.stop - self.start - self.read))
                    self.read += len(data)
                    self.ended = not data
                    self.text += self.decoder.decode(data, final=self.ended)
        return self.text[:size], self.ended and len(self.text) <= size
