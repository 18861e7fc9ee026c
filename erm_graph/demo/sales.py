"""Sales operations: territories and the reps who cover them, each rep's quotas for the
quarters of 2026, a few deals won in 2026-Q3 about products of every domain (so that the
shipped commission rules have rates, tiers and splits to apply), and what each campaign
generated: some responses (interactions) and an opportunity.

Random customers fall into the three regions by their number; the reserved (planted)
customers are the named accounts of the key-account territory (but the warm-path
target, whom we know through one outside person only). Everything is index
arithmetic over the plan, so the part is the same for any seed.
"""

from __future__ import annotations

from erm_graph.demo import facts
from erm_graph.demo.roster import RESERVED, Roster, party_uid
from erm_graph.ingest import GraphBatch

REGIONS = (("terr-north", "Region North"), ("terr-south", "Region South"),
           ("terr-west", "Region West"))
KEY_ACCOUNTS = ("terr-key", "Key accounts")
KEY_ACCOUNT_MANAGER = "emp-0008"
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
#: uid, name, product uids, amount, the day it was won, assignee, random customer number
WON = (
    ("opp-sales-001", "Heat pumps for the new wing", ("prod-0004",), 119_000.0, "2026-07-14",
     "emp-0008", 0),
    ("opp-sales-002", "Fleet monitoring rollout", ("prod-0013",), 48_000.0, "2026-08-03",
     "emp-0008", 1),
    ("opp-sales-003", "Trade fair presence", ("prod-0017",), 17_000.0, "2026-09-10",
     "emp-0009", 2),
    ("opp-sales-004", "Solar kits with installation", ("prod-0006", "prod-0007"), 30_000.0,
     "2026-09-22", "emp-0009", 3),
)
#: reps covering each region (the first sales reps in roster order); the others sell to the
#: accounts they own or are given, without a territory
REPS_PER_REGION = 2
#: responses (interactions) each campaign generated
RESPONSES = 3


def reps(roster: Roster) -> list[str]:
    """The sales reps: the account managers of customers, in roster order."""
    return list(roster.account_owners["Customer"])


def build(roster: Roster, source: str) -> GraphBatch:
    plan = roster.plan
    b = GraphBatch()
    sellers = reps(roster)
    for uid, name in REGIONS:
        b.add_node("Territory", {"uid": uid, "name": name, "kind": "region", "source": source})
    b.add_node("Territory", {"uid": KEY_ACCOUNTS[0], "name": KEY_ACCOUNTS[1], "kind": "named",
                             "source": source})
    for n, rep in enumerate(sellers):
        if rep == KEY_ACCOUNT_MANAGER:
            b.add_relationship("COVERS", "Employee", rep, "Territory", KEY_ACCOUNTS[0])
        elif n < REPS_PER_REGION * len(REGIONS):
            b.add_relationship("COVERS", "Employee", rep, "Territory",
                               REGIONS[n % len(REGIONS)][0])
        for q, period in enumerate(QUARTERS):
            uid = f"quota-{rep}-{period}"
            b.add_node("Quota", {"uid": uid, "name": f"{period} quota of {rep}",
                                 "period": period,
                                 "amount": float(100_000 + 25_000 * ((n + q) % 3)),
                                 "source": source})
            b.add_relationship("QUOTA_OF", "Quota", uid, "Employee", rep)
    for k in range(plan.customers):
        b.add_relationship("INCLUDES", "Territory", REGIONS[k % len(REGIONS)][0], "Customer",
                           party_uid("Customer", k))
    for k in range(RESERVED["Customer"]):
        uid = f"cust-{k + 1:06d}"
        if uid != facts.WARM_PATH.target:  # known to us through one person only
            b.add_relationship("INCLUDES", "Territory", KEY_ACCOUNTS[0], "Customer", uid)
    for uid, name, products, amount, won_on, rep, customer in WON:
        b.add_node("Opportunity", {
            # won on its close date: no stage history, which the demo's export mapping (CSV
            # cells, no lists) could not carry back
            "uid": uid, "name": name, "stage": "won", "amount": amount, "close_date": won_on,
            "source": source})
        b.add_relationship("HOLDS", "Customer", party_uid("Customer", customer),
                           "Opportunity", uid)
        for product in products:
            b.add_relationship("ABOUT", "Opportunity", uid, "Product", product)
        b.add_relationship("ASSIGNED_TO", "Opportunity", uid, "Employee", rep)
    for c in range(plan.campaigns):
        campaign = f"camp-{c + 1:04d}"
        for j in range(RESPONSES):
            g = (c * 37 + j * 11) % plan.interactions
            b.add_relationship("GENERATED", "Campaign", campaign, "Interaction",
                               f"int-{g + 1:07d}")
        if c < len(WON):
            deal = WON[c][0]
        else:
            deal = f"opp-{(c * 13) % plan.opportunities + 1:06d}"
        b.add_relationship("GENERATED", "Campaign", campaign, "Opportunity", deal)
    return b
