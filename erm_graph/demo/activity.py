"""The random activity: interactions, cases, survey responses and feedback.

Records are made in blocks of interactions with their share of cases, responses and feedback,
so feedback can come FROM a record of its own block. The bulk only ever touches the random
parties (see :mod:`erm_graph.demo.roster`), never the planted ones, and the first interaction
of every random customer is with a support engineer: no random customer depends on its account
owner alone, so the planted key-person risk stays the only one.
"""

from __future__ import annotations

from collections.abc import Iterator
from random import Random
from typing import Any

from erm_graph.demo import library, names, sizes, timeline
from erm_graph.demo.columns import PairBatch
from erm_graph.demo.roster import ACCOUNT_DEPARTMENT, Roster
from erm_graph.ingest import GraphBatch

BLOCK = 20_000  # interactions per block

# kinds of customer interactions, each repeated by its weight in percent
_CUSTOMER_KINDS = tuple(
    kind for kind, weight in (
        ("consultation", 14), ("purchase", 18), ("service", 12), ("support", 14),
        ("maintenance", 8), ("complaint", round(sizes.COMPLAINT_SHARE * 100)), ("meeting", 8),
        ("call", 12), ("email", 8))
    for _ in range(weight))
_OTHER_KINDS = ("meeting", "call", "email", "consultation")
_STEP_OF = {"consultation": "step-cr-consultation", "purchase": "step-cr-purchase",
            "service": "step-cr-service", "support": "step-cr-support",
            "maintenance": "step-cr-maintenance"}
_ANY_CUSTOMER_STEP = (*library.PARTY_STEPS["Customer"], "step-cr-decide")
_DEPARTMENT_AT = {"step-cr-support": "dept-support", "step-cr-service": "dept-service",
                  "step-cr-maintenance": "dept-service"}
_CHANNELS = ("phone", "email", "web", "visit", "chat", "event")
_CASE_KINDS = ("complaint",) * round(sizes.COMPLAINT_CASE_SHARE * 20) + ("service",) * 7 + (
    "warranty",) * 5
_CASE_STEP = {"complaint": "step-cr-support", "service": "step-cr-service",
              "warranty": "step-cr-maintenance"}
_CASE_DEPARTMENT = {"complaint": "dept-support", "service": "dept-service",
                    "warranty": "dept-service"}
_FEEDBACK = (("need",) * round(sizes.NEED_SHARE * 20) + ("defect",) * 6 + ("idea",) * 4
             + ("praise",) * 5)
_TEXTS = {"need": names.NEEDS, "defect": names.DEFECTS, "idea": names.IDEAS,
          "praise": names.PRAISE}
_SURVEY_DAY = {uid: timeline.DAYS.index(sent) for uid, _, _, sent in library.SURVEYS}
_RECENT_DAY = len(timeline.DAYS) - 60
_PRODUCTS = library.PRODUCT_UIDS
_PRICES = tuple(library.PRICES[p] for p in _PRODUCTS)


def _pick_other(rng: Random, pool: list[str], first: str) -> str:
    j = rng.randrange(len(pool))
    return pool[(j + 1) % len(pool)] if pool[j] == first else pool[j]


