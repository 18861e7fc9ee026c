"""The account page of one party (customer, supplier, partner, financier, government): who
owns it, its people, its open cases first, its deals, a filterable timeline, its products, its
value and risk with their reasons, warm introductions, the maps it takes part in, similar
customers and cross-sell.

Each section is bounded (:data:`SECTION_ROWS`, the timeline pages by :data:`TIMELINE_ROWS`)
and says how many there are in all, so the page can tell what it has not shown. Value, risk,
warm paths, similar customers and cross-sell are the named queries' own (``lifetime-value``,
``at-risk-customers``, ``warm-path``, ``similar-customers``, ``cross-sell``): one formula
each, whether a user reads it here, on the queries page or in a notebook.

On a partner's store (:mod:`erm_graph.auth.scope`) every statement keeps to the scope inside
its MATCH (:func:`within`) before its LIMIT, SKIP and counts, and the sections that are our
own judgement of the party or rest on other parties (value, risk, warm paths, similar
customers, cross-sell) are left out.
"""

from __future__ import annotations

from typing import Any

from erm_graph.auth.me import signed_in_employee
from erm_graph.auth.scope import scope_of, within
from erm_graph.auth.users import Principal
from erm_graph.errors import ErmError
from erm_graph.query.explore import NotFound, find_node
from erm_graph.query.named import run_query
from erm_graph.query.result_cache import RESULTS
from erm_graph.store import GraphStore

#: rows of each section (owners, team, contacts, ties, cases, deals, products, steps)
SECTION_ROWS = 10
#: interactions on one page of the timeline, newest first
TIMELINE_ROWS = 25
#: rows of the warm paths, similar customers and cross-sell
SUGGESTIONS = 5
OPEN = ["open", "in_progress"]
HEAD = "MATCH (n:Party {uid: $uid}) "
#: the party and its contacts, whose interactions and cases are the party's
PEOPLE = "MATCH (n)<-[:WORKS_FOR*0..1]-(w) "


def _counted(store: GraphStore, var: str) -> str:
    """A partner's count rows carry the uids they count: its store drops rows naming none."""
    return f", collect(DISTINCT {var}.uid) AS counted_uid" if scope_of(store) is not None else ""


