"""Project a subgraph of the store into networkx, from the rows of
:mod:`erm_graph.query.network`.

Nodes are keyed by ``uid`` and carry ``label`` and ``name``; an edge carries its relationship
``type`` and a ``weight`` (the number of relationships it stands for). Employees and the
parties or contacts they met are also joined by ``MET`` edges derived from interactions
(``(p)-[:HAD]->(i:Interaction)-[:WITH]->(e)``), weighted by the number of interactions.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.query.network import met, relationship_ends
from erm_graph.store import GraphStore

#: the relationship network: our people, the parties and contacts, and the ties between them
NETWORK_LABELS = ("Party", "Contact", "Employee", "Department")
#: (a reporting line is one, as belonging to a department is: centrality and communities see
#: the organisation an org chart loads)
NETWORK_TYPES = ("MANAGES", "KNOWS", "RELATES_TO", "WORKS_FOR", "MEMBER_OF", "PART_OF",
                 "REPORTS_TO")


def project(store: GraphStore, labels: Iterable[str] = NETWORK_LABELS,
            rel_types: Iterable[str] = NETWORK_TYPES, *, interactions: bool = True,
            max_edges: int | None = None, timeout: float = 600) -> nx.Graph:
    """The undirected subgraph of ``labels`` joined by ``rel_types`` (and interactions).

    ``max_edges`` samples: at most that many relationships of each type are read, which keeps
    a million-node graph's projection within memory and time.

    >>> g = project(store, max_edges=100_000)  # doctest: +SKIP
    """
    keep = tuple(labels)
    for name in keep:
        model.label(name)
    graph = nx.Graph()
    for rel_type in rel_types:
        rel = model.relationship(rel_type)
        starts = [s for s in rel.starts if _covered(s, keep)]
        ends = [e for e in rel.ends if _covered(e, keep)]
        if not starts or not ends:
            continue
        # the type comes from the vocabulary, never from user text
        for a, la, na, b, lb, nb in relationship_ends(store, rel.name, limit=max_edges,
                                                      timeout=timeout):
            if _covered(la, keep) and _covered(lb, keep):
                _add(graph, a, la, na, b, lb, nb, rel.name, 1)
    if interactions and "Employee" in keep and ("Party" in keep or "Contact" in keep):
        for p, lp, np_, e, ne, n in met(store, limit=max_edges, timeout=timeout):
            if _covered(lp, keep):
                _add(graph, p, lp, np_, e, "Employee", ne, "MET", n)
    if graph.number_of_nodes() == 0:
        raise ErmError("the projection is empty: load data first (`erm demo`) or choose other "
                       "--label values")
    return graph


def _covered(label: str, keep: tuple[str, ...]) -> bool:
    spec = model.label(label)
    return label in keep or spec.key_label in keep


def _add(graph: nx.Graph, a: str, la: str, na: str, b: str, lb: str, nb: str, kind: str,
         weight: int) -> None:
    graph.add_node(a, label=la, name=na)
    graph.add_node(b, label=lb, name=nb)
    if graph.has_edge(a, b):
        graph[a][b]["weight"] += weight
    else:
        graph.add_edge(a, b, type=kind, weight=weight)
