"""Ingest: sources become `GraphBatch` objects, checked whole, then written by `write_batch`.

:func:`load` is the one entry point for files (``erm load``); loaders live in ``loaders/`` and
follow the contract of :mod:`erm_graph.ingest.contract`.
"""

from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.contract import LoadContext, Loader, LoaderResult, LoadOptions
from erm_graph.ingest.load import Prepared, load, prepare
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.writer import LoadReport, write_batch

__all__ = ["GraphBatch", "LoadContext", "LoadError", "LoadOptions", "LoadReport", "Loader",
           "LoaderResult", "Prepared", "load", "prepare", "write_batch"]
