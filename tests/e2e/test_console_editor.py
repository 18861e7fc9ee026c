"""The analysts' console in Chromium, driven by the keyboard alone (issue 19 item 8): completion
of a label and of its properties from the model, Ctrl+Enter, the history recalled with a key,
a syntax error marked at its line and column, a refused write in words for the role, and
Cancel stopping a long query in the engine so that the next answers at once.

The server here has an engine of its own (the small demo, loaded for this module): stopping a
query restarts the embedded engine, which the session's shared demo server must not see."""

from __future__ import annotations

import re
import time

import pytest

from erm_graph.auth.db import connect
from erm_graph.auth.users import Users
from erm_graph.demo import load_demo
from erm_graph.store import open_store
from tests.e2e import a11y
from tests.e2e.conftest import ARTIFACTS, free_port, start_server, stop_server, watched_page

PASSWORD = "a long test password"
#: keeps one engine thread busy for minutes (far past the test's patience, under the timeout)
LONG = ("UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b UNWIND range(1, 1000) AS c "
        "RETURN count(*)")


@pytest.fixture(scope="module")
def console_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console")
    store = open_store(f"embedded:{folder / 'db'}")
    load_demo(store, "small", seed=7)
    store.close()
    users_db = folder / "users.db"
    users = Users(connect(users_db), users_db)
    for role in ("analyst", "editor"):
        users.add(role, role, password=PASSWORD)
    users.close()
    port = free_port()
    proc = start_server(f"embedded:{folder / 'db'}", port,
                        env={"ERM_USERS_DB": str(users_db), "ERM_QUERY_TIMEOUT": "300"})
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def open_console(page, role: str = "analyst"):
    page.goto("/login")
    page.get_by_label("User name").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#maps").wait_for()
    page.goto("/console")
    page.locator("main.console[data-vocabulary='1']").wait_for(state="attached")
    editor = page.get_by_label("Cypher query")
    editor.focus()  # where a keyboard user lands from the label; everything after is keys
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    return editor


def editor_text(page) -> str:
    return page.evaluate("() => document.querySelector('.CodeMirror').CodeMirror.getValue()")


def accept_hint(page, typed: str, made: str) -> None:
    """Press Enter on the completion list once it is the list of ``typed`` (every item begins
    with it, one highlighted), then wait until the editor holds ``made``. The list of a key
    typed before is replaced a frame later: an Enter in between went to no list, and the
    completion was lost (a clean-clone CI run left "c.seg" in the editor)."""
    page.wait_for_function(
        """(typed) => {
            const items = [...document.querySelectorAll('.CodeMirror-hint')];
            return items.length > 0 && document.querySelector('.CodeMirror-hint-active') !== null
                && items.every((item) => item.textContent.toLowerCase().startsWith(typed));
        }""", arg=typed.lower())
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(made) => document.querySelector('.CodeMirror').CodeMirror.getValue().includes(made)",
        arg=made)


def run_and_wait(page, state: str) -> None:
    page.keyboard.press("Control+Enter")
    page.locator(f"main.console[data-state='{state}']").wait_for(state="attached")


def test_completion_ctrl_enter_and_history_by_keys(browser, console_url, request):
    with watched_page(browser, console_url, request.node.name, viewport=(1400, 1000)) as page:
        open_console(page)
        page.keyboard.type("MATCH (c:Cust")
        hint = page.locator(".CodeMirror-hint", has_text="Customer")
        hint.first.wait_for()
        assert "label" in hint.first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-completion.png"))
        accept_hint(page, "Cust", "c:Customer")  # Enter accepts the highlighted label
        page.keyboard.type(") RETURN c.seg")
        accept_hint(page, "seg", "c.segment")
        page.keyboard.type(" AS segment, count(*) AS n ORDER BY n DESC LIMIT 3")
        assert editor_text(page) == ("MATCH (c:Customer) RETURN c.segment AS segment, "
                                     "count(*) AS n ORDER BY n DESC LIMIT 3")
        page.screenshot(path=str(ARTIFACTS / "console-typed.png"))
        run_and_wait(page, "done")
        table = page.locator("#table table")
        assert table.locator("tbody tr").count() == 3
        assert "segment" in table.locator("thead").inner_text()
        assert re.match(r"3 row\(s\) in \d+ ms", page.locator("#status").inner_text())
        assert page.locator("#table .warning", has_text="integer-sum").count() == 0

        page.keyboard.press("Control+a")
        page.keyboard.type("MATCH (e:Employee) RETURN e.name LIMIT 2")
        run_and_wait(page, "done")
        page.keyboard.press("Control+a")
        page.keyboard.type("RETURN 'a draft'")
        page.keyboard.press("Control+ArrowUp")
        assert editor_text(page) == "MATCH (e:Employee) RETURN e.name LIMIT 2"
        page.keyboard.press("Control+ArrowUp")
        assert editor_text(page).startswith("MATCH (c:Customer) RETURN c.segment")
        page.keyboard.press("Control+ArrowDown")
        page.keyboard.press("Control+ArrowDown")
        assert editor_text(page) == "RETURN 'a draft'"  # back to what was being written
        kept = page.evaluate("() => Object.keys(localStorage)")
        assert "erm-console-history:analyst" in kept  # per user, in this browser


