"""The embedded data directory is private to its owner: 0700 folders, 0600 files.

The graph, its append-only file, the server's log (which quotes queries) and the security file
``users.db`` all live there; anyone else on the machine who could read them would hold the
whole library. The engine creates most of these files itself (the AOF, its rewrites, the log,
the pid file), so its process runs with :data:`CHILD_UMASK`; :func:`make_private` mends a
directory made before (or by hand) with looser modes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: the umask of the engine's process: every file it creates is 0600, every folder 0700
CHILD_UMASK = 0o077


def make_private(data_dir: Path) -> None:
    """Take group and other permissions off ``data_dir``, its files and its sub-folders (one
    level deep: the AOF folder), where this user owns them."""
    _restrict(data_dir)
    for entry in os.scandir(data_dir):
        _restrict(Path(entry.path))
        if entry.is_dir(follow_symlinks=False):
            for inner in os.scandir(entry.path):
                _restrict(Path(inner.path))


def _restrict(path: Path) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return  # removed meanwhile (a pid file of a server that stopped)
    if info.st_uid != os.geteuid() or stat.S_ISLNK(info.st_mode):
        return  # not ours to change; a link's target is not in the data directory
    if info.st_mode & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
