"""The query layer: named queries from `cypher/`, ad hoc Cypher, DataFrames.

``erm_graph.query.dataframe(name, **params)`` returns a named query's rows as a DataFrame;
``run_query`` runs one on an open store, ``run_cypher`` runs ad hoc Cypher.
"""

from erm_graph.query.adhoc import run_cypher
from erm_graph.query.library import Library, NamedQuery, Param, load_library
from erm_graph.query.named import dataframe, run_query

__all__ = ["Library", "NamedQuery", "Param", "dataframe", "load_library", "run_cypher",
           "run_query"]
