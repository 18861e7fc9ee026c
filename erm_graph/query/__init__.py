"""The query layer: named queries from `cypher/`, ad hoc Cypher, DataFrames."""

from erm_graph.query.adhoc import run_cypher

__all__ = ["run_cypher"]
