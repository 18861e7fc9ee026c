"""Graph analytics on networkx over projected subgraphs of the store.

:func:`project` reads a subgraph (chosen labels and relationship types, optionally sampled)
into a networkx graph; the algorithm modules turn it into DataFrames. Relationship strength is
computed from interactions and written back as ``KNOWS {strength, evidence}``.
"""

from erm_graph.analytics.algorithms import ALGORITHMS, run_algorithm
from erm_graph.analytics.projection import project
from erm_graph.analytics.strength import relationship_strength, write_knows
from erm_graph.analytics.warm_path import warm_path

__all__ = ["ALGORITHMS", "project", "relationship_strength", "run_algorithm", "warm_path",
           "write_knows"]
