"""`erm import` of admin-import CSV in two passes on the real engine (docs/loaders.md,
"Streaming within the all-or-nothing rule"): every file checked before anything is written,
then read again and written as it is read; a file changed between the passes refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.errors import ErmError
from erm_graph.ingest.file_blocks import text_lines
from erm_graph.ingest.untrusted import LoadError
from erm_graph.interop import csv_import, import_graph
from erm_graph.interop.stream import GraphWriter

NODES = "uid:ID(Party),:LABEL,name,rank:long\n"
RELS = ":START_ID(Party),:END_ID(Party),:TYPE,kind\n"


def _folder(tmp_path: Path, nodes: str, rels: str = RELS) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "nodes_Party.csv").write_text(NODES + nodes, encoding="utf-8")
    (folder / "rels_RELATES_TO_Party_Party.csv").write_text(rels, encoding="utf-8")
    return folder


def _nothing_written(store) -> bool:
    labels, types = store.counts()
    return not sum(labels.values()) and not sum(types.values())


def test_a_large_folder_is_imported_whole_and_checked(store, tmp_path):
    count = 50_000
    folder = _folder(
        tmp_path, "".join(f"p{i},Party;Customer,Name {i},{i}\n" for i in range(count)),
        RELS + "".join(f"p{i},p{(i * 7) % count},RELATES_TO,supplies\n" for i in range(count)))
    result = import_graph(store, folder)
    assert result.ok, (result.mismatches, result.problems)
    assert store.run("MATCH (c:Customer) RETURN count(c), sum(c.rank)").rows == [
        [count, count * (count - 1) // 2]]
    assert store.run("MATCH (:Party {uid: 'p3'})-[r:RELATES_TO]->(b) RETURN b.uid, r.kind"
                     ).rows == [["p21", "supplies"]]
    assert store.run("MATCH ()-[r:RELATES_TO]->() RETURN count(r)").rows == [[count]]


def test_a_dangling_end_is_refused_with_nothing_written(store, tmp_path):
    folder = _folder(tmp_path, "p1,Party,Ann,1\np2,Party,Bo,2\n",
                     RELS + "p1,p2,RELATES_TO,\np2,p9,RELATES_TO,\n")
    with pytest.raises(ErmError, match=r"1 relationship\(s\) join nodes that are not in the "
                                       r"files, nothing written:\n  RELATES_TO Party 'p2' -> "
                                       r"Party 'p9'"):
        import_graph(store, folder)
    assert _nothing_written(store)


@pytest.mark.parametrize(("nodes", "message"), [
    ("p1,Party,Ann,1\np2,Party,Bo,two\n",
     r"1 row\(s\) cannot be read, nothing written:\n  neo4j-csv:nodes_Party.csv#3: field "
     r"'rank:long': expected an integer \(long\), got 'two'"),
    ('p1,Party,Ann,1\np2,Party,"Bo,2\n' + "x" * 140_000 + "\n",  # a quote left open
     r"nodes_Party.csv: line 3: field 'name' \(column 3\) is longer than"),
], ids=["a bad value", "a quote left open"])
def test_a_row_that_cannot_be_read_is_named_by_file_line_and_column(store, tmp_path, nodes,
                                                                      message):
    with pytest.raises(ErmError, match=message):
        import_graph(store, _folder(tmp_path, nodes))
    assert _nothing_written(store)


def test_a_file_changed_between_the_passes_is_refused_with_nothing_written(
        store, tmp_path, monkeypatch):
    folder = _folder(tmp_path, "p1,Party,Ann,1\np2,Party,Bo,2\n", RELS + "p1,p2,RELATES_TO,\n")
    checked = csv_import.ImportFiles.check

    def check_then_change(files):
        tally = checked(files)
        with (folder / "nodes_Party.csv").open("a", encoding="utf-8") as out:
            out.write("p3,Party,Cy,3\n")
        return tally

    monkeypatch.setattr(csv_import.ImportFiles, "check", check_then_change)
    with pytest.raises(ErmError, match="nodes_Party.csv: the file changed after it was checked, "
                                       "nothing written"):
        import_graph(store, folder)
    assert _nothing_written(store)


def test_a_file_changed_while_it_is_read_fails_the_read(tmp_path):
    path = tmp_path / "nodes_Party.csv"
    path.write_text(NODES + "".join(f"p{i},Party,N,{i}\n" for i in range(5000)))
    lines = text_lines(path, path.stat())
    next(lines)
    with path.open("a") as out:
        out.write("p5000,Party,N,5000\n")
    with pytest.raises(LoadError, match="the file changed while it was read"):
        list(lines)


def test_a_file_changed_during_the_write_pass_says_what_the_target_holds(store, tmp_path):
    """The write pass reads the files again as it writes: a file changed while it is read
    stops it, and the message says the (empty before) target now holds part of the import."""
    folder = _folder(tmp_path, "".join(f"p{i},Party,N,{i}\n" for i in range(5000)))
    nodes = folder / "nodes_Party.csv"
    changed = []

    class ChangingWriter(GraphWriter):
        def add(self, record) -> None:
            if not changed:  # at the first record written, the file's first block read
                with nodes.open("a") as out:
                    out.write("p5000,Party,N,5000\n")
                changed.append(record)
            super().add(record)

    files = csv_import.ImportFiles(folder)
    files.check()
    writer = ChangingWriter(store)
    with pytest.raises(ErmError, match=r"nodes_Party.csv: the file changed while it was read.*"
                                       r"holds part of the import: empty it with "
                                       r"`erm reset --yes`"):
        try:
            files.write(writer)
        finally:
            writer.close()
    assert changed and not _nothing_written(store)


def test_a_same_sized_rewrite_is_told_by_its_time_of_change(tmp_path):
    path = tmp_path / "nodes_Party.csv"
    path.write_text(NODES + "p1,Party,Ann,1\n")
    files = csv_import.ImportFiles(tmp_path)
    stated = path.stat()
    path.write_text(NODES + "p1,Party,Bob,1\n")
    os.utime(path, ns=(stated.st_atime_ns, stated.st_mtime_ns + 1_000_000))
    with pytest.raises(ErmError, match="changed after it was checked"):
        files.unchanged()


def test_utf16_files_and_line_separators_inside_values_are_read_as_text(store, tmp_path):
    folder = _folder(tmp_path, "p1,Party,Ann\u2028Lee\x85x,1\np2,Party,Bo\x0cb,2\n",
                     RELS + "p1,p2,RELATES_TO,\n")
    nodes = folder / "nodes_Party.csv"
    nodes.write_bytes(nodes.read_text(encoding="utf-8").encode("utf-16"))
    assert import_graph(store, folder).ok
    assert store.run("MATCH (p:Party) RETURN p.name ORDER BY p.uid").rows == [
        ["Ann\u2028Lee\x85x"], ["Bo\x0cb"]]


def test_erm_load_reads_line_separators_inside_values_as_text(store, tmp_path):
    folder = _folder(tmp_path, "p1,Party,Ann\u2028Lee\x85x,1\n")
    assert not load(store, folder).rejected
    assert store.run("MATCH (p:Party) RETURN p.uid, p.name").rows == [["p1", "Ann\u2028Lee\x85x"]]
