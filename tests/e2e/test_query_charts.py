"""The queries page for business users, in Chromium on the demo: each query whose header
declares a chart draws it, typed fields give the rows the CLI gives, results read as people
write them (thousands separators, money, dates, titles, links), and names are looked up as
they are typed. Any console error or off-site request fails a test (``watched_page``).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from erm_graph.query import load_library
from tests.e2e.conftest import watched_page
from tests.e2e.test_query_legs import cell, erm_command

LIBRARY = load_library()
CHARTED = sorted(q.name for q in LIBRARY if q.chart and q.read_only)
DONE = "() => document.querySelector('main.queries')?.dataset.done === '1'"


def rows_of(page) -> tuple[list[str], list[list[str]]]:
    """(columns, raw cell values) of the result table."""
    return page.evaluate("""() => {
        const cols = [...document.querySelectorAll('#table th')].map(th => th.dataset.column);
        const rows = [...document.querySelectorAll('#table tbody tr')]
            .map(tr => [...tr.children].map(td => td.dataset.value));
        return [cols, rows]; }""")


@pytest.mark.parametrize("name", CHARTED)
def test_each_query_with_a_chart_header_draws_it(name, page):
    page.goto(f"/queries?name={name}")
    page.wait_for_function(DONE, timeout=60_000)
    page.wait_for_selector("#chart[data-ready='1'] canvas")
    box = page.locator("#chart canvas").first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200
    # the chart drew the query's rows: one x category per distinct x value
    chart = LIBRARY.get(name).chart
    columns, rows = rows_of(page)
    xs = {r[columns.index(chart.x)] for r in rows}
    drawn = page.evaluate("""() => { const c = echarts.getInstanceByDom(
        document.getElementById('chart')).getOption(); return c.xAxis ? c.xAxis[0].data.length
        : c.series[0].data.length; }""")
    assert drawn == len(xs)


def test_a_list_field_gives_the_rows_the_cli_gives(page, demo_store):
    page.goto("/queries?name=complaint-hotspots")
    page.wait_for_function(DONE, timeout=60_000)
    _, before = rows_of(page)
    page.fill("input[name=case_kinds]", "warranty")
    page.evaluate("document.querySelector('main.queries').dataset.done = ''")
    page.click("#query-form button")
    page.wait_for_function(DONE, timeout=60_000)
    assert "case_kinds=warranty" in page.url
    cli = subprocess.run(
        [*erm_command(), "--db", f"embedded:{demo_store.location}", "query", "run",
         "complaint-hotspots", "--format", "json", "-p", "case_kinds=warranty"],
        capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    columns, rows = rows_of(page)
    assert rows == [[cell(r[c]) for c in columns] for r in expected]
    assert rows and rows != before, "the list changed what the query counts"


def test_results_read_as_people_write_them(page):
    page.goto("/queries?name=lifetime-value")
    page.wait_for_function(DONE, timeout=60_000)
    page.click("button[data-tab=table]")
    titles = page.eval_on_selector_all("#table th", "ths => ths.map(th => th.textContent)")
    assert "Open pipeline" in titles and "Purchase revenue" in titles
    first = page.locator("#table tbody tr").first
    value = first.locator("td").nth(titles.index("Value"))
    raw = float(value.get_attribute("data-value"))
    assert value.text_content() == f"{raw:,.2f}"
    assert raw >= 1000, "the top customer's value needs a thousands separator"
    bought = first.locator("td").nth(titles.index("First purchase"))
    raw_date = bought.get_attribute("data-value")
    assert raw_date[:4] in bought.text_content() and raw_date[:10] != bought.text_content()[:10]
    assert bought.text_content()[:3] in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec")
    link = first.locator("td").nth(titles.index("Name")).locator("a")
    uid = first.locator("td").nth(titles.index("Uid")).get_attribute("data-value")
    assert link.get_attribute("href") == f"/node/{uid}"  # a party goes on to its account


def test_a_share_shows_as_a_percentage(page):
    page.goto("/queries?name=at-risk-customers")
    page.wait_for_function(DONE, timeout=60_000)
    risk = page.locator("#table tbody tr").first.locator("td").nth(3)
    raw = float(risk.get_attribute("data-value"))
    assert risk.text_content() == f"{raw:.1%}".replace(".0%", "%")


def test_a_party_field_looks_names_up_as_they_are_typed(page, demo_store):
    name, uid = demo_store.run("MATCH (c:Customer) RETURN c.name, c.uid ORDER BY c.uid "
                               "LIMIT 1").rows[0]
    page.goto("/queries?name=customer-360")
    page.wait_for_function(DONE, timeout=60_000)
    box = page.locator("input[name=uid]")
    assert box.get_attribute("data-lookup") == "Party"
    box.fill("")
    box.type(name[:5], delay=30)
    option = page.locator(f'[role=listbox] [role=option][data-uid={json.dumps(uid)}]')
    option.wait_for()
    box.press("ArrowDown")
    while box.get_attribute("aria-activedescendant") != option.get_attribute("id"):
        box.press("ArrowDown")
    box.press("Enter")  # the picked name gives its uid
    assert box.input_value() == uid
    assert page.locator("input[name=since]").count() == 0


def test_typed_fields_are_date_pickers_number_boxes_and_selects(page):
    page.goto("/queries?name=survey-sentiment")
    page.wait_for_function(DONE, timeout=60_000)
    assert page.get_attribute("input[name=since]", "type") == "date"
    assert page.locator("select[name=period] option").all_text_contents() == [
        "month", "quarter", "year"]
    page.goto("/queries?name=at-risk-customers")
    assert page.get_attribute("input[name=min_risk]", "type") == "number"
    assert page.get_attribute("input[name=min_risk]", "max") == "1"


@pytest.mark.parametrize("viewport", [(1400, 1000), (390, 844)])
def test_screenshots_of_the_queries_page_with_a_chart(browser, base_url, viewport):
    """Left in test-artifacts/queries-chart-WxH.png (by ``watched_page``) to be looked at."""
    with watched_page(browser, base_url, f"queries-chart-{viewport[0]}x{viewport[1]}",
                      viewport=viewport) as pg:
        pg.goto("/queries?name=sales-by-domain")
        pg.wait_for_function(DONE, timeout=60_000)
        pg.wait_for_selector("#chart[data-ready='1'] canvas")
        pg.locator("#chart").scroll_into_view_if_needed()


def test_the_graph_tab_draws_a_path_as_a_path(page):
    page.goto("/queries?name=warm-path")
    page.wait_for_function(DONE, timeout=60_000)
    chain = json.loads(page.locator("#table tbody tr").first.locator("td").nth(4)
                       .get_attribute("data-value"))
    page.click("button[data-tab=graph]")
    page.wait_for_selector("#graph[data-ready='1']")
    xs = page.evaluate("ids => { const p = document.querySelector('main.queries').ermNet"
                       ".getPositions(ids); return ids.map(id => p[id].x); }", chain)
    assert len(chain) >= 3 and xs == sorted(xs) and len(set(xs)) == len(xs), \
        "each hop one step further right, employee first, the target last"
