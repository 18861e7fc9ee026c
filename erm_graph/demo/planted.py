"""The planted facts of :mod:`erm_graph.demo.facts`, as one part written after the library.

Every record here belongs to a reserved party (cust-000001..cust-000020, sup-000001,
part-000001, fin-000001, gov-000001) that the random bulk never touches, so the facts hold
for every size and seed. Only the sizes of the complaint spike and the need cluster grow with
the bulk they must stand out from (see :func:`erm_graph.demo.sizes.plan`).
"""

from __future__ import annotations

from random import Random

from erm_graph.demo import facts, library, names, timeline
from erm_graph.demo.sizes import Plan
from erm_graph.ingest import GraphBatch

KP, RISK, TOP, WARM = facts.KEY_PERSON, facts.AT_RISK, facts.TOP_CUSTOMER, facts.WARM_PATH
SPIKE, NEEDS, DEP = facts.COMPLAINT_SPIKE, facts.CUSTOMER_NEEDS, facts.SUPPLIER_DEPENDENCY

# uid, name, segment, industry, country, tier, account owner (None: no one)
CUSTOMERS = (
    (KP.customer, KP.customer_name, "enterprise", "logistics", "DE", 1, KP.employee),
    (RISK.customer, RISK.customer_name, "enterprise", "retail", "NL", 1, "emp-0009"),
    (TOP.customer, TOP.customer_name, "enterprise", "manufacturing", "CH", 1, "emp-0008"),
    (WARM.target, WARM.target_name, "enterprise", "manufacturing", "FR", 1, None),
    ("cust-000005", "Lindenhof Apartments", "consumer", "construction", "AT", 3, "emp-0008"),
    ("cust-000006", "Brightwater Hotels", "smb", "hospitality", "IT", 2, "emp-0008"),
    ("cust-000007", "Kestrel Homes", "consumer", "construction", "DE", 3, "emp-0008"),
    ("cust-000008", "Fjord Property Services", "smb", "construction", "SE", 2, "emp-0009"),
    ("cust-000009", "Oakridge Schools", "public", "public sector", "GB", 2, "emp-0009"),
    *((uid, name, NEEDS.segment, industry, country, 3, "emp-0009")
      for uid, (name, industry, country) in zip(NEEDS.customers, (
          ("Becker Elektro", "construction", "DE"), ("Mosaic Facility Care", "logistics", "BE"),
          ("Tern Heating Ltd", "construction", "GB"), ("Valmont Clinics", "healthcare", "FR"),
          ("Quill Print Shop", "media", "NL"), ("Sundby Bakeries", "agriculture", "DK"),
          ("Helix Coworking", "software", "ES"), ("Rowan Vet Practice", "healthcare", "IE")),
          strict=True)),
    ("cust-000018", "Atlas Components s.r.o.", "enterprise", "manufacturing", "CZ", 2,
     "emp-0008"),
    ("cust-000019", "Polar Cold Storage", "smb", "logistics", "FI", 3, "emp-0008"),
    ("cust-000020", "Granite City Council", "public", "public sector", "GB", 2, "emp-0008"),
)
SPIKE_CUSTOMERS = ("cust-000005", "cust-000006", "cust-000007", "cust-000008", "cust-000009")
QUIET_CUSTOMERS = ("cust-000018", "cust-000019", "cust-000020")
# kind, uid, name, account owner
OTHERS = (
    ("Supplier", DEP.supplier, DEP.supplier_name, "emp-0018"),
    ("Partner", WARM.via, WARM.via_name, WARM.employee),
    ("Financier", "fin-000001", "Nordhafen Bank", "emp-0019"),
    ("Government", "gov-000001", "Federal Energy Regulator", "emp-0005"),
)
#: (label, uid) of the records shared with the warm path's partner: a customer it co-sells to,
#: the top customer's deal it helped win, a complaint it services
SHARED = (("Customer", "cust-000019"), ("Opportunity", "opp-top-001"),
          ("Case", "case-spike-0001"))
