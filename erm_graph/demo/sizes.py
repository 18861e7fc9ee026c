"""How many of each record a demo size holds.

A size is a name from :data:`SIZES` or an approximate node count. :func:`plan` turns it into a
:class:`Plan`: the counts of the random bulk, and how large the planted clusters must be to
stand out against that bulk (the facts themselves do not depend on the size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from erm_graph.demo import facts

#: Approximate node counts of the named sizes (large also has ~5 million relationships).
SIZES: dict[str, int] = {"small": 2_000, "medium": 100_000, "large": 1_000_000}

#: Nodes of the library and the planted facts, roughly; the bulk fills the rest.
_FIXED_NODES = 400
#: Share of the bulk per record kind.
_WEIGHTS = {
    "customers": 6.0, "suppliers": 1.0, "partners": 0.6, "financiers": 0.3,
    "governments": 0.2, "contacts": 8.0, "interactions": 50.0, "cases": 5.0,
    "responses": 9.0, "feedback": 6.0, "opportunities": 3.0, "contracts": 2.0,
}
#: Fewest of each kind, so every relationship the facts compare against exists at any size.
_MINIMUM = {
    "customers": 40, "suppliers": 24, "partners": 5, "financiers": 3, "governments": 3,
    "contacts": 40, "interactions": 300, "cases": 40, "responses": 60, "feedback": 40,
    "opportunities": 20, "contracts": 12,
}

#: Shares the activity generator uses; the planted clusters are sized from them.
CUSTOMER_SHARE = 0.8  # of interactions and cases, the rest are with other parties
COMPLAINT_SHARE = 0.06  # of customer interactions
COMPLAINT_AT_SUPPORT = 0.6  # of complaint interactions; the rest are at service
COMPLAINT_CASE_SHARE = 0.4  # of cases
NEED_SHARE = 0.25  # of feedback
SEGMENT_COUNT = 4


@dataclass(frozen=True)
class Plan:
    """Counts of one demo size. Party and record counts are the random bulk only."""

    nodes: int
    employees: int
    customers: int
    suppliers: int
    partners: int
    financiers: int
    governments: int
    contacts: int
    interactions: int
    cases: int
    responses: int
    feedback: int
    opportunities: int
    contracts: int
    campaigns: int
    targets: int  # parties each campaign targets
    spike_interactions: int
    spike_cases: int
    needs: int

    @property
    def other_parties(self) -> int:
        return self.suppliers + self.partners + self.financiers + self.governments


def nodes_of(size: str | int) -> int:
    """The approximate node count a size names; an unknown name lists the known ones."""
    if isinstance(size, bool) or not isinstance(size, str | int):
        raise ValueError(f"size must be one of {', '.join(SIZES)} or a node count, not {size!r}")
    if isinstance(size, int):
        if size < 1:
            raise ValueError(f"size must be a positive node count, not {size}")
        return size
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown demo size {size!r}: use one of {', '.join(SIZES)} "
                         "or a node count") from None


def plan(size: str | int) -> Plan:
    """The counts for ``size`` (a name from :data:`SIZES` or an approximate node count)."""
    n = nodes_of(size)
    employees = max(40, n // 50)
    bulk = max(0, n - _FIXED_NODES - employees)
    total = sum(_WEIGHTS.values())
    count = {k: max(_MINIMUM[k], round(bulk * w / total)) for k, w in _WEIGHTS.items()}
    campaigns = max(4, n // 2000)
    targets = min(count["customers"], max(10, round(1.2 * n / campaigns)))
    products = 20
    months = 22
    # expected random records in the spike's (product, step, month) cell; interactions are
    # about 1.5 products on average, half the cases name a step
    per_cell = (count["interactions"] * CUSTOMER_SHARE * COMPLAINT_SHARE * COMPLAINT_AT_SUPPORT
                * 1.5 / products / months)
    case_cell = count["cases"] * CUSTOMER_SHARE * COMPLAINT_CASE_SHARE * 0.5 / products / months
    need_cell = count["feedback"] * NEED_SHARE / products / SEGMENT_COUNT
    return Plan(
        nodes=n, employees=employees, campaigns=campaigns, targets=targets,
        spike_interactions=facts.COMPLAINT_SPIKE.min_interactions + 4 * math.ceil(per_cell),
        spike_cases=facts.COMPLAINT_SPIKE.min_cases + 4 * math.ceil(case_cell),
        needs=facts.CUSTOMER_NEEDS.min_feedback + 4 * math.ceil(need_cell),
        **count)
