"""Centrality, communities and cut points of a projected graph, each as a DataFrame.

Every function takes a networkx graph from :func:`erm_graph.analytics.project` and returns one
row per node (or edge) with ``uid``, ``label`` and ``name`` first, best first.

>>> g = project(store)  # doctest: +SKIP
>>> pagerank(g).head()  # doctest: +SKIP
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import networkx as nx
import pandas as pd

from erm_graph.errors import ErmError


def _frame(graph: nx.Graph, scores: dict[str, Any], column: str) -> pd.DataFrame:
    rows = [{"uid": n, "label": graph.nodes[n].get("label"), "name": graph.nodes[n].get("name"),
             column: v} for n, v in scores.items()]
    frame = pd.DataFrame(rows, columns=["uid", "label", "name", column])
    return frame.sort_values([column, "uid"], ascending=[False, True], ignore_index=True)


def degree(graph: nx.Graph, **_: Any) -> pd.DataFrame:
    """How many distinct neighbours each node has."""
    return _frame(graph, dict(graph.degree()), "degree")


def pagerank(graph: nx.Graph, **_: Any) -> pd.DataFrame:
    """PageRank with edge weights (interaction counts count)."""
    return _frame(graph, nx.pagerank(graph, weight="weight"), "pagerank")


def betweenness(graph: nx.Graph, *, samples: int | None = 256, seed: int = 7,
                **_: Any) -> pd.DataFrame:
    """Betweenness centrality, approximated from ``samples`` source nodes (exact when None).

    Brokers between otherwise separate groups score high.
    """
    k = None if samples is None or samples >= graph.number_of_nodes() else samples
    return _frame(graph, nx.betweenness_centrality(graph, k=k, seed=seed), "betweenness")


def communities(graph: nx.Graph, *, seed: int = 7, **_: Any) -> pd.DataFrame:
    """Louvain communities: ``community`` numbers groups from the largest down.

    Louvain runs in igraph's C implementation: networkx's pure-Python one takes minutes on
    the large demo's relationship network where igraph takes seconds (docs/scaling.md).
    igraph draws its random numbers from a Python generator, seeded here so that the same
    graph always splits the same way.
    """
    import igraph

    nodes = list(graph.nodes())
    index = {n: i for i, n in enumerate(nodes)}
    edges = graph.edges(data="weight", default=1.0)
    shadow = igraph.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b, _ in edges])
    shadow.es["weight"] = [w for _, _, w in edges]
    igraph.set_random_number_generator(random.Random(seed))
    try:
        parts = shadow.community_multilevel(weights="weight")
    finally:
        igraph.set_random_number_generator(random)
    found = sorted(({nodes[i] for i in part} for part in parts), key=lambda c: (-len(c), min(c)))
    member = {n: i for i, group in enumerate(found) for n in group}
    frame = _frame(graph, member, "community")
    frame["size"] = frame["community"].map(lambda i: len(found[i]))
    return frame.sort_values(["community", "uid"], ignore_index=True)


def articulation_points(graph: nx.Graph, **_: Any) -> pd.DataFrame:
    """Nodes whose removal splits the network; ``blocks`` is how many parts meet at each."""
    blocks: dict[str, int] = {}
    for block in nx.biconnected_components(graph):
        for node in block:
            blocks[node] = blocks.get(node, 0) + 1
    return _frame(graph, {n: blocks[n] for n in nx.articulation_points(graph)}, "blocks")


def bridges(graph: nx.Graph, **_: Any) -> pd.DataFrame:
    """Relationships whose removal disconnects two parts of the network."""
    rows = [{"from_uid": a, "from": graph.nodes[a].get("name"), "to_uid": b,
             "to": graph.nodes[b].get("name"), "type": graph[a][b].get("type")}
            for a, b in nx.bridges(graph)]
    return pd.DataFrame(rows, columns=["from_uid", "from", "to_uid", "to", "type"]).sort_values(
        ["from_uid", "to_uid"], ignore_index=True)


ALGORITHMS: dict[str, Callable[..., pd.DataFrame]] = {
    "degree": degree, "pagerank": pagerank, "betweenness": betweenness,
    "communities": communities, "articulation-points": articulation_points, "bridges": bridges,
}


def run_algorithm(name: str, graph: nx.Graph, **options: Any) -> pd.DataFrame:
    try:
        algorithm = ALGORITHMS[name]
    except KeyError:
        raise ErmError(f"unknown algorithm {name!r}: use one of {', '.join(ALGORITHMS)}, "
                       "strength or warm-path") from None
    return algorithm(graph, **options)
