"""The built-in loaders, one module per source format (docs/loaders.md, "Writing a loader").

This folder stays at the repository root, where people find and edit it, and installs as
``erm_graph.loaders`` (``package-dir`` in pyproject.toml). ``erm_graph.ingest.registry`` imports
every module here whose name does not start with ``_``.
"""
