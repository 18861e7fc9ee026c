"""Working an account in the browser as a relationship officer (issue 14): log the call just
made, with notes, sentiment and product, from the account page; open a complaint, assign it
to the service lead by name, escalate it and resolve it. And as an editor: a new record's form
refuses bad input, naming and marking the fields, and writes nothing. Against `erm serve` over
a demo of its own (these tests write), headless Chromium."""

from __future__ import annotations

import pytest

from erm_graph.auth import Users
from erm_graph.demo import facts, load_demo
from erm_graph.store import open_store
from tests.e2e.conftest import free_port, nav_to, start_server, stop_server, watched_page
from tests.e2e.test_account import open_from_nav
from tests.e2e.test_roles import PASSWORD, log_in

MERIDIAN = facts.AT_RISK
#: the officer signs in under her Employee uid: the call she logs is WITH her
OFFICER = facts.WARM_PATH.employee
LEAD = facts.CRO  # the case goes to the CRO, found by name
PRODUCT = facts.COMPLAINT_SPIKE


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("actions-e2e")
    db = f"embedded:{folder / 'data'}"
    store = open_store(db)
    load_demo(store, "small")
    users = Users.open(folder / "users.db")
    users.add(OFFICER, "officer", password=PASSWORD)
    users.add("eddie", "editor", password=PASSWORD)
    users.close()
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ERM_USERS_DB", str(folder / "users.db"))
        proc = start_server(db, port)
    yield f"http://127.0.0.1:{port}", store
    stop_server(proc)
    store.close()


def pick(page, field, typed: str, uid: str) -> None:
    """Type a name into a look-up field and click the record it offers."""
    field.press_sequentially(typed, delay=30)
    page.locator(f'[role="option"][data-uid="{uid}"]').click()


def test_an_officer_logs_a_call_and_works_a_case_from_the_account_page(browser, served):
    base_url, store = served
    with watched_page(browser, base_url, "actions_officer", http_errors=True,
                      viewport=(1400, 1000)) as page:
        log_in(page, base_url, OFFICER, PASSWORD)
        open_from_nav(page, MERIDIAN.customer_name[:8], MERIDIAN.customer)
        panel = page.locator("#actions")
        panel.wait_for()
        page.locator("#work-cases table, #work-cases p").first.wait_for()

        # log the call just made
        page.get_by_text("Log an interaction").click()
        log = page.locator("#log-form")
        log.get_by_label("Channel").select_option("phone")
        log.get_by_label("Sentiment").select_option(label="pleased")
        pick(page, log.get_by_label("Product"), PRODUCT.product_name[:6], PRODUCT.product)
        log.get_by_label("Notes").fill("Called about the renewal; wants a demo of the app.")
        log.get_by_role("button", name="Log it").click()
        page.wait_for_function("() => /Logged the call/.test("
                               "document.getElementById('actions-status').textContent)")
        # the page draws the account again: the call heads the timeline
        page.wait_for_function("() => window.ermAccount && window.ermAccount.timeline.rows[0]"
                               " && window.ermAccount.timeline.rows[0].kind === 'call'"
                               " && document.body.dataset.ready === '1'")
        assert "call" in page.locator("#timeline-table tbody tr").first.inner_text()
        logged = store.run("MATCH (:Party {uid: $c})-[:HAD]->(i:Interaction)-[:WITH]->(e) "
                           "WHERE i.notes STARTS WITH 'Called about' MATCH (i)-[:ABOUT]->(p) "
                           "RETURN i.channel, i.sentiment, e.uid, p.uid",
                           {"c": MERIDIAN.customer}).rows
        assert logged == [["phone", 0.5, OFFICER, PRODUCT.product]]

        # open a complaint, assign it by name, escalate it, resolve it
        page.get_by_text("Open a case").click()
        form = page.locator("#case-form")
        form.get_by_label("Kind").select_option("complaint")
        form.get_by_label("Severity").select_option("3")
        form.get_by_label("Summary").fill("Thermostat app loses the schedule")
        form.get_by_role("button", name="Open the case").click()
        page.wait_for_function("() => /Opened case/.test("
                               "document.getElementById('actions-status').textContent)")
        case = page.inner_text("#actions-status").split("Opened case ")[1].rstrip(".")
        row = page.locator(f'#work-cases tr[data-case="{case}"]')
        pick(page, row.locator("input.assign"), LEAD.name[:5], LEAD.employee)
        row.get_by_role("button", name="Assign").click()
        page.wait_for_function(f"() => document.getElementById('actions-status').textContent"
                               f" === 'Case {case} assigned.'")
        assert LEAD.name in row.inner_text() and "in_progress" in row.inner_text()
        row.get_by_role("button", name="Escalate").click()
        page.wait_for_function(f"() => document.getElementById('actions-status').textContent"
                               f" === 'Case {case} escalated.'")
        assert "yes" in row.inner_text()
        row.locator("input.resolution").fill("Fixed in app 2.4; schedule restored")
        row.get_by_role("button", name="Resolve").click()
        page.wait_for_function(f"() => document.getElementById('actions-status').textContent"
                               f" === 'Case {case} resolved.'")
        assert row.count() == 0  # no longer open
        done = store.run("MATCH (:Party {uid: $c})-[:RAISED]->(x:Case {uid: $x})"
                         "-[:ASSIGNED_TO]->(e) RETURN x.status, x.escalated, x.severity, "
                         "x.resolution, e.uid", {"c": MERIDIAN.customer, "x": case}).rows
        assert done == [["resolved", True, 2, "Fixed in app 2.4; schedule restored",
                         LEAD.employee]]


