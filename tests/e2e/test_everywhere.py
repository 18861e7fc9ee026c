"""Every page for everyone, everywhere: WCAG 2.1 AA by axe-core as each role, a phone's and a
tablet's width, dark mode, print, keyboard only. Headless Chromium against `erm serve` with the
demo loaded; the page fixture fails any test on a console error or an off-site request."""

from __future__ import annotations

import pytest

from erm_graph.demo import facts
from tests.e2e import a11y
from tests.e2e.conftest import ARTIFACTS, served_with_users, watched_page

KP, GW = facts.KEY_PERSON, facts.GATEWAY
PHONE, TABLET, DESKTOP = (390, 844), (820, 1180), (1400, 1000)
PASSWORD = "a long test password"

#: Each page, and what shows it is drawn (axe checks it after that).
PAGES = {
    "home": ("/", "#maps"),
    "map": (f"/map/{GW.process}", "body[data-ready='1']"),
    "map edit": (f"/map/{GW.process}?edit=1", "#edit-panel #edit-form"),
    "explorer": (f"/explore?focus={KP.customer}", "body[data-loaded='1']"),
    "queries": (f"/queries?name=customer-360&uid={KP.customer}",
                "main.queries[data-done='1']"),
    "query library": ("/queries", "main.queries"),
    "console": ("/console?q=MATCH%20(c:Customer)%20RETURN%20c.name%20LIMIT%205",
                "main.console[data-done='1']"),
    "governance": ("/governance", "#unowned"),
    "dashboard": ("/dashboard/relationship-officer", "main.dashboard[data-done='1']"),
    "account": (f"/account/{KP.customer}", "body[data-ready='1']"),
    "audit": ("/audit", "main"),
    "inbox": ("/inbox", "main.inbox"),
    "calendar": ("/calendar?who=emp-0008&view=week&day=2026-10-29", "main.calendar"),
    "maturity": ("/maturity", "#radar[data-ready='1']"),
    "targets": ("/targets", "main.targets"),
    "sales": ("/sales?period=2026-Q3", "main.sales"),
    "saved views": ("/views", "main.saved-views"),
    "knowledge base": ("/kb", "main.kb[data-done='1']"),
    "api-docs": ("/api/docs", ".opblock"),
    "new record": ("/new/Case", "#record-fields .field"),
    "edit record": (f"/edit/{KP.customer}", "#record-rels table"),
}
#: The pages each role reaches from the nav (the login page is checked signed out).
ROLE_PAGES = {
    "viewer": ["home", "map", "explorer", "query library", "saved views"],
    "analyst": ["home", "queries", "console"],
    "editor": ["home", "map", "map edit", "governance", "new record", "edit record"],
    "admin": ["home", "audit"],
}


def open_page(page, name: str) -> None:
    url, ready = PAGES[name]
    page.goto(url)
    page.locator(ready).first.wait_for(state="attached")


def assert_accessible(page, where: str) -> None:
    found = a11y.violations(page)
    assert not found, f"{where}: " + "\n".join(found)


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_passes_axe(page, name):
    open_page(page, name)
    assert_accessible(page, name)


@pytest.fixture(scope="module")
def with_users(demo_store, tmp_path_factory):
    """A second server on the demo with a user per role, so pages are seen as each role
    sees them (and the login page is shown at all)."""
    with served_with_users(f"embedded:{demo_store.location}",
                           tmp_path_factory.mktemp("a11y-users") / "users.db",
                           {role: role for role in ROLE_PAGES}, PASSWORD) as base_url:
        yield base_url


def log_in(page, role: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#maps").wait_for()


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_each_role_sees_accessible_pages(browser, with_users, role, request):
    with watched_page(browser, with_users, request.node.name) as page:
        page.goto("/login")
        assert_accessible(page, "login")
        log_in(page, role)
        for name in ROLE_PAGES[role]:
            open_page(page, name)
            assert_accessible(page, f"{name} as {role}")


def no_sideways_scroll(page, width: int) -> None:
    """Nothing wider than the screen. Compared with the screen's own width too: a mobile
    browser widens its layout viewport (``innerWidth``) to fit content that overflows."""
    scroll, inner = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
    assert scroll <= inner <= width, f"the page is {scroll} px wide on a {width} px screen"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [PHONE, TABLET, DESKTOP], ids=["phone", "tablet", "desktop"])
