"""Shared fixtures: real engines only.

``--backend=embedded`` (default) runs against a FalkorDB child server in a temporary data dir;
``--backend=neo4j`` runs the same tests against the Neo4j named by ERM_TEST_NEO4J_URL (its
graph is wiped, so never point it at real data).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from erm_graph import model
from erm_graph.auth.audit import recording_to
from erm_graph.store import GraphStore, open_store

NEO4J_URL = os.environ.get("ERM_TEST_NEO4J_URL")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", default="embedded", choices=("embedded", "neo4j"),
                     help="engine the store fixtures use")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs a live Neo4j: set ERM_TEST_NEO4J_URL "
                                   "(and ERM_NEO4J_USER / ERM_NEO4J_PASSWORD)")
    for item in items:
        if "neo4j" in item.keywords and not NEO4J_URL:
            item.add_marker(skip)
        if item.path.parent.name == "e2e":  # a real browser: the slow tier
            item.add_marker(pytest.mark.slow)
    if getattr(config.option, "numprocesses", None):
        # xdist hands whole modules to workers in this order: the modules that hold slow tests
        # go first, so that no long module starts last and runs on alone at the end
        slow = {item.path for item in items if "slow" in item.keywords}
        items.sort(key=lambda item: item.path not in slow)  # stable: a module keeps its order
    rotate_fuzz_roles(items)


def rotate_fuzz_roles(items: list[pytest.Item]) -> None:
    """Orders the API fuzz (tests/test_security_api_fuzz.py, which stops at its time budget)
    in rounds: round k fuzzes operation i as role i+k. Where the budget ends the run, every
    operation has been fuzzed by as many roles as there were whole rounds, instead of the
    operations last in the spec by none."""
    places = [i for i, item in enumerate(items)
              if item.name.startswith("test_api_answers_only_what_its_spec_says[")]
    if not places:
        return
    fuzz = [items[i] for i in places]
    operations = list(dict.fromkeys(item.name.rsplit("[", 1)[0] for item in fuzz))
    roles = list(dict.fromkeys(item.callspec.params["role"] for item in fuzz))  # type: ignore[attr-defined]
    order = {op: n for n, op in enumerate(operations)}

    def turn(item: pytest.Item) -> tuple[int, int]:
        op = order[item.name.rsplit("[", 1)[0]]
        role = roles.index(item.callspec.params["role"])  # type: ignore[attr-defined]
        return (role - op) % len(roles), op

    for place, item in zip(places, sorted(fuzz, key=turn), strict=True):
        items[place] = item


@pytest.fixture(scope="session", autouse=True)
def own_data_dir(tmp_path_factory) -> Iterator[None]:
    """Each test process (each xdist worker) keeps what a test stores by default under a folder
    of its own: never the user's ~/.local/share/erm-graph, never another worker's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ERM_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        yield


@pytest.fixture(autouse=True)
def vocabulary_in_force() -> Iterator[None]:
    """A test that makes a library's extended vocabulary the process's (a CLI command in
    this process, ``create_app``, ``model.activate``) leaves the next test the one before."""
    with model.using(model.current()):
        yield


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.config.getoption("--backend") == "neo4j":
        if not NEO4J_URL:
            pytest.skip("--backend=neo4j needs ERM_TEST_NEO4J_URL")
        return NEO4J_URL
    return f"embedded:{tmp_path / 'db'}"


@pytest.fixture(scope="session")
def shared_engine_url(tmp_path_factory) -> Iterator[str]:
    """One embedded server for the whole session (per xdist worker), kept up by a store held
    open until the end: emptying the shared graph costs a fraction of starting a server per
    test (docs/testing.md)."""
    url = f"embedded:{tmp_path_factory.mktemp('engine') / 'db'}"
    holder = open_store(url)
    yield url
    holder.close()


@pytest.fixture
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path):
    """An empty graph on the chosen engine, closed afterwards.

    On the embedded engine it is the session's shared server, emptied for this test, with a
    security file (users, audit trail) of the test's own. A test gets a server of its own, at
    ``store_url`` (stopped afterwards), when it also asks for ``store_url`` (it opens the same
    data again, for example through the CLI) or is marked ``own_engine`` (it looks at or
    stops the server).
    """
    own = (request.config.getoption("--backend") == "neo4j"
           or "store_url" in request.fixturenames
           or request.node.get_closest_marker("own_engine") is not None)
    if own:
        url = request.getfixturevalue("store_url")
    else:
        url = request.getfixturevalue("shared_engine_url")
        monkeypatch.setenv("ERM_USERS_DB", str(tmp_path / "users.db"))
    s = open_store(url)
    with recording_to(tmp_path / "fixture-audit.db"):  # the fixture's write, not the test's
        s.clear()
    yield s
    s.close()




@pytest.fixture(scope="session")
def small_demo_copy(tmp_path_factory) -> Callable[[Path], GraphStore]:
    """``small_demo_copy(folder)`` opens a store of its own in ``folder`` holding the small
    demo (seed 7), for a test that writes to it: the demo is loaded once per worker into a
    closed store, and each test gets a copy of its files, a fraction of a load's time."""
    from erm_graph.demo import load_demo

    template = tmp_path_factory.mktemp("small-demo") / "db"
    s = open_store(f"embedded:{template}")
    load_demo(s, "small", seed=7)
    s.close()

    def copy(folder: Path) -> GraphStore:
        shutil.copytree(template, folder)
        return open_store(f"embedded:{folder}")

    return copy


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory, small_demo_copy):
    """The small demo enterprise (seed 7) in an embedded store, once per session.

    Shared by every test that asks for it: use it read-only. The planted facts it holds are in
    :mod:`erm_graph.demo.facts`.
    """
    s = small_demo_copy(tmp_path_factory.mktemp("demo") / "db")
    yield s
    s.close()


@pytest.fixture(scope="module")
def serve_app():
    """``serve_app(app)`` runs a web app with uvicorn on a free loopback port (real HTTP, real
    ``Host`` headers) in a thread until the module ends, and returns its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    running = []

    def start(app) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="critical"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(30)
