"""Designed target relationships: a plan file says how the enterprise wants chosen segments
and named accounts to relate to it; the gap analysis says, party by party, where each falls
short and what to do about it.

Start from the customers you want and how you want them to relate to you, then look at the
ones you have: a plan is written before the analysis, by the people who own the strategy::

    title: FY27 target relationships
    segments:
      - name: Enterprise manufacturers
        kind: Customer                     # a party label (default Customer)
        match: {segment: enterprise, industry: manufacturing}
        want: &strategic
          owner_roles: [account manager, CRO]   # who should own the account
          contact_every_days: 30               # some interaction at least this often
          channels: {visit: 90}                # ... and on these channels
          departments: [Sales, Technical Support]   # departments that should know them
          min_strength: 0.5                    # strongest KNOWS (erm analyze strength)
          products: [prod-0002]                # product uids they should hold
    accounts:
      - {uid: cust-000002, want: *strategic}   # a named account in the library
      - {name: Nordwind AG, want: {contact_every_days: 60}}   # a prospect, by name

Each criterion of ``want`` is checked against what the library holds
(:mod:`erm_graph.query.targets`); each one not met is a gap with the figure behind it and a
proposed action for the account's owner (or for the CRO, when there is none). A named
account that is not a customer yet gets its warm path: who of us can introduce it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from erm_graph import model
from erm_graph.analytics.warm_path import warm_path
from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.yaml_reader import read_spec
from erm_graph.query.maturity import period_end
from erm_graph.query.targets import (
    SEGMENT_KEYS,
    PartyFacts,
    parties_named,
    party_facts,
    segment_members,
)
from erm_graph.store import GraphStore

#: a plan file larger than this is not a plan
MAX_BYTES = 256_000


class TargetPlanError(ErmError):
    kind = "target_plan"


class Want(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner_roles: list[str] | None = None
    contact_every_days: int | None = Field(None, ge=1)
    channels: dict[str, int] = Field(default_factory=dict)
    departments: list[str] = Field(default_factory=list)
    min_strength: float | None = Field(None, ge=0, le=1)
    products: list[str] = Field(default_factory=list)


class SegmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    kind: str = "Customer"
    match: dict[str, Any] = Field(default_factory=dict)
    want: Want

    @model_validator(mode="after")
    def known(self) -> SegmentSpec:
        if self.kind not in (*model.PARTY_KINDS, "Party"):
            raise ValueError(f"kind {self.kind!r} is not a kind of party "
                             f"({', '.join(model.PARTY_KINDS)})")
        unknown = sorted(set(self.match) - set(SEGMENT_KEYS))
        if unknown:
            raise ValueError(f"match on {', '.join(unknown)}: a segment matches on "
                             f"{', '.join(SEGMENT_KEYS)}")
        return self


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uid: str | None = None
    name: str | None = None
    want: Want

    @model_validator(mode="after")
    def named(self) -> AccountSpec:
        if not (self.uid or self.name):
            raise ValueError("an account names its uid (in the library) or its name")
        return self


class PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = "Target relationships"
    segments: list[SegmentSpec] = Field(default_factory=list)
    accounts: list[AccountSpec] = Field(default_factory=list)


def read_plan(path: Path) -> PlanFile:
    try:
        return read_spec(path, PlanFile, MAX_BYTES)
    except LoadError as exc:
        raise TargetPlanError(str(exc)) from None


@dataclass
class Gap:
    criterion: str
    says: str
    action: str

    def as_json(self) -> dict[str, str]:
        return {"criterion": self.criterion, "says": self.says, "action": self.action}


@dataclass
class TargetCheck:
    """One party (or prospect) against what its segment or account entry wants."""

    target: str
    uid: str | None
    name: str
    owner: str | None
    met: list[str] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    warm_path: dict[str, Any] | None = None
    #: the account owner's Employee uid, who is given the task of closing the gaps
    owner_uid: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target, "uid": self.uid, "name": self.name,
                "owner": self.owner, "owner_uid": self.owner_uid, "met": self.met,
                "gaps": [g.as_json() for g in self.gaps], "warm_path": self.warm_path}


@dataclass
class GapReport:
    title: str
    period_end: str
    checks: list[TargetCheck]

    def by_target(self) -> list[dict[str, Any]]:
        """Per segment or account entry: parties, those on target, and each criterion's
        shortfall count."""
        summary: dict[str, dict[str, Any]] = {}
        for c in self.checks:
            row = summary.setdefault(c.target, {"target": c.target, "parties": 0,
                                                "on_target": 0, "short_on": {}})
            row["parties"] += 1
            row["on_target"] += not c.gaps
            for g in c.gaps:
                row["short_on"][g.criterion] = row["short_on"].get(g.criterion, 0) + 1
        return list(summary.values())

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "period_end": self.period_end,
                "targets": self.by_target(), "parties": [c.as_json() for c in self.checks]}


def _days_since(at: str | None, end: str) -> int | None:
    if at is None:
        return None
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(at[:10])).days


def _check(target: str, facts: PartyFacts, want: Want, end: str) -> TargetCheck:
    owner = facts.owners[0] if facts.owners else None
    who = owner["name"] if owner else "CRO"
    found = TargetCheck(target, facts.uid, facts.name, owner["name"] if owner else None,
                        owner_uid=owner["uid"] if owner else None)

    def judge(criterion: str, ok: bool, says: str, action: str) -> None:
        if ok:
            found.met.append(criterion)
        else:
            found.gaps.append(Gap(criterion, says, f"{who}: {action}"))

    if want.owner_roles is not None:
        roles = [o.get("role") for o in facts.owners]
        owned_by = ", ".join(f"{o['name']} ({o.get('role')})" for o in facts.owners)
        judge("owner", any(r in want.owner_roles for r in roles),
              f"owned by {owned_by}" if facts.owners else "no account owner",
              f"give {facts.name} an owner who is one of: {', '.join(want.owner_roles)}")
    if want.contact_every_days is not None:
        days = _days_since(facts.last_contact(), end)
        judge("contact", days is not None and days <= want.contact_every_days,
              "never contacted" if days is None else f"last contact {days} days ago",
              f"contact {facts.name} (target: every {want.contact_every_days} days)")
    for channel, every in want.channels.items():
        days = _days_since(facts.last_contact(channel), end)
        judge(f"channel:{channel}", days is not None and days <= every,
              f"no {channel} on record" if days is None else f"last {channel} {days} days ago",
              f"{channel} with {facts.name} (target: every {every} days)")
    missing = [d for d in want.departments if d not in facts.departments]
    if want.departments:
        judge("departments", not missing,
              f"{', '.join(missing)} {'does' if len(missing) == 1 else 'do'} not know them",
              f"introduce {facts.name} to {', '.join(missing)}")
    if want.min_strength is not None:
        strength = facts.strength
        judge("strength", strength is not None and strength >= want.min_strength,
              "no strength computed (erm analyze strength --write)" if strength is None
              else f"strongest tie {strength:.2f}",
              f"strengthen the relationship with {facts.name} to {want.min_strength:g}")
    lacking = [p for p in want.products if p not in facts.products]
    if want.products:
        judge("products", not lacking, f"does not hold {', '.join(lacking)}",
              f"offer {', '.join(lacking)} to {facts.name}")
    return found


def check_plan(store: GraphStore, plan: PlanFile) -> GapReport:
    """Every target party of ``plan`` against what it wants, with the gaps."""
    end = period_end(store)
    wanted: list[tuple[str, str, Want]] = []  # (target, uid, want)
    for seg in plan.segments:
        wanted += [(seg.name, uid, seg.want)
                   for uid in segment_members(store, seg.kind, seg.match)]
    by_name = parties_named(store, [a.name for a in plan.accounts if a.name and not a.uid])
    prospects: list[TargetCheck] = []
    for account in plan.accounts:
        uid = account.uid or by_name.get((account.name or "").lower())
        if uid is None:
            prospects.append(TargetCheck(
                account.name or "", None, account.name or "", None,
                gaps=[Gap("relationship", "not in the library: no relationship yet",
                          f"CRO: add {account.name} to the library and name its owner")]))
        else:
            wanted.append((account.name or uid, uid, account.want))
    facts = party_facts(store, sorted({uid for _, uid, _ in wanted}))
    checks = []
    for target, uid, want in wanted:
        if uid not in facts:
            checks.append(TargetCheck(target, uid, uid, None, gaps=[Gap(
                "relationship", f"no party {uid} in the library",
                f"CRO: fix the plan's uid {uid} or add the party")]))
            continue
        check = _check(target, facts[uid], want, end)
        if "Customer" not in facts[uid].kinds:
            check.warm_path = warm_path(store, uid)
        checks.append(check)
    return GapReport(plan.title, end, checks + prospects)