def test_the_new_record_form_names_the_bad_fields_and_writes_nothing(browser, served):
    base_url, store = served
    cases = store.run("MATCH (x:Case) RETURN count(x)").rows[0][0]
    with watched_page(browser, base_url, "actions_new_case", viewport=(1400, 1000),
                      refusals=1) as page:
        log_in(page, base_url, "eddie", PASSWORD)
        nav_to(page, "New record")
        # the chooser navigates once record.js has started: its first form is drawn by then
        page.locator("#record-fields label").first.wait_for()
        page.get_by_label("kind of record").select_option("Case")
        page.wait_for_url("**/new/Case")
        form = page.locator("#record-form")
        form.get_by_label("kind *").wait_for()
        form.get_by_label("severity").fill("9")
        form.get_by_role("button", name="Create").click()
        page.locator("#error:not([hidden])").wait_for()
        message = page.inner_text("#error")
        assert "field 'severity': expected integer <= 4, got 9" in message
        assert "field 'kind'" in message and "field 'status'" in message
        invalid = page.eval_on_selector_all("[aria-invalid='true']",
                                            "els => els.map(e => e.name).sort()")
        assert invalid == ["kind", "opened_at", "severity", "status"]
        assert store.run("MATCH (x:Case) RETURN count(x)").rows[0][0] == cases

        # put right, it is made, linked to the party that raised it, and opens for editing
        form.get_by_label("kind *").select_option("warranty")
        form.get_by_label("status *").select_option("open")
        form.get_by_label("opened_at *").fill("2026-12-01T09:30:00")
        form.get_by_label("severity").fill("2")
        page.get_by_role("button", name="Add a relationship").click()
        page.locator(".new-link-type").select_option(label="← RAISED Party, Contact")
        pick(page, page.locator(".new-link-other"), MERIDIAN.customer_name[:8],
             MERIDIAN.customer)
        form.get_by_role("button", name="Create").click()
        page.wait_for_url("**/edit/case-*?created=1")
        page.locator("#record-rels table").wait_for()
        assert MERIDIAN.customer_name in page.inner_text("#record-rels")
        case = page.url.split("/edit/")[1].split("?")[0]
        # the explorer's detail panel leads back to the record's form
        page.get_by_role("link", name="open it").click()
        page.wait_for_url("**/explore?focus=*")
        page.wait_for_function(f"() => window.ermExplorer && "
                               f"window.ermExplorer.nodes.get('{case}')")
        page.evaluate(f"window.ermExplorer.net.emit('click', {{nodes: ['{case}']}})")  # a click
        page.locator("#detail a.edit-record").click()
        page.wait_for_url(f"**/edit/{case}")
        assert store.run("MATCH (:Party {uid: $c})-[:RAISED]->(x:Case {kind: 'warranty'}) "
                         "RETURN x.severity, x.opened_at",
                         {"c": MERIDIAN.customer}).rows == [[2, "2026-12-01T09:30:00"]]
