"""The planted web-shop cohort of :class:`erm_graph.demo.facts.RepeatBuyers`: customers whose
purchases follow a known BG/NBD and Gamma-Gamma process, so the forecast of ``erm clv`` can be
checked on a hold-out period whose future the generator made.

The cohort is its own part, drawn from its own stream whatever the demo's seed (like every
planted fact, it is the same for every size and seed): the bulk never touches its customers
and its draws never shift the bulk's. Its purchases are WITH random sales employees (never the
account owner alone), so it adds no key-person risk.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from erm_graph.demo import facts, library, timeline
from erm_graph.demo.roster import Roster
from erm_graph.ingest import GraphBatch

RB = facts.REPEAT_BUYERS
#: the model's time unit, a month, in days
MONTH_DAYS = 30.4375
_START = date.fromisoformat(facts.PERIOD_START)
_END = date.fromisoformat(facts.PERIOD_END)
_PRODUCTS = library.PRODUCT_UIDS


def customer_uid(n: int) -> str:
    """The uid of cohort customer ``n`` (from 0)."""
    return f"cust-c{n + 1:05d}"


def purchase_days(rng: Random, first: date) -> list[date]:
    """One customer's purchase days from its first (BG/NBD, time in months), to the period's
    end."""
    rate = rng.gammavariate(RB.r, 1.0 / RB.alpha)  # purchases a month while active
    drop = rng.betavariate(RB.a, RB.b)
    days, t = [first], 0.0
    horizon = (_END - first).days / MONTH_DAYS
    while True:
        t += rng.expovariate(rate)
        if t >= horizon:
            return days
        days.append(first + timedelta(days=int(t * MONTH_DAYS)))
        if rng.random() < drop:
            return days


def build(roster: Roster, source: str, seed: int) -> GraphBatch:
    """The cohort's customers, their account owners and their purchases."""
    rng = Random("repeat-buyers")
    sales = roster.account_owners["Customer"]
    b = GraphBatch()
    first_days = (date(2025, 12, 31) - _START).days + 1
    k = 0
    for n in range(RB.customers):
        uid = customer_uid(n)
        owner = sales[rng.randrange(len(sales))]
        b.add_node("Customer", {"uid": uid, "name": f"Web shop customer {n + 1:03d}",
                                "segment": RB.segment, "industry": "retail",
                                "country": rng.choice(("DE", "AT", "NL", "FR", "DK")),
                                "tier": 3, "since": "2025-01-01", "source": source})
        b.add_relationship("MANAGES", "Employee", owner, "Customer", uid)
        spend_scale = rng.gammavariate(RB.spend_q, 1.0 / RB.spend_gamma)  # nu
        first = _START + timedelta(days=rng.randrange(first_days))
        for day in purchase_days(rng, first):
            k += 1
            iuid = f"int-c{k:06d}"
            at = day.isoformat() + timeline.clock(rng)
            amount = round(rng.gammavariate(RB.spend_p, 1.0 / spend_scale), 2)
            b.add_node("Interaction", {"uid": iuid, "name": f"purchase {at[:10]}",
                                       "kind": "purchase", "at": at, "channel": "web",
                                       "inbound": True, "amount": amount,
                                       "sentiment": round(rng.uniform(0.2, 0.9), 2),
                                       "source": source})
            b.add_relationship("HAD", "Customer", uid, "Interaction", iuid)
            others = [e for e in sales if e != owner]
            b.add_relationship("WITH", "Interaction", iuid, "Employee",
                               others[rng.randrange(len(others))])
            b.add_relationship("AT_STEP", "Interaction", iuid, "Step", "step-cr-purchase")
            b.add_relationship("ABOUT", "Interaction", iuid, "Product",
                               _PRODUCTS[rng.randrange(len(_PRODUCTS))])
    return b
