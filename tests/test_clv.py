"""Forward-looking lifetime value (``erm clv``, erm_graph/strategy/clv.py): what counts as a
purchase and the summary the models read, on a planted library whose every figure is known;
the forecast's shape; and its calibration on the demo's planted web-shop cohort, whose
purchases after the cut-off the generator made from a known BG/NBD process."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from erm_graph.cli import app
from erm_graph.demo import facts
from erm_graph.errors import ErmError
from erm_graph.query.clv import purchase_days
from erm_graph.strategy import clv

RB = facts.REPEAT_BUYERS

PLANTED = """
CREATE (a:Customer:Party {uid: 'c-a', name: 'Alpha', segment: 'smb'}),
       (b:Customer:Party {uid: 'c-b', name: 'Beta', segment: 'smb'}),
       (k:Contact {uid: 'k-a', name: 'Carl'})-[:WORKS_FOR]->(a),
       (a)-[:HAD]->(:Interaction {uid: 'i1', kind: 'purchase', amount: 100.0,
                                  at: '2026-01-01T10:00:00'}),
       (k)-[:HAD]->(:Interaction {uid: 'i2', kind: 'purchase', amount: 50.0,
                                  at: '2026-01-01T15:00:00'}),
       (a)-[:HAD]->(:Interaction {uid: 'i3', kind: 'purchase', amount: 300.0,
                                  at: '2026-02-01T10:00:00'}),
       (a)-[:HAD]->(:Interaction {uid: 'i4', kind: 'purchase', at: '2026-02-10T10:00:00'}),
       (a)-[:HAD]->(:Interaction {uid: 'i5', kind: 'call', at: '2026-03-01T10:00:00'}),
       (a)-[:HOLDS]->(:Opportunity {uid: 'o1', name: 'Up', stage: 'won', amount: 500.0,
                                    close_date: '2026-03-02'}),
       (a)-[:HOLDS]->(:Opportunity {uid: 'o2', name: 'Lost', stage: 'lost', amount: 900.0,
                                    close_date: '2026-03-03'}),
       (a)-[:HOLDS]->(:Contract {uid: 'k1', name: 'Frame', value: 7000.0, start: '2026-01-05'}),
       (b)-[:HAD]->(:Interaction {uid: 'i6', kind: 'purchase', amount: 80.0,
                                  at: '2026-04-01T10:00:00'}),
       (b)-[:HAD]->(:Interaction {uid: 'i7', kind: 'support', at: '2026-05-31T10:00:00'})
