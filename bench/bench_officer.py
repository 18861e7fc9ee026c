"""The relationship officer's morning (issue 19's targets): account page p95 server time and
time to interactive < 1.5 s, dashboard time to first chart < 2 s, on the medium demo.

    .venv/bin/python bench/bench_officer.py --data-dir /tmp/dp/data --size medium

Signs in as an officer linked to the demo's busiest account manager, and opens each dashboard
as a user of its audience's role (a users file of its own, ``ERM_USERS_DB``, so the data
directory's users are left alone). Measures, in one run:

* server time: ``/api/accounts/UID`` as the page asks for it, over ``--rounds`` customers,
  against the same round trip to a trivial page (``/login``) and a plain engine round trip
  (``RETURN 1``) measured in the same run;
* in headless Chromium (fresh context each time, no cache): the account page's time to
  interactive (its data drawn, then two animation frames) and each dashboard's time to its
  first chart (``data-first-chart``, stamped by static/dashboard.js) and to every tile drawn,
  against the time the trivial page takes to load. A dashboard's first load ("cold") finds
  the server's kept query answers empty, as the first visit after a write does; the later
  ones reuse them.

Figures are printed with their ratio to the baseline, so a slower machine shows as a slower
baseline rather than as a regression. The demo is loaded into --data-dir once and reused.
Needs /usr/bin/chromium (tests/setup.sh).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import ensure_demo, percentile  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, stop_server  # noqa: E402

from erm_graph.auth.users import Users  # noqa: E402
from erm_graph.query.account import SECTIONS  # noqa: E402
from erm_graph.store import open_store  # noqa: E402
from erm_graph.web.dashboard_files import dashboard_files  # noqa: E402

PASSWORD = "a bench passphrase"
#: the user each dashboard is opened as: its audience's role (any other: an analyst)
DASHBOARD_ROLES = {"relationship-officer": "officer", "rnd": "rnd", "cro": "cro"}
OFFICER = "bench-officer"
#: the sections the account page asks for first (static/account.js MAIN)
FIRST = "sections=" + ",".join(n for n in SECTIONS if n not in ("similar", "cross_sell"))


def timed(call: Callable[[], object], rounds: int) -> list[float]:
    """Milliseconds of ``rounds`` calls, after one unmeasured warm-up call."""
    call()
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(times: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(times), "p95": percentile(times, 95), "n": len(times)}


def line(name: str, figures: dict[str, float], base: dict[str, float], base_name: str,
         target: float | None = None) -> str:
    verdict = "" if target is None else (" ✓" if figures["p95"] < target else
                                         f" ✗ (target {target:.0f} ms)")
    return (f"{name:<44} p50 {figures['p50']:7.1f} ms  p95 {figures['p95']:7.1f} ms  "
            f"= {figures['p95'] / base['p95']:5.1f}x {base_name}{verdict}")


def login(client: httpx.Client, user: str) -> None:
    client.get("/login")
    client.post("/login", data={"username": user, "password": PASSWORD,
                                "csrf": client.cookies.get("erm_csrf", ""), "next": "/"})


def add_users(path: Path, officer_employee: str) -> None:
    """An officer linked to ``officer_employee``, and a user of each other dashboard's role."""
    users = Users.open(path)
    try:
        for role in {*DASHBOARD_ROLES.values(), "analyst"}:
            users.add(f"bench-{role}", role, password=PASSWORD)
        users.link_employee(OFFICER, officer_employee)
    finally:
        users.close()


