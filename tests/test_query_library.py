"""The named query library: headers, validation, parameter binding, engine overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from erm_graph.query import load_library
from erm_graph.query.comprehensions import reused_variables
from erm_graph.query.library import ParameterError, QueryLibraryError, UnknownQuery, load_query

GOOD = """// name: by-uid
// title: A party by uid
// description: One party.
// access: [analyst, officer]
// audience: [officer]
// params:
//   uid: {type: string, required: true, example: cust-000001}
//   limit: {type: integer, default: 5, min: 1}
//   since: {type: date, default: '2025-01-01'}
//   kinds: {type: 'list[string]', default: [need]}
MATCH (c:Party {uid: $uid}) WHERE c.since >= $since AND c.kind IN $kinds
RETURN c.uid // a comment with $notaparam
LIMIT $limit
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.cypher"
    path.write_text(text)
    return path


def test_the_project_library_loads_with_every_query_of_the_issue():
    names = {q.name for q in load_library()}
    assert {"customer-360", "relationship-map", "who-touches", "journey-documents",
            "unowned-components", "key-person-risk", "complaint-hotspots", "customer-needs",
            "survey-sentiment", "sales-by-domain", "lifetime-value", "at-risk-customers",
            "warm-path", "supplier-dependency", "similar-customers", "cross-sell"} <= names
    for query in load_library():
        assert query.read_only and query.title and query.description
        assert query.access and query.audience


def test_header_and_binding(tmp_path):
    write(tmp_path, "by-uid", GOOD)
    query = load_library(tmp_path).get("by-uid")
    assert query.access == ("analyst", "officer") and query.audience == ("officer",)
    assert query.bind({"uid": "x"}) == {"uid": "x", "limit": 5, "since": "2025-01-01",
                                        "kinds": ["need"]}
    # text from the command line is converted
    assert query.bind({"uid": 42, "limit": "7", "kinds": "a, b"})["kinds"] == ["a", "b"]
    assert query.bind({"uid": 42, "limit": "7"})["uid"] == "42"
    with pytest.raises(ParameterError, match=r"needs parameter uid .*-p uid=cust-000001"):
        query.bind({})
    with pytest.raises(ParameterError, match=r"no parameter 'colour'.*uid, limit"):
        query.bind({"uid": "x", "colour": "red"})
    with pytest.raises(ParameterError, match="'limit' must be an integer, got 'many'"):
        query.bind({"uid": "x", "limit": "many"})
    with pytest.raises(ParameterError, match="between 1 and None"):
        query.bind({"uid": "x", "limit": 0})
    with pytest.raises(ParameterError, match=r"'since' must be a date \(YYYY-MM-DD\)"):
        query.bind({"uid": "x", "since": "2025-13-01"})


@pytest.mark.parametrize(("text", "problem"), [
    (GOOD.replace("// name: by-uid", "// name: other"), "must be lower-case-with-dashes and "
                                                        "equal the file name"),
    (GOOD.replace("LIMIT $limit", "LIMIT $limt"), "$limt is used but not declared"),
    (GOOD.replace("LIMIT $limit", "LIMIT 5"), "'limit' is declared but never used"),
    (GOOD.replace("default: 5", "default: five"), "default of 'limit'"),
    (GOOD.replace("type: integer", "type: int"), "type 'int' is not one of"),
    (GOOD.replace("// title: A party by uid\n", ""), "needs `title:`"),
    (GOOD + "; MATCH (n) RETURN n", "one statement per file"),
    (GOOD.replace("// access", "// owner: me\n// access"), "unknown header key 'owner'"),
    # roles: the file and line of the header key that names a role nobody has
    (GOOD.replace("[analyst, officer]", "[analyst, R&D]"),
     "by-uid.cypher:4: unknown role 'R&D' in `access:`; roles: admin, editor"),
    (GOOD.replace("audience: [officer]", "audience: [officer, banker]"),
     "by-uid.cypher:5: unknown role 'banker' in `audience:`"),
    (GOOD.replace("audience: [officer]", "audience: [sales]"),
     "by-uid.cypher:5: the audience names 'sales', which may not run the query"),
    (GOOD.replace("// access: [analyst, officer]\n// audience: [officer]", "// roles: [analyst]"),
     "by-uid.cypher:4: `roles:` is replaced by `access:`"),
    (GOOD.replace("uid: {type", "store: {type"), "reserved by the Python API"),
])
def test_a_broken_file_stops_the_load_with_a_clear_message(tmp_path, text, problem):
    write(tmp_path, "by-uid", text)
    with pytest.raises(QueryLibraryError) as caught:
        load_library(tmp_path)
    assert problem in str(caught.value)
    assert "by-uid.cypher" in str(caught.value)


