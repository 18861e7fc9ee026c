"""A loader process for the crash tests: imports ROWS interactions, their HAD relationships
(with a property: written by Cypher) and their WITH relationships (bare: written by the
embedded engine's bulk protocol) in batches, printing ``ACK nodes|rels|with <rows so far>``
after each acknowledged batch.

With ``--step`` it waits for a line on stdin after each ACK, so that the test, not the speed of
the machine, decides at which batch it strikes (a fast loader could otherwise finish before
the test has read the ACK it wanted to act on)."""

from __future__ import annotations

import faulthandler
import sys

from erm_graph.store import open_store, upsert

ROWS = 20_000
BATCH = 5_000
# new bare relationships are created in chunks of BARE_CHUNK, one atomic bulk write each:
# chunks of BATCH give the test a chunk boundary to strike at
upsert.BARE_CHUNK = BATCH
CUSTOMERS = 300
EMPLOYEES = 10


def interactions() -> list[dict]:
    return [{"uid": f"int-{n:06d}", "kind": "call", "at": f"2026-01-{1 + n % 28:02d}T10:00:00",
             "amount": float(n % 97), "batch": n // BATCH, "name": f"call {n}"}
            for n in range(ROWS)]


def had() -> list[dict]:
    return [{"start": f"cust-{n % CUSTOMERS:04d}", "end": f"int-{n:06d}", "batch": n // BATCH}
            for n in range(ROWS)]


def with_employees() -> list[dict]:
    return [{"start": f"int-{n:06d}", "end": f"emp-{n % EMPLOYEES:02d}"} for n in range(ROWS)]


def employees() -> list[dict]:
    return [{"uid": f"emp-{n:02d}", "name": f"Employee {n}"} for n in range(EMPLOYEES)]


def customers() -> list[dict]:
    return [{"uid": f"cust-{n:04d}", "name": f"Customer {n}"} for n in range(CUSTOMERS)]


def main(url: str, step: bool = False) -> None:
    # a loader still running after 45 s prints every thread's stack to stderr (the crash test
    # waits 60 s for it and shows that stack if it hangs), then goes on
    faulthandler.dump_traceback_later(45, exit=False)
    store = open_store(url)
    store.ensure_schema()
    store.upsert_nodes("Customer", customers())
    store.upsert_nodes("Employee", employees())
    done = 0

    def ack(kind: str):
        def progress(n: int) -> None:
            nonlocal done
            done += n
            print(f"ACK {kind} {done}", flush=True)
            if step:
                sys.stdin.readline()
        return progress

    made = store.upsert_nodes("Interaction", interactions(), progress=ack("nodes"))
    done = 0
    store.upsert_relationships("HAD", "Customer", "Interaction", had(), progress=ack("rels"))
    done = 0
    store.upsert_relationships("WITH", "Interaction", "Employee", with_employees(),
                               progress=ack("with"), new_nodes={"Interaction": made.created_ids})
    print("DONE", flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], step="--step" in sys.argv[2:])
