"""The `erm` command line. Each module registers its commands on the one Typer `app`."""

from erm_graph.cli import (
    actions,  # noqa: F401  (registers log, case and opportunity)
    agenda,  # noqa: F401  (registers task, appointment and calendar)
    backup,  # noqa: F401  (registers backup and restore)
    core,  # noqa: F401  (registers commands)
    edit,  # noqa: F401  (registers add, set, link, unlink and remove)
    interop,  # noqa: F401  (registers export, import and copy)
    load,  # noqa: F401  (registers commands)
    maps,  # noqa: F401  (registers map history and restore)
    merge,  # noqa: F401  (registers merge suggest, apply, list and undo)
    model,  # noqa: F401  (registers model show, check and extend)
    owner,  # noqa: F401  (registers owner set, clear and check)
    query,  # noqa: F401  (registers commands)
    sales,  # noqa: F401  (registers sales pipeline, quota, commissions, campaigns)
    service,  # noqa: F401  (registers article and case suggest, dispatch, targets)
    sharing,  # noqa: F401  (registers share, unshare and shares list)
    strategy,  # noqa: F401  (registers assess)
    users,  # noqa: F401  (registers users and audit)
    views,  # noqa: F401  (registers view list, save and delete)
    watch,  # noqa: F401  (registers watch run, list and inbox)
    web,  # noqa: F401  (registers serve and viz)
)
from erm_graph.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
