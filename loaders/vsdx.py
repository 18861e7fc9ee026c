"""Microsoft Visio drawings (``.vsdx``, Visio 2013 and later), every foreground page a process.

A ``.vsdx`` is a zip of XML parts (Open Packaging): the package's relationships lead to the
document, its pages (``visio/pages/pages.xml``, one part per page) and its masters (the
stencil shapes the drawing uses). The parts are read here, through
:meth:`~erm_graph.ingest.contract.LoadContext.package` (entry count, names and decompressed
sizes checked before anything is decompressed) and :func:`~erm_graph.ingest.untrusted.parse_xml`
(defusedxml, nesting limit), not with the ``vsdx`` library: that one extracts the whole
archive into a folder beside the file and parses with the standard library's ElementTree, with
no bound on what the archive expands to (docs/loaders.md says more).

A shape is known by its master's universal name (``NameU``, English whatever the language of
Visio that drew it): what a flowchart symbol means (a step and its kind, a document or
database, decoration) comes from the vocabulary shared with the other diagram loaders
(:mod:`erm_graph.ingest.shapes`), so a process drawn in Visio loads as the same one drawn in
draw.io. This module knows only Visio's own structure (:data:`STRUCTURE`): connectors are the
flows, with their text, their ends the shapes they are glued to (the page's ``<Connects>``;
into a document is PRODUCES, out of one USES); swimlanes, functional bands and pools are
departments performing the shapes they contain (by the container relationships Visio records,
else by where the shape sits); the cross-functional frame, separators, phases and title blocks
are furniture. On- and off-page references (:data:`REFERENCES`) are the vocabulary's event
steps that a flow continues through: a reference with flows in is joined to the one of the
same text, or the one linking back, that has flows out, on the same page or another. A shape
of any other master is a task when a connector joins it, else it is skipped; skipped shapes
and connectors are summarised by kind in one note per page.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from xml.etree.ElementTree import Element

from erm_graph.errors import shown
from erm_graph.ingest import shapes
from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.shapes import Symbol
from erm_graph.ingest.untrusted import LoadError, ZipPackage, parse_xml

NS = "{http://schemas.microsoft.com/office/visio/2012/main}"
PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: what a drawing is called in errors about the package
WHAT = "a Visio .vsdx drawing"

LANE, CONNECTOR, FRAME = "lane", "connector", "frame"
#: a master's role on the page when it is an on- or off-page reference
REFERENCE = "reference"
#: Visio's own structure, by a master's universal name (lower case, Visio's ".12" copy suffix
#: dropped): lanes (departments), connectors (flows) and the drawing's furniture. These are no
#: flowchart symbols (Visio's "Connector" is a line, not the vocabulary's connector circle).
STRUCTURE: dict[str, str] = {
    **dict.fromkeys(("swimlane", "swimlane (vertical)", "functional band",
                     "functional band (vertical)", "pool / lane", "lane"), LANE),
    **dict.fromkeys(("dynamic connector", "line-curve connector", "connector",
                     "straight connector", "curved connector", "sequence flow"), CONNECTOR),
    **dict.fromkeys(("cff container", "separator", "separator (vertical)", "phase",
                     "title", "title block"), FRAME),
}
#: the masters of on- and off-page references: what they are comes from the vocabulary,
#: how a flow continues through them is Visio's (:func:`_join_pages`)
OFF_PAGE = "off-page reference"
REFERENCES = ("on-page reference", OFF_PAGE)
#: lanes on one page that shapes are placed in by where they sit (lanes that record their
#: members need no such search): every shape is tested against each, so a page of more is
#: read by its container relationships only, with a note
MAX_PLACED_LANES = 100
_COPY = re.compile(r"\.\d+$")
#: in a Relationships formula: the relationship kind, then the shapes it names
_DEPENDS = re.compile(r"DEPENDSON\(\s*(\d+)|Sheet\.(\d+)!")
#: DEPENDSON kinds: the shapes that are members of this container / the containers this
#: shape is a member of
_MEMBERS, _CONTAINERS = "1", "4"


def known_as(name: str) -> tuple[str, Symbol | None]:
    """What a shape of the master ``name`` is: Visio's structure (its role in
    :data:`STRUCTURE`, no symbol), a reference (:data:`REFERENCE` and its symbol), a symbol of
    the shared vocabulary (the symbol's role: step, document or decoration, and the symbol),
    else ``("", None)``."""
    key = _COPY.sub("", name).strip().lower()
    if key in STRUCTURE:
        return STRUCTURE[key], None
    found = shapes.symbol(key)
    if found is None:
        return "", None
    return (REFERENCE if key in REFERENCES else found.role), found


class Visio:
    format = "vsdx"
    #: a .vsdm is the same drawing with macros, which are never run
    extensions = (".vsdx", ".vsdm")
    description = "Microsoft Visio drawing (.vsdx, .vsdm)"
    priority = 50

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        # every Office file is a zip: the name says which
        return (path.is_file() and path.name.lower().endswith(self.extensions)
                and head[:2] == b"PK")

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        result = ctx.result(source)
        build = FlowchartBuilder(result)
        with ctx.package(source, WHAT) as package:
            drawing = _Drawing(source, package)
            pages = [page for page in drawing.pages(result) if page.read(build, result)]
        _join_pages(build, pages)
        return result


LOADER = Visio()


# -- the package ------------------------------------------------------------------------------
class _Drawing:
    """The parts of one .vsdx: its pages in order and the masters they use."""

    def __init__(self, source: Path, package: ZipPackage):
        self.source, self.package = source, package
        self._parsed: dict[str, Element] = {}
        document = self._target("", "/document")
        if document is None:
            raise LoadError(f"{source}: not {WHAT}: the package names no Visio document "
                            "(_rels/.rels); a .vsd of Visio 2010 or older must be saved as "
                            ".vsdx first")
        self.pages_part = self._target(document, "/pages")
        masters_part = self._target(document, "/masters")
        self.masters: dict[str, _Master] = {}
        if masters_part:
            targets = self._rels(masters_part)
            for master in self.xml(masters_part).iter(f"{NS}Master"):
                rel = master.find(f"{NS}Rel")
                self.masters[master.get("ID", "")] = _Master(
                    _COPY.sub("", master.get("NameU") or master.get("Name") or ""),
                    targets.get(rel.get(REL_ID, "") if rel is not None else "", ("", ""))[1],
                    self)

    def pages(self, result: LoaderResult) -> list[_Page]:
        if self.pages_part is None:
            raise LoadError(f"{self.source}: {WHAT} without pages: the document names no "
                            "pages part")
        targets = self._rels(self.pages_part)
        pages: dict[str, _Page] = {}  # by part: a part two pages name is read once
        pids: set[str] = set()
        for number, page in enumerate(self.xml(self.pages_part).iter(f"{NS}Page"), start=1):
            name = page.get("Name") or page.get("NameU") or f"Page {number}"
            if page.get("Background") == "1":
                result.note(f"page {name!r} is a background page: skipped")
                continue
            rel = page.find(f"{NS}Rel")
            part = targets.get(rel.get(REL_ID, "") if rel is not None else "", ("", ""))[1]
            if not part:
                raise LoadError(f"{self.source}: page {shown(name)} names no part of the "
                                f"package ({self.pages_part})")
            if part in pages:
                result.note(f"page {name!r} shows the part of page {pages[part].name!r} "
                            f"({part}): skipped")
                continue
            pid = f"page-{page.get('ID') or number}"
            if pid in pids:
                pid = f"{pid}-{number}"  # a page ID used twice
            pids.add(pid)
            pages[part] = _Page(pid, name, self.xml(part), self)
        return list(pages.values())

    def xml(self, part: str) -> Element:
        """The part parsed, once however many pages or masters name it."""
        if part not in self._parsed:
            self._parsed[part] = parse_xml(self.package.read(part),
                                           f"{self.source}: part {part}")
        return self._parsed[part]

    def _rels(self, part: str) -> dict[str, tuple[str, str]]:
        """The relationships of ``part`` (``""``: the package's): id -> (type, part)."""
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", f"{name}.rels")
        if rels not in self.package.sizes:
            return {}
        found = {}
        for rel in self.xml(rels).iter(f"{PACKAGE_RELS}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            resolved = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                          else posixpath.join(folder, target))
            if resolved.startswith("../") or resolved == "..":
                raise LoadError(f"{self.source}: part {shown(rels)}: relationship "
                                f"{shown(rel.get('Id'))} leads outside the package "
                                f"({shown(target)})")
            found[rel.get("Id", "")] = (rel.get("Type", ""), resolved)
        return found

    def _target(self, part: str, kind: str) -> str | None:
        for rel_type, target in self._rels(part).values():
            if rel_type.endswith(kind):
                return target
        return None


class _Master:
    """A stencil shape: its name, and (read when a shape first needs them) the cells and
    text that shapes made from it inherit."""

    def __init__(self, name: str, part: str, drawing: _Drawing):
        self.name, self.part, self.drawing = name, part, drawing

    @cached_property
    def shape(self) -> Element | None:
        if not self.part:
            return None
        return next(self.drawing.xml(self.part).iter(f"{NS}Shape"), None)

    @cached_property
    def cells(self) -> dict[str, Element]:
        return _cells(self.shape)

    @cached_property
    def text(self) -> str:
        return _text(self.shape)


# -- shapes ----------------------------------------------------------------------------------
@dataclass
class _Shape:
    id: str
    element: Element
    master: _Master | None
    #: the shape whose role this one shares: itself, or for a part of a master's group (no
    #: master of its own) the group
    owner: str
    #: the outermost group it is in (itself at the top): where it sits on the page
    top: str
    text: str = ""
    #: see :func:`known_as`
    role: str = ""
    symbol: Symbol | None = None
    #: its kind in the notes: the master's name, or "shape without master"
    label: str = ""

    @cached_property
    def cells(self) -> dict[str, Element]:
        """The cells it sets itself, by name."""
        return _cells(self.element)

    def cell(self, name: str) -> Element | None:
        """Its cell ``name``, else the one its master gives it."""
        found = self.cells.get(name)
        return self.master.cells.get(name) if found is None and self.master else found

    def number(self, name: str) -> float | None:
        cell = self.cell(name)
        try:
            return float(cell.get("V", "")) if cell is not None else None
        except ValueError:
            return None

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(left, bottom, right, top) on the page, rotation ignored; None without geometry."""
        x, y, w, h = (self.number(n) for n in ("PinX", "PinY", "Width", "Height"))
        if x is None or y is None or w is None or h is None:
            return None
        lx, ly = self.number("LocPinX"), self.number("LocPinY")
        left, bottom = x - (w / 2 if lx is None else lx), y - (h / 2 if ly is None else ly)
        return left, bottom, left + w, bottom + h

    def hyperlink(self) -> str:
        """The page a hyperlink of the shape leads to (an off-page reference's other end)."""
        for section in self.element.findall(f"{NS}Section"):
            if section.get("N") == "Hyperlink":
                for cell in section.iter(f"{NS}Cell"):
                    if cell.get("N") == "SubAddress" and cell.get("V"):
                        return cell.get("V", "").split("/")[0].strip()
        return ""


def _cells(element: Element | None) -> dict[str, Element]:
    if element is None:
        return {}
    return {cell.get("N", ""): cell for cell in element.findall(f"{NS}Cell")}


def _text(element: Element | None) -> str:
    text = element.find(f"{NS}Text") if element is not None else None
    return " ".join("".join(text.itertext()).split()) if text is not None else ""


@dataclass
class _Reference:
    """An on- or off-page reference that is a step: what pairs it with its other end."""

    page: _Page
    shape_id: str
    #: its text, case folded: both ends of a reference carry the same
    key: str
    #: the page its hyperlink leads to
    link: str
    off_page: bool
    into: bool
    out: bool


class _Page:
    """One page: its shapes, classified; read into the builder as a process."""

    def __init__(self, pid: str, name: str, root: Element, drawing: _Drawing):
        self.pid, self.name, self.root, self.drawing = pid, name, root, drawing
        self.references: list[_Reference] = []
        #: shapes whose ID another shape of the page has already: left out
        self.duplicates = 0

    def _shapes(self) -> dict[str, _Shape]:
        drawn: dict[str, _Shape] = {}
        top = self.root.find(f"{NS}Shapes")
        # (element, owner, top); groups nest <Shapes>, walked without recursion
        stack = [(s, "", "") for s in reversed(top.findall(f"{NS}Shape"))] \
            if top is not None else []
        while stack:
            element, owner, outer = stack.pop()
            sid = element.get("ID", "")
            master_id = element.get("Master")
            master = self.drawing.masters.get(master_id) if master_id else None
            own = not owner or master_id is not None
            shape = _Shape(sid, element, master if own else None, sid if own else owner,
                           outer or sid, _text(element))
            if own:
                name = master.name if master else _COPY.sub("", element.get("NameU") or "")
                shape.role, shape.symbol = known_as(name)
                shape.label = name if master or shape.role else "shape without master"
                shape.text = shape.text or (master.text if master else "")
            if sid in drawn:
                self.duplicates += 1
                continue
            drawn[sid] = shape
            inner = element.find(f"{NS}Shapes")
            if inner is not None:
                stack.extend((s, shape.owner, shape.top)
                             for s in reversed(inner.findall(f"{NS}Shape")))
        for shape in drawn.values():  # a group's text may sit on one of its parts
            if shape.owner != shape.id and shape.text and not drawn[shape.owner].text:
                drawn[shape.owner].text = shape.text
        return drawn

    def _glue(self, drawn: dict[str, _Shape]) -> dict[str, list[str]]:
        """connector id -> [begin owner, end owner] ("" where not glued)."""
        ends: dict[str, list[str]] = {}
        connects = self.root.find(f"{NS}Connects")
        for connect in connects.iter(f"{NS}Connect") if connects is not None else ():
            end = {"BeginX": 0, "EndX": 1}.get(connect.get("FromCell", ""))
            to = drawn.get(connect.get("ToSheet", ""))
            connector = connect.get("FromSheet", "")
            if end is None or to is None or connector not in drawn:
                continue
            ends.setdefault(drawn[connector].owner, ["", ""])[end] = to.owner
        return ends

    def read(self, build: FlowchartBuilder, result: LoaderResult) -> bool:
        """Read the page into ``build``; False when it holds nothing of a flowchart."""
        drawn = self._shapes()
        glue = self._glue(drawn)
        own = [s for s in drawn.values() if s.owner == s.id]
        connectors = [s for s in own if s.role == CONNECTOR or s.id in glue]
        lines = {s.id for s in connectors}
        degree: Counter[tuple[str, int]] = Counter()
        for begin, end in glue.values():
            if begin and end:  # (shape, 0): a flow leaves it, (shape, 1): one comes in
                degree[(begin, 0)] += 1
                degree[(end, 1)] += 1
        skipped: Counter[str] = Counter()
        docs: dict[str, str] = {}
        kept: list[tuple[_Shape, Symbol]] = []
        lanes = [s for s in own if s.role == LANE]
        candidates = [s for s in own if s.id not in lines and s.role != LANE]
        if not candidates and not lanes:
            result.note(f"page {self.name!r} holds no flowchart shapes: skipped")
            return False
        build.process(self.pid, self.name, self.pid)
        for shape in candidates:
            linked = degree[(shape.id, 0)] + degree[(shape.id, 1)] > 0
            if shape.role in (FRAME, shapes.DECORATION) or not (shape.text or linked) or (
                    not shape.role and not linked):
                skipped[shape.label] += 1
                continue
            found = shape.symbol or shapes.TASK
            if found.role != shapes.DOCUMENT:
                kept.append((shape, found))
            elif shape.text:
                docs[shape.id] = build.document(shape.text, found.kind, self._ref(shape))
            else:  # a document's uid is its name, shared by every map: none to give
                skipped[shape.label] += 1
        steps = self._steps(build, kept, glue)
        self._departments(build, result, drawn, lanes, steps)
        loose: Counter[str] = Counter()
        for connector in connectors:
            begin, end = glue.get(connector.id, ["", ""])
            ref = self._ref(connector)
            if begin in steps and end in steps:
                build.flow(self.pid, begin, end, ref, connector.text or None)
            elif begin in steps and end in docs:
                build.produces(steps[begin], docs[end], ref)
            elif begin in docs and end in steps:
                build.uses(steps[end], docs[begin], ref)
            else:
                loose["not glued at both ends" if not (begin and end)
                      else "not joining two flowchart shapes"] += 1
        self._summary(result, skipped, loose)
        return True

    def _steps(self, build: FlowchartBuilder, kept: list[tuple[_Shape, Symbol]],
               glue: dict[str, list[str]]) -> dict[str, str]:
        """The steps, shape id -> uid, read as every diagram loader reads them: a symbol that
        is a start or an end by its flows is told by the flows between steps, an unlabelled
        step is named by its kind and its number on the page ("Decision 2")."""
        ids = {shape.id for shape, _ in kept}
        flows: Counter[tuple[str, int]] = Counter()  # (shape, 0): flows out, (shape, 1): in
        for begin, end in glue.values():
            if begin in ids and end in ids:
                flows[(begin, 0)] += 1
                flows[(end, 1)] += 1
        steps: dict[str, str] = {}
        unnamed: Counter[str] = Counter()
        for shape, found in kept:
            into, out = flows[(shape.id, 1)], flows[(shape.id, 0)]
            kind = shapes.step_kind(found.kind, into, out)
            name = shape.text
            if not name:
                title = shapes.untitled(kind, found.title)
                unnamed[title] += 1
                name = f"{title} {unnamed[title]}"
            steps[shape.id] = build.step(self.pid, shape.id, name, kind, self._ref(shape))
            if shape.role == REFERENCE:
                self.references.append(_Reference(
                    self, shape.id, shape.text.casefold(), shape.hyperlink(),
                    shape.label.strip().lower() == OFF_PAGE, into > 0, out > 0))
        return steps

    def _summary(self, result: LoaderResult, skipped: Counter[str], loose: Counter[str]
                 ) -> None:
        """One note for what the page leaves out, counted by kind."""
        parts = []
        if skipped:
            parts.append(f"{_count(skipped.total(), 'shape')} not in the flow ("
                         + ", ".join(f"{label}: {n}" for label, n in sorted(skipped.items()))
                         + ")")
        parts += [f"{_count(n, 'connector')} {why}" for why, n in sorted(loose.items())]
        if self.duplicates:
            parts.append(f"{_count(self.duplicates, 'shape')} with an ID used before on the "
                         "page")
        if parts:
            result.note(f"page {self.name!r}: skipped {'; '.join(parts)}")

    def _departments(self, build: FlowchartBuilder, result: LoaderResult,
                     drawn: dict[str, _Shape], lanes: list[_Shape],
                     steps: dict[str, str]) -> None:
        """Each lane a department (inside the lane that contains it), performing the steps
        it contains: by the container relationships Visio records (on the member or on the
        lane), else by where the step sits."""
        if not lanes:
            return
        lane_ids = {lane.id for lane in lanes}
        containers: dict[str, set[str]] = {}
        for shape in drawn.values():
            cell = shape.cell("Relationships") if shape.owner == shape.id else None
            kind = ""
            for match in _DEPENDS.finditer(cell.get("F", "") if cell is not None else ""):
                if match.group(1):
                    kind = match.group(1)
                elif kind == _CONTAINERS and match.group(2) in lane_ids:
                    containers.setdefault(shape.id, set()).add(match.group(2))
                elif kind == _MEMBERS and shape.id in lane_ids and match.group(2) in drawn:
                    containers.setdefault(drawn[match.group(2)].owner, set()).add(shape.id)
        names: dict[str, str] = {}
        for number, lane in enumerate(lanes, start=1):
            names[lane.id] = lane.text or f"{lane.label} {number}"
        for lane in lanes:
            outer = _innermost(containers.get(lane.id, set()) - {lane.id}, containers)
            build.department(names[lane.id], self._ref(lane),
                             parent=names[outer] if outer else None)
        placed = [(lane.id, box) for lane in lanes if lane.id == lane.top
                  and (box := lane.bounds()) is not None]
        if len(placed) > MAX_PLACED_LANES:
            result.note(f"page {self.name!r}: {len(placed)} lanes, over the "
                        f"{MAX_PLACED_LANES} whose shapes are found by where they sit: only "
                        "the members the lanes record are theirs")
            placed = []
        for sid, uid in steps.items():
            performer = _innermost(containers.get(sid, set()), containers)
            if performer is None and placed:
                performer = _placed(drawn[drawn[sid].top], placed)
            if performer is not None:
                build.performs(names[performer], uid, self._ref(drawn[sid]))

    def _ref(self, shape: _Shape) -> str:
        return f"{self.pid}/{shape.id}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _innermost(lanes: set[str], containers: dict[str, set[str]]) -> str | None:
    """Of the lanes a shape is in, the one inside the others (a lane in a pool)."""
    return max(sorted(lanes), key=lambda lane: len(containers.get(lane, ())), default=None)


def _placed(shape: _Shape, placed: list[tuple[str, tuple[float, float, float, float]]]
            ) -> str | None:
    """The smallest lane whose bounds hold the shape's pin."""
    x, y = shape.number("PinX"), shape.number("PinY")
    if x is None or y is None:
        return None
    inside = [((box[2] - box[0]) * (box[3] - box[1]), lane) for lane, box in placed
              if box[0] <= x <= box[2] and box[1] <= y <= box[3]]
    return min(inside)[1] if inside else None


def _join_pages(build: FlowchartBuilder, pages: list[_Page]) -> None:
    """A flow into an on- or off-page reference continues from its other end: the reference
    of the same text that has flows out, on the same page for an on-page reference, on
    another for an off-page one, else the off-page reference on the page its hyperlink names
    that links back."""
    here: dict[tuple[str, str], _Reference] = {}
    elsewhere: dict[str, list[_Reference]] = {}
    by_link: dict[tuple[str, str], _Reference] = {}
    for page in pages:
        for ref in page.references:
            if not ref.out:
                continue
            if ref.key and not ref.off_page:
                here.setdefault((page.pid, ref.key), ref)
            elif ref.key:
                # the first two suffice: one of them is on another page than any given one
                ends = elsewhere.setdefault(ref.key, [])
                if len(ends) < 2 and all(end.page is not page for end in ends):
                    ends.append(ref)
            if ref.off_page and ref.link:
                by_link.setdefault((page.name, ref.link), ref)
    for page in pages:
        for ref in page.references:
            if not ref.into:
                continue
            other: _Reference | None
            if not ref.off_page:
                other = here.get((page.pid, ref.key)) if ref.key else None
            else:
                other = next((end for end in elsewhere.get(ref.key, ()) if end.page is not page),
                             None) if ref.key else None
                if other is None and ref.link:
                    other = by_link.get((ref.link, page.name))
            if other is None or other is ref:
                continue
            build.link(build.step_uid(page.pid, ref.shape_id),
                       build.step_uid(other.page.pid, other.shape_id), f"{page.pid}/{ref.shape_id}",
                       f"continued on {other.page.name}" if other.page is not page else None)
