"""The explorer end to end, in headless Chromium against `erm serve` with the demo loaded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from erm_graph.demo import facts

KP = facts.KEY_PERSON


def visible_ids(page) -> list[str]:
    return page.evaluate("window.ermExplorer.net.body.data.nodes.getIds()")


def test_home_lists_maps_and_warnings(page):
    page.goto("/")
    page.get_by_role("link", name=facts.GATEWAY.process_name).wait_for()
    assert page.locator("#unowned li").count() >= len(facts.UNOWNED.uids)


def test_search_open_neighbourhood_expand_and_detail(page):
    page.goto("/explore")
    page.fill("#q", KP.customer_name.split()[0])
    page.click("#search button")
    page.locator(f"#results li[data-uid='{KP.customer}']").click()
    page.wait_for_function("() => document.body.dataset.busy === '0' && "
                           "window.ermExplorer.nodes.length > 1")
    ids = visible_ids(page)
    assert KP.customer in ids and KP.employee in ids
    query = parse_qs(urlsplit(page.url).query)
    assert query["focus"] == [KP.customer], "the view lives in the URL"

    # the detail panel: properties, timeline and owner
    page.wait_for_selector("#detail h2")
    assert KP.customer_name in page.inner_text("#detail h2")
    assert "Interaction timeline" in page.inner_text("#detail")

    # expand the employee (double-click), then page through '+N more'
    before = page.evaluate("window.ermExplorer.nodes.length")
    page.evaluate(f"window.ermExplorer.net.emit('doubleClick', {{nodes: ['{KP.employee}']}})")
    page.wait_for_function(f"() => window.ermExplorer.nodes.length > {before} && "
                           "document.body.dataset.busy === '0'")
    assert f"more:{KP.employee}" in visible_ids(page), "a dense node offers '+N more'"
    before = page.evaluate("window.ermExplorer.nodes.length")
    page.evaluate(f"window.ermExplorer.net.emit('doubleClick', "
                  f"{{nodes: ['more:{KP.employee}']}})")
    page.wait_for_function(f"() => window.ermExplorer.nodes.length > {before} && "
                           "document.body.dataset.busy === '0'")
    assert parse_qs(urlsplit(page.url).query)["x"] == [KP.employee, KP.employee]

    # the shared link rebuilds the same view
    shared, count = page.url, page.evaluate("window.ermExplorer.nodes.length")
    page.goto(shared)
    page.wait_for_function("() => document.body.dataset.loaded === '1'")
    assert page.evaluate("window.ermExplorer.nodes.length") == count


def test_filters_size_hops_and_path(page):
    wp = facts.WARM_PATH
    page.goto(f"/explore?focus={wp.via}&size=pagerank&path={wp.employee},{wp.target}"
              f"&hide=Interaction")
    page.wait_for_function("() => document.body.dataset.loaded === '1'")
    state = page.evaluate("""() => { const e = window.ermExplorer;
        return {path: e.edges.get().filter(x => x.width === 4).length,
                sized: e.nodes.get().filter(n => typeof n.value === 'number').length,
                interactions: e.net.body.data.nodes.get().filter(
                    n => n.category === 'Interaction').length}; }""")
    assert state["path"] == 2 and state["sized"] > 0 and state["interactions"] == 0
    page.fill("#hops", "1")
    page.dispatch_event("#hops", "change")
    assert "hops=1" in page.url


def test_relationship_map(page):
    page.goto(f"/map/{facts.GATEWAY.process}")
    page.wait_for_function("() => document.body.dataset.ready === '1'")
    data = page.evaluate("window.ermMap.data.nodes.map(n => [n.id, n.band, n.y])")
    bands = {uid: (band, y) for uid, band, y in data}
    flow = [y for band, y in bands.values() if band == "flow"]
    assert flow and {"performer", "document"} <= {band for band, _ in bands.values()}
    assert all(y < min(flow) for band, y in bands.values() if band == "performer")
    assert all(y > max(flow) for band, y in bands.values() if band == "document")
    page.locator(f"#graph .map-node[data-uid='{facts.GATEWAY.gateway}']").click()
    page.wait_for_selector("#detail h2")
    assert "select=" in page.url


def test_named_query(page):
    page.goto(f"/queries?name=customer-360&uid={KP.customer}")
    page.wait_for_function("() => document.querySelector('main.queries')?.dataset.done === '1'")
    assert KP.customer_name in page.inner_text("#table")
    assert "format=csv" in page.get_attribute("#csv", "href")
    page.click("button[data-tab=graph]")
    ids = page.evaluate("document.querySelector('main.queries').ermNet.body.data.nodes.getIds()")
    assert KP.customer in ids and KP.employee in ids


def test_cypher_console(page):
    """A console link runs its query (typing into the editor: tests/e2e/test_console_editor.py)."""
    page.goto("/console?q=" + "MATCH (c:Customer)<-[m:MANAGES]-(e:Employee) RETURN c, m, e "
                               "LIMIT 10".replace(" ", "%20"))
    page.wait_for_function("() => document.querySelector('main.console').dataset.done === '1'")
    assert "10 row(s)" in page.inner_text("#status")
    page.click("button[data-tab=graph]")
    assert "q=" in page.url


def test_console_draws_a_large_result_without_hanging(page):
    page.goto("/console?q=" + "MATCH (i:Interaction) RETURN i LIMIT 1000".replace(" ", "%20"))
    page.wait_for_function("() => document.querySelector('main.console').dataset.done === '1'",
                           timeout=10_000)
    page.click("button[data-tab=graph]")
    assert page.evaluate("document.querySelector('main.console').ermNet.body.data.nodes"
                         ".length") == 1000


def test_api_docs_render_offline_under_the_csp(page):
    """Swagger UI comes from this server (no CDN) and runs under the pages' CSP: the page
    fixture fails on any off-site request, console error (a CSP refusal is one) or bad load."""
    page.goto("/api/docs")
    page.locator(".opblock-summary-path", has_text="/api/queries").first.wait_for()
    assert page.locator(".opblock").count() > 10
