"""erm_graph.viz: subgraphs, the relationship-map layout, offline HTML exports, `erm viz`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erm_graph import load, model
from erm_graph.auth.scope import ScopedStore
from erm_graph.cli import app
from erm_graph.demo import facts
from erm_graph.query import load_library
from erm_graph.query.explore import NotFound, find_node, neighbors, search, shortest_path
from erm_graph.query.maps import map_records
from erm_graph.query.partner_scope import partner_scope
from erm_graph.viz import map_html, neighborhood_html, relationship_map, show
from erm_graph.viz.relationship_map import flow_ranks, spread
from erm_graph.viz.vis import map_to_vis, to_vis

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
    # the map editor offers owners for the model's components, marked by the server
    kinds = {n["category"]: n["component"] for n in data["nodes"]}
    assert kinds["Step"] and kinds["Department"] and kinds["Document"]
    assert not kinds["Employee"] and not any(kinds.get(p) for p in ("Customer", "Supplier"))
    assert {c for c, owned in kinds.items() if owned} <= set(model.COMPONENT_LABELS)


def test_unowned_components_are_flagged(demo_store):
    uid = next(iter(facts.UNOWNED.steps))
    process = demo_store.run("MATCH (p:Process)-[:HAS_STEP]->(:Step {uid: $uid}) RETURN p.uid",
                             {"uid": uid}).rows[0][0]
    data = map_to_vis(relationship_map(demo_store, process))
    node = next(n for n in data["nodes"] if n["id"] == uid)
    assert "no owner" in node["label"] and node["owner"] is None


def test_the_map_is_drawn_from_the_named_query(demo_store, monkeypatch):
    """One definition of what a relationship map holds: building a map (for the whole store
    and for a partner) sends the named query ``relationship-map`` and nothing of its own,
    besides resolving the uid to its process (the same lookup :func:`find_node` sends)."""
    gw = facts.GATEWAY
    named = load_library().get("relationship-map").cypher_for(demo_store.engine)
    sent: list[str] = []
    execute = type(demo_store)._execute

    def recording(self, cypher, params, read_only, timeout):
        sent.append(cypher)
        return execute(self, cypher, params, read_only, timeout)

    monkeypatch.setattr(type(demo_store), "_execute", recording)
    party = demo_store.run("MATCH (p:Party)-[:PARTICIPATES_IN]->(:Step)<-[:HAS_STEP]-"
                           "(:Process {uid: $uid}) RETURN p.uid ORDER BY p.uid LIMIT 1",
                           {"uid": gw.process}).rows[0][0]
    partner = ScopedStore(demo_store, partner_scope(demo_store, party))
    for store in (demo_store, partner):
        sent.clear()
        find_node(store, gw.process)
        lookup = set(sent)
        sent.clear()
        records = map_records(store, gw.process)
        assert set(records.order) == set(gw.steps)
        assert sent.count(named) == 1
        assert set(sent) - lookup == {named}, "map_records sent a statement of its own"


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
    """Every label and relationship type spelled in the app's Cypher (the read layer's, and any
    left in viz/web) exists in the model."""
    import ast
    from pathlib import Path

    from erm_graph import model

    root = Path(__file__).resolve().parents[1] / "erm_graph"
    names: set[str] = set()
    for folder in ("query", "viz", "web"):
        for path in (root / folder).rglob("*.py"):
            texts = [node.value for node in ast.walk(ast.parse(path.read_text()))
                     if isinstance(node, ast.Constant) and isinstance(node.value, str)]
            for text in texts:  # the strings only: `rows[:LIMIT]` in Python is no Cypher
                names |= set(re.findall(r"[(\[]\w*:([A-Z][A-Za-z_]+)", text))
    assert names, "the pattern finds the Cypher in the modules"
    unknown = names - set(model.LABELS) - set(model.RELATIONSHIPS)
    assert not unknown


def test_reporting_lines_are_drawn_like_the_other_organisational_links(store):
    """REPORTS_TO (an org chart's lines) is dashed, as MEMBER_OF and PART_OF are: the
    organisation, not a flow."""
    load(store, Path(__file__).parent / "corpus" / "drawio" / "orgchart.drawio",
         diagram="orgchart")
    edges = to_vis(neighbors(store, "emp:ana-lopez"))["edges"]
    dashed = {e["type"]: e["dashes"] for e in edges}
    assert dashed == {"REPORTS_TO": True, "MEMBER_OF": True}


def test_a_map_keeps_its_owners_then_the_busiest_people_and_parties(demo_store):
    """The owners of the map's components who perform a step are always drawn; the other
    people and the parties by activity (interactions), the rest listed on a "+N more" node
    that names each with its activity and steps, and has no links of its own."""
    gw = facts.GATEWAY
    m = relationship_map(demo_store, gw.process)
    nodes, bands = m.graph.nodes, m.bands
    performers = {u for (u,) in demo_store.run(
        "MATCH (e:Employee)-[:PERFORMS]->(:Step)<-[:HAS_STEP]-(:Process {uid: $uid}) "
        "RETURN DISTINCT e.uid", {"uid": gw.process}).rows}
    owners = {u for (u,) in demo_store.run(
        "MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(c) WHERE c.uid IN $uids RETURN e.uid",
        {"uids": list(nodes)}).rows}
    assert owners & performers and owners & performers <= set(nodes), "owners always drawn"
    for kind, band in (("people", "performer"), ("parties", "party")):
        gid = f"more:{gw.process}:{kind}"
        assert gid in nodes, f"the demo's customer map has more {kind} than it draws"
        hidden = m.members[gid]
        assert nodes[gid].name == f"+{len(hidden)} more {kind}"
        assert not any(gid in (e.start, e.end) for e in m.graph.edges.values())
        assert not {h["uid"] for h in hidden} & set(nodes)
        drawn = [u for u, b in bands.items() if b == band and u != gid
                 and nodes[u].label != "Department" and u not in owners]
        assert min(m.activity[u] for u in drawn) >= max(h["activity"] for h in hidden)
        assert all(h["steps"] and h["name"] for h in hidden)
    owner = min(owners & performers)
    counted, = demo_store.run("MATCH (i:Interaction)-[:WITH]->(:Employee {uid: $uid}) "
                              "RETURN count(i)", {"uid": owner}).rows[0]
    assert counted == m.activity[owner] > 0


def test_map_data_carries_departments_and_sub_process_parents(demo_store):
    data = map_to_vis(relationship_map(demo_store, "proc-compliance"))
    by_id = {n["id"]: n for n in data["nodes"]}
    assert by_id["step-rc-audit-sample"]["parent"] == "step-rc-audit"
    assert "parent" not in by_id["step-rc-audit"]
    for node in data["nodes"]:
        if node["category"] == "Employee":
            (dept,), = demo_store.run("MATCH (:Employee {uid: $uid})-[:MEMBER_OF]->(d) "
                                      "RETURN d.uid", {"uid": node["id"]}).rows
            assert node["department"] == dept and node["department_name"]


def test_vendored_elkjs_is_pinned_with_its_licence():
    """The map's layout library is served from the package (no CDN), copied by
    tools/vendor_js.py at its pin with its licence (EPL-2.0)."""
    from tests.test_query_charts import _pins  # the pins of tools/vendor_js.py

    root = Path(__file__).resolve().parents[1]
    version, files = _pins()["elkjs"]
    folder = root / "erm_graph" / "web" / "static" / "vendor" / "elkjs"
    for name in files.values():
        assert (folder / name).is_file(), f"{name} missing: run `make vendor`"
    assert "Eclipse Public License - v 2.0" in (folder / "LICENSE.md").read_text()
    assert "g.ELK = f()" in (folder / "elk.bundled.js").read_text()[:1000]
    assert version == "0.12.1"
    map_page = (root / "erm_graph" / "web" / "templates" / "map.html").read_text()
    assert '<script src="/static/vendor/elkjs/elk.bundled.js">' in map_page
