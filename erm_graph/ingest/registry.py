"""Find the loaders and pick the one that reads a given file.

Loaders come from three places, each a module that names one loader object:

- **built-in**: every module and sub-package of the ``erm_graph.loaders`` package (the
  repository's top-level ``loaders/`` folder, installed as that sub-package), imported by name;
- **installed with pip**: a distribution that declares an entry point in the group
  ``erm_graph.loaders`` (:data:`ENTRY_POINT_GROUP`) naming its loader module;
- **a plugin folder**: every ``*.py`` file in the folders of ``ERM_LOADERS_PATH``
  (``os.pathsep``-separated), imported from its path; nothing needs installing.

Module names starting with ``_`` are skipped. A module (or a package's ``__init__``) names its
loader ``LOADER``: an object that follows :class:`~erm_graph.ingest.contract.Loader` (format,
extensions, description, priority, ``detect()``, ``read(source, ctx) -> LoaderResult``). An
entry point may name the module or the object itself (``my_package.my_loader:LOADER``). A
module written for the old contract (``FORMAT`` and a ``load(source)`` that filled a mutable
``Source``) is refused with a :class:`LoadError` that says how to port it.

Each ``format`` names one loader: a plugin whose format is already taken (by a built-in or
another plugin) is refused with a :class:`LoadError` naming both, because a silent
replacement would change how files already known are read.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import cast

from erm_graph.ingest.contract import Loader, LoadOptions
from erm_graph.ingest.untrusted import LoadError
from erm_graph.settings import current

#: what a loader object has (:class:`~erm_graph.ingest.contract.Loader`)
REQUIRED = ("format", "extensions", "description", "priority", "detect", "read")
#: the entry-point group a pip-installed loader declares (docs/loaders.md)
ENTRY_POINT_GROUP = "erm_graph.loaders"
BUILTIN_PACKAGE = "erm_graph.loaders"


def plugin_dirs() -> list[Path]:
    """The folders of ``ERM_LOADERS_PATH``, searched for single-file loader modules."""
    return list(current().loaders_path)


def _checked(found: object, origin: str) -> Loader:
    """The loader ``found`` is or names (a module's ``LOADER``), checked for the contract."""
    loader = getattr(found, "LOADER", None) if isinstance(found, ModuleType) else found
    if loader is None:
        if hasattr(found, "load") or hasattr(found, "FORMAT"):
            raise LoadError(f"loader {origin} follows the old contract (FORMAT and load(source) "
                            "filling a Source): define a class with format, extensions, "
                            "description, priority, detect() and read(source, ctx) returning "
                            "a LoaderResult, and name an instance LOADER; see docs/loaders.md, "
                            "Writing a loader")
        raise LoadError(f"loader {origin} defines no LOADER: see docs/loaders.md, Writing a "
                        "loader")
    missing = [attr for attr in REQUIRED if not hasattr(loader, attr)]
    if missing:
        raise LoadError(f"loader {origin} lacks {', '.join(missing)}: see docs/loaders.md")
    return cast(Loader, loader)  # its attributes are checked just above


def _builtins() -> Iterator[tuple[Loader, str]]:
    package = importlib.import_module(BUILTIN_PACKAGE)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        name = f"{BUILTIN_PACKAGE}.{info.name}"
        yield _checked(importlib.import_module(name), f"built-in {name}"), f"built-in {name}"


def _installed() -> Iterator[tuple[Loader, str]]:
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        origin = f"entry point {ep.name} = {ep.value} (distribution {dist})"
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin is named, not a traceback
            raise LoadError(f"cannot import loader {origin}: {exc}") from exc
        yield _checked(module, origin), origin


@cache
def _import_file(path: Path) -> Loader:
    name = f"_erm_loader_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import loader module {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _checked(module, f"file {path}")


def _files() -> Iterator[tuple[Loader, str]]:
    for folder in plugin_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                yield _import_file(path.resolve()), f"file {path.resolve()}"


def loaders() -> dict[str, Loader]:
    """Every loader by format name: built-ins, then pip-installed, then plugin folders."""
    found: dict[str, Loader] = {}
    origins: dict[str, str] = {}
    for source in (_builtins(), _installed(), _files()):
        for loader, origin in source:
            fmt = loader.format
            if fmt in found and found[fmt] is not loader:
                raise LoadError(f"loader {origin} declares format {fmt!r}, which {origins[fmt]} "
                                f"already reads: give it another format (a plugin cannot "
                                f"replace a loader)")
            found[fmt], origins[fmt] = loader, origin
    return found


def get(fmt: str, available: Mapping[str, Loader] | None = None) -> Loader:
    """The loader of ``fmt``, from ``available`` (:func:`loaders`, found again if not given)."""
    available = loaders() if available is None else available
    try:
        return available[fmt]
    except KeyError:
        raise LoadError(f"unknown format {fmt!r}: use auto or one of "
                        f"{', '.join(sorted(available))}") from None


def detect(path: Path, options: LoadOptions,
           available: Mapping[str, Loader] | None = None) -> Loader:
    """The loader for ``path``: by extension first, confirmed by content; then by content.
    A load that detects many files passes ``available`` (:func:`loaders`), found once: finding
    them scans the built-in package, every installed distribution and the plugin folders."""
    head = b""
    if path.is_file():
        with path.open("rb") as fh:
            head = fh.read(4096)
    elif not path.is_dir():
        raise LoadError(f"{path}: no such file or folder")
    available = loaders() if available is None else available
    candidates = sorted(available.values(), key=lambda loader: loader.priority)
    name = path.name.lower()
    by_extension = [m for m in candidates if any(name.endswith(e) for e in m.extensions)]
    for loader in [*by_extension, *[m for m in candidates if m not in by_extension]]:
        if loader.detect(path, head, options):
            return loader
    raise LoadError(f"{path}: cannot tell its format from its name or content: state it with "
                    f"--format ({', '.join(sorted(available))})")