# uid, name, title, party kind, party
CONTACTS = (
    ("cont-000001", "Greta Hansen", "Head of Operations", "Customer", KP.customer),
    ("cont-000002", "Marcus Field", "Fleet Manager", "Customer", KP.customer),
    ("cont-000003", "Ilse van Dijk", "Purchasing Manager", "Customer", RISK.customer),
    ("cont-000004", "Rolf Keller", "CTO", "Customer", TOP.customer),
    ("cont-000005", "Jana Richter", "Sales Director", "Supplier", DEP.supplier),
)
_STEP_OF = {"consultation": "step-cr-consultation", "purchase": "step-cr-purchase",
            "service": "step-cr-service", "support": "step-cr-support",
            "maintenance": "step-cr-maintenance", "complaint": "step-cr-support"}


class _Planter:
    def __init__(self, source: str, rng: Random):
        self.b = GraphBatch()
        self.source = source
        self.rng = rng

    def interaction(self, uid: str, kind: str, at: str, party: tuple[str, str],
                    employees: tuple[str, ...], product: str, *, step: str | None = None,
                    amount: float | None = None, sentiment: float | None = None) -> None:
        row = {"uid": uid, "name": f"{kind} {at[:10]}", "kind": kind, "at": at,
               "channel": self.rng.choice(("phone", "email", "visit", "chat")),
               "inbound": kind in ("complaint", "support"),
               "sentiment": sentiment if sentiment is not None
               else round(self.rng.uniform(0.0, 0.9), 2), "source": self.source}
        if amount is not None:
            row["amount"] = amount
        self.b.add_node("Interaction", row)
        self.b.add_relationship("HAD", party[0], party[1], "Interaction", uid)
        for employee in employees:
            self.b.add_relationship("WITH", "Interaction", uid, "Employee", employee)
        self.b.add_relationship("AT_STEP", "Interaction", uid, "Step",
                                step or _STEP_OF.get(kind, "step-cr-consultation"))
        self.b.add_relationship("ABOUT", "Interaction", uid, "Product", product)

    def case(self, uid: str, kind: str, status: str, opened: str, party: str,
             assignee: str, product: str, step: str | None = None) -> None:
        row = {"uid": uid, "name": f"{kind} {product}", "kind": kind, "status": status,
               "severity": 2, "opened_at": opened, "escalated": status == "open",
               "source": self.source}
        if status in ("resolved", "closed"):
            row["closed_at"] = timeline.later(opened, 9)
            row["resolution"] = "part replaced"
        self.b.add_node("Case", row)
        self.b.add_relationship("RAISED", "Customer", party, "Case", uid)
        self.b.add_relationship("ASSIGNED_TO", "Case", uid, "Employee", assignee)
        self.b.add_relationship("ABOUT", "Case", uid, "Product", product)
        if step:
            self.b.add_relationship("ABOUT", "Case", uid, "Step", step)

    def feedback(self, uid: str, kind: str, text: str, at: str, origin: tuple[str, str],
                 product: str) -> None:
        self.b.add_node("Feedback", {"uid": uid, "name": f"{kind}: {text}", "kind": kind,
                                     "text": text, "at": at, "source": self.source})
        self.b.add_relationship("FROM", "Feedback", uid, origin[0], origin[1])
        self.b.add_relationship("ABOUT", "Feedback", uid, "Product", product)


