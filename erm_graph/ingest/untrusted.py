"""The one place where the bytes of a file someone hands in become text or an XML tree.

Loaders (through :class:`~erm_graph.ingest.contract.LoadContext`) and interop's imports read
files only here, so every input gets the same guards:

- **size**: :func:`read_limited` refuses a file past the load's size limit (``--max-mb``)
  without reading more than that, a device or ``/proc`` file that states no size included;
- **encoding**: :func:`decode` takes the stated encoding, else a byte-order mark, else UTF-8,
  and names the line and column of a byte that does not decode and the option that fixes it
  (a large UTF-8 CSV read in blocks, :mod:`erm_graph.ingest.csv_file`, is decoded strictly
  and goes to :func:`decode` at the first byte that is not UTF-8);
- **XML**: :func:`parse_xml` parses through defusedxml only (no entity declarations, no
  external references) and refuses elements nested past :data:`MAX_XML_DEPTH`;
- **expansion**: what a file decompresses to (a workbook's zip members, a draw.io page's
  deflate data) is held to :data:`RATIO` times the file's size, at least :data:`FLOOR`, never
  past the size limit (:func:`limit`, :class:`ZipPackage`, :func:`inflate`). A small
  workbook can hold hundreds of times its size in sheet XML, and deflate expands data up to
  a thousandfold: the size limit alone says nothing about that (docs/scaling.md);
- **zip packages** (an .xlsx workbook, a Visio .vsdx drawing): :class:`ZipPackage` checks the
  directory before anything is decompressed: how many entries it states in its end record
  (before ``zipfile`` parses one, as parsing costs time per entry), their names (none
  absolute, none with ``..``, a backslash or a drive, none twice: a part name that would
  lead out of a folder is a forged file even where nothing is extracted), and their stated
  sizes, each and together, against :func:`limit`. ``zipfile`` stops each member at its
  stated size and fails its checksum past it, so a member cannot lie its way larger; the
  cells a workbook's rows pad out to count too, checked as they are read
  (:mod:`erm_graph.ingest.tabular`).
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from erm_graph.errors import ErmError, shown

#: Elements inside elements: no BPMN, draw.io or GraphML file nests deeper, and code that
#: walks nested lanes, sub-processes and graphs recurses once per level.
MAX_XML_DEPTH = 200
#: what a file may expand to, per byte of the file; real workbooks stay well below it
RATIO = 100
#: what any file may expand to, however small
FLOOR = 2**20
#: the rows of an Excel worksheet
MAX_SHEET_ROWS = 1_048_576
#: entries of a zip package: a Visio drawing or a workbook holds tens to a few thousand parts
MAX_ZIP_ENTRIES = 10_000
#: bytes of a zip package's directory, the entries' names included: room for MAX_ZIP_ENTRIES
#: entries of long names; ``zipfile`` parses every entry the directory holds
MAX_ZIP_DIRECTORY = MAX_ZIP_ENTRIES * 300
#: where a zip's end record is: its signature, up to 65,535 bytes of comment after it
_ZIP_END, _ZIP64_LOCATOR, _ZIP64_END = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"
_ZIP_END_SIZE = 22
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


class LoadError(ErmError):
    """A source cannot be read at all (too large, wrong encoding, not well-formed, hostile)."""

    kind = "load"


# -- size -------------------------------------------------------------------------------------
def read_limited(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused with a clear message past ``max_bytes``."""
    try:
        size = path.stat().st_size
        data = b""
        if size <= max_bytes:
            with path.open("rb") as fh:
                data = fh.read(size + 1)
                # a device or /proc file states no size: read on, but not past the limit
                while len(data) <= max_bytes and (more := fh.read(
                        min(2**20, max_bytes + 1 - len(data)))):
                    data += more
            size = max(size, len(data))
    except OSError as exc:
        raise LoadError(f"{path}: cannot read: {exc.strerror}") from None
    if size > max_bytes:
        raise LoadError(f"{path}: {size / 2**20:,.1f} MB is over the {max_bytes / 2**20:,.0f} MB "
                        f"limit of one file: split it, or raise the limit with --max-mb "
                        f"(or ERM_LOAD_MAX_MB)")
    return data


# -- encoding ---------------------------------------------------------------------------------
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
    if marked := bom(data):
        return data.decode(marked[1])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not UTF-8: byte 0x{data[exc.start]:02x} at "
                        f"{_where(data, exc.start)}; state the file's encoding, e.g. "
                        "--encoding latin-1 (or cp1252 for Windows exports)") from None


def bom(head: bytes) -> tuple[int, str] | None:
    """The length of the byte-order mark ``head`` begins with and the codec :func:`decode`
    reads the file with because of it, or None."""
    for mark, name in _BOMS:
        if head.startswith(mark):
            return len(mark), name
    return None


def peek_text(head: bytes) -> str:
    """The first bytes of a file as text for telling its format, never an error: by its BOM,
    else UTF-8, a character cut off at the end (or any byte that does not decode) replaced."""
    marked = bom(head)
    return head.decode(marked[1] if marked else "utf-8", "replace")


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


# -- XML --------------------------------------------------------------------------------------
def parse_xml(data: bytes, where: str, encoding: str | None = None) -> Element:
    """Parse XML safely; the text is decoded first so encoding errors get a clear message."""
    import defusedxml.ElementTree as safe_et
    from defusedxml import DefusedXmlException

    declared = _XML_DECL.match(data[:200])
    text = decode(data, where, encoding or (declared.group(1).decode() if declared else None))
    # The text is now str: drop the declaration so the parser does not re-decode it.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    try:
        root: Element = safe_et.fromstring(text.encode("utf-8"))
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


