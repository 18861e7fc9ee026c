"""Back up a running library (graph, users and audit) and restore it into an empty store.

A backup is one file (:mod:`erm_graph.interop.backup_file`): the graph as ``erm export``
writes it, with its counts and property checksums (:mod:`erm_graph.interop.checksum`), the
security file, and a manifest with a SHA-256 per member.

**One point in time while the library serves.** Readers and writers go on during a backup:

- embedded and ``falkordb://``: the export reads a copy of the graph made by ``GRAPH.COPY``
  (:meth:`~erm_graph.store.falkordb_store.FalkorDBStore.frozen_copy`), which the engine takes
  in a forked child, so it holds every write committed before the copy and none after. Holding
  the load lock instead was measured and rejected (docs/scaling.md): an export reads far longer
  than a copy takes, loads would queue that long, and the lock does not stop web edits or
  ``erm cypher --write`` (see :mod:`erm_graph.store.load_lock`), so the export could still mix
  two moments. The copy serves writes while it is made; it costs the graph's memory again
  for as long as the export reads. The load lock is held only
  while the copy is made (loads wait those seconds): a copy begun while the engine rewrites its
  AOF froze FalkorDB 4.16 for good, and under the lock no load begins a rewrite.
- Neo4j: no copy command. The export holds the load lock (no load runs meanwhile) and each page
  is one read transaction; Neo4j reads at read-committed isolation, so an edit that lands while
  the export reads may be in it or not, page by page, and a relationship may miss an end that
  was deleted meanwhile (then the backup refuses to verify and says so). For a point in time
  on Neo4j, pause writes, or use ``neo4j-admin database dump`` / Enterprise online backup.
- the security file: SQLite's online backup API, one committed state, taken right after the
  graph's copy (:func:`erm_graph.auth.db.snapshot`).

**Verified both ways.** The export reads its files back and compares counts and checksums with
the store. A restore checks the whole file before it writes anything: every member's SHA-256,
the graph files' counts and checksums against the manifest, the security file's integrity and
row counts. It then writes into an empty store only (an empty graph, and a security file that
is absent or holds no users, tokens or audit events), and all or nothing: a failed write is
undone by emptying the graph, and the restored security file is renamed into place only after
the graph is written and verified.

**Audited.** A backup is recorded as one ``backup`` event in the live security file after the
snapshot; a restore is announced as a ``restore`` write (:mod:`erm_graph.events`), recorded
in the restored security file before it is renamed into place, so the library comes back with
its history and the record of its restore. :func:`_audit` and :func:`_audit_write` are the
only places this module talks to the audit trail.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from erm_graph import model
from erm_graph.auth import audit
from erm_graph.auth.db import connect, row_counts, snapshot, users_db_path
from erm_graph.errors import ErmError
from erm_graph.events import Report, WriteKind, writing
from erm_graph.interop import backup_file
from erm_graph.interop.checksum import Tally, Verification, compare
from erm_graph.interop.csv_import import ImportFiles
from erm_graph.interop.transfer import export_graph, require_empty, write_verified
from erm_graph.model.effective import write_kept
from erm_graph.store import GraphStore, redact

Progress = Callable[[int], None] | None
#: the suffix of the security file a restore writes until the graph is in (:func:`restore_library`)
RESTORING = ".restoring"


@dataclass(frozen=True)
class BackupReport:
    """What :func:`backup_library` wrote: the file, its manifest, and the export's verification."""

    path: Path
    manifest: dict[str, Any]
    verification: Verification


@dataclass(frozen=True)
class RestoreReport:
    """What :func:`restore_library` wrote, and the store checked against the backup's manifest."""

    path: Path
    manifest: dict[str, Any]
    verification: Verification
    users: dict[str, int] = field(default_factory=dict)


def backup_library(store: GraphStore, dest: str | Path, *, users_db: Path | None = None,
                   progress: Progress = None) -> BackupReport:
    """Write a consistent snapshot of ``store`` and its security file (by default the one
    :func:`~erm_graph.auth.db.users_db_path` names) to the file ``dest``."""
    dest = Path(dest)
    if dest.is_dir():
        raise ErmError(f"{dest} is a folder: name the backup file, e.g. {dest}/library.erm")
    if not dest.parent.is_dir():
        raise ErmError(f"{dest.parent}: no such folder to write the backup in")
    users_path = users_db or users_db_path(store)
    with tempfile.TemporaryDirectory(prefix="erm-backup-") as tmp:
        folder = Path(tmp) / "archive"
        folder.mkdir(mode=0o700)
        with point_in_time(store) as frozen:
            created = datetime.now(UTC).isoformat(timespec="seconds")
            users = (snapshot(users_path, folder / backup_file.USERS_DB)
                     if users_path.exists() else None)
            verification = export_graph(frozen, folder / backup_file.GRAPH_DIR,
                                        progress=progress)
        extension = model.current().extension  # the graph's words go with it
        if extension is not None:
            (folder / backup_file.MODEL_EXTENSION).write_text(extension.text, encoding="utf-8")
        if not verification.ok:
            raise ErmError("the graph's export does not match the graph, nothing written: "
                           + _first_difference(verification))
        manifest = backup_file.write(dest, {
            "created_at": created, "erm_graph": version("erm-graph"),
            "engine": store.engine, "source": redact(store.location),
            "model": {"labels": list(model.LABELS), "types": list(model.RELATIONSHIPS)},
            "graph": {"counts": _counts(verification), "tally": _tally(verification)},
            "users": users}, folder)
    _audit(users_path, "backup", str(dest), {"size": dest.stat().st_size,
                                             "nodes": manifest["graph"]["counts"]["nodes"],
                                             "relationships":
                                                 manifest["graph"]["counts"]["relationships"]})
    return BackupReport(dest, manifest, verification)


