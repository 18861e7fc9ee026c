"""Dashboards defined as files (erm_graph/web/dashboard_files.py): the shipped one per role,
the checks that name file and tile, an admin's folder, and the pages and API that serve them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erm_graph.settings import Settings
from erm_graph.web import create_app
from erm_graph.web.dashboard_files import (
    DashboardError,
    UnknownDashboard,
    dashboard_files,
    load_dashboard,
)

GOOD = """title: Mine
description: a test board
tiles:
  - query: complaint-hotspots
    params: {case_kinds: [complaint], limit: 20}
  - query: unowned-components
"""


def test_the_shipped_dashboards_serve_each_role_with_its_tiles():
    boards = {name: load_dashboard(name, None) for name in dashboard_files(None)}
    queries = {name: [t.query for t in b.tiles] for name, b in boards.items()}
    assert {"at-risk-customers", "key-person-risk", "unowned-components"} <= set(
        queries["relationship-officer"])
    assert {"customer-needs", "complaint-hotspots"} <= set(queries["rnd"])
    assert {"unowned-components", "key-person-risk", "supplier-dependency"} <= set(
        queries["cro"])
    assert {"relationship-return", "decaying-relationships"} <= set(queries["strategy"])
    heatmaps = {t.query for t in boards["rnd"].tiles if t.chart and t.chart.kind == "heatmap"}
    assert heatmaps == {"customer-needs", "complaint-hotspots"}


def test_a_tile_takes_the_query_chart_and_its_parameters_as_the_form_writes_them(tmp_path):
    (tmp_path / "mine.yaml").write_text(GOOD)
    board = load_dashboard("mine", tmp_path)
    hotspots, unowned = board.tiles
    assert hotspots.params == {"case_kinds": "complaint", "limit": "20"}
    assert hotspots.chart and hotspots.chart.kind == "heatmap"
    assert hotspots.title == "Complaint hotspots"
    assert unowned.chart is None


@pytest.mark.parametrize("change, problem", [
    (("complaint-hotspots", "complaint-hotspot"), "tiles[0]: no named query 'complaint-hotspot'"),
    (("limit: 20", "limit: many"), "tiles[0]: query 'complaint-hotspots': parameter 'limit' "
                                   "must be an integer"),
    (("limit: 20", "top: 20"), "tiles[0]: query 'complaint-hotspots' has no parameter 'top'"),
    (("- query: unowned-components", "- query: unowned-components\n    colour: red"),
     "tiles.1.colour: Extra inputs are not permitted"),
    (("title: Mine\n", ""), "title: Field required"),
    (("  - query: unowned-components",
      "  - query: unowned-components\n    chart: {kind: bar, x: owner, y: [name]}"),
     "tiles[1].chart: chart: x 'owner' is not a column the query returns"),
    (("  - query: unowned-components", "  - query: unowned-components\n    columns: [name, who]"),
     "tiles[1].columns: 'who' not returned by 'unowned-components'"),
])
def test_a_broken_dashboard_names_its_file_and_tile(tmp_path, change, problem):
    (tmp_path / "mine.yaml").write_text(GOOD.replace(*change))
    with pytest.raises(DashboardError) as caught:
        load_dashboard("mine", tmp_path)
    assert problem in str(caught.value)
    assert str(tmp_path / "mine.yaml") in str(caught.value)


def test_an_admin_folder_adds_dashboards_and_replaces_a_shipped_one(tmp_path):
    (tmp_path / "mine.yaml").write_text(GOOD)
    (tmp_path / "rnd.yaml").write_text(GOOD.replace("title: Mine", "title: Our R&D"))
    assert {"mine", "rnd", "cro", "relationship-officer"} <= set(dashboard_files(tmp_path))
    assert load_dashboard("rnd", tmp_path).title == "Our R&D"
    with pytest.raises(UnknownDashboard, match="no dashboard 'nope'; there are: "):
        load_dashboard("nope", tmp_path)


@pytest.fixture(scope="module")
def client(demo_store, tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("boards")
    (folder / "mine.yaml").write_text(GOOD)
    (folder / "broken.yaml").write_text(GOOD.replace("unowned-components", "no-such-query"))
    settings = Settings.from_env(web_dashboards=folder)
    with TestClient(create_app(settings, store=demo_store), base_url="http://127.0.0.1") as c:
        yield c


def test_the_pages_and_api_serve_the_dashboards(client):
    listing = client.get("/dashboards")
    assert listing.status_code == 200
    for name in ("relationship-officer", "rnd", "cro", "mine"):
        assert f'href="/dashboard/{name}"' in listing.text
    page = client.get("/dashboard/mine")
    assert page.status_code == 200 and "/static/vendor/echarts/echarts.min.js" in page.text
    api = client.get("/api/dashboards/mine").json()
    assert [t["query"] for t in api["tiles"]] == ["complaint-hotspots", "unowned-components"]
    assert client.get("/dashboard/nope").status_code == 404
    broken = client.get("/api/dashboards/broken")
    assert broken.status_code == 400
    assert "tiles[1]: no named query 'no-such-query'" in broken.json()["error"]["message"]
