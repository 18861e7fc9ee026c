"""The random outside world: parties of all five kinds, their contacts, ties, deals and supply.

Customers come first, then the other kinds, then contacts, opportunities and contracts, so
every relationship points at a party written in the same part or an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

from erm_graph.demo import facts, library, names
from erm_graph.demo.columns import PairBatch
from erm_graph.demo.roster import OTHER_KINDS, Roster
from erm_graph.ingest import GraphBatch

#: What a party of each kind is to the customer it relates to, and its role in its steps.
TIE = {"Supplier": "supplies", "Partner": "partners", "Financier": "finances",
       "Government": "regulates"}
ROLE = {"Customer": "customer", "Supplier": "supplier", "Partner": "partner",
        "Financier": "lender", "Government": "regulator"}
#: What the random suppliers supply: everything but the planted single-supplier items.
SUPPLIED = tuple(
    uid for uid in (*library.PRODUCT_UIDS, *library.MATERIALS)
    if uid not in (facts.SUPPLIER_DEPENDENCY.product, facts.SUPPLIER_DEPENDENCY.material))
TITLES = ("Purchasing Manager", "CEO", "CTO", "Operations Lead", "Facility Manager",
          "Account Executive", "Head of IT", "Controller", "Project Manager", "Analyst")
STAGES = ("lead", "qualified", "proposal", "won", "lost")


def since(rng: Random) -> str:
    return f"{rng.randrange(2008, 2025)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def party_row(rng: Random, uid: str, kind: str, source: str) -> dict:
    row = {"uid": uid, "name": names.company(rng),
           "industry": rng.choice(names.INDUSTRIES), "country": rng.choice(names.COUNTRIES),
           "tier": rng.choice((1, 2, 2, 3, 3, 3)), "since": since(rng), "source": source}
    if kind == "Customer":
        row["segment"] = rng.choice(names.SEGMENTS)
    elif kind == "Government":
        row["segment"] = "public"
    return row


def build(roster: Roster, source: str, seed: int, part_rows: int) -> Iterator[GraphBatch]:
    """Parts holding the random parties and what hangs off them, about ``part_rows`` each."""
    plan = roster.plan
    rng = Random(f"{seed}:parties")
    customers = roster.uids["Customer"]
    b = PairBatch()
    units = [("Customer", k) for k in range(plan.customers)]
    units += [(kind, k) for kind in OTHER_KINDS for k in range(roster.counts[kind])]
    for n, (kind, k) in enumerate(units):
        uid = roster.uids[kind][k]
        b.add_node(kind, party_row(rng, uid, kind, source))
        b.add_relationship("MANAGES", "Employee", roster.account_owner(kind, k), kind, uid)
        steps = library.PARTY_STEPS[kind]
        b.add_relationship("PARTICIPATES_IN", kind, uid, "Step", steps[k % len(steps)],
                           role=ROLE[kind])
        if kind != "Customer":
            other = customers[rng.randrange(plan.customers)]
            b.add_relationship("RELATES_TO", kind, uid, "Customer", other, kind=TIE[kind])
        elif k % 2 == 1:
            other = customers[rng.randrange(k)]
            b.add_relationship("RELATES_TO", kind, uid, "Customer", other,
                               kind=rng.choice(("subsidiary", "refers")))
        if kind == "Supplier":
            for item in (SUPPLIED[k % len(SUPPLIED)], SUPPLIED[(k + 1) % len(SUPPLIED)]):
                end = "Product" if item.startswith("prod-") else "Document"
                b.add_relationship("SUPPLIES", kind, uid, end, item)
        if n % 1000 == 999 and len(b) >= part_rows:
            yield b.finish()
            b = PairBatch()
    for k in range(plan.contacts):
        kind, party = roster.contact_party(k)
        uid, name = roster.contacts[k], names.person(rng)
        b.add_node("Contact", {"uid": uid, "name": name, "title": rng.choice(TITLES),
                               "email": names.email(name, f"{party}.example"),
                               "source": source})
        b.add_relationship("WORKS_FOR", "Contact", uid, kind, party)
        if k % 1000 == 999 and len(b) >= part_rows:
            yield b.finish()
            b = PairBatch()
    for k in range(plan.opportunities):
        uid = f"opp-{k + 1:06d}"
        if k % 10 == 9:
            kind, party = roster.other_party(rng.randrange(plan.other_parties))
        else:
            kind, party = "Customer", customers[rng.randrange(plan.customers)]
        product = rng.choice(library.PRODUCTS)
        stage = rng.choice(STAGES)
        b.add_node("Opportunity", {
            "uid": uid, "name": f"{product[1]} for {party}", "stage": stage,
            "amount": round(product[3] * rng.randrange(1, 40), 2),
            "close_date": rng.choice(("2025", "2026")) + f"-{rng.randrange(1, 13):02d}-15",
            "source": source})
        b.add_relationship("HOLDS", kind, party, "Opportunity", uid)
        b.add_relationship("ABOUT", "Opportunity", uid, "Product", product[0])
        b.add_relationship("ASSIGNED_TO", "Opportunity", uid, "Employee",
                           roster.account_owner("Customer", k))  # a sales account manager
    for k in range(plan.contracts):
        uid = f"ctr-{k + 1:06d}"
        kind, party = "Customer", customers[rng.randrange(plan.customers)]
        if k % 4 == 3:
            kind, party = roster.other_party(rng.randrange(plan.other_parties))
        product = rng.choice(library.PRODUCTS)
        start = rng.randrange(2023, 2027)
        b.add_node("Contract", {
            "uid": uid, "name": f"{product[1]} agreement {party}",
            "value": round(product[3] * rng.randrange(5, 200), 2),
            "start": f"{start}-{rng.randrange(1, 13):02d}-01",
            "end": f"{start + rng.randrange(1, 4)}-12-31", "source": source})
        b.add_relationship("HOLDS", kind, party, "Contract", uid)
        b.add_relationship("ABOUT", "Contract", uid, "Product", product[0])
    if len(b):
        yield b.finish()