def point_in_time(store: GraphStore) -> AbstractContextManager[GraphStore]:
    """A reader of ``store`` as of one moment (see the module docstring per engine)."""
    frozen_copy = getattr(store, "frozen_copy", None)
    if frozen_copy is not None:
        return frozen_copy()  # type: ignore[no-any-return]
    return _under_load_lock(store)


@contextmanager
def _under_load_lock(store: GraphStore) -> Iterator[GraphStore]:
    with store.load_lock():
        yield store


def restore_library(store: GraphStore, path: str | Path, *, users_db: Path | None = None,
                    progress: Progress = None) -> RestoreReport:
    """Bring the backup at ``path`` back into the empty ``store`` and its security file."""
    path = Path(path)
    users_path = users_db or users_db_path(store)
    with tempfile.TemporaryDirectory(prefix="erm-restore-") as tmp, ExitStack() as in_force:
        # 1. everything checked before anything is written
        extracted = backup_file.extract(path, Path(tmp))
        manifest = extracted.manifest
        vocabulary = in_force.enter_context(model.using(_backed_up_vocabulary(path, extracted)))
        # the graph files in two passes, none held (docs/loaders.md): this one checks them
        graph = ImportFiles(extracted.graph, again="restore the backup again",
                            partly_written="; the graph was emptied again")
        try:
            files = graph.check()
        except ErmError as exc:
            raise backup_file.BackupFileError(_named(exc, graph, path)) from None
        expected, counts = _manifest_graph(path, manifest)
        checked = compare(expected, files, "the backup's manifest", "its graph files")
        if not checked.ok:
            raise ErmError(f"{path}: the graph files do not match the manifest's counts and "
                           f"checksums, nothing written: {_first_difference(checked)}")
        users = _check_users_db(path, extracted.users_db, manifest.get("users"))
        # 2. into an empty store only
        require_empty(store, "a restore needs an empty store (a new data directory)")
        _require_empty_security_file(users_path)
        staging = users_path.with_name(users_path.name + RESTORING)
        if staging.exists():
            raise ErmError(f"{staging} is left from a restore that was interrupted: empty the "
                           "graph (`erm reset --yes`), delete that file and restore again")
        # 3. the graph, then the security file renamed into place: all or nothing
        users_path.parent.mkdir(parents=True, exist_ok=True)
        _install(extracted.users_db, staging)
        try:
            with _audit_write(store, staging, str(path),
                              {"created_at": manifest.get("created_at"),
                               "source": manifest.get("source")}) as done:
                # an embedded library keeps its model extension with its data (a server's
                # names it with ERM_MODEL_EXTENSION: nothing of this machine to write)
                kept = vocabulary.extension if store.engine == "embedded" else None
                verification = _write_graph(store, path, graph, expected, progress, kept)
                done.detail.update(counts)
            _replace_security_file(staging, users_path)
        except BaseException:
            _remove_sqlite(staging)
            raise
    return RestoreReport(path, manifest, verification, users)


def _backed_up_vocabulary(path: Path, extracted: backup_file.Extracted) -> model.Vocabulary:
    """The vocabulary the backed-up graph was written in: the built-in one, with the model
    extension the backup holds (checked like any other)."""
    if extracted.model_extension is None:
        return model.built_in()
    try:
        return model.extended(model.read_extension(extracted.model_extension))
    except ErmError as exc:
        raise backup_file.BackupFileError(str(exc).replace(
            str(extracted.model_extension), f"{path} ({backup_file.MODEL_EXTENSION})")) from None


def _write_graph(store: GraphStore, path: Path, graph: ImportFiles, expected: Tally,
                 progress: Progress, extension: model.Extension | None) -> Verification:
    """Write the checked graph files (read again as they are written) and verify the graph,
    then keep ``extension`` with its data; on any failure empty it again (it was empty
    before)."""
    try:
        try:
            verification = write_verified(store, graph.write, expected, f"backup {path.name}",
                                          progress)
        except ErmError as exc:
            if str(graph.path) not in str(exc):
                raise
            # a file changed after the check pass, or while it is read
            raise ErmError(_named(exc, graph, path)) from None
        if not verification.ok:
            raise ErmError(f"the restored graph does not match the backup: "
                           f"{_first_difference(verification)}; the graph was emptied again")
        if extension is not None:
            write_kept(Path(store.location), extension)
    except BaseException:
        store.clear()
        raise
    return verification