def test_engine_override_replaces_its_twin_only_on_that_engine(tmp_path):
    write(tmp_path, "by-uid", GOOD)
    write(tmp_path / "neo4j", "by-uid", GOOD.replace("RETURN c.uid", "RETURN c.uid AS uid"))
    query = load_library(tmp_path).get("by-uid")
    assert "AS uid" in query.cypher_for("neo4j")
    assert "AS uid" not in query.cypher_for("embedded")
    assert query.cypher_for("falkordb") == query.cypher


def test_an_override_must_keep_the_parameters_and_have_a_twin(tmp_path):
    write(tmp_path, "by-uid", GOOD)
    write(tmp_path / "neo4j", "by-uid", GOOD.replace("LIMIT $limit", "LIMIT 5").replace(
        "//   limit: {type: integer, default: 5, min: 1}\n", ""))
    write(tmp_path / "falkordb", "lonely", GOOD.replace("by-uid", "lonely"))
    with pytest.raises(QueryLibraryError) as caught:
        load_library(tmp_path)
    assert "must declare the same params" in str(caught.value)
    assert "has no file in" in str(caught.value)


def test_one_query_loads_as_the_whole_library_has_it():
    """`erm query run` reads its query's files only: each shipped query, overrides included,
    is the same as in the whole library."""
    library = load_library()
    for query in library:
        assert load_query(query.name).queries == {query.name: query}


def test_one_query_is_checked_and_the_other_files_are_not_read(tmp_path):
    write(tmp_path, "by-uid", GOOD)
    write(tmp_path / "neo4j", "by-uid", GOOD.replace("RETURN c.uid", "RETURN c.uid AS uid"))
    write(tmp_path, "broken", "// name: broken\n")
    assert "AS uid" in load_query("by-uid", tmp_path).get("by-uid").cypher_for("neo4j")
    with pytest.raises(QueryLibraryError, match="broken.cypher: the header needs `title:`"):
        load_query("broken", tmp_path)
    write(tmp_path / "falkordb", "by-uid", GOOD.replace("LIMIT $limit", "LIMIT 5").replace(
        "//   limit: {type: integer, default: 5, min: 1}\n", ""))
    with pytest.raises(QueryLibraryError, match="must declare the same params"):
        load_query("by-uid", tmp_path)


@pytest.mark.parametrize("name", ["customer", "../cypher/customer-360", "customer-360.cypher"])
def test_one_query_without_a_file_is_looked_up_in_the_whole_library(name):
    with pytest.raises(UnknownQuery, match="did you mean .*customer-360"):
        load_query(name).get(name)


def test_unknown_query_names_the_close_ones():
    with pytest.raises(QueryLibraryError, match="did you mean .*customer-360"):
        load_library().get("customer")


#: the relationship-map body as it was: `d` and `o` each introduced by two comprehensions
REUSED = """// name: step-map
// title: Steps
// description: Steps with departments, documents and owners.
// params:
//   uid: {type: string, required: true}
MATCH (proc:Process {uid: $uid})-[:HAS_STEP]->(s:Step)
RETURN head([(proc)<-[:RESPONSIBLE_FOR]-(o:Employee) | o.name]) AS process_owner,
       [(d:Department)-[:PERFORMS]->(s) | d.name] AS departments,
       [(s)-[:USES]->(d:Document) | d.name] AS documents,
       head([(s)<-[:RESPONSIBLE_FOR]-(o:Employee) | o.name]) AS owner
"""


