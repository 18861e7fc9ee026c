"""The `erm` command line. Each module registers its commands on the one Typer `app`."""

from erm_graph.cli import (
    core,  # noqa: F401  (registers commands)
    interop,  # noqa: F401  (registers export, import and copy)
    load,  # noqa: F401  (registers commands)
    query,  # noqa: F401  (registers commands)
    users,  # noqa: F401  (registers users and audit)
    web,  # noqa: F401  (registers serve and viz)
)
from erm_graph.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
