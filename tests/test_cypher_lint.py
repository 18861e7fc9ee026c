"""Every file in cypher/ passes Neo4j's official Cypher linter, given the project's schema.

The linter is npm's ``@neo4j-cypher/language-support`` (``lintCypherQuery``), run by the small
node script in ``tools/cypher-lint`` (installed by ``tests/setup.sh``). Its schema is the model
vocabulary: an unknown label, relationship type, property or function is a failure, as is a
parameter the header does not declare.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from itertools import islice
from pathlib import Path

import pytest

from erm_graph import model
from erm_graph.auth.scope import SCOPE_PARAM, names_scope
from erm_graph.ingest.journal import PENDING_LOAD
from erm_graph.query import load_library
from erm_graph.query.comprehensions import reused_variables
from erm_graph.query.cypher_text import CypherSyntaxError
from erm_graph.records import Hex64
from erm_graph.store.load_lock import LOAD_LOCK

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "cypher-lint"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (TOOL / "node_modules").is_dir(),
    reason="needs node and tools/cypher-lint/node_modules: run `bash tests/setup.sh`")


def project_schema(store_marks: bool = False) -> dict:
    """The labels, types and properties of the vocabulary in force (a model extension's
    too); ``store_marks`` adds the store's own bookkeeping: the mark a load leaves while it
    writes, and a server's load lease."""
    vocabulary = model.current()
    props = vocabulary.property_keys()
    labels = set(vocabulary.labels)
    if store_marks:
        labels |= {PENDING_LOAD, LOAD_LOCK}
        props |= {"token", "files", "started_at", "owner", "expires"}
    return {"labels": sorted(labels), "relationshipTypes": sorted(vocabulary.relationships),
            "propertyKeys": sorted(props)}


