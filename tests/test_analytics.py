"""Analytics on the real embedded engine: projection, algorithms, strength write-back, warm path."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from erm_graph import analytics, load
from erm_graph.analytics.projection import NETWORK_TYPES
from erm_graph.cli import app
from erm_graph.demo import facts
from erm_graph.errors import ErmError


@pytest.fixture(scope="module")
def writable_demo(tmp_path_factory):
    """A small demo of its own: these tests write KNOWS relationships."""
    from erm_graph.demo import load_demo
    from erm_graph.store import open_store

    store = open_store(f"embedded:{tmp_path_factory.mktemp('analytics') / 'db'}")
    load_demo(store, "small", 7)
    yield store
    store.close()


@pytest.fixture(scope="module")
def network(writable_demo):
    return analytics.project(writable_demo)


def test_projection_holds_the_relationship_network(network):
    assert {network.nodes[n]["label"] for n in network} >= {"Customer", "Employee", "Contact"}
    kp = facts.KEY_PERSON
    assert network.has_edge(kp.customer, kp.employee)
    assert network[kp.customer][kp.employee]["type"] == "MANAGES"


def test_sampling_caps_each_relationship_type(writable_demo):
    small = analytics.project(writable_demo, max_edges=10)
    assert small.number_of_edges() <= 10 * (len(NETWORK_TYPES) + 1)  # and MET


def test_reporting_lines_are_ties_of_the_network(store):
    """An org chart's reporting lines join our people in the network (the demo's staff
    report to their department's head too; the answers planted in it hold with them, as the
    tests below check)."""
    load(store, Path(__file__).parent / "corpus" / "drawio" / "orgchart.drawio",
         diagram="orgchart")
    network = analytics.project(store)
    assert network["emp:ben-ode"]["emp:ana-lopez"]["type"] == "REPORTS_TO"
    assert sum(t == "REPORTS_TO" for _, _, t in network.edges(data="type")) == 6


@pytest.mark.parametrize("name", list(analytics.ALGORITHMS))
def test_every_algorithm_returns_a_ranked_frame(network, name):
    frame = analytics.run_algorithm(name, network)
    assert len(frame) > 0
    assert frame.columns[0] in ("uid", "from_uid")


def test_cro_and_approximate_betweenness(network):
    pr = analytics.run_algorithm("pagerank", network)
    assert pr["pagerank"].sum() == pytest.approx(1.0)
    exact = analytics.algorithms.betweenness(network, samples=None)
    approx = analytics.algorithms.betweenness(network, samples=64)
    top_exact = set(exact["uid"].head(10))
    assert len(top_exact & set(approx["uid"].head(20))) >= 6


def test_communities_cover_every_node(network):
    frame = analytics.run_algorithm("communities", network)
    assert set(frame["uid"]) == set(network)


def test_articulation_points_and_bridges_match_networkx(network):
    cuts = analytics.run_algorithm("articulation-points", network)
    assert set(cuts["uid"]) == set(nx.articulation_points(network))
    # the warm-path target hangs on one tie only
    bridges = analytics.run_algorithm("bridges", network)
    pairs = {frozenset((a, b)) for a, b in zip(bridges["from_uid"], bridges["to_uid"],
                                                 strict=True)}
    assert frozenset((facts.WARM_PATH.via, facts.WARM_PATH.target)) in pairs


def test_strength_explains_itself_and_is_written_back(writable_demo):
    frame = analytics.relationship_strength(writable_demo)
    assert frame["strength"].between(0, 1).all()
    kp = facts.KEY_PERSON
    row = frame[(frame["employee"] == kp.employee) & (frame["party"] == kp.customer)].iloc[0]
    evidence = json.loads(row["evidence"])
    assert evidence["interactions"] == row["interactions"]
    contacts = {r[0] for r in writable_demo.run(
        "MATCH (c:Contact)-[:WORKS_FOR]->(:Party {uid: $p}) RETURN c.uid",
        {"p": kp.customer}).rows}
    mine = frame[frame["party"].isin(contacts | {kp.customer})]
    assert set(mine["employee"]) == {kp.employee}
    assert mine["interactions"].sum() == kp.interactions
    assert set(evidence) >= {"recency", "frequency", "reciprocity", "sentiment", "last"}
    written = analytics.write_knows(writable_demo, frame)
    assert written == len(frame)
    stored = writable_demo.run(
        "MATCH (:Employee {uid: $e})-[k:KNOWS]->(:Party {uid: $p}) RETURN k.strength, "
        "k.evidence", {"e": kp.employee, "p": kp.customer}).rows
    assert stored == [[row["strength"], row["evidence"]]]
    again = analytics.write_knows(writable_demo, frame)  # idempotent: MERGE, no duplicates
    assert again == written
    count = writable_demo.run("MATCH ()-[k:KNOWS]->() RETURN count(k)").rows[0][0]
    assert count == written


def test_warm_path_fallback_finds_the_planted_chain(writable_demo):
    wp = facts.WARM_PATH
    found = analytics.warm_path(writable_demo, wp.target)
    assert found["hops"] == 2
    assert found["chain"][1:] == [wp.via, wp.target]
    with pytest.raises(ErmError, match="no party with uid"):
        analytics.warm_path(writable_demo, "cust-nope")


def test_cli_analyze(writable_demo):
    runner = CliRunner()
    db = ["--db", f"embedded:{writable_demo.location}"]
    done = runner.invoke(app, [*db, "analyze", "pagerank", "--top", "3", "--format", "csv"])
    assert done.exit_code == 0, done.output
    assert len(done.stdout.strip().splitlines()) == 4
    bad = runner.invoke(app, [*db, "analyze", "magic"])
    assert bad.exit_code == 1 and "unknown algorithm 'magic'" in bad.output
