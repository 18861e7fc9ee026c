"""The backup file: one zip archive, written atomically and private, read as if hostile.

Layout::

    manifest.json        what the archive holds: versions, counts, a SHA-256 per member
    graph/...            the graph as ``erm export`` writes it (admin-import CSV and its
                         manifest of counts and property checksums per label and type)
    users.db             the users, token digests and audit trail (SQLite), when there is one

Writing goes to a temporary file beside the target, created with mode 0600 (the archive holds
password hashes and token digests, never a secret in clear), synced, then renamed over the
target: a reader never sees half a backup, and a crash leaves the previous one whole.

Reading trusts nothing in the file until it is checked, and checks what costs nothing first:
the archive's size, then its directory (member count, names against a fixed pattern, so
nothing outside the extraction folder can be named; no folders, links or duplicates; each
member's stated size, and their total against :func:`erm_graph.ingest.untrusted.limit`, the
project's cap on decompression) before any byte is decompressed. ``zipfile`` stops a member
at its stated size and checks its CRC, so a member cannot lie its way larger. Then every member
is extracted and hashed, and must match the manifest exactly: no member missing, none extra.
A hostile file is refused in the time it takes to read its directory, or at worst to read the
bytes the caps allow.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import limit

#: what the first member says the file is, and the layout version this code reads and writes
FORMAT, VERSION = "erm-backup", 1
MANIFEST = "manifest.json"
USERS_DB = "users.db"
GRAPH_DIR = "graph"
#: the library's model extension, when it has one (docs/model-extension.md)
MODEL_EXTENSION = "model-extension.yaml"
#: the members a backup may hold: the manifest, the security file, the model extension,
#: files of the graph folder
MEMBER = re.compile(r"manifest\.json|users\.db|model-extension\.yaml|"
                    r"graph/[A-Za-z0-9_][A-Za-z0-9_.-]{0,120}")
#: the largest backup read, and what it may decompress to at most
MAX_BYTES = 64 * 2**30
#: members in one backup (the graph folder holds one CSV per label and type, split at 1M rows)
MAX_MEMBERS = 2000
#: the manifest is read whole before anything is checked against it
MAX_MANIFEST = 2**20
_CHUNK = 2**20


class BackupFileError(ErmError):
    """A backup file that is not one, or that does not match its own manifest."""


@dataclass(frozen=True)
class Extracted:
    """A backup checked member by member and extracted into ``folder``."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def graph(self) -> Path:
        return self.folder / GRAPH_DIR

    @property
    def users_db(self) -> Path | None:
        path = self.folder / USERS_DB
        return path if path.exists() else None

    @property
    def model_extension(self) -> Path | None:
        path = self.folder / MODEL_EXTENSION
        return path if path.exists() else None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write(dest: Path, manifest: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Write every file under ``folder`` into the archive ``dest``, with ``manifest`` plus the
    size and SHA-256 of each member; returns the manifest as written."""
    members = sorted(p for p in folder.rglob("*") if p.is_file())
    files = {}
    for path in members:
        name = path.relative_to(folder).as_posix()
        if not MEMBER.fullmatch(name):
            raise BackupFileError(f"{name}: not a member a backup may hold")
        files[name] = {"size": path.stat().st_size, "sha256": sha256(path)}
    written = {"format": FORMAT, "version": VERSION, **manifest, "files": files}
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                archive.writestr(MANIFEST, json.dumps(written, indent=1))
                for path in members:
                    archive.write(path, path.relative_to(folder).as_posix())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return written


def extract(path: Path, folder: Path) -> Extracted:
    """Check the backup at ``path`` (see the module docstring) and extract it into the
    empty private ``folder``; raises :class:`BackupFileError` naming what is wrong."""
    if not path.is_file():
        raise BackupFileError(f"{path}: no such backup file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise BackupFileError(f"{path}: {size:,} bytes, over the {MAX_BYTES:,} a backup may be")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _checked_directory(path, archive, size)
            manifest = _manifest(path, archive)
            _check_names(path, manifest, infos)
            for info in infos:
                if info.filename != MANIFEST:
                    _extract_member(path, archive, info, folder, manifest["files"])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise BackupFileError(f"{path}: not a readable backup archive ({exc})") from None
    return Extracted(folder, manifest)


def _checked_directory(path: Path, archive: zipfile.ZipFile,
                       size: int) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BackupFileError(f"{path}: {len(infos):,} members, over the {MAX_MEMBERS:,} a "
                              "backup may hold")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if not MEMBER.fullmatch(name) or ".." in name:
            raise BackupFileError(f"{path}: member {name[:200]!r} is not one a backup holds "
                                  "(a path outside its folder, a folder or a foreign file)")
        if name in seen:
            raise BackupFileError(f"{path}: member {name!r} appears twice")
        seen.add(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BackupFileError(f"{path}: member {name!r} uses a compression a backup never "
                                  "uses")
        if (info.external_attr >> 16) & 0o170000 not in (0, 0o100000):
            raise BackupFileError(f"{path}: member {name!r} is not a regular file")
    most = limit(size, MAX_BYTES)
    total = sum(info.file_size for info in infos)
    if total > most:
        raise BackupFileError(f"{path}: expands to {total:,} bytes, over the {most:,} allowed "
                              "for its size: refused as a decompression bomb")
    if MANIFEST not in seen:
        raise BackupFileError(f"{path}: no {MANIFEST}: not a backup written by `erm backup`")
    return infos


def _manifest(path: Path, archive: zipfile.ZipFile) -> dict[str, Any]:
    info = archive.getinfo(MANIFEST)
    if info.file_size > MAX_MANIFEST:
        raise BackupFileError(f"{path}: its {MANIFEST} is {info.file_size:,} bytes, over the "
                              f"{MAX_MANIFEST:,} a manifest may be")
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupFileError(f"{path}: {MANIFEST} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupFileError(f"{path}: {MANIFEST} does not describe an erm-graph backup")
    if manifest.get("version") != VERSION:
        raise BackupFileError(f"{path}: backup layout version {manifest.get('version')!r}; "
                              f"this erm-graph reads version {VERSION}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str)
            and isinstance(v.get("size"), int) for v in files.values()):
        raise BackupFileError(f"{path}: {MANIFEST} lists no size and SHA-256 per member")
    return manifest


def _check_names(path: Path, manifest: dict[str, Any], infos: list[zipfile.ZipInfo]) -> None:
    held = {info.filename for info in infos} - {MANIFEST}
    listed = set(manifest["files"])
    if held != listed:
        missing, extra = sorted(listed - held), sorted(held - listed)
        raise BackupFileError(f"{path}: the members do not match the manifest (missing: "
                              f"{', '.join(missing[:5]) or 'none'}; not listed: "
                              f"{', '.join(extra[:5]) or 'none'})")


def _extract_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                    folder: Path, files: dict[str, Any]) -> None:
    """Copy one member out by a name built here (never the archive's own path), hashing it."""
    expected = files[info.filename]
    if info.file_size != expected["size"]:
        raise BackupFileError(f"{path}: member {info.filename!r} is {info.file_size:,} bytes, "
                              f"the manifest says {expected['size']:,}")
    parts = info.filename.split("/")
    target = folder.joinpath(*parts)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected["sha256"]:
        raise BackupFileError(f"{path}: member {info.filename!r} does not match its SHA-256 in "
                              "the manifest: the file is damaged or was changed")
