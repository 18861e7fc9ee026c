"""Ingest: sources become `GraphBatch` objects, checked whole, then written by `write_batch`."""

from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.writer import LoadReport, write_batch

__all__ = ["GraphBatch", "LoadReport", "write_batch"]
