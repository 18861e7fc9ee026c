"""The query layer: named queries from `cypher/`, ad hoc Cypher, DataFrames.

``erm_graph.query(name, **params)`` returns a named query's rows as a DataFrame. That name is
also this package's, so the package module itself is made callable: a plain function exported
under the same name would shadow the package (``import erm_graph.query as q`` would then
give the function).
"""

import sys
import types
from typing import Any

from erm_graph.query.adhoc import run_cypher
from erm_graph.query.library import Library, NamedQuery, Param, load_library
from erm_graph.query.named import query, run_query


class _CallableModule(types.ModuleType):
    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return query(name, *args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Library", "NamedQuery", "Param", "load_library", "query", "run_cypher",
           "run_query"]
