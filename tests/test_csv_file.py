"""A CSV file read from disk a block at a time (erm_graph.ingest.csv_file) reads what its text
read whole reads: the same rows, places, cells, rejects, errors and fingerprints, and a file
the block-wise way must not read (a ragged row, a byte that is not UTF-8 far down) is left to
the text's way, which names the place. Blocks are shrunk so that small files span many."""

from __future__ import annotations

import codecs
import csv
from itertools import pairwise
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.errors import ErmError, ValidationError
from erm_graph.ingest import columnar, csv_file, file_blocks, tabular
from erm_graph.ingest.contract import LoadContext, LoadOptions
from erm_graph.ingest.file_blocks import (
    FileBlocks,
    Stamp,
    TextHead,
    TextScan,
    refuse_changed,
    stamp,
)
from erm_graph.ingest.untrusted import LoadError

BLOCK = 256  # bytes: each file spans tens of blocks


def rows(count: int, row=lambda i: f'{i},"call, {i}",{i % 3 + 1}') -> list[str]:
    return [row(i) for i in range(count)]


def text_of(lines: list[str], end: str = "\n", last: bool = True) -> str:
    return end.join(["id,kind,amount", *lines]) + (end if last else "")


def late(lines: list[str], at: int, line: str) -> list[str]:
    return lines[:at] + [line] + lines[at:]


PLAIN = rows(300)
MULTI = rows(300, lambda i: f"{i},é€ {i} 😀 ü,{i % 3 + 1}")
CASES: dict[str, tuple[bytes, bool]] = {  # the file, and whether it is read in blocks
    "ascii": (text_of(PLAIN).encode(), True),
    "multibyte": (text_of(MULTI).encode(), True),
    "utf-8 BOM": (codecs.BOM_UTF8 + text_of(MULTI).encode(), True),
    "crlf": (text_of(PLAIN, "\r\n").encode(), True),
    "lone cr": (text_of(PLAIN, "\r").encode(), True),
    "no final newline": (text_of(PLAIN, last=False).encode(), True),
    "no final newline after crlf": (text_of(PLAIN, "\r\n", last=False).encode(), True),
    "doubled quotes from the start": (text_of(rows(300, lambda i: f'{i},"say ""hi"" {i}",1')
                                              ).encode(), True),
    # the sniffer sees no doubled quote in its head: the csv module reads the later one
    # otherwise than pyarrow would
    "doubled quote after the first block": (text_of(late(
        rows(600, lambda i: f'{i},"a {i}",1'), 500, '9999,"say ""hi""",1')).encode(), False),
    "blank row late": (text_of(late(PLAIN, 280, "")).encode(), False),
    "ragged row late": (text_of(late(PLAIN, 280, "9999,short")).encode(), False),
    # pyarrow's parser refuses a row that does not fit in one block
    "row longer than a block late": (text_of(late(PLAIN, 280, f'9999,"{"x" * 2 * BLOCK}",1')
                                             ).encode(), False),
    "invalid UTF-8 late": (text_of(PLAIN).encode()[:-40] + b"\xff"
                           + text_of(PLAIN).encode()[-40:], False),
    "overlong encoding late": (text_of(PLAIN).encode()[:-40] + b"\xc0\x80"
                               + text_of(PLAIN).encode()[-40:], False),
    "surrogate encoded late": (text_of(PLAIN).encode()[:-40] + b"\xed\xa0\x80"
                               + text_of(PLAIN).encode()[-40:], False),
    "UTF-16": (codecs.BOM_UTF16_LE + text_of(PLAIN).encode("utf-16-le"), False),
}


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(columnar, "BLOCK_BYTES", BLOCK)
    monkeypatch.setattr(columnar, "MIN_CHARS", BLOCK)
    monkeypatch.setattr(columnar, "ENABLED", True)
    if not columnar.available():
        pytest.skip("pyarrow is not installed")


