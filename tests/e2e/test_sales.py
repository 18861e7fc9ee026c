"""Sales operations in the browser (issue 14): a sales rep opens an opportunity on an account
page, assigns it to himself by name, wins it, and sees its commission on the Sales page,
split as the shipped rules say, and nobody else's pay. Against `erm serve` over a demo of its
own (the test writes), headless Chromium; the Sales page is photographed wide and on a phone."""

from __future__ import annotations

import pytest

from erm_graph.auth import Users
from erm_graph.demo import facts, load_demo
from erm_graph.store import open_store
from tests.e2e.conftest import (
    ARTIFACTS,
    free_port,
    log_in,
    nav_to,
    start_server,
    stop_server,
    watched_page,
)
from tests.e2e.test_account import open_from_nav
from tests.e2e.test_actions import pick
from tests.e2e.test_roles import PASSWORD

MERIDIAN = facts.AT_RISK
#: Marek Novotny, sales, the account owner of Meridian: he signs in under his Employee uid
REP, REP_NAME = "emp-0009", "Marek Novotny"
CONSULTING = ("prod-0011", "Energy consulting")  # a service: 8 % in the shipped rules


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sales-e2e")
    db = f"embedded:{folder / 'data'}"
    store = open_store(db)
    load_demo(store, "small")
    users = Users.open(folder / "users.db")
    users.add(REP, "sales", password=PASSWORD)
    users.add("cora", "cro", password=PASSWORD)
    users.close()
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ERM_USERS_DB", str(folder / "users.db"))
        proc = start_server(db, port)
    yield f"http://127.0.0.1:{port}", store
    stop_server(proc)
    store.close()


def my_commission(page) -> float:
    found = page.request.get("/api/sales").json()["commissions"]["reps"]
    assert {r["rep"] for r in found} <= {REP}, "a rep sees only their own pay"
    return found[0]["commission"] if found else 0.0


def test_a_rep_creates_assigns_and_wins_an_opportunity_and_sees_the_commission(browser,
                                                                                served):
    base_url, store = served
    with watched_page(browser, base_url, "sales_rep", http_errors=True,
                      viewport=(1400, 1000)) as page:
        log_in(page, base_url, REP, PASSWORD)
        before = my_commission(page)
        open_from_nav(page, MERIDIAN.customer_name[:8], MERIDIAN.customer)
        page.locator("#actions").wait_for()
        page.get_by_text("Open an opportunity").click()
        form = page.locator("#deal-form")
        form.get_by_label("Name").fill("Energy audit for all stores")
        form.get_by_label("Amount").fill("20000")
        pick(page, form.get_by_label("Product"), CONSULTING[1][:6], CONSULTING[0])
        form.get_by_role("button", name="Open the opportunity").click()
        page.wait_for_function("() => /Opened opportunity/.test("
                               "document.getElementById('actions-status').textContent)")
        deal = page.inner_text("#actions-status").split("Opened opportunity ")[1].split()[0]
        row = page.locator(f'#work-deals tr[data-opportunity="{deal}"]')
        pick(page, row.locator("input.assign"), REP_NAME[:5], REP)
        row.get_by_role("button", name="Assign").click()
        page.wait_for_function(f"() => document.getElementById('actions-status').textContent"
                               f" === 'Opportunity {deal} assigned.'")
        row.locator("select").select_option("won")
        row.get_by_role("button", name="Move to stage").click()
        page.wait_for_function(f"() => document.getElementById('actions-status').textContent"
                               f" === 'Opportunity {deal} moved to won.'")

        nav_to(page, "Sales")
        page.wait_for_url("**/sales")
        mine = page.locator(f'.commissions tr[data-rep="{REP}"]')
        mine.get_by_text("won", exact=False).first.click()  # open the deals' details
        said = " ".join(mine.locator(f'li[data-deal="{deal}"]').all_inner_texts())
        assert "as assignee" in said and "as account owner" in said
        assert page.locator(".commissions tr[data-rep]").count() == 1
        # 70 % as the rep who won it and 20 % as Meridian's owner, at the service rate, times
        # the tier his quarter has reached; the key-account manager covering Meridian's
        # territory gets the other 10 %, which he does not see
        after = my_commission(page)
        lines = [x for r in page.request.get("/api/sales").json()["commissions"]["reps"]
                 for x in r["lines"] if x["deal"] == deal]
        assert sorted(x["share"] for x in lines) == [20.0, 70.0]
        assert all(x["rate"] == 0.08 and x["domain"] == "service" for x in lines)
        assert after == pytest.approx(before + sum(x["commission"] for x in lines), abs=0.02)
        assert sum(x["credited"] for x in lines) == pytest.approx(18_000)
        shown = mine.locator("td.commission").inner_text().replace(",", "")
        assert float(shown) == pytest.approx(after, abs=0.01)
        page.screenshot(path=str(ARTIFACTS / "sales-rep-1400.png"), full_page=True)
    won = store.run("MATCH (o:Opportunity {uid: $d})-[:ASSIGNED_TO]->(e) "
                    "RETURN o.stage, e.uid, size(o.stage_history)", {"d": deal}).rows
    assert won == [["won", REP, 2]]


def test_the_cro_sees_every_rep_and_the_page_reads_on_a_phone(browser, served):
    base_url, _ = served
    with watched_page(browser, base_url, "sales_cro", viewport=(390, 844),
                      is_mobile=True, has_touch=True) as page:
        log_in(page, base_url, "cora", PASSWORD)
        page.goto("/sales?period=2026-Q3")
        page.locator("main.sales").wait_for()
        assert page.locator(".commissions tr[data-rep]").count() > 3
        assert page.locator('.commissions tr[data-rep="emp-0008"] td.attainment meter').count()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways; its tables scroll in their own box"
        page.screenshot(path=str(ARTIFACTS / "sales-cro-390.png"), full_page=True)
    with watched_page(browser, base_url, "sales_cro_wide", viewport=(1400, 1000)) as page:
        log_in(page, base_url, "cora", PASSWORD)
        page.goto("/sales?period=2026-Q3")
        page.locator("main.sales").wait_for()
        page.screenshot(path=str(ARTIFACTS / "sales-cro-1400.png"), full_page=True)
