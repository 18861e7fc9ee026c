"""The account page in headless Chromium: find a customer by typing its name in the nav,
open its account, see its open cases first, filter the timeline and follow its links; at a
desktop's and a phone's width."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from erm_graph.demo import facts
from tests.e2e.conftest import ARTIFACTS, watched_page

RISK = facts.AT_RISK


def open_from_nav(page, typed: str, uid: str) -> None:
    page.goto("/")
    box = page.get_by_role("combobox", name="Find a record by name")
    box.press_sequentially(typed, delay=30)
    option = page.locator(f'[role="option"][data-uid="{uid}"]')
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    # the keyboard alone: down to the customer, Enter opens it
    for _ in range(page.locator('[role="option"]').count()):
        box.press("ArrowDown")
        if option.get_attribute("aria-selected") == "true":
            break
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    box.press("Enter")
    page.wait_for_url(f"**/account/{uid}")
    page.wait_for_function("() => document.body.dataset.ready === '1'")


def test_find_a_customer_by_name_and_work_its_account(browser, base_url):
    with watched_page(browser, base_url, "account_1400", http_errors=True,
                      viewport=(1400, 1000)) as page:
        open_from_nav(page, RISK.customer_name[:8], RISK.customer)
        assert page.inner_text("h1") == RISK.customer_name
        # open cases first: the first section, every row of it open, the count above it
        first = page.locator(".account-grid > section").first
        assert first.get_attribute("id") == "cases"
        assert f"{RISK.open_complaints} open" in first.inner_text()
        assert page.locator("#cases-table tbody tr.open").count() == RISK.open_complaints
        # value and risk come with their reasons
        assert "open complaint case(s)" in page.inner_text("#value-risk")
        page.wait_for_function("() => document.body.dataset.suggestions === '1'")
        page.screenshot(path=str(ARTIFACTS / "account_1400_full.png"), full_page=True)

        # warm paths from another employee, picked by name in the section's own type-ahead
        other = page.get_by_role("combobox", name="From another employee")
        other.press_sequentially(facts.CRO.name[:5], delay=30)
        page.locator(f'[role="option"][data-uid="{facts.CRO.employee}"]').click()
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert f"employee={facts.CRO.employee}" in page.url
        assert page.inner_text("#warm-employee") == f"From: {facts.CRO.name}"

        # the timeline filters by kind, and the URL keeps the filter
        page.select_option("#timeline-filters select[name=kind]", "purchase")
        page.click("#timeline-filters button[type=submit]")
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert "kind=purchase" in page.url
        kinds = page.locator("#timeline-table tbody tr td:nth-child(4)").all_inner_texts()
        assert kinds and set(kinds) == {"purchase"}

        # a link from the timeline: the employee with us opens in the explorer...
        staff = page.locator("#timeline-table tbody tr").first.locator("td:nth-child(3) a").first
        employee = staff.get_attribute("data-uid")
        staff.click()
        page.wait_for_url("**/explore?focus=*")
        page.wait_for_function("() => document.body.dataset.loaded === '1'")
        assert employee in page.evaluate("window.ermExplorer.nodes.getIds()")

        # ...and a party's name, wherever it shows, opens its account page
        page.go_back()
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        who = page.locator("#timeline-table tbody tr").first.locator("td:nth-child(2) a").first
        assert who.get_attribute("href") == f"/account/{RISK.customer}"
        page.wait_for_function("() => document.body.dataset.suggestions === '1'")
        similar = page.locator("#similar a[href^='/account/']").first
        target = unquote(similar.get_attribute("href"))
        similar.click()
        page.wait_for_function("() => document.body.dataset.ready === '1' && "
                               "window.ermAccount && location.pathname !== "
                               f"'/account/{RISK.customer}'")
        assert unquote(urlsplit(page.url).path) == target
        page.wait_for_function("() => document.body.dataset.suggestions === '1'")


def test_the_account_page_at_a_phones_width(browser, base_url):
    with watched_page(browser, base_url, "account_390", http_errors=True,
                      viewport=(390, 844)) as page:
        page.goto(f"/account/{RISK.customer}")
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"the page scrolls sideways: {width}px"
        page.wait_for_function("() => document.body.dataset.suggestions === '1'")
        assert page.locator("#cases-table tbody tr.open").count() == RISK.open_complaints
        page.screenshot(path=str(ARTIFACTS / "account_390_full.png"), full_page=True)


def test_names_in_query_results_and_detail_panels_link_to_their_pages(page):
    # a query result's uid column: /node/UID sends a party to its account page
    page.goto("/queries?name=at-risk-customers")
    page.wait_for_function("() => document.querySelector('main.queries')?.dataset.done === '1'")
    page.click("button[data-tab=table]")  # the declared chart opens first
    uid = page.locator(f'#table a[data-uid="{RISK.customer}"]').first
    assert uid.get_attribute("href") == f"/node/{RISK.customer}"
    uid.click()
    page.wait_for_url(f"**/account/{RISK.customer}")
    # (what it asks for last finishes before the page is left: the test counts aborted requests)
    page.wait_for_function("() => document.body.dataset.suggestions === '1'")

    # the explorer's detail panel: the party's name, its account owner and its open cases
    page.goto(f"/explore?focus={RISK.customer}&sel={RISK.customer}")
    page.wait_for_selector("#detail h2 a")
    assert page.get_attribute("#detail h2 a", "href") == f"/account/{RISK.customer}"
    assert page.locator('#detail a[data-uid="emp-0009"]').count() == 1
    case = page.locator('#detail a[data-uid="case-risk-001"]')
    assert case.get_attribute("href") == "/explore?focus=case-risk-001"
    page.click("#detail h2 a")
    page.wait_for_url(f"**/account/{RISK.customer}")
    # (what it asks for last finishes before the page is left: the test counts aborted requests)
    page.wait_for_function("() => document.body.dataset.suggestions === '1'")
