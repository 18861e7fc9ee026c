"""One read layer: no module reads the graph outside erm_graph/query and the few places named
below, each for its reason (docs/architecture.md, "The read layer").

The check walks every module of the package (its syntax tree, not its text) and finds what
sends a statement to the graph:

* a call of ``.run(...)`` on a store (the receiver's name says ``store``) that is not a write
  (``read_only=False``: writes are the store's upserts and the write paths' own business);
* a string that reads like Cypher (``MATCH (``, ``MERGE (``, ``CREATE (``, ``UNWIND $``),
  outside docstrings and outside the statement of such a write;
* an import of a graph driver (``falkordb``, ``neo4j``, ``redis``), which would read around
  the store.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import erm_graph

PACKAGE = Path(erm_graph.__file__).resolve().parent

#: the modules that may read the graph, each with its reason
READERS = {
    "query/": "the read layer",
    "store/": "the store itself",
    "ingest/load.py": "change detection: a load reads the stored version of records it skips",
    "ingest/journal.py": "the load journal: a load marks the files it writes and clears the mark",
    "ingest/writer.py": "change detection: a batch checks which relationship ends are stored",
    "ingest/owners.py": "a load checks which file wrote the maps it would write",
    "ingest/load_owners.py": "a load reads the owners that the owners it writes replace",
    "ingest/revisions.py": "a reload finds what the map's file wrote, to retire what it no "
                           "longer has; a restore reads the version it writes back",
    "identity/merge.py": "a merge and its undo are one statement each, built from the "
                         "model's labels and types over what query/merges.py read",
    "edit/records.py": "a hand edit is one write statement assembled clause by clause from "
                       "the model's labels and types (its MATCHes find the ends it links) "
                       "over what query/records.py read",
    "interop/stream.py": "interop's streaming: export, import and copy page through the graph",
    "conformance/": "the openCypher TCK: its scenarios are raw Cypher by design",
}
#: classes elsewhere that are stores themselves and so send their own statements
STORE_CLASSES = {("auth/scope.py", "ScopedStore")}
DRIVERS = ("falkordb", "neo4j", "redis")
_CYPHER = re.compile(r"\b(MATCH|MERGE|CREATE)\s*\(|\bUNWIND\s+\$")


def _is_write(call: ast.Call) -> bool:
    return any(k.arg == "read_only" and isinstance(k.value, ast.Constant)
               and k.value.value is False for k in call.keywords)


def _store_call(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr == "run"
            and "store" in ast.unparse(func.value).lower())


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _strings(node: ast.AST) -> list[ast.Constant]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def module_reads(path: Path, rel: str) -> list[str]:
    """Where the module at ``path`` (``rel`` inside the package) reads the graph."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and (rel, node.name) in STORE_CLASSES:
            skip |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip or not (isinstance(node, ast.Call) and _store_call(node)):
            continue
        skip |= {id(s) for s in _strings(node)}  # the statement is the call's, found once
        if not _is_write(node):
            found.append((node.lineno, f"{ast.unparse(node.func)}(...) reads the graph"))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _CYPHER.search(node.value):
            found.append((node.lineno, f"Cypher {node.value.strip()[:50]!r}"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""]
            found += [(node.lineno, f"imports the driver {name}") for name in names
                      if name.split(".")[0] in DRIVERS]
    return [f"{rel}:{line}: {what}" for line, what in sorted(found)]


def graph_reads(package: Path = PACKAGE) -> list[str]:
    """Every read of the graph outside :data:`READERS`, as ``file:line: what``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel.startswith("loaders/") or any(rel.startswith(r) for r in READERS):
            continue
        found += module_reads(path, rel)
    return found


def test_no_module_reads_the_graph_outside_the_read_layer():
    reads = graph_reads()
    assert not reads, ("read the graph through a function of erm_graph/query (a new explorer "
                       "query goes in query/explore.py):\n" + "\n".join(reads))


def test_the_check_finds_each_kind_of_read(tmp_path):
    """A read by a store call, by a Cypher string built for later and by a driver import is
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
        "imports", "imports", "Cypher", "store.run(...)", "self._store.run(...)"]
    assert module_reads(module, "auth/scope.py")[-1].startswith("auth/scope.py:6")
