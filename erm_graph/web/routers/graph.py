"""Search, nodes, neighbours, neighbourhoods and paths: the explorer's API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from erm_graph import model
from erm_graph.query.explore import (
    neighborhood,
    neighbors,
    path_hops,
    search,
    shortest_path,
)
from erm_graph.query.records import node_detail
from erm_graph.viz.styles import legend
from erm_graph.viz.vis import to_vis
from erm_graph.web.deps import Node, Settings, Store

router = APIRouter(prefix="/api", tags=["graph"])

Labels = Annotated[list[str] | None, Query(description="keep only neighbours with these labels")]
Types = Annotated[list[str] | None, Query(description="keep only these relationship types")]
Hide = Annotated[list[str] | None, Query(description="leave out neighbours with any of these "
                                                     "labels (the explorer's unticked ones)")]
HideTypes = Annotated[list[str] | None, Query(description="leave out these relationship types")]


def _split(values: list[str] | None) -> list[str] | None:
    """Repeated (``?labels=A&labels=B``) or comma-separated (``?labels=A,B``) values."""
    if not values:
        return None
    return [v for value in values for v in value.split(",") if v] or None


@router.get("/legend", summary="Labels with colours, and relationship types")
def get_legend() -> dict[str, Any]:
    return {"labels": legend(),
            "relationships": [{"type": r.name, "help": r.help}
                              for r in model.RELATIONSHIPS.values()]}


@router.get("/search", summary="Nodes whose name contains the text, or whose uid it is")
def get_search(store: Store,
               q: Annotated[str, Query(min_length=1, max_length=200)],
               label: str | None = None,
               limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    nodes = search(store, q, label=label or None, limit=limit)
    return {"results": [{"uid": n.uid, "label": n.label, "labels": n.labels, "name": n.name}
                        for n in nodes]}


@router.get("/nodes/{uid:uid}/neighbors",
            summary="One page of a node's neighbours; `more` counts the rest")
def get_neighbors(store: Store, settings: Settings, uid: str, node: Node,
                  limit: Annotated[int, Query(ge=0)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0,
                  labels: Labels = None, types: Types = None, hide: Hide = None,
                  hidet: HideTypes = None) -> dict[str, Any]:
    sub = neighbors(store, uid, limit=min(limit, settings.web_neighbor_cap), offset=offset,
                    labels=_split(labels), types=_split(types), hide_labels=_split(hide),
                    hide_types=_split(hidet), node=node)
    data = to_vis(sub)
    data["offset"] = offset
    data["total"] = sum(g["count"] for g in sub.groups)
    data["next_offset"] = data["total"] - sub.more[uid]
    return data


@router.get("/nodes/{uid:uid}/neighborhood",
            summary="Everything within `depth` hops, capped per node and in all")
def get_neighborhood(store: Store, settings: Settings, uid: str, node: Node,
                     depth: Annotated[int, Query(ge=0, le=4)] = 1,
                     per_node: Annotated[int, Query(ge=1)] = 25,
                     max_nodes: Annotated[int, Query(ge=1)] = 500,
                     labels: Labels = None, types: Types = None, hide: Hide = None,
                     hidet: HideTypes = None) -> dict[str, Any]:
    sub = neighborhood(store, uid, depth=depth, per_node=min(per_node, settings.web_neighbor_cap),
                       max_nodes=min(max_nodes, settings.web_node_cap), labels=_split(labels),
                       types=_split(types), hide_labels=_split(hide), hide_types=_split(hidet),
                       node=node)
    return to_vis(sub)


# A uid is the rest of the path and may hold `/` (loaders make `camunda-order/Process_Order`),
# so the routes that end in a fixed word come first and the bare node route last.
@router.get("/nodes/{uid:uid}", summary="One node: properties, relationships, timeline, cases")
def get_node(store: Store, uid: str, node: Node) -> dict[str, Any]:
    return node_detail(store, uid, node=node)


@router.get("/path", summary="A shortest path between two nodes, either direction; `hops` "
                             "says what each relationship along it means")
def get_path(store: Store,
             a: Annotated[str, Query(description="uid of one end")],
             b: Annotated[str, Query(description="uid of the other end")],
             max_hops: Annotated[int, Query(ge=1, le=8)] = 6) -> dict[str, Any]:
    sub = shortest_path(store, a, b, max_hops=max_hops)
    return {**to_vis(sub), "hops": path_hops(sub, a)}
