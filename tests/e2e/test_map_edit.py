"""Editing a map in the browser (issue 14 item 2), in headless Chromium against `erm serve`
with a security file: an editor opens the demo's customer map, switches to edit mode, adds a
step after the first one and a flow from it, assigns a performer, saves, and sees the map's
next version in its history and the new step drawn; a viewer has no edit mode. Screenshots of
the edit mode at desktop and phone widths go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from erm_graph.demo import load_demo
from erm_graph.edit.maps import edit_map
from erm_graph.store import open_store
from tests.e2e.conftest import log_in, served_with_users, watched_page

PASSWORD = "a long enough password"
PROC = "proc-customer"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The small demo in a library of its own, whose customer map was edited once already
    (so it has versions 1, the map as the demo wrote it, and 2)."""
    folder = tmp_path_factory.mktemp("map-edit-e2e")
    store = open_store(f"embedded:{folder / 'db'}")
    load_demo(store, "small", seed=7)
    edit_map(store, PROC, [{"kind": "rename_step", "step": "step-cr-start",
                            "name": "Enquiry in"}], based_on=0)
    store.close()
    with served_with_users(f"embedded:{folder / 'db'}", folder / "users.db",
                           {"ed": "editor", "vi": "viewer"}, PASSWORD) as url:
        yield url


def ready(page) -> None:
    page.wait_for_function("() => document.body.dataset.ready === '1'")


def add(page, kind: str, **values: str) -> None:
    """Choose the kind of change, fill its fields (by name), add it to the list."""
    panel = page.locator("#edit-panel")
    panel.locator("#edit-kind").select_option(kind)
    for name, value in values.items():
        control = panel.locator(f"#edit-fields [name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
            control.press("Escape")  # close the typeahead's list
    panel.get_by_role("button", name="Add to the list").click()


def test_an_editor_edits_a_map_and_sees_the_new_version(browser, site, request):
    with watched_page(browser, site, request.node.name, http_errors=True,
                      viewport=(1400, 1000)) as page:
        log_in(page, site, "ed", PASSWORD)
        page.goto(f"/map/{PROC}")
        ready(page)
        assert page.locator("#map-version").inner_text() == "version 2"
        page.get_by_role("button", name="Edit map").click()
        panel = page.locator("#edit-panel")
        assert panel.is_visible() and not page.locator("#detail").is_visible()
        add(page, "add_step", name="Qualify the lead", place="after", anchor="step-cr-start")
        add(page, "add_flow", **{"from": "new-1", "to": "step-cr-purchase", "label": "hot"})
        add(page, "assign_performer", step="new-1", performer="emp-0002", role="lead")
        items = panel.locator("#edit-changes li")
        assert items.count() == 3
        # an owner is set on the model's components only, as the server marks them
        panel.locator("#edit-kind").select_option("set_owner")
        offered = panel.locator("#edit-fields [name=component] option").all_inner_texts()
        assert "Enquiry in (Step)" in offered and "Qualify the lead (new step)" in offered
        assert not [o for o in offered if o.endswith(("(Employee)", "(Customer)"))], offered
        assert "add step “Qualify the lead” after “Enquiry in”" in items.nth(0).inner_text()
        assert "“Qualify the lead (new)” → “Purchase”" in items.nth(1).inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-edit-desktop.png"), full_page=False)
        with page.expect_navigation():
            panel.get_by_role("button", name="Save as revision").click()
        ready(page)
        assert page.locator("#map-version").inner_text() == "version 3"
        assert page.locator("#map-history").get_attribute("open") is not None
        top = page.locator("#map-history tbody tr").nth(0).inner_text()
        assert "edit" in top and "add step 'Qualify the lead' after Enquiry in" in top
        names = page.evaluate("window.ermMap.data.nodes.map(n => n.name)")
        assert "Qualify the lead" in names
        new = page.evaluate("window.ermMap.data.nodes.find(n => n.name === "
                            "'Qualify the lead').id")
        assert "Qualify the lead" in page.evaluate("id => window.ermMap.text(id)", new)
        flows = page.evaluate("window.ermMap.data.edges.filter(e => e.type === 'NEXT')"
                              ".map(e => [e.from, e.to])")
        assert ["step-cr-start", new] in flows and [new, "step-cr-purchase"] in flows
        performers = page.evaluate("id => window.ermMap.data.edges.filter(e => e.to === id "
                                   "&& e.type === 'PERFORMS').map(e => e.from)", new)
        assert "emp-0002" in performers


def test_a_stale_edit_is_refused_in_the_page(browser, site, request):
    """Another save between opening edit mode and saving: the page says so and keeps the
    list; nothing is written."""
    with watched_page(browser, site, request.node.name, http_errors=True,
                      viewport=(1400, 1000), allow="409", refusals=0) as page:
        log_in(page, site, "ed", PASSWORD)
        page.goto(f"/map/{PROC}")
        ready(page)
        version = page.locator("#map-page").get_attribute("data-version")
        page.get_by_role("button", name="Edit map").click()
        add(page, "rename_step", step="step-cr-purchase", name="Buy")
        page.evaluate("v => document.getElementById('map-page').dataset.version = v",
                      str(int(version) - 1))  # as if another save came in meanwhile
        page.get_by_role("button", name="Save as revision").click()
        result = page.locator("#edit-result.error")
        result.wait_for()
        assert "changed since this edit began" in result.inner_text()
        assert page.locator("#edit-changes li").count() == 1


def test_a_viewer_has_no_edit_mode(browser, site, request):
    with watched_page(browser, site, request.node.name) as page:
        log_in(page, site, "vi", PASSWORD)
        page.goto(f"/map/{PROC}")
        ready(page)
        assert page.locator("#edit-map").count() == 0
        assert page.locator("#edit-panel").count() == 0


def test_edit_mode_on_a_phone(browser, site, request):
    with watched_page(browser, site, request.node.name, viewport=(390, 844), is_mobile=True,
                      has_touch=True) as page:
        log_in(page, site, "ed", PASSWORD)
        page.goto(f"/map/{PROC}")
        ready(page)
        page.get_by_role("button", name="Edit map").click()
        add(page, "rename_step", step="step-cr-purchase", name="Buy")
        panel = page.locator("#edit-panel")
        box = panel.bounding_box()
        assert box is not None and box["width"] >= 340  # the whole width, not squeezed
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        panel.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map-edit-phone.png"), full_page=False)
