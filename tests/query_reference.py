"""What each named query must answer on the demo, worked out in plain Python from the demo
generator's own records (:func:`erm_graph.demo.generate`), without the engine.

:class:`DemoGraph` holds the generated nodes and relationships (one relationship of a type
per pair of ends, as the writer keeps them). Each function in :data:`EXPECTED` reads the
query's meaning from its ``cypher/`` header and returns the rows it must give, in order; the
tests compare them with the engine's rows column by column (``tests/test_query_columns.py``).
"""

from __future__ import annotations

import calendar
import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from erm_graph import model
from erm_graph.demo import generate

Row = dict[str, Any]


@dataclass
class DemoGraph:
    props: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: (uid, type) -> [(other end, relationship properties)], both directions
    out: dict[tuple[str, str], list[tuple[str, dict]]] = field(
        default_factory=lambda: defaultdict(list))
    into: dict[tuple[str, str], list[tuple[str, dict]]] = field(
        default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, size: str = "small", seed: int = 7) -> DemoGraph:
        g = cls()
        rels: dict[tuple[str, str, str], dict] = {}
        for part in generate(size, seed):
            for label, rows in part.nodes.items():
                for row in rows:
                    g.props.setdefault(row["uid"], {}).update(row)
                    g.labels[row["uid"]] = model.label(label).labels
            for (rel_type, _, _), rows in part.relationships.items():
                for row in rows:
                    key = (rel_type, row["start"], row["end"])
                    rels.setdefault(key, {}).update(
                        {k: v for k, v in row.items() if k not in ("start", "end")})
        for (rel_type, start, end), rprops in rels.items():
            g.out[(start, rel_type)].append((end, rprops))
            g.into[(end, rel_type)].append((start, rprops))
        return g

    def of(self, label: str) -> list[str]:
        return [u for u, labels in self.labels.items() if label in labels]

    def is_a(self, uid: str | None, label: str) -> bool:
        return uid is not None and label in self.labels.get(uid, ())

    def p(self, uid: str | None, key: str) -> Any:
        return None if uid is None else self.props[uid].get(key)

    def outs(self, uid: str, *types: str, label: str | None = None) -> list[str]:
        return [e for t in types for e, _ in self.out.get((uid, t), ())
                if label is None or self.is_a(e, label)]

    def ins(self, uid: str, *types: str, label: str | None = None) -> list[str]:
        return [s for t in types for s, _ in self.into.get((uid, t), ())
                if label is None or self.is_a(s, label)]

    def actors(self, party: str) -> list[str]:
        """``(party)<-[:WORKS_FOR*0..1]-()``: the party and whoever works for it."""
        return [party, *self.ins(party, "WORKS_FOR")]

    def kinds(self, uid: str) -> list[str]:
        return [lab for lab in self.labels[uid] if lab != "Party"]

    def first_label(self, uid: str, among: Iterable[str]) -> str | None:
        return next((lab for lab in self.labels[uid] if lab in among), None)


def cround(x: float | None, digits: int) -> float | None:
    """Cypher's ``round(x * 10^d) / 10^d``: half away from zero."""
    if x is None:
        return None
    scale = 10 ** digits
    return math.copysign(math.floor(abs(x) * scale + 0.5), x) / scale


def months_before(day: str, months: int) -> str:
    """``date(day) - duration({months: n})``: the day clamped to the shorter month."""
    d = date.fromisoformat(day)
    index = d.year * 12 + d.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last)).isoformat()


def period_of(at: str, period: str) -> str:
    if period == "month":
        return at[:7]
    if period == "year":
        return at[:4]
    return f"{at[:4]}-Q{(int(at[5:7]) + 2) // 3}"


def mean(values: Iterable[float | None]) -> float | None:
    """Cypher's ``avg``: nulls left out, null when nothing is left."""
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else None


