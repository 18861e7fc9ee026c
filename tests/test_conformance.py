"""Cypher conformance: the openCypher TCK played through the ad hoc path, and its guards.

The TCK is read from ``ERM_TCK_DIR`` or ``../shared/opencypher-tck`` beside the checkout; the
tests that need it skip, saying so, where it is absent.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from erm_graph.conformance import values
from erm_graph.conformance.scenarios import scenarios, tck_dir
from erm_graph.query import engine_caveats, run_cypher
from erm_graph.query.cypher_text import CypherSyntaxError, tokens
from erm_graph.store import open_store
from tests.conftest import NEO4J_URL

ROOT = Path(__file__).resolve().parent.parent
HAVE_TCK = (tck_dir() / "features").is_dir()
needs_tck = pytest.mark.skipif(not HAVE_TCK, reason=f"no openCypher TCK at {tck_dir()} "
                                                    "(set ERM_TCK_DIR)")


@pytest.fixture(scope="module")
def tck_results(tmp_path_factory):
    from erm_graph.conformance.report import play_embedded

    return play_embedded(tmp_path_factory.mktemp("tck"))


@needs_tck
def test_no_read_or_write_of_the_tck_is_silently_wrong(tck_results):
    wrong = [f"{r.scenario.key}\n    {r.scenario.query!r}\n    {r.detail}"
             for r in tck_results if r.outcome == "wrong"]
    assert not wrong, "silently wrong on the embedded engine:\n" + "\n".join(wrong)
    assert len(tck_results) > 3800  # every scenario was played, outlines expanded


@needs_tck
def test_the_conformance_doc_is_current(tck_results):
    from erm_graph.conformance.report import markdown

    doc = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    assert doc == markdown(tck_results), "run: python tools/gen_conformance.py"


@needs_tck
def test_the_deeply_nested_literal_is_answered_or_refused_in_bounded_time(tck_results):
    deep = [r for r in tck_results if "40-deep" in r.scenario.name]
    assert deep and deep[0].outcome in ("pass", "refused"), deep


@needs_tck
@pytest.mark.neo4j
def test_neo4j_answers_the_tck_reads(tmp_path):  # pragma: no cover - needs a live Neo4j
    from erm_graph.conformance.runner import run_all

    store = open_store(NEO4J_URL or "")
    try:
        reads = [s for s in scenarios() if not s.expected.side_effects and not s.unplayable]
        results = run_all(store, reads[:400])
    finally:
        store.clear()
        store.close()
    assert not [r for r in results if r.outcome == "wrong"]


# -- the TCK's value notation ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("1", ("int", 1)), ("1.0", ("float", 1.0)), ("-Inf", ("float", float("-inf"))),
    ("'a\\'b'", ("str", "a'b")), ("'\\u01FF'", ("str", "ǿ")), ("null", ("null",)),
    ("[1, 'x']", ("list", (("int", 1), ("str", "x")))),
    ("{b: 1, a: null}", ("map", (("a", ("null",)), ("b", ("int", 1))))),
    ("(:B:A {p: 1})", ("node", ("A", "B"), (("p", ("int", 1)),))),
    ("[:T]", ("rel", "T", ())),
    ("<(:A)<-[:T]-()>", ("path", (("node", ("A",), ()), (("rel", "T", ()), "<"),
                                  ("node", (), ())))),
])
def test_tck_values_are_read_type_exactly(text, expected):
    assert values.parse(text) == expected


def test_an_integer_and_a_float_are_different_answers():
    assert values.parse("15") != values.canon(15.0)
    assert values.parse("15") == values.canon(15)


# -- the lexer every text check uses --------------------------------------------------------------

def test_the_lexer_knows_strings_comments_and_ranges():
    kinds = [(t.kind, t.text) for t in tokens(
        "MATCH (a)-[r*1..3]->(b) // x'\nWHERE a.s = 'it\\'s /* no */' RETURN `odd name`")]
    assert ("op", "..") in kinds and ("number", "1") in kinds and ("number", "3") in kinds
    assert ("string", "'it\\'s /* no */'") in kinds and ("quoted", "`odd name`") in kinds
    assert not any(text == "x" for _, text in kinds)  # the comment is skipped


@pytest.mark.parametrize("text", ["RETURN 'open", "RETURN /* open", "RETURN `open", "RETURN \x00"])
def test_the_lexer_refuses_what_it_cannot_read(text):
    with pytest.raises(CypherSyntaxError):
        list(tokens(text))


@pytest.mark.parametrize("unit", ["/*", "'", "[(", "-[r*", "^ 1 ", "\\u", "(a)-->"])
def test_text_checks_take_linear_time_on_hostile_text(unit):
    def cost(n: int) -> float:
        """CPU seconds, the least of three runs: a busy machine barely moves it."""
        text = "RETURN " + unit * n
        runs = []
        for _ in range(3):
            started = time.process_time()
            try:
                engine_caveats.warnings_for(engine_caveats.mend(text))
            except CypherSyntaxError:
                pass
            runs.append(time.process_time() - started)
        return min(runs)

    small, large = cost(2_000), cost(8_000)
    assert large < 2.0 and large < 8 * small + 0.05, (unit, small, large)


# -- what an analyst sees on the embedded engine --------------------------------------------------

def test_a_count_the_engine_gets_wrong_carries_a_warning(store):
    store.run("CREATE (:A)-[:T]->(:B)-[:T]->(:C), (:B)-[:T]->(:D)", read_only=False)
    result = run_cypher(store, "MATCH ()-[]-()-[]-() RETURN count(*) AS n")
    assert any(w.startswith("shared-relationship:") for w in result.warnings)
    assert "WHERE r1 <> r2" in result.warnings[0]


def test_the_portable_rewrite_in_the_warning_gives_the_right_count(store):
    store.run("CREATE (:A)-[:T]->(:B)-[:T]->(:C)", read_only=False)
    result = run_cypher(store, "MATCH ()-[r1]-()-[r2]-() WHERE r1 <> r2 RETURN count(*) AS n")
    assert result.rows == [[2]] and result.warnings == []


def test_unicode_escapes_are_mended_before_the_engine_reads_them(store):
    result = run_cypher(store, "RETURN '\\u01FF' AS a, 'tab\\there' AS b")
    assert result.rows == [["ǿ", "tab\there"]] and result.warnings == []


def test_an_integer_sum_is_flagged_and_plain_queries_are_not(store):
    store.run("UNWIND range(1, 5) AS i CREATE (:N {num: i})", read_only=False)
    summed = run_cypher(store, "MATCH (n:N) RETURN sum(n.num) AS s")
    assert summed.rows == [[15.0]] and summed.warnings[0].startswith("integer-sum:")
    plain = run_cypher(store, "MATCH (c:N)<-[:MANAGES]-(e) WHERE c.num > 2 "
                              "RETURN c.num, e.name ORDER BY c.num LIMIT 5")
    assert plain.warnings == []


@pytest.mark.parametrize("query", [
    "MATCH (c:C) RETURN c.n, exists((c)<-[:M]-()) AS managed ORDER BY c.n",
    "MATCH (c:C) RETURN c.n, CASE WHEN (c)<-[:M]-() THEN true ELSE false END AS managed "
    "ORDER BY c.n",
])
def test_a_pattern_as_a_value_is_flagged_and_its_rewrite_is_right(store, query):
    """Found measuring CRM maturity: a pattern used as a value outside WHERE is true on this
    engine for a node it does not match; the rewrite the warning gives is right."""
    store.run("CREATE (:C {n: 1})<-[:M]-(:E), (:C {n: 2})", read_only=False)
    wrong = run_cypher(store, query)
    assert any(w.startswith("pattern-expression:") for w in wrong.warnings)
    assert wrong.rows == [[1, True], [2, True]], "the engine's answer changed: revisit"
    right = run_cypher(store, "MATCH (c:C) RETURN c.n, size([(c)<-[:M]-(e) | e]) > 0 AS managed "
                              "ORDER BY c.n")
    assert right.rows == [[1, True], [2, False]]
    assert not any(w.startswith("pattern-expression:") for w in right.warnings)


def test_the_cli_prints_warnings_on_stderr_and_rows_on_stdout(tmp_path):
    db = f"embedded:{tmp_path / 'db'}"
    erm = [shutil.which("erm", path=str(Path(sys.executable).parent)) or "erm", "--db", db]
    done = subprocess.run(erm + ["cypher", "UNWIND [1, 2] AS x RETURN sum(x) AS s",
                                 "--format", "csv"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines() == ["s", "3.0"]
    assert "warning: integer-sum" in done.stderr and "toInteger()" in done.stderr


@pytest.mark.parametrize(("query", "warned"), [
    # typed hops, the middle used: nothing to fear, nothing said
    ("MATCH (c:C)-[:HAD]->(i:I)-[:WITH]->(e:E) RETURN c.name, e.name, i.amount", False),
    ("MATCH p = (c:C)-[:HAD]->(:I)-[:WITH]->(e:E) RETURN count(p)", False),
    # the middle unused (paths collapse), one type twice, untyped: warned
    ("MATCH (c:C)-[:HAD]->(i:I)-[:WITH]->(e:E) RETURN c, e, count(*)", True),
    ("MATCH (a)-[:T]->(b)<-[:T]-(c) RETURN a, b, c", True),
    ("MATCH (a)-[r1]->(b)-[r2]-(c) RETURN a, b, c", True),
])
def test_the_shared_relationship_warning_fires_only_where_the_engine_can_mislead(query, warned):
    found = [w for w in engine_caveats.warnings_for(query) if w.startswith("shared-")]
    assert bool(found) == warned
