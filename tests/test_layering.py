"""One read layer: no module reads the graph outside erm_graph/query and the few places named
below, each for its reason (docs/architecture.md, "The read layer").

The check walks every module of the package (its syntax tree, not its text) and finds what
sends a statement to the graph:

* **a store's read**: ``.run(...)`` on a store without ``read_only=False``. A receiver is a
  store when its name says ``store``, or when the module annotates it (an argument, a
  variable, a dataclass field read as ``self.x``) with a store type, or binds it from
  ``open_store(...)`` or a store class. Store types are the package's classes that read
  (``run`` and ``counts``) or write (``write`` and ``upsert_nodes``), and their subclasses.
* **a statement that reaches no write.** Every string that reads like Cypher (``MATCH (``,
  ``MERGE (``, ``CREATE (``, ``UNWIND $``; an f-string's placeholders count as a bracket) is
  followed from where it is written to where it goes, and must end as the statement of a
  write: ``.write(...)`` on a store, or ``.run(..., read_only=False)`` on one. It may get there
  through the local names it is assigned to (``q = f"..."``; ``parts.append(...)`` then
  ``" ".join(parts)``; a module constant) and through the function that returns it (a
  *statement builder*: every call of it must then go on to a write, and it must be called);
  it must not leave its module (no other module imports a constant or a builder that holds
  one). Anywhere else (a read, another function's argument, a condition, a message) it is a
  read built for later, and is found. A docstring is never a statement.
* **a read sent as a write**: a write whose statement is spelled out in the call and has no
  writing clause (``CREATE``, ``MERGE``, ``SET``, ``DELETE``, ``REMOVE``).
* **a driver import** (``falkordb``, ``neo4j``, ``redis``), which would read around the store.

So a writer module (an edit, a merge, a map's revision) keeps its writes, MATCH clauses and
all, and reads through erm_graph/query like any other module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import erm_graph

PACKAGE = Path(erm_graph.__file__).resolve().parent

#: the modules that may read the graph, each with its reason
READERS = {
    "query/": "the read layer",
    "store/": "the store itself",
    "ingest/record_checks.py": "change detection: a load reads the stored version of records "
                               "it skips",
    "ingest/writer.py": "change detection: a batch checks which relationship ends are stored",
    "interop/stream.py": "interop's streaming: export, import and copy page through the graph",
    "conformance/": "the openCypher TCK: its scenarios are raw Cypher by design",
}
#: classes elsewhere that are stores themselves and so send their own statements
STORE_CLASSES = {("auth/scope.py", "ScopedStore")}
DRIVERS = ("falkordb", "neo4j", "redis")
_CYPHER = re.compile(r"\b(MATCH|MERGE|CREATE)\s*[({]|\bUNWIND\s+[$\[{]")
_WRITES = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE)\b")
#: calls that return a store
_OPENERS = {"open_store", "open_configured"}
#: a list's methods that add a part to a statement being built in it
_BUILDS = {"append", "extend", "insert"}


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def store_types(package: Path = PACKAGE) -> frozenset[str]:
    """The package's store classes: those that read (``run`` and ``counts``) or write
    (``write`` and ``upsert_nodes``), the protocols included, and their subclasses."""
    classes: dict[str, tuple[set[str], set[str]]] = {}
    for path in package.rglob("*.py"):
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.ClassDef):
                methods = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
                bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
                classes[node.name] = (methods, bases)
    found = {name for name, (methods, _) in classes.items()
             if {"run", "counts"} <= methods or {"write", "upsert_nodes"} <= methods}
    while more := {name for name, (_, bases) in classes.items() if bases & found} - found:
        found |= more
    return frozenset(found)


STORE_TYPES = store_types()


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _is_write(call: ast.Call) -> bool:
    return any(k.arg == "read_only" and isinstance(k.value, ast.Constant)
               and k.value.value is False for k in call.keywords)


def _names_store(annotation: ast.expr) -> bool:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id in STORE_TYPES or \
                isinstance(node, ast.Attribute) and node.attr in STORE_TYPES or \
                isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                STORE_TYPES & set(re.findall(r"\w+", node.value)):
            return True
    return False


def _opens_store(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Call) and \
        ast.unparse(value.func).rsplit(".", 1)[-1] in STORE_TYPES | _OPENERS


Origins = frozenset[tuple[int, str]]


@dataclass
class Sends:
    """What one module sends the graph: its reads (``file:line: what``), and the names of
    the statements it builds at module level (constants, builders) another module could
    import."""

    reads: list[str]
    exports: set[str] = field(default_factory=set)


class _Module:
    """One module's syntax tree, and where the statements it spells go."""

    def __init__(self, tree: ast.Module, rel: str):
        self.tree, self.rel = tree, rel
        self.parents = {child: node for node in ast.walk(tree)
                        for child in ast.iter_child_nodes(node)}
        self.skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and (rel, node.name) in STORE_CLASSES:
                self.skip |= {id(n) for n in ast.walk(node)}
        self.stores = self._stores()
        self.found: set[tuple[int, str]] = set()
        self.exports: set[str] = set()
        self._carried: dict[tuple[int, str], set[tuple[int, str]]] = {}
        self._built: dict[str, set[tuple[int, str]]] = {}
        self._work: list[tuple[ast.AST, Origins, int | None]] = []

    # -- which receivers are stores ---------------------------------------------------------
    def _stores(self) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.arg) and node.annotation is not None and \
                    _names_store(node.annotation):
                names.add(node.arg)
            elif isinstance(node, ast.AnnAssign) and (_names_store(node.annotation)
                                                      or _opens_store(node.value)):
                names.add(ast.unparse(node.target))
                if isinstance(self.parents.get(node), ast.ClassDef):  # a field: self.x
                    names.add(f"self.{ast.unparse(node.target)}")
            elif isinstance(node, ast.Assign) and _opens_store(node.value):
                names |= {ast.unparse(t) for t in node.targets}
            elif isinstance(node, ast.withitem) and node.optional_vars is not None and \
                    _opens_store(node.context_expr):
                names.add(ast.unparse(node.optional_vars))
        return names

    def _kind(self, call: ast.Call) -> str | None:
        """``read`` or ``write`` for a call that sends a store a statement, else None."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in ("run", "write"):
            return None
        receiver = ast.unparse(func.value)
        if "store" not in receiver.lower() and receiver not in self.stores:
            return None
        return "write" if func.attr == "write" or _is_write(call) else "read"

    # -- following statements ---------------------------------------------------------------
    def check(self) -> Sends:
        for node in ast.walk(self.tree):
            if id(node) in self.skip:
                continue
            if isinstance(node, ast.Call) and self._kind(node) == "read":
                self.found.add((node.lineno, f"{ast.unparse(node.func)}(...) reads the graph"))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""]
                self.found |= {(node.lineno, f"imports the driver {name}") for name in names
                               if name.split(".")[0] in DRIVERS}
            else:
                text = self._text(node)
                if text is not None and _CYPHER.search(text):
                    self._work.append((node, frozenset({(node.lineno, text)}), None))
        while self._work:
            self._follow(*self._work.pop())
        return Sends([f"{self.rel}:{line}: {what}" for line, what in sorted(self.found)],
                     self.exports)

    def _text(self, node: ast.AST) -> str | None:
        """The text of a string as a statement would hold it (an f-string's placeholders as
        ``{}``); None for what is no string, or only part of an f-string."""
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                not isinstance(self.parents.get(node), ast.JoinedStr):
            return node.value
        return None

    def _lost(self, origins: Origins, why: str) -> None:
        self.found |= {(line, f"Cypher {text.strip()[:50]!r} {why}") for line, text in origins}

    def _follow(self, node: ast.AST, origins: Origins, index: int | None) -> None:
        """Follow a statement (a string, a name holding one, a builder's call) up its
        expression to where it goes. ``index``: the element of a tuple that holds it."""
        child = node
        while True:
            parent = self.parents[child]
            if isinstance(parent, ast.Call) and child is not parent.func:
                kind = self._kind(parent)
                if kind == "read":
                    return  # found as the read it is
                if kind == "write":
                    statement = parent.args[0] if parent.args else None
                    if statement is child and child is node and \
                            self._text(child) is not None and \
                            not _WRITES.search(self._text(child) or ""):
                        self.found.add((parent.lineno, f"{ast.unparse(parent.func)}(...) "
                                                       "sends a read as a write"))
                    return
                func = parent.func
                if isinstance(func, ast.Attribute) and func.attr in _BUILDS:
                    self._carry(self._targets(func.value), origins, parent)
                    return
            if isinstance(parent, ast.stmt):
                self._statement(parent, child, origins, index)
                return
            index = parent.elts.index(child) if isinstance(parent, ast.Tuple) else None
            child = parent

    def _statement(self, stmt: ast.stmt, child: ast.AST, origins: Origins,
                   index: int | None) -> None:
        if isinstance(stmt, ast.Assign) and child is stmt.value:
            self._carry([n for t in stmt.targets for n in self._targets(t, index)], origins,
                        stmt)
        elif isinstance(stmt, ast.AugAssign | ast.AnnAssign) and child is stmt.value:
            self._carry(self._targets(stmt.target), origins, stmt)
        elif isinstance(stmt, ast.For) and child is stmt.iter:
            self._carry(self._targets(stmt.target), origins, stmt)
        elif isinstance(stmt, ast.Return):
            self._builder(self._scope(stmt), origins, index)
        else:
            self._lost(origins, f"reaches no write (it goes on at line {stmt.lineno})")

    def _targets(self, target: ast.expr, index: int | None = None) -> list[str]:
        """The names an assignment to ``target`` binds (of a tuple, the element ``index``
        only, where it is known)."""
        if isinstance(target, ast.Tuple | ast.List):
            elts = target.elts if index is None or index >= len(target.elts) \
                else [target.elts[index]]
            return [name for e in elts for name in self._targets(e)]
        if isinstance(target, ast.Starred | ast.Subscript):
            return self._targets(target.value)
        if isinstance(target, ast.Name | ast.Attribute):
            return [ast.unparse(target)]
        return []

    def _scope(self, node: ast.AST) -> ast.AST:
        while not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
            node = self.parents[node]
        return node

    def _carry(self, names: list[str], origins: Origins, where: ast.AST) -> None:
        """The names ``names`` hold the statement from here on: follow each use of them."""
        scope = self._scope(where)
        for name in names:
            have = self._carried.setdefault((id(scope), name), set())
            if origins <= have:
                continue
            have |= origins
            if scope is self.tree:
                self.exports.add(name)
            uses = list(self._uses(scope, name))
            if not uses:
                self._lost(frozenset(have), f"is kept in {name}, which nothing reads")
            self._work += [(use, frozenset(have), None) for use in uses]

    def _uses(self, scope: ast.AST, name: str) -> Iterator[ast.expr]:
        """Where ``name`` is read in ``scope`` (a module's names by attribute too, as a
        class's constants are), but not where a part is added to it."""
        for node in ast.walk(scope):
            if not isinstance(getattr(node, "ctx", None), ast.Load):
                continue
            if not (isinstance(node, ast.Name) and node.id == name
                    or isinstance(node, ast.Attribute) and node.attr == name.rsplit(".")[-1]
                    and (scope is self.tree or ast.unparse(node) == name)):
                continue
            parent = self.parents[node]
            if isinstance(parent, ast.Attribute) and parent.attr in _BUILDS and \
                    isinstance(self.parents[parent], ast.Call):
                continue
            assert isinstance(node, ast.expr)
            yield node

    def _builder(self, function: ast.AST, origins: Origins, index: int | None) -> None:
        """``function`` returns the statement (at ``index`` of the tuple it returns): each
        of its calls holds it from there on."""
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            self._lost(origins, "is returned outside a function")
            return
        have = self._built.setdefault(function.name, set())
        if origins <= have:
            return
        have |= origins
        if isinstance(self.parents[function], ast.Module):
            self.exports.add(function.name)
        uses = list(self._uses(self.tree, function.name))
        if not uses:
            self._lost(frozenset(have), f"is returned by {function.name}(), which nothing "
                                        "in its module calls")
        for use in uses:
            parent = self.parents[use]
            if isinstance(parent, ast.Call) and parent.func is use:
                self._work.append((parent, frozenset(have), index))
            else:
                self._work.append((use, frozenset(have), None))


def check_module(path: Path, rel: str) -> Sends:
    """What the module at ``path`` (``rel`` inside the package) sends the graph."""
    return _Module(_parse(path), rel).check()


def module_reads(path: Path, rel: str) -> list[str]:
    """Where the module at ``path`` (``rel`` inside the package) reads the graph."""
    return check_module(path, rel).reads


def _dotted(rel: str) -> str:
    return "erm_graph." + rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def graph_reads(package: Path = PACKAGE) -> list[str]:
    """Every read of the graph outside :data:`READERS`, as ``file:line: what``: each
    module's own, and an import of a statement another module built for its writes."""
    found: list[str] = []
    modules = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel.startswith("loaders/") or any(rel.startswith(r) for r in READERS):
            continue
        sends = check_module(path, rel)
        found += sends.reads
        modules[rel] = (path, sends.exports)
    built = {_dotted(rel): exports for rel, (_, exports) in modules.items() if exports}
    for rel, (path, _) in modules.items():
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.ImportFrom) and node.module in built:
                found += [f"{rel}:{node.lineno}: imports {alias.name}, a statement "
                          f"{node.module} builds for its writes" for alias in node.names
                          if alias.name in built[node.module]]
    return found


def test_no_module_reads_the_graph_outside_the_read_layer():
    reads = graph_reads()
    assert not reads, ("read the graph through a function of erm_graph/query (a new explorer "
                       "query goes in query/explore.py):\n" + "\n".join(reads))


def test_the_check_finds_each_kind_of_read(tmp_path):
    """A read by a store call (its statement found with it, once) and by a driver import is
    each found; a write, a docstring and a store class of its own are not."""
    module = tmp_path / "viz" / "sample.py"
    module.parent.mkdir()
    module.write_text(
        '"""MATCH (n) RETURN n, in a docstring."""\n'
        "import falkordb\n"
        "from neo4j import GraphDatabase\n"
        "QUERY = f\"MATCH (n:{'Party'}) RETURN n\"\n"
        "def read(store):\n"
        "    return store.run(QUERY).rows\n"
        "def write(store):\n"
        "    store.run('MERGE (n:Party {uid: $u})', {'u': 1}, read_only=False)\n"
        "class ScopedStore:\n"
        "    def counts(self):\n"
        "        return self._store.run('MATCH (n) RETURN count(n)')\n")
    reads = module_reads(module, "viz/sample.py")
    assert [r.split(": ", 1)[1].split(" ")[0] for r in reads] == [
        "imports", "imports", "store.run(...)", "self._store.run(...)"]
    assert module_reads(module, "auth/scope.py")[-1].startswith("auth/scope.py:6")


WRITER = '''\
from erm_graph.store import GraphReader, GraphStore

LINKED = "MATCH (a:Party {uid: $a}) MATCH (b:Party {uid: $b}) MERGE (a)-[:KNOWS]->(b)"

def _link_statement(rel_type):
    parts = ["MATCH (a:Party {uid: $a})"]
    parts.append(f"MATCH (b:Party {{uid: $b}}) CREATE (a)-[:{rel_type}]->(b)")
    return " ".join(parts), {"a": 1, "b": 2}

def _owners_statement(label):
    return f"MATCH (c:{label})<-[:RESPONSIBLE_FOR]-(e) RETURN e.uid"

def link(g: GraphStore, rel_type):
    cypher, params = _link_statement(rel_type)
    g.run(cypher, params, read_only=False)
    g.write(LINKED, params)

def owners(g: GraphReader, label):
    return g.run(_owners_statement(label)).rows

def hidden(store, label):
    keep(store, f"MATCH (n:{label}) RETURN n.uid")
    store.write("MATCH (n) RETURN count(n)")

def later():
    return "MATCH (n) RETURN n"
'''


def test_the_check_follows_statements_in_a_writer_module(tmp_path):
    """In a module that writes, the writes are not found, MATCH clauses and all: a statement
    sent with ``read_only=False`` or by ``write``, built in place, by a builder whose result
    goes on to the write, or in a constant. A read is found wherever its statement is built:
    sent to a store the module knows only by its type, handed to another function, sent as a
    write with no writing clause, returned to no one in the module, imported by another
    module."""
    package = tmp_path / "erm_graph"
    (package / "edit").mkdir(parents=True)
    (package / "viz").mkdir()
    (package / "edit" / "sample.py").write_text(WRITER)
    (package / "viz" / "sample.py").write_text(
        "from erm_graph.edit.sample import LINKED, link\n")
    reads = graph_reads(package)
    assert [r.split(": ", 1)[0] for r in reads] == [
        "edit/sample.py:19", "edit/sample.py:22", "edit/sample.py:23", "edit/sample.py:26",
        "viz/sample.py:1"], reads
    assert "g.run(...) reads the graph" in reads[0]
    assert "reaches no write" in reads[1]
    assert "sends a read as a write" in reads[2]
    assert "returned by later(), which nothing in its module calls" in reads[3]
    assert "imports LINKED, a statement erm_graph.edit.sample builds" in reads[4]
    assert len(reads) == 5  # not the function link, which is no statement
