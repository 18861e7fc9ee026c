"""Real Microsoft Visio drawings (.vsdx), written by the tests: the corpus of the Visio loader.

A .vsdx is an Open Packaging zip: ``[Content_Types].xml``, the package's relationships
(``_rels/.rels``) leading to ``visio/document.xml``, whose relationships lead to the pages
(``visio/pages/pages.xml``, one ``pageN.xml`` each) and the masters (``visio/masters/``,
the stencil shapes a drawing uses, named by ``NameU`` as Visio names them). Shapes name their
master by ID and carry their cells (``PinX``, ``Width``, ``Relationships``, ...) and text;
connectors are shapes too, glued to their ends by the page's ``<Connects>``. The files written
here follow that layout as Visio 2013+ writes it, so LibreOffice opens them (a test converts
one to PDF when LibreOffice is installed).

:func:`corpus` writes the good files; :data:`EXPECTED` holds what each must load as, counted
by hand from the drawings below. :func:`hostile` writes the attacks.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

VISIO = "http://schemas.microsoft.com/office/visio/2012/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
VREL = "http://schemas.microsoft.com/visio/2010/relationships"
MIME = "application/vnd.ms-visio"
#: masters that are 1-D (lines): their instances carry begin and end points
LINES = {"Dynamic connector"}
#: the size a master gives its instances unless they set their own
SIZES = {"Functional band": (8.0, 2.0), "Swimlane": (8.0, 2.0), "CFF Container": (9.0, 6.0)}


@dataclass
class Page:
    """One page being drawn; shapes get IDs in the order they are added."""

    drawing: Drawing
    name: str
    background: bool = False
    shapes: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)
    next_id: int = 1
    #: where each shape is pinned, for drawing the connectors between them
    pins: dict[int, tuple[float, float]] = field(default_factory=dict)

    def shape(self, master: str | None, text: str = "", x: float = 1.0, y: float = 1.0,
              w: float | None = 1.0, h: float | None = 0.75, relationships: str = "",
              inner_text: str = "", hyperlink: str = "") -> int:
        """A shape of ``master`` (None: a shape drawn without one) pinned at (x, y); ``w``,
        ``h`` None: the master's size. ``inner_text``: text on a part of the group instead of
        on the shape itself (as a swimlane's header); ``hyperlink``: a page it links to."""
        sid = self._id()
        self.pins[sid] = (x, y)
        cells = [("PinX", x), ("PinY", y)]
        if w is not None and h is not None:
            cells += [("Width", w), ("Height", h), ("LocPinX", w / 2), ("LocPinY", h / 2)]
        body = "".join(f'<Cell N="{n}" V="{v:g}"/>' for n, v in cells)
        if relationships:
            body += f'<Cell N="Relationships" V="0" F={quoteattr(relationships)}/>'
        if hyperlink:
            body += ('<Section N="Hyperlink"><Row N="Row_1"><Cell N="Description" V=""/>'
                     f'<Cell N="SubAddress" V={quoteattr(hyperlink)}/></Row></Section>')
        if text:
            body += f"<Text>{escape(text)}</Text>"
        kind = "Shape"
        if inner_text:
            kind = "Group"
            body += (f'<Shapes><Shape ID="{self._id()}" Type="Shape" MasterShape="6">'
                     f'<Cell N="PinX" V="0.2"/><Text>{escape(inner_text)}</Text></Shape>'
                     "</Shapes>")
        self.shapes.append(self._open(sid, master, kind) + body + "</Shape>")
        return sid

    def connect(self, a: int | None, b: int | None, text: str = "") -> int:
        """A dynamic connector from shape ``a`` to ``b`` (None: that end not glued)."""
        sid = self._id()
        (bx, by), (ex, ey) = (self.pins.get(a, (0.0, 0.0)) if a is not None else (0.0, 0.0),
                              self.pins.get(b, (1.0, 0.0)) if b is not None else (1.0, 0.0))
        w, h = ex - bx, ey - by
        cells = [("PinX", (bx + ex) / 2), ("PinY", (by + ey) / 2), ("Width", w), ("Height", h),
                 ("LocPinX", w / 2), ("LocPinY", h / 2), ("BeginX", bx), ("BeginY", by),
                 ("EndX", ex), ("EndY", ey), ("ObjType", 2)]
        body = ("".join(f'<Cell N="{n}" V="{v:g}"/>' for n, v in cells)
                + '<Section N="Geometry" IX="0"><Row T="MoveTo" IX="1"><Cell N="X" V="0"/>'
                f'<Cell N="Y" V="0"/></Row><Row T="LineTo" IX="2"><Cell N="X" V="{w:g}"/>'
                f'<Cell N="Y" V="{h:g}"/></Row></Section>')
        if text:
            body += f"<Text>{escape(text)}</Text>"
        self.shapes.append(self._open(sid, "Dynamic connector", "Shape") + body + "</Shape>")
        for cell, part, end in (("BeginX", 9, a), ("EndX", 12, b)):
            if end is not None:
                self.connects.append(f'<Connect FromSheet="{sid}" FromCell="{cell}" '
                                     f'FromPart="{part}" ToSheet="{end}" ToCell="PinX" '
                                     'ToPart="3"/>')
        return sid

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _open(self, sid: int, master: str | None, kind: str) -> str:
        if master is None:
            return f'<Shape ID="{sid}" NameU="Sheet.{sid}" Name="Sheet.{sid}" Type="{kind}">'
        mid = self.drawing.master(master)
        return (f'<Shape ID="{sid}" NameU={quoteattr(f"{master}.{sid}")} '
                f'Name={quoteattr(f"{master}.{sid}")} Type="{kind}" Master="{mid}">')

    def xml(self) -> str:
        connects = f"<Connects>{''.join(self.connects)}</Connects>" if self.connects else ""
        return (f'<?xml version="1.0" encoding="utf-8"?><PageContents xmlns="{VISIO}" '
                f'xmlns:r="{R}" xml:space="preserve"><Shapes>{"".join(self.shapes)}</Shapes>'
                f"{connects}</PageContents>")


@dataclass
class Drawing:
    """A .vsdx being drawn: its pages and the masters they use."""

    pages: list[Page] = field(default_factory=list)
    masters: dict[str, int] = field(default_factory=dict)

    def page(self, name: str, background: bool = False) -> Page:
        page = Page(self, name, background)
        self.pages.append(page)
        return page

    def master(self, name: str) -> int:
        return self.masters.setdefault(name, len(self.masters) + 2)

    def parts(self, page_xml: dict[int, str] | None = None) -> dict[str, str]:
        """Every part of the package by name; ``page_xml`` replaces pages' XML by number."""
        parts = {
            "_rels/.rels": _rels([("rId1", f"{VREL}/document", "visio/document.xml"),
                                  ("rId2", f"{PACKAGE}/metadata/core-properties",
                                   "docProps/core.xml")]),
            "docProps/core.xml": '<?xml version="1.0" encoding="utf-8"?><cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>erm-graph test drawing'
            "</dc:title></cp:coreProperties>",
            "visio/document.xml": f'<?xml version="1.0" encoding="utf-8"?><VisioDocument '
            f'xmlns="{VISIO}" xmlns:r="{R}" xml:space="preserve"><DocumentSettings '
            'TopPage="0" DefaultTextStyle="0" DefaultLineStyle="0" DefaultFillStyle="0" '
            'DefaultGuideStyle="0"/><Colors><ColorEntry IX="0" RGB="#000000"/></Colors>'
            '<FaceNames><FaceName NameU="Calibri" Name="Calibri"/></FaceNames><StyleSheets>'
            '<StyleSheet ID="0" NameU="No Style" Name="No Style"><Cell N="LineWeight" '
            'V="0.01"/><Cell N="LineColor" V="0"/><Cell N="FillForegnd" V="#ffffff"/>'
            '<Cell N="CharSize" V="0.1666666666666667"/></StyleSheet></StyleSheets>'
            "</VisioDocument>",
            "visio/_rels/document.xml.rels": _rels([
                ("rId1", f"{VREL}/masters", "masters/masters.xml"),
                ("rId2", f"{VREL}/pages", "pages/pages.xml")]),
        }
        masters, master_rels = [], []
        for name, mid in self.masters.items():
            number = mid - 1
            masters.append(f'<Master ID="{mid}" NameU={quoteattr(name)} Name={quoteattr(name)}'
                           f' IconSize="1" PatternFlags="0" Prompt="" Hidden="0"><PageSheet>'
                           f'<Cell N="PageScale" V="1"/></PageSheet><Rel r:id="rId{number}"/>'
                           "</Master>")
            master_rels.append((f"rId{number}", f"{VREL}/master", f"master{number}.xml"))
            parts[f"visio/masters/master{number}.xml"] = _master(name)
        parts["visio/masters/masters.xml"] = (f'<?xml version="1.0" encoding="utf-8"?><Masters'
                                              f' xmlns="{VISIO}" xmlns:r="{R}" xml:space='
                                              f'"preserve">{"".join(masters)}</Masters>')
        parts["visio/masters/_rels/masters.xml.rels"] = _rels(master_rels)
        pages, page_rels = [], []
        for number, page in enumerate(self.pages, start=1):
            background = ' Background="1"' if page.background else ""
            pages.append(f'<Page ID="{number - 1}" NameU={quoteattr(page.name)} '
                         f'Name={quoteattr(page.name)}{background}><PageSheet><Cell '
                         'N="PageWidth" V="11"/><Cell N="PageHeight" V="8.5"/></PageSheet>'
                         f'<Rel r:id="rId{number}"/></Page>')
            page_rels.append((f"rId{number}", f"{VREL}/page", f"page{number}.xml"))
            parts[f"visio/pages/page{number}.xml"] = (page_xml or {}).get(number, page.xml())
            parts[f"visio/pages/_rels/page{number}.xml.rels"] = _rels([
                (f"rId{mid - 1}", f"{VREL}/master", f"../masters/master{mid - 1}.xml")
                for mid in self.masters.values()])
        parts["visio/pages/pages.xml"] = (f'<?xml version="1.0" encoding="utf-8"?><Pages '
                                          f'xmlns="{VISIO}" xmlns:r="{R}" xml:space="preserve">'
                                          f'{"".join(pages)}</Pages>')
        parts["visio/pages/_rels/pages.xml.rels"] = _rels(page_rels)
        parts["[Content_Types].xml"] = _content_types(parts)
        return parts

    def write(self, path: Path, page_xml: dict[int, str] | None = None) -> Path:
        path.write_bytes(package(self.parts(page_xml)))
        return path


def package(parts: dict[str, str | bytes]) -> bytes:
    """The zip of ``parts``, [Content_Types].xml first as Office writes it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(parts, key=lambda n: n != "[Content_Types].xml"):
            data = parts[name]
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return out.getvalue()


def _rels(rels: list[tuple[str, str, str]]) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="{PACKAGE}">'
            + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>'
                      for i, t, target in rels) + "</Relationships>")


def _content_types(parts: dict[str, str]) -> str:
    kinds = {"visio/document.xml": "drawing.main", "visio/pages/pages.xml": "pages",
             "visio/masters/masters.xml": "masters"}
    overrides = []
    for name in parts:
        kind = kinds.get(name) or ("page" if name.startswith("visio/pages/page") else
                                   "master" if name.startswith("visio/masters/master") else "")
        if kind and name.endswith(".xml"):
            overrides.append(f'<Override PartName="/{name}" ContentType="{MIME}.{kind}+xml"/>')
    overrides.append('<Override PartName="/docProps/core.xml" ContentType="application/'
                     'vnd.openxmlformats-package.core-properties+xml"/>')
    return (f'<?xml version="1.0" encoding="utf-8"?><Types xmlns="{TYPES}"><Default '
            'Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            + "".join(overrides) + "</Types>")


def _master(name: str) -> str:
    """A master's part: one shape of its default size (a rectangle outline, or a line)."""
    w, h = SIZES.get(name, (1.0, 0.75))
    if name in LINES:
        cells = ('<Cell N="ObjType" V="2"/><Cell N="BeginX" V="0"/><Cell N="BeginY" V="0"/>'
                 '<Cell N="EndX" V="1"/><Cell N="EndY" V="0"/>')
        geometry = ('<Row T="MoveTo" IX="1"><Cell N="X" V="0"/><Cell N="Y" V="0"/></Row>'
                    '<Row T="LineTo" IX="2"><Cell N="X" V="1"/><Cell N="Y" V="0"/></Row>')
    else:
        cells = (f'<Cell N="Width" V="{w:g}"/><Cell N="Height" V="{h:g}"/><Cell N="LocPinX" '
                 f'V="{w / 2:g}" F="Width*0.5"/><Cell N="LocPinY" V="{h / 2:g}" '
                 'F="Height*0.5"/>')
        geometry = "".join(
            f'<Row T="{"MoveTo" if i == 1 else "LineTo"}" IX="{i}"><Cell N="X" V="{x:g}" '
            f'F="Width*{x / w:g}"/><Cell N="Y" V="{y:g}" F="Height*{y / h:g}"/></Row>'
            for i, (x, y) in enumerate([(0, 0), (w, 0), (w, h), (0, h), (0, 0)], start=1))
    return (f'<?xml version="1.0" encoding="utf-8"?><MasterContents xmlns="{VISIO}" '
            f'xmlns:r="{R}" xml:space="preserve"><Shapes><Shape ID="5" Type="Shape" '
            f'LineStyle="0" FillStyle="0" TextStyle="0">{cells}<Section N="Geometry" IX="0">'
            f"{geometry}</Section></Shape></Shapes></MasterContents>")


# -- the corpus ---------------------------------------------------------------------------------
def orders() -> Drawing:
    """No swimlanes, two pages joined by an off-page reference, and a background page."""
    d = Drawing()
    p = d.page("Order intake")
    received = p.shape("Start/End", "Order received", 2, 10)
    check = p.shape("Process", "Check order", 2, 8.5)
    stock = p.shape("Decision", "In stock?", 2, 7)
    ship = p.shape("Process", "Ship order", 2, 5.5)
    done = p.shape("Start/End", "Done", 2, 4)
    to_back = p.shape("Off-page reference", "A", 4, 7, hyperlink="Backorder")
    form = p.shape("Document", "Order form", 0.5, 8.5)
    db = p.shape("Database", "Orders DB", 4, 5.5)
    p.shape(None, "Draft: to be reviewed", 6, 10)      # a text box: skipped
    p.connect(received, check)
    p.connect(check, stock)
    p.connect(stock, ship, "yes")
    p.connect(stock, to_back, "no")
    p.connect(ship, done)
    p.connect(form, check)                             # USES
    p.connect(ship, db)                                # PRODUCES
    q = d.page("Backorder")
    from_intake = q.shape("Off-page reference", "A", 1, 10, hyperlink="Order intake")
    order = q.shape("Process", "Order from supplier", 2, 9)
    send = q.shape("Data", "Send supplier order", 2, 8)
    wait = q.shape("Delay", "Wait for delivery", 2, 7)
    receive = q.shape("Predefined process", "Receive goods", 2, 6)
    unnamed = q.shape("Manual operation", "", 2, 5)    # unlabelled but in the flow
    back = q.shape("Start/End", "Back in stock", 2, 4)
    notes = q.shape("Multi-document", "Delivery notes", 4, 6)
    q.shape("Callout", "Ask finance first?", 5, 9)     # decoration: never a step
    q.shape("Process", "", 6, 2)                       # unlabelled and unconnected
    for a, b in ((from_intake, order), (order, send), (send, wait), (wait, receive),
                 (receive, unnamed), (unnamed, back)):
        q.connect(a, b)
    q.connect(receive, notes)                          # PRODUCES
    q.connect(back, None)                              # glued at one end only
    r = d.page("Background", background=True)
    r.shape("Title", "Company processes", 5, 8)
    return d


def claims() -> Drawing:
    """Cross-functional flowchart (Visio 2013+ lanes in a CFF container, their members
    recorded as container relationships) on one page; older functional bands (members by
    where they sit, sizes from the master) on the other; on-page references."""
    d = Drawing()
    p = d.page("Claim intake")
    # ids, in the order the shapes are added below: container 1, lanes 2 (its header part 3)
    # and 4, phase 5, then the steps from 6
    cs = "SUM(DEPENDSON(4,Sheet.2!SheetRef()))"
    cl = "SUM(DEPENDSON(4,Sheet.4!SheetRef()))"
    p.shape("CFF Container", "Claims handling", 5, 5, 9, 6,
            relationships="SUM(DEPENDSON(1,Sheet.2!SheetRef(),Sheet.4!SheetRef()))")
    p.shape("Swimlane", "", 5, 6.5, 8, 2, inner_text="Customer service",
            relationships="SUM(DEPENDSON(4,Sheet.1!SheetRef()),DEPENDSON(1,Sheet.6!SheetRef(),"
                          "Sheet.7!SheetRef(),Sheet.11!SheetRef(),Sheet.12!SheetRef()))")
    p.shape("Swimlane", "Claims", 5, 4.5, 8, 2,
            relationships="SUM(DEPENDSON(4,Sheet.1!SheetRef()))")
    p.shape("Phase", "Intake", 1, 8)
    received = p.shape("Start/End", "Claim received", 1.5, 6.5, relationships=cs)
    register = p.shape("Process", "Register claim", 3, 6.5)       # the lane lists it
    covered = p.shape("Decision", "Covered?", 3, 4.5, relationships=cl)
    pay = p.shape("Process", "Pay claim", 5, 4.5, relationships=cl)
    to_close = p.shape("On-page reference", "B", 6.5, 4.5, relationships=cl)
    reject = p.shape("Process", "Send rejection", 5, 6.5, relationships=cs)
    form = p.shape("Document", "Claim form", 3, 7.2, relationships=cs)
    from_pay = p.shape("On-page reference", "B", 7.5, 5.2, relationships=cl)
    closed = p.shape("Start/End", "Closed", 8, 4.5, relationships=cl)
    p.connect(received, register)
    p.connect(register, covered)
    p.connect(covered, pay, "Yes")
    p.connect(covered, reject, "No")
    p.connect(pay, to_close)
    p.connect(from_pay, closed)
    p.connect(reject, closed)
    p.connect(form, register)                          # USES
    p.connect(reject, 4)                               # glued to a lane: not a flow
    q = d.page("Review")
    q.shape("Functional band", "Claims", 4, 5, None, None)       # 8 x 2 from its master
    q.shape("Functional band", "Finance", 4, 3, None, None)
    review = q.shape("Process", "Review payment", 2, 3)
    approve = q.shape("Process", "Approve payment", 5, 5.5)
    outside = q.shape("Process", "Archive", 10, 9)      # in no lane
    q.connect(review, approve)
    q.connect(approve, outside)
    return d


def lane_by_relationship() -> Drawing:
    """A step drawn over one lane that Visio records as a member of the other: the recorded
    membership wins over where it sits."""
    d = Drawing()
    p = d.page("Moved")
    p.shape("Swimlane", "Sales", 4, 5, 8, 2)
    p.shape("Swimlane", "Billing", 4, 3, 8, 2)
    p.shape("Process", "Send invoice", 2, 5,
            relationships="SUM(DEPENDSON(4,Sheet.2!SheetRef()))")
    return d


#: file -> what it loads as: processes, steps (by kind), NEXT, documents (by kind), USES,
#: PRODUCES, departments, PERFORMS, notes
EXPECTED: dict[str, dict[str, object]] = {
    "orders.vsdx": {
        "processes": 2,
        "steps": {"start": 1, "task": 5, "gateway": 1, "event": 3, "end": 2, "subprocess": 1},
        "next": 12, "documents": {"document": 2, "database": 1}, "uses": 1, "produces": 2,
        "departments": 0, "performs": 0, "notes": 3},
    "claims.vsdx": {
        "processes": 2,
        "steps": {"start": 1, "task": 6, "gateway": 1, "event": 2, "end": 1},
        "next": 10, "documents": {"document": 1}, "uses": 1, "produces": 0,
        "departments": 3, "performs": 10, "notes": 1},
    "moved.vsdx": {
        "processes": 1, "steps": {"task": 1}, "next": 0, "documents": {}, "uses": 0,
        "produces": 0, "departments": 2, "performs": 1, "notes": 0},
}


def corpus(folder: Path) -> dict[str, Path]:
    """Write the good drawings into ``folder``: name -> path."""
    drawings = {"orders.vsdx": orders(), "claims.vsdx": claims(),
                "moved.vsdx": lane_by_relationship()}
    return {name: drawing.write(folder / name) for name, drawing in drawings.items()}


# -- attacks ------------------------------------------------------------------------------------
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
          + f']><PageContents xmlns="{VISIO}"><Shapes><Shape ID="1"><Text>&lol9;</Text>'
          "</Shape></Shapes></PageContents>")


