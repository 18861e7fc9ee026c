"""A mapping load checked and written a chunk at a time (erm_graph/ingest/streamed.py) against
the same load read whole into memory: the same graph, report and rejects, whichever way the
rows fall into chunks.

Each case loads its files into the embedded engine twice, one way then the other, the graph
emptied in between, with chunks of a few rows so that keys, relationship ends and rejects fall
across chunks. Every node and relationship with every property but the store's timestamps is
compared, and every field of the report but its seconds.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from erm_graph.errors import ErmError, ValidationError
from erm_graph.ingest import streamed as two_passes
from erm_graph.ingest.load import Prepared, Streamed, prepare, write_rejects
from erm_graph.loaders.mapping import reader
from erm_graph.settings import current

EXAMPLES = Path(__file__).parents[1] / "docs" / "examples"
TIMESTAMPS = ("created_at", "updated_at")


def write_csv(folder: Path, name: str, rows: list[list[str]]) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def graph(store) -> dict[str, Any]:
    """Every node (labels, properties) and relationship (type, ends, properties), sorted;
    not the store's own records of merges (made at other times each way)."""
    nodes = store.run("MATCH (n) WHERE NOT n:Merge RETURN labels(n), properties(n)").rows
    rels = store.run("MATCH (a)-[r]->(b) RETURN type(r), a.uid, b.uid, properties(r)").rows
    return {
        "nodes": sorted(json.dumps([sorted(labels), {k: v for k, v in props.items()
                                                     if k not in TIMESTAMPS}],
                                   sort_keys=True, default=str) for labels, props in nodes
                        if "PendingLoad" not in labels),
        "relationships": sorted(json.dumps(row, sort_keys=True, default=str) for row in rels)}


def outcome(store, paths: list[Path], streaming: bool, tmp: Path, *, mapping: Path | None = None,
            on_error: str = "stop", dry_run: bool = False) -> dict[str, Any]:
    """Load ``paths`` one way; the graph, the report (its seconds left out) and the rejects
    file, or the error's problems."""
    from erm_graph.ingest.contract import LoadOptions

    options = LoadOptions(mapping=mapping)
    prepared = prepare(store, paths, options=options, on_error=on_error,  # type: ignore[arg-type]
                       streaming=streaming)
    kind, total = type(prepared), prepared.total  # the write gives the records up
    rejects = tmp / "rejects.csv"
    rejects.unlink(missing_ok=True)
    try:
        report = prepared.write(store, dry_run=dry_run, rejects_file=rejects, release=True)
    except ValidationError as error:
        return {"kind": kind, "error": sorted(p.as_dict().__repr__() for p in error.problems),
                "graph": graph(store)}
    found = report.as_dict()
    found.pop("seconds")
    found["rejected"] = sorted(map(repr, found["rejected"]))
    lines = rejects.read_text().splitlines() if rejects.exists() else []
    return {"kind": kind, "report": found, "graph": graph(store),
            "total": total, "rejects": lines[:1] + sorted(lines[1:])}


def streamed_kept() -> bool:
    return current().load_keep_records > 1


def both_ways(store, paths: list[Path], tmp: Path, streams: bool,
              before: Callable[[], None] | None = None, **kwargs: Any) -> None:
    """Load one way then the other into an empty graph (``before`` each: what the store
    holds then); the two outcomes are the same, and the first was streamed when ``streams``
    says it can be."""
    for way in (True, False):
        if not way:
            store.clear()
        if before:
            before()
        found = outcome(store, paths, way, tmp, **kwargs)
        if way:
            streamed = found
    whole = found
    assert streamed.pop("kind") is (Streamed if streams and not streamed_kept() else Prepared)
    assert whole.pop("kind") is Prepared
    for part in whole:
        assert streamed[part] == whole[part], part


@pytest.fixture(params=["read again", "kept"])
def small_chunks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of three rows, the records read again to be written (none kept) or kept;
    read again, each chunk written on its own, so that a relationship written before its
    end's node is not hidden by a write that joins chunks."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    if request.param == "read again":
        monkeypatch.setattr(two_passes, "WRITE_RECORDS", 1)
    monkeypatch.setenv("ERM_LOAD_KEEP_RECORDS",
                       "1" if request.param == "read again" else "1000000000")