def test_a_variable_reused_across_pattern_comprehensions_is_refused(tmp_path):
    write(tmp_path, "step-map", REUSED)
    with pytest.raises(QueryLibraryError) as caught:
        load_library(tmp_path)
    message = str(caught.value)
    assert "step-map.cypher: variable `d` is introduced by two pattern comprehensions (line 8 " \
           "column 10, and line 9 column 23)" in message
    assert "variable `o` is introduced by two pattern comprehensions (line 7 column 42, and " \
           "line 10 column 39)" in message


@pytest.mark.parametrize("body", [
    # the outer node may appear in any number of comprehensions
    "MATCH (s:Step) RETURN [(s)-[:USES]->(a) | a], [(s)-[:PRODUCES]->(b) | b]",
    # list comprehensions and reduce are not pattern comprehensions
    "MATCH (s) RETURN [x IN [1] | x], [x IN [2] | x], reduce(a = 0, x IN [3] | a + x)",
    # brackets and names inside strings and comments are not Cypher
    "MATCH (s) RETURN [(s)-->(a) | '[(s)-->(a) | a]'] // [(s)-->(a) | a]\n, 1",
    # a variable bound by UNWIND, MATCH or a WITH alias is outer, not new
    "MATCH (s) UNWIND [1] AS a WITH s, a RETURN [(s)-->(a) | a], [(a)-->(s) | s]",
    "MATCH (s)-[r:USES]->(d) RETURN [(s)-[r]->(x) | x], [(d)<-[r]-(y) | y]",
])
def test_comprehension_check_accepts_outer_variables(body):
    assert reused_variables(body) == []


@pytest.mark.parametrize(("body", "name"), [
    # a WITH that does not carry `a` ends its scope: later comprehensions introduce it anew
    ("MATCH (s), (a) WITH s RETURN [(s)-->(a) | a], [(a)<--(s) | s]", "a"),
    # relationship and path variables count too, and so do comprehensions in separate clauses
    ("MATCH (s) WITH s, [(s)-[r]->() | r] AS x RETURN [(s)<-[r]-() | r]", "r"),
    ("MATCH (s) RETURN [p = (s)-->() | p], [p = (s)<--() | p]", "p"),
    # a comprehension nested in another's projection
    ("MATCH (s) RETURN [(s)-->(a) | [(a)-->(b) | b]], [(s)<--(b) | b]", "b"),
    # backtick names and keywords in any case
    ("match (s) return [(s)-->(`x y`) | 1], [(s)<--(`x y`) | 2]", "x y"),
])
def test_comprehension_check_finds_reuse(body, name):
    assert [r.name for r in reused_variables(body)] == [name]


def test_comprehension_check_is_linear():
    import time

    clause = "[(s)-[:R]->(a{n}) WHERE a{n}.x IN ['(', ']'] | [y IN [a{n}] | y]]"
    body = "MATCH (s) RETURN " + ", ".join(clause.format(n=n) for n in range(4000))
    started = time.process_time()  # CPU seconds: other tests running beside it barely count
    assert reused_variables(body) == []
    assert time.process_time() - started < 2.0


def test_text_is_typed_by_the_declaration_alone(tmp_path):
    write(tmp_path, "by-uid", GOOD)
    query = load_library(tmp_path).get("by-uid")
    kinds = query.params["kinds"]
    assert query.parse({"uid": "007", "limit": "7", "kinds": "a, b", "since": ""}) == {
        "uid": "007", "limit": "7", "kinds": ["a", "b"]}
    assert query.bind(query.parse({"uid": "true", "kinds": '["x,y", "z"]'})) == {
        "uid": "true", "limit": 5, "since": "2025-01-01", "kinds": ["x,y", "z"]}
    assert query.parse({"kinds": ["a", "b,c"]}) == {"kinds": ["a", "b", "c"]}
    assert kinds.parse(kinds.text(["complaint", "warranty"]), "q") == ["complaint", "warranty"]
    assert query.params["limit"].text(5) == "5" and kinds.text(None) == ""
    with pytest.raises(ParameterError, match="'kinds' must be a list of strings"):
        query.parse({"kinds": "[not json"})
