"""draw.io / diagrams.net flowcharts (``.drawio``, ``.xml``), compressed or not, every page.

Each page is a process. Shapes become steps (rhombus -> gateway, ellipse -> start/end/event by
its flows), edges become NEXT with their label, swimlanes and containers become departments
performing the shapes inside them (nested: PART_OF), document shapes become documents and
cylinders databases (an edge into one is PRODUCES, out of one USES). Cells that are not part of a
flowchart (text, images, UML actors, ...) are skipped and listed in the report's notes.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from erm_graph.errors import shown
from erm_graph.ingest.expansion import inflate
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.source import LoadError, LoadOptions, Source, parse_xml

FORMAT = "drawio"
EXTENSIONS = (".drawio", ".drawio.xml", ".xml")
DESCRIPTION = "draw.io / diagrams.net diagram"


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    return path.is_file() and (b"<mxfile" in head or b"<mxGraphModel" in head)


def _style(text: str | None) -> dict[str, str]:
    parts = [p for p in (text or "").split(";") if p]
    return {(k if v else "shape" if i == 0 else k): (v if v else k)
            for i, (k, _, v) in enumerate(p.partition("=") for p in parts)}


def _label(value: str | None) -> str:
    text = re.sub(r"<br\s*/?>|</div>|</p>", " ", value or "", flags=re.I)
    # a tag holds no "<": "<[^>]+>" rescanned the rest of the value from every "<" (quadratic)
    return " ".join(html.unescape(re.sub(r"<[^<>]+>", "", text)).split())


def _pages(source: Source, root: Element) -> list[tuple[str, str, Element]]:
    if root.tag == "mxGraphModel":
        return [("page-1", source.path.stem, root)]
    if root.tag != "mxfile":
        raise LoadError(f"{source.path}: not a draw.io file: root element {shown(root.tag)}, "
                        "expected <mxfile> or <mxGraphModel>")
    pages = []
    for number, diagram in enumerate(root.findall("diagram"), start=1):
        pid = diagram.get("id") or f"page-{number}"
        name = diagram.get("name") or f"Page {number}"
        model = diagram.find("mxGraphModel")
        if model is None:
            text = (diagram.text or "").strip()
            if not text:
                source.note(f"page {name!r} is empty: skipped")
                continue
            try:
                raw = inflate(base64.b64decode(text), f"{source.path}: page {shown(name)}",
                              source, already=source.inflated)
                source.inflated += len(raw)
                xml = unquote(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise LoadError(f"{source.path}: page {shown(name)} is compressed but does not "
                                "decode (base64 + deflate + URL encoding): "
                                f"{shown(exc, 100, quote=False)}") from None
            model = parse_xml(xml.encode("utf-8"), f"{source.path} page {shown(name)}")
        pages.append((pid, name, model))
    return pages


def load(source: Source) -> None:
    build = FlowchartBuilder(source)
    for pid, name, model in _pages(source, source.xml()):
        _page(build, source, pid, name, model)


def _page(build: FlowchartBuilder, source: Source, pid: str, name: str,
          model: Element) -> None:
    cells = {c.get("id"): c for c in model.iter("mxCell") if c.get("id")}
    for obj in model.iter():  # <object>/<UserObject> wrappers carry the label and the id
        if obj.tag in ("object", "UserObject"):
            inner = obj.find("mxCell")
            if inner is not None and obj.get("id"):
                inner.set("id", obj.get("id"))
                inner.set("value", obj.get("label", ""))
                cells[obj.get("id")] = inner
    build.process(pid, name, pid)
    lanes: dict[str, str] = {}
    lane_of: dict[str, str | None] = {}
    steps: dict[str, str] = {}
    docs: dict[str, str] = {}
    edges = [c for c in cells.values() if c.get("edge") == "1"]
    texts: dict[str | None, list[str]] = {}  # labels placed on an edge are its child cells
    for c in cells.values():
        if c.get("value"):
            texts.setdefault(c.get("parent"), []).append(c.get("value"))
    degree: dict[str, list[int]] = {}
    for e in edges:
        degree.setdefault(e.get("source") or "", [0, 0])[1] += 1
        degree.setdefault(e.get("target") or "", [0, 0])[0] += 1
    vertices = [c for c in cells.values() if c.get("vertex") == "1"]
    for cell in vertices:
        style = _style(cell.get("style"))
        if style.get("shape") in ("swimlane", "pool", "table") or "swimlane" in style:
            lanes[cell.get("id")] = _label(cell.get("value")) or cell.get("id")
    for cid, lane in lanes.items():
        parent = cells[cid].get("parent")
        build.department(lane, cid, parent=lanes.get(parent))
    for cell in vertices:
        cid, style, text = cell.get("id"), _style(cell.get("style")), _label(cell.get("value"))
        if cid in lanes or style.get("shape") in ("edgeLabel",):
            continue
        shape = style.get("shape", "")
        if shape == "document":
            docs[cid] = build.document(text or cid, "document", cid)
        elif shape in ("cylinder", "cylinder3", "datastore", "mxgraph.flowchart.database"):
            docs[cid] = build.document(text or cid, "database", cid)
        elif shape == "text" or not text or shape.startswith(("image", "mxgraph.aws",
                                                              "umlActor", "mxgraph.basic")):
            source.note(f"page {name!r}: cell {cid} ({shape or 'no shape'}"
                        f"{', no label' if not text else ''}) is not a flowchart shape: skipped")
            continue
        else:
            kind = "task"
            if shape == "rhombus" or "rhombus" in style:
                kind = "gateway"
            elif shape in ("ellipse", "doubleEllipse") or "ellipse" in style:
                into, out = degree.get(cid, [0, 0])
                kind = "start" if not into and out else "end" if into and not out else "event"
            steps[cid] = build.step(pid, cid, text, kind, cid)
            lane = _lane_of(cell, cells, lanes, lane_of)
            if lane:
                build.performs(lane, steps[cid], cid)
    for edge in edges:
        eid, src, dst = edge.get("id"), edge.get("source"), edge.get("target")
        label = _label(edge.get("value")) or " ".join(map(_label, texts.get(eid, ())))
        if src in steps and dst in steps:
            build.flow(pid, src, dst, eid, label or None)
        elif src in steps and dst in docs:
            build.produces(steps[src], docs[dst], eid)
        elif src in docs and dst in steps:
            build.uses(steps[dst], docs[src], eid)
        else:
            source.note(f"page {name!r}: edge {eid} does not join two flowchart shapes: "
                        "skipped")


def _lane_of(cell: Element, cells: dict[str, Element], lanes: dict[str, str],
             known: dict[str, str | None]) -> str | None:
    """The lane of the nearest container of ``cell`` that is a lane. ``known`` keeps the
    answer for every container walked through, so a page of cells nested n deep costs n
    steps, not n * n."""
    path: dict[str, None] = {}  # walked, in order (a dict: membership in one step)
    parent = cell.get("parent")
    found = None
    while parent:
        if parent in known:
            found = known[parent]
            break
        if parent in lanes:
            found = lanes[parent]
            break
        if parent in path:  # a cycle of parents: no lane
            break
        path[parent] = None
        parent = cells[parent].get("parent") if parent in cells else None
    known.update(dict.fromkeys(path, found))
    return found