@pytest.mark.parametrize("name", ["home", "map", "explorer", "console"])
def test_layout_fits_the_screen(browser, base_url, name, size, scheme, request):
    """No page-level sideways scroll at a phone's, a tablet's or a desktop's width, in either
    theme; the full page is left in test-artifacts/ to be looked at."""
    phone = size == PHONE
    with watched_page(browser, base_url, request.node.name, viewport=size, color_scheme=scheme,
                      is_mobile=phone, has_touch=phone) as page:
        open_page(page, name)
        no_sideways_scroll(page, size[0])
        if name == "home":
            assert page.get_by_role("button", name="Explore").is_visible()
            box = page.get_by_role("button", name="Explore").bounding_box()
            assert box["x"] + box["width"] <= size[0], "the search button is cut off"
        if name == "explorer":
            assert page.get_by_role("button", name="Search", exact=True).is_visible()
        # the screen as the user sees it first, then the whole page (a full-page capture
        # stretches the viewport, so the canvases redraw at another size in it)
        shot = ARTIFACTS / f"everywhere-{name}-{size[0]}-{scheme}"
        page.screenshot(path=f"{shot}.png")
        page.screenshot(path=f"{shot}-full.png", full_page=True)


def test_the_maps_steps_read_as_a_list(page, demo_store):
    """Below the map, its steps in flow order with performers, documents, parties and owner:
    what a screen reader follows instead of the picture."""
    open_page(page, "map")
    items = page.locator("#steps > li")
    uids = [items.nth(i).get_attribute("data-uid") for i in range(items.count())]
    assert sorted(uids) == sorted(GW.steps)
    for start, end in demo_store.run(
            "MATCH (a:Step)-[:NEXT]->(b:Step) WHERE a.uid IN $uids RETURN a.uid, b.uid",
            {"uids": list(GW.steps)}).rows:
        assert uids.index(start) < uids.index(end), f"{start} is listed after {end}"

    step = "step-cr-consultation"
    item = page.locator(f"#steps > li[data-uid='{step}']")
    text = item.inner_text()
    performers = demo_store.run("MATCH (p)-[:PERFORMS]->(:Step {uid: $uid}) RETURN p.name",
                                {"uid": step}).rows
    assert any(name in text for (name,) in performers), text
    (owner,), = demo_store.run("MATCH (e)-[:RESPONSIBLE_FOR]->(:Step {uid: $uid}) "
                               "RETURN e.name", {"uid": step}).rows
    assert item.locator("dt", has_text="Owner").count() == 1 and owner in text
    assert "Documents" in text and "Parties" in text


def test_keyboard_only_opens_a_map_and_a_step(page):
    """Skip link, then Tab to the first map in the list, then the map's step list: a step's
    details open without a mouse, and the focus follows them."""
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"

    def tab_to(test: str, most: int = 15) -> None:
        for _ in range(most):
            page.keyboard.press("Tab")
            if page.evaluate(f"(() => {{ const e = document.activeElement; return {test}; }})()"):
                return
        raise AssertionError(f"no element with {test} within {most} Tab presses")

    tab_to("e.tagName === 'A' && e.getAttribute('href').startsWith('/map/')")
    page.keyboard.press("Enter")
    page.locator("body[data-ready='1']").wait_for(state="attached")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link again
    tab_to("e.classList.contains('step')")
    name = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.locator("#detail h2", has_text=name).wait_for()
    assert page.evaluate("document.activeElement.id") == "detail"


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(browser, base_url, request):
    with watched_page(browser, base_url, request.node.name, color_scheme="dark") as page:
        page.goto("/")
        background = "getComputedStyle(document.body).backgroundColor"
        dark = page.evaluate(background)
        toggle = page.get_by_role("button", name="Dark mode")
        assert toggle.get_attribute("aria-pressed") == "true"
        toggle.click()  # to light, though the system is dark
        assert toggle.get_attribute("aria-pressed") == "false"
        light = page.evaluate(background)
        assert light == "rgb(255, 255, 255)" and dark != light
        page.goto(f"/map/{GW.process}")
        assert page.evaluate(background) == light, "the choice is remembered on the next page"
        page.get_by_role("button", name="Dark mode").click()
        # the map drawn first: reloading a page still loading aborts its requests
        page.locator("body[data-ready='1']").wait_for(state="attached")
        page.reload()
        assert page.evaluate(background) == dark
        assert_accessible(page, "map, dark")


