"""`erm load --format neo4j-csv` on the real engine: every value type of an admin-import
header read into its typed property, every bad cell named by file, row and column, the
:LABEL texts a file repeats, and the text read from disk as it is parsed or whole when an
encoding is stated (docs/loaders.md, "neo4j-csv")."""

from __future__ import annotations

from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.errors import ErmError
from erm_graph.interop import neo4j_csv

HEADER = ("uid:ID(Party),:LABEL,name,tier:int,rank:long,score:double,ratio:float,vip:boolean,"
          "since:date,seen:datetime,tags:string[],sizes:int[],note:IGNORE\n")


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding=encoding)
    return folder


def test_every_value_type_is_read_into_its_typed_property(store, tmp_path):
    folder = _write(tmp_path / "f", "n.csv", HEADER + (
        "c1,Party;Customer,Acme,2,9000000000,0.25,1e-3, TRUE ,2024-02-29, 2024-03-01T10:15:00 ,"
        "a;b c;,1;2;3,x\n"
        "c2,Customer, Bo ,,,,,false,,,,,\n"))
    report = load(store, folder)
    assert report.labels["Customer"].created == 2 and not report.rejected
    rows = store.run("MATCH (c:Customer) RETURN c.uid, c.name, c.tier, c.rank, c.score, c.ratio, "
                     "c.vip, c.since, c.seen, c.tags, c.sizes, c.note, c.source "
                     "ORDER BY c.uid").rows
    assert rows == [
        ["c1", "Acme", 2, 9000000000, 0.25, 0.001, True, "2024-02-29", "2024-03-01T10:15:00",
         ["a", "b c", ""], [1, 2, 3], None, "neo4j-csv:n.csv#2"],
        ["c2", " Bo ", None, None, None, None, False, None, None, None, None, None,
         "neo4j-csv:n.csv#3"],
    ]


@pytest.mark.parametrize(("cells", "column", "expected", "got"), [
    ("x,1,,,,,,,,", "tier:int", "an integer (int)", "x"),
    (",1.5,,,,,,,,", "rank:long", "an integer (long)", "1.5"),
    (",,ten,,,,,,,", "score:double", "a number (double)", "ten"),
    (",,,,yes,,,,,", "vip:boolean", "true or false (boolean)", "yes"),
    (",,,,,2024-2-1,,,,", "since:date", "a date YYYY-MM-DD", "2024-2-1"),
    (",,,,,,2024-03-01,,,", "seen:datetime", "a date-time YYYY-MM-DDTHH:MM[:SS]", "2024-03-01"),
    (",,,,,,,,1;two,", "sizes:int[]", "an integer (int)", "1;two"),
], ids=["int", "long", "double", "boolean", "date", "datetime", "array"])
def test_a_bad_cell_is_named_by_file_row_and_column_and_nothing_is_written(
        store, tmp_path, cells, column, expected, got):
    folder = _write(tmp_path / "f", "n.csv", HEADER + "c1,Customer,Ann,1,,,,,,,,,\n"
                    + f"c2,Customer,Bo,{cells},\n")
    with pytest.raises(ErmError) as info:
        load(store, folder)
    assert (f"neo4j-csv:n.csv#3: field '{column}': expected {expected}, got '{got}'"
            in str(info.value))
    assert store.counts()[0]["Customer"] == 0


def test_a_repeated_label_text_is_judged_on_every_row(store, tmp_path):
    """The model label of a :LABEL text is remembered for the next rows that repeat it: a
    bad text is refused on each of its rows, a good one gives its label to each, and past the
    texts remembered each row is still judged."""
    many = neo4j_csv._LABEL_TEXTS + 10
    rows = ["p1,Alien,A", "p2,Party;Customer,B", "p3,Alien,C", "p4,Customer;Party,D",
            "p5,,E", *(f"q{i},Customer{';' * (i + 1)},Q" for i in range(many)), "p6,Alien,F"]
    folder = _write(tmp_path / "f", "n.csv", "uid:ID(Party),:LABEL,name\n" + "\n".join(rows))
    report = load(store, folder, on_error="skip")
    assert [p.where for p in report.rejected] == [
        "neo4j-csv:n.csv#2", "neo4j-csv:n.csv#4", f"neo4j-csv:n.csv#{7 + many}"]
    assert all((p.field, p.got) == (":LABEL", "Alien") for p in report.rejected)
    labels = dict(store.run("MATCH (p:Party) RETURN p.uid, labels(p)").rows)
    assert sorted(labels["p2"]) == sorted(labels["p4"]) == sorted(labels["q0"]) == \
        sorted(labels[f"q{many - 1}"]) == ["Customer", "Party"]
    assert labels["p5"] == ["Party"]  # no label text: the ID space's label
    assert len(labels) == 3 + many


def test_the_text_is_read_from_disk_or_whole_as_its_encoding_asks(store, tmp_path):
    folder = _write(tmp_path / "bom", "n.csv", "\ufeffuid:ID(Party),:LABEL,name\nc1,Customer,Zoë\n")
    assert not load(store, folder).rejected
    folder = _write(tmp_path / "latin", "n.csv", "uid:ID(Party),:LABEL,name\nc2,Customer,Søren\n",
                    encoding="latin-1")
    with pytest.raises(ErmError, match=r"n.csv: not UTF-8: byte 0xf8 at line 2, column 14"):
        load(store, folder)
    assert not load(store, folder, encoding="latin-1").rejected
    assert sorted(store.run("MATCH (c:Customer) RETURN c.uid, c.name").rows) == [
        ["c1", "Zoë"], ["c2", "Søren"]]
