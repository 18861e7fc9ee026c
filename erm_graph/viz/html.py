"""Standalone HTML exports that open offline: pyvis builds the network, our template inlines
vis-network from the copy inside the installed pyvis package (no CDN, no remote URL).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pyvis
from pyvis.network import Network

from erm_graph.viz.styles import legend

#: vis-network as shipped inside pyvis (the web app serves the same files).
VIS_DIR = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
VIS_JS = VIS_DIR / "vis-network.min.js"
VIS_CSS = VIS_DIR / "vis-network.css"
TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]))


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no ``</script>`` breakout)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def to_network(data: dict[str, Any], options: dict[str, Any], *, height: str = "100vh",
               heading: str = "") -> Network:
    """A pyvis :class:`Network` holding vis-network ``data`` (nodes and edges dicts)."""
    net = Network(height=height, width="100%", directed=True, heading=heading,
                  cdn_resources="in_line")
    for node in data["nodes"]:
        fields = {k: v for k, v in node.items() if k not in ("id", "label", "shape")}
        net.add_node(node["id"], label=node.get("label"), shape=node.get("shape", "dot"),
                     **fields)
    # pyvis checks every new edge against all earlier ones (quadratic); ours are unique already
    net.edges.extend(dict(e) for e in data["edges"])
    net.set_options(json.dumps(options))
    return net


def render_html(data: dict[str, Any], options: dict[str, Any], *, title: str,
                subtitle: str = "") -> str:
    """One self-contained HTML page showing ``data`` with vis-network inlined."""
    net = to_network(data, options, heading=title)
    nodes, edges, heading, _height, _width, options_json = net.get_network_data()
    labels_shown = {n.get("category") for n in nodes}
    return _environment().get_template("standalone.html.j2").render(
        title=heading, subtitle=subtitle, vis_js=VIS_JS.read_text(encoding="utf-8"),
        vis_css=VIS_CSS.read_text(encoding="utf-8"),
        nodes_json=script_json(nodes), edges_json=script_json(edges),
        options_json=script_json(json.loads(options_json)),
        legend=[entry for entry in legend() if entry["label"] in labels_shown],
        counts={"nodes": len(nodes), "edges": len(edges)})


def write_html(data: dict[str, Any], options: dict[str, Any], path: str | Path, *,
               title: str, subtitle: str = "") -> Path:
    path = Path(path)
    path.write_text(render_html(data, options, title=title, subtitle=subtitle),
                    encoding="utf-8")
    return path