def contacts_folder(tmp: Path, *, contacts_first: bool = True) -> Path:
    """Parties (several labels from a column), employees and contacts, with a bad key, a
    bad number, a party's row given twice, a contact whose party is in no file, contacts
    before the parties they work for (ends in a later chunk), employees whose boss is on
    the next chunk of their own file (one the loader has read ahead) or the one before, and
    a repeated relationship in one cell."""
    write_csv(tmp, "parties.csv", [["ID", "Kind", "Name", "Tier"],
                                   *[[f"{i}", "Customer" if i % 2 else "vendor", f"P{i}",
                                      str(i % 4 + 1)] for i in range(1, 11)],
                                   ["", "Customer", "keyless", "1"],
                                   ["12", "Customer", "Twelve", "many"],
                                   ["5", "Customer", "P5", "2"]])
    write_csv(tmp, "employees.csv", [["ID", "Name", "Boss"],
                                     *[[f"{i}", f"E{i}", f"{i + 1 if i % 2 and i < 7 else i - 1}"]
                                       for i in range(1, 8)]])
    write_csv(tmp, "contacts.csv", [["ID", "Name", "Party"],
                                    *[[f"{i}", f"C{i}", f"{i % 10 + 1}"] for i in range(1, 15)],
                                    ["15", "C15", "99"],
                                    ["16", "C16", "3;3"]])
    contacts = {"file": "contacts.csv", "label": "Contact", "key": {"column": "ID", "prefix": "c-"},
                "properties": {"name": {"column": "Name"}},
                "relationships": [{"type": "WORKS_FOR", "label": "Party", "column": "Party",
                                   "prefix": "p-", "split": ";"}]}
    parties = {"file": "parties.csv", "label": "Party", "key": {"column": "ID", "prefix": "p-"},
               "label_column": {"column": "Kind", "aliases": {"vendor": "Supplier"}},
               "properties": {"name": {"column": "Name"},
                              "tier": {"column": "Tier", "type": "int"}},
               "relationships": [{"type": "MANAGES", "label": "Employee", "column": "Tier",
                                  "prefix": "e-", "direction": "in"}]}
    employees = {"file": "employees.csv", "label": "Employee",
                 "key": {"column": "ID", "prefix": "e-"},
                 "properties": {"name": {"column": "Name"}},
                 "relationships": [{"type": "REPORTS_TO", "label": "Employee",
                                    "column": "Boss", "prefix": "e-"}]}
    tables = [contacts, parties, employees] if contacts_first else [parties, employees, contacts]
    mapping = tmp / "people.yaml"
    mapping.write_text(yaml.safe_dump({"tables": tables}, sort_keys=False))
    return mapping


@pytest.mark.parametrize("contacts_first", [True, False])
@pytest.mark.parametrize("on_error", ["stop", "skip"])
def test_bad_rows_dangling_ends_and_later_ends(store, tmp_path: Path, small_chunks: None,
                                               contacts_first: bool, on_error: str) -> None:
    mapping = contacts_folder(tmp_path, contacts_first=contacts_first)
    both_ways(store, [mapping], tmp_path, True, on_error=on_error)


@pytest.mark.parametrize("contacts_first, mode", [(True, "skip"), (False, "skip"),
                                                  (True, "stop"), (False, "dry run")])
def test_the_same_load_over_merged_records(store, tmp_path: Path, small_chunks: None,
                                           contacts_first: bool, mode: str) -> None:
    """Loaded again, every name changed, after records of each table were merged (``erm
    merge``): the merged records' rows land on the kept ones, their relationships too, one
    of them on a relationship the kept record's own row makes three chunks later."""
    import re

    from erm_graph.identity.merge import merge_nodes

    def merged() -> None:
        mapping = contacts_folder(tmp_path, contacts_first=contacts_first)
        outcome(store, [mapping], False, tmp_path, on_error="skip")
        for keep, drop in (("p-9", "p-1"), ("p-4", "p-2"), ("e-4", "e-2"), ("c-11", "c-1"),
                           ("c-9", "c-4")):
            merge_nodes(store, keep, [drop])
        for path in tmp_path.glob("*.csv"):
            path.write_text(re.sub(r",([CEP])(\d+),", r",\1\1\2,", path.read_text()))

    both_ways(store, [tmp_path / "people.yaml"], tmp_path, True, before=merged,
              on_error="stop" if mode == "stop" else "skip", dry_run=mode == "dry run")



def test_dry_run_and_reimport(store, tmp_path: Path, small_chunks: None) -> None:
    mapping = contacts_folder(tmp_path)
    both_ways(store, [mapping], tmp_path, True, on_error="skip", dry_run=True)
    for streaming in (True, False):  # each way over what the other wrote: nothing changes
        store.clear()
        outcome(store, [mapping], not streaming, tmp_path, on_error="skip")
        again = outcome(store, [mapping], streaming, tmp_path, on_error="skip")
        report = again["report"]
        assert report["created"] == report["updated"] == 0, report
        assert report["unchanged"] > 0


def test_one_file_given_with_its_mapping(store, tmp_path: Path, small_chunks: None) -> None:
    """A data file named on the command line with --mapping."""
    contacts_folder(tmp_path)
    doc = yaml.safe_load((tmp_path / "people.yaml").read_text())
    only = tmp_path / "only.yaml"
    only.write_text(yaml.safe_dump({"tables": [doc["tables"][1]]}))
    both_ways(store, [tmp_path / "parties.csv"], tmp_path, True, mapping=only, on_error="skip")


