"""Relationship maps: the list of processes, one map's laid-out data, the library summary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from erm_graph import model
from erm_graph.auth.scope import within
from erm_graph.store import GraphStore
from erm_graph.viz.relationship_map import relationship_map
from erm_graph.viz.vis import MAP_OPTIONS, map_to_vis
from erm_graph.web.deps import Settings, Store

router = APIRouter(prefix="/api", tags=["maps"])

def list_maps(store: GraphStore, timeout: float | None = None) -> list[dict[str, Any]]:
    """Every process (a partner's: those in its scope) with its map, owner and step count."""
    rows = store.run(
        f"MATCH (p:Process) WHERE {within(store, 'p')} "
        f"OPTIONAL MATCH (m:Map)-[:DEPICTS]->(p) WHERE {within(store, 'm')} "
        f"WITH p, min(m.uid) AS map "
        f"OPTIONAL MATCH (o:Employee)-[:RESPONSIBLE_FOR]->(p) WHERE {within(store, 'o')} "
        f"RETURN p.uid, p.name, p.category, map, o.name, "
        f"size([(p)-[:HAS_STEP]->(s) WHERE {within(store, 's')} | s]) "
        f"ORDER BY p.name, p.uid, o.name", timeout=timeout).rows
    return [{"uid": u, "name": n, "category": c, "map": m, "owner": o, "steps": s}
            for u, n, c, m, o, s in rows]


def unowned(store: GraphStore, timeout: float | None = None,
            limit: int = 50) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for label in model.COMPONENT_LABELS:
        rows = store.run(f"MATCH (n:{label}) WHERE NOT ()-[:RESPONSIBLE_FOR]->(n) "
                         f"AND {within(store, 'n')} "
                         f"RETURN n.uid, n.name ORDER BY n.uid LIMIT $limit",
                         {"limit": limit}, timeout=timeout).rows
        found += [{"uid": u, "name": n, "label": label} for u, n in rows]
    return found


def summary(store: GraphStore, timeout: float | None = None) -> dict[str, Any]:
    labels, types = store.counts()
    return {"labels": labels, "relationships": types, "maps": list_maps(store, timeout),
            "warnings": {"unowned": unowned(store, timeout)}}


@router.get("/summary", summary="The library at a glance: counts, maps, governance warnings")
def get_summary(store: Store, settings: Settings) -> dict[str, Any]:
    return summary(store, settings.query_timeout)


@router.get("/maps", summary="Every process with its map, owner and number of steps")
def get_maps(store: Store, settings: Settings) -> list[dict[str, Any]]:
    return list_maps(store, settings.query_timeout)


@router.get("/maps/{uid:uid}", summary="The laid-out relationship map of a Process or Map")
def get_map(store: Store, settings: Settings, uid: str) -> dict[str, Any]:
    data = map_to_vis(relationship_map(store, uid, timeout=settings.query_timeout))
    data["options"] = MAP_OPTIONS
    return data
