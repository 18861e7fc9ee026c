"""Each shipped dashboard in Chromium on the demo: every tile runs, every chart tile draws,
a chart exports as PNG, and the page works at a phone's width. Any console error or
off-site request fails a test (``watched_page``)."""

from __future__ import annotations

import base64

import pytest

from erm_graph.web.dashboard_files import dashboard_files, load_dashboard
from tests.e2e.conftest import watched_page

BOARDS = sorted(dashboard_files(None))
DONE = "() => document.querySelector('main.dashboard').dataset.done === '1'"


@pytest.mark.parametrize("name", BOARDS)
def test_each_dashboard_draws_every_tile(name, page):
    board = load_dashboard(name, None)
    page.goto(f"/dashboard/{name}")
    page.wait_for_function(DONE, timeout=60_000)
    tiles = page.locator("section.tile")
    assert tiles.count() == len(board.tiles)
    for i, tile in enumerate(board.tiles):
        section = tiles.nth(i)
        assert section.locator("h2").text_content() == tile.title
        if tile.mine:  # the local admin is no employee: a "my ..." tile says so, runs nothing
            assert "the single local admin is no employee" in section.locator(
                ".status").text_content()
            assert section.locator("table.grid, canvas").count() == 0
            continue
        assert "warning" not in (section.locator(".status").get_attribute("class") or "")
        if tile.chart:
            section.locator(".chart[data-ready='1'] canvas").first.wait_for()
        else:
            assert section.locator("table.grid tbody tr").count() > 0
    if any(t.chart and not t.mine for t in board.tiles):
        assert int(page.locator("main.dashboard").get_attribute("data-first-chart")) > 0


def test_a_chart_tile_exports_as_png(page):
    page.goto("/dashboard/rnd")
    page.wait_for_function(DONE, timeout=60_000)
    page.locator(".chart[data-ready='1']").first.wait_for()
    with page.expect_download() as caught:
        page.locator("a.png").first.click()
    data = caught.value.path().read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    href = page.locator("a.png").first.get_attribute("href")
    assert base64.b64decode(href.split(",", 1)[1])[:4] == b"\x89PNG"


@pytest.mark.parametrize("viewport", [(1400, 1000), (390, 844)])
def test_screenshots_of_a_dashboard(browser, base_url, viewport):
    """Left in test-artifacts/dashboard-rnd-WxH.png (by ``watched_page``) to be looked at."""
    with watched_page(browser, base_url, f"dashboard-rnd-{viewport[0]}x{viewport[1]}",
                      viewport=viewport) as pg:
        pg.goto("/dashboard/rnd")
        pg.wait_for_function(DONE, timeout=60_000)
        pg.locator(".chart[data-ready='1']").first.wait_for()
        width = pg.evaluate("() => document.documentElement.scrollWidth")
        assert width <= viewport[0], "the tiles fold to the screen's width"


OFFICER_PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def two_officers(demo_store, tmp_path_factory):
    """`erm serve` over the demo with two officers, each linked to the employee with the most
    (then the second most) customers at risk; yields (base URL, {user: employee uid})."""
    from erm_graph.auth import Users
    from tests.e2e.conftest import free_port, start_server, stop_server
    from tests.test_my_dashboard import owners_of_customers_at_risk

    ranked = sorted(owners_of_customers_at_risk(demo_store).items(),
                    key=lambda kv: (-len(kv[1]), kv[0]))
    linked = {"ana": ranked[0][0], "ben": ranked[1][0]}
    users_db = tmp_path_factory.mktemp("officers-e2e") / "users.db"
    users = Users.open(users_db)
    for name, employee in linked.items():
        users.add(name, "officer", password=OFFICER_PASSWORD)
        users.link_employee(name, employee)
    users.close()
    port = free_port()
    proc = start_server(f"embedded:{demo_store.location}", port,
                        env={"ERM_USERS_DB": str(users_db)})
    yield f"http://127.0.0.1:{port}", linked
    stop_server(proc)


def test_two_officers_each_see_only_their_own_customers_and_cases(browser, two_officers,
                                                                  demo_store):
    from erm_graph.query import run_query
    from tests.test_my_dashboard import owners_of_customers_at_risk

    base, linked = two_officers
    expected = owners_of_customers_at_risk(demo_store)
    seen: dict[str, set[str]] = {}
    for user, employee in linked.items():
        with watched_page(browser, base, f"dashboard-officer-{user}", http_errors=True,
                          viewport=(1400, 1000)) as page:
            page.goto("/login")
            page.get_by_label("User name").fill(user)
            page.get_by_label("Password").fill(OFFICER_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base}/")
            page.goto("/dashboard/relationship-officer")
            page.wait_for_function(DONE, timeout=60_000)
            name = demo_store.run("MATCH (e:Employee {uid: $e}) RETURN e.name",
                                  {"e": employee}).rows[0][0]
            assert page.locator("#me a").text_content() == name
            at_risk = page.locator("section.tile", has_text="My customers at risk")
            at_risk.locator(".chart[data-ready='1'] canvas").first.wait_for()
            at_risk.locator("summary").click()  # the chart's rows, as a table
            at_risk.locator("details table").wait_for()
            customers = set(at_risk.locator("td[data-value] a[data-uid]").evaluate_all(
                "links => links.map(a => a.dataset.uid).filter(u => u.startsWith('cust-'))"))
            assert customers and customers <= expected[employee]
            seen[user] = customers
            cases = page.locator("section.tile", has_text="My open cases")
            shown = set(cases.locator("tbody tr td[data-value] a[data-uid^='case-']").evaluate_all(
                "links => links.map(a => a.dataset.uid)"))
            theirs = {r["uid"] for r in run_query(demo_store, "open-cases",
                                                  {"owner": employee, "limit": 50}).records()}
            everyone = {r["uid"] for r in run_query(demo_store, "open-cases",
                                                    {"limit": 100_000}).records()}
            assert shown <= theirs and len(shown) == min(12, len(theirs))
            assert len(everyone) > len(theirs), "the tile is not everyone's list"
    assert not seen["ana"] & seen["ben"]
