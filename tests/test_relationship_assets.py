"""Relationships as assets (issue 15 item 1): what is invested in each relationship against
what it returns (relationship-return), and preventive maintenance — relationships decaying
before they are lost, with who should get back in touch (decaying-relationships and its watch
rule). Planted libraries whose every figure is known, and the demo's planted at-risk
customer."""

from __future__ import annotations

import pytest

from erm_graph.demo import facts
from erm_graph.query import run_query

PERIOD = {"since": "2026-01-01", "until": "2026-07-01"}
PLANTED = """
CREATE (ann:Employee {uid: 'e-ann', name: 'Ann'}), (bob:Employee {uid: 'e-bob', name: 'Bob'}),
       (a:Customer:Party {uid: 'c-a', name: 'Alpha', segment: 'enterprise'}),
       (b:Customer:Party {uid: 'c-b', name: 'Beta', segment: 'enterprise'}),
       (z:Customer:Party {uid: 'c-z', name: 'Zeta', segment: 'smb'}),
       (ann)-[:MANAGES]->(a), (ann)-[:MANAGES]->(b),
       (ca:Contact {uid: 'k-a', name: 'Carl'})-[:WORKS_FOR]->(a),
       (a)-[:HAD]->(:Interaction {uid: 'i1', kind: 'meeting', channel: 'visit',
                                  at: '2026-02-01T10:00:00'}),
       (ca)-[:HAD]->(:Interaction {uid: 'i2', kind: 'meeting', channel: 'visit',
                                   at: '2026-03-01T10:00:00'}),
       (a)-[:HAD]->(:Interaction {uid: 'i3', kind: 'call', channel: 'phone',
                                  at: '2026-04-01T10:00:00'}),
       (a)-[:HAD]->(:Interaction {uid: 'i4', kind: 'purchase', channel: 'email', amount: 1000.0,
                                  at: '2026-05-01T10:00:00'}),
       (a)-[:HAD]->(:Interaction {uid: 'i-old', kind: 'purchase', channel: 'visit',
                                  amount: 9999.0, at: '2025-05-01T10:00:00'}),
       (:Investment {uid: 'v1', kind: 'gift', amount: 100.0, hours: 2.0,
                     at: '2026-03-05T10:00:00'})-[:INVESTED_IN]->(ca),
       (:Investment {uid: 'v-old', kind: 'gift', amount: 5000.0,
                     at: '2025-03-05T10:00:00'})-[:INVESTED_IN]->(a),
       (k:Campaign {uid: 'camp', name: 'Spring', start: '2026-03-01', cost: 300.0}),
       (k)-[:TARGETS]->(a), (k)-[:TARGETS]->(b), (k)-[:TARGETS]->(z),
       (a)-[:HOLDS]->(:Contract {uid: 'k1', name: 'Frame', value: 500.0, start: '2026-04-01'}),
       (a)-[:HOLDS]->(:Opportunity {uid: 'o1', name: 'Upsell', stage: 'won', amount: 200.0,
                                    close_date: '2026-06-01'}),
       (b)-[:HOLDS]->(:Opportunity {uid: 'o2', name: 'Lost', stage: 'lost', amount: 900.0,
                                    close_date: '2026-06-01'})
"""


@pytest.fixture
def planted(store):
    store.run(PLANTED, read_only=False)
    return store


def test_what_was_invested_and_returned_per_customer(planted):
    rows = {r["uid"]: r for r in run_query(planted, "relationship-return",
                                           {**PERIOD, "hourly_rate": 60}).records()}
    alpha = rows["c-a"]
    hours = 3 + 3 + 0.5 + 0.1 + 2  # two visits, a call, an email purchase, the gift's hours
    assert alpha["time_cost"] == round(hours * 60, 2)
    assert alpha["spend"] == 100.0 and alpha["campaign_share"] == 100.0  # 300 over 3 targets
    assert alpha["invested"] == round(hours * 60 + 200, 2)
    assert alpha["value"] == 1000 + 500 + 200, "purchases, contracts and won deals in the period"
    assert alpha["net"] == round(1700 - alpha["invested"], 2)
    assert alpha["return_ratio"] == round(1700 / alpha["invested"], 2)
    beta = rows["c-b"]
    assert (beta["invested"], beta["value"], beta["return_ratio"]) == (100.0, 0.0, 0.0)
    assert [r["uid"] for r in run_query(planted, "relationship-return", PERIOD).records()] \
        == ["c-a", "c-b", "c-z"], "largest net first, then by name"


