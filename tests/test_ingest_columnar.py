"""The columnar reader and typing (erm_graph.ingest.columnar) read what the csv module and the
Python converters read: the same rows, places, values, rejects and reports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.errors import ValidationError
from erm_graph.ingest import columnar, tabular
from erm_graph.loaders.mapping.values import CONVERTERS

TEXTS = {
    "plain": "a,b,c\n1,2,3\n4,5,6\n",
    "crlf": 'a,b,c\r\n1,2,3\r\n4,"5,5",6\r\n',
    "no final newline": "a,b\n1,2\n3,4",
    "blank line": "a,b\n1,2\n\n3,4\n",
    "row of commas": "a,b\n1,2\n,\n3,4\n",
    "row of blanks": "a,b\n1,2\n  ,  \n3,4\n",
    "record over two lines": 'a,b\n"x\ny",2\n3,4\n',
    "short row": "a,b,c\n1,2\n3,4,5\n",
    "long row": "a,b\n1,2,3\n3,4\n",
    "doubled quotes": 'a,b\n"x""y",2\n"",4\n',
    "semicolons": 'a;b\n1;2\n3;"4;4"\n',
    "quote inside a cell": 'a,b\nab"c,2\n"ab"c,3\n',
    "non-breaking blanks": "a,b\nÉé,ü\n\u00a0,\u2003\n",
    "header over two lines": '"a\nx",b\n1,2\n',
    "stray quote": 'a,b\n"1,2\n3,4\n',
    # the sniffer sees no doubled quote in its first 4 KB, so the csv module reads the one
    # further down otherwise than pyarrow would: the text must go the csv module's way
    "doubled quote past the sniffed lines": "id,name\n" + "".join(
        f'{i},"a {i}"\n' for i in range(600)) + '600,"say ""hi"""\n',
}