def distinct(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def ordered(rows: list[Row], keys: list[tuple[str, bool]], limit: int | None = None,
            ) -> list[Row]:
    """``ORDER BY`` (nulls last ascending, first descending) and ``LIMIT``."""
    def compare(a: Row, b: Row) -> int:
        for column, descending in keys:
            x, y = a[column], b[column]
            if x == y:
                continue
            if x is None or y is None:
                result = 1 if x is None else -1
            else:
                result = -1 if x < y else 1
            return -result if descending else result
        return 0
    rows = sorted(rows, key=functools.cmp_to_key(compare))
    return rows[:limit] if limit is not None else rows


#: the ORDER BY of each query, on its output columns (True: descending)
ORDER: dict[str, list[tuple[str, bool]]] = {}
EXPECTED: dict[str, Callable[[DemoGraph, dict[str, Any]], list[Row]]] = {}


def expects(name: str, order: list[tuple[str, bool]]):
    def register(fn: Callable[[DemoGraph, dict[str, Any]], list[Row]]):
        EXPECTED[name], ORDER[name] = fn, order
        return fn
    return register


@expects("at-risk-customers", [("risk", True), ("uid", False)])
def at_risk(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    until = a["until"] or (date.fromisoformat(max(
        g.p(i, "at") for i in g.of("Interaction"))[:10]) + timedelta(days=1)).isoformat()
    cut = months_before(until, a["recent_months"])
    start = months_before(until, a["recent_months"] + a["baseline_months"])
    rows = []
    for c in g.of("Customer"):
        times = [g.p(i, "at") for x in g.actors(c) for i in g.outs(x, "HAD", label="Interaction")
                 if start <= g.p(i, "at") < until]
        complaints = [k for x in g.actors(c) for k in g.outs(x, "RAISED", label="Case")
                      if g.p(k, "kind") == "complaint"
                      and g.p(k, "status") in ("open", "in_progress")]
        scores = [g.p(r, "score") for x in g.actors(c) for r in g.outs(x, "GAVE",
                                                                      label="Response")]
        recent = sum(t >= cut for t in times)
        earlier = len(times) - recent
        avg = sum(scores) / len(scores) if scores else None
        recent_rate, earlier_rate = recent / a["recent_months"], earlier / a["baseline_months"]
        drop = 0.0 if earlier_rate == 0 or recent_rate >= earlier_rate else (
            (1 - recent_rate / earlier_rate) * (1.0 if earlier >= 6 else earlier / 6))
        risk = (0.4 * drop + 0.3 * min(len(complaints), 3) / 3
                + 0.3 * ((10 - avg) / 10 if avg is not None else 0.0))
        owners = g.ins(c, "MANAGES", label="Employee")
        if risk < a["min_risk"] or a["owner"] is not None and a["owner"] not in owners:
            continue
        rows.append({"uid": c, "name": g.p(c, "name"), "segment": g.p(c, "segment"),
                     "risk": cround(risk, 3), "earlier_per_month": cround(earlier_rate, 2),
                     "recent_per_month": cround(recent_rate, 2), "drop": cround(drop, 2),
                     "open_complaints": len(complaints), "avg_score": cround(avg, 1),
                     "account_owner": g.p(owners[0], "name") if owners else None,
                     "period_end": until})
    return ordered(rows, ORDER["at-risk-customers"], a["limit"])


@expects("complaint-hotspots", [("total", True), ("product_uid", False), ("step_uid", False),
                                ("month", False)])
def complaint_hotspots(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    found: list[tuple[str, str, int, str]] = []  # (record, product, complaint?, time)
    for i in g.of("Interaction"):
        if g.p(i, "kind") == "complaint" and a["since"] <= g.p(i, "at") < a["until"]:
            found += [(i, p, 1, g.p(i, "at")) for p in g.outs(i, "ABOUT", label="Product")]
    for x in g.of("Case"):
        opened = g.p(x, "opened_at")
        if g.p(x, "kind") in a["case_kinds"] and a["since"] <= opened < a["until"]:
            found += [(x, p, 0, opened) for p in g.outs(x, "ABOUT", label="Product")]
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for record, product, complaint, at in found:
        steps = g.outs(record, "AT_STEP" if complaint else "ABOUT", label="Step")
        step = steps[0] if steps else None
        cells[(product, step, at[:7])][0 if complaint else 1] += 1
    rows = [{"product_uid": p, "product": g.p(p, "name"), "step_uid": s, "step": g.p(s, "name"),
             "month": month, "complaints": n, "cases": k, "total": n + k}
            for (p, s, month), (n, k) in cells.items()]
    return ordered(rows, ORDER["complaint-hotspots"], a["limit"])


def bought(g: DemoGraph, party: str) -> list[str]:
    """Distinct products the party and its contacts bought (purchase interactions)."""
    return distinct(p for x in g.actors(party) for i in g.outs(x, "HAD", label="Interaction")
                    if g.p(i, "kind") == "purchase"
                    for p in g.outs(i, "ABOUT", label="Product"))


def peers(g: DemoGraph, c: str) -> list[tuple[str, list[str], float]]:
    """(customer, shared products, Jaccard) for every other customer who bought one of c's."""
    mine = bought(g, c)
    shared: dict[str, list[str]] = defaultdict(list)
    for product in mine:
        for i in g.ins(product, "ABOUT", label="Interaction"):
            if g.p(i, "kind") != "purchase":
                continue
            for x in g.ins(i, "HAD"):
                for o in [x, *g.outs(x, "WORKS_FOR")]:
                    if g.is_a(o, "Customer") and o != c and product not in shared[o]:
                        shared[o].append(product)
    found = []
    for o, both in shared.items():
        theirs = bought(g, o)
        found.append((o, both, len(both) / (len(mine) + len(theirs) - len(both))))
    return found


@expects("cross-sell", [("score", True), ("product_uid", False)])
def cross_sell(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    c = a["uid"]
    owned = set(bought(g, c)) | {p for k in g.outs(c, "HOLDS", label="Contract")
                                 for p in g.outs(k, "ABOUT", label="Product")}
    nearest = sorted(peers(g, c), key=lambda t: (-t[2], t[0]))[: a["peers"]]
    score: dict[str, list[float]] = defaultdict(list)
    for o, _, similarity in nearest:
        for product in bought(g, o):
            if product not in owned:
                score[product].append(similarity)
    rows = [{"product_uid": p, "product": g.p(p, "name"), "domain": g.p(p, "kind"),
             "peers_who_bought": len(s), "score": cround(sum(s), 3)} for p, s in score.items()]
    return ordered(rows, ORDER["cross-sell"], a["limit"])


@expects("customer-360", [])
def customer_360(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    c = a["uid"]
    contacts = g.ins(c, "WORKS_FOR", label="Contact")
    touches = [i for x in [c, *contacts] for i in g.outs(x, "HAD", label="Interaction")]
    feedback = [g.p(f, "kind") for x in [c, *contacts]
                for y in g.outs(x, "HAD", "RAISED", "GAVE")
                for f in g.ins(y, "FROM", label="Feedback")]
    open_cases = [{"uid": x, "kind": g.p(x, "kind"), "status": g.p(x, "status"),
                   "severity": g.p(x, "severity"), "opened_at": g.p(x, "opened_at")}
                  for y in [c, *contacts] for x in g.outs(y, "RAISED", label="Case")
                  if g.p(x, "status") in ("open", "in_progress")]
    products = distinct([g.p(p, "name") for k in g.outs(c, "HOLDS")
                         for p in g.outs(k, "ABOUT", label="Product")]
                        + [g.p(p, "name") for x in [c, *contacts]
                           for i in g.outs(x, "HAD", label="Interaction")
                           if g.p(i, "kind") == "purchase"
                           for p in g.outs(i, "ABOUT", label="Product")])
    by_kind = [{"kind": k, "count": sum(g.p(i, "kind") == k for i in touches),
                "last": max(g.p(i, "at") for i in touches if g.p(i, "kind") == k)}
               for k in distinct(g.p(i, "kind") for i in touches)]
    return [{"uid": c, "name": g.p(c, "name"), "kinds": g.kinds(c),
             "segment": g.p(c, "segment"), "industry": g.p(c, "industry"),
             "tier": g.p(c, "tier"),
             "account_owners": [{"uid": e, "name": g.p(e, "name")}
                                for e in g.ins(c, "MANAGES", label="Employee")],
             "contacts": [{"uid": k, "name": g.p(k, "name"), "title": g.p(k, "title")}
                          for k in contacts],
             "interaction_count": len(touches), "interactions": by_kind,
             "open_cases": open_cases, "products": products,
             "feedback": [{"kind": k, "count": feedback.count(k)}
                          for k in ("need", "defect", "idea", "praise")],
             "steps": [g.p(s, "name") for s in g.outs(c, "PARTICIPATES_IN", label="Step")]}]


def party_behind(g: DemoGraph, f: str) -> str | None:
    """The Party that had, raised or gave what feedback ``f`` was taken FROM."""
    sources = g.outs(f, "FROM")
    direct = [x for s in sources for x in g.ins(s, "HAD", "RAISED", "GAVE", label="Party")]
    via = [x for s in sources for k in g.ins(s, "HAD", "RAISED", "GAVE", label="Contact")
           for x in g.outs(k, "WORKS_FOR", label="Party")]
    return (direct + via or [None])[0]


@expects("customer-needs", [("feedback", True), ("product_uid", False), ("kind", False),
                            ("segment", False)])
def customer_needs(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    groups: dict[tuple, list[tuple[str, str | None]]] = defaultdict(list)
    for f in g.of("Feedback"):
        if g.p(f, "kind") in a["kinds"] and a["since"] <= g.p(f, "at") < a["until"]:
            party = party_behind(g, f)
            for p in g.outs(f, "ABOUT", label="Product"):
                groups[(p, g.p(f, "kind"), g.p(party, "segment"))].append((f, party))
    rows = [{"product_uid": p, "product": g.p(p, "name"), "domain": g.p(p, "kind"),
             "kind": kind, "segment": segment, "feedback": len(items),
             "parties": len({x for _, x in items if x is not None}),
             "avg_score": mean(g.p(f, "score") for f, _ in items),
             "examples": [g.p(f, "text") for f, _ in items]}
            for (p, kind, segment), items in groups.items()]
    return ordered(rows, ORDER["customer-needs"], a["limit"])


@expects("journey-documents", [("process", False), ("order", False), ("step", False),
                               ("how", False), ("document", False)])
def journey_documents(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    c = a["uid"]
    steps = distinct(g.outs(c, "PARTICIPATES_IN", label="Step")
                     + [s for x in g.actors(c) for i in g.outs(x, "HAD", label="Interaction")
                        for s in g.outs(i, "AT_STEP", label="Step")])
    rows = []
    for s in steps:
        process = g.ins(s, "HAS_STEP", label="Process")
        for how in ("USES", "PRODUCES"):
            for d in g.outs(s, how, label="Document"):
                if a["kind"] is not None and g.p(d, "kind") != a["kind"]:
                    continue
                owner = g.ins(d, "RESPONSIBLE_FOR", label="Employee")
                rows.append({"process": g.p(process[0], "name") if process else None,
                             "order": g.p(s, "order"), "step": g.p(s, "name"),
                             "how": how.lower(), "uid": d, "document": g.p(d, "name"),
                             "kind": g.p(d, "kind"),
                             "owner": g.p(owner[0], "name") if owner else None})
    return ordered(rows, ORDER["journey-documents"])


@expects("key-person-risk", [("interactions", True), ("revenue", True), ("uid", False)])
def key_person_risk(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    rows = []
    for p in g.of("Party"):
        if a["kind"] is not None and a["kind"] not in g.labels[p]:
            continue
        had = [i for x in g.actors(p) for i in g.outs(x, "HAD", label="Interaction")]
        if len(had) < a["min_interactions"]:
            continue
        people = distinct(g.ins(p, "MANAGES", label="Employee")
                          + [e for i in had for e in g.outs(i, "WITH", label="Employee")]
                          + [e for x in g.actors(p) for k in g.outs(x, "RAISED", label="Case")
                             for e in g.outs(k, "ASSIGNED_TO", label="Employee")])
        if len(people) != 1:
            continue
        rows.append({"uid": p, "name": g.p(p, "name"), "kinds": g.kinds(p),
                     "employee_uid": people[0], "employee": g.p(people[0], "name"),
                     "interactions": len(had),
                     "revenue": sum(g.p(i, "amount") or 0.0 for i in had
                                    if g.p(i, "kind") == "purchase")})
    return ordered(rows, ORDER["key-person-risk"], a["limit"])


@expects("lifetime-value", [("value", True), ("uid", False)])
def lifetime_value(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    rows = []
    for c in g.of("Customer"):
        if a["segment"] is not None and g.p(c, "segment") != a["segment"]:
            continue
        buys = [g.props[i] for x in g.actors(c) for i in g.outs(x, "HAD", label="Interaction")
                if g.p(i, "kind") == "purchase"]
        held = g.outs(c, "HOLDS")
        revenue = sum(b.get("amount") or 0.0 for b in buys)
        contracts = sum(g.p(k, "value") or 0.0 for k in held if g.is_a(k, "Contract"))
        won = sum(g.p(o, "amount") or 0.0 for o in held if g.is_a(o, "Opportunity")
                  and g.p(o, "stage") == "won")
        pipeline = sum(g.p(o, "amount") or 0.0 for o in held if g.is_a(o, "Opportunity")
                       and g.p(o, "stage") is not None
                       and g.p(o, "stage") not in ("won", "lost"))
        if revenue + contracts + won <= 0:
            continue
        times = [b["at"] for b in buys]
        rows.append({"uid": c, "name": g.p(c, "name"), "segment": g.p(c, "segment"),
                     "value": cround(revenue + contracts + won, 2),
                     "purchase_revenue": cround(revenue, 2),
                     "contract_value": cround(contracts, 2),
                     "won_value": cround(won, 2),
                     "open_pipeline": cround(pipeline, 2), "purchases": len(buys),
                     "first_purchase": min(times, default=None),
                     "last_purchase": max(times, default=None),
                     "active_months": len({t[:7] for t in times})})
    return ordered(rows, ORDER["lifetime-value"], a["limit"])


def named(g: DemoGraph, uid: str) -> Row:
    """A component as the relationship map lists it: its uid and name."""
    return {"uid": uid, "name": g.p(uid, "name")}


def performers(g: DemoGraph, step: str, label: str) -> list[Row]:
    """The ``label`` nodes that perform ``step``, with the role they perform it in."""
    return [{**named(g, d), "role": r.get("role")} for d, r in g.into.get((step, "PERFORMS"), ())
            if g.is_a(d, label)]


@expects("relationship-map", [("order", False), ("step_uid", False)])
def relationship_map(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    proc = a["uid"]
    owner = g.ins(proc, "RESPONSIBLE_FOR", label="Employee")
    rows = []
    for s, h in g.out.get((proc, "HAS_STEP"), ()):
        if not g.is_a(s, "Step"):
            continue
        step_owner = g.ins(s, "RESPONSIBLE_FOR", label="Employee")
        order = h.get("order") if h.get("order") is not None else g.p(s, "order")
        rows.append({
            "process_uid": proc, "process": g.p(proc, "name"),
            "process_owner": g.p(owner[0], "name") if owner else None,
            "maps": [named(g, m) for m in g.ins(proc, "DEPICTS", label="Map")],
            "order": order, "step_uid": s, "step": g.p(s, "name"), "kind": g.p(s, "kind"),
            "parent": next(iter(g.outs(s, "SUBPROCESS_OF", label="Step")), None),
            "next": [{"to": t, "label": n.get("label")} for t, n in g.out.get((s, "NEXT"), ())
                     if g.is_a(t, "Step")],
            "departments": performers(g, s, "Department"),
            "people": performers(g, s, "Employee"),
            "documents": [{"uid": d, "name": g.p(d, "name"), "kind": g.p(d, "kind"),
                           "how": how.lower()}
                          for how in ("USES", "PRODUCES")
                          for d in g.outs(s, how, label="Document")],
            "parties": [{"uid": p, "name": g.p(p, "name"), "labels": list(g.labels[p]),
                         "role": r.get("role")}
                        for p, r in g.into.get((s, "PARTICIPATES_IN"), ())
                        if g.is_a(p, "Party")],
            "owner": g.p(step_owner[0], "name") if step_owner else None})
    return ordered(rows, ORDER["relationship-map"])


@expects("sales-by-domain", [("domain", False), ("product", False), ("period", False)])
def sales_by_domain(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    cells: dict[tuple, list] = defaultdict(lambda: [0.0, set()])
    for i in g.of("Interaction"):
        at, amount = g.p(i, "at"), g.p(i, "amount")
        if g.p(i, "kind") != "purchase" or amount is None or not a["since"] <= at < a["until"]:
            continue
        products = g.outs(i, "ABOUT", label="Product")
        for p in products:
            cell = cells[(p, period_of(at, a["period"]))]
            cell[0] += amount / len(products)
            cell[1].add(i)
    rows = [{"domain": g.p(p, "kind"), "product_uid": p, "product": g.p(p, "name"),
             "period": period, "revenue": cround(total, 2), "purchases": len(bought_in)}
            for (p, period), (total, bought_in) in cells.items()]
    return ordered(rows, ORDER["sales-by-domain"])


@expects("similar-customers", [("score", True), ("uid", False)])
def similar_customers(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    c = a["uid"]
    rows = []
    for o, shared, jaccard in peers(g, c):
        same = [g.p(o, k) is not None and g.p(o, k) == g.p(c, k) for k in ("segment", "industry")]
        rows.append({"uid": o, "name": g.p(o, "name"), "segment": g.p(o, "segment"),
                     "industry": g.p(o, "industry"), "shared_products": shared,
                     "jaccard": cround(jaccard, 3),
                     "score": cround(jaccard + 0.1 * sum(same), 3)})
    return ordered(rows, ORDER["similar-customers"], a["limit"])


@expects("supplier-dependency", [("label", False), ("uid", False)])
def supplier_dependency(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    suppliers: dict[str, list[str]] = defaultdict(list)
    for s in g.of("Party"):
        for item in g.outs(s, "SUPPLIES"):
            suppliers[item].append(s)
    rows = [{"label": g.first_label(item, ("Product", "Document")), "uid": item,
             "name": g.p(item, "name"), "kind": g.p(item, "kind"), "supplier_uid": only[0],
             "supplier": g.p(only[0], "name"),
             "steps": g.ins(item, "USES", "PRODUCES", label="Step")}
            for item, only in suppliers.items() if len(only) == 1]
    return ordered(rows, ORDER["supplier-dependency"])


@expects("survey-sentiment", [("about", False), ("name", False), ("segment", False),
                              ("period", False)])
def survey_sentiment(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for r in g.of("Response"):
        if not a["since"] <= g.p(r, "at") < a["until"]:
            continue
        audience = ([g.p(v, "audience") for v in g.outs(r, "TO", label="Survey")] or [None])[0]
        if a["audience"] is not None and audience != a["audience"]:
            continue
        givers = g.ins(r, "GAVE")
        segment = ([g.p(x, "segment") for x in givers if g.is_a(x, "Party")]
                   + [g.p(x, "segment") for k in givers if g.is_a(k, "Contact")
                      for x in g.outs(k, "WORKS_FOR", label="Party")]
                   + ["employee" for e in givers if g.is_a(e, "Employee")] or [None])[0]
        for subject in g.outs(r, "ABOUT"):
            groups[(subject, segment, period_of(g.p(r, "at"), a["period"]))].append(
                g.p(r, "score"))
    rows = [{"about": g.first_label(subject, ("Product", "Department", "Step")),
             "uid": subject, "name": g.p(subject, "name"), "segment": segment,
             "period": period, "responses": len(scores),
             "avg_score": cround(sum(scores) / len(scores), 2),
             "nps": cround(100.0 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores))
                           / len(scores), 0)}
            for (subject, segment, period), scores in groups.items()]
    return ordered(rows, ORDER["survey-sentiment"])


@expects("unowned-components", [("label", False), ("uid", False)])
def unowned_components(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    governed = ("Map", "Process", "Step", "Document", "Department")

    def processes_of_steps(steps: Iterable[str]) -> set[str]:
        return {p for s in steps for p in g.ins(s, "HAS_STEP", label="Process")}

    me = a["owner"]
    mine = processes_of_steps(
        g.outs(me, "PERFORMS", label="Step")
        + [s for d in g.outs(me, "MEMBER_OF", label="Department")
           for s in g.outs(d, "PERFORMS", label="Step")]
        + [s for p in g.outs(me, "MANAGES") for s in g.outs(p, "PARTICIPATES_IN", label="Step")]
    ) if me is not None else set()
    rows = []
    for label in governed:
        for n in g.of(label):
            if g.ins(n, "RESPONSIBLE_FOR", label="Employee"):
                continue
            its = ({n} if label == "Process" else set()) | processes_of_steps([n]) | set(
                g.outs(n, "DEPICTS", label="Process")) | processes_of_steps(
                g.ins(n, "USES", "PRODUCES", label="Step")) | processes_of_steps(
                g.outs(n, "PERFORMS", label="Step"))
            if me is not None and not its & mine:
                continue
            processes = (g.ins(n, "HAS_STEP", label="Process")
                         + [p for s in g.ins(n, "USES", "PRODUCES", label="Step")
                            for p in g.ins(s, "HAS_STEP", label="Process")])
            rows.append({"label": g.first_label(n, governed), "uid": n,
                         "name": g.p(n, "name"),
                         "process": [g.p(p, "name") for p in processes]})
    return ordered(rows, ORDER["unowned-components"])


@expects("overdue-tasks", [("due", False), ("uid", False)])
def overdue_tasks(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    now = a["now"] or datetime.now().replace(microsecond=0).isoformat()
    rows = []
    for t in g.of("Task"):
        if g.p(t, "status") != "open" or not g.p(t, "due") < now:
            continue
        assignees = g.outs(t, "ASSIGNED_TO", label="Employee")
        e = assignees[0] if assignees else None
        if a["assignee"] is not None and e != a["assignee"]:
            continue
        for x in g.outs(t, "CONCERNS") or [None]:
            owners = ((g.ins(x, "RESPONSIBLE_FOR", label="Employee") if x else [])
                      or (g.ins(x, "MANAGES", label="Employee") if x else [])
                      or (g.outs(e, "REPORTS_TO", label="Employee") if e else []))
            owner = owners[0] if owners else None
            rows.append({"uid": t, "title": g.p(t, "title"), "due": g.p(t, "due"),
                         "priority": g.p(t, "priority"), "assignee": e,
                         "assignee_name": g.p(e, "name") if e else None, "about": x,
                         "about_name": (g.p(x, "name") or g.p(x, "summary") or x) if x else None,
                         "owner": owner, "owner_name": g.p(owner, "name") if owner else None})
    return ordered(rows, ORDER["overdue-tasks"])[:a["limit"]]


@expects("open-cases", [("past_target", True), ("severity", False), ("age_days", True),
                       ("uid", False)])
def open_cases(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    as_of = a["as_of"] or (date.fromisoformat(max(
        g.p(i, "at") for i in g.of("Interaction"))[:10]) + timedelta(days=1)).isoformat()
    targets = {1: 2, 2: 5, 3: 10}
    rows = []
    for x in g.of("Case"):
        if g.p(x, "status") not in ("open", "in_progress"):
            continue
        raisers = g.ins(x, "RAISED")
        parties = [r for r in raisers if g.is_a(r, "Party")] + [
            p for r in raisers if g.is_a(r, "Contact") for p in g.outs(r, "WORKS_FOR")]
        party = parties[0] if parties else None
        owners = g.ins(party, "MANAGES", label="Employee") if party else []
        assignees = g.outs(x, "ASSIGNED_TO")
        if a["owner"] is not None and a["owner"] not in owners + assignees:
            continue
        age = (date.fromisoformat(as_of) - date.fromisoformat(g.p(x, "opened_at")[:10])).days
        target = targets.get(g.p(x, "severity"), 20)
        if a["past_target_only"] and not age > target:
            continue
        rows.append({"uid": x, "name": g.p(x, "name"), "customer_uid": party,
                     "customer": g.p(party, "name"), "severity": g.p(x, "severity"),
                     "age_days": age, "past_target": age > target,
                     "account_owner_uid": owners[0] if owners else None,
                     "account_owner": g.p(owners[0], "name") if owners else None,
                     "assigned_to": [g.p(e, "name") for e in assignees],
                     "kind": g.p(x, "kind"), "status": g.p(x, "status"),
                     "opened_at": g.p(x, "opened_at"), "target_days": target})
    return ordered(rows, ORDER["open-cases"], a["limit"])


def _epoch_seconds(text: str | None) -> int | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text[:19]) if len(text) > 10 else datetime.fromisoformat(
        text[:10])
    return int(moment.replace(tzinfo=UTC).timestamp())


@expects("service-targets", [("resolution_breached", True), ("response_breached", True),
                            ("severity", False), ("uid", False)])
def service_targets(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    agreements = g.of("ServiceAgreement")
    now = _epoch_seconds(a["as_of"]) if a["as_of"] else int(datetime.now(UTC).timestamp())
    rows = []
    for x in g.of("Case"):
        status = g.p(x, "status")
        if a["case"] is not None and x != a["case"]:
            continue
        if a["open_only"] and status not in ("open", "in_progress"):
            continue
        raisers = g.ins(x, "RAISED")
        parties = [r for r in raisers if g.is_a(r, "Party")] + [
            p for r in raisers if g.is_a(r, "Contact") for p in g.outs(r, "WORKS_FOR")]
        party = parties[0] if parties else None
        owned = [s for p in parties for s in g.outs(p, "COVERED_BY")]
        fit = owned or [s for s in agreements
                        if g.p(s, "tier") is None or g.p(s, "tier") == g.p(party, "tier")]
        sev = g.p(x, "severity")
        ranked = ([f for f in fit if g.p(f, "severity") == sev and g.p(f, "tier") is not None]
                  + [f for f in fit if g.p(f, "severity") == sev]
                  + [f for f in fit if g.p(f, "severity") is None
                     and g.p(f, "tier") is not None]
                  + [f for f in fit if g.p(f, "severity") is None])
        if not ranked:
            continue
        sa = ranked[0]
        opened = _epoch_seconds(g.p(x, "opened_at"))
        responded = _epoch_seconds(g.p(x, "responded_at") or g.p(x, "closed_at"))
        resolved = (_epoch_seconds(g.p(x, "closed_at")) if status in ("resolved", "closed")
                    else None)
        response_due = opened + int(g.p(sa, "response_hours") * 3600)
        resolution_due = opened + int(g.p(sa, "resolution_hours") * 3600)
        response_over = (responded if responded is not None else now) - response_due
        resolution_over = (resolved if resolved is not None else now) - resolution_due
        response_breached, resolution_breached = response_over > 0, resolution_over > 0
        if a["breached_only"] and not (response_breached or resolution_breached):
            continue
        over = (resolution_over if resolution_breached
                else response_over if response_breached else None)
        rows.append({
            "uid": x, "case": g.p(x, "summary") or g.p(x, "name"), "customer_uid": party,
            "customer": g.p(party, "name"), "tier": g.p(party, "tier"), "severity": sev,
            "status": status, "agreement_uid": sa, "agreement": g.p(sa, "name"),
            "opened_at": g.p(x, "opened_at"), "response_due_s": response_due,
            "resolution_due_s": resolution_due, "responded": responded is not None,
            "resolved": resolved is not None, "response_breached": response_breached,
            "resolution_breached": resolution_breached,
            "target": ("resolution" if resolution_breached
                       else "response" if response_breached else None),
            "over_hours": None if over is None else math.floor(over / 360.0 + 0.5) / 10.0})
    return ordered(rows, ORDER["service-targets"], a["limit"])


@expects("warm-path", [("hops", False), ("strength", True), ("employee_uid", False)])
def warm_path(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    ties = ("RELATES_TO", "WORKS_FOR")
    rows = []

    def walk(node: str, nodes: list[str], rels: list[tuple[str, str, str, dict]]) -> None:
        for kind in ("MANAGES", "KNOWS"):
            for e, r in g.into.get((node, kind), ()):
                if not g.is_a(e, "Employee"):
                    continue
                path = rels + [(kind, e, node, r)]
                strength = math.prod(x[3].get("strength", 1.0) or 1.0 for x in path)
                chain = [*nodes, e]
                rows.append({"employee_uid": e, "employee": g.p(e, "name"),
                             "hops": len(path), "strength": cround(strength, 3),
                             "chain": chain[::-1], "names": [g.p(n, "name") for n in chain][::-1],
                             "relationships": [x[0] for x in path][::-1]})
        if len(rels) == 3:
            return
        for kind in ties:
            for other, r in g.out.get((node, kind), ()):
                if (kind, node, other) not in {x[:3] for x in rels}:
                    walk(other, [*nodes, other], [*rels, (kind, node, other, r)])
            for other, r in g.into.get((node, kind), ()):
                if (kind, other, node) not in {x[:3] for x in rels}:
                    walk(other, [*nodes, other], [*rels, (kind, other, node, r)])

    walk(a["target"], [a["target"]], [])
    return ordered(rows, ORDER["warm-path"], a["limit"])


@expects("who-touches", [("times", True), ("uid", False), ("touch", False)])
def who_touches(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    c = a["uid"]
    touches = ([(e, "account owner", None) for e in g.ins(c, "MANAGES", label="Employee")]
               + [(e, "interactions", i) for x in g.actors(c)
                  for i in g.outs(x, "HAD", label="Interaction")
                  for e in g.outs(i, "WITH", label="Employee")]
               + [(w, "cases", k) for x in g.actors(c) for k in g.outs(x, "RAISED", label="Case")
                  for w in g.outs(k, "ASSIGNED_TO")]
               + [(w, "process step", s) for s in g.outs(c, "PARTICIPATES_IN", label="Step")
                  for w in g.ins(s, "PERFORMS")])
    groups: dict[tuple, list[tuple[Any, Any]]] = defaultdict(list)
    for who, touch, item in touches:
        at = None if item is None else (g.p(item, "at") or g.p(item, "opened_at"))
        if touch == "process step":
            step = g.p(item, "name")
        else:
            steps = [] if item is None else g.outs(item, "AT_STEP", "ABOUT", label="Step")
            step = g.p(steps[0], "name") if steps else None
        groups[(who, touch)].append((at, step))
    rows = []
    for (who, touch), items in groups.items():
        departments = g.outs(who, "MEMBER_OF", label="Department")
        times = [at for at, _ in items if at is not None]
        rows.append({"uid": who, "name": g.p(who, "name"),
                     "label": g.first_label(who, ("Employee", "Department")),
                     "department": g.p(departments[0], "name") if departments
                     else g.p(who, "name"),
                     "touch": touch, "times": len(items),
                     "steps": distinct(s for _, s in items if s is not None),
                     "last": max(times, default=None)})
    return ordered(rows, ORDER["who-touches"])


def day_after_latest(g: DemoGraph, until: str | None) -> str:
    """``coalesce($until, the day after the latest interaction)``."""
    return until or (date.fromisoformat(max(
        g.p(i, "at") for i in g.of("Interaction"))[:10]) + timedelta(days=1)).isoformat()


@expects("complaint-spike", [("recent", True), ("uid", False)])
def complaint_spike(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    until = day_after_latest(g, a["until"])
    cut = (date.fromisoformat(until) - timedelta(days=a["recent_days"])).isoformat()
    start = (date.fromisoformat(until)
             - timedelta(days=a["recent_days"] + a["baseline_days"])).isoformat()
    rows = []
    for p in g.of("Product"):
        times = [g.p(i, "at") for i in g.ins(p, "ABOUT", label="Interaction")
                 if g.p(i, "kind") == "complaint" and start <= g.p(i, "at") < until]
        times += [g.p(x, "opened_at") for x in g.ins(p, "ABOUT", label="Case")
                  if g.p(x, "kind") in ("complaint", "warranty")
                  and start <= g.p(x, "opened_at") < until]
        recent = sum(t >= cut for t in times)
        usual = (len(times) - recent) * 1.0 * a["recent_days"] / a["baseline_days"]
        if recent >= a["min_complaints"] and recent >= a["factor"] * usual:
            rows.append({"uid": p, "product": g.p(p, "name"), "recent": recent,
                         "usual": cround(usual, 1), "period_end": until})
    return ordered(rows, ORDER["complaint-spike"])


@expects("decaying-relationships", [("drop", True), ("earlier_per_month", True),
                                    ("uid", False), ("employee_uid", False)])
def decaying_relationships(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    until = day_after_latest(g, a["until"])
    cut = months_before(until, a["recent_months"])
    start = months_before(until, a["recent_months"] + a["baseline_months"])
    rows = []
    for p in g.of("Party"):
        met: dict[str, list[str]] = defaultdict(list)  # employee -> times
        for i in distinct(i for x in g.actors(p) for i in g.outs(x, "HAD", label="Interaction")):
            at = g.p(i, "at")
            if not start <= at < until:
                continue
            for e in g.outs(i, "WITH", label="Employee"):
                if g.p(e, "left_on") is None or g.p(e, "left_on") > until:
                    met[e].append(at)
        for e, times in met.items():
            recent = sum(t >= cut for t in times)
            earlier = (len(times) - recent) / a["baseline_months"]
            now = recent / a["recent_months"]
            if earlier < a["min_per_month"] or earlier <= 0 or 1 - now / earlier < a["min_drop"]:
                continue
            owners = g.ins(p, "MANAGES", label="Employee")
            owner = g.p(owners[0], "name") if owners else None
            # the demo computes no KNOWS strength: no series and no warm path, so the next
            # action falls back to the account owner (tests/test_strength_series.py has both)
            door = (f", with {owner} (account owner) opening the door"
                    if owner is not None and owner != g.p(e, "name") else "")
            rows.append({"uid": p, "party": g.p(p, "name"), "employee_uid": e,
                         "employee": g.p(e, "name"), "earlier_per_month": cround(earlier, 2),
                         "recent_per_month": cround(now, 2), "drop": cround(1 - now / earlier, 2),
                         "last_contact": max(times),
                         "account_owner": owner,
                         "period_end": until, "strength_series": [], "strength_first": None,
                         "strength_now": None, "warm_path_via": None, "warm_path_knows": None,
                         "warm_path_strength": None,
                         "next_action": f"{g.p(e, 'name')}: get back in touch with "
                                        f"{g.p(p, 'name')}{door}"})
    return ordered(rows, ORDER["decaying-relationships"], a["limit"])


@expects("relationship-return", [("net", True), ("name", False)])
def relationship_return(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    since, until = a["since"], a["until"]
    campaigns = [k for k in g.of("Campaign") if since <= (g.p(k, "start") or "") < until]
    hours_of = {"visit": a["visit_hours"], "event": a["visit_hours"], "phone": a["call_hours"],
                "chat": a["call_hours"]}
    groups: dict[tuple[str, str | None], list[float]] = {}
    for c in g.of("Customer"):
        touches = distinct(i for x in g.actors(c) for i in g.outs(x, "HAD", label="Interaction")
                           if since <= g.p(i, "at") < until)
        invested = distinct(v for x in g.actors(c) for v in g.ins(x, "INVESTED_IN",
                                                                  label="Investment")
                            if since <= g.p(v, "at") < until)
        hours = sum(hours_of.get(g.p(i, "channel"), a["email_hours"]) for i in touches)
        hours += sum(g.p(v, "hours") or 0.0 for v in invested)
        share = sum((g.p(k, "cost") or 0.0) / len(g.outs(k, "TARGETS"))
                    for k in campaigns if c in g.outs(k, "TARGETS"))
        value = sum(g.p(i, "amount") or 0.0 for i in touches if g.p(i, "kind") == "purchase")
        value += sum(g.p(k, "value") or 0.0 for k in g.outs(c, "HOLDS", label="Contract")
                     if since <= (g.p(k, "start") or "") < until)
        value += sum(g.p(o, "amount") or 0.0 for o in g.outs(c, "HOLDS", label="Opportunity")
                     if g.p(o, "stage") == "won" and since <= (g.p(o, "close_date") or "") < until)
        owners = g.ins(c, "MANAGES", label="Employee")
        name = {"owner": g.p(owners[0], "name") if owners else "(no owner)",
                "segment": g.p(c, "segment") or "(no segment)"}.get(a["by"], g.p(c, "name"))
        key = (name, c if a["by"] == "party" else None)
        total = groups.setdefault(key, [0, 0.0, 0.0, 0.0, 0.0])
        for k, v in enumerate((1, hours * a["hourly_rate"],
                               sum(g.p(v, "amount") or 0.0 for v in invested), share, value)):
            total[k] += v
    rows = []
    for (name, uid), (customers, time_cost, spend, share, value) in groups.items():
        invested_total = time_cost + spend + share
        rows.append({"name": name, "uid": uid, "customers": customers,
                     "invested": cround(invested_total, 2), "time_cost": cround(time_cost, 2),
                     "spend": cround(spend, 2), "campaign_share": cround(share, 2),
                     "value": cround(value, 2), "net": cround(value - invested_total, 2),
                     "return_ratio": cround(value / invested_total, 2) if invested_total > 0
                     else None})
    return ordered(rows, ORDER["relationship-return"], a["limit"])


def _pipeline_rows(cells: dict[tuple, list], extra) -> list[Row]:
    return [{**extra(key), "stage": stage, "deals": n, "amount": cround(total, 2)}
            for (key, stage), (n, total) in cells.items()]


@expects("pipeline-by-rep", [("rep", False), ("rep_uid", False), ("stage", False)])
def pipeline_by_rep(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    cells: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
    for o in g.of("Opportunity"):
        if g.p(o, "stage") not in a["stages"]:
            continue
        for e in g.outs(o, "ASSIGNED_TO", label="Employee"):
            cell = cells[(e, g.p(o, "stage"))]
            cell[0] += 1
            cell[1] += g.p(o, "amount") or 0.0
    rows = _pipeline_rows(cells, lambda e: {"rep_uid": e, "rep": g.p(e, "name")})
    return ordered(rows, ORDER["pipeline-by-rep"])


@expects("pipeline-by-territory", [("territory", False), ("territory_uid", False),
                                   ("stage", False)])
def pipeline_by_territory(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    cells: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
    for t in g.of("Territory"):
        for party in g.outs(t, "INCLUDES", label="Party"):
            for o in g.outs(party, "HOLDS", label="Opportunity"):
                if g.p(o, "stage") in a["stages"]:
                    cell = cells[(t, g.p(o, "stage"))]
                    cell[0] += 1
                    cell[1] += g.p(o, "amount") or 0.0
    rows = _pipeline_rows(cells, lambda t: {
        "territory_uid": t, "territory": g.p(t, "name"), "kind": g.p(t, "kind"),
        "reps": [g.p(e, "name") for e in g.ins(t, "COVERS", label="Employee")]})
    return ordered(rows, ORDER["pipeline-by-territory"])


@expects("campaign-performance", [("won_revenue", True), ("uid", False)])
def campaign_performance(g: DemoGraph, a: dict[str, Any]) -> list[Row]:
    rows = []
    for c in g.of("Campaign"):
        start = g.p(c, "start") or "2000-01-01"
        if not a["since"] <= start < a["until"]:
            continue
        deals = g.outs(c, "GENERATED", label="Opportunity")
        won = [d for d in deals if g.p(d, "stage") == "won"]
        revenue = sum(g.p(d, "amount") or 0.0 for d in won)
        cost = g.p(c, "cost")
        rows.append({"uid": c, "campaign": g.p(c, "name"), "channel": g.p(c, "channel"),
                     "start": g.p(c, "start"),
                     "responses": len(g.outs(c, "GENERATED", label="Interaction")),
                     "opportunities": len(deals), "won_deals": len(won),
                     "won_revenue": cround(revenue, 2), "cost": cost,
                     "return_ratio": cround((revenue - cost) / cost, 2) if cost else None})
    return ordered(rows, ORDER["campaign-performance"], a["limit"])


#: columns whose lists have no order in the query: compared as multisets
UNORDERED = {
    "customer-360": {"account_owners", "contacts", "interactions", "open_cases", "products",
                     "steps"},
    "open-cases": {"assigned_to"},
    "pipeline-by-territory": {"reps"},
    "relationship-map": {"maps", "next", "departments", "people", "documents", "parties"},
    "similar-customers": {"shared_products"},
    "supplier-dependency": {"steps"},
    "who-touches": {"steps"},
}
#: columns that hold some of the listed values: (column, how many at most)
SAMPLES = {"customer-needs": {"examples": 3}, "unowned-components": {"process": 1}}
