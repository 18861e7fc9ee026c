"""The explorer as a relationship officer uses it, in headless Chromium on the demo: a
customer opens on its owner and open cases (not its calls), a count of "around the centre"
loads that kind, unticking a label changes the counts, a path names each hop and why, and the
detail panel puts open cases first with every row a link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from erm_graph.demo import facts
from erm_graph.query.importance import OPEN_CASE

RISK, WP = facts.AT_RISK, facts.WARM_PATH


def open_explorer(page, query: str) -> None:
    page.goto(f"/explore?{query}")
    page.locator("body[data-loaded='1']").wait_for(state="attached")


def by_label(page) -> dict[str, int]:
    return page.evaluate("""() => { const n = {};
        window.ermExplorer.nodes.get().forEach((x) => {
            n[x.category] = (n[x.category] || 0) + 1; });
        return n; }""")


def test_a_customer_opens_on_its_owner_and_open_cases(page, demo_store):
    (owner,), = demo_store.run("MATCH (e:Employee)-[:MANAGES]->(:Party {uid: $c}) RETURN e.uid",
                               {"c": RISK.customer}).rows
    open_cases = {u for (u,) in demo_store.run(
        "MATCH (:Party {uid: $c})-[:RAISED]->(x:Case) WHERE x.status IN $open RETURN x.uid",
        {"c": RISK.customer, "open": list(OPEN_CASE)}).rows}
    open_explorer(page, f"focus={RISK.customer}")
    ids = set(page.evaluate("window.ermExplorer.nodes.getIds()"))
    assert owner in ids and open_cases <= ids
    # the centre's details without a click: open cases first, each row a link
    panel = page.locator("#detail")
    panel.locator("h3", has_text="Open cases").wait_for()
    headings = panel.locator("h3").all_inner_texts()
    assert headings[0] == f"Open cases ({len(open_cases)})"
    assert headings.index("Details") < headings.index("Relationships")
    cases = panel.locator("h3:has-text('Open cases') + table tbody tr")
    assert cases.count() == len(open_cases)
    for table in ("Open cases", "People and places", "Relationships", "Interaction timeline"):
        rows = panel.locator(f"h3:has-text('{table}') + table tbody tr")
        assert rows.count() > 0, table
        assert rows.count() == panel.locator(f"h3:has-text('{table}') + table tbody tr:has(a)") \
            .count(), f"every row of {table} is a link"
    details = panel.locator("h3:has-text('Details') + table").inner_text()
    assert "segment" in details and "created" not in details and "demo:" not in details


def test_clicking_a_count_loads_that_kind(page):
    open_explorer(page, f"focus={RISK.customer}")
    before = by_label(page).get("Interaction", 0)
    count = page.locator("#groups button[data-kind='HAD:Interaction']")
    total = int(count.inner_text().split()[0])
    assert total > before
    count.click()
    page.wait_for_function(f"() => document.body.dataset.busy === '0' && window.ermExplorer.nodes"
                           f".get().filter((n) => n.category === 'Interaction').length > {before}")
    after = by_label(page)["Interaction"]
    assert after == min(total, before + 25)
    assert parse_qs(urlsplit(page.url).query)["k"] == ["HAD:Interaction"]
    shown = page.locator("#groups tr", has=page.locator("button[data-kind='HAD:Interaction']")) \
        .locator("td").nth(1).inner_text()
    assert int(shown) == after
    page.reload()
    page.locator("body[data-loaded='1']").wait_for(state="attached")
    assert by_label(page)["Interaction"] == after, "the link rebuilds the same view"


def test_a_detail_panel_row_loads_its_kind_in_place(page):
    open_explorer(page, f"focus={RISK.customer}&hide=Interaction&max=4")
    assert by_label(page).get("Response", 0) == 0, "a first page of four holds no response"
    page.locator("#detail a[data-kind='GAVE:Response']").click()
    page.wait_for_function("() => document.body.dataset.busy === '0' && window.ermExplorer.nodes"
                           ".get().some((n) => n.category === 'Response')")
    assert urlsplit(page.url).path == "/explore", "loaded in place, not a new page"
    assert "GAVE:Response" in parse_qs(urlsplit(page.url).query)["k"]


def test_unticking_a_label_changes_the_counts(page):
    open_explorer(page, f"focus={RISK.customer}")
    kinds = page.locator("#groups button.kind")
    assert kinds.filter(has_text="Interaction").count() == 1
    page.locator("#label-filters input[value='Interaction']").uncheck()
    page.wait_for_function("() => document.body.dataset.busy === '0' && !document"
                           ".querySelector(\"#groups button[data-kind='HAD:Interaction']\")")
    assert "hide=Interaction" in page.url
    assert by_label(page).get("Interaction", 0) == 0
    counts = [int(t.split()[0]) for t in kinds.all_inner_texts()]
    drawn = page.evaluate(f"""() => window.ermExplorer.edges.get().filter((e) => e.type !== 'more'
        && (e.from === '{RISK.customer}' || e.to === '{RISK.customer}')).length""")
    assert sum(counts) == drawn, "everything that passes the filter is loaded: no '+N more'"
    assert page.evaluate(f"window.ermExplorer.nodes.get('more:{RISK.customer}')") is None


def test_a_path_names_each_hop_and_why(page):
    open_explorer(page, f"focus={WP.via}&path={WP.employee},{WP.target}")
    hops = page.locator("#path-hops li")
    assert hops.count() == len(WP.relationships)
    for hop, rel in zip(hops.all_inner_texts(), WP.relationships, strict=True):
        assert rel in hop
    assert "account owner" in hops.first.inner_text()
    labels = page.evaluate("window.ermExplorer.edges.get().filter((e) => e.width === 4)"
                           ".map((e) => e.label).sort()")
    assert labels == sorted(WP.relationships)
