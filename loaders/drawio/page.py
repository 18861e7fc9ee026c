"""One page of a draw.io file as cells: vertices with their style and text, edges with their
ends and labels, containers, and what was skipped (summed up by kind in one note)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from . import styles

#: ids named per kind in the note of skipped cells; the rest are counted
_EXAMPLES = 3


@dataclass
class Edge:
    id: str
    source: str
    target: str
    label: str
    style: dict[str, str]


@dataclass
class Page:
    id: str
    name: str
    cells: dict[str, Element]
    styles: dict[str, dict[str, str]]
    #: vertex ids in document order (labels placed on edges are not vertices)
    vertices: list[str]
    edges: list[Edge]
    #: flows in and out of each cell: (in, out)
    degree: dict[str, list[int]]
    #: kind -> ids of the cells left out
    skipped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, pid: str, name: str, model: Element) -> Page:
        cells = {cid: c for c in model.iter("mxCell") if (cid := c.get("id"))}
        for obj in model.iter():  # <object>/<UserObject> wrappers carry the label and the id
            if obj.tag in ("object", "UserObject"):
                inner = obj.find("mxCell")
                if inner is not None and (oid := obj.get("id")):
                    inner.set("id", oid)
                    inner.set("value", obj.get("label", ""))
                    cells[oid] = inner
        edge_ids = [cid for cid, c in cells.items() if c.get("edge") == "1"]
        on_edges = set(edge_ids)
        texts: dict[str, list[str]] = defaultdict(list)  # labels placed on an edge: its children
        for c in cells.values():
            if (parent := c.get("parent")) in on_edges and (value := c.get("value")):
                texts[parent].append(value)
        edges: list[Edge] = []
        degree: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for eid in edge_ids:
            c = cells[eid]
            src, dst = c.get("source") or "", c.get("target") or ""
            text = styles.label(c.get("value")) or " ".join(map(styles.label, texts[eid]))
            edges.append(Edge(eid, src, dst, text, styles.parse(c.get("style"))))
            degree[src][1] += 1
            degree[dst][0] += 1
        vertices = [cid for cid, c in cells.items()
                    if c.get("vertex") == "1" and c.get("parent") not in on_edges]
        return cls(pid, name, cells, {cid: styles.parse(cells[cid].get("style"))
                                      for cid in vertices}, vertices, edges, degree)

    def text(self, cid: str) -> str:
        return styles.label(self.cells[cid].get("value"))

    def lines(self, cid: str) -> list[str]:
        return styles.lines(self.cells[cid].get("value"))

    def parent(self, cid: str) -> str | None:
        return self.cells[cid].get("parent") if cid in self.cells else None

    def skip(self, kind: str, cid: str) -> None:
        self.skipped[kind].append(cid)

    def skipped_note(self) -> str | None:
        """One note for everything left out of the page, by kind, most frequent first."""
        if not self.skipped:
            return None
        total = sum(len(ids) for ids in self.skipped.values())
        parts = []
        for kind, ids in sorted(self.skipped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(ids[:_EXAMPLES]) + (", ..." if len(ids) > _EXAMPLES else "")
            parts.append(f"{len(ids)} {kind} ({shown})")
        return (f"page {self.name!r}: {total} cell{'s' if total > 1 else ''} not part of the "
                f"diagram skipped: {'; '.join(parts)}")
