"""erm-graph."""

from erm_graph import query  # callable: erm_graph.query(name, **params) -> DataFrame
from erm_graph.ingest.load import load

__all__ = ["load", "query"]
