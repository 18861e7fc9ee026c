"""Roles in the browser, against `erm serve` over the demo with users in a security file of its
own. An R&D user sees in the nav only the pages its role may open and its own name in readable
contrast, and runs the query written for it through the queries page without any Cypher
console; every role that does not run every query (the business roles, viewer, partner) finds
listed exactly the queries its header access allows, and runs each through the form with its
defaults (the roles that run every query: tests/e2e/test_query_legs.py). Headless Chromium."""

from __future__ import annotations

import pytest

from erm_graph.auth import Users
from erm_graph.auth.roles import PERMISSIONS, ROLE_TITLES, ROLES, allowed, may_run_named
from erm_graph.demo import facts
from erm_graph.query import load_library
from tests.e2e.conftest import (
    ARTIFACTS,
    free_port,
    log_in,
    start_server,
    stop_server,
    watched_page,
)

ROLE, NAME, PASSWORD = "rnd", "rita.rand", "correct horse battery"
#: the query written for R&D, and one it may not run (its access leaves R&D out)
MEANT_FOR_IT, NOT_FOR_IT = "customer-needs", "at-risk-customers"
#: nav link -> the permission that offers it
#: the roles that run only the queries whose header's access lists them
LIMITED = [r for r in ROLES if r not in PERMISSIONS["query.named"]]
NAV = {"/": "view", "/explore": "view", "/queries": "query.list", "/console": "query.cypher",
       "/governance": "governance", "/audit": "audit.read"}


@pytest.fixture(scope="module")
def served(demo_store, tmp_path_factory):
    users_db = tmp_path_factory.mktemp("roles-e2e") / "users.db"
    users = Users.open(users_db)
    users.add(NAME, ROLE, password=PASSWORD)
    for role in LIMITED:
        users.add(f"{role}-user", role, password=PASSWORD,
                  party=facts.KEY_PERSON.customer if role == "partner" else None)
    users.close()
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ERM_USERS_DB", str(users_db))  # read by the server when it starts
        proc = start_server(f"embedded:{demo_store.location}", port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def contrast(page, selector: str) -> float:
    """WCAG contrast ratio of an element's text against its nav's background."""
    return page.evaluate("""(sel) => {
        const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => {
            const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                            : ((v + 0.055) / 1.055) ** 2.4; };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const el = document.querySelector(sel);
        const fg = lum(rgb(getComputedStyle(el).color));
        const bg = lum(rgb(getComputedStyle(el.closest('nav')).backgroundColor));
        return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    }""", selector)


def test_a_business_role_sees_its_nav_and_runs_its_query_without_the_console(browser, served):
    query = load_library().get(MEANT_FOR_IT)
    assert ROLE in query.audience and may_run_named(ROLE, query.access)
    assert not may_run_named(ROLE, load_library().get(NOT_FOR_IT).access)
    with watched_page(browser, served, "roles_rnd_queries", http_errors=True) as page:
        log_in(page, served, NAME, PASSWORD)

        links = set(page.eval_on_selector_all(
            "nav a", "els => els.map(a => a.getAttribute('href'))"))
        for link, permission in NAV.items():
            assert (link in links) == allowed(ROLE, permission), link
        assert "/console" not in links and "/queries" in links
        who = page.locator("nav .who")
        assert who.inner_text() == f"{NAME} (R&D)"
        assert contrast(page, "nav .who") >= 4.5, "the signed-in name is readable"

        page.locator("nav a[href='/queries']").click()
        page.wait_for_selector("aside.library li a")
        listed = page.locator("aside.library li a").all_inner_texts()
        assert query.title in listed
        assert load_library().get(NOT_FOR_IT).title not in listed
        page.locator("aside.library").get_by_role("link", name=query.title).click()
        page.wait_for_function(
            "() => document.querySelector('main.queries')?.dataset.done === '1'",
            timeout=60_000)
        assert page.locator(".audience").inner_text() == "For: R&D"
        rows = page.locator("#table table.grid tr").count()
        assert rows > 1, "the query meant for R&D answered on the demo"
        page.screenshot(path=str(ARTIFACTS / "roles_rnd_query.png"))

        # the console is not only hidden: the page and its API refuse the role
        assert page.request.get(f"{served}/console").status == 403
        refused = page.request.post(f"{served}/api/cypher", data={"query": "RETURN 1"},
                                    headers={"content-type": "application/json"})
        assert refused.status == 403 and "query.cypher" in refused.text()
        assert page.request.get(f"{served}/api/queries/{NOT_FOR_IT}").status == 403


def form_runs(role: str, mine: list) -> list:
    """The queries ``role`` runs through the form: each query of the library once, by the
    first role of :data:`LIMITED` that may run it, and each role at least one of its own.
    Every query as every role, with the rows compared, is the API's test
    (``tests/test_security_roles.py``); this one is that the form runs each of them."""
    earlier = LIMITED[:LIMITED.index(role)]
    first = [q for q in mine if not any(may_run_named(r, q.access) for r in earlier)]
    return first or mine[:1]


@pytest.mark.parametrize("role", LIMITED)
def test_each_role_lists_its_queries_and_runs_them_through_the_form(browser, served, role):
    library = sorted((q for q in load_library() if q.read_only), key=lambda q: q.name)
    mine = [q for q in library if may_run_named(role, q.access)]
    assert role == "partner" or mine, "every role of our staff has queries of its own"
    with watched_page(browser, served, f"roles_{role}", http_errors=True) as page:
        log_in(page, served, f"{role}-user", PASSWORD)
        links = set(page.eval_on_selector_all(
            "nav a", "els => els.map(a => a.getAttribute('href'))"))
        assert {link for link in NAV if link in links} == \
            {link for link, permission in NAV.items() if allowed(role, permission)}
        assert page.locator("nav .who").inner_text() == f"{role}-user ({ROLE_TITLES[role]})"
        page.goto("/queries")
        listed = page.locator("aside.library li a").all_inner_texts()
        assert listed == [q.title for q in mine]
        for query in form_runs(role, mine):
            page.goto(f"/queries?name={query.name}")
            page.wait_for_function(
                "() => document.querySelector('main.queries')?.dataset.done === '1'",
                timeout=60_000)
            assert page.locator("#table table.grid tr").count() > 1, query.name
