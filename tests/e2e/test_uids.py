"""A loaded map whose uid holds `/` (and a hostile one) is reachable from the home page, in
headless Chromium against `erm serve` on a store loaded from the corpus."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from erm_graph import load
from erm_graph.store import open_store
from tests.e2e.conftest import ARTIFACTS, free_port, start_server, stop_server, watched_page

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ORDER = "camunda-order/Process_Order"
ODD_PROCESS = "odd maps/50% done #1?"
ODD_STEP = "odd maps/step ?a=1&b=2#frag ünï"


@pytest.fixture(scope="module")
def corpus_url(tmp_path_factory):
    location = tmp_path_factory.mktemp("uids-e2e") / "db"
    store = open_store(f"embedded:{location}")
    load(store, CORPUS / "camunda_order.bpmn")
    store.upsert_nodes("Process", [{"uid": ODD_PROCESS, "name": "Odd map"}])
    store.upsert_nodes("Step", [{"uid": ODD_STEP, "name": "Odd step"}])
    store.run("MATCH (p:Process {uid: $p}), (s:Step {uid: $s}) CREATE (p)-[:HAS_STEP]->(s)",
              {"p": ODD_PROCESS, "s": ODD_STEP}, read_only=False)
    store.close()
    port = free_port()
    proc = start_server(f"embedded:{location}", port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture
def corpus_page(browser, corpus_url, request):
    with watched_page(browser, corpus_url, request.node.name, http_errors=True,
                      viewport=(1400, 800)) as pg:
        yield pg
        pg.goto("/")
        pg.screenshot(path=str(ARTIFACTS / "uids_home.png"))


def open_map_from_home(page, name: str) -> None:
    page.goto("/")
    page.locator("#maps").get_by_role("link", name=name, exact=True).click()
    page.wait_for_function("() => document.body.dataset.ready === '1'")


@pytest.mark.parametrize(("name", "uid", "step"), [
    ("Order to cash", ORDER, f"{ORDER}/Task_Check"),
    ("Odd map", ODD_PROCESS, ODD_STEP),
], ids=["slash", "hostile"])
def test_a_loaded_map_opens_from_the_home_page(corpus_page, name, uid, step):
    page = corpus_page
    open_map_from_home(page, name)
    assert unquote(urlsplit(page.url).path) == f"/map/{uid}"
    ids = page.evaluate("window.ermMap.data.nodes.map(n => n.id)")
    assert uid in ids and step in ids
    # the drawn step, found by its uid whatever characters it holds
    page.evaluate("""([uid]) => [...document.querySelectorAll('#graph .map-node')]
        .find((g) => g.dataset.uid === uid)
        .dispatchEvent(new MouseEvent('click', {bubbles: true}))""", [step])
    page.wait_for_selector("#detail h2")
    assert step in page.inner_text("#detail")

    # the shared URL (with the selection) rebuilds the same view
    shared = page.url
    page.goto(shared)
    page.wait_for_selector("#detail h2")
    assert step in page.inner_text("#detail")

    page.screenshot(path=str(ARTIFACTS / f"uids_map_{name.replace(' ', '_')}.png"))
    # and the explorer opens around the process
    page.get_by_role("link", name="open in explorer").click()
    page.wait_for_function("() => document.body.dataset.loaded === '1'")
    assert uid in page.evaluate("window.ermExplorer.nodes.getIds()")
    assert step in page.evaluate("window.ermExplorer.nodes.getIds()")
