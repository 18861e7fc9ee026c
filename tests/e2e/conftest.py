"""Browser tests: `erm serve` on loopback against the demo, driven in Debian's Chromium.

Chromium comes from Debian (tests/setup.sh installs it); Playwright for Python drives it by
``executable_path``. These tests never skip: a missing browser is a failure with the fix in
its message.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = os.environ.get("ERM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: The only hosts a page may reach: the app works offline, so any other request is a defect.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, *extra: str,
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """`erm --db DB serve --port PORT` in the background, returned once it answers; ``env``
    adds to the environment (``ERM_USERS_DB`` for a server with users)."""
    erm = Path(sys.executable).with_name("erm")
    cmd = [str(erm)] if erm.exists() else [sys.executable, "-c",
                                           "from erm_graph.cli import main; main()"]
    proc = subprocess.Popen([*cmd, "--db", db, "serve", "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"erm serve exited: {proc.stdout.read().decode()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("erm serve did not answer within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def served_with_users(db: str, users_db: Path, people: dict[str, str],
                      password: str) -> Iterator[str]:
    """`erm serve` on ``db`` with a security file at ``users_db`` holding ``people`` (name ->
    role), each with ``password``; yields the base URL."""
    from erm_graph.auth import Users

    users = Users.open(users_db)
    for name, role in people.items():
        users.add(name, role, password=password)
    users.close()
    port = free_port()
    proc = start_server(db, port, env={"ERM_USERS_DB": str(users_db)})
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def base_url(demo_store):
    port = free_port()
    proc = start_server(f"embedded:{demo_store.location}", port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (f"{CHROMIUM} is missing: run `bash tests/setup.sh` "
                                     "(it installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@contextmanager
def watched_page(browser, base_url: str, name: str, *, http_errors: bool = False,
                 viewport: tuple[int, int] = (1600, 900), allow: str | None = None,
                 refusals: int = 0,
                 **context_options) -> Iterator:
    """A fresh page that fails the test on any console error, page error or failed request
    (and, with ``http_errors``, any 4xx/5xx answer), leaving a screenshot in test-artifacts/.

    Requests to any host but 127.0.0.1/localhost are stopped before they leave (and fail the
    test): the app must work offline, so a CDN or font it reaches for is a defect even when
    this machine happens to be online. ``context_options`` go to the browser context
    (``color_scheme``, ``is_mobile``, ``has_touch``, ...). ``allow``: a pattern of the
    problems a test causes on purpose (the browser logs each 4xx answer as a console error).
    ``refusals``: how many 400 answers the test provokes on purpose (a form sent bad input);
    exactly that many must come."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  base_url=base_url, **context_options)
    problems: list[str] = []

    def only_local(route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            problems.append(f"off-site request: {route.request.url}")
            route.abort("blockedbyclient")

    context.route("**/*", only_local)
    pg = context.new_page()
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
          if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # Leaving a page aborts what it was loading, and the page keeps asking until the next one
    # commits: those aborts are the browser's, not the app's. The browser aborts them as the
    # next navigation starts, and may tell of the abort before it tells of that navigation's
    # request: so an abort is judged once the page is closed, against every navigation seen.
    navigation = {"started": 0, "pending": False}
    asked: dict[object, tuple[int, bool]] = {}  # request -> (navigations started, one pending)
    aborted: list[tuple[object, int, bool]] = []  # (request, navigations started, page left)

    def request_started(request) -> None:
        if request.is_navigation_request() and request.frame == pg.main_frame:
            navigation["started"] += 1
            navigation["pending"] = True
            asked[request] = (navigation["started"], False)
        else:
            asked[request] = (navigation["started"], navigation["pending"])

    def committed(frame) -> None:
        if frame == pg.main_frame:
            navigation["pending"] = False

    def request_failed(request) -> None:
        if not is_local(request.url):  # off-site ones are counted above
            return
        if "ERR_ABORTED" not in (request.failure or ""):
            problems.append(f"request failed: {request.url} ({request.failure})")
            return
        started, page_was_left = asked.get(request, (navigation["started"], False))
        aborted.append((request, started, page_was_left or (
            navigation["pending"] and not request.is_navigation_request())))

    def aborted_by_the_app() -> list[str]:
        return [f"request failed: {request.url} ({request.failure})"
                for request, started, page_was_left in aborted
                if not (page_was_left or navigation["started"] > started)]

    pg.on("request", request_started)
    pg.on("framenavigated", committed)
    pg.on("requestfailed", request_failed)
    if http_errors:
        pg.on("response", lambda r: problems.append(f"{r.status}: {r.url}")
              if r.status >= 400 else None)
    pg.set_default_timeout(15_000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    context.close()
    problems += aborted_by_the_app()
    problems = [p for p in problems if not (allow and re.search(allow, p))]
    refused = [p for p in problems if "status of 400 (Bad Request)" in p]
    assert len(refused) == refusals, (refusals, problems)
    if refusals:  # with http_errors, each refusal is listed once more, as "400: URL"
        answered = [p for p in problems if p.startswith("400: ")][:refusals]
        refused += answered
    problems = [p for p in problems if p not in refused]
    assert not problems, problems


def log_in(page, base_url: str, name: str, password: str) -> None:
    """Sign in through the login form; back on the home page (a partner: on its portal)."""
    page.goto("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(base_url) + r"/(portal)?$"))


def nav_to(page, text: str) -> None:
    """Click the nav's link ``text`` as a user does: open the menu that holds it first.

    Returns once the new page has loaded, its scripts included: its table can be parsed before
    the script that gives the table's buttons their handlers has run, and a click in between does
    nothing (a busy CI box lost a merge test to that).
    """
    exact = re.compile(f"^{re.escape(text)}$")
    holder = page.locator("nav details.menu").filter(
        has=page.locator("a").filter(has_text=exact))
    if holder.count() and holder.get_attribute("open") is None:
        holder.locator("summary").click()
    with page.expect_navigation(wait_until="load"):
        page.locator("nav a").filter(has_text=exact).click()


@pytest.fixture
def page(browser, base_url, request):
    """A fresh page on the demo server (see :func:`watched_page`)."""
    with watched_page(browser, base_url, request.node.name) as pg:
        yield pg
