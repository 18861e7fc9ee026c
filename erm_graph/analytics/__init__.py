"""Graph analytics on networkx over projected subgraphs of the store.

:func:`project` reads a subgraph (chosen labels and relationship types, optionally sampled)
into a networkx graph; the algorithm modules turn it into DataFrames. Relationship strength is
computed from interactions and written back as ``KNOWS {strength, evidence}``.

The names that need networkx or pandas are imported on first use (PEP 562): :func:`warm_path`,
which the target plans of ``erm targets`` use, needs neither, and importing the package for it
must not cost every command line their start-up (``tests/test_import_discipline.py``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# imported here, not on first use: the submodule's own name would shadow the function once
# anything imported erm_graph.analytics.warm_path
from erm_graph.analytics.warm_path import warm_path

if TYPE_CHECKING:
    from erm_graph.analytics.algorithms import ALGORITHMS, run_algorithm
    from erm_graph.analytics.projection import project
    from erm_graph.analytics.strength import relationship_strength, write_knows

#: each public name imported on first use, and the module that defines it
_HOMES = {"ALGORITHMS": "algorithms", "run_algorithm": "algorithms", "project": "projection",
          "relationship_strength": "strength", "write_knows": "strength"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


__all__ = ["ALGORITHMS", "project", "relationship_strength", "run_algorithm", "warm_path",
           "write_knows"]
