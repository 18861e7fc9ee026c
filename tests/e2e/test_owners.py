"""Owners in the browser: a map's "⚠ no owner" component gets its owner from the detail panel
(the employee found by name), and the governance page lists what is left. Headless Chromium
against `erm serve` (the single local admin on loopback) on the corpus's table maps."""

from __future__ import annotations

from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.store import open_store
from tests.e2e.conftest import ARTIFACTS, free_port, nav_to, start_server, stop_server, watched_page

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PROCESS, STEP = "table/complaints", "table/complaints/fix"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    location = tmp_path_factory.mktemp("owners-e2e") / "db"
    store = open_store(f"embedded:{location}")
    load(store, [CORPUS / "table", CORPUS / "onboarding.yaml"])
    port = free_port()
    proc = start_server(f"embedded:{location}", port)
    yield f"http://127.0.0.1:{port}", store
    stop_server(proc)
    store.close()


def node_label(page, uid: str) -> str:
    return page.evaluate("(uid) => window.ermMap.text(uid)", uid)


def test_set_an_owner_from_the_map_and_see_the_governance_page(browser, served):
    url, store = served
    with watched_page(browser, url, "owners_map", http_errors=True,
                      viewport=(1400, 1000)) as page:
        page.goto(f"/map/{PROCESS}?select={STEP}")
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        assert "⚠ no owner" in node_label(page, STEP)
        panel = page.locator("#detail")
        panel.locator("#owner-warning").wait_for()
        assert panel.locator("#owner-warning").inner_text() == "⚠ No owner"
        field = panel.locator("form.owner-form input[name=employee]")
        field.fill("Carla")  # found by name: the choices hold the employees' uids
        page.wait_for_function(
            "() => document.querySelector('.owner-form option[value=\"emp-care\"]')")
        field.fill("emp-care")
        panel.get_by_role("button", name="Set owner").click()
        page.wait_for_function("(uid) => window.ermMap && (window.ermMap.text(uid) || '')"
                               ".includes('★')", arg=STEP)
        assert "★ Carla Care" in node_label(page, STEP)
        panel.get_by_text("★ Owner: Carla Care").wait_for()
        assert store.run("MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(:Step {uid: $uid}) "
                         "RETURN collect(e.uid)", {"uid": STEP}).rows[0][0] == ["emp-care"]
        page.screenshot(path=str(ARTIFACTS / "owners_map_after.png"))

        nav_to(page, "Governance")
        page.wait_for_url("**/governance")
        page.locator("body[data-ready='1']").wait_for(state="attached")  # forms drawn
        unowned = page.locator("#unowned")
        assert STEP not in unowned.inner_text()
        assert "Complaint received" in unowned.inner_text()  # another step of the map
        assert page.locator("td.fix form.owner-form").count() == unowned.locator(
            "tbody tr").count()
