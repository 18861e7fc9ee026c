"""The strategy dashboard's tiles that no single named query computes (erm_graph/strategy/
tiles.py): predicted value, maturity per area and its trend, target gaps; a dashboard file
names them as ``panel:``, the page reads their rows from /api/strategy/tiles/NAME."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erm_graph.demo import facts
from erm_graph.settings import Settings
from erm_graph.web import create_app
from erm_graph.web.dashboard_files import DashboardError, load_dashboard

PLAN = """title: T
segments:
  - {name: Web shop, match: {segment: online}, want: {contact_every_days: 30}}
"""


def test_the_strategy_dashboard_has_value_maturity_and_target_tiles():
    board = load_dashboard("strategy", None)
    panels = {t.panel: t for t in board.tiles if t.panel}
    assert set(panels) == {"clv", "maturity", "maturity-trend", "targets"}
    assert panels["maturity-trend"].chart and panels["maturity-trend"].chart.kind == "line"
    assert panels["targets"].chart is None, "a table"


@pytest.mark.parametrize("tile, problem", [
    ("  - panel: nope\n", "tiles[0].panel: no strategy tile 'nope'"),
    ("  - panel: clv\n    query: lifetime-value\n", "tiles[0]: give either query"),
    ("  - panel: maturity\n    chart: {kind: bar, x: area, y: [score]}\n", "score"),
    ("  - panel: clv\n    params: {limit: 3}\n", "a panel takes no parameters"),
])
def test_a_bad_panel_tile_is_named(tmp_path, tile, problem):
    (tmp_path / "b.yaml").write_text("title: B\ntiles:\n" + tile)
    with pytest.raises(DashboardError, match=re.escape(problem)):
        load_dashboard("b", tmp_path)


@pytest.fixture(scope="module")
def client(demo_store, tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("plan")
    plan = folder / "plan.yaml"
    plan.write_text(PLAN)
    settings = Settings.from_env(target_plan=plan)
    with TestClient(create_app(settings, store=demo_store), base_url="http://127.0.0.1") as c:
        yield c


def test_each_panel_serves_its_rows(client):
    clv = client.get("/api/strategy/tiles/clv").json()
    assert clv["columns"][:2] == ["name", "predicted_value"]
    assert clv["rows"][0][0] == facts.TOP_CUSTOMER.customer_name
    maturity = client.get("/api/strategy/tiles/maturity").json()
    assert len(maturity["rows"]) == 7 and all(1 <= r[1] <= 5 for r in maturity["rows"])
    assert client.get("/api/strategy/tiles/maturity-trend").json()["columns"] == [
        "at", "overall"]
    (web_shop,) = client.get("/api/strategy/tiles/targets").json()["rows"]
    assert web_shop[0] == "Web shop" and web_shop[1] == facts.REPEAT_BUYERS.customers
    assert web_shop[2] + web_shop[3] == web_shop[1]
    missing = client.get("/api/strategy/tiles/nope")
    assert missing.status_code >= 400 and "no strategy tile" in missing.text
    page = client.get("/dashboard/strategy")
    assert page.status_code == 200 and 'href="/maturity"' in page.text
    one = client.get(f"/api/clv/{facts.TOP_CUSTOMER.customer}").json()
    assert one["predicted_value"] == clv["rows"][0][1]
    none = client.get(f"/api/clv/{facts.WARM_PATH.target}").json()
    assert none["predicted_value"] is None