def build(plan: Plan, source: str, seed: int) -> GraphBatch:
    """The planted part for ``plan`` (its spike and need cluster sizes)."""
    rng = Random(f"{seed}:planted")
    p = _Planter(source, rng)
    b = p.b
    for uid, name, segment, industry, country, tier, owner in CUSTOMERS:
        b.add_node("Customer", {"uid": uid, "name": name, "segment": segment,
                                "industry": industry, "country": country, "tier": tier,
                                "since": "2019-03-01", "source": source})
        if owner:
            b.add_relationship("MANAGES", "Employee", owner, "Customer", uid)
    for kind, uid, name, owner in OTHERS:
        b.add_node(kind, {"uid": uid, "name": name, "tier": 1, "since": "2015-01-01",
                          "country": "DE", "source": source})
        b.add_relationship("MANAGES", "Employee", owner, kind, uid)
    for uid, name, title, kind, party in CONTACTS:
        b.add_node("Contact", {"uid": uid, "name": name, "title": title,
                               "email": names.email(name, f"{party}.example"),
                               "source": source})
        b.add_relationship("WORKS_FOR", "Contact", uid, kind, party)

    # (1) key-person risk: everything the customer and its contacts do is with one employee
    kinds = ("consultation", "purchase", "meeting", "call", "email", "service")
    for n in range(KP.interactions):
        kind = kinds[n % len(kinds)]
        who = (("Customer", KP.customer) if n % 2 == 0
               else ("Contact", CONTACTS[(n // 2) % 2][0]))
        product = ("prod-0001", "prod-0002", "prod-0013")[n % 3]
        p.interaction(f"int-key-{n + 1:03d}", kind, timeline.moment(rng), who, (KP.employee,),
                      product, amount=library.PRICES[product] * 10 if kind == "purchase"
                      else None)
    for n in range(2):
        p.case(f"case-key-{n + 1:03d}", "service", "resolved", timeline.moment(rng),
               KP.customer, KP.employee, "prod-0013")

    # (2) complaint spike: one product, technical support, one month
    for n in range(plan.spike_interactions):
        p.interaction(f"int-spike-{n + 1:04d}", "complaint",
                      timeline.moment_in(rng, SPIKE.month),
                      ("Customer", SPIKE_CUSTOMERS[n % len(SPIKE_CUSTOMERS)]),
                      (("emp-0010", "emp-0015")[n % 2],), SPIKE.product, step=SPIKE.step,
                      sentiment=round(-rng.uniform(0.5, 1.0), 2))
    for n in range(plan.spike_cases):
        p.case(f"case-spike-{n + 1:04d}", "complaint",
               ("open", "in_progress", "resolved", "closed")[n % 4],
               timeline.moment_in(rng, SPIKE.month), SPIKE_CUSTOMERS[n % len(SPIKE_CUSTOMERS)],
               "emp-0010", SPIKE.product, SPIKE.step)
        b.add_relationship("ASSIGNED_TO", "Case", f"case-spike-{n + 1:04d}", "Department",
                           "dept-support")
    for n in range(10):
        origin = f"int-spike-{n + 1:04d}"
        p.feedback(f"fb-spike-{n + 1:03d}", "defect", rng.choice(("sensor drift",
                   "firmware update failed")), f"{SPIKE.month}-28T12:00:00",
                   ("Interaction", origin), SPIKE.product)

    # (4) warm path: the partner is managed by one employee and refers the target
    for n in range(3):
        p.interaction(f"int-warm-{n + 1:03d}", "meeting", timeline.moment(rng),
                      ("Partner", WARM.via), (WARM.employee,), "prod-0011",
                      step="step-ps-register")
    b.add_relationship("RELATES_TO", "Partner", WARM.via, "Customer", WARM.target,
                       kind="refers")
    # what the partner works with us, shared with it (its portal: docs/partners.md)
    for label, uid in SHARED:
        b.add_relationship("SHARED_WITH", label, uid, "Partner", WARM.via,
                           at="2026-03-02T09:00:00", by=WARM.employee)

    # (5) supplier dependency
    b.add_relationship("SUPPLIES", "Supplier", DEP.supplier, "Product", DEP.product)
    b.add_relationship("SUPPLIES", "Supplier", DEP.supplier, "Document", DEP.material)
    b.add_relationship("PARTICIPATES_IN", "Supplier", DEP.supplier, "Step", "step-pr-receive",
                       role="supplier")
    p.interaction("int-sup-001", "meeting", timeline.moment(rng), ("Supplier", DEP.supplier),
                  ("emp-0018",), DEP.product, step="step-pr-order")
    b.add_node("Contract", {"uid": "ctr-sup-001", "name": "Battery cell framework agreement",
                            "value": 1_200_000.0, "start": "2024-01-01", "end": "2026-12-31",
                            "source": source})
    b.add_relationship("HOLDS", "Supplier", DEP.supplier, "Contract", "ctr-sup-001")
    b.add_relationship("ABOUT", "Contract", "ctr-sup-001", "Product", DEP.product)

    # (6) at-risk customer: falling touches, open complaints, low scores
    n = 0
    risk_kinds = ("purchase", "call", "support", "consultation", "email")
    for month, count in RISK.monthly_interactions:
        for _ in range(count):
            kind = risk_kinds[n % len(risk_kinds)]
            employee = "emp-0010" if kind == "support" else "emp-0009"
            p.interaction(f"int-risk-{n + 1:03d}", kind, timeline.moment_in(rng, month),
                          ("Customer", RISK.customer), (employee,), "prod-0004",
                          amount=23_800.0 if kind == "purchase" else None)
            n += 1
    for n, (month, status) in enumerate((("2026-05", "open"), ("2026-06", "in_progress"),
                                         ("2026-07", "open"))):
        p.case(f"case-risk-{n + 1:03d}", "complaint", status, timeline.moment_in(rng, month),
               RISK.customer, "emp-0010", "prod-0004", "step-cr-support")
    for n, (survey, score) in enumerate(zip(library.CUSTOMER_SURVEYS, RISK.survey_scores,
                                            strict=True)):
        uid = f"resp-risk-{n + 1:03d}"
        sent = next(s[3] for s in library.SURVEYS if s[0] == survey)
        b.add_node("Response", {"uid": uid, "name": f"response {survey}", "score": score,
                                "at": f"{sent}T10:30:00", "text": "slow support, unresolved",
                                "source": source})
        b.add_relationship("TO", "Response", uid, "Survey", survey)
        b.add_relationship("GAVE", "Customer", RISK.customer, "Response", uid)
        b.add_relationship("ABOUT", "Response", uid, "Product", "prod-0004")
    p.feedback("fb-risk-001", "defect", "heat pump keeps failing", "2026-05-20T09:00:00",
               ("Case", "case-risk-001"), "prod-0004")

    # (7) customer needs: one product, one segment
    for n in range(plan.needs):
        uid = f"int-need-{n + 1:04d}"
        at = timeline.moment(rng)
        p.interaction(uid, "consultation", at,
                      ("Customer", NEEDS.customers[n % len(NEEDS.customers)]), ("emp-0002",),
                      NEEDS.product)
        p.feedback(f"fb-need-{n + 1:04d}", "need", names.NEEDS[n % len(names.NEEDS)],
                   timeline.later(at, 1), ("Interaction", uid), NEEDS.product)

    # (8) top lifetime value
    each = TOP.total / TOP.purchases
    for n in range(TOP.purchases):
        staff = ("emp-0008", "emp-0002") if n % 3 == 0 else ("emp-0008",)
        p.interaction(f"int-top-{n + 1:03d}", "purchase",
                      timeline.moment_in(rng, timeline.MONTHS[n % len(timeline.MONTHS)]),
                      ("Customer", TOP.customer), staff,
                      ("prod-0014", "prod-0013", "prod-0004")[n % 3], amount=each)
    b.add_node("Opportunity", {"uid": "opp-top-001", "name": "Battery racks for plant 3",
                               "stage": "won", "amount": 1_290_000.0,
                               "close_date": "2026-02-27", "source": source})
    b.add_relationship("HOLDS", "Customer", TOP.customer, "Opportunity", "opp-top-001")
    b.add_relationship("ABOUT", "Opportunity", "opp-top-001", "Product", "prod-0014")
    b.add_relationship("ASSIGNED_TO", "Opportunity", "opp-top-001", "Employee", "emp-0008")
    b.add_node("Contract", {"uid": "ctr-top-001", "name": "Fleet monitoring master agreement",
                            "value": TOP.total, "start": "2025-01-01", "end": "2027-12-31",
                            "source": source})
    b.add_relationship("HOLDS", "Customer", TOP.customer, "Contract", "ctr-top-001")
    b.add_relationship("ABOUT", "Contract", "ctr-top-001", "Product", "prod-0013")
    b.add_relationship("RELATES_TO", "Customer", "cust-000018", "Customer", TOP.customer,
                       kind="subsidiary")
    b.add_relationship("RELATES_TO", "Financier", "fin-000001", "Customer", TOP.customer,
                       kind="finances")
    b.add_relationship("PARTICIPATES_IN", "Financier", "fin-000001", "Step", "step-fi-apply",
                       role="lender")
    b.add_relationship("RELATES_TO", "Government", "gov-000001", "Supplier", DEP.supplier,
                       kind="regulates")
    b.add_relationship("PARTICIPATES_IN", "Government", "gov-000001", "Step",
                       "step-rc-report", role="regulator")

    # quiet customers: two employees each, so only the key-person customer has one
    for n, customer in enumerate(QUIET_CUSTOMERS):
        for m, (kind, employee) in enumerate((("call", "emp-0008"), ("email", "emp-0002"))):
            p.interaction(f"int-quiet-{2 * n + m + 1:03d}", kind, timeline.moment(rng),
                          ("Customer", customer), (employee,), "prod-0001")
    return b