def rows_of(text: str, enabled: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(columnar, "ENABLED", enabled)
    monkeypatch.setattr(columnar, "MIN_CHARS", 0)  # the tiny texts here take it too
    try:
        names, chunks = tabular.csv_chunks(text, Path("f.csv"), columnar.CHUNK_ROWS)
        return names, [(line, list(cells)) for line, cells in tabular.each_row(chunks)]
    except Exception as exc:  # the same error either way
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("name", TEXTS)
def test_columnar_reader_reads_what_the_csv_module_reads(name, monkeypatch):
    text = TEXTS[name]
    assert rows_of(text, True, monkeypatch) == rows_of(text, False, monkeypatch)


def chunks_of(text: str, enabled: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(columnar, "ENABLED", enabled)
    monkeypatch.setattr(columnar, "MIN_CHARS", 0)
    try:
        names, chunks = tabular.csv_chunks(text, Path("f.csv"), 2)
        return names, [(list(lines), [list(cells) for cells in rows]) for lines, rows in chunks]
    except Exception as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("name", TEXTS)
def test_chunks_of_rows_are_the_same_either_way(name, monkeypatch):
    """Two rows at a time, each chunk its rows' line numbers and cells: the csv module's
    chunks and the columnar reader's agree, and hold the rows :func:`rows_of` gives."""
    text = TEXTS[name]
    found = chunks_of(text, True, monkeypatch)
    assert found == chunks_of(text, False, monkeypatch)
    names, rows = rows_of(text, False, monkeypatch)
    if isinstance(found[1], list):
        assert all(0 < len(cells) <= 2 for _, cells in found[1])
        assert [(line, cells) for lines, chunk in found[1]
                for line, cells in zip(lines, chunk, strict=True)] == rows


def test_a_column_of_few_texts_is_one_string_per_text(monkeypatch):
    """A column of few distinct texts is read through its dictionary: the cells the csv
    module reads, each text one string however many cells of a chunk hold it. A column that
    turns out to hold mostly distinct texts (the notes from the third chunk on) is read cell
    by cell from then on, with the same cells."""
    text = "id,kind,note\n" + "".join(
        f"{i},{('call', 'visit')[i % 2]},n{i % 3 if i < 40 else i}\n" for i in range(80))
    assert chunks_of(text, True, monkeypatch) == chunks_of(text, False, monkeypatch)
    monkeypatch.setattr(columnar, "ENABLED", True)
    if not columnar.available():
        pytest.skip("pyarrow is not installed")
    _, chunks = tabular.csv_chunks(text, Path("f.csv"), 20)
    found = [rows for _, rows in chunks]
    for rows in found:
        assert len({id(cells[1]) for cells in rows}) == 2  # call, visit
    assert [len({id(cells[2]) for cells in rows}) for rows in found[:2]] == [3, 3]
    assert [len({cells[2] for cells in rows}) for rows in found[2:]] == [20, 20]


def test_columnar_reader_is_used_for_plain_files_only(monkeypatch):
    monkeypatch.setattr(columnar, "MIN_CHARS", 0)
    used = {name: columnar.csv_chunks(text, csv.excel, 2, 1, 10) is not None
            for name, text in TEXTS.items() if name in ("plain", "blank line", "short row",
                                                        "record over two lines")}
    if not columnar.available():
        pytest.skip("pyarrow is not installed")
    assert used == {"plain": False, "blank line": False, "short row": False,
                    "record over two lines": False}  # plain has 3 columns, not 2
    assert columnar.csv_chunks(TEXTS["plain"], csv.excel, 3, 1, 10) is not None


ODD = ["$1,100.04", " $5 ", "-5", "$-3.50", "(12.00)", "1 100,04 EUR", ".5", "5.", "-0", "1e5",
       "nan", "1_000", "١٢٣", "  7.25\t", "$", "abc", "12345678901234567890", "+5", "1,,2",
       "yes", "No", " TRUE ", "off", "0", "1", "t ", "\u00a05", "$" + "1" * 70]


@pytest.mark.parametrize("kind", ["money", "float", "int", "bool"])
def test_vectorised_typing_gives_the_python_converters_values(kind):
    if not columnar.available():
        pytest.skip("pyarrow is not installed")
    texts = ODD + [f"${i * 7:,}.{i % 100:02d}" for i in range(1500)] + \
        [f"{i * 0.37 - 200:.3f}" for i in range(1500)] + [str(i * 7919) for i in range(1500)]
    found = columnar.typed(kind, texts)
    assert found is not None
    got, values = found
    assert got, "some texts were typed in C"
    for text, value in zip(got, values, strict=True):
        want = CONVERTERS[kind](text)  # a text typed in C is one Python reads too
        assert (type(value), repr(value)) == (type(want), repr(want)), text
    assert "(12.00)" not in got and "1e5" not in got  # left to the Python converter


MAPPING = """\
tables:
  - file: sales.csv
    label: Interaction
    key: {column: id, prefix: "ix-"}
    properties:
      kind: {column: kind}
      at: {column: at, type: datetime, format: "dd/mm/yyyy HH:MM"}
      amount: {column: amount, type: money}
      sentiment: {column: sentiment, type: float}
"""


def write_sales(folder: Path, rows: int) -> Path:
    with (folder / "sales.csv").open("w") as fh:
        fh.write("id,kind,at,amount,sentiment\n")
        for i in range(rows):
            amount = "lots" if i == 1234 else f'"${i * 13:,}.{i % 100:02d} "'
            sentiment = "(0.5)" if i == 2345 else f"{(i % 200) / 100 - 1:.2f}"
            fh.write(f"{i},call,{i % 28 + 1:02d}/03/2024 10:{i % 60:02d},{amount},{sentiment}\n")
    (folder / "sales.yaml").write_text(MAPPING)
    return folder / "sales.csv"


@pytest.mark.parametrize("on_error", ["skip", "stop"])
def test_a_large_file_loads_the_same_either_way(store, tmp_path, monkeypatch, on_error):
    """A file of 3,000 rows (past the size where columns are typed in C, with the reader's
    size threshold lowered): the same report, rejects naming file, row and column, and the
    same stored values, with the columnar reader on and off."""
    csv_path = write_sales(tmp_path, 3000)
    monkeypatch.setattr(columnar, "MIN_CHARS", 0)
    used: list[str] = []  # the columnar ways did run, when on

    def spy(func):
        def wrapped(*args):
            found = func(*args)
            if found is not None:
                used.append(func.__name__)
            return found
        return wrapped

    monkeypatch.setattr(columnar, "csv_chunks", spy(columnar.csv_chunks))
    monkeypatch.setattr(columnar, "file_chunks", spy(columnar.file_chunks))
    monkeypatch.setattr(columnar, "typed", spy(columnar.typed))
    results = []
    for enabled in (False, True):
        monkeypatch.setattr(columnar, "ENABLED", enabled)
        store.clear()
        try:
            report = load(store, csv_path, mapping=tmp_path / "sales.yaml", on_error=on_error)
        except ValidationError as exc:  # on_error="stop": the same error, nothing written
            results.append(([p.as_dict() for p in exc.problems], store.run(
                "MATCH (n:Interaction) RETURN count(n)").rows))
            continue
        stored = store.run("MATCH (n:Interaction) RETURN n.uid, n.amount, n.sentiment, "
                           "n.content_hash ORDER BY n.uid").rows
        results.append(({k: v for k, v in report.as_dict().items() if k != "seconds"},
                        stored))
    assert results[0] == results[1]
    if columnar.available():
        assert sorted(set(used)) == ["file_chunks", "typed"]  # the file read in blocks
    if on_error == "skip":
        rejected = results[1][0]["rejected"]
        assert [(r["where"], r["field"], r["got"]) for r in rejected] == [
            ("mapping:sales.csv#1236", "amount", "'lots'"),
            ("mapping:sales.csv#2347", "sentiment", "'(0.5)'")]
        assert len(results[1][1]) == 2998
        assert results[1][1][0][1:3] == [0.0, -1.0]
    else:
        assert len(results[1][0]) == 2
        assert results[1][1] == [[0]]


def test_a_batch_gives_back_what_it_freed_on_glibc():
    """glibc trims its heap (elsewhere only pyarrow's pool is released)."""
    import platform

    from erm_graph.ingest.memory import trim_heap

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert trim_heap() is True


@pytest.mark.parametrize("release", [False, True])
def test_the_text_is_read_in_blocks_each_let_go_once_parsed(release):
    """The second pass holds only what pyarrow has not parsed yet: the blocks it has read
    are let go (the first pass, which only checks, keeps them for the second)."""
    import io

    blocks = [b"id,name\n1,a", b"nn\n2,b", b"", b"ob\n3,\xc3", b"\xa9\n"]
    kept = list(blocks)
    whole = b"".join(blocks)
    reader = io.BufferedReader(columnar._Blocks(blocks, release), 4)
    read = b""
    while part := reader.read(3):
        assert len(part) == 3 or len(read) + len(part) == len(whole)  # short only at the end
        read += part
        taken = reader.raw.next  # blocks handed to the parser's buffer so far
        assert blocks[:taken] == ([b""] * taken if release else kept[:taken])
        assert blocks[taken:] == kept[taken:]
    assert read == whole
