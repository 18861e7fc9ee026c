"""`erm restore` reads the backup's graph files in two passes on the real engine (docs/loaders.md,
"How `erm import` reads admin-import CSV"): the check pass's tally is compared with the
manifest before anything is written, the write pass reads the files again as it writes; a
file changed between the passes or while it is written leaves the store empty."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

from erm_graph.errors import ErmError
from erm_graph.interop import csv_import, import_graph
from erm_graph.interop.backup import backup_library, restore_library
from erm_graph.store import open_store

#: nodes, and relationships: the node file is more than one block of the reader
COUNT = 30_000


@pytest.fixture(scope="module")
def large_backup(tmp_path_factory) -> Path:
    """A backup of ``COUNT`` Customers, each with a rank, and ``COUNT`` relationships."""
    root = tmp_path_factory.mktemp("large-backup")
    folder = root / "export"
    folder.mkdir()
    (folder / "nodes_Party.csv").write_text(
        "uid:ID(Party),:LABEL,name,rank:long\n"
        + "".join(f"p{i},Party;Customer,Name {i},{i}\n" for i in range(COUNT)), encoding="utf-8")
    (folder / "rels_RELATES_TO_Party_Party.csv").write_text(
        ":START_ID(Party),:END_ID(Party),:TYPE,kind\n"
        + "".join(f"p{i},p{(i * 7) % COUNT},RELATES_TO,supplies\n" for i in range(COUNT)),
        encoding="utf-8")
    source = open_store(f"embedded:{root / 'db'}")
    try:
        assert import_graph(source, folder).ok
        archive = root / "library.erm"
        assert backup_library(source, archive, users_db=root / "users.db").verification.ok
    finally:
        source.close()
    return archive


def _empty(store, users_db: Path) -> bool:
    labels, types = store.counts()
    return (not sum(labels.values()) and not sum(types.values()) and not users_db.exists()
            and not Path(f"{users_db}.restoring").exists())


def _node_member(archive: Path) -> str:
    with zipfile.ZipFile(archive) as z:
        return next(n for n in z.namelist() if n.startswith("graph/nodes_Party"))


def _node_file(files: csv_import.ImportFiles) -> Path:
    return next(f for f in files.stated if f.name.startswith("nodes_Party"))


def test_a_large_backup_is_restored_whole_and_checked(large_backup, store, tmp_path):
    users_db = tmp_path / "users.db"
    restored = restore_library(store, large_backup, users_db=users_db)
    assert restored.verification.ok, (restored.verification.mismatches,
                                      restored.verification.problems)
    assert store.run("MATCH (c:Customer) RETURN count(c), sum(c.rank)").rows == [
        [COUNT, COUNT * (COUNT - 1) // 2]]
    assert store.run("MATCH (:Party {uid: 'p3'})-[r:RELATES_TO]->(b) RETURN b.uid, r.kind"
                     ).rows == [["p21", "supplies"]]
    assert store.run("MATCH ()-[r:RELATES_TO]->() RETURN count(r)").rows == [[COUNT]]
    assert users_db.exists() and not Path(f"{users_db}.restoring").exists()


def test_graph_files_that_differ_from_the_manifest_are_never_read_a_second_time(
        large_backup, store, tmp_path, monkeypatch):
    """A property changed in a graph file, every member's SHA-256 true: refused on the check
    pass's tally, the write pass never begun, nothing written."""
    with zipfile.ZipFile(large_backup) as z:
        members = {n: z.read(n) for n in z.namelist()}
    member = _node_member(large_backup)
    assert members[member].count(b"Name 12345,") == 1
    members[member] = members[member].replace(b"Name 12345,", b"Name 12346,")
    manifest = json.loads(members.pop("manifest.json"))
    manifest["files"] = {n: {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                         for n, b in members.items()}
    changed = tmp_path / "changed.erm"
    with zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            z.writestr(name, data)
    writes = []
    write = csv_import.ImportFiles.write

    def counted_write(files, writer):
        writes.append(files)
        write(files, writer)

    monkeypatch.setattr(csv_import.ImportFiles, "write", counted_write)
    users_db = tmp_path / "users.db"
    with pytest.raises(ErmError, match="the graph files do not match the manifest's counts and "
                                       "checksums, nothing written: Party"):
        restore_library(store, changed, users_db=users_db)
    assert not writes and _empty(store, users_db)
    assert restore_library(store, large_backup, users_db=users_db).verification.ok
    assert len(writes) == 1, "the write pass is the one the restore uses"


def test_a_graph_file_changed_between_the_passes_is_refused_with_nothing_written(
        large_backup, store, tmp_path, monkeypatch):
    checked = csv_import.ImportFiles.check

    def check_then_change(files):
        tally = checked(files)
        with _node_file(files).open("a", encoding="utf-8") as out:
            out.write(f"p{COUNT},Party;Customer,Name,0\n")
        return tally

    monkeypatch.setattr(csv_import.ImportFiles, "check", check_then_change)
    users_db = tmp_path / "users.db"
    with pytest.raises(ErmError, match=re.escape(f"{large_backup} (graph)/nodes_Party") +
                       r"[^:]*: the file changed after it was checked, nothing written: "
                       r"restore the backup again$"):
        restore_library(store, large_backup, users_db=users_db)
    assert _empty(store, users_db)


def test_a_graph_file_changed_while_it_is_written_leaves_the_store_empty(
        large_backup, store, tmp_path, monkeypatch):
    """The write pass reads the files again as it writes: a file changed meanwhile stops it,
    and the graph, part written, is emptied again."""
    seen: list[csv_import.ImportFiles] = []
    checked = csv_import.ImportFiles.check

    def check_and_keep(files):
        seen.append(files)
        return checked(files)

    written = []

    def change_at_first_write(n: int) -> None:
        if not written:
            with _node_file(seen[0]).open("a", encoding="utf-8") as out:
                out.write(f"p{COUNT},Party;Customer,Name,0\n")
        written.append(n)

    monkeypatch.setattr(csv_import.ImportFiles, "check", check_and_keep)
    users_db = tmp_path / "users.db"
    with pytest.raises(ErmError, match=re.escape(f"{large_backup} (graph)/nodes_Party") +
                       r"[^:]*: the file changed while it was read.*; the graph was emptied "
                       r"again$"):
        restore_library(store, large_backup, users_db=users_db, progress=change_at_first_write)
    assert written and _empty(store, users_db)
