"""A form save's server time on the medium demo (issue 14: p95 < 100 ms).

    .venv/bin/python bench/bench_form_save.py --data-dir /tmp/erm-bench-medium --size medium

Runs `erm serve` (single local user) on the demo and times, over loopback HTTP, ``--runs``
saves of each kind a person makes: a record's form (``PATCH /api/nodes/{uid}``: a customer's
phone), a call logged from an account page (``POST /api/accounts/{uid}/interactions``) and a
case reassigned (``POST /api/cases/{uid}/assign``). Each is a read of the record, the model's
check, one write statement and the audit trail's two records; the time measured is the whole
request as the browser sees it, so the server's share is at most that. The demo is loaded
into --data-dir once and reused; the saves change it (phones, logged calls, assignees).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import ensure_demo  # noqa: E402
from conftest import free_port, start_server, stop_server  # noqa: E402

from erm_graph.store import open_store  # noqa: E402


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def timed(client: httpx.Client, method: str, path: str, body: dict) -> float:
    started = time.perf_counter()
    r = client.request(method, path, json=body)
    took = (time.perf_counter() - started) * 1000
    r.raise_for_status()
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--size", default="medium")
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    ensure_demo(args.data_dir, args.size)
    store = open_store(f"embedded:{args.data_dir}")
    try:
        customers = [u for (u,) in store.run("MATCH (c:Customer) RETURN c.uid ORDER BY c.uid "
                                             "LIMIT $n", {"n": args.runs}).rows]
        cases = [u for (u,) in store.run("MATCH (x:Case) WHERE x.status IN ['open', "
                                         "'in_progress'] RETURN x.uid ORDER BY x.uid LIMIT $n",
                                         {"n": args.runs}).rows]
        employees = [u for (u,) in store.run("MATCH (e:Employee) WHERE e.left_on IS NULL "
                                             "RETURN e.uid ORDER BY e.uid LIMIT 20").rows]
    finally:
        store.close()
    stamp = int(time.time())
    port = free_port()
    proc = start_server(f"embedded:{args.data_dir}", port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            runs = {
                "PATCH /api/nodes/{uid} (a customer's phone)": [
                    # a new value each run: a value held already is not written at all
                    ("PATCH", f"/api/nodes/{c}",
                     {"properties": {"phone": f"+1 {stamp} {i:04d}"}})
                    for i, c in enumerate(customers)],
                "POST /api/accounts/{uid}/interactions (log a call)": [
                    ("POST", f"/api/accounts/{c}/interactions",
                     {"kind": "call", "notes": "bench", "sentiment": 0.5,
                      "employee": employees[i % len(employees)]})
                    for i, c in enumerate(customers)],
                "POST /api/cases/{uid}/assign (reassign a case)": [
                    ("POST", f"/api/cases/{x}/assign",
                     {"assignee": employees[i % len(employees)]})
                    for i, x in enumerate(cases)],
            }
            for method, path, body in list(runs.values())[0][:5]:  # warm up
                timed(client, method, path, body)
            for name, calls in runs.items():
                ms = [timed(client, m, p, b) for m, p, b in calls]
                print(f"{name}: n={len(ms)} p50 {statistics.median(ms):.1f} ms, "
                      f"p95 {p95(ms):.1f} ms, max {max(ms):.1f} ms")
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
