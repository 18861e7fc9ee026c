"""Which neighbours of a record matter first: the order the explorer loads and lists them in.

A relationship officer opening a customer wants its owner and its open complaints, not its
latest calls: a customer may have hundreds of interactions and one owner. So a node's
neighbours come in tiers (:data:`TIERS`), and within a tier the most recent first:

0. ownership and management: the account owner (MANAGES), a component's owner
   (RESPONSIBLE_FOR), who handles a record (ASSIGNED_TO), line managers (REPORTS_TO);
1. open cases (status open or in progress);
2. people and commitments: contacts and the party a contact works for, opportunities and
   contracts;
3. everything else: parties, departments, products, steps, processes, documents;
4. past activity: interactions, survey responses, feedback, closed cases.

The rule is one Cypher expression (:func:`rank_expression`) over the relationship ``r`` and
the neighbour ``m``, built from the model's names and passed values (:func:`rank_params`), so
the engine orders before SKIP and LIMIT and a page is the next page of one order.
"""

from __future__ import annotations

from typing import Any

#: the statuses of a case still being worked on
OPEN_CASE = ("open", "in_progress")
#: what each tier holds, for people (the groups table, the docs)
TIERS = ("owner and management", "open case", "people and commitments", "related",
         "past activity")
OWNERSHIP_TYPES = ("MANAGES", "RESPONSIBLE_FOR", "ASSIGNED_TO", "REPORTS_TO")
PEOPLE_TYPES = ("WORKS_FOR", "HOLDS")
PEOPLE_LABELS = ("Contact", "Opportunity", "Contract")
ACTIVITY_LABELS = ("Interaction", "Response", "Feedback")
#: the properties that date a record, most telling first; the first one a node has counts
WHEN_PROPS = ("at", "opened_at", "close_date", "start", "since", "sent_at")


def rank_expression(r: str = "r", m: str = "m") -> str:
    """The tier (0-4) of the neighbour ``m`` reached by ``r``; the variable names are the
    caller's own Cypher, never a user's."""
    return (f"CASE WHEN 'Case' IN labels({m}) "
            f"THEN CASE WHEN {m}.status IN $open_case THEN 1 ELSE 4 END "
            f"WHEN type({r}) IN $ownership_types THEN 0 "
            f"WHEN type({r}) IN $people_types "
            f"OR any(l IN labels({m}) WHERE l IN $people_labels) THEN 2 "
            f"WHEN any(l IN labels({m}) WHERE l IN $activity_labels) THEN 4 ELSE 3 END")


def recency_expression(m: str = "m") -> str:
    """When ``m`` happened (a string; '' when undated, so undated records sort last in a
    descending order on either engine)."""
    return f"coalesce({', '.join(f'{m}.{p}' for p in WHEN_PROPS)}, '')"


def rank_params() -> dict[str, Any]:
    """The values :func:`rank_expression` reads."""
    return {"open_case": list(OPEN_CASE), "ownership_types": list(OWNERSHIP_TYPES),
            "people_types": list(PEOPLE_TYPES), "people_labels": list(PEOPLE_LABELS),
            "activity_labels": list(ACTIVITY_LABELS)}


def group_rank(rtype: str, label: str, open_cases: int) -> int:
    """The tier of a whole (relationship type, label) group of neighbours, for the order of
    the explorer's "around the centre" table: as :func:`rank_expression` would rank its most
    important member."""
    if label == "Case":
        return 1 if open_cases else 4
    if rtype in OWNERSHIP_TYPES:
        return 0
    if rtype in PEOPLE_TYPES or label in PEOPLE_LABELS:
        return 2
    return 4 if label in ACTIVITY_LABELS else 3
