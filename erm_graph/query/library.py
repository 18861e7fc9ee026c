"""The named query library: one query per ``.cypher`` file in ``cypher/``, each with a header.

A file starts with a header of ``//`` comment lines holding YAML, then one Cypher statement::

    // name: customer-360
    // title: Customer 360
    // description: Everything we know about one party.
    // access: [officer, sales, cro]
    // audience: [officer]
    // read_only: true
    // params:
    //   uid: {type: string, required: true, example: cust-000001, help: the party's uid}
    //   limit: {type: integer, default: 25, min: 1}
    // chart: {kind: bar, x: name, y: [value]}
    MATCH (c:Party {uid: $uid}) ...

``access`` lists the roles (or groups, :data:`erm_graph.auth.roles.ROLE_GROUPS`) that may run
the query besides those that run every query (``query.named``); ``audience`` names whom it is
written for, which the queries page and the reference show. Both take only known roles, and
each role of the audience must be able to run the query.

A file under ``cypher/<engine>/`` (``falkordb`` or ``neo4j``) replaces its twin on that engine
only; it must declare the same name and parameters. The whole library is checked when it is
loaded: a header that does not parse, a parameter used in the Cypher but not declared (or the
reverse), a default of the wrong type, two statements in one file or a variable introduced by
two pattern comprehensions (an engine trap: :mod:`erm_graph.query.comprehensions`), an
unknown role in ``access``/``audience`` (named with its line), or a ``chart:`` naming a column
the query does not return (:mod:`erm_graph.query.charts`) stop the
load with one message that lists every problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from erm_graph.auth.roles import ROLE_GROUPS, ROLES, may_run_named, role_or_group
from erm_graph.auth.scope import SCOPE_PARAM
from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import LoadError, decode
from erm_graph.ingest.yaml_reader import load_yaml
from erm_graph.query.charts import Chart, parse_chart, return_columns
from erm_graph.query.comprehensions import reused_variables
from erm_graph.resources import shipped_dir

#: engine folders that may hold overrides, and the store engines each serves
ENGINE_DIRS: dict[str, tuple[str, ...]] = {
    "falkordb": ("falkordb", "embedded"),
    "neo4j": ("neo4j",),
}
PARAM_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "list[string]")
#: keyword arguments of :func:`erm_graph.query`; no query parameter may take these names
RESERVED_PARAMS = frozenset({"name", "db", "store", "timeout", "write", "library"})
_HEADER_KEYS = {"name", "title", "description", "access", "audience", "read_only", "params",
                "chart"}
_PARAM_KEYS = {"type", "required", "default", "example", "help", "min", "max", "choices"}
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PARAM_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def default_library_dir() -> Path:
    """The shipped ``cypher/`` folder (see :mod:`erm_graph.resources`)."""
    return shipped_dir("cypher")


class QueryLibraryError(ErmError):
    kind = "query_library"


class UnknownQuery(QueryLibraryError):
    """No query of that name: the web answers 404."""

    kind = "not_found"


class ParameterError(ErmError):
    kind = "parameter"


@dataclass(frozen=True)
class Param:
    """One declared parameter of a named query."""

    name: str
    type: str = "string"
    required: bool = False
    default: Any = None
    example: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] = ()

    def describe(self) -> str:
        """``uid (string, required): the party's uid``: one line for listings and errors."""
        bits = [self.type, "required" if self.required else f"default {self.default!r}"]
        if self.choices:
            bits.append("one of " + ", ".join(map(str, self.choices)))
        return f"{self.name} ({', '.join(bits)})" + (f": {self.help}" if self.help else "")

    def parse(self, text: str | Sequence[str], query: str) -> Any:
        """The value meant by ``text`` as typed on the command line (``-p name=text``), in a
        web form or a query string; :meth:`bind` then checks and converts it.

        Only the declared type decides: ``007`` stays a string for a string parameter, and a
        list takes ``a,b``, a JSON list ``["a","b"]`` or repeated values (``?k=a&k=b``).
        """
        if self.type != "list[string]":
            return text if isinstance(text, str) else text[-1]
        if not isinstance(text, str):
            return [v for item in text for v in self.parse(item, query)]
        if not text.strip().startswith("["):
            return [v.strip() for v in text.split(",") if v.strip()]
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ParameterError(f"query {query!r}: parameter {self.name!r} must be "
                                 f"{_article(self.type)}, got {text!r}") from None

    def text(self, value: Any) -> str:
        """``value`` written as :meth:`parse` reads it back: how a web form shows a default."""
        if value is None:
            return ""
        if isinstance(value, list | tuple):
            return ",".join(map(str, value))
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def bind(self, value: Any, query: str) -> Any:
        """``value`` converted to this parameter's type (CLI text included), or a clear error."""
        if value is None:
            return None
        try:
            bound = _convert(self.type, value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"query {query!r}: parameter {self.name!r} must be {_article(self.type)}, got "
                f"{value!r}" + (f" (e.g. {self.name}={self.example})" if self.example else "")
            ) from None
        if self.choices and bound not in self.choices:
            raise ParameterError(f"query {query!r}: parameter {self.name!r} must be one of "
                                 f"{', '.join(map(str, self.choices))}; got {value!r}")
        if self.min is not None and bound < self.min or self.max is not None and bound > self.max:
            raise ParameterError(f"query {query!r}: parameter {self.name!r} must lie between "
                                 f"{self.min} and {self.max}; got {value!r}")
        return bound


