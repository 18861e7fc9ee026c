"""Ingest: sources become `GraphBatch` objects, checked whole, then written by `write_batch`.

:func:`load` is the one entry point for files (``erm load``); loaders live in ``loaders/``.
"""

from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.load import Prepared, load, prepare
from erm_graph.ingest.source import LoadError, LoadOptions, Source
from erm_graph.ingest.writer import LoadReport, write_batch

__all__ = ["GraphBatch", "LoadError", "LoadOptions", "LoadReport", "Prepared", "Source", "load",
           "prepare", "write_batch"]