@pytest.mark.parametrize("example, streams", [("crm", True), ("sales", False)])
def test_examples(store, tmp_path: Path, small_chunks: None, example: str, streams: bool) -> None:
    """The documented examples: the CRM export streams; the sales export's rows repeat
    their accounts' records with other relationships, which only the whole file tells."""
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    both_ways(store, [next(folder.glob("*.yaml"))], tmp_path, streams, on_error="skip")


def test_a_key_two_files_make_is_read_whole(store, tmp_path: Path, small_chunks: None) -> None:
    """Two files of one table with a key in common: records that only the whole load
    decides (the same values kept once, other values rejected)."""
    write_csv(tmp_path, "a1.csv", [["ID", "Name"], ["1", "one"], ["2", "two"]])
    write_csv(tmp_path, "a2.csv", [["ID", "Name"], ["2", "two"], ["3", "three"], ["1", "uno"]])
    mapping = tmp_path / "a.yaml"
    mapping.write_text(yaml.safe_dump({"tables": [
        {"file": "a*.csv", "label": "Customer", "key": {"column": "ID"},
         "properties": {"name": {"column": "Name"}}}]}))
    both_ways(store, [mapping], tmp_path, False, on_error="skip")


def test_a_file_changed_between_the_passes_writes_nothing(store, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    monkeypatch.setenv("ERM_LOAD_KEEP_RECORDS", "1")
    mapping = contacts_folder(tmp_path)
    prepared = prepare(store, [mapping], on_error="skip")
    assert isinstance(prepared, Streamed)
    with (tmp_path / "employees.csv").open("a", encoding="utf-8") as fh:
        fh.write("8,E8,7\n")
    with pytest.raises(ErmError, match="employees.csv: the file changed after it was checked"):
        prepared.write(store)
    assert store.run("MATCH (n) WHERE NOT n:PendingLoad RETURN count(n)").rows == [[0]]


def test_rejects_file_keeps_every_reject(store, tmp_path: Path, small_chunks: None) -> None:
    """The streamed load's rejects are those of the load read whole, in the rejects file
    too (order aside: by row rather than by label)."""
    mapping = contacts_folder(tmp_path)
    streamed = prepare(store, [mapping], on_error="skip")
    whole = prepare(store, [mapping], on_error="skip", streaming=False)
    assert isinstance(streamed, Prepared if streamed_kept() else Streamed)
    def problems(rejects: list) -> list[str]:
        return sorted(json.dumps([r.label, r.problem.as_dict(), r.record], default=str)
                      for r in rejects)

    assert problems(streamed.rejects) == problems(whole.rejects)
    assert len(streamed.rejects) >= 4  # keyless, a bad tier, a party in no file, and its row
    write_rejects(streamed.rejects, tmp_path / "r.json")
    assert len(json.loads((tmp_path / "r.json").read_text())) == len(streamed.rejects)


def test_read_ahead_hands_on_items_and_errors_and_stops_with_its_reader() -> None:
    """The write pass's reading thread: its items in order, its error raised in the writer,
    and, when the writer stops (an engine error), no thread left reading."""
    import threading

    assert list(two_passes.read_ahead(iter(range(5)))) == [0, 1, 2, 3, 4]

    def failing():
        yield 1
        raise ValueError("row 7 unreadable")

    with pytest.raises(ValueError, match="row 7"):
        list(two_passes.read_ahead(failing()))
    made = []

    def endless():
        while True:
            made.append(len(made))
            yield len(made)

    ahead = two_passes.read_ahead(endless())
    assert next(ahead) == 1
    ahead.close()  # the writer gave up
    assert not [t for t in threading.enumerate() if t.name == "erm-read-ahead"]
    assert len(made) <= 4  # the thread stopped a chunk or two ahead, not at the end


def test_the_write_pass_keys_again_only_tables_with_a_key_on_two_rows(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check pass names the tables whose keys are each on one row; the write pass reads
    those without keeping their keys (the parties' file gives a row twice)."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    monkeypatch.setenv("ERM_LOAD_KEEP_RECORDS", "1")
    mapping = contacts_folder(tmp_path)
    prepared = prepare(store, [mapping], on_error="skip")
    assert isinstance(prepared, Streamed)
    [distinct] = prepared.checked.distinct
    assert sorted(name.rsplit("/", 1)[1] for name in distinct) == ["contacts.csv",
                                                                   "employees.csv"]
    keyed: list[bool] = []
    made = reader.NodeTable

    def table(*args: Any, **kwargs: Any) -> Any:
        found = made(*args, **kwargs)
        keyed.append(found.distinct)
        return found

    monkeypatch.setattr(reader, "NodeTable", table)
    prepared.write(store)
    assert keyed == [True, False, True]  # contacts, parties, employees


def test_a_load_its_counted_rows_show_too_large_keeps_no_records(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The columnar reader counts a file's rows before its first chunk: a load they show will
    pass ERM_LOAD_KEEP_RECORDS keeps none of its records only to let them go, where its first
    chunks were within it; a load within it keeps them."""
    from erm_graph.ingest import columnar
    from erm_graph.ingest.batch import GraphBatch

    if not columnar.available():
        pytest.skip("pyarrow is not installed")
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    monkeypatch.setattr(columnar, "MIN_CHARS", 0)  # the small files here are counted too
    mapping = contacts_folder(tmp_path)
    kept: list[int] = []

    class Kept(GraphBatch):
        def extend(self, other: GraphBatch) -> None:
            kept.append(len(other))
            super().extend(other)

    monkeypatch.setattr(two_passes, "GraphBatch", Kept)
    monkeypatch.setenv("ERM_LOAD_KEEP_RECORDS", "20")  # the first chunk makes 6 records
    assert isinstance(prepare(store, [mapping], on_error="skip"), Streamed)
    assert kept == []
    monkeypatch.setenv("ERM_LOAD_KEEP_RECORDS", "1000")
    assert isinstance(prepare(store, [mapping], on_error="skip"), Prepared)
    assert sum(kept) > 20


def test_relationships_landed_on_a_merged_record_are_made_once(
        store, tmp_path: Path, small_chunks: None) -> None:
    """A re-import of a source one of whose records was merged into another (``erm merge``):
    the merged record's row lands its relationship on the kept record, which its own row, a
    chunk later, names too. The load read whole keeps the first of the two; so does the
    streamed one, which wrote both (the last one's properties won) and counted one too many."""
    from erm_graph.identity.merge import merge_nodes

    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump({"tables": [
        {"file": "parties.csv", "label": "Customer", "key": {"column": "ID", "prefix": "p-"},
         "properties": {"name": {"column": "Name"}},
         "relationships": [{"type": "RELATES_TO", "label": "Party", "column": "Other",
                            "prefix": "p-", "properties": {"kind": {"column": "Kind"}}}]}]}))

    def parties(name: str, kind: Any) -> None:
        write_csv(tmp_path, "parties.csv", [["ID", "Name", "Other", "Kind"],
                                            *[[f"{i}", f"{name}{i}", "10", kind(i)]
                                              for i in range(1, 10)],
                                            ["10", "Ten", "", ""]])

    found = []
    for streaming in (True, False):
        store.clear()
        parties("C", lambda i: "partners")
        outcome(store, [mapping], False, tmp_path)
        merge_nodes(store, "p-5", ["p-1"])
        parties("D", lambda i: "supplies" if i == 1 else "refers")
        got = outcome(store, [mapping], streaming, tmp_path)
        got["graph"]["nodes"] = [n for n in got["graph"]["nodes"] if '[["Merge"]' not in n]
        found.append(got)
    streamed, whole = found
    assert streamed.pop("kind") is (Prepared if streamed_kept() else Streamed)
    whole.pop("kind")
    assert streamed == whole
    [kept] = [json.loads(r)[3] for r in whole["graph"]["relationships"]
              if json.loads(r)[1:3] == ["p-5", "p-10"]]
    assert kept["kind"] == "supplies"  # the merged record's row comes first
    assert whole["report"]["types"]["RELATES_TO"]["updated"] == 8


@pytest.mark.parametrize("rename", [False, True], ids=["in place", "renamed over it"])
def test_a_same_sized_rewrite_with_its_time_put_back_writes_nothing(
        store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rename: bool) -> None:
    """A file rewritten between the passes with the same size and its modification time put
    back (as `cp -p` and `rsync -a` leave it) was read again as the file checked: with a
    table found distinct, another key of its rows would have been written unchecked."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    monkeypatch.setenv("ERM_LOAD_KEEP_RECORDS", "1")
    mapping = contacts_folder(tmp_path)
    prepared = prepare(store, [mapping], on_error="skip")
    assert isinstance(prepared, Streamed)
    employees = tmp_path / "employees.csv"
    stated, data = employees.stat(), employees.read_bytes()
    changed = data.replace(b"E1", b"X1")
    assert changed != data and len(changed) == len(data)
    target = tmp_path / "rewritten.csv" if rename else employees
    target.write_bytes(changed)
    os.utime(target, ns=(stated.st_atime_ns, stated.st_mtime_ns))
    if rename:
        target.replace(employees)
    with pytest.raises(ErmError, match="employees.csv: the file changed after it was checked"):
        prepared.write(store)
    assert store.run("MATCH (n) WHERE NOT n:PendingLoad RETURN count(n)").rows == [[0]]