def test_return_per_owner_and_per_segment_adds_up_its_customers(planted):
    per_party = {r["uid"]: r for r in run_query(planted, "relationship-return",
                                                PERIOD).records()}
    by_owner = {r["name"]: r for r in run_query(planted, "relationship-return",
                                                {**PERIOD, "by": "owner"}).records()}
    assert by_owner["Ann"]["customers"] == 2 and by_owner["(no owner)"]["customers"] == 1
    assert by_owner["Ann"]["invested"] == round(per_party["c-a"]["invested"]
                                                + per_party["c-b"]["invested"], 2)
    by_segment = {r["name"]: r for r in run_query(planted, "relationship-return",
                                                  {**PERIOD, "by": "segment"}).records()}
    assert by_segment["smb"]["value"] == per_party["c-z"]["value"]
    assert all(r["uid"] is None for r in by_segment.values())


def test_nothing_invested_has_no_return_ratio(store):
    store.run("CREATE (:Customer:Party {uid: 'c', name: 'Quiet'})", read_only=False)
    (row,) = run_query(store, "relationship-return").records()
    assert (row["invested"], row["return_ratio"]) == (0.0, None)


DECAY = """
CREATE (ann:Employee {uid: 'e-ann', name: 'Ann'}), (bob:Employee {uid: 'e-bob', name: 'Bob'}),
       (gone:Employee {uid: 'e-gone', name: 'Gone', left_on: '2025-12-01'}),
       (p:Customer:Party {uid: 'c-p', name: 'Pine'}), (ann)-[:MANAGES]->(p)
WITH ann, bob, gone, p
UNWIND range(0, 8) AS m
WITH ann, bob, gone, p, m, '2025-' + CASE WHEN m + 1 < 10 THEN '0' ELSE '' END
     + toString(m + 1) + '-15T10:00:00' AS early
CREATE (p)-[:HAD]->(:Interaction {uid: 'a' + toString(m), kind: 'call', at: early})-[:WITH]->(bob),
       (p)-[:HAD]->(:Interaction {uid: 'b' + toString(m), kind: 'call', at: early})-[:WITH]->(ann),
       (p)-[:HAD]->(:Interaction {uid: 'g' + toString(m), kind: 'call', at: early})-[:WITH]->(gone)
"""
RECENT = """
MATCH (p:Party {uid: 'c-p'}), (ann:Employee {uid: 'e-ann'})
UNWIND range(10, 12) AS m
CREATE (p)-[:HAD]->(:Interaction {uid: 'r' + toString(m), kind: 'call',
        at: '2025-' + toString(m) + '-15T10:00:00'})-[:WITH]->(ann)
"""


def test_a_fading_pair_shows_with_who_should_get_back_in_touch(store):
    store.run(DECAY, read_only=False)
    store.run(RECENT, read_only=False)
    rows = run_query(store, "decaying-relationships",
                     {"until": "2026-01-01", "min_per_month": 0.5}).records()
    assert [(r["uid"], r["employee_uid"]) for r in rows] == [("c-p", "e-bob")], \
        "Ann kept in touch; Gone left before the period's end"
    (bob,) = rows
    assert (bob["earlier_per_month"], bob["recent_per_month"], bob["drop"]) == (1.0, 0.0, 1.0)
    assert bob["account_owner"] == "Ann" and bob["last_contact"] == "2025-09-15T10:00:00"


def test_the_demo_at_risk_customer_is_decaying_with_its_owner(demo_store):
    rows = run_query(demo_store, "decaying-relationships", {"limit": 500}).records()
    mine = [r for r in rows if r["uid"] == facts.AT_RISK.customer]
    assert mine and all(r["drop"] >= 0.5 for r in mine)
    assert any(r["employee"] == r["account_owner"] for r in mine)


def test_the_demos_planted_investment_is_counted_as_its_spend(demo_store):
    planted = facts.INVESTMENT
    rows = {r["uid"]: r for r in run_query(demo_store, "relationship-return",
                                           {"since": "2026-01-01", "until": "2027-01-01",
                                            "limit": 500}).records()}
    assert rows[planted.customer]["spend"] == planted.spend_2026
    assert sum(r["spend"] for r in rows.values()) == planted.spend_2026, "the only ones"
    assert any(r["campaign_share"] > 0 for r in rows.values()), "campaigns have a cost"
