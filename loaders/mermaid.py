"""Mermaid flowcharts (``flowchart`` or ``graph``, any direction) from ``.mmd``/``.mermaid``.

Node shapes: ``{text}`` -> gateway; ``((text))``, ``(((text)))`` -> event (start when nothing
flows in, end when nothing flows out); ``[[text]]`` -> subprocess; ``[(text)]`` -> database
document; ``[/text/]``, ``[\\text\\]`` and other shapes -> task. An edge into a database is
PRODUCES, out of one USES. Edge labels (``-->|yes|``, ``-- yes -->``) become NEXT labels;
``subgraph`` blocks become departments performing the nodes declared inside them.

The text is read by a hand-written tokenizer that moves forward through each statement and
never backtracks: an upload is untrusted, and regular expressions over arrows backtrack
catastrophically (``a --`` followed by a long run of spaces). Every regular expression
left here is a single character class or a list of fixed strings, and every search starts where
the last one stopped, so reading takes time linear in the file's size.
"""

from __future__ import annotations

import re
from pathlib import Path

from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.untrusted import LoadError, peek_text

DIRECTIONS = ("TB", "TD", "BT", "RL", "LR")
SKIPPED = ("classDef", "class", "style", "click", "linkStyle", "direction")
SHAPES = [  # (open, close, kind), longest openers first
    ("(((", ")))", "event"), ("((", "))", "event"), ("([", "])", "event"), ("[[", "]]",
    "subprocess"), ("[(", ")]", "database"), ("{{", "}}", "task"), ("[/", "/]", "task"),
    ("[\\", "\\]", "task"), ("[/", "\\]", "task"), ("[\\", "/]", "task"), ("{", "}", "gateway"),
    ("[", "]", "task"), ("(", ")", "task"), (">", "]", "task"),
]
#: most relationships one arrow makes: ``a & b --> c & d`` makes 4, and a line of n nodes on
#: each side would make n * n (one long line, millions), so more is refused
MAX_FANOUT = 100
#: characters of the rest of a statement shown in a rejection
SHOWN = 60
_SPACE = re.compile(r"\s*")
_ID = re.compile(r"[A-Za-z0-9_.\-]+")
#: what ends the text of a ``-- text -->`` link: an arrow, or a bare ``>`` (no such link)
_TEXT_END = re.compile(r"-->|---|\.->|==>|===|>")


def _after_space(line: str, pos: int) -> int:
    """Where the blanks at ``pos`` end."""
    blanks = _SPACE.match(line, pos)
    return blanks.end() if blanks else pos


def _is_header(line: str) -> bool:
    """``flowchart`` or ``graph``, with an optional direction and ``;``."""
    words = line.split(";")[0].split()
    return (0 < len(words) <= 2 and words[0].lower() in ("flowchart", "graph")
            and (len(words) == 1 or words[1].upper() in DIRECTIONS))


class Mermaid:
    format = "mermaid"
    extensions = (".mmd", ".mermaid")
    description = "Mermaid flowchart"
    priority = 50

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        if not path.is_file():
            return False
        lines = [ln for ln in peek_text(head).splitlines()
                 if ln.strip() and not ln.strip().startswith("%%")]
        return bool(lines) and _is_header(lines[0])

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        lines = [ln.split("%%")[0] for ln in ctx.text(source).splitlines()]
        start = next((i for i, ln in enumerate(lines) if ln.strip()), None)
        if start is None or not _is_header(lines[start]):
            raise LoadError(f"{source}: line {1 if start is None else start + 1}: expected "
                            "'flowchart TD' (or graph, with TB, TD, BT, RL or LR): only "
                            "Mermaid flowcharts can be loaded")
        result = ctx.result(source)
        _flowchart(FlowchartBuilder(result), result, source, lines, start)
        return result


LOADER = Mermaid()


def _flowchart(build: FlowchartBuilder, result: LoaderResult, source: Path, lines: list[str],
               start: int) -> None:
    pid = "flowchart"
    build.process(pid, source.stem.replace("_", " "), "flowchart")
    nodes: dict[str, dict] = {}
    edges: list[tuple[str, str, str | None, int]] = []
    lanes: list[str] = []
    for number, raw in enumerate(lines[start + 1:], start=start + 2):
        for statement in raw.split(";"):
            line = statement.strip()
            if not line or line.split(None, 1)[0] in SKIPPED:
                continue
            if line.startswith("subgraph"):
                lanes.append(_lane(line[len("subgraph"):]))
                continue
            if line == "end":
                if lanes:
                    lanes.pop()
                continue
            _Statement(result, line, number, nodes, edges, lanes).read()
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
            result.note(f"{where}: edge {src} -> {dst} joins two databases: skipped")


def _lane(title: str) -> str:
    """A subgraph's department: ``id [Title]`` -> ``Title``, else the whole title."""
    title = title.strip()
    opened = title.find("[")
    if opened >= 0 and title.endswith("]"):
        title = title[opened + 1:-1]
    return title.strip().strip('"')


class _Closers:
    """The next place of each closing string in one statement. A statement is read left to
    right, so a search never needs to start before the last one found: each closer costs one
    scan of the statement, however many nodes try it."""

    def __init__(self, text: str):
        self.text = text
        self.found: dict[str, int] = {}

    def find(self, closer: str, start: int) -> int:
        at = self.found.get(closer)
        if at is None or 0 <= at < start:
            at = self.found[closer] = self.text.find(closer, start)
        return at