def browser_figures(base: str, customers: list[str], runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"trivial page": [], "account page": []}
    boards = sorted(dashboard_files(None))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cookies = {}
        for role in {*DASHBOARD_ROLES.values(), "analyst"}:
            state = browser.new_context()
            page = state.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", f"bench-{role}")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            cookies[role] = state.cookies()
            state.close()

        def fresh(role: str = "officer"):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_cookies(cookies[role])
            return context, context.new_page()

        for run in range(runs + 1):  # the first run warms the server up
            context, page = fresh()
            page.goto(f"{base}/login", wait_until="load")
            loaded = page.evaluate("() => performance.getEntriesByType('navigation')[0]"
                                   ".loadEventEnd")
            context.close()
            context, page = fresh()
            page.goto(f"{base}/account/{customers[run % len(customers)]}", wait_until="commit")
            page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=60_000)
            ready = page.evaluate("""() => new Promise(done => requestAnimationFrame(() =>
                requestAnimationFrame(() => done(performance.now()))))""")
            context.close()
            for name in boards:
                context, page = fresh(DASHBOARD_ROLES.get(name, "analyst"))
                page.goto(f"{base}/dashboard/{name}", wait_until="commit")
                page.wait_for_function("() => document.querySelector('main.dashboard')"
                                       "?.dataset.done", timeout=60_000)
                done = page.evaluate("() => performance.now()")
                page.wait_for_function("() => !document.querySelector('.chart') || document"
                                       ".querySelector('main.dashboard').dataset.firstChart",
                                       timeout=60_000)
                first = page.evaluate("() => Number(document.querySelector('main.dashboard')"
                                      ".dataset.firstChart)")
                errors = page.locator(".tile .status.warning:not(.unlinked)").all_inner_texts()
                context.close()
                if errors:
                    raise SystemExit(f"dashboard {name}: a tile failed: {errors}")
                # the first run finds the server's kept answers empty (erm_graph/query/
                # result_cache.py), as the first visit after a write does
                when = "" if run else ", cold"
                out.setdefault(f"dashboard {name}: first chart{when}", []).append(first)
                out.setdefault(f"dashboard {name}: every tile{when}", []).append(done)
            if run:
                out["trivial page"].append(loaded)
                out["account page"].append(ready)
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "dp" / "data")
    ap.add_argument("--size", default="medium")
    ap.add_argument("--rounds", type=int, default=200, help="API calls per figure")
    ap.add_argument("--runs", type=int, default=10, help="page loads per browser figure")
    args = ap.parse_args()
    ensure_demo(args.data_dir, args.size)
    store = open_store(f"embedded:{args.data_dir}")
    customers = [r[0] for r in store.run("MATCH (c:Customer) RETURN c.uid ORDER BY c.uid "
                                         "LIMIT 400").rows]
    random.Random(7).shuffle(customers)
    # the officer: the account manager with the most customers, whose tiles have the most rows
    officer = store.run("MATCH (e:Employee)-[:MANAGES]->(c:Customer) WITH e, count(c) AS n "
                        "RETURN e.uid ORDER BY n DESC, e.uid LIMIT 1").rows[0][0]
    engine = summary(timed(lambda: store.run("RETURN 1"), args.rounds))
    store.close()
    with tempfile.TemporaryDirectory(prefix="erm-bench-users-") as tmp:
        add_users(Path(tmp) / "users.db", officer)
        port = free_port()
        server = start_server(f"embedded:{args.data_dir}", port,
                              env={"ERM_USERS_DB": str(Path(tmp) / "users.db")})
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                login(client, OFFICER)
                trivial = summary(timed(lambda: client.get("/login").raise_for_status(),
                                        args.rounds))
                turn = iter(range(10**9))

                def account(query: str) -> None:
                    uid = customers[next(turn) % len(customers)]
                    client.get(f"/api/accounts/{uid}?{query}").raise_for_status()

                first = summary(timed(lambda: account(FIRST), args.rounds))
                every = summary(timed(lambda: account(""), args.rounds))
            browser = {k: summary(v) for k, v in
                       browser_figures(base, customers, args.runs).items()}
        finally:
            stop_server(server)
    print(f"{args.size} demo; baselines measured in this run: engine round trip p95 "
          f"{engine['p95']:.1f} ms, /login p95 {trivial['p95']:.1f} ms, /login loaded in "
          f"Chromium p95 {browser['trivial page']['p95']:.0f} ms")
    print(line("engine round trip (RETURN 1)", engine, engine, "engine"))
    print(line("/login (trivial page)", trivial, trivial, "/login"))
    print(line("account API, the page's first request", first, trivial, "/login", 1500))
    print(line("account API, every section", every, trivial, "/login", 1500))
    loaded = browser.pop("trivial page")
    print(line("trivial page loaded in Chromium", loaded, loaded, "trivial"))
    print(line("account page time to interactive", browser.pop("account page"), loaded,
               "trivial", 1500))
    for name, figures in browser.items():
        print(line(name, figures, loaded, "trivial", 2000 if "first chart" in name else None))


if __name__ == "__main__":
    main()
