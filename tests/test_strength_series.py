"""Relationship strength kept as a time series: each `erm analyze strength --write` adds the
day's score to the KNOWS relationship's ``strength_series``; the decaying-relationships query
reads the series and proposes the next action through the warm path; the relationship-decay
watch rule flags only a pair whose strength fell. On the planted fading pair of
tests/test_relationship_assets.py: Bob met Pine monthly until September 2025, Ann still
does, Gone left the company on 2025-12-01."""

from __future__ import annotations

import json

import pytest

from erm_graph import analytics
from erm_graph.analytics.strength import SERIES_SAMPLES, _series
from erm_graph.errors import ErmError
from erm_graph.query import run_query
from erm_graph.query.network import knows_series
from erm_graph.watch.rules import load_rules
from tests.test_relationship_assets import DECAY, RECENT

DAYS = ("2025-06-30", "2025-09-30", "2025-12-31")


@pytest.fixture
def fading(store):
    store.run(DECAY, read_only=False)
    store.run(RECENT, read_only=False)
    for day in DAYS:
        analytics.write_knows(store, analytics.relationship_strength(store, as_of=day))
    return store


def scores(series):
    return [float(s.split("=")[1]) for s in series]


def test_each_run_adds_the_days_sample(fading):
    series = knows_series(fading)
    bob = series[("e-bob", "c-p")]["series"]
    assert [s[:10] for s in bob] == list(DAYS)
    # Bob's last call was on 2025-09-15: his strength falls once the calls stop
    assert scores(bob)[2] < scores(bob)[1]
    # computed again for the same day: replaced, not added
    analytics.write_knows(fading, analytics.relationship_strength(fading, as_of=DAYS[-1]))
    assert knows_series(fading)[("e-bob", "c-p")]["series"] == bob
    # a past day filled in later joins the series and leaves the latest score be
    latest = knows_series(fading)[("e-bob", "c-p")]
    analytics.write_knows(fading, analytics.relationship_strength(fading, as_of="2025-03-31"))
    now = knows_series(fading)[("e-bob", "c-p")]
    assert [s[:10] for s in now["series"]] == ["2025-03-31", *DAYS]
    assert (now["strength"], now["evidence"]) == (latest["strength"], latest["evidence"])
    assert now["strength"] == scores(bob)[-1]


def test_a_past_days_strength_counts_only_the_interactions_up_to_it(fading):
    frame = analytics.relationship_strength(fading, as_of="2025-06-30")
    bob = frame[frame["employee"] == "e-bob"].iloc[0]
    evidence = json.loads(bob["evidence"])
    assert (evidence["interactions"], evidence["last"], evidence["as_of"]) == (
        6, "2025-06-15T10:00:00", "2025-06-30")
    with pytest.raises(ErmError, match="YYYY-MM-DD"):
        analytics.relationship_strength(fading, as_of="June")


def test_the_series_keeps_its_newest_samples():
    kept: list[str] = []
    for n in range(SERIES_SAMPLES + 5):
        kept = _series(kept, f"{2000 + n}-01-01", n / 1000)
    assert len(kept) == SERIES_SAMPLES and kept[-1].startswith(f"{2000 + SERIES_SAMPLES + 4}")
    assert kept == sorted(kept)


def test_the_decaying_pair_reads_its_series_and_the_warm_path(fading):
    (bob,) = run_query(fading, "decaying-relationships",
                       {"until": "2026-01-01", "min_per_month": 0.5}).records()
    assert bob["employee_uid"] == "e-bob"
    assert [s[:10] for s in bob["strength_series"]] == list(DAYS)
    assert bob["strength_first"] == scores(bob["strength_series"])[0]
    assert bob["strength_now"] == scores(bob["strength_series"])[-1]
    assert bob["strength_first"] > bob["strength_now"]
    # the warm path: Ann knows Pine (Gone has left, so is no door)
    assert (bob["warm_path_via"], bob["warm_path_knows"]) == ("Ann", "Pine")
    assert bob["next_action"].startswith("Bob: get back in touch with Pine, through Ann, who "
                                         "knows Pine (tie strength ")
    fall = bob["strength_first"] - bob["strength_now"]
    kept = run_query(fading, "decaying-relationships",
                     {"until": "2026-01-01", "min_per_month": 0.5,
                      "min_strength_fall": round(fall - 0.001, 4)}).records()
    assert [r["employee_uid"] for r in kept] == ["e-bob"]
    assert run_query(fading, "decaying-relationships",
                     {"until": "2026-01-01", "min_per_month": 0.5,
                      "min_strength_fall": round(fall + 0.001, 4)}).records() == []


def test_without_a_series_the_owner_opens_the_door(store):
    store.run(DECAY, read_only=False)
    store.run(RECENT, read_only=False)
    (bob,) = run_query(store, "decaying-relationships",
                       {"until": "2026-01-01", "min_per_month": 0.5,
                        "min_strength_fall": 0.5}).records()
    assert bob["strength_series"] == [] and bob["strength_now"] is None
    assert bob["next_action"] == ("Bob: get back in touch with Pine, with Ann (account owner) "
                                  "opening the door")


def test_the_watch_rule_flags_a_falling_series_with_the_next_action(fading):
    (rule,) = load_rules(names=["relationship-decay"])
    assert rule.params["min_strength_fall"] > 0
    (row,) = run_query(fading, "decaying-relationships",
                       {**rule.params, "until": "2026-01-01", "min_per_month": 0.5}).records()
    assert rule.text_of(row).startswith("Bob: get back in touch with Pine, through Ann")


def test_the_account_page_has_each_team_members_series(fading):
    from erm_graph.query.account import account

    team = {t["uid"]: t for t in account(fading, "c-p", sections=["people"])["team"]["rows"]}
    assert [s[:10] for s in team["e-bob"]["strength_series"]] == list(DAYS)
    assert team["e-bob"]["strength"] == scores(team["e-bob"]["strength_series"])[-1]
