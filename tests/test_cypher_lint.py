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

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "cypher-lint"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (TOOL / "node_modules").is_dir(),
    reason="needs node and tools/cypher-lint/node_modules: run `bash tests/setup.sh`")


def project_schema() -> dict:
    props = set(model.vocabulary.COMMON_PROPS) | set(model.SYSTEM_PROPS)
    for spec in model.LABELS.values():
        props |= set(spec.props)
    for rel in model.RELATIONSHIPS.values():
        props |= set(rel.props)
    return {"labels": sorted(model.LABELS), "relationshipTypes": sorted(model.RELATIONSHIPS),
            "propertyKeys": sorted(props)}


def lint(queries: list[dict]) -> list[dict]:
    done = subprocess.run(["node", str(TOOL / "lint.mjs")], input=json.dumps(
        {"schema": project_schema(), "queries": queries}), capture_output=True, text=True,
        timeout=120, check=False)
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
