"""Find the loaders and pick the one that reads a given file.

Loaders come from three places, each a module that defines the same few names:

- **built-in**: every module of the ``erm_graph.loaders`` package (the repository's top-level
  ``loaders/`` folder, installed as that sub-package), imported by name;
- **installed with pip**: a distribution that declares an entry point in the group
  ``erm_graph.loaders`` (:data:`ENTRY_POINT_GROUP`) naming its loader module;
- **a plugin folder**: every ``*.py`` file in the folders of ``ERM_LOADERS_PATH``
  (``os.pathsep``-separated), imported from its path; nothing needs installing.

Module names starting with ``_`` are skipped. Each ``FORMAT`` names one loader: a plugin whose
format is already taken (by a built-in or another plugin) is refused with a :class:`LoadError`
naming both, because a silent replacement would change how files already known are read.
A loader module defines::

    FORMAT = "bpmn"                      # the name used by --format
    EXTENSIONS = (".bpmn",)              # lower-case endings it usually has
    DESCRIPTION = "BPMN 2.0 XML ..."
    PRIORITY = 50                        # optional: lower wins when several detect a file
    def detect(path, head, options) -> bool   # does this file (first 4 KB) look like ours?
    def load(source) -> None             # fill source.batch, source.rejects, source.notes
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from collections.abc import Iterator
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from erm_graph import settings
from erm_graph.ingest.source import LoadError, LoadOptions

REQUIRED = ("FORMAT", "EXTENSIONS", "detect", "load")
#: the entry-point group a pip-installed loader declares (docs/loaders.md)
ENTRY_POINT_GROUP = "erm_graph.loaders"
BUILTIN_PACKAGE = "erm_graph.loaders"


def plugin_dirs() -> list[Path]:
    """The folders of ``ERM_LOADERS_PATH``, searched for single-file loader modules."""
    extra = settings.get("loaders_path")
    return [Path(p).expanduser() for p in extra.split(os.pathsep) if p.strip()]


def _checked(module: object, origin: str) -> ModuleType:
    missing = [attr for attr in REQUIRED if not hasattr(module, attr)]
    if missing:
        raise LoadError(f"loader {origin} lacks {', '.join(missing)}: see docs/loaders.md")
    return module  # type: ignore[return-value]


def _builtins() -> Iterator[tuple[ModuleType, str]]:
    package = importlib.import_module(BUILTIN_PACKAGE)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        name = f"{BUILTIN_PACKAGE}.{info.name}"
        yield _checked(importlib.import_module(name), f"built-in {name}"), f"built-in {name}"


def _installed() -> Iterator[tuple[ModuleType, str]]:
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        origin = f"entry point {ep.name} = {ep.value} (distribution {dist})"
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin is named, not a traceback
            raise LoadError(f"cannot import loader {origin}: {exc}") from exc
        yield _checked(module, origin), origin


@cache
def _import_file(path: Path) -> ModuleType:
    name = f"_erm_loader_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import loader module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _checked(module, f"file {path}")


def _files() -> Iterator[tuple[ModuleType, str]]:
    for folder in plugin_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                yield _import_file(path.resolve()), f"file {path.resolve()}"


def loaders() -> dict[str, ModuleType]:
    """Every loader by format name: built-ins, then pip-installed, then plugin folders."""
    found: dict[str, ModuleType] = {}
    origins: dict[str, str] = {}
    for source in (_builtins(), _installed(), _files()):
        for module, origin in source:
            fmt = module.FORMAT
            if fmt in found and found[fmt] is not module:
                raise LoadError(f"loader {origin} declares format {fmt!r}, which {origins[fmt]} "
                                f"already reads: give it another FORMAT (a plugin cannot "
                                f"replace a loader)")
            found[fmt], origins[fmt] = module, origin
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
    available = loaders()
    candidates = sorted(available.values(), key=lambda m: getattr(m, "PRIORITY", 50))
    name = path.name.lower()
    by_extension = [m for m in candidates if any(name.endswith(e) for e in m.EXTENSIONS)]
    for module in [*by_extension, *[m for m in candidates if m not in by_extension]]:
        if module.detect(path, head, options):
            return module
    raise LoadError(f"{path}: cannot tell its format from its name or content: state it with "
                    f"--format ({', '.join(sorted(available))})")
