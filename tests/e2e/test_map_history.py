"""A revised map's version and history on its page, and a restore from there, in headless
Chromium against `erm serve`: camunda_order.bpmn loaded, then a revision of it (a step removed,
one renamed, a flow relabelled, a document removed) loaded over it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.store import open_store
from tests.e2e.conftest import free_port, start_server, stop_server, watched_page
from tests.test_map_revisions import CORPUS, ORDER, REJECTED, revise_bpmn


@pytest.fixture(scope="module")
def revised_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history-e2e")
    bpmn = Path(shutil.copy(CORPUS / "camunda_order.bpmn", folder / "camunda_order.bpmn"))
    store = open_store(f"embedded:{folder / 'db'}")
    load(store, bpmn)
    bpmn.write_text(revise_bpmn(bpmn.read_text()))
    load(store, bpmn)
    store.close()
    port = free_port()
    proc = start_server(f"embedded:{folder / 'db'}", port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def drawn(page) -> set[str]:
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    return set(page.evaluate("window.ermMap.data.nodes.map(n => n.id)"))


def test_the_map_page_shows_its_history_and_restores_a_version(browser, revised_url, request):
    with watched_page(browser, revised_url, request.node.name, http_errors=True,
                      viewport=(1400, 1000)) as page:
        page.goto(f"/map/{ORDER}")
        assert page.locator("#map-version").inner_text() == "version 2"
        assert REJECTED not in drawn(page)
        page.locator("#map-history summary").click()
        rows = page.locator("#map-history tbody tr")
        assert rows.count() == 2
        assert "Check the order: name" in rows.nth(0).inner_text()
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            rows.nth(1).locator("button.restore").click()
        assert page.locator("#map-version").inner_text() == "version 3"
        assert REJECTED in drawn(page)
        page.locator("#map-history summary").click()
        assert "restore of v1" in page.locator("#map-history tbody tr").nth(0).inner_text()
