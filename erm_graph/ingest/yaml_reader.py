"""The one reader of YAML and JSON documents a user hands in: mappings, relationship maps,
named-query headers.

``yaml.safe_load`` builds no objects it should not, but it is not bounded: 506 bytes of
nested aliases (a "billion laughs") expand to billions of nodes when the schema check or
``json.dumps`` walks them (until MemoryError), and a deeply nested document overflows
the composer's recursion (RecursionError). This reader counts while it composes, before any
object is built, and refuses a document past these limits with the place where it was:

- :data:`MAX_DEPTH` levels of nesting;
- :data:`MAX_ALIASES` aliases (``*name``) in one document;
- :data:`MAX_NODES` nodes once every alias is expanded (what a validator will walk).

Its errors quote no text of the document beyond a short, truncated token: line and column
locate the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from erm_graph.errors import shown
from erm_graph.ingest.untrusted import LoadError, decode

#: deepest nesting of mappings and lists; the model's documents need fewer than ten levels
MAX_DEPTH = 64
#: aliases (``*name``) one document may use
MAX_ALIASES = 1_000
#: nodes a document may hold with its aliases expanded: what the schema check walks
MAX_NODES = 1_000_000


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark: yaml.Mark | None):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _CountingLoader(yaml.SafeLoader):
    """A safe loader that counts depth and aliases while composing, and the expanded size
    of the composed document before constructing it."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def fetch_flow_collection_start(self, token_class: type) -> None:
        # the scanner reads a run of [ or { ahead of the composer, keeping one possible
        # key per level (quadratic), so the depth is checked here, before the scan goes on
        if self.flow_level >= MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # types-PyYAML leaves Parser.peek_event unannotated
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES:,} aliases", mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        if _expanded_size(node) > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES:,} values once its aliases are expanded",
                           node.start_mark)
        return super().construct_document(node)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of the document with every alias expanded, without expanding it: a node
    shared through aliases is sized once and counted at each use."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:  # depth is at most MAX_DEPTH: recursion is safe
        known = sizes.get(id(node))
        if known is None:
            if isinstance(node, yaml.SequenceNode):
                known = 1 + sum(size(child) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                known = 1 + sum(size(k) + size(v) for k, v in node.value)
            else:
                known = 1
            sizes[id(node)] = min(known, MAX_NODES + 1)
        return sizes[id(node)]

    return size(root)


def load_yaml(text: str, where: str) -> Any:
    """The document in ``text`` (None when empty); a :class:`LoadError` naming ``where``,
    the line and the column when it is not YAML or passes a limit."""
    loader = None
    try:
        loader = _CountingLoader(text)  # checks the characters already
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        if isinstance(exc, yaml.reader.ReaderError):
            at = f" at character {exc.position + 1:,}"
            problem = f"{exc.reason} #x{ord(exc.character):04x}" if isinstance(
                exc.character, str) else exc.reason
        raise LoadError(f"{where}: not valid YAML{at}: {shown(problem, 100, quote=False)}"
                        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_json(text: str, where: str) -> Any:
    """The JSON document in ``text``, held to the same nesting and size limits as YAML."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg}") from None
    except RecursionError:
        raise LoadError(f"{where}: not valid JSON: nested deeper than {MAX_DEPTH} levels"
                        ) from None
    depth, count = _measure(doc)
    if depth > MAX_DEPTH:
        raise LoadError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if count > MAX_NODES:
        raise LoadError(f"{where}: more than {MAX_NODES:,} values")
    return doc


def _measure(doc: Any) -> tuple[int, int]:
    """(deepest nesting, values) of a parsed JSON document, walked without recursion."""
    deepest, count = 0, 0
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        count += 1
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH or count > MAX_NODES:
            break
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest, count


# -- the app's own small YAML files: dashboards, watch rules, plans, questionnaires -----------
Spec = TypeVar("Spec", bound=BaseModel)


def read_yaml_file(path: Path, max_bytes: int) -> Any:
    """The document in the file ``path``, refused past ``max_bytes`` (before it is read) and
    held to the limits of :func:`load_yaml`; a :class:`LoadError` names the file."""
    where = str(path)
    if path.stat().st_size > max_bytes:
        raise LoadError(f"{where}: larger than {max_bytes} bytes")
    return load_yaml(decode(path.read_bytes(), where), where)


def read_spec(path: Path, schema: type[Spec], max_bytes: int) -> Spec:
    """The file ``path`` (see :func:`read_yaml_file`) checked against ``schema``; a
    :class:`LoadError` names the file and each field that is wrong."""
    raw = read_yaml_file(path, max_bytes)
    try:
        return schema.model_validate(raw)
    except PydanticError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg']}"
                    for e in exc.errors()]
        raise LoadError(f"{path}: " + "; ".join(problems)) from None


def files_by_name(*folders: Path | None) -> dict[str, Path]:
    """Name (stem) -> ``NAME.yaml`` of the folders, a later folder's file replacing an
    earlier one of the same name (the shipped files, then an admin's folder)."""
    found: dict[str, Path] = {}
    for folder in folders:
        if folder is not None and folder.is_dir():
            found.update({p.stem: p for p in sorted(folder.glob("*.yaml"))})
    return found
