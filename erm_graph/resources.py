"""Where the folders that ship beside the code live: ``cypher/``, ``loaders/``, ``schemas/``.

They sit at the repository root so that people find and edit them there, and they are found
by path (a loader is a file, not an importable ``loaders`` package in site-packages).
``erm_graph/shipped/`` holds links to them, which the wheel build turns into copies, so this
one lookup works in a checkout, an editable install and an installed wheel alike.
"""

from __future__ import annotations

from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "shipped"


def shipped_dir(name: str) -> Path:
    """The folder ``name`` (``cypher``, ``loaders`` or ``schemas``) as shipped."""
    return (SHIPPED / name).resolve()
