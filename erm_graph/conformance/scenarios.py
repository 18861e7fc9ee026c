"""The openCypher TCK's scenarios as plain data, read with Cucumber's own Gherkin parser.

The TCK lives outside the project (``../shared/opencypher-tck`` in development, or the folder
named by ``ERM_TCK_DIR``); it is read, never copied. Scenario Outlines are expanded by the
Gherkin pickle compiler, so every example row is one :class:`Scenario`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from erm_graph.errors import ErmError
from erm_graph.settings import current

if TYPE_CHECKING:
    from gherkin.pickles.compiler import GherkinDocumentWithURI

#: where the TCK is looked for when ERM_TCK_DIR is not set: beside the project's checkout
DEFAULT_TCK = Path(__file__).resolve().parents[3] / "shared" / "opencypher-tck"


@dataclass
class Expected:
    """What the query under test must give: rows (a header and cells), or an error."""

    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    ordered: bool = False
    #: "ignoring element order for lists"
    lists_unordered: bool = False
    error: str | None = None  # e.g. "SyntaxError at compile time: UndefinedVariable"
    #: +nodes, -relationships, ... as the TCK counts them; None when not stated
    side_effects: dict[str, int] | None = None


@dataclass
class Scenario:
    feature: str  # the feature file, relative to features/ (clauses/match/Match1.feature)
    name: str
    line: int
    graph: str | None = None  # a named graph, or None for an empty one
    setup: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)  # name -> TCK value text
    query: str = ""
    expected: Expected = field(default_factory=Expected)
    #: control queries run after the query under test, each with its expected rows
    controls: list[tuple[str, Expected]] = field(default_factory=list)
    #: why this scenario cannot be played on any engine through erm-graph (procedures)
    unplayable: str | None = None

    @property
    def directory(self) -> str:
        return self.feature.rsplit("/", 1)[0]

    @property
    def key(self) -> str:
        return f"{self.feature}:{self.line} {self.name}"


def tck_dir() -> Path:
    return current().tck_dir or DEFAULT_TCK


def _table(step: Mapping[str, Any]) -> list[list[str]]:
    rows = step.get("argument", {}).get("dataTable", {}).get("rows", [])
    return [[cell["value"] for cell in row["cells"]] for row in rows]


def _doc(step: Mapping[str, Any]) -> str:
    arg = step.get("argument", {})
    if "docString" in arg:
        content: str = arg["docString"]["content"]
        return content
    # the single-line form: `When executing query: RETURN 1`
    text: str = step["text"]
    return text.split(":", 1)[1].strip()


def _outcome(text: str, step: Mapping[str, Any], into: Expected) -> None:
    if text.startswith("the result should be empty"):
        return
    if text.startswith("the result should be"):
        table = _table(step)
        into.columns, into.rows = table[0], table[1:]
        into.ordered = "in order" in text
        into.lists_unordered = "ignoring element order for lists" in text
    elif " should be raised at " in text:
        into.error = text.removeprefix("a ").removeprefix("an ")
    elif text.startswith("no side effects"):
        into.side_effects = {}
    elif text.startswith("the side effects should be"):
        into.side_effects = {name: int(count) for name, count in _table(step)}


def _scenario(feature: str, pickle: Mapping[str, Any]) -> Scenario:
    line = pickle["location"]["line"]
    sc = Scenario(feature=feature, name=pickle["name"], line=line)
    current = sc.expected
    for step in pickle["steps"]:
        text = step["text"]
        if text == "an empty graph" or text == "any graph":
            continue
        if text.startswith("the ") and text.endswith(" graph"):
            sc.graph = text.removeprefix("the ").removesuffix(" graph")
        elif text.startswith("having executed") or text.startswith("after having executed"):
            sc.setup.append(_doc(step))
        elif text.startswith("parameters are") or text.startswith("parameter values are"):
            sc.params = {name: value for name, value in _table(step)}
        elif text.startswith("there exists a procedure"):
            sc.unplayable = "needs a test procedure registered in the engine"
        elif text.startswith("executing query"):
            sc.query = _doc(step)
        elif text.startswith("executing control query"):
            current = Expected()
            sc.controls.append((_doc(step), current))
        else:
            _outcome(text, step, current)
    return sc


def scenarios(root: Path | None = None) -> Iterator[Scenario]:
    """Every scenario of the TCK under ``root`` (default :func:`tck_dir`), in file order."""
    try:
        from gherkin.parser import Parser
        from gherkin.pickles.compiler import Compiler
    except ImportError:  # pragma: no cover - the conformance extra is not installed
        raise ErmError("reading the TCK needs the Gherkin parser: pip install "
                       "'erm-graph[conformance]'") from None
    root = root or tck_dir()
    features = root / "features"
    if not features.is_dir():
        raise ErmError(f"no openCypher TCK at {root} (set ERM_TCK_DIR to its folder)")
    for path in sorted(features.rglob("*.feature")):
        document = cast("GherkinDocumentWithURI",
                        {**Parser().parse(path.read_text(encoding="utf-8")), "uri": str(path)})
        relative = path.relative_to(features).as_posix()
        for pickle in Compiler().compile(document):
            yield _scenario(relative, pickle)