def test_print_shows_the_content_without_the_nav(page):
    open_page(page, "map")
    assert page.locator("nav").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()
    assert page.locator("#graph").is_visible() and page.locator("#steps").is_visible()
    page.goto("/")
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible() and page.locator("#maps").is_visible()
    assert not page.get_by_role("button", name="Explore").is_visible()


def test_the_phone_nav_folds_behind_its_menu(browser, base_url, request):
    with watched_page(browser, base_url, request.node.name, viewport=PHONE, is_mobile=True,
                      has_touch=True) as page:
        page.goto("/")
        explorer = page.get_by_role("link", name="Explorer")
        menu = page.get_by_role("button", name="Menu")
        assert menu.is_visible() and not explorer.is_visible()
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true" and explorer.is_visible()
        no_sideways_scroll(page, PHONE[0])
        explorer.click()
        page.locator("body[data-loaded='1']").wait_for(state="attached")
        assert page.get_by_role("button", name="Search", exact=True).is_visible()


def test_a_map_opens_readable_on_a_phone(browser, base_url, request):
    """On a phone the map opens at a readable zoom on its first steps (the smallest text at
    least 12 px), not shrunk whole into the screen's width; the rest scrolls in its box."""
    with watched_page(browser, base_url, request.node.name, viewport=PHONE, is_mobile=True,
                      has_touch=True) as page:
        open_page(page, "map")
        assert page.evaluate("() => window.ermMap.scale()") * 13 >= 12
        no_sideways_scroll(page, PHONE[0])


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["phone", "tablet"])
@pytest.mark.parametrize("name", ["map", "explorer"])
def test_the_network_fills_its_box_on_small_screens(browser, base_url, name, size, request):
    """The drawing takes the whole box of the graph (an auto-height box would leave a canvas
    150 px high, the rest of the box blank); the map's SVG fills it or scrolls in it."""
    with watched_page(browser, base_url, request.node.name, viewport=size) as page:
        open_page(page, name)
        drawing = "svg.map-svg" if name == "map" else "canvas"
        box, drawn = page.evaluate(f"""() => [document.getElementById('graph').clientHeight,
            document.querySelector('#graph {drawing}').getBoundingClientRect().height]""")
        assert box >= 300 and drawn >= box - 2, (box, drawn)


def test_keyboard_only_finds_and_opens_a_customer_in_the_explorer(page):
    page.goto("/explore")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip link: the focus is on the page, the search comes next
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(KP.customer_name.split()[0])
    page.keyboard.press("Enter")
    page.locator("#results button").first.wait_for()
    for _ in range(page.locator("#results button").count()):
        if page.evaluate("document.activeElement.closest('li')?.dataset.uid") == KP.customer:
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"{KP.customer} is not among the results")
    page.keyboard.press("Enter")
    page.locator("#detail h2", has_text=KP.customer_name).wait_for()
    assert_accessible(page, "explorer after a search")


@pytest.mark.parametrize("name", ["queries", "console", "governance", "audit", "api-docs",
                                  "new record", "edit record", "dashboard", "account", "sales"])
def test_the_other_pages_fit_a_phone(browser, base_url, name, request):
    with watched_page(browser, base_url, request.node.name, viewport=PHONE, is_mobile=True,
                      has_touch=True) as page:
        open_page(page, name)
        no_sideways_scroll(page, PHONE[0])
