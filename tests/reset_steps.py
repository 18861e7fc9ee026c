"""One step of the reset-durability tests, run as its own process (``python -m
tests.reset_steps URL STEP [--kill]``), so that the embedded server stops between steps and
restarts from its append-only file.

Steps:

``write-a`` / ``write-b``
    write a graph through every write path: node upserts (whose new property keys the
    declare step creates first), relationships with properties (Cypher), relationships
    without properties (the bulk protocol on the embedded engine), a plain Cypher CREATE and a
    Cypher SET. The two variants create different labels, types and property keys in a
    different order, so the engine's ids of one mean other names in the other. Prints the
    graph as this process reads it right after writing, as JSON.
``reset``
    ``store.clear()``, as ``erm reset`` does.
``delete``
    ``GRAPH.DELETE`` sent straight to the server, without what ``clear()`` does after it: the
    state a crash right after the delete leaves.
``read``
    print the graph as JSON.

``--kill`` kills the server with SIGKILL at the end of the step and leaves without closing
the store, as a crash would.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from erm_graph.store import GraphStore, open_store
from erm_graph.store.embedded_server import PID

STEPS = 6


def write_a(store: GraphStore) -> None:
    """Labels, types and keys the B variant never uses, created first."""
    store.ensure_schema()
    store.upsert_nodes("Contract", [{"uid": f"ct-{n}", "name": f"Contract {n}",
                                     "value": float(n)} for n in range(3)])
    store.upsert_nodes("Campaign", [{"uid": "cp-1", "name": "Spring", "channel": "mail"}])
    store.upsert_relationships("TARGETS", "Campaign", "Contract",
                               [{"start": "cp-1", "end": f"ct-{n}"} for n in range(3)])
    store.run("CREATE (:Product {uid: 'pr-1', zeta: 1, omega: 'x'})", read_only=False)


def write_b(store: GraphStore) -> None:
    """A small relationship map through every write path."""
    store.ensure_schema()
    store.upsert_nodes("Step", [{"uid": f"s-{n}", "name": f"Step {n}", "kind": "task"}
                                for n in range(STEPS)])
    store.upsert_nodes("Document", [{"uid": "doc-1", "name": "Packing slip"}])
    # with a property: written by Cypher
    store.upsert_relationships("NEXT", "Step", "Step",
                               [{"start": f"s-{n}", "end": f"s-{n + 1}", "label": f"then {n}"}
                                for n in range(STEPS - 1)])
    # without properties: the bulk protocol on the embedded engine
    store.upsert_relationships("USES", "Step", "Document",
                               [{"start": f"s-{n}", "end": "doc-1"} for n in range(STEPS)])
    store.run("CREATE (:Department {uid: 'dept-1', name: 'Sales', floor: 3})", read_only=False)
    store.run("MATCH (s:Step {uid: 's-0'}) SET s.reviewed_by = 'Ann', s.score = 4",
              read_only=False)


def snapshot(store: GraphStore) -> dict[str, Any]:
    """The graph by the names the engine gives (``labels``, ``type``, ``properties``) and by
    the names this client gives the nodes and relationships it is sent (its schema cache)."""
    nodes = store.run("MATCH (n) RETURN n.uid, labels(n), properties(n), n "
                      "ORDER BY n.uid").rows
    rels = store.run("MATCH (a)-[r]->(b) RETURN a.uid, type(r), b.uid, properties(r), r "
                     "ORDER BY a.uid, type(r), b.uid").rows
    as_sent = [[uid, sorted(node.pop("_labels")), {k: v for k, v in node.items()
                                                   if not k.startswith("_")}]
               for uid, _, _, node in nodes]
    rels_sent = [[a, rel["_type"], b, {k: v for k, v in rel.items() if not k.startswith("_")}]
                 for a, _, b, _, rel in rels]
    return {"nodes": [[uid, sorted(labels), props] for uid, labels, props, _ in nodes],
            "relationships": [row[:4] for row in rels],
            "nodes_as_sent": as_sent, "relationships_as_sent": rels_sent}


def main(url: str, step: str, kill: bool) -> None:
    store = open_store(url)
    if step == "write-a":
        write_a(store)
    elif step == "write-b":
        write_b(store)
    elif step == "reset":
        store.clear()
    elif step == "delete":
        store._db.connection.execute_command("GRAPH.DELETE", store._graph_name)
    print(json.dumps(snapshot(store) if step != "delete" else {}), flush=True)
    if kill:
        server_pid = int((store._server.data_dir / PID).read_text())
        os.kill(server_pid, signal.SIGKILL)
        os._exit(0)  # no close, no atexit: as if this process had crashed too
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--kill" in sys.argv[3:])