"""


@pytest.fixture
def planted(store):
    store.run(PLANTED, read_only=False)
    return store


def test_a_purchase_is_a_day_with_purchases_or_a_won_deal(planted):
    days = purchase_days(planted, until="2026-06-01")
    # the contact's purchase joins its customer's on the same day; a purchase without an
    # amount, a call, a lost deal and a contract are not purchases
    assert days["c-a"]["days"] == {"2026-01-01": 150.0, "2026-02-01": 300.0,
                                   "2026-03-02": 500.0}
    assert days["c-b"]["days"] == {"2026-04-01": 80.0}
    assert purchase_days(planted, until="2026-03-01", since="2026-01-15") == {
        "c-a": {"name": "Alpha", "days": {"2026-02-01": 300.0}}}


def test_the_summary_the_models_read(planted):
    end, customers = clv.history(planted)
    assert end == "2026-06-01", "the day after the latest interaction"
    alpha, beta = customers
    assert (alpha.uid, alpha.purchases, alpha.frequency) == ("c-a", 3, 2)
    assert alpha.recency == pytest.approx(60 / clv.MONTH_DAYS)  # Jan 1 to Mar 2
    assert alpha.T == pytest.approx(151 / clv.MONTH_DAYS)  # Jan 1 to Jun 1
    assert alpha.monetary == 400.0, "the mean of the repeat purchases, the first left out"
    assert alpha.spent == 950.0
    assert (beta.frequency, beta.recency, beta.monetary) == (0, 0.0, 0.0)


def test_too_few_repeat_buyers_is_said_plainly(planted):
    with pytest.raises(ErmError, match="at least 10"):
        clv.forecast(planted, cache=None)


def test_a_forecast_with_its_intervals(demo_store):
    found = clv.forecast(demo_store, horizon=12, cache=None)
    assert found.end == "2026-11-01" and found.customers == len(found.rows)
    values = [r["predicted_value"] for r in found.rows]
    assert values == sorted(values, reverse=True)
    for r in found.rows:
        assert 0 <= r["p_alive"] <= 1
        assert r["purchases_low"] <= r["expected_purchases"] + 1e-6
        assert r["expected_purchases"] <= r["purchases_high"] + 1e-6
        assert r["value_low"] <= r["predicted_value"] + 0.01 <= r["value_high"] + 0.02
    t = found.totals
    assert t["purchases_low"] < t["expected_purchases"] < t["purchases_high"]
    assert found.rows[0]["uid"] == facts.TOP_CUSTOMER.customer
    # a longer horizon expects more
    longer = clv.forecast(demo_store, horizon=24, cache=None)
    assert longer.totals["expected_purchases"] > t["expected_purchases"]
    one = clv.customer(demo_store, facts.TOP_CUSTOMER.customer)
    assert one is not None and one["predicted_value"] == found.rows[0]["predicted_value"]
    assert clv.customer(demo_store, facts.WARM_PATH.target) is None, "no purchases"


def test_calibration_on_the_planted_cohorts_hold_out(demo_store):
    """The cohort's purchases after the cut-off are the generator's: the model fitted on the
    history before predicts them within 25% in all, and orders the customers: its top decile
    buys several times what its bottom decile does. The naive baseline (each customer buys as
    in the same span before the cut-off) misses the cohort's dropping out."""
    found = clv.calibrate(demo_store, RB.cutoff, segment=RB.segment)
    cal = found.calibration
    assert cal is not None and cal["customers"] == RB.customers
    assert cal["actual_purchases"] > 100, "a hold-out with something to predict"
    assert abs(cal["aggregate_error"]) <= 0.25
    assert abs(cal["aggregate_error"]) < abs(cal["naive_aggregate_error"])
    assert cal["mean_absolute_error"] < cal["naive_mean_absolute_error"]
    assert cal["top_decile_actual"] > 3 * cal["bottom_decile_actual"]
    assert cal["predicted_low"] <= cal["actual_purchases"] <= cal["predicted_high"] * 1.1
    # the fitted purchase rate is the planted one's order: mean r / alpha of 0.5 a month
    assert found.params["bgnbd_r"] / found.params["bgnbd_alpha"] == pytest.approx(
        RB.r / RB.alpha, rel=0.3)


def test_calibration_refuses_a_cutoff_after_the_history(demo_store):
    with pytest.raises(ErmError, match="not before the end"):
        clv.calibrate(demo_store, "2027-01-01")
    with pytest.raises(ErmError, match="YYYY-MM-DD"):
        clv.calibrate(demo_store, "March")


def test_a_fit_is_kept_until_the_graph_changes(planted):
    from erm_graph.query.result_cache import ResultCache

    cache = ResultCache()
    rows = [f"(:Customer:Party {{uid: 'r{n}', name: 'R{n}'}})-[:HAD]->(:Interaction "
            f"{{uid: 'ri{n}-{k}', kind: 'purchase', amount: {10 + n + k}.0, "
            f"at: '2025-{1 + (n + 3 * k) % 12:02d}-{1 + n:02d}T10:00:00'}})"
            for n in range(20) for k in range(1 + n % 4)]
    planted.run("CREATE " + ", ".join(rows), read_only=False)
    first = clv.forecast(planted, cache=cache)
    assert clv.forecast(planted, cache=cache) is first
    planted.run("CREATE (:Interaction {uid: 'late', kind: 'call', at: '2026-09-01T10:00:00'})",
                read_only=False)
    assert clv.forecast(planted, cache=cache) is not first


def test_erm_clv_command(demo_store, tmp_path):
    db = demo_store.location
    runner = CliRunner()
    out = runner.invoke(app, ["--db", f"embedded:{db}", "clv", "--customer",
                              facts.TOP_CUSTOMER.customer, "--format", "json"])
    assert out.exit_code == 0, out.output
    found = json.loads(out.output)
    assert [r["uid"] for r in found["rows"]] == [facts.TOP_CUSTOMER.customer]
    assert found["horizon"] == 12.0 and found["params"]["bgnbd_r"] > 0
    out = runner.invoke(app, ["--db", f"embedded:{db}", "clv", "--calibrate", RB.cutoff,
                              "--segment", RB.segment, "--limit", "3"])
    assert out.exit_code == 0, out.output
    assert "Hold-out 2026-03-01 to 2026-11-01" in out.output
