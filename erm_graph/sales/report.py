"""The sales operations view one person may see: the pipeline by rep and by territory (the
named queries), quota attainment and the commission report of a period.

Commissions and attainment are pay: a rep sees their own, a manager their team's (everyone
who REPORTS_TO them, further down too), and the roles in :data:`SEES_EVERY_REP` everyone's.
A user who is not linked to an Employee (`erm users link`) sees no one's. The pipeline is
open to everyone who may open the page: it is the team's shared work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erm_graph.query import sales as reads
from erm_graph.query.named import run_query
from erm_graph.sales.commissions import CommissionReport, compute, read_rules
from erm_graph.sales.periods import Period, period
from erm_graph.store import GraphStore

#: the roles that see every rep's commissions and attainment
SEES_EVERY_REP: frozenset[str] = frozenset({"admin", "cro"})
OPEN_STAGES = ("lead", "qualified", "proposal")


def visible_reps(store: GraphStore, role: str, employee: str | None) -> set[str] | None:
    """The reps whose pay ``role`` (signed in as ``employee``) may see; None: everyone."""
    if role in SEES_EVERY_REP:
        return None
    return reads.team(store, employee) if employee else set()


def commissions(store: GraphStore, when: str | Period, rules: Path | None = None,
                reps: set[str] | None = None) -> CommissionReport:
    """The commission report of the period ``when`` under the rules file ``rules`` (the
    shipped example when None), for ``reps`` only when given."""
    wanted = period(when) if isinstance(when, str) else when
    return compute(reads.won_deals(store, wanted.since, wanted.until), reads.quotas(store),
                   read_rules(rules), wanted, reps)


def pipeline(store: GraphStore, by: str = "rep", stages: tuple[str, ...] | None = None,
             role: str | None = None) -> list[dict[str, Any]]:
    """The pipeline by ``rep`` or ``territory`` and stage (open stages unless told)."""
    name = {"rep": "pipeline-by-rep", "territory": "pipeline-by-territory"}[by]
    return run_query(store, name, {"stages": list(stages or OPEN_STAGES)},
                     role=role).records()


def by_stage(rows: list[dict[str, Any]], key: str, name: str) -> list[dict[str, Any]]:
    """Pipeline rows (one per ``key`` and stage) folded into one row per ``key``: its
    ``name``, ``stages`` (stage -> deals and amount) and totals, in the rows' order."""
    folded: dict[str, dict[str, Any]] = {}
    for r in rows:
        row = folded.setdefault(r[key], {"key": r[key], "name": r[name], "reps": r.get("reps"),
                                         "stages": {}, "deals": 0, "amount": 0.0})
        row["stages"][r["stage"]] = {"deals": r["deals"], "amount": r["amount"]}
        row["deals"] += r["deals"]
        row["amount"] = round(row["amount"] + (r["amount"] or 0.0), 2)
    return list(folded.values())


def attainment(report: CommissionReport) -> list[dict[str, Any]]:
    """Quota attainment per rep of a commission report: quota, credited, share reached."""
    return [{"rep": r.rep, "name": r.name, "quota": r.quota, "credited": round(r.credited, 2),
             "attainment": None if r.attainment is None else round(r.attainment, 4)}
            for r in report.reps]


def overview(store: GraphStore, when: str, rules: Path | None, role: str,
             employee: str | None) -> dict[str, Any]:
    """Everything the sales page shows ``role`` (signed in as ``employee``) for ``when``."""
    wanted = period(when)
    reps = visible_reps(store, role, employee)
    report = commissions(store, wanted, rules, reps)
    return {"period": wanted.name, "since": wanted.since, "until": wanted.until,
            "sees": "every rep" if reps is None else ("no rep: this user is not linked to "
                                                      "an employee" if not reps else
                                                      "your own" if len(reps) == 1 else
                                                      "your team's"),
            "stages": list(OPEN_STAGES),
            "pipeline_by_rep": by_stage(pipeline(store, "rep", role=role), "rep_uid", "rep"),
            "pipeline_by_territory": by_stage(pipeline(store, "territory", role=role),
                                              "territory_uid", "territory"),
            "campaigns": run_query(store, "campaign-performance", role=role).records(),
            "territories": reads.territories_of(store),
            "attainment": attainment(report), "commissions": report.as_json()}
