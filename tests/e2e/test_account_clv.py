"""The predicted lifetime value on the account page, in headless Chromium: the top customer's
figure with its interval and inputs, asked for once the page is drawn; a party with no
purchases says there is nothing to predict from."""

from __future__ import annotations

from erm_graph.demo import facts
from tests.e2e.conftest import ARTIFACTS, watched_page

TOP = facts.TOP_CUSTOMER


def test_the_account_shows_the_predicted_value_with_its_interval(browser, base_url):
    with watched_page(browser, base_url, "account_clv", http_errors=True,
                      viewport=(1400, 1000)) as page:
        page.goto(f"/account/{TOP.customer}")
        page.wait_for_function("() => document.body.dataset.clv === '1'", timeout=60_000)
        box = page.locator("#predicted")
        text = box.inner_text()
        assert "Predicted value, next 12 months" in text
        assert "90% interval" in text and "still buying with probability" in text
        figure = page.inner_text("#predicted-value")
        assert figure and figure[0].isdigit()
        page.screenshot(path=str(ARTIFACTS / "account_clv.png"), full_page=True)
        page.goto(f"/account/{facts.WARM_PATH.target}")
        page.wait_for_function("() => document.body.dataset.clv === '1'", timeout=60_000)
        assert "no purchases recorded" in page.inner_text("#predicted")
