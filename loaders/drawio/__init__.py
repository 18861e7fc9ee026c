"""draw.io / diagrams.net diagrams (``.drawio``, ``.xml``), compressed or not, every page.

Each page is told apart first (:mod:`.kind`): a flowchart loads as a process
(:mod:`.process`: steps by their symbol in the Flowchart, BPMN, UML activity or basic
palettes, flows, departments, documents, parties); an org chart, class diagram, table, list or
concept map is not a process and is refused with what it looks like, unless the person says
what it is (``--as flowchart`` loads any page as a process, ``--as orgchart`` as people and
departments with reporting lines: :mod:`.orgchart`; ``--as orgchart --of PARTY`` as that
party's contacts). A file with some pages of each loads its
flowcharts and notes the pages left out. What a page leaves out (text, pictures, icons,
unlabelled decoration) is summed up by kind in one note.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from erm_graph.errors import shown
from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.untrusted import LoadError, parse_xml

from .kind import FLOWCHART, ORGCHART, Verdict, what_it_is
from .orgchart import load_orgchart
from .page import Page
from .process import load_process

#: what ``--as`` may state
DIAGRAMS = (FLOWCHART, ORGCHART)


class DrawIO:
    format = "drawio"
    extensions = (".drawio", ".drawio.xml", ".xml")
    description = "draw.io / diagrams.net diagram"
    priority = 50

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        return path.is_file() and (b"<mxfile" in head or b"<mxGraphModel" in head)

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        stated = ctx.options.diagram
        if stated and stated not in DIAGRAMS:
            raise LoadError(f"--as {shown(stated)}: a draw.io diagram loads as one of "
                            f"{', '.join(DIAGRAMS)}")
        result = ctx.result(source)
        build = FlowchartBuilder(result)
        refused: list[tuple[Page, Verdict]] = []
        loaded = 0
        for pid, name, model in _pages(source, ctx, result, ctx.xml(source)):
            page = Page.of(pid, name, model)
            verdict = Verdict(stated, "stated") if stated else what_it_is(page)
            if verdict.kind == FLOWCHART:
                load_process(build, page)
            elif verdict.kind == ORGCHART and stated:
                load_orgchart(build, page, party=ctx.options.party)
            else:
                refused.append((page, verdict))
                continue
            loaded += 1
            if note := page.skipped_note():
                result.note(note)
        if refused and not loaded:
            raise LoadError(f"{source}: not a flowchart: "
                            + "; ".join(_refusal(page, verdict) for page, verdict in refused))
        for page, verdict in refused:
            result.note(f"not loaded: {_refusal(page, verdict)}")
        return result


LOADER = DrawIO()


def _refusal(page: Page, verdict: Verdict) -> str:
    what = "an org chart" if verdict.kind == ORGCHART else verdict.kind
    hint = ("load it as people and departments with reporting lines with --as orgchart, "
            "or as a process anyway with --as flowchart" if verdict.kind == ORGCHART
            else "load it as a process anyway with --as flowchart")
    return f"page {page.name!r} looks like {what} ({verdict.why}), not a process: {hint}"


def _pages(source: Path, ctx: LoadContext, result: LoaderResult, root: Element
           ) -> list[tuple[str, str, Element]]:
    if root.tag == "mxGraphModel":
        return [("page-1", source.stem, root)]
    if root.tag != "mxfile":
        raise LoadError(f"{source}: not a draw.io file: root element {shown(root.tag)}, "
                        "expected <mxfile> or <mxGraphModel>")
    pages = []
    for number, diagram in enumerate(root.findall("diagram"), start=1):
        pid = diagram.get("id") or f"page-{number}"
        name = diagram.get("name") or f"Page {number}"
        model = diagram.find("mxGraphModel")
        if model is None:
            text = (diagram.text or "").strip()
            if not text:
                result.note(f"page {name!r} is empty: skipped")
                continue
            try:
                raw = ctx.inflate(base64.b64decode(text), f"{source}: page {shown(name)}")
                xml = unquote(raw.decode("utf-8"))  # the format's own: URL-encoded UTF-8
            except (ValueError, UnicodeDecodeError) as exc:
                raise LoadError(f"{source}: page {shown(name)} is compressed but does not "
                                "decode (base64 + deflate + URL encoding): "
                                f"{shown(exc, 100, quote=False)}") from None
            # the page is text already: no --encoding applies to it
            model = parse_xml(xml.encode("utf-8"), f"{source} page {shown(name)}")
        pages.append((pid, name, model))
    return pages