def read(path: Path, way: str, monkeypatch, encoding: str | None = None, max_mb=None):
    """The header and the (line number, cells) rows of ``path`` read ``way``: "file" (through
    the loaders' context, in blocks when it can), "text" (its text read whole, as before, the
    columnar way when it can), "csv" (the csv module); or the error."""
    ctx = LoadContext("mapping", "x", LoadOptions(encoding=encoding, max_mb=max_mb))
    monkeypatch.setattr(columnar, "ENABLED", way != "csv")
    try:
        if way == "file":
            names, chunks = ctx.csv_chunks(path, 7)
        else:
            names, chunks = tabular.csv_chunks(ctx.text(path), path, 7)
        # the chunks end where the parser's blocks do, which differ with the way
        return names, [(line, list(cells)) for line, cells in tabular.each_row(chunks)]
    except ErmError as exc:
        return type(exc).__name__, str(exc)
    finally:
        monkeypatch.setattr(columnar, "ENABLED", True)


def in_blocks(path: Path, monkeypatch, **options) -> bool:
    """Whether the context reads ``path`` block by block."""
    taken: list[bool] = []
    real = columnar.file_chunks

    def spy(*args):
        found = real(*args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(columnar, "file_chunks", spy)
    read(path, "file", monkeypatch, **options)
    monkeypatch.setattr(columnar, "file_chunks", real)
    return taken == [True]


@pytest.mark.parametrize("name", CASES)
def test_a_file_read_in_blocks_reads_what_its_text_reads(name, small_blocks, tmp_path,
                                                        monkeypatch):
    data, blockwise = CASES[name]
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    found = read(path, "file", monkeypatch)
    assert found == read(path, "text", monkeypatch) == read(path, "csv", monkeypatch)
    assert in_blocks(path, monkeypatch) is blockwise
    if name in ("invalid UTF-8 late", "overlong encoding late", "surrogate encoded late"):
        assert found[0] == "LoadError" and "not UTF-8: byte 0x" in found[1], found


def test_invalid_utf8_far_down_gives_todays_message(small_blocks, tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    path.write_bytes(CASES["invalid UTF-8 late"][0])
    assert read(path, "file", monkeypatch) == (
        "LoadError", f"{path}: not UTF-8: byte 0xff at line 299, column 15; state the file's "
        "encoding, e.g. --encoding latin-1 (or cp1252 for Windows exports)")


@pytest.mark.parametrize(("encoding", "bom", "blockwise"), [
    ("utf-8", b"", True), ("UTF8", b"", True), ("utf-8-sig", codecs.BOM_UTF8, True),
    # a stated utf-8 keeps a BOM as the first header's first character, as it always did
    ("utf-8", codecs.BOM_UTF8, False), ("latin-1", b"", False), ("no-such-codec", b"", False)])
def test_a_stated_encoding_reads_as_before(encoding, bom, blockwise, small_blocks, tmp_path,
                                           monkeypatch):
    path = tmp_path / "f.csv"
    path.write_bytes(bom + CASES["multibyte"][0])
    found = read(path, "file", monkeypatch, encoding)
    assert found == read(path, "text", monkeypatch, encoding)
    assert found == read(path, "csv", monkeypatch, encoding)
    assert in_blocks(path, monkeypatch, encoding=encoding) is blockwise
    if bom and encoding == "utf-8":
        assert found[0][0] == "\ufeffid"


def test_a_file_over_the_limit_is_refused_as_before_unread(small_blocks, tmp_path,
                                                          monkeypatch):
    path = tmp_path / "f.csv"
    path.write_bytes(CASES["ascii"][0])
    opened: list[Path] = []
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self))
    found = read(path, "file", monkeypatch, max_mb=0.001)
    assert found == ("LoadError", f"{path}: 0.0 MB is over the 0 MB limit of one file: split "
                     "it, or raise the limit with --max-mb (or ERM_LOAD_MAX_MB)")
    assert opened == []


def pieces(path: Path, start: int, monkeypatch) -> list[bytes]:
    """The pieces the first pass's scan was fed while reading ``path``."""
    fed: list[bytes] = []
    real = TextScan.feed

    def spy(self, piece):
        fed.append(bytes(piece))
        real(self, piece)

    monkeypatch.setattr(TextScan, "feed", spy)
    read(path, "file", monkeypatch)
    monkeypatch.setattr(TextScan, "feed", real)
    assert b"".join(fed) == path.read_bytes()[start:]
    return fed


