"""Every file in cypher/ passes Neo4j's official Cypher linter, given the project's schema.

The linter is npm's ``@neo4j-cypher/language-support`` (``lintCypherQuery``), run by the small
node script in ``tools/cypher-lint`` (installed by ``tests/setup.sh``). Its schema is the model
vocabulary: an unknown label, relationship type, property or function is a failure, as is a
parameter the header does not declare.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from erm_graph import model
from erm_graph.query import load_library
from erm_graph.store.base import PENDING_LOAD
from erm_graph.store.load_lock import LOAD_LOCK

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "cypher-lint"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (TOOL / "node_modules").is_dir(),
    reason="needs node and tools/cypher-lint/node_modules: run `bash tests/setup.sh`")


def project_schema(store_marks: bool = False) -> dict:
    """The model's labels, types and properties; ``store_marks`` adds the store's own
    bookkeeping: the mark a load leaves while it writes, and a server's load lease."""
    props = set(model.vocabulary.COMMON_PROPS) | set(model.SYSTEM_PROPS)
    for spec in model.LABELS.values():
        props |= set(spec.props)
    for rel in model.RELATIONSHIPS.values():
        props |= set(rel.props)
    labels = set(model.LABELS)
    if store_marks:
        labels |= {PENDING_LOAD, LOAD_LOCK}
        props |= {"token", "files", "started_at", "owner", "expires"}
    return {"labels": sorted(labels), "relationshipTypes": sorted(model.RELATIONSHIPS),
            "propertyKeys": sorted(props)}


def lint(queries: list[dict], store_marks: bool = False) -> list[dict]:
    done = subprocess.run(["node", str(TOOL / "lint.mjs")], input=json.dumps(
        {"schema": project_schema(store_marks), "queries": queries}), capture_output=True,
        text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def library_files() -> list[dict]:
    files = []
    for query in load_library():
        params = {name: p.example if p.example is not None else p.default
                  for name, p in query.params.items()}
        variants = [(query.path, query.cypher)]
        variants += [(path, text) for engine, (path, text) in query.overrides.items()
                     if engine == "neo4j"]
        for path, _ in variants:
            files.append({"file": str(path.relative_to(ROOT)),
                          "text": path.read_text(encoding="utf-8"), "parameters": params})
    return files


@pytest.mark.slow
def test_every_cypher_file_passes_the_neo4j_linter():
    files = library_files()
    assert len(files) >= 16
    problems = lint(files)
    assert not problems, "\n".join(
        f"{p['file']}:{p['line']}:{p['column']}: {p['severity']}: {p['message']}"
        for p in problems)


def test_the_linter_catches_what_neo4j_would_reject():
    problems = lint([
        {"file": "exists", "text": "MATCH (c:Customer) RETURN EXISTS { (c)-[:MANAGES]->() }",
         "parameters": {}},
        {"file": "typo", "text": "MATCH (c:Custmer {uid: $uid}) RETURN c.nme",
         "parameters": {}},
        {"file": "syntax", "text": "MATCH (c:Customer RETURN c", "parameters": {}},
    ])
    by_file = {p["file"] for p in problems}
    assert by_file == {"typo", "syntax"}
    messages = " ".join(p["message"] for p in problems)
    assert "Custmer" in messages and "$uid" in messages


@pytest.mark.slow
def test_the_cypher_a_load_sends_passes_the_neo4j_linter(store, tmp_path, monkeypatch):
    """Upserts are written once in portable Cypher: every statement a load sends the embedded
    engine (a first load, a re-load with changed rows, a sub-label that changes) is recorded
    as it really runs, and must be Cypher Neo4j accepts too. The engine's own schema calls
    (``CALL db.indexes()`` and such) are left out: the Neo4j engine has its own. So is the
    ``RETURN collect(id(n))`` the embedded engine adds to a node CREATE for its bulk
    relationships (``_ids_of_created``): Neo4j is never sent it."""
    from erm_graph import load
    from erm_graph.demo import load_demo

    sent: dict[str, dict] = {}
    run = type(store)._execute

    def recording(self, cypher, params, read_only, timeout):
        if not cypher.startswith("CALL db."):
            sent.setdefault(cypher.removesuffix(self._ids_of_created),
                            {k: v[:1] if isinstance(v, list) else v for k, v in params.items()})
        return run(self, cypher, params, read_only, timeout)

    monkeypatch.setattr(type(store), "_execute", recording)
    load_demo(store, 300)
    parties = tmp_path / "parties.csv"
    mapping = tmp_path / "parties.yaml"
    mapping.write_text(
        "tables:\n  - file: parties.csv\n    label: Party\n    key: {column: id}\n"
        "    label_column: {column: kind}\n    properties:\n      name: {column: name}\n"
        "      tier: {column: tier, type: int, optional: true}\n")
    parties.write_text("id,kind,name,tier\np1,Customer,Acme,1\np2,,Initech,\n")
    load(store, parties, mapping=mapping)
    parties.write_text("id,kind,name,tier\np1,Supplier,Acme,2\np2,Partner,Initech,3\n")
    load(store, parties, mapping=mapping)
    assert len(sent) > 30  # creates, reads, updates, relationship upserts, stale checks
    assert any("REMOVE" in text for text in sent)  # the sub-label change was sent
    problems = lint([{"file": f"statement {i}", "text": text, "parameters": params}
                     for i, (text, params) in enumerate(sent.items())], store_marks=True)
    assert not problems, "\n".join(
        f"{p['file']}: {p['message']}\n  {list(sent)[int(p['file'].split()[1])][:300]}"
        for p in problems)
