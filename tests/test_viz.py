"""erm_graph.viz: subgraphs, the relationship-map layout, offline HTML exports, `erm viz`."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from erm_graph.cli import app
from erm_graph.demo import facts
from erm_graph.viz import map_html, neighborhood_html, relationship_map, show
from erm_graph.viz.relationship_map import flow_ranks, spread
from erm_graph.viz.subgraph import NotFound, find_node, neighbors, search, shortest_path
from erm_graph.viz.vis import map_to_vis

#: any <script src> or <link href> to a remote origin
REMOTE = re.compile(r"<(script|link)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//", re.I)


def test_flow_ranks_put_branches_in_one_column_and_ignore_loops():
    order = {"a": 0, "g": 1, "yes": 2, "no": 3, "end": 4}
    edges = [("a", "g"), ("g", "yes"), ("g", "no"), ("yes", "end"), ("end", "a")]
    rank = flow_ranks(order, edges)
    assert rank == {"a": 0, "g": 1, "yes": 2, "no": 2, "end": 3}


def test_spread_keeps_order_and_gap():
    xs = spread([("a", 0.0), ("b", 0.0), ("c", 10.0)], gap=100)
    assert xs["b"] - xs["a"] == 100 and xs["c"] - xs["b"] == 100
    assert abs(sum(xs.values()) / 3 - 10 / 3) < 1e-9


def test_relationship_map_bands(demo_store):
    gw = facts.GATEWAY
    m = relationship_map(demo_store, gw.process)
    pos, bands = m.positions, m.bands
    flow_y = {pos[s][1] for s in gw.steps}
    assert max(flow_y) - min(flow_y) <= 120 * 3, "steps stay in the middle band"
    # flow order left to right; the two branches of the gateway share a column
    assert pos["step-cr-start"][0] < pos[gw.gateway][0] < pos[gw.yes_step][0]
    assert pos[gw.yes_step][0] == pos[gw.no_step][0]
    top, bottom = min(flow_y), max(flow_y)
    for uid, band in bands.items():
        if band == "performer":
            assert pos[uid][1] < top, uid
        elif band == "document":
            assert pos[uid][1] > bottom, uid
    xs = [pos[s][0] for s in gw.steps]
    parties = [u for u, b in bands.items() if b == "party"]
    assert parties, "the demo's customer process has participating parties"
    for uid in parties:
        assert pos[uid][0] < min(xs) or pos[uid][0] > max(xs), uid


def test_map_marks_owners_and_unowned(demo_store):
    data = map_to_vis(relationship_map(demo_store, "proc-customer"))
    by_id = {n["id"]: n for n in data["nodes"]}
    assert "★" in by_id["step-cr-start"]["label"]
    assert by_id["step-cr-start"]["x"] < by_id["step-cr-end"]["x"]
    via_map = map_to_vis(relationship_map(demo_store, "map-customer"))
    assert via_map["process"]["uid"] == "proc-customer", "a Map uid resolves to its process"


def test_unowned_components_are_flagged(demo_store):
    uid = next(iter(facts.UNOWNED.steps))
    process = demo_store.run("MATCH (p:Process)-[:HAS_STEP]->(:Step {uid: $uid}) RETURN p.uid",
                             {"uid": uid}).rows[0][0]
    data = map_to_vis(relationship_map(demo_store, process))
    node = next(n for n in data["nodes"] if n["id"] == uid)
    assert "no owner" in node["label"] and node["owner"] is None


def test_find_search_neighbors_path(demo_store):
    kp = facts.KEY_PERSON
    assert find_node(demo_store, kp.customer).label == "Customer"
    with pytest.raises(NotFound, match="no node has uid"):
        find_node(demo_store, "no-such-uid")
    assert search(demo_store, kp.customer_name[:10])[0].uid == kp.customer
    page = neighbors(demo_store, kp.customer, limit=3)
    assert len(page.nodes) <= 4 and page.more[kp.customer] > 0
    assert sum(g["count"] for g in page.groups) == 3 + page.more[kp.customer]
    wp = facts.WARM_PATH
    path = shortest_path(demo_store, wp.employee, wp.target)
    assert set(wp.chain) <= set(path.nodes)


def test_filters_take_model_names_only(demo_store):
    with pytest.raises(Exception, match="unknown label"):
        neighbors(demo_store, facts.KEY_PERSON.customer, labels=["Customer) DETACH DELETE (x"])


def test_exports_open_offline(demo_store, tmp_path):
    for page in (map_html(demo_store, "proc-customer"),
                 neighborhood_html(demo_store, facts.KEY_PERSON.customer, depth=2)):
        assert not REMOTE.search(page), REMOTE.search(page)
        assert "vis.Network" in page and "<script src" not in page
        assert len(page) > 400_000, "vis-network is inlined"
    assert "srcdoc" in show(page)._repr_html_()


def test_export_escapes_names(demo_store):
    page = map_html(demo_store, "proc-customer")
    assert "</script><" not in page.split("<script>", 2)[-1].rsplit("</script>", 1)[0]


def test_cli_viz(demo_store, tmp_path):
    runner = CliRunner()
    db = f"embedded:{demo_store.location}"
    out = tmp_path / "map.html"
    res = runner.invoke(app, ["--db", db, "viz", "map", "proc-customer", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert not REMOTE.search(out.read_text())
    out = tmp_path / "n.html"
    res = runner.invoke(app, ["--db", db, "viz", "neighborhood", facts.KEY_PERSON.customer,
                              "--depth", "2", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "Finch Logistics" in out.read_text()
    out = tmp_path / "q.html"
    res = runner.invoke(app, ["--db", db, "viz", "query", "customer-360", "-p",
                              f"uid={facts.KEY_PERSON.customer}", "-o", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["--db", db, "viz", "map", "cust-000001", "-o", str(out)])
    assert res.exit_code == 1 and "not a Process or Map" in res.output


def test_cypher_names_come_from_the_model():
    """Every label and relationship type spelled in viz/web Cypher exists in the model."""
    from pathlib import Path

    from erm_graph import model

    root = Path(__file__).resolve().parents[1] / "erm_graph"
    names: set[str] = set()
    for folder in ("viz", "web"):
        for path in (root / folder).rglob("*.py"):
            names |= set(re.findall(r"[(\[]\w*:([A-Z][A-Za-z_]+)", path.read_text()))
    assert names, "the pattern finds the Cypher in the modules"
    unknown = names - set(model.LABELS) - set(model.RELATIONSHIPS)
    assert not unknown