def hostile(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write the attacks into ``folder``: name -> (path, what the refusal must say)."""
    good = orders().parts()
    files: dict[str, tuple[bytes, str]] = {}
    # 60 MB of page XML in well under 100 KB: past 100 times the file's size
    bomb = dict(good)
    bomb["visio/pages/page1.xml"] = good["visio/pages/page1.xml"].replace(
        "<Shapes>", "<Shapes>" + " " * 60_000_000, 1)
    files["zip-bomb.vsdx"] = (package(bomb), "decompression bomb")
    many = {**good, **{f"visio/media/m{i}.bin": b"" for i in range(10_001)}}
    files["many-entries.vsdx"] = (package(many), "zip entries")
    # the same, its end record stating one entry: zipfile still finds them all
    files["understated-entries.vsdx"] = (_state_entries(package(many), 1), "zip entries")
    # a zip64 end record (read in place of the plain one) stating 20,000 entries
    files["zip64-entries.vsdx"] = (_zip64_entries(package(good), 20_000), "20,000 zip entries")
    files["traversal.vsdx"] = (package({**good, "../../evil.xml": "<x/>"}),
                               "outside the package")
    files["absolute.vsdx"] = (package({**good, "/etc/evil.xml": "<x/>"}), "outside the package")
    files["laughs.vsdx"] = (package({**good, "visio/pages/page1.xml": LAUGHS}),
                            "part visio/pages/page1.xml: refused hostile XML")
    files["broken-page.vsdx"] = (package({**good, "visio/pages/page2.xml": "<PageContents>"}),
                                 "part visio/pages/page2.xml: not well-formed XML")
    files["not-a-zip.vsdx"] = (b"PK\x03\x04 this is no zip at all", "not a Visio .vsdx drawing")
    no_pages = {k: v for k, v in good.items() if k != "visio/pages/pages.xml"}
    files["no-pages.vsdx"] = (package(no_pages), "part 'visio/pages/pages.xml' is missing")
    rels_out = dict(good)
    rels_out["visio/pages/_rels/pages.xml.rels"] = _rels([("rId1", f"{VREL}/page",
                                                           "../../../secret.xml")])
    files["rels-outside.vsdx"] = (package(rels_out), "leads outside the package")
    return {name: (_write(folder / name, data), expected)
            for name, (data, expected) in files.items()}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _state_entries(data: bytes, entries: int) -> bytes:
    """``data`` with its zip end record stating ``entries`` entries."""
    end = data.rfind(b"PK\x05\x06")
    return data[:end + 8] + struct.pack("<HH", entries, entries) + data[end + 12:]


# -- large drawings, for the linear-time tests (tests/test_security_parsers.py) ----------------
def flow_of(n: int) -> Drawing:
    """One page of ``n`` processes, each joined to the next, in one lane that lists them all
    and each names (container relationships both ways)."""
    d = Drawing()
    p = d.page("Long")
    lane = p.shape("Swimlane", "Sales", 4, 4, 8, 8, relationships="SUM(DEPENDSON(1,"
                   + ",".join(f"Sheet.{i + 2}!SheetRef()" for i in range(n)) + "))")
    previous = None
    for i in range(n):
        sid = p.shape("Process", f"Step {i} " + "x" * 20, 1 + i % 7, 1 + i % 5,
                      relationships=f"SUM(DEPENDSON(4,Sheet.{lane}!SheetRef()))")
        if previous is not None:
            p.connect(previous, sid, "go")
        previous = sid
    return d


def lanes_of(n: int) -> Drawing:
    """100 lanes (as many as are searched by where shapes sit) and ``n`` shapes among them."""
    d = Drawing()
    p = d.page("Lanes")
    for i in range(100):
        p.shape("Swimlane", f"Lane {i}", 4, i * 2 + 1, 8, 2)
    for i in range(n):
        p.shape("Process", f"Step {i}", 2, (i % 200) + 0.5)
    return d


def references_of(n: int) -> Drawing:
    """``n`` pages, each ending in an off-page reference "A" and starting from one."""
    d = Drawing()
    for i in range(n):
        p = d.page(f"Page {i}")
        start = p.shape("Off-page reference", "A", 1, 1, hyperlink=f"Page {i - 1}")
        step = p.shape("Process", f"Step {i}", 2, 2)
        end = p.shape("Off-page reference", "A", 3, 3, hyperlink=f"Page {i + 1}")
        p.connect(start, step)
        p.connect(step, end)
    return d


def nested_groups(depth: int) -> Drawing:
    """A process inside ``depth`` groups, one inside another."""
    d = Drawing()
    p = d.page("Nested")
    p.shapes.append("".join(f'<Shape ID="{i + 10}" Type="Group"><Shapes>' for i in range(depth))
                    + f'<Shape ID="1" Master="{d.master("Process")}"><Text>Deep</Text></Shape>'
                    + "</Shapes></Shape>" * depth)
    return d


def _zip64_entries(data: bytes, entries: int) -> bytes:
    """``data`` with a zip64 end record and its locator before the plain end record, stating
    ``entries`` entries in a directory of a megabyte."""
    end = data.rfind(b"PK\x05\x06")
    (directory_at,) = struct.unpack_from("<L", data, end + 16)
    record = struct.pack("<4sQHHLLQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries,
                         2**20, directory_at)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    return data[:end] + record + locator + data[end:]
