"""GraphML: write a graph as one ``.graphml`` file, and read GraphML through networkx.

Written: node ids ``<key label>:<uid>``; node attribute ``labels`` (``:Party:Customer``, the
APOC style); edge attribute ``type``; every property as a typed ``<data>`` (``long``,
``double``, ``boolean``, ``string``); a list as a JSON string in an attribute named ``name[]``.
A property whose values have several types gets one key per type, so no value changes type.

Read: the file is parsed by defusedxml (no entities, no external references) and the parsed
tree is handed to networkx's GraphML reader. Node attribute ``labels`` or ``label`` is the
model label, edge attribute ``type`` or ``label`` the relationship type; a node's ``uid``
attribute is its uid, else its GraphML id.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from erm_graph import model
from erm_graph.errors import ErmError, Problem, shown
from erm_graph.interop.stream import NodeRecord, Record, RelRecord, node_label

FORMAT = "graphml"
NS = "http://graphml.graphdrawing.org/xmlns"
_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _encode(name: str, value: Any) -> tuple[str, str, str]:
    """(attribute name, GraphML type, text) of one property."""
    if isinstance(value, list):
        return f"{name}[]", "string", json.dumps(value, ensure_ascii=False)
    kind = _TYPES.get(type(value))
    if kind is None:
        raise ErmError(f"property {name!r}: a {type(value).__name__} cannot be written to "
                       "GraphML")
    if kind == "boolean":
        return name, kind, "true" if value else "false"
    return name, kind, repr(value) if kind == "double" else str(value)


def write_records(records: Iterable[Record], path: Path) -> None:
    """Write records as one GraphML file (the body is spooled while the keys are collected)."""
    keys: dict[tuple[str, str, str], str] = {}  # (for, attr name, type) -> key id

    def data(scope: str, name: str, kind: str, text: str) -> str:
        if _XML_BAD.search(text):
            raise ErmError(f"{name!r}: the value holds a control character, which XML 1.0 "
                           "cannot carry")
        key = keys.setdefault((scope, name, kind), f"{scope[0]}{len(keys)}")
        return f'<data key="{key}">{escape(text)}</data>'

    with tempfile.TemporaryFile("w+", encoding="utf-8") as body:
        for record in records:
            if isinstance(record, NodeRecord):
                spec = model.LABELS[record.label]
                ident = f"{spec.key_label}:{record.props['uid']}"
                cells = [data("node", "labels", "string", ":" + ":".join(spec.labels))]
                for name, value in sorted(record.props.items()):
                    if name in ("labels", "label"):
                        raise ErmError(f"{record.label} {record.props['uid']!r}: a property "
                                       f"named {name!r} clashes with GraphML's label attribute")
                    cells.append(data("node", *_encode(name, value)))
                body.write(f"<node id={quoteattr(ident)}>{''.join(cells)}</node>\n")
            else:
                cells = [data("edge", "type", "string", record.type)]
                for name, value in sorted(record.props.items()):
                    if name == "type":
                        raise ErmError(f"{record.type}: a relationship property named 'type' "
                                       "clashes with GraphML's type attribute")
                    cells.append(data("edge", *_encode(name, value)))
                source = quoteattr(f"{record.start_label}:{record.start}")
                target = quoteattr(f"{record.end_label}:{record.end}")
                body.write(f"<edge source={source} target={target}>{''.join(cells)}</edge>\n")
        body.seek(0)
        with path.open("w", encoding="utf-8") as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="{NS}">\n')
            for (scope, name, kind), key in keys.items():
                fh.write(f'<key id="{key}" for="{scope}" attr.name={quoteattr(name)} '
                         f'attr.type="{kind}"/>\n')
            fh.write('<graph id="erm" edgedefault="directed">\n')
            while chunk := body.read(1 << 20):
                fh.write(chunk)
            fh.write("</graph>\n</graphml>\n")


def _props(attrs: dict[str, Any]) -> dict[str, Any]:
    props = {}
    for name, value in attrs.items():
        if name.endswith("[]") and isinstance(value, str):
            try:
                props[name[:-2]] = json.loads(value)
                continue
            except json.JSONDecodeError:
                pass
        props[name] = value
    return props


def _labels(text: Any) -> list[str]:
    return [t for t in re.split(r"[:;,\s]+", str(text)) if t]


def read(root, where: str, on_node: Callable[[NodeRecord, str], None],
         on_rel: Callable[[RelRecord, str], None]) -> tuple[int, list[tuple[str, Problem]]]:
    """Read a parsed (defused) GraphML tree; returns (elements read, rejected ones)."""
    import networkx as nx
    from networkx.readwrite.graphml import GraphMLReader

    reader = GraphMLReader(node_type=str, edge_key_type=str, force_multigraph=True)
    try:
        keys, defaults = reader.find_graphml_keys(root)
        graphs = [reader.make_graph(g, keys, defaults)
                  for g in root.findall(f"{{{NS}}}graph")]
    except (nx.NetworkXError, KeyError, ValueError) as exc:
        raise ErmError(f"{where}: not a GraphML file networkx can read: "
                       f"{shown(exc, 120, quote=False)}") from None
    if not graphs:
        raise ErmError(f"{where}: no <graph> element in the GraphML namespace {NS}")
    problems: list[tuple[str, Problem]] = []
    rows = 0
    for graph in graphs:
        ends: dict[str, tuple[str, str]] = {}
        for ident, attrs in graph.nodes(data=True):
            rows += 1
            attrs = dict(attrs)
            place = f"{FORMAT}:{where}#{ident}"
            raw = attrs.pop("labels", None) or attrs.pop("label", None)
            if raw is None:
                problems.append(("node", Problem(place, "labels", "a labels (or label) "
                                                 "attribute with a model label", None)))
                continue
            try:
                label = node_label(_labels(raw))
            except ValueError as exc:
                problems.append(("node", Problem(place, "labels", str(exc), raw)))
                continue
            props = _props(attrs)
            props["uid"] = str(props.get("uid") or ident)
            ends[ident] = (model.LABELS[label].key_label, props["uid"])
            on_node(NodeRecord(label, props), place)
        for source, target, _, attrs in graph.edges(keys=True, data=True):
            rows += 1
            attrs = dict(attrs)
            attrs.pop("id", None)
            place = f"{FORMAT}:{where}#{source}->{target}"
            rel_type = attrs.pop("type", None) or attrs.pop("label", None)
            if rel_type not in model.RELATIONSHIPS:
                problems.append((str(rel_type), Problem(
                    place, "type", f"a type of the model ({', '.join(model.RELATIONSHIPS)})",
                    rel_type)))
                continue
            if source not in ends or target not in ends:
                missing = source if source not in ends else target
                problems.append((rel_type, Problem(place, "source" if missing == source
                                                   else "target", "a node with labels in "
                                                   "this file", missing)))
                continue
            on_rel(RelRecord(rel_type, *ends[source], *ends[target], _props(attrs)), place)
    return rows, problems
