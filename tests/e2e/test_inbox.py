"""The inbox in the browser: a watch pass fires the shipped rules on the demo, the alerts show
newest first with links to what they are about, and "Mark read" marks one without a reload."""

from __future__ import annotations

from pathlib import Path

from erm_graph.auth import alerts as inbox
from erm_graph.auth.db import connect
from erm_graph.demo import facts
from erm_graph.watch import load_rules, run_rules


def test_alerts_show_in_the_inbox_and_are_marked_read(page, demo_store):
    conn = connect(Path(demo_store.location) / "users.db")  # the served demo's security file
    try:
        run_rules(demo_store, load_rules(), conn)
        open_count = len(inbox.inbox(conn, "admin", "admin"))
    finally:
        conn.close()
    page.goto("/inbox")
    rows = page.locator("table.alerts tbody tr")
    rows.first.wait_for()
    assert rows.count() == open_count > 0
    at_risk = page.get_by_role("link", name=facts.AT_RISK.customer_name, exact=False).first
    assert at_risk.get_attribute("href").startswith("/node/")
    unread = page.locator("tr.unread").count()
    page.locator("tr.unread button.mark-read").first.click()
    page.wait_for_function(f"() => document.querySelectorAll('tr.unread').length === {unread - 1}")
    page.reload()
    assert page.locator("tr.unread").count() == unread - 1, "kept on the server"
