"""Pictures of the graph: vis-network data for any subgraph, the relationship-map layout,
self-contained HTML exports (pyvis, vis-network inlined) that open offline or in a notebook, and
a relationship map as a PNG, SVG or PDF file (:func:`export_map`, the web page's drawing).

>>> from erm_graph.viz import map_html
>>> page = map_html(store, "proc-customer")          # doctest: +SKIP
>>> show(page)                                       # in Jupyter  # doctest: +SKIP
>>> Path("customer.pdf").write_bytes(export_map(store, "proc-customer", "pdf"))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from erm_graph.query.explore import induced, neighborhood
from erm_graph.query.subgraph import Subgraph, from_result, mentioned_uids
from erm_graph.store import GraphStore, QueryResult
from erm_graph.viz.export import export_map
from erm_graph.viz.html import render_html, write_html
from erm_graph.viz.notebook import NotebookView
from erm_graph.viz.relationship_map import RelationshipMap, relationship_map
from erm_graph.viz.vis import EXPLORER_OPTIONS, MAP_OPTIONS, map_to_vis, to_vis


def map_html(store: GraphStore, process: str) -> str:
    """The relationship map of ``process`` (a Process or Map uid) as one offline HTML page."""
    m = relationship_map(store, process)
    return render_html(map_to_vis(m), MAP_OPTIONS, title=f"Relationship map: {m.process.name}",
                       subtitle="flow in the middle, performers above, documents below, "
                                "parties at the sides")


def neighborhood_html(store: GraphStore, uid: str, *, depth: int = 1, per_node: int = 25,
                      max_nodes: int = 500) -> str:
    sub = neighborhood(store, uid, depth=depth, per_node=per_node, max_nodes=max_nodes)
    return render_html(to_vis(sub), EXPLORER_OPTIONS, title=f"Neighbourhood: {sub.title}",
                       subtitle=f"{depth} hop(s) around {uid}")


def result_graph(store: GraphStore, result: QueryResult) -> Subgraph:
    """What a result shows as a graph: its nodes, relationships and paths; or, when it holds
    none (most named queries return values), the records its uids name and their ties."""
    sub = from_result(result)
    if not sub.nodes:
        sub = induced(store, mentioned_uids(result))
    return sub


def result_html(store: GraphStore, result: QueryResult, *, title: str) -> str:
    """The graph of a query result (see :func:`result_graph`) as one offline HTML page."""
    return render_html(to_vis(result_graph(store, result)), EXPLORER_OPTIONS, title=title)


def show(page: str, height: int = 600) -> Any:
    """Display an exported page in Jupyter (the last expression of a cell)."""
    return NotebookView(page, height)


__all__ = ["RelationshipMap", "Subgraph", "export_map", "map_html", "neighborhood_html",
           "relationship_map", "render_html", "result_graph", "result_html", "show", "write_html"]
