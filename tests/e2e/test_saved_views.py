"""Saved views in the browser: a relationship officer saves the explorer's view of a customer
with a note; a colleague of the same team opens it from the Saved views page and gets the
same view; a user of another team neither sees it listed nor opens its link. `erm serve` over
the demo with users in a security file of its own; headless Chromium."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from erm_graph.demo import facts
from tests.e2e.conftest import log_in, nav_to, served_with_users, watched_page

RISK = facts.AT_RISK
PASSWORD = "correct horse battery"
#: two relationship officers (one team) and an R&D user (another team)
PEOPLE = {"olga": "officer", "otto": "officer", "rita": "rnd"}


@pytest.fixture(scope="module")
def served(demo_store, tmp_path_factory):
    with served_with_users(f"embedded:{demo_store.location}",
                           tmp_path_factory.mktemp("views-e2e") / "users.db", PEOPLE,
                           PASSWORD) as base_url:
        yield base_url


def explorer_state(page) -> dict:
    return page.evaluate("""() => { const e = window.ermExplorer;
        const ids = e.nodes.getIds().filter((id) => !id.startsWith('more:'));
        return {ids: ids.sort(), interactions: e.nodes.get().filter(
            (n) => n.category === 'Interaction').length}; }""")


def test_save_a_view_and_open_it_as_a_teammate_not_as_another_team(browser, served, request):
    with watched_page(browser, served, f"{request.node.name}-olga") as page:
        log_in(page, served, "olga", PASSWORD)
        page.goto(f"/explore?focus={RISK.customer}")
        page.locator("body[data-loaded='1']").wait_for(state="attached")
        page.locator("#groups button[data-kind='HAD:Interaction']").click()
        page.wait_for_function("() => new URLSearchParams(location.search).get('k') === "
                               "'HAD:Interaction' && document.body.dataset.busy === '0'")
        saved_state = explorer_state(page)
        page.get_by_role("button", name="Save view").click()
        dialog = page.locator("#save-view-dialog")
        dialog.get_by_label("Name").fill("Meridian: calls after the complaints")
        dialog.get_by_label("Note").fill("three open complaints; call before Monday")
        dialog.get_by_role("button", name="Save").click()
        dialog.get_by_role("link", name="Meridian: calls after the complaints").wait_for()
        link = dialog.get_by_role("link", name="Meridian: calls after the complaints") \
            .get_attribute("href")
        assert link.startswith("/views/")

    with watched_page(browser, served, f"{request.node.name}-otto") as page:
        log_in(page, served, "otto", PASSWORD)
        nav_to(page, "Saved views")
        row = page.locator("table.views tr", has_text="Meridian: calls after the complaints")
        assert "olga" in row.inner_text() and "call before Monday" in row.inner_text()
        assert row.get_by_role("button", name="Delete").count() == 0, "not otto's to delete"
        row.get_by_role("link").click()
        page.locator("body[data-loaded='1']").wait_for(state="attached")
        query = parse_qs(urlsplit(page.url).query)
        assert query["focus"] == [RISK.customer] and query["k"] == ["HAD:Interaction"]
        assert explorer_state(page) == saved_state, "the same view as olga saved"

    with watched_page(browser, served, f"{request.node.name}-rita") as page:
        log_in(page, served, "rita", PASSWORD)
        page.goto("/views")
        assert page.locator("table.views", has_text="Meridian").count() == 0
        refused = page.request.get(link, max_redirects=0)
        assert refused.status == 404, refused.status
        assert "no saved view" in refused.json()["error"]["message"]


def test_save_view_from_a_map_and_a_query(browser, served, request):
    """The button is on the map and queries pages too; each view keeps its page's whole URL."""
    pages = {"map": f"/map/{facts.GATEWAY.process}?select={facts.GATEWAY.gateway}",
             "query": f"/queries?name=customer-360&uid={RISK.customer}"}
    with watched_page(browser, served, request.node.name) as page:
        log_in(page, served, "otto", PASSWORD)
        for kind, url in pages.items():
            page.goto(url)
            page.get_by_role("button", name="Save view").click()
            dialog = page.locator("#save-view-dialog")
            dialog.get_by_label("Name").fill(f"otto's {kind}")
            dialog.get_by_label("Shared with").select_option("private")
            dialog.get_by_role("button", name="Save").click()
            dialog.get_by_role("link", name=f"otto's {kind}").wait_for()
        page.goto("/views")
        for kind, url in pages.items():
            row = page.locator("table.views tr", has_text=f"otto's {kind}")
            assert kind in row.inner_text() and "private" in row.inner_text()
            saved = page.request.get(row.get_by_role("link").get_attribute("href"),
                                     max_redirects=0).headers["location"]
            assert urlsplit(saved).path == urlsplit(url).path
            assert parse_qs(urlsplit(saved).query) == parse_qs(urlsplit(url).query)
        page.get_by_role("button", name="Delete otto's map").click()
        page.locator("table.views tr", has_text="otto's map").wait_for(state="detached")
        page.reload()
        assert page.locator("table.views tr", has_text="otto's map").count() == 0