def _named(exc: ErmError, graph: ImportFiles, path: Path) -> str:
    """``exc``'s message with the graph files named by the backup file, not by the temporary
    folder they were extracted to."""
    return str(exc).replace(str(graph.path), f"{path} (graph)")


def _manifest_graph(path: Path, manifest: dict[str, Any]) -> tuple[Tally, dict[str, int]]:
    """The counts and checksums per label and type the manifest gives, and its totals."""
    try:
        graph = manifest["graph"]
        counts = {k: int(graph["counts"][k]) for k in ("nodes", "relationships")}
        return Tally.from_dict(graph["tally"]), counts
    except (KeyError, TypeError, ValueError, AttributeError):
        raise backup_file.BackupFileError(f"{path}: the manifest has no counts and checksums "
                                          "of the graph") from None


def _check_users_db(path: Path, db: Path | None, expected: Any) -> dict[str, int]:
    """The backed-up security file is a sound SQLite file with the rows the manifest counts."""
    if db is None:
        if expected is not None:
            raise backup_file.BackupFileError(f"{path}: the manifest counts users but the "
                                              "backup holds no users.db")
        return {}
    try:
        conn = sqlite3.connect(f"file:{quote(str(db))}?mode=ro", uri=True)
        try:
            sound = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            counts = row_counts(conn) if sound else {}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise backup_file.BackupFileError(f"{path}: its users.db is not a usable users and "
                                          f"audit file: {exc}") from None
    if not sound:
        raise backup_file.BackupFileError(f"{path}: its users.db fails SQLite's integrity check")
    if counts != expected:
        raise backup_file.BackupFileError(f"{path}: its users.db holds {counts}, the manifest "
                                          f"says {expected}")
    return counts


def _require_empty_security_file(users_path: Path) -> None:
    """A security file that holds users, tokens or audit events would be lost: refuse it."""
    if not users_path.exists():
        return
    conn = connect(users_path, create=False)
    try:
        counts = row_counts(conn)
    finally:
        conn.close()
    held = {table: n for table, n in counts.items() if n}
    if held:
        what = ", ".join(f"{n:,} {table} row(s)" for table, n in held.items())
        raise ErmError(f"the users and audit file {users_path} is not empty ({what}): a "
                       "restore brings back a whole library into an empty store; restore into "
                       "a new data directory, or set ERM_USERS_DB to a new file")


def _install(db: Path | None, staging: Path) -> None:
    """The backup's security file (or a new one) at ``staging``, private to its owner."""
    if db is None:
        connect(staging).close()
        return
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, db.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())


def _replace_security_file(staging: Path, users_path: Path) -> None:
    """Rename the restored file over an empty (or absent) one, dropping that one's journal:
    SQLite would otherwise apply an old WAL to the new file."""
    for suffix in ("-wal", "-shm"):
        Path(f"{users_path}{suffix}").unlink(missing_ok=True)
    os.replace(staging, users_path)


def _remove_sqlite(path: Path) -> None:
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        Path(name).unlink(missing_ok=True)


def _audit(users_path: Path, action: str, target: str, detail: dict[str, Any]) -> None:
    """Record a finished read of the whole library (a backup) as the current actor."""
    conn = connect(users_path)
    try:
        audit.record(conn, None, action, target, detail=detail)
    finally:
        conn.close()


@contextmanager
def _audit_write(store: GraphStore, users_path: Path, target: str,
                 detail: dict[str, Any]) -> Iterator[Report]:
    """Announce the restore as a write, recorded in the security file at ``users_path`` (the
    restored one, before it is renamed into place)."""
    with audit.recording_to(users_path), \
            writing(WriteKind.RESTORE, target, store, detail=detail) as report:
        yield report


def _counts(verification: Verification) -> dict[str, int]:
    nodes = sum(r.source_count for r in verification.rows if r.name in model.KEY_LABELS)
    rels = sum(r.source_count for r in verification.rows if r.kind == "type")
    return {"nodes": nodes, "relationships": rels}


def _tally(verification: Verification) -> dict[str, dict[str, Any]]:
    return {row.name: {"count": row.source_count, "checksum": row.source_checksum}
            for row in verification.rows}


def _first_difference(verification: Verification) -> str:
    if verification.problems:
        return verification.problems[0]
    row = verification.mismatches[0]
    return (f"{row.name}: {row.source_count:,} in {verification.source}, "
            f"{row.target_count:,} in {verification.target}")


__all__ = ["BackupReport", "RestoreReport", "backup_library", "point_in_time",
           "restore_library"]