# -- expansion --------------------------------------------------------------------------------
def limit(size: int, max_bytes: int) -> int:
    """Bytes (or workbook cells) a file of ``size`` bytes may expand to."""
    return min(max(RATIO * size, FLOOR), max_bytes)


def _refused(where: Path | str, found: str, most: int) -> LoadError:
    return LoadError(f"{where}: expands to {found}, over the {most:,} allowed ({RATIO} times "
                     f"the file's size, at least {FLOOR // 2**20} MB, at most the file-size "
                     "limit --max-mb): refused as a decompression bomb, or a file to split")


def check_workbook(data: bytes, where: Path | str, max_bytes: int) -> None:
    """Refuse a workbook whose directory is hostile or whose members decompress to more than
    :func:`limit` allows, before any of them is read."""
    ZipPackage(data, where, limit(len(data), max_bytes), "a readable .xlsx workbook").close()


class ZipPackage:
    """The parts of a zip package (Open Packaging: .vsdx, .xlsx) by name, its directory
    checked before any part is decompressed (see the module's docstring), each part read
    within its stated size. ``most``: what all parts may decompress to together
    (:func:`limit`); ``what``: the file's kind in words, for the error on a file that is not
    a zip (``"a Visio .vsdx drawing"``)."""

    def __init__(self, data: bytes, where: Path | str, most: int, what: str):
        self.where = where
        _check_zip_end(data, where, what)
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise LoadError(f"{where}: not {what} (not a zip archive: "
                            f"{type(exc).__name__})") from None
        members = self._archive.infolist()
        if len(members) > MAX_ZIP_ENTRIES:  # an end record that understated them
            self.close()
            raise LoadError(f"{where}: holds {len(members):,} zip entries, over the "
                            f"{MAX_ZIP_ENTRIES:,} allowed: refused")
        self.sizes: dict[str, int] = {}
        for member in members:
            name = member.filename
            if (name.startswith("/") or "\\" in name or ":" in name or ".." in name.split("/")):
                self.close()
                raise LoadError(f"{where}: zip entry {shown(name)} names a path outside the "
                                "package (absolute, '..', a backslash or a drive): refused")
            if name in self.sizes:
                self.close()
                raise LoadError(f"{where}: zip entry {shown(name)} appears twice: refused")
            self.sizes[name] = member.file_size
        total = sum(self.sizes.values())
        if total > most:
            self.close()
            largest = max(self.sizes, key=self.sizes.__getitem__)
            raise _refused(where, f"{total:,} bytes decompressed (the largest part, "
                           f"{shown(largest)}, {self.sizes[largest]:,})", most)
        self.total = total

    def read(self, name: str) -> bytes:
        """The part ``name``, decompressed; a LoadError naming file and part when it is
        missing, encrypted, damaged or compressed in a way zipfile cannot read."""
        if name not in self.sizes:
            raise LoadError(f"{self.where}: part {shown(name)} is missing from the package")
        try:
            with self._archive.open(name) as member:
                return member.read(self.sizes[name] + 1)
        except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError,
                OSError, ValueError) as exc:
            raise LoadError(f"{self.where}: part {shown(name)} does not decompress "
                            f"({shown(exc, 100, quote=False)})") from None

    def close(self) -> None:
        self._archive.close()

    def __enter__(self) -> ZipPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_zip_end(data: bytes, where: Path | str, what: str) -> None:
    """Refuse a zip whose end record states more entries or a larger directory than a
    package holds, before ``zipfile`` parses the directory. The record is found as
    ``zipfile`` finds it: at the very end, else the last signature within a comment's
    reach; a zip64 record, when the plain one points to it, states the real figures."""
    end = len(data) - _ZIP_END_SIZE
    if not (end >= 0 and data.startswith(_ZIP_END, end) and data[end + 20:end + 22] == b"\0\0"):
        end = data.rfind(_ZIP_END, max(0, len(data) - _ZIP_END_SIZE - 65_535))
    if end < 0 or end + _ZIP_END_SIZE > len(data):
        raise LoadError(f"{where}: not {what} (not a zip archive: no end of directory)")
    entries, directory = struct.unpack_from("<HL", data, end + 10)
    locator = end - 20
    if locator >= 0 and data.startswith(_ZIP64_LOCATOR, locator):
        # the zip64 record the locator points to, and the one just before it (where
        # zipfile reads it): whichever states more
        (stated,) = struct.unpack_from("<Q", data, locator + 8)
        for offset in (stated, locator - 56):
            if 0 <= offset <= locator - 56 and data.startswith(_ZIP64_END, offset):
                more, larger = struct.unpack_from("<QQ", data, offset + 32)
                entries, directory = max(entries, more), max(directory, larger)
    if entries > MAX_ZIP_ENTRIES or directory > MAX_ZIP_DIRECTORY:
        raise LoadError(f"{where}: states {entries:,} zip entries in a directory of "
                        f"{directory:,} bytes, over the {MAX_ZIP_ENTRIES:,} entries and "
                        f"{MAX_ZIP_DIRECTORY:,} bytes allowed: refused")


def too_many_cells(where: Path | str, cells: int, most: int) -> LoadError:
    """The error for a workbook whose cells read (rows times header columns, a row the file
    skips counting one) pass ``most``, its :func:`limit`."""
    return _refused(where, f"over {cells - 1:,} cells (rows times header columns)", most)


def inflate(data: bytes, where: Path | str, most: int, already: int = 0) -> bytes:
    """Raw deflate data (draw.io's compressed pages) inflated, refused once what a source's
    compressed parts expand to together (``already`` before this one) passes ``most`` (the
    source's :func:`limit`), without inflating more than that."""
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
