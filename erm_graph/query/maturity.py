"""The evidence of the CRM maturity assessment: measures of the library, each a share (0-1)
or a rate, with the counts it came from (:mod:`erm_graph.strategy.maturity` turns them into
levels).

Periods end at the day after the latest interaction (as the at-risk query's do), so a library
loaded from last year's export is measured on its own time, not on today's. Counts that could
be inflated by the embedded engine's path multiplicity (`*0..1` hops, parallel relationships)
are made of distinct uids, deduplicated here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from erm_graph import model
from erm_graph.query.governance import has_left, today
from erm_graph.store import GraphReader


@dataclass(frozen=True)
class Measure:
    """One measure: its value (None when there is nothing to measure) and how it was got."""

    name: str
    value: float | None
    numerator: float
    denominator: int
    says: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "numerator": self.numerator,
                "denominator": self.denominator, "says": self.says}


def _share(name: str, part: float, whole: int, says: str) -> Measure:
    return Measure(name, round(part / whole, 4) if whole else None, part, whole, says)


def _count_with(store: GraphReader, name: str, match: str, condition: str,
                says: str) -> Measure:
    """The share of the nodes ``match`` binds to ``n`` for which ``condition`` holds (both
    fixed text of this module, never user input). A pattern is tested as ``size([...]) > 0``:
    this engine takes ``CASE WHEN (n)-[...]->()`` as true even when nothing matches
    (the engine caveat ``pattern-expression``)."""
    whole, part = store.run(f"MATCH {match} RETURN count(n), "
                            f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)").rows[0]
    return _share(name, part or 0, whole, says)


def period_end(store: GraphReader) -> str:
    """The day after the latest interaction (today when there is none)."""
    (latest,) = store.run("MATCH (i:Interaction) RETURN max(i.at)").rows[0]
    if not latest:
        return today()
    return (dt.date.fromisoformat(str(latest)[:10]) + dt.timedelta(days=1)).isoformat()


def _customer_touches(store: GraphReader) -> dict[str, dict[str, str]]:
    """customer uid -> {interaction uid: at}: each interaction once, had by the customer or
    one of its contacts."""
    found: dict[str, dict[str, str]] = {}
    for uid, touches in store.run(
            "MATCH (c:Customer) RETURN c.uid, "
            "[(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i:Interaction) | [i.uid, i.at]]").rows:
        found[uid] = {i: str(at) for i, at in touches}
    return found


def _interaction_measures(store: GraphReader, end: str) -> list[Measure]:
    touches = _customer_touches(store)
    customers = len(touches)
    quarter = (dt.date.fromisoformat(end) - dt.timedelta(days=90)).isoformat()
    year = (dt.date.fromisoformat(end) - dt.timedelta(days=365)).isoformat()
    touched = sum(any(quarter <= at < end for at in t.values()) for t in touches.values())
    last_year = len({i for t in touches.values() for i, at in t.items() if year <= at < end})
    rate = round(last_year / customers / 12, 4) if customers else None
    return [
        _share("customers_touched_90d", touched, customers,
               f"{MEASURES_SAY['customers_touched_90d']} (to {end})"),
        Measure("interactions_per_customer_month", rate, last_year, customers,
                f"{MEASURES_SAY['interactions_per_customer_month']} (to {end})"),
    ]


def _knowledge_measures(store: GraphReader) -> list[Measure]:
    known = {uid: set(a) | set(b) for uid, a, b in store.run(
        "MATCH (c:Customer) RETURN c.uid, [(c)<-[:MANAGES]-(e:Employee) | e.uid], "
        "[(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(:Interaction)-[:WITH]->(w:Employee) | w.uid]"
    ).rows}
    return [_share("customers_known_by_two", sum(len(e) >= 2 for e in known.values()),
                   len(known), MEASURES_SAY["customers_known_by_two"])]


def _ownership_measures(store: GraphReader, on: str) -> list[Measure]:
    components = once = 0
    for label in model.COMPONENT_LABELS:  # the model's own names, never user text
        for (owners,) in store.run(
                f"MATCH (c:{label}) RETURN [(e:Employee)-[:RESPONSIBLE_FOR]->(c) | "
                f"{{uid: e.uid, left_on: e.left_on}}]").rows:
            components += 1
            distinct = {o["uid"]: o for o in owners}
            once += len(distinct) == 1 and not any(has_left(o, on) for o in distinct.values())
    return [_share("components_owned_once", once, components,
                   f"{MEASURES_SAY['components_owned_once']} by {on} "
                   f"({', '.join(model.COMPONENT_LABELS)})")]


#: the measures made of one count each: (name, pattern binding n, condition, what it says)
_SIMPLE: tuple[tuple[str, str, str, str], ...] = (
    ("processes_mapped", "(n:Process)", "size([(n)<-[:DEPICTS]-(m:Map) | m]) > 0",
     "processes a relationship map depicts"),
    ("steps_performed", "(n:Step)", "size([(n)<-[:PERFORMS]-(p) | p]) > 0",
     "steps with a department or person performing them"),
    ("maps_with_parties", "(n:Map)",
     "size([(n)-[:DEPICTS]->(:Process)-[:HAS_STEP]->(:Step)<-[:PARTICIPATES_IN]-(x) | x]) > 0",
     "maps with an outside party around their flow"),
    ("maps_with_documents", "(n:Map)",
     "size([(n)-[:DEPICTS]->(:Process)-[:HAS_STEP]->(:Step)-[:USES|PRODUCES]->(d) | d]) > 0",
     "maps with documents below their flow"),
    ("interactions_at_step", "(n:Interaction)", "size([(n)-[:AT_STEP]->(s:Step) | s]) > 0",
     "interactions tied to the process step they happened at"),
    ("interactions_with_sentiment", "(n:Interaction)", "n.sentiment IS NOT NULL",
     "interactions whose sentiment is recorded"),
    ("customers_with_owner", "(n:Customer)", "size([(n)<-[:MANAGES]-(e:Employee) | e]) > 0",
     "customers with an account owner"),
    ("customers_surveyed", "(n:Customer)",
     "size([(n)<-[:WORKS_FOR*0..1]-()-[:GAVE]->(r:Response) | r]) > 0",
     "customers that answered a survey (themselves or a contact)"),
    ("feedback_about_product", "(n:Feedback)", "size([(n)-[:ABOUT]->(p:Product) | p]) > 0",
     "pieces of feedback tied to the product they are about"),
    ("cases_closed", "(n:Case)", "n.status IN ['resolved', 'closed']",
     "cases resolved or closed"),
    ("customers_with_strength", "(n:Customer)", "size([(n)<-[:KNOWS]-(e:Employee) | e]) > 0",
     "customers with a computed relationship strength (KNOWS)"),
)


#: every measure's name -> what it measures, in words (the docs and the evidence say this)
MEASURES_SAY: dict[str, str] = {
    **{spec[0]: spec[3] for spec in _SIMPLE},
    "customers_touched_90d": "customers with an interaction in the last 90 days",
    "interactions_per_customer_month": "interactions of customers in the last year, per "
                                       "customer and month",
    "customers_known_by_two": "customers that two or more of our employees know (account "
                              "owner, or met in an interaction)",
    "components_owned_once": "components with exactly one owner who has not left",
}
MEASURE_NAMES: tuple[str, ...] = tuple(MEASURES_SAY)


def maturity_measures(store: GraphReader, *, on: str | None = None) -> dict[str, Measure]:
    """Every measure the maturity model may name, by name."""
    on = on or today()
    end = period_end(store)
    found = [_count_with(store, *spec) for spec in _SIMPLE]
    found += _interaction_measures(store, end)
    found += _knowledge_measures(store)
    found += _ownership_measures(store, on)
    return {m.name: m for m in found}


def assessments(store: GraphReader, *, limit: int = 100) -> list[dict[str, Any]]:
    """The kept maturity assessments, newest first: when, by whom, the overall level, the
    level per area and the questionnaire's answers."""
    rows = store.run("MATCH (a:Assessment) RETURN a.uid, a.at, a.by, a.overall, a.levels, "
                     "a.answers ORDER BY a.at DESC LIMIT $limit", {"limit": limit}).rows
    return [{"uid": uid, "at": at, "by": by, "overall": overall,
             "levels": json.loads(levels or "{}"), "answers": json.loads(answers or "{}")}
            for uid, at, by, overall, levels, answers in rows]
