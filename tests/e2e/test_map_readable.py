"""Relationship maps people can read (issue 19, item 5), in headless Chromium against `erm
serve` on the demo: the legend, the size of the text at the opening zoom, party links that
never run along a flow arrow, people inside their department's box, sub-process steps inside
their parent, the "+N more" lists, and the PNG/SVG/PDF exports from the page, the API and the
CLI. Every figure is measured from what the page drew (its SVG and the positions it used)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erm_graph.cli import app
from erm_graph.demo import facts
from tests.e2e import a11y
from tests.e2e.conftest import ARTIFACTS, watched_page

DESKTOP = (1400, 1000)
GW = facts.GATEWAY
#: the demo's sub-process: its parent step and the steps inside it
SUBPROCESS = ("proc-compliance", "step-rc-audit", {"step-rc-audit-sample", "step-rc-audit-review"})
PNG, PDF = b"\x89PNG\r\n\x1a\n", b"%PDF-"


def demo_maps(store) -> list[str]:
    return [uid for (uid,) in store.run("MATCH (p:Process) RETURN p.uid ORDER BY p.uid").rows]


def open_map(page, uid: str) -> None:
    page.goto(f"/map/{uid}")
    page.locator("body[data-ready='1']").wait_for(state="attached")


@pytest.fixture
def desktop(browser, base_url, request):
    with watched_page(browser, base_url, request.node.name, viewport=DESKTOP,
                      accept_downloads=True) as page:
        yield page


def test_the_legend_names_every_kind_and_line_drawn(desktop):
    page = desktop
    open_map(page, GW.process)
    legend = page.locator("#map-legend")
    assert legend.is_visible() and legend.get_by_role("heading", name="Legend").is_visible()
    assert legend.get_attribute("open") is not None, "open on a desktop's screen"
    items = legend.locator("li")
    texts = [items.nth(i).inner_text() for i in range(items.count())]
    data = page.evaluate("""() => ({
        kinds: [...new Set(window.ermMap.data.nodes.map(n => n.category))],
        drawn: [...new Set(window.ermMap.geometry.links.map(l => l.type))]})""")
    for kind in data["kinds"]:
        assert any(t == kind or t.startswith(f"{kind} (") for t in texts), (kind, texts)
    lines = {"NEXT": "Flow: the next step", "PARTICIPATES_IN": "Party takes part in the step",
             "PERFORMS": "Performs the step"}
    for link_type in data["drawn"]:
        if link_type in lines:
            assert lines[link_type] in texts
            swatch = legend.locator(f"li[data-type='{link_type}'] polyline")
            drawn = page.locator(f"#graph polyline[data-type='{link_type}']").first
            # the legend's line is the map's line: same colour, same dashes
            for attr in ("stroke", "stroke-dasharray"):
                assert swatch.get_attribute(attr) == drawn.get_attribute(attr), (link_type, attr)
    flow, party = (legend.locator(f"li[data-type='{t}'] polyline")
                   for t in ("NEXT", "PARTICIPATES_IN"))
    assert flow.get_attribute("stroke-dasharray") is None
    assert party.get_attribute("stroke-dasharray"), "a party's line is dashed, the flow's solid"
    assert flow.get_attribute("stroke") != party.get_attribute("stroke")
    assert "★ owner of the component" in texts
    # the swatches are decoration: a screen reader reads the words
    assert legend.locator("svg:not([aria-hidden='true'])").count() == 0


def test_the_legend_follows_dark_mode(browser, base_url, request):
    with watched_page(browser, base_url, request.node.name, viewport=DESKTOP,
                      color_scheme="dark") as page:
        open_map(page, GW.process)
        colours = page.evaluate("""() => {
            const text = document.querySelector('#map-legend li span');
            const label = document.querySelector('#graph .map-node text');
            const style = (e) => getComputedStyle(e);
            return [style(text).color, style(document.body).backgroundColor, style(label).fill,
                    style(document.getElementById('graph')).backgroundColor];
        }""")
        legend_text, page_bg, label_fill, map_bg = colours
        assert page_bg != "rgb(255, 255, 255)" and map_bg == page_bg
        assert legend_text == label_fill != "rgb(31, 35, 40)", "light text on the dark page"
        page.screenshot(path=str(ARTIFACTS / "map-dark.png"))


def test_labels_are_at_least_12_px_at_the_opening_zoom(desktop, demo_store):
    page = desktop
    smallest = {}
    for uid in demo_maps(demo_store):
        open_map(page, uid)
        smallest[uid] = page.evaluate("""() => {
            const svg = document.querySelector('#graph svg.map-svg');
            const unit = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return Math.min(...[...svg.querySelectorAll('text')]
                .map(t => parseFloat(getComputedStyle(t).fontSize) * unit));
        }""")
    assert min(smallest.values()) >= 12, smallest
    page.screenshot(path=str(ARTIFACTS / "map-opening.png"))


def _segments(points):
    return list(zip(points, points[1:], strict=False))


def _collinear_overlap(a, b, tol=1.0) -> bool:
    """Whether segments ``a`` and ``b`` lie on one line and share more than a point of it."""
    (x1, y1), (x2, y2) = a
    (x3, y3), (x4, y4) = b
    dx, dy = x2 - x1, y2 - y1
    length = (dx * dx + dy * dy) ** 0.5
    if length < tol:
        return False

    def off(x, y):  # distance of (x, y) from a's line
        return abs(dx * (y - y1) - dy * (x - x1)) / length

    if off(x3, y3) > tol or off(x4, y4) > tol:
        return False
    t3 = ((x3 - x1) * dx + (y3 - y1) * dy) / length
    t4 = ((x4 - x1) * dx + (y4 - y1) * dy) / length
    return min(max(t3, t4), length) - max(min(t3, t4), 0) > tol


def test_the_overlap_check_sees_a_party_line_along_the_flow():
    """The check below is not vacuous: a segment on a flow arrow's line, overlapping it, is
    caught; a parallel one beside it, or one meeting it at a corner, is not."""
    flow = ((0, 100), (200, 100))
    assert _collinear_overlap(flow, ((150, 100), (400, 100)))
    assert not _collinear_overlap(flow, ((0, 108), (200, 108)))
    assert not _collinear_overlap(flow, ((200, 100), (200, 300)))
    assert not _collinear_overlap(flow, ((300, 100), (400, 100)))


def test_no_party_link_runs_along_a_flow_arrow(desktop, demo_store):
    page = desktop
    for uid in demo_maps(demo_store):
        open_map(page, uid)
        links = page.evaluate("() => window.ermMap.geometry.links")
        flow = [s for link in links if link["type"] == "NEXT" for s in _segments(link["points"])]
        party = [(link["from"], s) for link in links if link["type"] == "PARTICIPATES_IN"
                 for s in _segments(link["points"])]
        if uid == GW.process:
            assert flow and party, "the customer map has both kinds of line"
        clashes = [(who, p, f) for who, p in party for f in flow if _collinear_overlap(p, f)]
        assert not clashes, f"{uid}: {clashes[:3]}"
        # and the drawn lines are these: one polyline per link, the same points
        assert page.locator("#graph polyline").count() == len(links)


def test_people_sit_inside_their_departments_box_above_the_flow(desktop, demo_store):
    page = desktop
    open_map(page, GW.process)
    geo = page.evaluate("""() => ({
        nodes: Object.fromEntries([...window.ermMap.geometry.nodes].map(([k, v]) => [k, v])),
        groups: window.ermMap.geometry.groups,
        people: window.ermMap.data.nodes
            .filter(n => n.category === 'Employee' && !n.id.startsWith('more:'))
            .map(n => [n.id, n.department]),
        flowTop: Math.min(...window.ermMap.data.nodes.filter(n => n.band === 'flow')
            .map(n => window.ermMap.geometry.nodes.get(n.id).y))})""")
    groups = {g["id"]: g for g in geo["groups"]}
    assert geo["people"], "the customer map draws people"
    for person, department in geo["people"]:
        (member,), = demo_store.run("MATCH (:Employee {uid: $uid})-[:MEMBER_OF]->(d) "
                                    "RETURN collect(d.uid)", {"uid": person}).rows
        assert department in member
        box, p = groups[department], geo["nodes"][person]
        assert box["x"] <= p["x"] and p["x"] + p["w"] <= box["x"] + box["w"], person
        assert box["y"] <= p["y"] and p["y"] + p["h"] <= box["y"] + box["h"], person
        assert box["y"] + box["h"] < geo["flowTop"], "departments sit above the flow"
    # no false chains: no two people share a column inside different boxes' stacks
    shown = [geo["nodes"][p] for p, _ in geo["people"]]
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            apart = (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                     or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"])
            assert apart, "two people's boxes overlap"


def test_sub_process_steps_are_drawn_inside_their_parent(desktop):
    page = desktop
    process, parent, children = SUBPROCESS
    open_map(page, process)
    nodes = page.evaluate("() => Object.fromEntries(window.ermMap.geometry.nodes)")
    outer = nodes[parent]
    for child in children:
        inner = nodes[child]
        assert outer["x"] < inner["x"] and inner["x"] + inner["w"] < outer["x"] + outer["w"]
        assert outer["y"] < inner["y"] and inner["y"] + inner["h"] < outer["y"] + outer["h"]
    page.screenshot(path=str(ARTIFACTS / "map-subprocess.png"))


def test_more_parties_open_a_searchable_list(desktop, demo_store):
    page = desktop
    open_map(page, GW.process)
    more = page.evaluate("""() => window.ermMap.data.nodes.filter(n => n.id.startsWith('more:'))
        .map(n => ({id: n.id, name: n.name, members: n.members}))""")
    parties = next(m for m in more if m["id"].endswith(":parties"))
    hidden = parties["members"]
    total, = demo_store.run("MATCH (p:Party)-[:PARTICIPATES_IN]->(:Step)<-[:HAS_STEP]-"
                            "(:Process {uid: $uid}) RETURN count(DISTINCT p)",
                            {"uid": GW.process}).rows[0]
    drawn = page.evaluate("() => window.ermMap.data.nodes.filter(n => n.band === 'party' "
                          "&& !n.id.startsWith('more:')).map(n => n.activity)")
    assert len(hidden) + len(drawn) == total and parties["name"] == f"+{len(hidden)} more parties"
    assert min(drawn) >= max(m["activity"] for m in hidden), "the busiest parties are drawn"

    node = page.locator(f"#graph .map-node[data-uid='{parties['id']}']")
    node.focus()  # a keyboard opens it: the box is a button
    page.keyboard.press("Enter")
    dialog = page.locator("#more-dialog")
    assert dialog.is_visible()
    assert dialog.locator("#more-list li").count() == len(hidden)
    assert page.evaluate("document.activeElement.id") == "more-search"
    found = a11y.violations(page)
    assert not found, "the open list: " + "\n".join(found)
    wanted = hidden[len(hidden) // 2]
    page.keyboard.type(wanted["name"])
    rows = dialog.locator("#more-list li")
    assert 1 <= rows.count() < len(hidden)
    assert any(rows.nth(i).get_attribute("data-uid") == wanted["uid"]
               for i in range(rows.count()))
    link = dialog.locator(f"#more-list li[data-uid='{wanted['uid']}'] a")
    assert link.get_attribute("href") == f"/account/{wanted['uid']}"
    page.keyboard.press("Escape")  # a search field's first Escape empties it: all are back
    assert dialog.locator("#more-list li").count() == len(hidden)
    page.keyboard.press("Escape")  # the second closes the list
    assert not dialog.is_visible()
    node.click()  # and a mouse
    assert dialog.is_visible() and dialog.locator("#more-list li").count() == len(hidden)
    dialog.get_by_role("button", name="Close").click()


def _check_svg(data: bytes, steps: list[str]) -> None:
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    missing = [s for s in steps if s not in texts]
    assert not missing, missing
    assert "Legend" in texts


def _step_names(store, process: str) -> list[str]:
    return [name for (name,) in store.run("MATCH (:Process {uid: $uid})-[:HAS_STEP]->(s) "
                                          "RETURN s.name", {"uid": process}).rows]


def test_export_png_svg_pdf_from_the_page(desktop, demo_store, tmp_path):
    page = desktop
    open_map(page, GW.process)
    steps = _step_names(demo_store, GW.process)
    files = {}
    for fmt, control in (("png", "button#export-png"), ("svg", "button#export-svg"),
                         ("pdf", "button#export-pdf")):
        with page.expect_download(timeout=60_000) as download:
            page.click(control)
        files[fmt] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[fmt])
        assert files[fmt].suffix == f".{fmt}"
    assert files["png"].read_bytes().startswith(PNG)
    assert files["pdf"].read_bytes().startswith(PDF)
    _check_svg(files["svg"].read_bytes(), steps)
    # the PNG is the SVG's drawing, twice its size for sharp slides
    root = ET.fromstring(files["svg"].read_bytes())
    png = files["png"].read_bytes()
    width = int.from_bytes(png[16:20], "big")
    assert abs(width - 2 * float(root.get("width"))) <= 2


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_export_from_the_cli(demo_store, tmp_path, fmt):
    out = tmp_path / f"map.{fmt}"
    res = CliRunner().invoke(app, ["--db", f"embedded:{demo_store.location}", "viz", "map",
                                   SUBPROCESS[0], "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    if fmt == "svg":
        _check_svg(data, _step_names(demo_store, SUBPROCESS[0]))
    else:
        assert data.startswith({"png": PNG, "pdf": PDF}[fmt])
        assert len(data) > 10_000
    (ARTIFACTS / f"map-cli.{fmt}").write_bytes(data)


def test_the_cli_names_the_fix_when_chromium_is_missing(demo_store, tmp_path, monkeypatch):
    db = f"embedded:{demo_store.location}"
    out = tmp_path / "map.pdf"
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    res = CliRunner().invoke(app, ["--db", db, "viz", "map", GW.process, "-o", str(out)])
    assert res.exit_code == 1 and "apt-get install chromium" in res.output, res.output
    assert "ERM_CHROMIUM" in res.output and not out.exists()
    monkeypatch.setenv("ERM_CHROMIUM", str(tmp_path / "no-such-chromium"))
    res = CliRunner().invoke(app, ["--db", db, "viz", "map", GW.process, "-o", str(out)])
    assert res.exit_code == 1 and "not a program" in res.output, res.output
    res = CliRunner().invoke(app, ["--db", db, "viz", "map", GW.process, "-o",
                                   str(tmp_path / "map.gif")])
    assert res.exit_code == 1 and ".png, .svg, .pdf" in res.output, res.output


def test_export_from_the_api_is_named_and_typed(base_url, demo_store):
    import httpx

    answer = httpx.get(f"{base_url}/api/maps/{GW.process}/export", params={"format": "svg"},
                       timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert f'filename="{GW.process}.svg"' in answer.headers["content-disposition"]
    _check_svg(answer.content, _step_names(demo_store, GW.process))
    assert httpx.get(f"{base_url}/api/maps/{GW.process}/export", params={"format": "gif"},
                     timeout=10).status_code == 422


def test_screenshot_of_the_customer_map(desktop):
    """Left in test-artifacts/ to be looked at: the map as a user opens it, and whole."""
    page = desktop
    open_map(page, GW.process)
    page.screenshot(path=str(ARTIFACTS / "map-customer.png"))
    page.click("#zoom-fit")
    page.screenshot(path=str(ARTIFACTS / "map-customer-fit.png"))
    assert Path(ARTIFACTS / "map-customer-fit.png").stat().st_size > 10_000


def test_a_server_without_chromium_answers_503_naming_the_fix(demo_store, tmp_path):
    from fastapi.testclient import TestClient

    from erm_graph.settings import Settings
    from erm_graph.web import create_app

    settings = Settings.from_env(chromium=tmp_path / "no-such-chromium")
    with TestClient(create_app(settings, store=demo_store), base_url="http://127.0.0.1") as c:
        answer = c.get(f"/api/maps/{GW.process}/export", params={"format": "pdf"})
    assert answer.status_code == 503
    assert answer.json()["error"]["kind"] == "unavailable"
    assert "ERM_CHROMIUM" in answer.json()["error"]["message"]


def test_a_phone_opens_on_the_first_step_with_the_legend_folded(browser, base_url, request):
    with watched_page(browser, base_url, request.node.name, viewport=(390, 844),
                      is_mobile=True, has_touch=True) as page:
        open_map(page, GW.process)
        assert page.locator("#map-legend").get_attribute("open") is None
        page.locator("#map-legend summary").click()  # one tap shows it
        assert page.locator("#map-legend li").first.is_visible()
        first = page.evaluate("""() => window.ermMap.data.nodes.filter(n => n.band === 'flow')
            .sort((a, b) => a.x - b.x)[0].id""")
        box = page.locator("#graph").bounding_box()
        step = page.locator(f"#graph .map-node[data-uid='{first}']").bounding_box()
        assert box["x"] <= step["x"] and step["x"] + step["width"] <= box["x"] + box["width"]
        assert box["y"] <= step["y"] and step["y"] + step["height"] <= box["y"] + box["height"]
