"""Download a backup of the whole library (admins): the file `erm backup` writes."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from erm_graph.interop.backup import backup_library

router = APIRouter()


@router.get("/api/backup", tags=["account"], response_class=FileResponse,
            summary="A backup of the whole library: graph, users and audit trail (admins)")
def download_backup(request: Request) -> FileResponse:
    """The graph as of one moment with the users, token digests and audit trail, checked like
    `erm backup`; recorded in the audit trail as the admin's. It holds password hashes: the
    response is never cached."""
    folder = Path(tempfile.mkdtemp(prefix="erm-backup-"))  # private to this process's user
    name = f"erm-backup-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.erm"
    try:
        backup_library(request.app.state.store, folder / name,
                       users_db=request.app.state.auth.path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(folder / name, media_type="application/zip", filename=name,
                        headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
