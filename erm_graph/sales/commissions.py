"""Commissions: the enterprise's rules, declared in a file, applied to the opportunities won
in a period, into one commission report per rep.

A rules file (the shipped example is ``commission-rules.yaml`` beside this module;
``ERM_COMMISSION_RULES`` names the enterprise's own)::

    title: FY2026 sales commissions
    currency: EUR
    rates: {product: 0.05, service: 0.08, advertising: 0.03}   # by product domain
    default_rate: 0.04       # a deal about no product, or a domain with no rate
    tiers:                   # accelerators on quota attainment, marginal like tax bands
      - {above: 0, multiplier: 1.0}
      - {above: 1.0, multiplier: 1.5}   # what is credited beyond 100 % of quota
    splits: {assignee: 70, account_owner: 20, territory_rep: 10}   # percent, sum 100

How a won deal becomes commission:

1. Its amount is shared evenly among the products it is about (as sales-by-domain shares a
   purchase); each share earns the rate of its product's domain (``kind``).
2. Each share is credited to people by ``splits``: the reps who work the deal
   (``assignee``, ASSIGNED_TO), the account owners of the party that holds it
   (``account_owner``, MANAGES) and the reps covering a territory that includes that party
   (``territory_rep``, COVERS / INCLUDES). Several people in one role share its percentage
   evenly; a role nobody fills gives its percentage to the filled ones in proportion; a deal
   with no one in any role is reported unassigned. One person in two roles gets both parts.
3. A rep's credited amounts, taken in the order the deals were won, fill their quota for the
   period: the part of a credit that falls between ``above`` x quota and the next tier's
   ``above`` x quota earns rate x that tier's multiplier. With no quota for the period, every
   credit earns the first tier's multiplier.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticError

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.yaml_reader import read_yaml_file
from erm_graph.query.sales import QuotaRow, WonDeal
from erm_graph.sales.periods import Period, period

#: the shipped example rules, used when the enterprise names none
EXAMPLE_RULES = Path(__file__).with_name("commission-rules.yaml")
#: a rules file larger than this is not a rules file
MAX_BYTES = 64_000
#: who may share a deal's credit (see the module's docstring)
SPLIT_ROLES = ("assignee", "account_owner", "territory_rep")


def _domains() -> tuple[str, ...]:
    return model.LABELS["Product"].props["kind"].choices


class CommissionRulesError(ErmError):
    kind = "commission_rules"


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    above: float = Field(ge=0, description="quota attainment (1.0 = 100 %) the tier starts at")
    multiplier: float = Field(ge=0)


class CommissionRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = "Commission rules"
    currency: str = "EUR"
    rates: dict[str, float] = Field(default_factory=dict)
    default_rate: float = Field(0.0, ge=0, le=1)
    tiers: list[Tier] = Field(default_factory=lambda: [Tier(above=0, multiplier=1.0)])
    splits: dict[str, float] = Field(default_factory=lambda: {"assignee": 100.0})

    @field_validator("rates")
    @classmethod
    def known_domains(cls, rates: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(rates) - set(_domains()))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not a product domain "
                             f"({', '.join(_domains())})")
        bad = sorted(k for k, v in rates.items() if not 0 <= v <= 1)
        if bad:
            raise ValueError(f"the rate of {', '.join(bad)} is not between 0 and 1 "
                             f"(0.05 is 5 %)")
        return rates

    @field_validator("tiers")
    @classmethod
    def ascending(cls, tiers: list[Tier]) -> list[Tier]:
        if not tiers:
            raise ValueError("give at least one tier ({above: 0, multiplier: 1})")
        if tiers[0].above != 0:
            raise ValueError("the first tier starts at above: 0")
        steps = [t.above for t in tiers]
        if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
            raise ValueError(f"each tier starts above the one before it; got {steps}")
        return tiers

    @field_validator("splits")
    @classmethod
    def whole(cls, splits: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(splits) - set(SPLIT_ROLES))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not a role a deal is split by "
                             f"({', '.join(SPLIT_ROLES)})")
        if any(v <= 0 for v in splits.values()):
            raise ValueError("each split is a percentage above 0; leave a role out instead")
        total = sum(splits.values())
        if not math.isclose(total, 100.0, abs_tol=1e-9):
            raise ValueError(f"the splits add up to {total:g} %, not 100 %")
        return splits

    def rate(self, domain: str | None) -> float:
        return self.rates.get(domain or "", self.default_rate)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line (from 1) of the deepest node of ``loc`` the document has."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def read_rules(path: Path | None = None) -> CommissionRules:
    """The rules of the file ``path`` (the shipped example when None); a
    :class:`CommissionRulesError` names the file, and the line and field of each mistake."""
    path = path or EXAMPLE_RULES
    try:
        raw = read_yaml_file(path, MAX_BYTES)
    except (LoadError, OSError) as exc:
        raise CommissionRulesError(f"commission rules: {exc}") from None
    try:
        return CommissionRules.model_validate(raw if raw is not None else {})
    except PydanticError as exc:
        text = path.read_text(encoding="utf-8", errors="replace")
        problems = []
        for e in exc.errors():
            loc = tuple(e["loc"])
            line = _line_of(text, loc)
            where = f"line {line}, " if line else ""
            name = ".".join(map(str, loc)) or "the file"
            message = e["msg"].removeprefix("Value error, ")
            problems.append(f"{where}{name}: {message}")
        raise CommissionRulesError(f"{path}: " + "; ".join(problems)) from None


# -- the computation ---------------------------------------------------------------------------
@dataclass
class Line:
    """One credit: a rep's part of one product share of one won deal."""

    deal: str
    deal_name: str
    won_on: str
    product: str | None
    domain: str | None
    role: str
    share: float  # percent of the product share credited to this rep
    credited: float
    rate: float
    multiplier: float  # the effective one: a credit crossing a tier boundary blends two
    commission: float


