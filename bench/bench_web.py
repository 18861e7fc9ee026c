"""Benchmarks of the web explorer (issue 5): API latency, time-to-interactive in headless
Chromium, and requests/s with two workers.

    .venv/bin/python bench/bench_web.py --size medium            # everything
    .venv/bin/python bench/bench_web.py --size small --only api,map

Targets: neighbourhood API p95 < 50 ms on the medium demo; an account page interactive in
< 1.5 s; a 300-step map and a 2,000-node
explorer view interactive in < 3 s; >= 500 requests/s on customer-360 with 2 workers.
The demo is loaded into --data-dir once and reused. Needs /usr/bin/chromium (tests/setup.sh)
and, for requests/s, `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, stop_server  # noqa: E402

from erm_graph.demo import facts, load_demo  # noqa: E402
from erm_graph.query.account import SECTIONS  # noqa: E402
from erm_graph.store import GraphStore, open_store  # noqa: E402


def ensure_demo(data_dir: Path, size: str) -> None:
    store = open_store(f"embedded:{data_dir}")
    try:
        if not store.run("MATCH (c:Customer) RETURN c.uid LIMIT 1").rows:
            started = time.perf_counter()
            load_demo(store, size, seed=7)
            print(f"loaded the {size} demo in {time.perf_counter() - started:.1f} s")
    finally:
        store.close()


def plant_big_process(store: GraphStore, steps: int = 300) -> str:
    """A synthetic process of ``steps`` steps with gateways, branches, performers, documents,
    parties and owners: the shape of a real map, at scale."""
    uid = f"proc-bench-{steps}"
    store.ensure_schema()
    sid = [f"step-bench-{i:04d}" for i in range(steps)]
    store.upsert_nodes("Process", [{"uid": uid, "name": f"Bench process ({steps} steps)"}])
    store.upsert_nodes("Step", [{"uid": s, "name": f"Step {i}", "order": i,
                                 "kind": "gateway" if i % 10 == 5 else "task"}
                                for i, s in enumerate(sid)])
    store.upsert_relationships("HAS_STEP", "Process", "Step",
                               [{"start": uid, "end": s, "order": i} for i, s in enumerate(sid)])
    flows = [{"start": a, "end": b} for a, b in zip(sid, sid[1:], strict=False)]
    flows += [{"start": sid[i], "end": sid[i + 2], "label": "skip"}
              for i in range(5, steps - 2, 10)]
    store.upsert_relationships("NEXT", "Step", "Step", flows)
    depts = [f"dept-bench-{i:02d}" for i in range(10)]
    emps = [f"emp-bench-{i:04d}" for i in range(100)]
    docs = [f"doc-bench-{i:04d}" for i in range(150)]
    parties = [f"cust-bench-{i:04d}" for i in range(40)]
    store.upsert_nodes("Department", [{"uid": d, "name": f"Dept {d[-2:]}"} for d in depts])
    store.upsert_nodes("Employee", [{"uid": e, "name": f"Person {e[-4:]}"} for e in emps])
    store.upsert_nodes("Document", [{"uid": d, "name": f"Doc {d[-4:]}", "kind": "document"}
                                    for d in docs])
    store.upsert_nodes("Customer", [{"uid": p, "name": f"Customer {p[-4:]}"} for p in parties])
    store.upsert_relationships("PERFORMS", "Department", "Step",
                               [{"start": depts[i * 10 // steps], "end": s}
                                for i, s in enumerate(sid)])
    store.upsert_relationships("PERFORMS", "Employee", "Step",
                               [{"start": emps[i % 100], "end": s} for i, s in enumerate(sid)])
    store.upsert_relationships("USES", "Step", "Document",
                               [{"start": s, "end": docs[i // 2]} for i, s in enumerate(sid)])
    store.upsert_relationships("PARTICIPATES_IN", "Party", "Step",
                               [{"start": parties[i % 40], "end": s}
                                for i, s in enumerate(sid) if i % 3 == 0])
    store.upsert_relationships("RESPONSIBLE_FOR", "Employee", "Step",
                               [{"start": emps[i % 100], "end": s} for i, s in enumerate(sid)])
    return uid


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_api(base: str, uids: list[str], rounds: int) -> dict[str, object]:
    out: dict[str, object] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, path in (("neighbors", "/api/nodes/{}/neighbors?limit=50"),
                           ("neighborhood", "/api/nodes/{}/neighborhood?depth=1"),
                           ("node detail", "/api/nodes/{}")):
            client.get(path.format(uids[0])).raise_for_status()
            times = []
            for i in range(rounds):
                t = time.perf_counter()
                client.get(path.format(uids[i % len(uids)])).raise_for_status()
                times.append((time.perf_counter() - t) * 1000)
            out[name] = {"p50_ms": round(statistics.median(times), 1),
                         "p95_ms": round(percentile(times, 95), 1),
                         "p99_ms": round(percentile(times, 99), 1), "n": rounds}
    return out


def bench_account(base: str, parties: list[str], rounds: int,
                  query: str = "") -> dict[str, object]:
    """The account page's API over many parties (``query``: e.g. ``sections=...``), loopback
    round trips: what the server takes, plus a local socket."""
    times = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get(f"/api/accounts/{parties[0]}?{query}").raise_for_status()
        for i in range(rounds):
            t = time.perf_counter()
            client.get(f"/api/accounts/{parties[i % len(parties)]}?{query}").raise_for_status()
            times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 95), 1), "p99_ms": round(percentile(times, 99), 1),
            "max_ms": round(max(times), 1), "n": rounds, "parties": len(parties)}


def time_to_interactive(base: str, paths: dict[str, str]) -> dict[str, object]:
    """Navigation start until the page has its data drawn and the main thread answers."""
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in paths.items():
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(base + path, wait_until="commit")
            flag = "loaded" if path.startswith("/explore") else "ready"
            page.wait_for_function(f"() => document.body.dataset.{flag} === '1' && "
                                   "document.body.dataset.ready === '1'", timeout=60_000)
            ms = page.evaluate("""() => new Promise(done => requestAnimationFrame(() =>
                requestAnimationFrame(() => done(performance.now()))))""")
            nodes = page.evaluate("""() => window.ermExplorer ? window.ermExplorer.nodes.length
                : window.ermMap ? window.ermMap.data.nodes.length : 0""")
            out[name] = {"tti_ms": round(ms), "nodes": nodes, "errors": errors}
            shot = Path("test-artifacts")
            shot.mkdir(exist_ok=True)
            page.screenshot(path=str(shot / f"bench-{name.replace(' ', '-')}.png"))
            page.close()
        browser.close()
    return out


def requests_per_second(base: str, path: str, seconds: int) -> dict[str, object]:
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    run = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", base + path],
                         capture_output=True, text=True, check=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", run.stdout).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", run.stdout, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
    return {"requests_per_s": round(rps), "p99": p99.group(1) if p99 else None,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="medium")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="where the demo is kept between runs [default: /tmp/erm-bench-SIZE]")
    ap.add_argument("--only", default="api,account,map,explorer,rps")
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    only = set(args.only.split(","))
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / f"erm-bench-{args.size}"
    ensure_demo(data_dir, args.size)
    store = open_store(f"embedded:{data_dir}")
    customers = [r[0] for r in store.run("MATCH (c:Customer) RETURN c.uid ORDER BY c.uid "
                                         "LIMIT 200").rows]
    others = [r[0] for r in store.run("MATCH (n) WHERE n:Employee OR n:Product OR n:Step "
                                      "RETURN n.uid LIMIT 100").rows]
    parties = [r[0] for r in store.run("MATCH (p:Party) RETURN p.uid ORDER BY p.uid "
                                       "LIMIT 300").rows]
    hub = facts.KEY_PERSON.employee  # an account manager: a dense, realistic start
    store.close()
    results: dict[str, object] = {"size": args.size}
    db = f"embedded:{data_dir}"
    port = free_port()
    server = start_server(db, port)
    base = f"http://127.0.0.1:{port}"
    try:
        if "api" in only:
            uids = customers + others
            random.Random(7).shuffle(uids)
            results["api (1 worker)"] = bench_api(base, uids, args.rounds)
        if "account" in only:
            random.Random(7).shuffle(parties)
            first = "sections=" + ",".join(n for n in SECTIONS if n not in ("similar",
                                                                             "cross_sell"))
            results["account API (1 worker)"] = {
                "every section": bench_account(base, parties, args.rounds),
                "the page's first request": bench_account(base, parties, args.rounds, first),
                "similar customers and cross-sell": bench_account(
                    base, parties, args.rounds, "sections=similar,cross_sell")}
            results["account page"] = time_to_interactive(base, {
                f"account page {uid}": f"/account/{uid}"
                for uid in (facts.TOP_CUSTOMER.customer, facts.AT_RISK.customer)})
        if "explorer" in only:
            results["explorer"] = time_to_interactive(base, {
                "explorer view": f"/explore?focus={hub}&depth=4&max=2000"})
    finally:
        stop_server(server)
    if "map" in only:
        with tempfile.TemporaryDirectory(prefix="erm-bench-map-") as tmp:
            s = open_store(f"embedded:{tmp}/db")
            try:
                process = plant_big_process(s, 300)
                port = free_port()
                server = start_server(f"embedded:{tmp}/db", port)
                try:
                    results["map"] = time_to_interactive(f"http://127.0.0.1:{port}", {
                        "300-step map": f"/map/{process}"})
                finally:
                    stop_server(server)
            finally:
                s.close()
    if "rps" in only:
        port = free_port()
        server = start_server(db, port, "--workers", "2")
        try:
            # the slow named query last: its backlog in the engine would skew what follows
            base = f"http://127.0.0.1:{port}"
            results["rps (2 workers)"] = {
                "node detail (explorer's 360 panel)": requests_per_second(
                    base, f"/api/nodes/{customers[0]}", args.seconds),
                "neighbors": requests_per_second(
                    base, f"/api/nodes/{customers[0]}/neighbors", args.seconds),
                "customer-360 (named query, rows only)": requests_per_second(
                    base, f"/api/queries/customer-360?uid={customers[0]}&graph=false",
                    args.seconds)}
        finally:
            stop_server(server)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