class _Activity:
    def __init__(self, roster: Roster, source: str, seed: int):
        self.r = roster
        self.plan = roster.plan
        self.source = source
        self.customers = roster.uids["Customer"]
        self.rng = Random(f"{seed}:activity")
        staff = roster.staff
        self.pool = {dept: staff[dept] for dept in staff}
        self.employees = [e for dept in staff for e in staff[dept]]
        self.department_of = {e: dept for dept in staff for e in staff[dept]}

    def party(self, customer_share: float) -> tuple[str, str, str | None]:
        """(kind, party uid, a contact uid or None) of a random party."""
        rng = self.rng
        if rng.random() < customer_share:
            k = rng.randrange(self.plan.customers)
            return "Customer", self.customers[k], self.r.contact_of_customer(k)
        o = rng.randrange(self.plan.other_parties)
        kind, uid = self.r.other_party(o)
        return kind, uid, self.r.contact_of_other(o)

    def interaction(self, b: GraphBatch, g: int, sources: list) -> None:
        rng = self.rng
        uid = f"int-{g + 1:07d}"
        if g < self.plan.customers:  # every random customer meets support at least once
            kind, party, contact = "Customer", self.customers[g], None
            ikind = "support"
        else:
            kind, party, contact = self.party(sizes.CUSTOMER_SHARE)
            ikind = rng.choice(_CUSTOMER_KINDS if kind == "Customer" else _OTHER_KINDS)
        if kind == "Customer":
            if ikind == "complaint":
                step = ("step-cr-support" if rng.random() < sizes.COMPLAINT_AT_SUPPORT
                        else "step-cr-service")
            else:
                step = _STEP_OF.get(ikind) or rng.choice(_ANY_CUSTOMER_STEP)
            pool = self.pool[_DEPARTMENT_AT.get(step, "dept-sales")]
        else:
            steps = library.PARTY_STEPS[kind]
            step = steps[rng.randrange(len(steps))]
            pool = self.pool[ACCOUNT_DEPARTMENT[kind]]
        p = rng.randrange(len(_PRODUCTS))
        at = timeline.moment(rng)
        row = {"uid": uid, "name": f"{ikind} {at[:10]}", "kind": ikind, "at": at,
               "channel": rng.choice(_CHANNELS), "inbound": rng.random() < 0.6,
               "sentiment": round(-rng.uniform(0.3, 1.0) if ikind == "complaint"
                                  else rng.uniform(-0.4, 1.0), 2),
               "source": self.source}
        if ikind == "purchase":
            row["amount"] = round(_PRICES[p] * rng.randrange(1, 5), 2)
        b.add_node("Interaction", row)
        if contact is not None and rng.random() < 0.3:
            b.add_relationship("HAD", "Contact", contact, "Interaction", uid)
        else:
            b.add_relationship("HAD", kind, party, "Interaction", uid)
        first = pool[rng.randrange(len(pool))]
        b.add_relationship("WITH", "Interaction", uid, "Employee", first)
        if g % 3 == 0:
            sales = self.pool[ACCOUNT_DEPARTMENT[kind]]
            b.add_relationship("WITH", "Interaction", uid, "Employee",
                               _pick_other(rng, sales, first))
        b.add_relationship("AT_STEP", "Interaction", uid, "Step", step)
        b.add_relationship("ABOUT", "Interaction", uid, "Product", _PRODUCTS[p])
        if g % 2 == 0:
            q = (p + 1 + rng.randrange(len(_PRODUCTS) - 1)) % len(_PRODUCTS)
            b.add_relationship("ABOUT", "Interaction", uid, "Product", _PRODUCTS[q])
        sources.append(("Interaction", uid, at, "Product", _PRODUCTS[p]))

    def case(self, b: GraphBatch, k: int, sources: list) -> None:
        rng = self.rng
        uid = f"case-{k + 1:06d}"
        kind, party, contact = self.party(sizes.CUSTOMER_SHARE)
        ckind = rng.choice(_CASE_KINDS)
        day = rng.randrange(len(timeline.DAYS))
        opened = timeline.DAYS[day] + timeline.clock(rng)
        if day >= _RECENT_DAY or rng.random() < 0.15:
            status = rng.choice(("open", "in_progress"))
        else:
            status = rng.choice(("resolved", "closed"))
        severity = rng.randrange(1, 5)
        product = _PRODUCTS[rng.randrange(len(_PRODUCTS))]
        row = {"uid": uid, "name": f"{ckind} {product}", "kind": ckind, "status": status,
               "severity": severity, "opened_at": opened,
               "escalated": severity == 1 or rng.random() < 0.1, "source": self.source}
        if status != "open":  # first response some hours in: some within target, some not
            row["responded_at"] = timeline.hours_later(opened, 1 + k % 12)
        if status in ("resolved", "closed"):
            row["closed_at"] = timeline.later(opened, rng.randrange(1, 40))
            row["resolution"] = rng.choice(("fixed on site", "part replaced", "refund",
                                            "explained", "software update"))
        b.add_node("Case", row)
        if contact is not None and rng.random() < 0.2:
            b.add_relationship("RAISED", "Contact", contact, "Case", uid)
        else:
            b.add_relationship("RAISED", kind, party, "Case", uid)
        dept = _CASE_DEPARTMENT[ckind]
        pool = self.pool[dept]
        b.add_relationship("ASSIGNED_TO", "Case", uid, "Employee", pool[rng.randrange(len(pool))])
        if k % 2 == 0:
            b.add_relationship("ASSIGNED_TO", "Case", uid, "Department", dept)
        b.add_relationship("ABOUT", "Case", uid, "Product", product)
        if k % 2 == 1:
            b.add_relationship("ABOUT", "Case", uid, "Step", _CASE_STEP[ckind])
        sources.append(("Case", uid, opened, "Product", product))

    def response(self, b: GraphBatch, k: int, sources: list) -> None:
        rng = self.rng
        uid = f"resp-{k + 1:06d}"
        if rng.random() < 0.75:
            survey = rng.choice(library.CUSTOMER_SURVEYS)
            kind, giver, contact = self.party(1.0)
            if contact is not None and rng.random() < 0.25:
                kind, giver = "Contact", contact
            about_label, about = "Product", _PRODUCTS[rng.randrange(len(_PRODUCTS))]
            score = rng.choice((3, 5, 6, 7, 7, 8, 8, 9, 9, 10))
        else:
            survey = rng.choice(library.EMPLOYEE_SURVEYS)
            kind, giver = "Employee", self.employees[rng.randrange(len(self.employees))]
            about_label, about = "Department", self.department_of[giver]
            score = rng.randrange(2, 11)
        at = timeline.DAYS[_SURVEY_DAY[survey] + rng.randrange(30)] + timeline.clock(rng)
        b.add_node("Response", {"uid": uid, "name": f"response {survey}", "score": score,
                                "at": at, "source": self.source})
        b.add_relationship("TO", "Response", uid, "Survey", survey)
        b.add_relationship("GAVE", kind, giver, "Response", uid)
        b.add_relationship("ABOUT", "Response", uid, about_label, about)
        sources.append(("Response", uid, at, about_label, about))

    def feedback(self, b: GraphBatch, k: int, sources: list) -> None:
        rng = self.rng
        uid = f"fb-{k + 1:06d}"
        label, source_uid, at, about_label, about = sources[rng.randrange(len(sources))]
        kind = rng.choice(_FEEDBACK)
        text = rng.choice(_TEXTS[kind])
        row: dict[str, Any] = {"uid": uid, "name": f"{kind}: {text}", "kind": kind, "text": text,
               "at": timeline.later(at, rng.randrange(4)), "source": self.source}
        if rng.random() < 0.5:
            row["score"] = rng.randrange(11)
        b.add_node("Feedback", row)
        b.add_relationship("FROM", "Feedback", uid, label, source_uid)
        b.add_relationship("ABOUT", "Feedback", uid, about_label, about)


def build(roster: Roster, source: str, seed: int, part_rows: int) -> Iterator[GraphBatch]:
    """Parts holding the random activity, about ``part_rows`` rows each."""
    plan = roster.plan
    act = _Activity(roster, source, seed)
    total = plan.interactions
    b = PairBatch()
    for a in range(0, total, BLOCK):
        z = min(total, a + BLOCK)
        sources: list = []
        for g in range(a, z):
            act.interaction(b, g, sources)
        for k in range(a * plan.cases // total, z * plan.cases // total):
            act.case(b, k, sources)
        for k in range(a * plan.responses // total, z * plan.responses // total):
            act.response(b, k, sources)
        for k in range(a * plan.feedback // total, z * plan.feedback // total):
            act.feedback(b, k, sources)
        if len(b) >= part_rows:
            yield b.finish()
            b = PairBatch()
    if len(b):
        yield b.finish()
