"""The calendar in the browser as a relationship officer (issue 14): book two overlapping
appointments with a colleague picked by name and see the conflict flagged; subscribe to the
calendar, fetch the secret address as a calendar program would (no login) and parse it. Against
`erm serve` over a demo of its own (this test writes), headless Chromium."""

from __future__ import annotations

import httpx
import icalendar
import pytest

from erm_graph.auth import Users
from erm_graph.demo import facts, load_demo
from erm_graph.store import open_store
from tests.e2e.conftest import free_port, nav_to, start_server, stop_server, watched_page
from tests.e2e.test_roles import PASSWORD, log_in

#: the officer signs in under her Employee uid: "my calendar" is hers
OFFICER = facts.AGENDA.employee
COLLEAGUE, COLLEAGUE_NAME = "emp-0009", "Marek Novotny"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calendar-e2e")
    db = f"embedded:{folder / 'data'}"
    store = open_store(db)
    load_demo(store, "small")
    users = Users.open(folder / "users.db")
    users.add(OFFICER, "officer", password=PASSWORD)
    users.close()
    port = free_port()
    proc = start_server(db, port, env={"ERM_USERS_DB": str(folder / "users.db")})
    yield f"http://127.0.0.1:{port}", store
    stop_server(proc)
    store.close()


def book(page, title: str, start: str, end: str) -> None:
    form = page.locator("#appointment-form")
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Start", exact=True).fill(start)
    form.get_by_label("End", exact=True).fill(end)
    form.get_by_label("With", exact=True).press_sequentially(COLLEAGUE_NAME[:5], delay=30)
    page.locator(f'[role="option"][data-uid="{COLLEAGUE}"]').click()
    form.get_by_role("button", name="Book").click()


def test_two_overlapping_appointments_show_a_conflict_and_the_calendar_subscribes(browser,
                                                                                 served):
    base_url, store = served
    with watched_page(browser, base_url, "calendar_officer", http_errors=True,
                      viewport=(1400, 1000)) as page:
        log_in(page, base_url, OFFICER, PASSWORD)
        nav_to(page, "Calendar")
        page.locator("main.calendar").wait_for()
        page.get_by_label("Around").fill("2026-12-07")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**day=2026-12-07**")

        book(page, "Visit Meridian", "2026-12-08T10:00", "2026-12-08T11:00")
        page.wait_for_load_state()
        page.locator(".appointment", has_text="Visit Meridian").wait_for()
        assert page.locator("section.conflicts").count() == 0

        book(page, "Pipeline review", "2026-12-08T10:30", "2026-12-08T11:30")
        page.wait_for_function("() => /with conflicts/.test("
                               "document.getElementById('appointment-result').textContent)")
        page.locator("section.conflicts").wait_for()  # after the page reloads
        conflicts = page.locator("section.conflicts").inner_text()
        assert "Double-booked" in conflicts and facts.AGENDA.employee_name in conflicts
        flagged = page.locator(".appointment.has-conflict")
        assert flagged.count() == 2
        assert "⚠ conflict" in flagged.first.inner_text()
        # the team's calendar: the colleague invited is double-booked too
        page.get_by_label("Whose").select_option("team")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**who=team**")
        assert COLLEAGUE_NAME in page.locator("section.conflicts").inner_text()
        booked = store.run("MATCH (e:Employee)-[:ATTENDS]->(a:Appointment) WHERE a.title IN "
                           "['Visit Meridian', 'Pipeline review'] RETURN a.title, "
                           "collect(e.uid) ORDER BY a.title").rows
        assert [(t, sorted(u)) for t, u in booked] == [
            ("Pipeline review", sorted([OFFICER, COLLEAGUE])),
            ("Visit Meridian", sorted([OFFICER, COLLEAGUE]))]

        page.get_by_role("button", name="Make my address").click()
        address = page.get_by_label("Your calendar address")
        address.wait_for()
        url = address.input_value()
        assert "/calendar/feed/" in url
    got = httpx.get(url, timeout=30)  # a calendar program: no cookie, no token header
    assert got.status_code == 200
    cal = icalendar.Calendar.from_ical(got.content)
    titles = {str(e["summary"]) for e in cal.walk("VEVENT")}
    assert {"Visit Meridian", "Pipeline review", "Account review", "Product demo"} <= titles
    assert len(cal.walk("VTODO")) >= len(facts.AGENDA.overdue)
    assert httpx.get(url[:-8] + "AAAA.ics", timeout=30).status_code == 404