def _rows(store: GraphStore, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    result = store.run(cypher, params)
    return [{k: v for k, v in rec.items() if k != "counted_uid"} for rec in result.records()]


def _count(store: GraphStore, match: str, var: str, params: dict[str, Any]) -> int:
    rows = store.run(f"{match} RETURN count(DISTINCT {var}){_counted(store, var)}", params).rows
    return int(rows[0][0]) if rows else 0


def is_party(labels: list[str]) -> bool:
    return "Party" in labels


def party_node(store: GraphStore, uid: str) -> Any:
    """The party ``uid``; a clear error for a uid that is something else."""
    node = find_node(store, uid)
    if not is_party(node.labels):
        raise NotFound(f"{uid!r} is a {node.label}, not a party (customer, supplier, partner, "
                       f"financier, government); open it in the explorer: /explore?focus={uid}")
    return node


def _people(store: GraphStore, p: dict[str, Any]) -> dict[str, Any]:
    owners = _rows(store, HEAD + f"MATCH (e:Employee)-[:MANAGES]->(n) WHERE {within(store, 'e')} "
                   f"RETURN e.uid AS uid, e.name AS name, e.role AS role, e.email AS email "
                   f"ORDER BY name, uid LIMIT $rows", p)
    team_match = (HEAD + PEOPLE + "MATCH (w)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee) "
                  f"WHERE {within(store, 'i', 'e')}")
    team = _rows(store, team_match + " RETURN e.uid AS uid, e.name AS name, "
                 "count(DISTINCT i) AS interactions, max(i.at) AS last "
                 "ORDER BY interactions DESC, uid LIMIT $rows", p)
    contact_match = HEAD + f"MATCH (k:Contact)-[:WORKS_FOR]->(n) WHERE {within(store, 'k')}"
    contacts = _rows(store, contact_match + " RETURN k.uid AS uid, k.name AS name, "
                     "k.title AS title, k.email AS email, k.phone AS phone "
                     "ORDER BY name, uid LIMIT $rows", p)
    ties_match = HEAD + f"MATCH (n)-[r:RELATES_TO]-(o:Party) WHERE {within(store, 'o')}"
    ties = _rows(store, ties_match + " RETURN o.uid AS uid, o.name AS name, "
                 "[l IN labels(o) WHERE l <> 'Party'] AS kinds, r.kind AS kind, "
                 "CASE WHEN startNode(r) = n THEN 'out' ELSE 'in' END AS direction "
                 "ORDER BY kind, name, uid LIMIT $rows", p)
    # the strength of each team member's KNOWS tie over time (erm analyze strength --write):
    # our judgement of the party, not shown on a partner's store
    series = {} if scope_of(store) is not None else {
        r["uid"]: r for r in _rows(store, HEAD + "MATCH (e:Employee)-[k:KNOWS]->(n) "
                                   "WHERE e.uid IN $team RETURN e.uid AS uid, "
                                   "k.strength AS strength, k.strength_series AS series",
                                   {**p, "team": [t["uid"] for t in team]})}
    for t in team:
        tie = series.get(t["uid"]) or {}
        t["strength"], t["strength_series"] = tie.get("strength"), tie.get("series") or []
    return {
        "owners": {"rows": owners, "count": _count(store, HEAD + "MATCH (e:Employee)-[:MANAGES]"
                                                   f"->(n) WHERE {within(store, 'e')}", "e", p)},
        "team": {"rows": team, "count": _count(store, team_match, "e", p)},
        "contacts": {"rows": contacts, "count": _count(store, contact_match, "k", p)},
        "ties": {"rows": ties, "count": _count(store, ties_match, "o", p)},
    }


def _cases(store: GraphStore, p: dict[str, Any]) -> dict[str, Any]:
    match = HEAD + PEOPLE + f"MATCH (w)-[:RAISED]->(x:Case) WHERE {within(store, 'x')}"
    rows = _rows(store, match + " WITH DISTINCT x RETURN x.uid AS uid, x.name AS name, "
                 "x.kind AS kind, x.status AS status, x.severity AS severity, "
                 "x.opened_at AS opened_at, x.closed_at AS closed_at, x.escalated AS escalated, "
                 "x.status IN $open AS open, "
                 f"[(x)-[:ABOUT]->(d:Product) WHERE {within(store, 'd')} "
                 "| {uid: d.uid, name: d.name}] AS products, "
                 f"[(x)-[:ASSIGNED_TO]->(a) WHERE (a:Employee OR a:Department) "
                 f"AND {within(store, 'a')} | {{uid: a.uid, name: a.name}}] AS assigned_to, "
                 "CASE WHEN x.status IN $open THEN 0 ELSE 1 END AS rank "
                 "ORDER BY rank, severity, opened_at DESC, uid LIMIT $rows", p)
    for row in rows:
        row.pop("rank")
    counts = store.run(match + " WITH DISTINCT x RETURN count(x), "
                       "sum(CASE WHEN x.status IN $open THEN 1 ELSE 0 END)"
                       + _counted(store, "x"), p).rows
    total, open_ = (int(counts[0][0]), int(counts[0][1] or 0)) if counts else (0, 0)
    return {"rows": rows, "count": total, "open": open_}


def _deals(store: GraphStore, p: dict[str, Any]) -> dict[str, Any]:
    match = (HEAD + "MATCH (n)-[:HOLDS]->(d) WHERE (d:Opportunity OR d:Contract) AND "
             f"{within(store, 'd')}")
    rows = _rows(store, match + " RETURN d.uid AS uid, d.name AS name, "
                 "CASE WHEN d:Contract THEN 'Contract' ELSE 'Opportunity' END AS kind, "
                 "d.stage AS stage, coalesce(d.amount, d.value) AS amount, "
                 "d.close_date AS close_date, d.start AS start, d.end AS end, "
                 f"[(d)-[:ABOUT]->(x:Product) WHERE {within(store, 'x')} "
                 "| {uid: x.uid, name: x.name}] AS products, "
                 "CASE WHEN d:Opportunity AND NOT d.stage IN ['won', 'lost'] THEN 0 "
                 "WHEN d:Contract THEN 1 ELSE 2 END AS rank "
                 "ORDER BY rank, amount DESC, uid LIMIT $rows", p)
    for row in rows:
        row.pop("rank")
    return {"rows": rows, "count": _count(store, match, "d", p)}


#: the timeline's filters: each condition is fixed text, its value a parameter
_TIMELINE_FILTERS = {"kind": "i.kind = $kind", "channel": "i.channel = $channel",
                     "since": "i.at >= $since", "until": "i.at < $until"}


def _timeline_where(store: GraphStore, p: dict[str, Any]) -> str:
    """Only the conditions of the filters given: FalkorDB plans a chain of
    ``($x IS NULL OR ...)`` conditions many times slower than the same WHERE without them."""
    parts = [within(store, "i")] + [c for k, c in _TIMELINE_FILTERS.items() if p[k]]
    where = "WHERE " + " AND ".join(parts)
    if p["product"]:  # a pattern in a WHERE is refused by FalkorDB: the products are read first
        where += (" WITH w, i, [(i)-[:ABOUT]->(pf:Product) | pf.uid] AS about "
                  "WHERE $product IN about")
    return where


def timeline(store: GraphStore, uid: str, *, kind: str | None = None,
             channel: str | None = None, product: str | None = None, since: str | None = None,
             until: str | None = None, offset: int = 0,
             limit: int = TIMELINE_ROWS) -> dict[str, Any]:
    """One page of the party's and its contacts' interactions, newest first, filtered by
    kind, channel, product (uid) and date (``since`` <= at < ``until``, ISO text); ``count``
    is how many pass the filter, ``kinds`` and ``channels`` what the filters may choose."""
    p = {"uid": uid, "kind": kind or None, "channel": channel or None,
         "product": product or None, "since": since or None, "until": until or None,
         "skip": max(0, offset), "limit": max(0, min(limit, 100))}
    match = (HEAD + PEOPLE + "MATCH (w)-[:HAD]->(i:Interaction) " + _timeline_where(store, p))
    rows = _rows(store, match + " WITH i, collect(DISTINCT {uid: w.uid, name: w.name, "
                 "labels: labels(w)}) AS who "
                 "RETURN i.uid AS uid, i.at AS at, i.kind AS kind, i.channel AS channel, "
                 "i.sentiment AS sentiment, i.amount AS amount, who, "
                 f"[(i)-[:WITH]->(e:Employee) WHERE {within(store, 'e')} "
                 "| {uid: e.uid, name: e.name}] AS staff, "
                 f"[(i)-[:ABOUT]->(d:Product) WHERE {within(store, 'd')} "
                 "| {uid: d.uid, name: d.name}] AS products, "
                 f"[(i)-[:AT_STEP]->(s:Step) WHERE {within(store, 's')} "
                 "| {uid: s.uid, name: s.name}] AS steps "
                 "ORDER BY at DESC, uid SKIP $skip LIMIT $limit", p)
    facets = store.run(HEAD + PEOPLE + f"MATCH (w)-[:HAD]->(i:Interaction) "
                       f"WHERE {within(store, 'i')} RETURN i.kind, i.channel, count(DISTINCT i)"
                       + _counted(store, "i"), p).rows
    return {"rows": rows, "count": _count(store, match, "i", p), "offset": p["skip"],
            "limit": p["limit"],
            "filters": {k: p[k] for k in ("kind", "channel", "product", "since", "until")},
            "kinds": sorted({k for k, *_ in facets if k}),
            "channels": sorted({c for _, c, *_ in facets if c})}


def _products(store: GraphStore, p: dict[str, Any]) -> dict[str, Any]:
    """Products held (contracts, opportunities), bought (purchases) and asked about (other
    interactions and cases), one row each: held or bought first, then by how often."""
    rows = store.run(
        HEAD + f"MATCH (n)-[:HOLDS]->(d)-[:ABOUT]->(x:Product) WHERE {within(store, 'd', 'x')} "
        "RETURN x.uid AS uid, x.name AS name, 'held' AS how, count(DISTINCT d) AS times "
        "UNION ALL " + HEAD + PEOPLE + "MATCH (w)-[:HAD]->(i:Interaction)-[:ABOUT]->(x:Product) "
        f"WHERE {within(store, 'i', 'x')} RETURN x.uid AS uid, x.name AS name, "
        "CASE WHEN i.kind = 'purchase' THEN 'bought' ELSE 'asked' END AS how, "
        "count(DISTINCT i) AS times "
        "UNION ALL " + HEAD + PEOPLE + "MATCH (w)-[:RAISED]->(c:Case)-[:ABOUT]->(x:Product) "
        f"WHERE {within(store, 'c', 'x')} RETURN x.uid AS uid, x.name AS name, 'cases' AS how, "
        "count(DISTINCT c) AS times", p).records()
    by_uid: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_uid.setdefault(r["uid"], {"uid": r["uid"], "name": r["name"], "held": 0,
                                             "bought": 0, "asked": 0, "cases": 0})
        entry[r["how"]] += r["times"]
    ordered = sorted(by_uid.values(), key=lambda e: (
        not (e["held"] or e["bought"]), -(e["held"] + e["bought"] + e["asked"] + e["cases"]),
        e["name"] or "", e["uid"]))
    return {"rows": ordered[:SECTION_ROWS], "count": len(ordered)}


def _steps(store: GraphStore, p: dict[str, Any]) -> dict[str, Any]:
    """The steps the party takes part in (PARTICIPATES_IN) or meets us at (its interactions'
    AT_STEP), with their processes and maps."""
    found = store.run(
        HEAD + f"MATCH (n)-[r:PARTICIPATES_IN]->(s:Step) WHERE {within(store, 's')} "
        "RETURN s.uid AS uid, r.role AS role, 0 AS interactions "
        "UNION ALL " + HEAD + PEOPLE + "MATCH (w)-[:HAD]->(i:Interaction)-[:AT_STEP]->(s:Step) "
        f"WHERE {within(store, 'i', 's')} RETURN s.uid AS uid, null AS role, "
        "count(DISTINCT i) AS interactions", p).records()
    steps: dict[str, dict[str, Any]] = {}
    for r in found:
        entry = steps.setdefault(r["uid"], {"uid": r["uid"], "role": None, "interactions": 0})
        entry["role"] = entry["role"] or r["role"]
        entry["interactions"] += r["interactions"]
    ordered = sorted(steps.values(), key=lambda e: (e["role"] is None, -e["interactions"],
                                                    e["uid"]))[:SECTION_ROWS]
    details = {r["uid"]: r for r in _rows(
        store, f"UNWIND $steps AS u MATCH (s:Step {{uid: u}}) WHERE {within(store, 's')} "
        "RETURN s.uid AS uid, s.name AS name, "
        f"[(pr:Process)-[:HAS_STEP]->(s) WHERE {within(store, 'pr')} "
        "| {uid: pr.uid, name: pr.name}] AS processes, "
        f"[(m:Map)-[:DEPICTS]->(:Process)-[:HAS_STEP]->(s) WHERE {within(store, 'm')} "
        "| {uid: m.uid, name: m.name}] AS maps",
        {"steps": [e["uid"] for e in ordered]})}
    rows = [{**e, **details.get(e["uid"], {"name": None, "processes": [], "maps": []})}
            for e in ordered]
    maps: dict[str, dict[str, Any]] = {}
    for row in rows:
        for m in row["maps"]:
            maps.setdefault(m["uid"], {**m, "steps": 0})["steps"] += 1
    return {"rows": rows, "count": len(steps), "maps": sorted(maps.values(),
                                                               key=lambda m: m["uid"])}


def _one(store: GraphStore, name: str, params: dict[str, Any]) -> dict[str, Any] | None:
    records = run_query(store, name, params).records()
    return records[0] if records else None


def value(store: GraphStore, uid: str) -> dict[str, Any] | None:
    """The customer's lifetime value with the parts it adds up (``lifetime-value``)."""
    row = _one(store, "lifetime-value", {"uid": uid, "limit": 1})
    if row is None:
        return {"value": 0.0, "query": "lifetime-value", "reasons": [
            "no purchases, contracts or won opportunities are recorded"]}
    reasons = [f"purchase revenue {row['purchase_revenue']:,.2f} from {row['purchases']} "
               f"purchase(s), {(row['first_purchase'] or '-')[:10]} to "
               f"{(row['last_purchase'] or '-')[:10]}"
               f" ({row['active_months']} active month(s))",
               f"contract value {row['contract_value']:,.2f}",
               f"won opportunities {row['won_value']:,.2f}",
               f"open pipeline {row['open_pipeline']:,.2f} (not counted until won)"]
    return {**{k: v for k, v in row.items() if k not in ("uid", "name", "segment")},
            "query": "lifetime-value", "reasons": reasons}


#: the day after the latest interaction: ``at-risk-customers``' default end of its period
PERIOD_END = ("MATCH (i:Interaction) "
              "RETURN toString(date(substring(max(i.at), 0, 10)) + duration({days: 1}))")


def period_end(store: GraphStore) -> str | None:
    """``at-risk-customers``' default ``until``, the same for every customer: a scan of every
    interaction, so it is read once and kept while the graph does not change (the profile of
    the account page found it was a third of the page's first request)."""
    rows = RESULTS.run(store, PERIOD_END, {}, lambda: store.run(PERIOD_END)).rows
    return rows[0][0] if rows else None


def risk(store: GraphStore, uid: str) -> dict[str, Any] | None:
    """The customer's churn risk with the signals it weighs (``at-risk-customers``)."""
    row = _one(store, "at-risk-customers", {"uid": uid, "min_risk": 0, "limit": 1,
                                            "until": period_end(store)})
    if row is None:
        return None
    reasons = [f"interactions per month fell from {row['earlier_per_month']} to "
               f"{row['recent_per_month']} (drop {row['drop']})"
               if row["drop"] else
               f"interactions per month held: {row['earlier_per_month']} before, "
               f"{row['recent_per_month']} recently",
               f"{row['open_complaints']} open complaint case(s)",
               f"average survey score {row['avg_score']} of 10" if row["avg_score"] is not None
               else "no survey answers"]
    return {**{k: v for k, v in row.items() if k not in ("uid", "name", "segment",
                                                         "account_owner")},
            "query": "at-risk-customers", "reasons": reasons}


def warm_paths(store: GraphStore, uid: str, employee: str | None) -> dict[str, Any]:
    """Chains for a warm introduction (``warm-path``), from ``employee`` when given."""
    rows = run_query(store, "warm-path", {"target": uid, "employee": employee,
                                          "limit": SUGGESTIONS}).records()
    return {"from": employee, "query": "warm-path", "rows": [
        {"employee_uid": r["employee_uid"], "employee": r["employee"], "hops": r["hops"],
         "strength": r["strength"],
         "chain": [{"uid": u, "name": nm} for u, nm in zip(r["chain"], r["names"], strict=True)],
         "relationships": r["relationships"]} for r in rows]}


def similar(store: GraphStore, uid: str, segment: Any, industry: Any,
            product_names: dict[str, str]) -> dict[str, Any]:
    """Customers most like this one (``similar-customers``), each with why."""
    rows = run_query(store, "similar-customers", {"uid": uid, "limit": SUGGESTIONS}).records()
    out = []
    for r in rows:
        why = [f"also bought {', '.join(product_names.get(u, u) for u in r['shared_products'])}"]
        if r["segment"] is not None and r["segment"] == segment:
            why.append(f"same segment ({segment})")
        if r["industry"] is not None and r["industry"] == industry:
            why.append(f"same industry ({industry})")
        out.append({"uid": r["uid"], "name": r["name"], "score": r["score"], "reasons": why})
    return {"query": "similar-customers", "rows": out}


def cross_sell(store: GraphStore, uid: str) -> dict[str, Any]:
    rows = run_query(store, "cross-sell", {"uid": uid, "limit": SUGGESTIONS}).records()
    return {"query": "cross-sell", "rows": [
        {"uid": r["product_uid"], "name": r["product"], "score": r["score"],
         "reasons": [f"bought by {r['peers_who_bought']} of its most similar customers"]}
        for r in rows]}


#: the sections of an account, in the page's order; ``people`` is the owners, team, contacts
#: and ties. The last two weigh a customer against every other: the page asks for them apart.
SECTIONS = ("people", "cases", "deals", "timeline", "products", "steps", "value", "risk",
            "warm_paths", "similar", "cross_sell")
#: what a partner never gets: our judgement of its party, and other parties
NOT_FOR_PARTNERS = ("value", "risk", "warm_paths", "similar", "cross_sell")


def _wanted(sections: list[str] | None) -> list[str]:
    if not sections:
        return list(SECTIONS)
    for name in sections:
        if name not in SECTIONS:
            raise ErmError(f"unknown account section {name!r}; choose from {', '.join(SECTIONS)}")
    return list(sections)


def account(store: GraphStore, uid: str, *, viewer: Principal | str | None = None,
            employee: str | None = None, sections: list[str] | None = None,
            **timeline_filters: Any) -> dict[str, Any]:
    """What the account page shows about the party ``uid``: the ``sections`` asked for
    (:data:`SECTIONS`, all by default).

    ``viewer``, the signed-in user (or a user name), picks the Employee the warm paths start
    from (:func:`erm_graph.auth.me.signed_in_employee`); ``employee`` (a uid) chooses
    another. ``timeline_filters`` are :func:`timeline`'s keywords.

    >>> account(store, "cust-000002")["cases"]["rows"][0]["open"]  # doctest: +SKIP
    True
    """
    want = _wanted(sections)
    node = party_node(store, uid)
    p = {"uid": uid, "rows": SECTION_ROWS, "open": OPEN}
    kinds = [lab for lab in node.labels if lab != "Party"]
    customer = "Customer" in kinds
    out: dict[str, Any] = {"uid": uid, "name": node.name, "kinds": kinds, "label": node.label,
                           "properties": node.props}
    if "people" in want:
        out.update(_people(store, p))
    facts_of = {"cases": lambda: _cases(store, p), "deals": lambda: _deals(store, p),
                "timeline": lambda: timeline(store, uid, **timeline_filters),
                "products": lambda: _products(store, p), "steps": lambda: _steps(store, p)}
    out.update({name: build() for name, build in facts_of.items() if name in want})
    judged = [name for name in NOT_FOR_PARTNERS if name in want]
    if scope_of(store) is not None:
        # our own judgement of the party, and other parties: not a partner's to read
        out.update(dict.fromkeys(judged))
        return out
    if "warm_paths" in want:
        if isinstance(viewer, str):
            viewer = Principal(viewer, "")
        me = signed_in_employee(store, viewer)
        if employee:
            chosen = find_node(store, employee)
            if chosen.label != "Employee":
                raise ErmError(f"warm paths start from an employee; {employee!r} is a "
                               f"{chosen.label}")
            me = {"uid": chosen.uid, "name": chosen.name}
        out["warm_paths"] = {**warm_paths(store, uid, me["uid"] if me else None), "employee": me}
    if "similar" in want:
        names = {r["uid"]: r["name"] for r in (out.get("products") or _products(store, p))["rows"]}
        out["similar"] = similar(store, uid, node.props.get("segment"),
                                 node.props.get("industry"), names) if customer else None
    scores = {"value": lambda: value(store, uid), "risk": lambda: risk(store, uid),
              "cross_sell": lambda: cross_sell(store, uid)}
    out.update({name: build() if customer else None
                for name, build in scores.items() if name in want})
    return out
