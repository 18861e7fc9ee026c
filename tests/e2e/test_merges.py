"""The duplicates page in headless Chromium against `erm serve`: a suggestion from two corpus
sources is merged with its button, shows in the merges, and is undone with its button."""

from __future__ import annotations

from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.store import open_store
from tests.e2e.conftest import free_port, nav_to, start_server, stop_server, watched_page

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    location = tmp_path_factory.mktemp("merges-e2e") / "db"
    store = open_store(f"embedded:{location}")
    load(store, [CORPUS / "orders.drawio", CORPUS / "crm" / "crm.yaml"])
    load(store, CORPUS / "erp" / "erp.yaml")
    store.close()
    port = free_port()
    proc = start_server(f"embedded:{location}", port)
    yield f"http://127.0.0.1:{port}", f"embedded:{location}"
    stop_server(proc)


def count(db: str, uid: str) -> int:
    store = open_store(db)
    try:
        return int(store.run("MATCH (n {uid: $u}) RETURN count(n)", {"u": uid}).rows[0][0])
    finally:
        store.close()


def test_a_suggested_duplicate_is_merged_and_undone_with_the_page_buttons(browser, served):
    url, db = served
    with watched_page(browser, url, "merges_page", http_errors=True,
                      viewport=(1400, 1000)) as page:
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto("/")
        nav_to(page, "Duplicates")
        row = page.locator("table.suggestions tr", has_text="dept-sales")
        assert "Sales Department" in row.inner_text()
        with page.expect_navigation():
            row.locator("button.swap").click()  # keep dept:sales, the flowcharts' uid
        assert count(db, "dept-sales") == 0
        merged = page.locator("table.merge-list tr", has_text="dept-sales")
        assert "dept:sales" in merged.inner_text()
        assert page.locator("table.suggestions tr", has_text="dept-sales").count() == 0
        with page.expect_navigation():
            merged.locator("button.undo").click()
        assert "undone" in page.locator("table.merge-list tr", has_text="dept-sales").inner_text()
        assert count(db, "dept-sales") == 1
