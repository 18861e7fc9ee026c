"""The purchase history a customer-base model is fitted on (``erm clv``,
:mod:`erm_graph.strategy.clv`): each customer's purchase days with what was spent on each.

What counts as a purchase (docs/strategy.md, "Lifetime value, forward-looking"):

* an Interaction of kind ``purchase`` with an ``amount`` above zero, of the customer or of one
  of its contacts (as in ``lifetime-value``), on the day of its ``at``;
* a won Opportunity of the customer with an ``amount`` above zero and a ``close_date``, on
  that day.

Contracts are left out: a contract's value comes by its terms, not by the customer choosing to
buy again, which is what a repeat-purchase model describes (the historical value still counts
them). Purchases of one customer on one day are one transaction, their amounts added: the
models count buying occasions, and an order split over several records is one occasion.
"""

from __future__ import annotations

from typing import Any

from erm_graph.query.account import period_end
from erm_graph.store import GraphStore

_FILTERS = ("($segment IS NULL OR c.segment = $segment) AND ($uid IS NULL OR c.uid = $uid) "
            "AND day >= $since AND day < $until ")
PURCHASES = (
    "MATCH (c:Customer)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i:Interaction) "
    "WHERE i.kind = 'purchase' AND i.amount > 0 "
    "WITH c, substring(i.at, 0, 10) AS day, i.amount AS amount "
    f"WHERE {_FILTERS}"
    "RETURN c.uid AS uid, c.name AS name, day, sum(amount) AS amount "
    "UNION ALL "
    "MATCH (c:Customer)-[:HOLDS]->(o:Opportunity) "
    "WHERE o.stage = 'won' AND o.amount > 0 AND o.close_date IS NOT NULL "
    "WITH c, substring(toString(o.close_date), 0, 10) AS day, o.amount AS amount "
    f"WHERE {_FILTERS}"
    "RETURN c.uid AS uid, c.name AS name, day, sum(amount) AS amount")


def purchase_days(store: GraphStore, *, until: str, since: str = "0000-01-01",
                  segment: str | None = None, uid: str | None = None
                  ) -> dict[str, dict[str, Any]]:
    """Per customer uid: its ``name`` and ``days``, {"YYYY-MM-DD": amount spent that day}, for
    the purchases from ``since`` to the day before ``until``."""
    params = {"since": since, "until": until, "segment": segment, "uid": uid}
    out: dict[str, dict[str, Any]] = {}
    for row in store.run(PURCHASES, params).records():
        entry = out.setdefault(row["uid"], {"name": row["name"], "days": {}})
        days = entry["days"]
        days[row["day"]] = days.get(row["day"], 0.0) + float(row["amount"])
    return out


def observation_end(store: GraphStore) -> str | None:
    """The day after the latest interaction: the history ends there (the at-risk query's and
    the target check's end too), so a forecast on last month's export starts from that
    month."""
    return period_end(store)