class _Statement:
    """One statement: groups of nodes joined by ``&``, linked by arrows."""

    def __init__(self, result: LoaderResult, line: str, number: int, nodes: dict, edges: list,
                 lanes: list[str]):
        self.result, self.line, self.number = result, line, number
        self.nodes, self.edges, self.lanes = nodes, edges, lanes
        self.closers = _Closers(line)

    def read(self) -> None:
        line, pos = self.line, 0
        previous: list[str] | None = None
        label: str | None = None
        while True:
            group, pos = self._group(pos)
            if group is None:
                return self._reject("Step", "node", "a node id, optionally with a shape such "
                                    "as A[text] or B{text}", pos)
            if previous is not None:
                if len(previous) * len(group) > MAX_FANOUT:
                    return self._reject("NEXT", "edge", f"at most {MAX_FANOUT} relationships "
                                        "from one arrow between groups joined by &", pos)
                self.edges += [(a, b, label, self.number) for a in previous for b in group]
            pos = _after_space(line, pos)
            if pos == len(line):
                return None
            link = self._link(pos)
            if link is None:
                return self._reject("NEXT", "edge", "an arrow such as -->, ---, -.->, ==> or "
                                    "-->|label|", pos)
            label, pos = link
            previous = group

    def _reject(self, label: str, field: str, expected: str, pos: int) -> None:
        rest = self.line[pos:pos + SHOWN + 1].strip()
        got = rest[:SHOWN] + "..." if len(rest) > SHOWN else rest
        self.result.reject(label, f"line {self.number}", field, expected, got)

    def _group(self, pos: int) -> tuple[list[str] | None, int]:
        """The ids of the nodes at ``pos`` joined by ``&``, and where they end."""
        group = []
        while True:
            found = self._node(_after_space(self.line, pos))
            if found is None:
                return None, pos
            nid, pos = found
            group.append(nid)
            after = _after_space(self.line, pos)
            if not self.line.startswith("&", after):
                return group, pos
            pos = after + 1

    def _node(self, pos: int) -> tuple[str, int] | None:
        """The id of the node at ``pos`` (recording its shape and label) and where it ends."""
        line = self.line
        m = _ID.match(line, pos)
        if not m:
            return None
        end = m.end()
        for arrow in ("--", "-."):  # an id stops where an arrow begins: a-->b
            cut = line.find(arrow, pos, end)
            if cut >= 0:
                end = cut
        if end == pos:
            return None
        nid, pos = line[pos:end], end
        info = self.nodes.setdefault(nid, {"label": None, "kind": None, "line": self.number,
                                           "lane": self.lanes[-1] if self.lanes else None})
        for opener, closer, kind in SHAPES:
            if line.startswith(opener, pos):
                close = self.closers.find(closer, pos + len(opener))
                if close < 0:
                    continue
                info["label"] = line[pos + len(opener):close].strip().strip('"')
                info["kind"] = kind
                pos = close + len(closer)
                break
        if line.startswith(":::", pos):  # a class name
            m = _ID.match(line, pos + 3)
            pos = m.end() if m else pos + 3
        return nid, pos

    def _link(self, pos: int) -> tuple[str | None, int] | None:
        """(label, end) of the arrow at ``pos``: ``-->``, ``---``, ``-.->``, ``-.-``,
        ``==>``, ``===`` (longer ones too, ``<`` before them, ``--o``, ``--x``), optionally
        with ``|label|``; or a ``-- label -->`` form. None: no arrow there."""
        line = self.line
        start = pos + 1 if line.startswith("<", pos) else pos
        end = _arrow(line, start)
        if end is not None:
            after = _after_space(line, end)
            if line.startswith("|", after):
                close = self.closers.find("|", after + 1)
                if close < 0:
                    return None
                return line[after + 1:close].strip().strip('"') or None, close + 1
            return None, end
        if start != pos or not line.startswith(("--", "-.", "=="), pos):
            return None
        text = _after_space(line, pos + 2)
        if text == len(line) or line[text] in "-=>|.":
            return None
        stop = _TEXT_END.search(line, text)
        if stop is None or stop.group() == ">":
            return None
        return line[text:stop.start()].strip().strip('"') or None, stop.end()


def _arrow(line: str, pos: int) -> int | None:
    """Where the arrow without text at ``pos`` ends, or None."""
    n = len(line)
    if line.startswith("-.", pos):  # dotted: -.-> -..-> -.-
        end = pos + 1
        while end < n and line[end] == ".":
            end += 1
        if end < n and line[end] == "-":
            return end + 2 if line.startswith(">", end + 1) else end + 1
        return None
    for char in "-=":
        end = pos
        while end < n and line[end] == char:
            end += 1
        run = end - pos
        if run >= 2 and line.startswith(">", end):
            return end + 1
        if run >= 3:
            return end
        if run == 2 and char == "-" and end < n and line[end] in "ox" and (
                end + 1 == n or not (line[end + 1].isalnum() or line[end + 1] in "_.-")):
            return end + 1
    return None
