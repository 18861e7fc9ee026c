"""Mermaid flowcharts (``flowchart`` or ``graph``, any direction) from ``.mmd``/``.mermaid``.

Node shapes: ``{text}`` -> gateway; ``((text))``, ``(((text)))`` -> event (start when nothing
flows in, end when nothing flows out); ``[[text]]`` -> subprocess; ``[(text)]`` -> database
document; ``[/text/]``, ``[\\text\\]`` and other shapes -> task. An edge into a database is
PRODUCES, out of one USES. Edge labels (``-->|yes|``, ``-- yes -->``) become NEXT labels;
``subgraph`` blocks become departments performing the nodes declared inside them.
"""

from __future__ import annotations

import re
from pathlib import Path

from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.source import LoadError, LoadOptions, Source

FORMAT = "mermaid"
EXTENSIONS = (".mmd", ".mermaid")
DESCRIPTION = "Mermaid flowchart"

HEADER = re.compile(r"^\s*(flowchart|graph)(\s+(TB|TD|BT|RL|LR))?\s*;?\s*$", re.I)
SHAPES = [  # (open, close, kind), longest openers first
    ("(((", ")))", "event"), ("((", "))", "event"), ("([", "])", "event"), ("[[", "]]",
    "subprocess"), ("[(", ")]", "database"), ("{{", "}}", "task"), ("[/", "/]", "task"),
    ("[\\", "\\]", "task"), ("[/", "\\]", "task"), ("[\\", "/]", "task"), ("{", "}", "gateway"),
    ("[", "]", "task"), ("(", ")", "task"), (">", "]", "task"),
]
NODE = re.compile(r"\s*([A-Za-z0-9_\-.]+)")
LINK = re.compile(r"\s*(?:(<?-->|<?---|<?-\.->|<?-\.-|<?==>|<?===|--o|--x)"
                  r"(?:\|([^|]*)\|)?"
                  r"|(?:--|-\.|==)\s*([^-=>|.][^>]*?)\s*(-->|---|\.->|==>|===))")


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    if not path.is_file():
        return False
    text = head.decode("utf-8", "replace")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("%%")]
    return bool(lines) and bool(HEADER.match(lines[0].split(";")[0]))


def _node(text: str, pos: int) -> tuple[str, str | None, str | None, int] | None:
    """(id, label, kind, next position) of the node at ``pos``, or None."""
    m = NODE.match(text, pos)
    if not m:
        return None
    nid, pos = m.group(1), m.end()
    for opener, closer, kind in SHAPES:
        if text.startswith(opener, pos):
            end = text.find(closer, pos + len(opener))
            if end < 0:
                continue
            label = text[pos + len(opener):end].strip().strip('"')
            pos = end + len(closer)
            if text.startswith(":::", pos):
                pos = NODE.match(text, pos + 3).end() if NODE.match(text, pos + 3) else pos + 3
            return nid, label, kind, pos
    if text.startswith(":::", pos):
        m2 = NODE.match(text, pos + 3)
        pos = m2.end() if m2 else pos + 3
    return nid, None, None, pos


def load(source: Source) -> None:
    text = source.text()
    lines = [ln.split("%%")[0] for ln in text.splitlines()]
    start = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if start is None or not HEADER.match(lines[start].split(";")[0]):
        raise LoadError(f"{source.path}: line {1 if start is None else start + 1}: expected "
                        "'flowchart TD' (or graph, with TB, TD, BT, RL or LR): only Mermaid "
                        "flowcharts can be loaded")
    build = FlowchartBuilder(source)
    pid = "flowchart"
    build.process(pid, source.path.stem.replace("_", " "), "flowchart")
    nodes: dict[str, dict] = {}
    edges: list[tuple[str, str, str | None, int]] = []
    lanes: list[str] = []
    for number, raw in enumerate(lines[start + 1:], start=start + 2):
        for statement in raw.split(";"):
            line = statement.strip()
            if not line or line.split()[0] in ("classDef", "class", "style", "click",
                                               "linkStyle", "direction"):
                continue
            if line.startswith("subgraph"):
                title = line[len("subgraph"):].strip()
                m = re.match(r"[^\[]*\[(.*)\]\s*$", title)
                lanes.append((m.group(1) if m else title).strip().strip('"'))
                continue
            if line == "end":
                if lanes:
                    lanes.pop()
                continue
            _statement(source, line, number, nodes, edges, lanes)
    into = {e[1] for e in edges}
    out = {e[0] for e in edges}
    steps, docs = {}, {}
    for nid, info in nodes.items():
        kind = info["kind"] or "task"
        if kind == "database":
            docs[nid] = build.document(info["label"] or nid, "database", f"line {info['line']}")
            continue
        if kind == "event":
            kind = ("start" if nid not in into and nid in out
                    else "end" if nid in into and nid not in out else "event")
        steps[nid] = build.step(pid, nid, info["label"] or nid, kind, f"{nid}")
        if info["lane"]:
            build.performs(info["lane"], steps[nid], f"line {info['line']}")
    for src, dst, label, number in edges:
        where = f"line {number}"
        if src in docs and dst in steps:
            build.uses(steps[dst], docs[src], where)
        elif dst in docs and src in steps:
            build.produces(steps[src], docs[dst], where)
        elif src in steps and dst in steps:
            build.flow(pid, src, dst, f"{where}: {src}->{dst}", label)
        else:
            source.note(f"{where}: edge {src} -> {dst} joins two databases: skipped")


def _statement(source: Source, line: str, number: int, nodes: dict, edges: list,
               lanes: list[str]) -> None:
    pos, previous = 0, None
    pending: tuple[str | None] | None = None
    while pos < len(line):
        group = []
        while True:
            found = _node(line, pos)
            if not found:
                source.reject("Step", f"line {number}", "node", "a node id, optionally with "
                              "a shape such as A[text] or B{text}", line[pos:].strip())
                return
            nid, label, kind, pos = found
            info = nodes.setdefault(nid, {"label": None, "kind": None, "line": number,
                                          "lane": lanes[-1] if lanes else None})
            if label is not None:
                info["label"], info["kind"] = label, kind
            group.append(nid)
            amp = re.match(r"\s*&", line[pos:])
            if not amp:
                break
            pos += amp.end()
        if previous is not None and pending is not None:
            for a in previous:
                for b in group:
                    edges.append((a, b, pending[0], number))
        if not line[pos:].strip():
            return
        link = LINK.match(line, pos)
        if not link:
            source.reject("NEXT", f"line {number}", "edge", "an arrow such as -->, ---, -.->, "
                          "==> or -->|label|", line[pos:].strip())
            return
        label = link.group(2) or link.group(3)
        pending = (label.strip().strip('"') if label else None,)
        previous, pos = group, link.end()
