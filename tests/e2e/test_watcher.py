"""The page watcher every browser test relies on: it must tell the app's failed requests from
those the browser drops when a page is left (which once failed CI at random)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import watched_page

ABORTED_BY_THE_PAGE = """() => {
  const stop = new AbortController();
  const asked = fetch('/api/maps/proc-customer', {signal: stop.signal}).catch(() => 0);
  stop.abort();
  return asked;
}"""


def test_leaving_a_page_still_loading_is_not_a_failure(browser, base_url):
    for _ in range(5):
        with watched_page(browser, base_url, "watcher_leave") as page:
            page.goto("/map/proc-customer", wait_until="commit")
            page.goto("/")


def test_following_a_link_before_the_page_has_loaded_is_not_a_failure(browser, base_url):
    """A link followed from the page aborts its loads as the navigation starts, and the browser
    may tell of those aborts before it tells of the navigation (CI once failed on one)."""
    for _ in range(5):
        with watched_page(browser, base_url, "watcher_follow") as page:
            page.goto("/queries", wait_until="commit")
            page.locator("aside.library li a").first.click()
            page.wait_for_selector("main.queries h1")


def test_a_request_the_page_drops_itself_is_a_failure(browser, base_url):
    with pytest.raises(AssertionError, match="request failed: .*/api/maps/proc-customer"):
        with watched_page(browser, base_url, "watcher_abort") as page:
            page.goto("/")
            page.evaluate(ABORTED_BY_THE_PAGE)


def test_an_off_site_request_is_a_failure(browser, base_url):
    """The app's own policy refuses it first (a console error); the watcher would too."""
    with pytest.raises(AssertionError, match="https://example.com/"):
        with watched_page(browser, base_url, "watcher_off_site") as page:
            page.goto("/")
            page.evaluate("() => fetch('https://example.com/').catch(() => 0)")
