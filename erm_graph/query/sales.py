"""What sales operations read: the won opportunities with everyone who may share their
credit (their reps, the holding party's account owners, the reps covering its territories),
the quotas, and a manager's team (:mod:`erm_graph.sales` computes commissions and attainment
from them; the pipeline and campaign tables are the named queries pipeline-by-rep,
pipeline-by-territory and campaign-performance).

Every pattern comprehension names its own variables: the embedded engine mixes up two that
reuse a name (docs/queries.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from erm_graph.store import GraphReader

_WON = """
MATCH (o:Opportunity) WHERE o.stage = 'won'
  AND ((o.close_date >= $since AND o.close_date < $until)
       OR any(h IN coalesce(o.stage_history, []) WHERE h STARTS WITH 'won '
              AND substring(h, 4, 10) >= $since AND substring(h, 4, 10) < $until))
RETURN o.uid, o.name, o.amount, o.close_date, o.stage_history,
       [(o)-[:ABOUT]->(p:Product) | [p.uid, p.name, p.kind]],
       [(o)-[:ASSIGNED_TO]->(a:Employee) | [a.uid, a.name]],
       [(o)<-[:HOLDS]-(h:Party) | [h.uid, h.name]],
       [(o)<-[:HOLDS]-(:Party)<-[:MANAGES]-(m:Employee) | [m.uid, m.name]],
       [(o)<-[:HOLDS]-(:Party)<-[:INCLUDES]-(:Territory)<-[:COVERS]-(r:Employee)
          | [r.uid, r.name]]
ORDER BY o.uid
"""


@dataclass
class WonDeal:
    uid: str
    name: str
    amount: float
    #: the day it was won: its stage history's ``won`` entry, else its close date
    won_on: str | None
    party: tuple[str, str] | None
    #: (uid, name, domain) of each product it is about
    products: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: who may share its credit, by the role a commission rules file splits it by:
    #: role -> [(uid, name)], each person once
    people: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def won_day(stage_history: list[str] | None, close_date: str | None) -> str | None:
    """The day (YYYY-MM-DD) an opportunity was won: the last ``won AT BY`` entry of its stage
    history (the app writes one when it is advanced), else its close date."""
    for entry in reversed(stage_history or []):
        parts = entry.split()
        if len(parts) >= 2 and parts[0] == "won":
            return parts[1][:10]
    return close_date[:10] if close_date else None


def _people(pairs: list[list[str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((uid, name) for uid, name in pairs))


def won_deals(store: GraphReader, since: str = "0000-01-01",
              until: str = "9999-12-31") -> list[WonDeal]:
    """The won opportunities that may have been won from ``since`` up to ``until`` (days,
    YYYY-MM-DD), by uid: closed then, or with a ``won`` entry then. Their :attr:`won_on`
    says which day counts (a deal won again later has moved out)."""
    deals = []
    rows = store.run(_WON, {"since": since, "until": until}).rows
    for uid, name, amount, close, history, products, reps, held, owners, covering in rows:
        deals.append(WonDeal(
            uid=uid, name=name or uid, amount=float(amount or 0.0),
            won_on=won_day(history, close), party=tuple(held[0]) if held else None,
            products=list(dict.fromkeys(tuple(p) for p in products)),
            people={"assignee": _people(reps), "account_owner": _people(owners),
                    "territory_rep": _people(covering)}))
    return deals


@dataclass(frozen=True)
class QuotaRow:
    rep: str
    rep_name: str
    period: str
    amount: float


def quotas(store: GraphReader) -> list[QuotaRow]:
    """Every quota with its rep."""
    rows = store.run("MATCH (q:Quota)-[:QUOTA_OF]->(e:Employee) "
                     "RETURN e.uid, e.name, q.period, q.amount ORDER BY e.uid, q.period").rows
    return [QuotaRow(uid, name or uid, period, float(amount or 0.0))
            for uid, name, period, amount in rows]


def team(store: GraphReader, manager: str) -> set[str]:
    """``manager`` and everyone who reports to them, directly or further down."""
    rows = store.run("MATCH (e:Employee)-[:REPORTS_TO*1..8]->(m:Employee {uid: $uid}) "
                     "RETURN DISTINCT e.uid", {"uid": manager}).rows
    return {manager, *(r[0] for r in rows)}


def territories_of(store: GraphReader) -> dict[str, list[str]]:
    """Rep uid -> the names of the territories they cover."""
    found: dict[str, list[str]] = {}
    for rep, territory in store.run("MATCH (e:Employee)-[:COVERS]->(t:Territory) "
                                    "RETURN e.uid, t.name ORDER BY t.name").rows:
        found.setdefault(rep, []).append(territory)
    return found