def test_engine_caveats_are_shown_with_the_result_in_dark_mode(browser, console_url, request):
    with watched_page(browser, console_url, request.node.name, color_scheme="dark") as page:
        open_console(page)
        page.keyboard.type("MATCH (c:Customer) WHERE c.segment = 'enterprise' RETURN sum(1) AS n")
        run_and_wait(page, "done")
        assert page.locator("#table .warning", has_text="integer-sum").is_visible()
        found = a11y.violations(page)  # the editor's highlighting keeps its contrast in dark
        assert not found, "\n".join(found)


@pytest.fixture
def refused_answers():
    """The 4xx answers these tests ask for on purpose (the page shows them; the browser logs
    each as a failed resource)."""
    return r"status of (400|403|409)"


def test_a_syntax_error_is_marked_at_its_line_and_column(browser, console_url, request,
                                                         refused_answers):
    with watched_page(browser, console_url, request.node.name, viewport=(1400, 1000),
                      allow=refused_answers) as page:
        open_console(page)
        page.keyboard.type("MATCH (c:Customer)")
        page.keyboard.press("Escape")  # no completion list open on the next line
        page.keyboard.press("Enter")
        page.keyboard.type("RETRUN c.name")
        run_and_wait(page, "error")
        mark = page.locator(".cm-query-error")
        assert mark.get_attribute("data-line") == "2" and mark.get_attribute("data-column") == "4"
        assert mark.inner_text() == "RUN"  # the engine reads "RET" as the start of a word
        message = page.locator("#query-error").inner_text()
        assert "syntax is wrong" in message and "line 2, column 4" in message
        assert "errCtx" not in message
        assert page.locator(".CodeMirror-hints").count() == 0  # Ctrl+Enter closed the list
        found = a11y.violations(page)
        assert not found, "\n".join(found)
        page.screenshot(path=str(ARTIFACTS / "console-error-marker.png"))
        page.keyboard.press("End")
        page.keyboard.type(" ")  # any change clears the mark
        assert page.locator(".cm-query-error").count() == 0


def test_a_write_is_refused_in_words_for_the_role(browser, console_url, request,
                                                  refused_answers):
    with watched_page(browser, console_url, request.node.name,
                      allow=refused_answers) as page:
        open_console(page, "analyst")
        page.keyboard.type("MATCH (c:Customer) WITH c LIMIT 1 SET c.segment = 'x'")
        run_and_wait(page, "error")
        message = page.locator("#query-error").inner_text()
        assert "This console only reads the graph" in message
        assert "Nothing was changed" in message and "Analyst role reads the graph only" in message
        assert "SET at line 1, column 35" in message
        for raw in ("Traceback", "RO_QUERY", "--write", "read_only=False", "errMsg"):
            assert raw not in message
        assert page.locator(".cm-query-error").get_attribute("data-column") == "35"


def test_cancel_stops_a_long_query_and_the_next_answers_at_once(browser, console_url, request,
                                                                refused_answers):
    with watched_page(browser, console_url, request.node.name,
                      allow=refused_answers) as page:
        open_console(page)
        page.keyboard.type(LONG)
        page.keyboard.press("Control+Enter")
        page.locator("main.console[data-state='running']").wait_for(state="attached")
        time.sleep(1)  # in the engine by now
        cancel = page.get_by_role("button", name="Cancel")
        assert cancel.is_enabled()
        started = time.monotonic()
        page.keyboard.press("Escape")  # the editor's key for Cancel
        page.locator("main.console[data-state='cancelled']").wait_for(state="attached",
                                                                     timeout=10_000)
        assert time.monotonic() - started < 5
        assert page.locator("#status").inner_text().startswith("stopped after")
        assert not cancel.is_enabled()
        page.keyboard.press("Control+a")
        page.keyboard.type("MATCH (c:Customer) RETURN count(c) AS customers")
        started = time.monotonic()
        run_and_wait(page, "done")
        assert time.monotonic() - started < 3, "the engine was still busy with the stopped query"
        assert page.locator("#table tbody tr").count() == 1
