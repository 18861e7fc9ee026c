"""erm-graph."""

from erm_graph.ingest.load import load

__all__ = ["load"]
