"""Subgraphs as vis-network data: ``{"nodes": [...], "edges": [...]}`` ready for a DataSet.

Tooltips (``title``) are plain strings: vis-network 9 shows them as text, never as HTML, so a
name typed into a CRM cannot inject markup into the explorer.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from erm_graph import model
from erm_graph.query.subgraph import GEdge, GNode, Subgraph
from erm_graph.viz.relationship_map import RelationshipMap
from erm_graph.viz.styles import (
    DASHED_TYPES,
    DOCUMENT_SHAPES,
    EDGE_COLORS,
    STEP_SHAPES,
    style_for,
)

#: Characters of a node's name shown on the canvas; the tooltip has all of it.
LABEL_CHARS = 28
#: Properties shown in a tooltip, at most.
TOOLTIP_PROPS = 12


def short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def tooltip(node: GNode, extra: list[str] | None = None) -> str:
    lines = [f"{node.label}: {node.name}", f"uid: {node.uid}"]
    for key, value in islice(node.props.items(), TOOLTIP_PROPS):
        if key not in ("uid", "name", "source", "created_at", "updated_at"):
            lines.append(f"{key}: {short(str(value), 80)}")
    return "\n".join(lines + (extra or []))


def node_to_vis(node: GNode) -> dict[str, Any]:
    style = style_for(node.label)
    shape = style.shape
    kind = str(node.props.get("kind", ""))
    if node.label == "Step":
        shape = STEP_SHAPES.get(kind, shape)
    elif node.label == "Document":
        shape = DOCUMENT_SHAPES.get(kind, shape)
    return {"id": node.uid, "label": short(node.name), "title": tooltip(node),
            "category": node.label, "labels": node.labels, "shape": shape, "size": style.size,
            "color": {"background": style.color, "border": "#333333"},
            "font": {"color": "#ffffff" if shape in ("box", "ellipse") and
                     node.label in ("Department", "Process", "Map") else "#222222"}}


def edge_to_vis(edge: GEdge) -> dict[str, Any]:
    label = str(edge.props.get("label") or edge.props.get("role") or edge.props.get("kind")
                or "")
    out: dict[str, Any] = {"id": edge.id, "from": edge.start, "to": edge.end,
                           "type": edge.type, "title": edge.type + (f" ({label})" if label
                                                                    else ""),
                           "arrows": "to", "color": EDGE_COLORS.get(edge.type, "#9aa5b1"),
                           "dashes": edge.type in DASHED_TYPES}
    if label and edge.type in ("NEXT",):
        out["label"] = label
    if "strength" in edge.props:
        out["value"] = edge.props["strength"]
    return out


def to_vis(sub: Subgraph) -> dict[str, Any]:
    """vis-network data for any subgraph, plus what the caps left out (``more``, ``groups``)."""
    return {"title": sub.title,
            "nodes": [node_to_vis(n) for n in sub.nodes.values()],
            "edges": [edge_to_vis(e) for e in sub.edges.values()],
            "more": sub.more, "groups": sub.groups}


MAP_OPTIONS: dict[str, Any] = {
    "physics": {"enabled": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": False},
    "edges": {"smooth": {"enabled": True, "type": "cubicBezier", "forceDirection": "horizontal",
                         "roundness": 0.4}, "font": {"size": 12, "align": "top"}},
    "nodes": {"font": {"size": 13}, "borderWidth": 1},
}
EXPLORER_OPTIONS: dict[str, Any] = {
    "physics": {"solver": "forceAtlas2Based", "stabilization": {"iterations": 150},
                "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 110}},
    "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True},
    "edges": {"smooth": False, "arrows": {"to": {"scaleFactor": 0.5}}},
    "nodes": {"font": {"size": 12}},
}


def map_to_vis(m: RelationshipMap) -> dict[str, Any]:
    """vis-network data of a relationship map: fixed positions, owners marked on each component.
    """
    data = to_vis(m.graph)
    for node in data["nodes"]:
        uid = node["id"]
        x, y = m.positions.get(uid, (0, 0))
        record = m.graph.nodes[uid]
        node.update(x=x, y=y, physics=False, band=m.bands.get(uid, ""),
                    name=record.name,  # in full: the map's list of steps reads it
                    component=record.label in model.COMPONENT_LABELS)  # owners are set on these
        for key in ("kind", "parent"):  # a step's shape; the step a sub-process step is in
            if key in record.props:
                node[key] = record.props[key]
        if uid in m.activity:
            node["activity"] = m.activity[uid]
        if uid in m.departments:
            node["department"], node["department_name"] = m.departments[uid]
        if uid in m.members:
            node["members"] = m.members[uid]
        if uid in m.owners:
            owner = m.owners[uid]
            node["owner"] = owner
            if owner:
                node["title"] += f"\nowner: {owner}"
                node["label"] += f"\n★ {short(owner, 22)}"
            else:
                node["title"] += "\nowner: none (governance warning)"
                node["label"] += "\n⚠ no owner"
                node["color"]["border"] = "#d62728"
                node["borderWidth"] = 3
                node["shapeProperties"] = {"borderDashes": [6, 4]}
    for edge in data["edges"]:
        if edge["type"] == "NEXT":
            edge.update(width=2)
        else:
            edge.update(arrows="" if edge["type"] in ("PERFORMS", "USES") else "to",
                        smooth={"enabled": False}, width=1)
    data["process"] = {"uid": m.process.uid, "name": m.process.name}
    data["owners"] = m.owners
    return data