def test_a_character_and_a_crlf_straddling_two_blocks_read_whole(small_blocks, tmp_path,
                                                                 monkeypatch):
    """The pieces of the file the parser read: one ends inside a character, one between a
    \\r and its \\n, and the rows are still those of the text (the first test)."""
    path = tmp_path / "f.csv"
    path.write_bytes(CASES["multibyte"][0])
    fed = pieces(path, 0, monkeypatch)
    assert len(fed) > 10
    cut = [piece for piece in fed[:-1] if piece.decode("utf-8", "ignore").encode() != piece]
    assert cut, "no character was cut between two blocks"
    crlf = text_of(PLAIN, "\r\n").encode()
    # the rows' lengths vary: shift the text until a "\r\n" straddles a block's end
    for shift in range(8):
        path.write_bytes(crlf.replace(b"id,", b"id" + b"x" * shift + b",", 1))
        fed = pieces(path, 0, monkeypatch)
        if any(a.endswith(b"\r") and b.startswith(b"\n") for a, b in pairwise(fed)):
            break
    else:
        pytest.fail("no \\r\\n straddled two blocks")
    assert read(path, "file", monkeypatch) == read(path, "csv", monkeypatch)
    assert in_blocks(path, monkeypatch)


TEXTS = ["", "a", "a\n", "a\r\nb", "a\r\rb\n\r", '"x""y"\r\n', 'a"\n"b', "\r\n\r\n", "é\r"]


@pytest.mark.parametrize("text", TEXTS)
def test_the_scan_counts_lines_and_finds_doubled_quotes_split_anywhere(text):
    """Lines as the csv module counts them and a doubled quote, however the bytes are cut
    into pieces (a \\r\\n or a "" split between two counts once)."""
    data = text.encode()
    for cut in range(len(data) + 1):
        for second in range(cut, len(data) + 1):
            scan = TextScan()
            for piece in (data[:cut], data[cut:second], data[second:]):
                scan.feed(memoryview(piece))
            assert (scan.lines, scan.doubled) == (columnar._line_count(text), '""' in text)


def test_the_head_is_the_texts_first_characters_however_its_bytes_are_cut(tmp_path):
    """4,096 characters of a non-ASCII head are more bytes than that, and a character cut at
    the end of a read is completed by the next, never broken."""
    first = 1 << 16  # the first read of a head
    rest = "".join(f"{i},é€😀{i}\n" for i in range(12_000))
    # a header as long as puts a character across the first read's end
    text = next(text for pad in range(4) if (text := f"id,name{'x' * pad}\n" + rest).encode()
                [first - 1:first + 1].decode("utf-8", "ignore") == "")
    data = codecs.BOM_UTF8 + text.encode()
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    head = TextHead(path, 3, len(data))
    for size in (4096, first - 1, first, first + 1, len(text) - 1, len(text), len(text) + 5):
        assert head.prefix(size) == (text[:size], size >= len(text))
    dialect = tabular.sniff(text[:4096])
    assert tabular.header_of(TextHead(path, 3, len(data)).prefix, dialect) == (
        [text.split(",")[0], text.split(",")[1].split("\n")[0]], 1)
    stop = 3 + len(text[:12].encode())
    assert TextHead(path, 3, stop).prefix(4096) == (text[:12], True)  # never past stop


