"""A seeded, deterministic demo enterprise, with facts planted for the queries to find.

>>> from erm_graph.demo import generate, expected_total
>>> parts = list(generate("small", seed=7))
>>> sum(len(p) for p in parts) == expected_total("small")
True

:func:`generate` yields the demo in parts (:class:`~erm_graph.ingest.GraphBatch`), so even the
large size is never held in memory whole; a part's relationships only point at nodes of that
part or of earlier ones. :func:`load_demo` writes them to a store. The planted facts, and which
query finds each, are in :mod:`erm_graph.demo.facts`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from random import Random

from erm_graph.demo import (
    activity,
    agenda,
    campaigns,
    facts,
    library,
    parties,
    planted,
    repeat_buyers,
    sales,
    service,
)
from erm_graph.demo.ahead import made_ahead
from erm_graph.demo.roster import Roster
from erm_graph.demo.sizes import SIZES, plan
from erm_graph.events import WriteKind, writing
from erm_graph.ingest import GraphBatch, LoadReport, write_batch
from erm_graph.ingest.gc_pause import without_gc
from erm_graph.store.base import GraphStore
from erm_graph.store.node_ids import NodeIds

__all__ = ["SIZES", "expected_total", "generate", "load_demo"]

#: Rows (nodes + relationships) per part of the random bulk, roughly.
PART_ROWS = 500_000
#: From this many nodes on, :func:`load_demo` has the parts made ahead in a process of their
#: own (:mod:`erm_graph.demo.ahead`); a smaller demo is made in a fraction of a second.
AHEAD_NODES = 100_000


def generate(size: str | int = "small", seed: int = 7) -> Iterator[GraphBatch]:
    """The demo enterprise of ``size`` (a name in :data:`SIZES` or a node count), in parts.

    The same ``size`` and ``seed`` always give the same rows in the same order. Every node
    carries ``source = "demo:<seed>"``.
    """
    counts = plan(size)
    source = f"demo:{seed}"
    roster = Roster(counts)
    yield library.build(counts.employees, source, Random(f"{seed}:library"))
    yield planted.build(counts, source, seed)
    yield repeat_buyers.build(roster, source, seed)
    yield from parties.build(roster, source, seed, PART_ROWS)
    yield from activity.build(roster, source, seed, PART_ROWS)
    yield campaigns.build(roster, source, seed)
    yield sales.build(roster, source)
    yield service.build(source)
    yield agenda.build(roster, source, seed)


def expected_total(size: str | int = "small") -> int:
    """The number of rows (nodes + relationships) :func:`generate` yields for ``size``.

    Exact, for any seed, and cheap: only the small fixed parts are built; the bulk is counted.
    """
    p = plan(size)
    fixed = (len(library.build(p.employees, "", Random(0))) + len(planted.build(p, "", 0))
             + len(service.build("")) + len(agenda.build(Roster(p), "", 0)))
    fixed += len(repeat_buyers.build(Roster(p), "", 0))
    party_count = p.customers + p.other_parties
    deals = p.opportunities + p.contracts
    party_rows = (party_count * 3  # node, MANAGES, PARTICIPATES_IN
                  + p.other_parties + p.customers // 2  # RELATES_TO
                  + 2 * p.suppliers  # SUPPLIES
                  + 2 * p.contacts  # node, WORKS_FOR
                  + 3 * deals  # node, HOLDS, ABOUT
                  + p.opportunities)  # ASSIGNED_TO
    i, k = p.interactions, p.cases
    activity_rows = (i * 5 + (i + 2) // 3 + (i + 1) // 2  # node, HAD, WITH, AT_STEP, ABOUT
                     + k * 4 + (k + 1) // 2 + k // 2  # node, RAISED, ASSIGNED_TO, ABOUT
                     + p.responses * 4 + p.feedback * 3)
    # the campaigns (node, ABOUT, TARGETS) and the planted investments (node, INVESTED_IN,
    # MADE_BY)
    campaign_rows = p.campaigns * (2 + p.targets) + 3 * len(facts.INVESTMENT.investments)
    sales_rows = len(sales.build(Roster(p), ""))  # territories, quotas, won deals
    return fixed + party_rows + activity_rows + campaign_rows + sales_rows


@without_gc
def load_demo(store: GraphStore, size: str | int = "small", seed: int = 7,
              progress: Callable[[int], None] | None = None) -> LoadReport:
    """Generate the demo and upsert it into ``store``; loading it again changes nothing.

    ``progress`` is called with the number of rows written so far in each step; the total is
    :func:`expected_total`. The demo is built from the model, so the parts are not checked
    again here (its tests check them); relationship ends that are missing come back in
    ``rejected``.
    """
    store.ensure_schema()
    with writing(WriteKind.DEMO, f"size {size}, seed {seed}", store) as event:
        report = LoadReport()
        parts = (made_ahead(generate, size, seed) if plan(size).nodes >= AHEAD_NODES
                 else generate(size, seed))
        ids: dict[str, NodeIds] = {}  # the load's nodes: its parts' ends confirmed by id
        for part in parts:
            done = write_batch(store, part, check=False, compact=False, progress=progress,
                               known_ids=ids)
            for label, counts in done.labels.items():
                report.labels[label] += counts
            for rel_type, counts in done.types.items():
                report.types[rel_type] += counts
            report.rejected += done.rejected
        store.compact()
        event.detail.update({"created": report.total("created"),
                             "updated": report.total("updated"),
                             "unchanged": report.total("unchanged")})
    return report