def _article(type_name: str) -> str:
    return {"integer": "an integer", "list[string]": "a list of strings (a,b or [\"a\",\"b\"])",
            "date": "a date (YYYY-MM-DD)", "datetime": "a date-time (YYYY-MM-DDTHH:MM:SS)"
            }.get(type_name, f"a {type_name}")


def _convert(type_name: str, value: Any) -> Any:
    """Raise TypeError/ValueError when ``value`` does not fit ``type_name``."""
    if type_name == "string":
        if isinstance(value, bool | list | dict):
            raise TypeError
        return str(value)
    if type_name == "integer":
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise TypeError
        return int(value)
    if type_name == "number":
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise ValueError
    if type_name == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError
        return date.fromisoformat(value).isoformat()
    if type_name == "datetime":
        if isinstance(value, date):  # datetime is a date too
            return value.isoformat()
        if not isinstance(value, str):
            raise TypeError
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value
    if type_name == "list[string]":
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise TypeError
        return list(value)
    raise ValueError(type_name)


@dataclass(frozen=True)
class NamedQuery:
    """One query of the library, with its engine-specific variants."""

    name: str
    title: str
    description: str
    cypher: str
    path: Path
    params: dict[str, Param]
    #: roles or groups that may run it besides the roles that run every query (checked)
    access: tuple[str, ...] = ()
    #: the roles it is written for (documentation: the queries page, the reference)
    audience: tuple[str, ...] = ()
    read_only: bool = True
    #: how its rows are drawn, when they have a chart's shape (:mod:`erm_graph.query.charts`)
    chart: Chart | None = None
    #: engine folder name -> (path, cypher) of the override for that engine
    overrides: dict[str, tuple[Path, str]] = field(default_factory=dict)

    def cypher_for(self, engine: str) -> str:
        """The statement to run on a store whose ``engine`` is ``engine``."""
        for folder, engines in ENGINE_DIRS.items():
            if engine in engines and folder in self.overrides:
                return self.overrides[folder][1]
        return self.cypher

    def bind(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every declared parameter, from ``given`` or its default, converted to its type."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ParameterError(f"query {self.name!r} has no parameter "
                                 f"{', '.join(map(repr, unknown))}; its parameters: {known}")
        bound: dict[str, Any] = {}
        for param in self.params.values():
            if param.name in given and given[param.name] is not None:
                bound[param.name] = param.bind(given[param.name], self.name)
            elif param.required:
                example = f" -p {param.name}={param.example}" if param.example is not None else ""
                raise ParameterError(f"query {self.name!r} needs parameter "
                                     f"{param.describe()}{'; e.g.' + example if example else ''}")
            else:
                bound[param.name] = param.default
        return bound

    def parse(self, given: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
        """Parameters given as text (CLI, web form, query string) typed by their declaration;
        an empty text counts as not given. Names not declared are kept for :meth:`bind` to
        refuse."""
        typed: dict[str, Any] = {}
        for key, text in given.items():
            if text == "" or text == [] or text is None:
                continue
            param = self.params.get(key)
            typed[key] = param.parse(text, self.name) if param else text
        return typed

    def example_params(self) -> dict[str, Any]:
        """The declared examples (for docs, tests and the benchmark)."""
        return {p.name: p.example for p in self.params.values() if p.example is not None}


@dataclass(frozen=True)
class Library:
    """Every named query, by name."""

    queries: dict[str, NamedQuery]
    path: Path

    def get(self, name: str) -> NamedQuery:
        try:
            return self.queries[name]
        except KeyError:
            close = [n for n in self.queries if name in n or n in name]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownQuery(f"no named query {name!r} in {self.path}{hint} "
                                    "(`erm query list` shows them all)") from None

    def __iter__(self):
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.queries)


