"""The names a package exports, imported on first use (PEP 562).

A command is a fresh process: a package that imported every module behind its exports made
each command pay for modules it never uses (docs/scaling.md, "Start-up"). Such a package
keeps its exports in a table, imports them under ``TYPE_CHECKING`` for the type checker, and
answers its module ``__getattr__`` with :func:`attribute`. A name that is also a submodule's
is left out of the table: once the submodule is imported, the package's attribute is the
module, and the export would change with what happened to be imported before.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any


def attribute(package: str, exports: Mapping[str, str], name: str) -> Any:
    """``name`` of ``package``, from the module ``exports`` gives for it."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
