"""Find loader modules by path and pick the one that reads a given file.

Loaders are plain modules in the repository's ``loaders/`` folder (next to the ``erm_graph``
package) and in any folder listed in ``ERM_LOADERS_PATH`` (``os.pathsep``-separated); a later
folder's module replaces a built-in one of the same format. Nothing imports them by name, so no
generic ``loaders`` package is installed. A loader module defines::

    FORMAT = "bpmn"                      # the name used by --format
    EXTENSIONS = (".bpmn",)              # lower-case endings it usually has
    DESCRIPTION = "BPMN 2.0 XML ..."
    PRIORITY = 50                        # optional: lower wins when several detect a file
    def detect(path, head, options) -> bool   # does this file (first 4 KB) look like ours?
    def load(source) -> None             # fill source.batch, source.rejects, source.notes
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path
from types import ModuleType

from erm_graph import settings
from erm_graph.ingest.source import LoadError, LoadOptions
from erm_graph.resources import shipped_dir

REQUIRED = ("FORMAT", "EXTENSIONS", "detect", "load")


def loader_dirs() -> list[Path]:
    """The folders searched for loader modules, built-ins first."""
    dirs = [shipped_dir("loaders")]
    extra = settings.get("loaders_path")
    dirs += [Path(p).expanduser() for p in extra.split(os.pathsep) if p.strip()]
    return dirs


@cache
def _import(path: Path) -> ModuleType:
    name = f"_erm_loader_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import loader module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [attr for attr in REQUIRED if not hasattr(module, attr)]
    if missing:
        raise LoadError(f"loader module {path} lacks {', '.join(missing)}: see docs/loaders.md")
    return module


def loaders() -> dict[str, ModuleType]:
    """Every loader by format name."""
    found: dict[str, ModuleType] = {}
    for folder in loader_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = _import(path.resolve())
            found[module.FORMAT] = module
    return found


def get(fmt: str) -> ModuleType:
    available = loaders()
    try:
        return available[fmt]
    except KeyError:
        raise LoadError(f"unknown format {fmt!r}: use auto or one of "
                        f"{', '.join(sorted(available))}") from None


def detect(path: Path, options: LoadOptions) -> ModuleType:
    """The loader for ``path``: by extension first, confirmed by content; then by content."""
    head = b""
    if path.is_file():
        with path.open("rb") as fh:
            head = fh.read(4096)
    elif not path.is_dir():
        raise LoadError(f"{path}: no such file or folder")
    candidates = sorted(loaders().values(), key=lambda m: getattr(m, "PRIORITY", 50))
    name = path.name.lower()
    by_extension = [m for m in candidates if any(name.endswith(e) for e in m.EXTENSIONS)]
    for module in [*by_extension, *[m for m in candidates if m not in by_extension]]:
        if module.detect(path, head, options):
            return module
    raise LoadError(f"{path}: cannot tell its format from its name or content: state it with "
                    f"--format ({', '.join(sorted(loaders()))})")
