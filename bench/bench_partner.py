"""Sharing and the partner portal, timed on a demo (issue 14: a form save p95 < 100 ms).

    .venv/bin/python bench/bench_partner.py --data-dir /tmp/erm-bench-medium --size medium

Runs `erm serve` with two users (an officer and the demo's partner, Bridgeway) and times over
loopback HTTP ``--runs`` of each: an officer sharing an open opportunity with the partner
(``POST /api/shares``), the partner updating it (``PATCH /api/nodes/{uid}``: stage, amount and
next step, through its scope), the partner's portal with every share standing
(``GET /api/portal``) and the officer revoking the share (``DELETE /api/shares``). Each time is
the whole request as the browser sees it; the server's share is at most that. The demo is
loaded into --data-dir once and reused; the runs leave the opportunities changed and unshared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_form_save import p95  # noqa: E402
from bench_web import ensure_demo  # noqa: E402
from conftest import free_port, start_server, stop_server  # noqa: E402

from erm_graph.auth import Users  # noqa: E402
from erm_graph.demo import facts  # noqa: E402
from erm_graph.store import open_store  # noqa: E402

PARTNER = facts.WARM_PATH.via


def timed(client: httpx.Client, method: str, path: str, headers: dict, **kwargs) -> float:
    started = time.perf_counter()
    r = client.request(method, path, headers=headers, **kwargs)
    took = (time.perf_counter() - started) * 1000
    r.raise_for_status()
    return took


def report(name: str, ms: list[float]) -> None:
    print(f"{name}: n={len(ms)} p50 {statistics.median(ms):.1f} ms, p95 {p95(ms):.1f} ms, "
          f"max {max(ms):.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--size", default="medium")
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    ensure_demo(args.data_dir, args.size)
    store = open_store(f"embedded:{args.data_dir}")
    try:
        deals = [u for (u,) in store.run(
            "MATCH (o:Opportunity) WHERE o.stage IN ['lead', 'qualified'] "
            "AND NOT (o)-[:SHARED_WITH]->() RETURN o.uid ORDER BY o.uid LIMIT $n",
            {"n": args.runs}).rows]
    finally:
        store.close()
    with tempfile.TemporaryDirectory(prefix="erm-bench-users-") as folder:
        users = Users.open(Path(folder) / "users.db")
        users.add("olga", "officer", password="bench password 1")
        users.add("bridgeway", "partner", password="bench password 1", party=PARTNER)
        officer = {"authorization": f"Bearer {users.new_token('olga')}"}
        partner = {"authorization": f"Bearer {users.new_token('bridgeway')}"}
        users.close()
        port = free_port()
        proc = start_server(f"embedded:{args.data_dir}", port,
                            env={"ERM_USERS_DB": str(Path(folder) / "users.db")})
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                timed(client, "GET", "/api/portal", partner)  # warm up
                report("POST /api/shares (share a deal)", [
                    timed(client, "POST", "/api/shares", officer,
                          json={"record": d, "partner": PARTNER}) for d in deals])
                report("PATCH /api/nodes/{uid} (the partner updates a shared deal)", [
                    timed(client, "PATCH", f"/api/nodes/{d}", partner, json={"properties": {
                        "stage": "proposal", "amount": 1000.0 + i,
                        "next_step": f"call back {i}"}}) for i, d in enumerate(deals)])
                report(f"GET /api/portal ({len(deals)} deals shared)", [
                    timed(client, "GET", "/api/portal", partner) for _ in range(20)])
                report("DELETE /api/shares (revoke)", [
                    timed(client, "DELETE", "/api/shares", officer,
                          params={"record": d, "partner": PARTNER}) for d in deals])
        finally:
            stop_server(proc)


if __name__ == "__main__":
    main()