def strip_literals(cypher: str) -> str:
    """The statement with comments, string literals and quoted names blanked out."""
    out: list[str] = []
    i, n = 0, len(cypher)
    while i < n:
        ch = cypher[i]
        if cypher.startswith("//", i):
            end = cypher.find("\n", i)
            i = n if end < 0 else end
        elif cypher.startswith("/*", i):
            end = cypher.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif ch in "'\"`":
            j = i + 1
            while j < n and cypher[j] != ch:
                j += 2 if cypher[j] == "\\" else 1
            out.append(ch + ch)
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def split_header(text: str) -> tuple[str, str]:
    """(header YAML, Cypher body) of a query file."""
    lines = text.splitlines()
    header: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("//"):
            header.append(line[3:] if line.startswith("// ") else line[2:])
        elif line.strip() or header:
            return "\n".join(header), "\n".join(lines[i:]).strip()
    return "\n".join(header), ""


def parse_file(path: Path, problems: list[str]) -> NamedQuery | None:
    """One query file, or None after adding what is wrong with it to ``problems``."""
    where = str(path)
    try:
        text = decode(path.read_bytes(), where)
        head, body = split_header(text)
        meta = load_yaml(head, f"{where}: the header") or {}
    except LoadError as exc:
        problems.append(str(exc))
        return None
    if not isinstance(meta, dict):
        problems.append(f"{where}: the header must be `// key: value` lines")
        return None
    before = len(problems)
    if "roles" in meta:
        problems.append(f"{where}:{_header_line(text, 'roles')}: `roles:` is replaced by "
                        f"`access:` (the roles that may run the query, checked) and `audience:` "
                        f"(whom it is written for); see docs/queries.md")
    for key in sorted(set(meta) - _HEADER_KEYS - {"roles"}):
        problems.append(f"{where}: unknown header key {key!r} (known: "
                        f"{', '.join(sorted(_HEADER_KEYS))})")
    for key in ("name", "title", "description"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            problems.append(f"{where}: the header needs `{key}:` text")
    name = meta.get("name")
    if isinstance(name, str) and (not _NAME.match(name) or name != path.stem):
        problems.append(f"{where}: name {name!r} must be lower-case-with-dashes and equal the "
                        f"file name {path.stem!r}")
    params = _parse_params(where, meta.get("params") or {}, problems)
    if not body:
        problems.append(f"{where}: no Cypher statement after the header")
    bare = strip_literals(body).rstrip().rstrip(";")
    if ";" in bare:
        problems.append(f"{where}: one statement per file (found `;` inside)")
    used = set(_PARAM_REF.findall(bare))
    if SCOPE_PARAM in params:
        problems.append(f"{where}: ${SCOPE_PARAM} is given by the runner (a partner's scope), "
                        f"do not declare it")
    for missing in sorted(used - set(params) - {SCOPE_PARAM}):
        problems.append(f"{where}: ${missing} is used but not declared under params:")
    for unused in sorted(set(params) - used):
        problems.append(f"{where}: parameter {unused!r} is declared but never used")
    header_lines = text.count("\n", 0, text.find(body)) if body else 0
    for reuse in reused_variables(body):
        problems.append(f"{where}: {reuse.shifted(header_lines)}")
    read_only = meta.get("read_only", True)
    if not isinstance(read_only, bool):
        problems.append(f"{where}: read_only must be true or false")
    access = _role_list(where, text, meta, "access", problems)
    audience = _role_list(where, text, meta, "audience", problems)
    for role in audience:
        if role in ROLES and not may_run_named(role, access):
            problems.append(f"{where}:{_header_line(text, 'audience')}: the audience names "
                            f"{role!r}, which may not run the query: add it to `access:`")
    chart = None
    if meta.get("chart") is not None:
        line = next((i for i, ln in enumerate(text.splitlines(), 1)
                     if re.match(r"//\s*chart:", ln)), 0)
        chart = parse_chart(f"{where}:{line}" if line else where, meta["chart"],
                            return_columns(bare), problems)
    if len(problems) > before:
        return None
    return NamedQuery(name=meta["name"], title=meta["title"].strip(),
                      description=" ".join(meta["description"].split()),
                      cypher=body.rstrip().rstrip(";"), path=path, params=params,
                      access=access, audience=audience, read_only=read_only, chart=chart)


def _header_line(text: str, key: str) -> int:
    """The line of the file where the header's top-level ``key:`` stands."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("//"):
            continue
        if line[2:].removeprefix(" ").startswith(f"{key}:"):
            return number
    return 1


def _role_list(where: str, text: str, meta: dict, key: str,
               problems: list[str]) -> tuple[str, ...]:
    """The roles the header's ``key`` lists (``[a, b]`` or ``a, b``); unknown ones are added to
    ``problems`` with the line they stand on."""
    raw = meta.get(key) or []
    if isinstance(raw, str):
        raw = [r.strip() for r in raw.split(",") if r.strip()]
    if not isinstance(raw, list):
        problems.append(f"{where}:{_header_line(text, key)}: `{key}:` must list roles, "
                        f"e.g. [officer, sales]")
        return ()
    names = tuple(str(r) for r in raw)
    for name in names:
        if not role_or_group(name):
            problems.append(
                f"{where}:{_header_line(text, key)}: unknown role {name!r} in `{key}:`; roles: "
                f"{', '.join(ROLES)}; groups: {', '.join(sorted(ROLE_GROUPS))}")
    return names


def _parse_params(where: str, raw: Any, problems: list[str]) -> dict[str, Param]:
    if not isinstance(raw, dict):
        problems.append(f"{where}: params must map each name to its {{type, ...}}")
        return {}
    params: dict[str, Param] = {}
    for pname, spec in raw.items():
        spec = {"type": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict):
            problems.append(f"{where}: parameter {pname!r} needs {{type: ..., ...}}")
            continue
        for key in sorted(set(spec) - _PARAM_KEYS):
            problems.append(f"{where}: parameter {pname!r}: unknown key {key!r}")
        if pname in RESERVED_PARAMS:
            problems.append(f"{where}: parameter name {pname!r} is reserved by the Python API")
        ptype = spec.get("type", "string")
        if ptype not in PARAM_TYPES:
            problems.append(f"{where}: parameter {pname!r}: type {ptype!r} is not one of "
                            f"{', '.join(PARAM_TYPES)}")
            continue
        param = Param(name=str(pname), type=ptype, required=bool(spec.get("required", False)),
                      example=spec.get("example"), help=str(spec.get("help", "")),
                      min=spec.get("min"), max=spec.get("max"),
                      choices=tuple(spec.get("choices") or ()))
        for what in ("default", "example"):
            value = spec.get(what)
            if value is None:
                continue
            try:
                converted = param.bind(value, where)
            except ParameterError as exc:
                problems.append(f"{where}: {what} of {pname!r}: {exc}")
                continue
            if what == "default":
                param = Param(**{**param.__dict__, "default": converted})
        if param.required and param.default is not None:
            problems.append(f"{where}: parameter {pname!r} is required, so it takes no default")
        params[param.name] = param
    return params


def load_library(path: Path | str | None = None) -> Library:
    """Read and check every query under ``path`` (default: the project's ``cypher/``)."""
    root = Path(path) if path is not None else default_library_dir()
    return _load(root.resolve())


@lru_cache(maxsize=8)
def _load(root: Path) -> Library:
    if not root.is_dir():
        raise QueryLibraryError(f"no query library at {root}: expected a folder of .cypher "
                                "files (the project's cypher/)")
    problems: list[str] = []
    queries: dict[str, NamedQuery] = {}
    for file in sorted(root.glob("*.cypher")):
        query = parse_file(file, problems)
        if query is not None:
            queries[query.name] = query
    # __pycache__: the folder is the package erm_graph.cypher, whose __init__ gets compiled
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if folder.name not in ENGINE_DIRS:
            problems.append(f"{folder}: unknown engine folder (known: {', '.join(ENGINE_DIRS)})")
            continue
        for file in sorted(folder.glob("*.cypher")):
            _add_override(queries, folder.name, file, problems)
    return _checked(root, queries, problems)


def load_query(name: str, path: Path | str | None = None) -> Library:
    """The library under ``path`` reduced to the query ``name`` and its engine overrides,
    each file checked as :func:`load_library` checks it; the other files are not read.

    For a command that runs one query in a fresh process (`erm query run`), whose first
    answer waited for every file of the library to be parsed (docs/scaling.md, "Start-up");
    a problem in another file is `erm query list`'s to report. A name with no file of its
    own is looked up in the whole library, whose error suggests the names it holds.
    """
    root = (Path(path) if path is not None else default_library_dir()).resolve()
    file = root / f"{name}.cypher"
    if not _NAME.match(name) or not file.is_file():
        return load_library(root)
    problems: list[str] = []
    query = parse_file(file, problems)
    queries = {} if query is None else {query.name: query}
    for engine in ENGINE_DIRS:
        if (root / engine / file.name).is_file():
            _add_override(queries, engine, root / engine / file.name, problems)
    return _checked(root, queries, problems)


def _checked(root: Path, queries: dict[str, NamedQuery], problems: list[str]) -> Library:
    if problems:
        raise QueryLibraryError(f"the query library in {root} has {len(problems)} problem(s):\n"
                                + "\n".join(f"  - {p}" for p in problems))
    return Library(queries, root)


def _add_override(queries: dict[str, NamedQuery], engine: str, file: Path,
                  problems: list[str]) -> None:
    override = parse_file(file, problems)
    if override is None:
        return
    twin = queries.get(override.name)
    if twin is None:
        problems.append(f"{file}: overrides {override.name!r}, which has no file in "
                        f"{file.parent.parent}")
    elif override.params != twin.params or override.read_only != twin.read_only:
        problems.append(f"{file}: must declare the same params and read_only as {twin.path}")
    else:
        twin.overrides[engine] = (file, override.cypher)
