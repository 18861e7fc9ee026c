"""Marketing campaigns, each about one product and targeting a run of random customers, with
what each cost; and the planted investments in one relationship (facts.INVESTMENT)."""

from __future__ import annotations

from random import Random

from erm_graph.demo import facts, library
from erm_graph.demo.columns import PairBatch
from erm_graph.demo.roster import Roster
from erm_graph.ingest import GraphBatch

_CHANNELS = ("email", "web", "event", "print", "social")
_THEMES = ("Spring offer", "Energy week", "Partner days", "Year-end deal", "Webinar series",
           "Trade fair", "Loyalty drive", "Launch")


def build(roster: Roster, source: str, seed: int) -> GraphBatch:
    """The campaign part: ``plan.campaigns`` campaigns of ``plan.targets`` customers each."""
    plan = roster.plan
    rng = Random(f"{seed}:campaigns")
    costs = Random(f"{seed}:campaign-costs")  # its own stream: the campaigns stay as they were
    customers = roster.uids["Customer"]
    b = PairBatch()
    for k in range(plan.campaigns):
        uid = f"camp-{k + 1:04d}"
        product = rng.choice(library.PRODUCTS)
        year, month = rng.choice((2025, 2026)), rng.randrange(1, 10)
        b.add_node("Campaign", {
            "uid": uid, "name": f"{rng.choice(_THEMES)} {year}: {product[1]}",
            "channel": rng.choice(_CHANNELS), "start": f"{year}-{month:02d}-01",
            "end": f"{year}-{month + 1:02d}-28",
            "cost": float(costs.randrange(20, 400) * 100), "source": source})
        b.add_relationship("ABOUT", "Campaign", uid, "Product", product[0])
        first = rng.randrange(plan.customers)
        end = first + plan.targets  # the customers from ``first`` on, round to the start
        targets = customers[first:end] + customers[:max(0, end - plan.customers)]
        b.add_pairs("TARGETS", "Campaign", [uid] * len(targets), "Customer", targets)
    planted = facts.INVESTMENT
    for uid, kind, amount, at in planted.investments:
        b.add_node("Investment", {"uid": uid, "kind": kind, "amount": amount, "at": at,
                                  "note": f"planted: {kind} for {planted.customer}",
                                  "source": source})
        b.add_relationship("INVESTED_IN", "Investment", uid, "Customer", planted.customer)
        b.add_relationship("MADE_BY", "Investment", uid, "Employee", planted.employee)
    return b.finish()
