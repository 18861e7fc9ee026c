"""The built-in loaders, one module (or sub-package) per source format (docs/loaders.md,
"Writing a loader").

This folder stays at the repository root, where people find and edit it, and installs as
``erm_graph.loaders`` (``package-dir`` in pyproject.toml). ``erm_graph.ingest.registry`` imports
every module and sub-package here whose name does not start with ``_`` and takes its ``LOADER``,
an object that follows :class:`erm_graph.ingest.contract.Loader`. Modules here import one
another relatively (``from ._records import ...``), so they work under both names: as
``erm_graph.loaders`` once installed and as ``loaders`` for the type checker.
"""
