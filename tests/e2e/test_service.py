"""Customer service in the browser as a relationship officer (issue 14 item 4): open a case
about a product with a symptom on the account page and be offered the knowledge base's
article for it; assign the case by name, escalate it, and resolve it with the suggested
article, which then SOLVES it; find and read the article on the knowledge base page. Against
`erm serve` over a demo of its own (these tests write), headless Chromium."""

from __future__ import annotations

import pytest

from erm_graph.auth import Users
from erm_graph.demo import facts, load_demo
from erm_graph.store import open_store
from tests.e2e.conftest import free_port, nav_to, start_server, stop_server, watched_page
from tests.e2e.test_roles import PASSWORD, log_in

SVC = facts.SERVICE
OFFICER = facts.WARM_PATH.employee
LEAD = facts.CRO


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("service-e2e")
    db = f"embedded:{folder / 'data'}"
    store = open_store(db)
    load_demo(store, "small")
    users = Users.open(folder / "users.db")
    users.add(OFFICER, "officer", password=PASSWORD)
    users.close()
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ERM_USERS_DB", str(folder / "users.db"))
        proc = start_server(db, port)
    yield f"http://127.0.0.1:{port}", store
    stop_server(proc)
    store.close()


def status_is(page, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('actions-status').textContent"
                           " === t", arg=text)


def test_an_officer_resolves_a_case_with_the_suggested_article(browser, served):
    base_url, store = served
    with watched_page(browser, base_url, "service_officer", http_errors=True,
                      viewport=(1400, 1000)) as page:
        log_in(page, base_url, OFFICER, PASSWORD)
        page.goto(f"{base_url}/account/{SVC.customer}")
        page.locator("body[data-ready='1']").wait_for(state="attached")
        page.locator("#work-cases table, #work-cases p").first.wait_for()

        # open a case about the meter with its symptom: the article is offered first
        page.get_by_text("Open a case").click()
        form = page.locator("#case-form")
        form.get_by_label("Kind").select_option("service")
        form.get_by_label("Severity").select_option("2")
        product = form.get_by_label("Product")
        product.press_sequentially("Aurora Smart", delay=30)
        page.locator(f'[role="option"][data-uid="{SVC.product}"]').click()
        form.get_by_label("Summary").fill("Meter has no power since this morning")
        form.get_by_role("button", name="Open the case").click()
        page.wait_for_function("() => /Opened case/.test("
                               "document.getElementById('actions-status').textContent)")
        case = page.inner_text("#actions-status").split("Opened case ")[1].rstrip(".")
        first = page.locator("#case-suggestions li").first
        first.wait_for()
        assert first.get_attribute("data-article") == SVC.article
        assert SVC.article_title in first.inner_text()

        # assign by name, escalate, resolve with the suggested article
        row = page.locator(f'#work-cases tr[data-case="{case}"]')
        row.locator("input.assign").press_sequentially(LEAD.name[:5], delay=30)
        page.locator(f'[role="option"][data-uid="{LEAD.employee}"]').click()
        row.get_by_role("button", name="Assign").click()
        status_is(page, f"Case {case} assigned.")
        row.get_by_role("button", name="Escalate").click()
        status_is(page, f"Case {case} escalated.")
        row.locator(f'select.article option[value="{SVC.article}"]').wait_for(state="attached")
        row.locator("select.article").select_option(SVC.article)
        row.locator("input.resolution").fill("Reset the meter as the article says")
        row.get_by_role("button", name="Resolve").click()
        status_is(page, f"Case {case} resolved.")
        done = store.run("MATCH (x:Case {uid: $x})<-[:SOLVES]-(a:Article) "
                         "RETURN x.status, x.escalated, x.responded_at IS NOT NULL, "
                         "size(x.assignment_history), a.uid", {"x": case}).rows
        assert done == [["resolved", True, True, 1, SVC.article]]

        # the knowledge base page finds the article and shows the case it solved
        nav_to(page, "Knowledge base")
        page.locator("main.kb[data-done='1']").wait_for(state="attached")
        page.get_by_label("Search").fill("no power")
        page.get_by_role("button", name="Search").click()
        hit = page.locator(f'#kb-results li[data-article="{SVC.article}"]')
        hit.wait_for()
        hit.get_by_role("link").first.click()
        page.locator("#kb-article-title").wait_for()
        assert page.inner_text("#kb-article-title") == SVC.article_title
        page.locator(f'#kb-article a[data-uid="{case}"]').wait_for()
