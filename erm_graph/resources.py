"""Where the folders that ship beside the code live: ``cypher/``, ``loaders/``, ``schemas/``.

They sit at the repository root so that people find and edit them there, and install as the
sub-packages ``erm_graph.cypher``, ``erm_graph.loaders`` and ``erm_graph.schemas`` (the
``package-dir`` mapping in pyproject.toml). Asking the import system for the package's folder
works the same in a checkout's editable install and in an installed wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SHIPPED = ("cypher", "loaders", "schemas")


def shipped_dir(name: str) -> Path:
    """The folder ``name`` (``cypher``, ``loaders`` or ``schemas``) as installed."""
    if name not in SHIPPED:
        raise ValueError(f"no shipped folder {name!r}: one of {', '.join(SHIPPED)}")
    return Path(str(files(f"erm_graph.{name}")))