def lint(queries: list[dict], store_marks: bool = False, timeout: float = 120) -> list[dict]:
    done = subprocess.run(["node", str(TOOL / "lint.mjs")], input=json.dumps(
        {"schema": project_schema(store_marks), "queries": queries}), capture_output=True,
        text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


#: a label or relationship type the model allows, as the store names it in a statement
_NAMED = re.compile(r":`?([A-Za-z_][A-Za-z0-9_]*)`?")


def _sample(params: dict) -> dict:
    """The parameters as the linter is given them: a list's first item only. A column of
    fingerprints the embedded engine is sent as its numbers (``records.Hex64``) is a list
    of texts to Cypher, as Neo4j is sent it."""
    return {k: list(islice(v, 1)) if isinstance(v, list | Hex64) else v
            for k, v in params.items()}


def record_statements(store, monkeypatch, keep=lambda store, cypher: True,
                      text=lambda store, cypher: cypher) -> dict[str, dict]:
    """Every statement the embedded engine is sent from now on (the engine's own schema calls,
    ``CALL db.``, left out), as ``text`` gives it, with its parameters as the linter takes
    them (:func:`_sample`): the first time each is sent, as it really runs. ``keep`` chooses
    which to record."""
    sent: dict[str, dict] = {}
    run = type(store)._execute

    def recording(self, cypher, params, read_only, timeout):
        if not cypher.startswith("CALL db.") and keep(self, cypher):
            sent.setdefault(text(self, cypher), _sample(params))
        return run(self, cypher, params, read_only, timeout)

    monkeypatch.setattr(type(store), "_execute", recording)
    return sent


def one_per_shape(sent: dict[str, dict]) -> list[dict]:
    """The statements to lint: one of each shape, where statements that differ only in the
    model label or type they name (the explorer's reads, one per label) are one shape. The
    linter spends about as long on each, and what it checks of a name, that the schema knows
    it, is checked here for every statement instead."""
    schema = project_schema(store_marks=True)
    known = {*schema["labels"], *schema["relationshipTypes"]}
    shapes: dict[str, dict] = {}
    for text, params in sent.items():
        named = {m.group(1) for m in _NAMED.finditer(text)}
        unknown = {n for n in named if n[0].isupper() and n not in known}
        assert not unknown, f"names outside the model: {sorted(unknown)} in {text[:300]}"
        shape = _NAMED.sub(lambda m: ":_" if m.group(1) in known else m.group(0), text)
        shapes.setdefault(shape, {"file": f"statement {len(shapes)}", "text": text,
                                  "parameters": params})
    return list(shapes.values())


def _report(problems: list[dict], statements: list[dict]) -> str:
    return "\n".join(f"{p['file']}: {p['message']}\n  "
                     f"{statements[int(p['file'].split()[1])]['text'][:300]}" for p in problems)


def library_files() -> list[dict]:
    files = []
    for query in load_library():
        params = {name: p.example if p.example is not None else p.default
                  for name, p in query.params.items()}
        if names_scope(query.cypher):  # given by the runner: a partner's uids, else null
            params[SCOPE_PARAM] = ["uid"]
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
    as it really runs, and must be Cypher Neo4j accepts too; so is every statement of a map's
    revision (a flowchart reloaded with steps gone, one held by a hand-entered relationship,
    then its first version restored). The engine's own schema calls
    (``CALL db.indexes()`` and such) are left out: the Neo4j engine has its own. So is the
    ``RETURN collect(id(n))`` the embedded engine adds to a node CREATE for its bulk
    relationships (``_ids_of_created``): Neo4j is never sent it."""
    from erm_graph import load
    from erm_graph.demo import load_demo
    from erm_graph.ingest.revisions import restore_map
    from tests.test_map_revisions import CORPUS, hand_entered, revise_bpmn

    sent = record_statements(store, monkeypatch,
                             text=lambda store, cypher: cypher.removesuffix(store._ids_of_created))
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
    # an owner set by hand, cleared, and the delete a load sends when its owner replaces one
    from erm_graph.demo import facts
    from erm_graph.ingest.component_owners import clear_owner, set_owner
    from erm_graph.ingest.load_owners import LoadOwners, replace_load_owners

    set_owner(store, facts.GATEWAY.process, facts.CRO.employee)
    clear_owner(store, facts.GATEWAY.process)
    replace_load_owners(store, LoadOwners(replaced={"Step": [["no-step", "no-one"]]}))
    bpmn = tmp_path / "camunda_order.bpmn"
    bpmn.write_text((CORPUS / "camunda_order.bpmn").read_text())
    load(store, [bpmn, CORPUS / "orders.drawio"])
    hand_entered(store)
    bpmn.write_text(revise_bpmn(bpmn.read_text()))
    load(store, bpmn)
    restore_map(store, "camunda-order", 1)
    assert any("DETACH DELETE" in text for text in sent)  # the revision retired a record
    assert len(sent) > 30  # creates, reads, updates, relationship upserts, stale checks
    assert any("REMOVE" in text for text in sent)  # the sub-label change was sent
    statements = one_per_shape(sent)
    problems = lint(statements, store_marks=True)
    assert not problems, _report(problems, statements)


def test_the_cypher_of_merges_passes_the_neo4j_linter(store, monkeypatch):
    """Suggesting duplicates, a merge, a load through its aliases and the undo: every
    statement sent (the merge and undo are one each, built from the model), as it runs."""
    from erm_graph import load
    from erm_graph.identity import merge_nodes, suggest_duplicates, undo_merge

    corpus = ROOT / "tests" / "corpus"
    load(store, [corpus / "orders.drawio", corpus / "crm" / "crm.yaml"])
    load(store, corpus / "erp" / "erp.yaml")
    sent = record_statements(store, monkeypatch)
    suggest_duplicates(store)
    done = merge_nodes(store, "crm-acct-A1", ["erp-cust-100"])
    merge_nodes(store, "dept:sales", ["dept-sales"])
    load(store, corpus / "erp" / "erp.yaml")
    undo_merge(store, done["id"])
    merges = [t for t in sent if ":Merge" in t]
    assert any("DETACH DELETE" in t for t in merges) and any("undone_at = $now" in t
                                                             for t in merges)
    problems = lint([{"file": f"statement {i}", "text": text, "parameters": params}
                     for i, (text, params) in enumerate(sent.items())], store_marks=True)
    assert not problems, "\n".join(
        f"{p['file']}: {p['message']}\n  {list(sent)[int(p['file'].split()[1])][:300]}"
        for p in problems)


def test_the_cypher_of_the_walk_and_the_graph_writer_passes_the_neo4j_linter(
        store, tmp_path, monkeypatch):
    """`erm export` and `erm import` (the walk that reads a whole graph, its reads of the
    relationships a page's nodes start, of many and of a node of very many, and the writer
    that copies records as they are), recorded as they run on the embedded engine, must be
    Cypher Neo4j accepts too. The read of a node of very many relationships orders them by
    an id that differs by engine: its Neo4j form is linted in place of the embedded one."""
    from erm_graph.interop import export_graph, import_graph, stream
    from erm_graph.store import open_store

    monkeypatch.setattr(stream, "REL_PAGE", 4)
    store.write("CREATE (m:Employee {uid: 'm'}) WITH m UNWIND range(0, 9) AS i "
                "CREATE (m)-[:MANAGES {i: i}]->(:Party:Customer {uid: 'c' + toString(i)})")
    store.write("MATCH (c:Party {uid: 'c1'}), (d:Party {uid: 'c2'}), (e:Party {uid: 'c3'}) "
                "CREATE (c)-[:RELATES_TO]->(d), (c)-[:RELATES_TO]->(e), (d)-[:RELATES_TO]->(e)")
    sent = record_statements(store, monkeypatch)
    export_graph(store, tmp_path / "x", "neo4j-csv")
    target = open_store(f"embedded:{tmp_path / 'target'}")
    try:
        assert import_graph(target, tmp_path / "x").ok
    finally:
        target.close()
    embedded = stream.hub_cypher("Employee", store.engine)
    assert embedded in sent and any("count(r)" in text for text in sent)
    sent[stream.hub_cypher("Employee", "neo4j")] = sent.pop(embedded)
    statements = one_per_shape(sent)
    problems = lint(statements, store_marks=True)
    assert not problems, _report(problems, statements)


#: what Neo4j 5 deprecates but still runs, where the new form does not parse on FalkorDB
#: (docs/queries.md): ``CALL (n) { ... }`` is unsupported there, ``CALL { WITH n ... }`` portable
PORTABLE_DEPRECATIONS = ("CALL subquery without a variable scope clause is deprecated",)


def _sent_by_the_read_layer() -> bool:
    """Whether the statement being sent comes from erm_graph/query: the nearest caller in the
    package that is not the store (nor the partner's store wrapper, which only forwards)."""
    import sys

    frame = sys._getframe(2)
    package = ROOT / "erm_graph"
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(package) and not path.is_relative_to(package / "store") \
                and path != package / "auth" / "scope.py":
            return path.is_relative_to(package / "query")
        frame = frame.f_back
    return False


@pytest.mark.slow
def test_every_statement_the_read_layer_sends_passes_the_neo4j_linter(store, monkeypatch):
    """Not only cypher/: each statement erm_graph/query builds (the explorer's reads, node
    records, maps, partner scopes, the analytics' network reads), recorded as it is sent,
    for a whole store and for a partner's, must be Cypher Neo4j accepts."""
    from erm_graph import analytics
    from erm_graph.auth.scope import ScopedStore
    from erm_graph.demo import facts, load_demo
    from erm_graph.query import explore, governance, maps, records
    from erm_graph.query.partner_scope import partner_scope
    from erm_graph.query.revisions import map_history

    load_demo(store, 300)
    sent = record_statements(store, monkeypatch,
                             keep=lambda store, cypher: _sent_by_the_read_layer())
    party = store.run("MATCH (p:Party)-[:PARTICIPATES_IN]->(:Step)<-[:HAS_STEP]-(:Process "
                      "{uid: $uid}) RETURN p.uid LIMIT 1", {"uid": facts.GATEWAY.process}
                      ).rows[0][0]
    scoped = ScopedStore(store, partner_scope(store, party))
    process = facts.GATEWAY.process
    uids = [row[0] for key in model.KEY_LABELS  # one record of each key label
            for row in store.run(f"MATCH (n:{key}) RETURN n.uid LIMIT 1").rows]
    for s in (store, scoped):
        for uid in uids + [process]:
            try:
                node = explore.find_node(s, uid)
            except explore.NotFound:
                continue
            explore.neighbors(s, uid, types=["HAS_STEP"], labels=["Step"], node=node)
            explore.neighborhood(s, uid, depth=2, node=node)
            records.node_detail(s, uid, node=node)
        explore.find_node(s, process, hint="Process")
        explore.search(s, "a")
        explore.shortest_path(s, party, process)
        explore.induced(s, uids)
        maps.component_owners(s, maps.map_records(s, process).graph.nodes.values())
        maps.activity(s, "Employee", [facts.KEY_PERSON.employee])
        maps.activity(s, "Party", [party])
        maps.departments_of(s, [facts.KEY_PERSON.employee])
        maps.summary(s)
        map_history(s, process)
    governance.governance(store)  # not a partner's: the routes refuse it to partners
    governance.owners_of(store, "Process", process)
    governance.component_labels(store, process)
    analytics.relationship_strength(store)
    analytics.project(store)
    analytics.warm_path(store, party)
    assert len(sent) > 30
    statements = one_per_shape(sent)
    problems = [p for p in lint(statements, timeout=600)
                if not p["message"].startswith(PORTABLE_DEPRECATIONS)]
    assert not problems, _report(problems, statements)


def _statements_in_code() -> list[tuple[str, str]]:
    """Each string of the package's code that holds a pattern comprehension: a whole
    statement, or the text parts of an f-string joined (where, text)."""
    found = []
    for path in sorted((ROOT / "erm_graph").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "x"
                               for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if "[(" in text and ("MATCH" in text or "RETURN" in text or "WITH" in text):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    return found


def test_no_statement_in_the_code_reuses_a_comprehension_variable():
    """cypher/ files are checked when the library loads; statements built in Python were not,
    and one that named two comprehensions' nodes `d` ran for minutes on the large demo
    (erm_graph/query/targets.py) instead of a fraction of a second."""
    statements, problems = _statements_in_code(), []
    checked = 0
    for where, text in statements:
        try:
            found = reused_variables(text)
        except CypherSyntaxError:  # a fragment of a statement, not one whole
            continue
        checked += 1
        problems += [f"{where}: {reuse}" for reuse in found]
    assert checked > 10, "the scan finds the read layer's statements"
    assert not problems, "\n".join(problems)