@dataclass
class RepCommission:
    rep: str
    name: str
    quota: float | None
    credited: float = 0.0
    commission: float = 0.0
    lines: list[Line] = field(default_factory=list)

    @property
    def attainment(self) -> float | None:
        return self.credited / self.quota if self.quota else None

    def as_json(self) -> dict[str, Any]:
        return {"rep": self.rep, "name": self.name, "quota": self.quota,
                "credited": round(self.credited, 2), "attainment": _ratio(self.attainment),
                "commission": round(self.commission, 2),
                "lines": [{**asdict(line), "credited": round(line.credited, 2),
                           "commission": round(line.commission, 2),
                           "multiplier": round(line.multiplier, 4)} for line in self.lines]}


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class CommissionReport:
    period: str
    rules: str
    currency: str
    reps: list[RepCommission]
    #: won deals of the period with no one in any role of the splits
    unassigned: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"period": self.period, "rules": self.rules, "currency": self.currency,
                "reps": [r.as_json() for r in self.reps], "unassigned": self.unassigned}


def period_quotas(quotas: list[QuotaRow], wanted: Period) -> dict[str, float]:
    """Rep -> their quota for ``wanted``: the quota written for exactly that period, else the
    quotas whose periods lie inside it, added up (a year's quota is its quarters' when it has
    no yearly one). A rep with neither has no entry."""
    exact: dict[str, float] = {}
    inside: dict[str, float] = {}
    for q in quotas:
        if q.period == wanted.name:
            exact[q.rep] = exact.get(q.rep, 0.0) + q.amount
        elif _inside(q.period, wanted):
            inside[q.rep] = inside.get(q.rep, 0.0) + q.amount
    return {**inside, **exact}


def _inside(name: str, wanted: Period) -> bool:
    """Whether the quota period ``name`` lies inside ``wanted``; a quota whose period is
    written wrong counts for no period."""
    try:
        return period(name).within(wanted)
    except ErmError:
        return False


def _credits(deal: WonDeal, rules: CommissionRules) -> list[tuple[str, str, str, float]]:
    """(rep uid, rep name, role, percent of the deal) for everyone who shares it."""
    filled = {role: pct for role, pct in rules.splits.items() if deal.people.get(role)}
    total = sum(filled.values())
    credits = []
    for role, pct in filled.items():
        people = deal.people[role]
        for uid, name in people:
            credits.append((uid, name, role, pct / total * 100 / len(people)))
    return credits


def _tiered(start: float, credit: float, quota: float | None, rules: CommissionRules,
            ) -> float:
    """The multiplier-weighted amount of a credit from ``start`` to ``start + credit`` on the
    rep's way through their quota: the commission is this times the rate."""
    if not quota:
        return credit * rules.tiers[0].multiplier
    weighted = 0.0
    for i, tier in enumerate(rules.tiers):
        low = tier.above * quota
        high = rules.tiers[i + 1].above * quota if i + 1 < len(rules.tiers) else math.inf
        part = min(start + credit, high) - max(start, low)
        if part > 0:
            weighted += part * tier.multiplier
    return weighted


def compute(deals: list[WonDeal], quotas: list[QuotaRow], rules: CommissionRules,
            wanted: Period, reps: set[str] | None = None) -> CommissionReport:
    """The commission report of ``wanted`` from the won ``deals``; only the reps in ``reps``
    when given (a deal's split is still worked out over everyone who shares it)."""
    by_rep: dict[str, RepCommission] = {}
    quota = period_quotas(quotas, wanted)
    unassigned = []
    # in the order the deals were won: each credit fills the rep's quota from where the
    # earlier ones left it
    for deal in sorted(deals, key=lambda d: (d.won_on or "", d.uid)):
        if not wanted.holds(deal.won_on):
            continue
        credits = _credits(deal, rules)
        if not credits:
            unassigned.append(deal.uid)
            continue
        shares: list[tuple[str | None, str | None]] = (
            [(uid, kind) for uid, _, kind in deal.products] or [(None, None)])
        for rep, rep_name, role, pct in credits:
            if reps is not None and rep not in reps:
                continue
            owed = by_rep.setdefault(rep, RepCommission(rep, rep_name, quota.get(rep)))
            for product, domain in shares:
                credited = deal.amount / len(shares) * pct / 100
                rate = rules.rate(domain)
                weighted = _tiered(owed.credited, credited, owed.quota, rules)
                multiplier = weighted / credited if credited else rules.tiers[0].multiplier
                owed.lines.append(Line(deal.uid, deal.name, deal.won_on or "", product,
                                       domain, role, round(pct, 4), credited, rate,
                                       multiplier, weighted * rate))
                owed.credited += credited
                owed.commission += weighted * rate
    names = {q.rep: q.rep_name for q in quotas}
    for rep, amount in quota.items():  # a quota and nothing won: 0 % reached
        if rep not in by_rep and (reps is None or rep in reps):
            by_rep[rep] = RepCommission(rep, names[rep], amount)
    ordered = sorted(by_rep.values(), key=lambda r: (-r.commission, r.name, r.rep))
    return CommissionReport(wanted.name, rules.title, rules.currency, ordered, unassigned)

