"""Browser tests: `erm serve` on loopback against the demo, driven in Debian's Chromium.

Chromium comes from Debian (tests/setup.sh installs it); Playwright for Python drives it by
``executable_path``. These tests never skip: a missing browser is a failure with the fix in
its message.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("ERM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, *extra: str) -> subprocess.Popen:
    """`erm --db DB serve --port PORT` in the background, returned once it answers."""
    erm = Path(sys.executable).with_name("erm")
    cmd = [str(erm)] if erm.exists() else [sys.executable, "-c",
                                           "from erm_graph.cli import main; main()"]
    proc = subprocess.Popen([*cmd, "--db", db, "serve", "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"erm serve exited: {proc.stdout.read().decode()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/legend", timeout=1).status_code == 200:
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
                 viewport: tuple[int, int] = (1600, 900)) -> Iterator:
    """A fresh page that fails the test on any console error, page error or failed request
    (and, with ``http_errors``, any 4xx/5xx answer), leaving a screenshot in test-artifacts/."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  base_url=base_url)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
          if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    pg.on("request", lambda r: None if r.url.startswith((base_url, "data:"))
          else problems.append(f"off-site request: {r.url}"))
    if http_errors:
        pg.on("response", lambda r: problems.append(f"{r.status}: {r.url}")
              if r.status >= 400 else None)
    pg.set_default_timeout(15_000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    context.close()
    assert not problems, problems


@pytest.fixture
def page(browser, base_url, request):
    """A fresh page on the demo server (see :func:`watched_page`)."""
    with watched_page(browser, base_url, request.node.name) as pg:
        yield pg
