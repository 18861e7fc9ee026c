"""Every column of every named query, on the small demo, against what the demo generator
planted, worked out without the engine (tests/query_reference.py).

The list of queries comes from the library: a new query without a reference function fails
here. Each runs with its example parameters (the planted facts' uids) and with the parameters
below, which point at the other planted facts.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import pytest

from erm_graph.demo import facts
from erm_graph.query import load_library, run_query
from tests.query_reference import EXPECTED, ORDER, SAMPLES, UNORDERED, DemoGraph

#: the account owner of the customer at risk (facts.AT_RISK), who manages 26 parties
MERIDIAN_OWNER = "emp-0009"
#: more parameter sets, each aimed at a planted fact
MORE: dict[str, list[dict[str, Any]]] = {
    "customer-360": [{"uid": u} for u in (facts.AT_RISK.customer, facts.TOP_CUSTOMER.customer,
                                         facts.SUPPLIER_DEPENDENCY.supplier)],
    "relationship-map": [{"uid": u} for u in ("proc-procurement", "proc-partner")],
    "who-touches": [{"uid": facts.AT_RISK.customer}, {"uid": facts.WARM_PATH.via}],
    "journey-documents": [{"uid": facts.SUPPLIER_DEPENDENCY.supplier},
                          {"uid": facts.AT_RISK.customer, "kind": "document"}],
    "key-person-risk": [{"kind": "Customer"}, {"min_interactions": 0, "limit": 500}],
    "complaint-hotspots": [{"since": f"{facts.COMPLAINT_SPIKE.month}-01",
                            "until": "2026-04-01", "case_kinds": ["complaint"]}],
    "customer-needs": [{"kinds": ["need"], "limit": 500}],
    "survey-sentiment": [{"period": "month", "audience": "employee"}],
    "sales-by-domain": [{"period": "year"}],
    "lifetime-value": [{"segment": "smb", "limit": 500}],
    "at-risk-customers": [{"min_risk": 0.2, "until": "2026-08-01"},
                          {"min_risk": 0.0, "owner": MERIDIAN_OWNER, "limit": 500}],
    # an officer's own: cases of the parties they manage or assigned to them; the components
    # of the processes their department performs or their parties take part in
    "open-cases": [{"owner": MERIDIAN_OWNER, "limit": 500}, {"past_target_only": True},
                   {"as_of": "2026-03-01", "limit": 500}],
    "unowned-components": [{"owner": MERIDIAN_OWNER}],
    "service-targets": [{"as_of": f"{facts.PERIOD_END}T17:00:00", "open_only": True,
                         "breached_only": True, "limit": 500},
                        {"case": facts.SERVICE.solved, "as_of": "2030-01-01T00:00:00"}],
    "similar-customers": [{"uid": facts.KEY_PERSON.customer, "limit": 50}],
    "cross-sell": [{"uid": facts.KEY_PERSON.customer, "peers": 3}],
    "complaint-spike": [{"until": f"{facts.COMPLAINT_SPIKE.month}-28", "min_complaints": 2}],
    "decaying-relationships": [{"min_per_month": 0.2, "min_drop": 0.3, "limit": 500}],
    "pipeline-by-rep": [{"stages": ["won"]}],
    "pipeline-by-territory": [{"stages": ["lead", "proposal"]}],
    "campaign-performance": [{"since": "2026-01-01", "limit": 3}],
    "relationship-return": [{"by": "owner", "since": "2026-01-01", "until": "2026-07-01"},
                            {"by": "segment", "limit": 500}],
}
LIBRARY = load_library()
CASES = [(q.name, q.example_params()) for q in sorted(LIBRARY, key=lambda q: q.name)] + [
    (name, params) for name, sets in MORE.items() for params in sets]


@pytest.fixture(scope="module")
def reference() -> DemoGraph:
    return DemoGraph.build("small", seed=7)


@pytest.fixture(scope="module")
def demo(request):
    return request.getfixturevalue("demo_store")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return (actual is None) == (expected is None) and (
            actual is None or math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9))
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(map(same, actual, expected))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k])
                                                        for k in expected)
    return actual == expected


def check_cell(name: str, column: str, actual: Any, expected: Any) -> str | None:
    """What is wrong with one cell, or None."""
    if column in SAMPLES.get(name, {}):
        most = SAMPLES[name][column]
        if not isinstance(actual, list):
            ok = actual in expected if expected else actual is None
        else:
            ok = len(actual) == min(most, len(expected)) and not (
                Counter(map(canonical, actual)) - Counter(map(canonical, expected)))
    elif column in UNORDERED.get(name, {}):
        ok = same(sorted(actual or [], key=canonical), sorted(expected, key=canonical))
    else:
        ok = same(actual, expected)
    return None if ok else f"{column}: got {actual!r}, expected {expected!r}"


@pytest.mark.parametrize(("name", "params"), CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_every_column_matches_the_planted_facts(demo, reference, name, params):
    assert name in EXPECTED, (f"named query {name!r} has no reference in "
                              "tests/query_reference.py: add one so its columns are checked")
    query = LIBRARY.get(name)
    result = run_query(demo, name, params)
    expected = EXPECTED[name](reference, query.bind(params))
    assert expected, f"the reference finds nothing for {name} {params}: pick other parameters"
    assert result.columns == list(expected[0]), "the columns differ from the reference's"
    actual = result.records()
    keys = ORDER[name]
    assert [[r[c] for c, _ in keys] for r in actual] == \
        [[r[c] for c, _ in keys] for r in expected], "rows or their order differ"
    # rows tied on every ORDER BY key may come in any order: pair them by their values
    problems = []
    for got, want in zip(_tie_order(actual, keys), _tie_order(expected, keys), strict=True):
        problems += [p for c in result.columns
                     if (p := check_cell(name, c, got[c], want[c])) is not None]
    assert not problems, f"{name} {params}: " + "; ".join(problems[:10])


def _tie_order(rows: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict]:
    """The rows with ties on the ORDER BY keys broken by the key columns' plain values."""
    return sorted(rows, key=lambda r: (
        [canonical(r[c]) for c, _ in keys], canonical({k: v for k, v in r.items()
                                                        if not isinstance(v, list | float)})))


def test_every_query_of_the_library_has_a_reference():
    assert sorted(EXPECTED) == sorted(q.name for q in LIBRARY)
