"""`erm backup` and `erm restore`: the whole library in one checked file, while it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from erm_graph.cli.core import rows_per_second_progress
from erm_graph.cli.interop import show_verification
from erm_graph.cli.root import command, console, describe, opened_store
from erm_graph.interop.backup import backup_library, restore_library


@command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="the backup file to write (replaced whole if it "
                                              "exists), e.g. /var/backups/erm/$(date +%F).erm")],
) -> None:
    """Write the whole library (graph, users, token digests and audit trail) to FILE while it
    keeps serving: one point in time, checked against the graph before FILE appears.

    FILE is a zip archive with a manifest (versions, counts, checksums, when, from where), mode
    0600: it holds password hashes and token digests (no secret in clear), so keep it private.
    The graph is copied inside the engine first (GRAPH.COPY), so loads and edits go on and none
    is half in the backup; on Neo4j only loads are held off (see docs/deployment.md).

    Examples:

      `erm backup /var/backups/erm/library.erm`

      `erm --db embedded:/srv/erm backup "/var/backups/erm/$(date +%F-%H%M).erm"`

    Schedule it with cron or a systemd timer: see "Backup and restore" in docs/deployment.md.
    Bring one back with `erm restore FILE` into an empty store.
    """
    with opened_store(ctx) as store, rows_per_second_progress() as bar:
        task = bar.add_task("backup", total=None)
        report = backup_library(store, file, progress=lambda n: bar.advance(task, n))
        where = describe(store)
    counts = report.manifest["graph"]["counts"]
    users = report.manifest["users"] or {}
    console.print(f"Backed up {where} to {file} ({file.stat().st_size:,} bytes): "
                  f"{counts['nodes']:,} nodes, {counts['relationships']:,} relationships, "
                  f"{users.get('users', 0):,} users, {users.get('audit', 0):,} audit events; "
                  "every count and checksum verified.")


@command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="a file written by `erm backup`")],
) -> None:
    """Bring the library in FILE back into an EMPTY store: the graph of --db and its users and
    audit file. Every checksum in FILE is verified before anything is written, and the restore
    is all or nothing; a store that holds data, users or audit events is refused.

    Example, on a new machine or a new data directory:

      `erm --db embedded:/srv/erm-new restore /var/backups/erm/library.erm`

    Stop the web server of the target first; start it when the restore has finished.
    Exit code 1 with the reason when FILE is damaged, foreign or the store is not empty.
    """
    with opened_store(ctx) as store, rows_per_second_progress() as bar:
        task = bar.add_task("restore", total=None)
        report = restore_library(store, file, progress=lambda n: bar.advance(task, n))
        where = describe(store)
    console.print(f"Restored {file} (taken {report.manifest.get('created_at')} from "
                  f"{report.manifest.get('source')}) into {where}; "
                  f"{report.users.get('users', 0):,} users, "
                  f"{report.users.get('audit', 0):,} audit events.")
    show_verification(report.verification, None)