def test_a_file_is_read_to_its_stated_size_and_let_go(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xef\xbb\xbfid\n1\n2\n3\n")
    blocks = FileBlocks(path, 3, path.stat())
    assert blocks.read() == b"id\n1\n2\n3\n"
    assert blocks.read() == b"" and blocks.file is None  # let go at the end
    blocks.close()


def test_a_file_stamped_just_after_a_change_is_told_by_its_content(tmp_path, monkeypatch):
    """A second same-sized write within the file system's tick leaves size and times as they
    were: a file stamped that soon after its change is told by its content's hash too (here
    the two writes may or may not share a tick: refused either way), and one stamped long
    after costs no hash."""
    path = tmp_path / "f.csv"
    path.write_bytes(b"id,name\n1,Ann\n")
    stated = stamp(path)
    assert stated is not None and stated.digest is not None
    path.write_bytes(b"id,name\n1,Bob\n")
    with pytest.raises(ErmError, match="f.csv: the file changed after it was checked"):
        refuse_changed({path: stated}, "again")
    stated = stamp(path)
    assert stated is not None
    refuse_changed({path: stated}, "again")  # the same file passes
    with pytest.raises(ErmError, match="changed after it was checked"):  # only the hash differs
        refuse_changed({path: Stamp(stated.fields, b"another content")}, "again")
    monkeypatch.setattr(file_blocks, "RACY_NS", 0)
    assert stamp(path) == Stamp(stated.fields)


@pytest.mark.parametrize("change", [b"4\n", b""])
def test_a_file_that_changed_between_the_two_passes_is_refused(change, small_blocks, tmp_path,
                                                               monkeypatch):
    """The second pass reads the file again: rows checked in the first must be the rows
    handed on, so a file written since (longer, or as long but rewritten) is refused, never
    read past the size the limit was checked against."""
    path = tmp_path / "f.csv"
    path.write_bytes(CASES["ascii"][0])
    ctx = LoadContext("mapping", "x")
    _, chunks = ctx.csv_chunks(path, 7)  # the first pass is over
    assert in_blocks(path, monkeypatch)
    path.write_bytes(CASES["ascii"][0].replace(b"call", b"cell") + change)
    with pytest.raises(LoadError, match="f.csv: the file changed while it was read: load it "
                                        "again once it is written"):
        list(chunks)


MAPPING = """\
tables:
  - file: f.csv
    label: Party
    key: {column: id, prefix: "p-"}
    properties:
      name: {column: kind}
      tier: {column: amount, type: int, optional: true}
"""


@pytest.mark.parametrize("name", ["ascii", "utf-8 BOM", "crlf", "lone cr", "no final newline",
                                  "ragged row late", "invalid UTF-8 late"])
def test_the_mapping_loader_loads_the_same_either_way(name, store, small_blocks, tmp_path,
                                                      monkeypatch):
    """The real load of a file (a reject in it: a money amount that is not one): the same
    report, rejects and stored values, fingerprints included, read in blocks, from its text
    read whole, and by the csv module."""
    data = CASES[name][0].replace(b'"call, 7",2', b'"call, 7",lots')
    bad = [("mapping:f.csv#9", "amount")] if data != CASES[name][0] else []
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    (tmp_path / "f.yaml").write_text(MAPPING)
    results = []
    for way in ("file", "text", "csv"):
        monkeypatch.setattr(columnar, "ENABLED", way != "csv")
        if way != "file":
            monkeypatch.setattr(csv_file, "csv_chunks", lambda *args: None)
        store.clear()
        try:
            report = load(store, path, mapping=tmp_path / "f.yaml", on_error="skip")
        except (ValidationError, ErmError) as exc:
            results.append((type(exc).__name__, str(exc)))
            continue
        stored = [(uid, {k: v for k, v in found.items() if not k.endswith("_at")})
                  for uid, found in store.run("MATCH (n:Party) RETURN n.uid, properties(n) "
                                              "ORDER BY n.uid").rows]
        results.append(({k: v for k, v in report.as_dict().items() if k != "seconds"},
                        stored))
    assert results[0] == results[1] == results[2]
    if "invalid" not in name:
        assert isinstance(results[0][0], dict), results[0]
        rejected = results[0][0]["rejected"]
        assert [(r["where"], r["field"]) for r in rejected] == bad
        assert len(results[0][1]) == len(PLAIN) - len(bad) + (name == "ragged row late")


def test_the_table_loaders_rows_are_read_in_blocks_too(small_blocks, tmp_path, monkeypatch):
    """csv_rows (the table and neo4j-csv loaders) goes the same way as csv_chunks."""
    path = tmp_path / "f.csv"
    path.write_bytes(CASES["utf-8 BOM"][0])
    ctx = LoadContext("table", "x")
    found = list(ctx.csv_rows(path))
    assert in_blocks(path, monkeypatch)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert found == [(n, row) for n, row in enumerate(csv.DictReader(fh), start=2)]
