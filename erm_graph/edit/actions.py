"""Quick actions: the few writes people make every day, each one step in the app.

Log an interaction with a party (notes, sentiment, product, channel); open, assign or reassign,
escalate and resolve a case; open, assign and advance an opportunity (a lead is an opportunity
at stage ``lead``). Each is one :func:`erm_graph.edit.records.save`: the record and the
relationships it gains and loses in one statement, checked by the model, one write event with
its own audit action (``interaction.log``, ``case.escalate``...) holding before and after.

An opportunity's stage history is a property of the opportunity (``stage_history``, a list of
``STAGE AT BY`` entries, oldest first), as the model keeps a case's escalation and resolution
on the case: a record's own life is its properties, relationships join records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from erm_graph import model
from erm_graph.edit.records import Change, Tie, Untie, new_uid, record, save
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, current_actor
from erm_graph.query.governance import has_left
from erm_graph.query.subgraph import GNode
from erm_graph.store import GraphStore
from erm_graph.store.base import now_iso

OPEN_CASE = ("open", "in_progress")


def _party(store: GraphStore, uid: str) -> GNode:
    node = record(store, uid)
    if not model.is_a(node.label, "Party") and node.label != "Contact":
        raise ErmError(f"{uid!r} is a {node.label}; interactions, cases and opportunities "
                       f"belong to a party (a customer, supplier...) or a contact")
    return node


def _assignee(store: GraphStore, uid: str) -> GNode:
    """An employee who is still with us, or a department."""
    node = record(store, uid)
    if node.label not in ("Employee", "Department"):
        raise ErmError(f"{uid!r} is a {node.label}; work is assigned to an Employee or a "
                       f"Department (type a name to look one up)")
    if node.label == "Employee" and has_left(node.props):
        raise ErmError(f"{node.name} ({uid}) left on {node.props['left_on']}; assign someone "
                       f"who is still with us")
    return node


def _optional(store: GraphStore, rel_type: str, uid: str | None,
              check: Callable[[GraphStore, str], GNode] = record) -> list[Tie]:
    """The record gains ``rel_type`` to ``uid`` (found by ``check``), when one is given."""
    return [Tie(rel_type, check(store, uid))] if uid else []


def _campaign(store: GraphStore, uid: str | None) -> list[Tie]:
    """The campaign ``uid`` GENERATED the new record, when one is given."""
    return [Tie("GENERATED", record(store, uid, "Campaign"), outgoing=False)] if uid else []


def _given(**values: Any) -> dict[str, Any]:
    """The values given: a form's empty fields set nothing."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


# -- interactions ------------------------------------------------------------------------------
def log_interaction(store: GraphStore, party: str, *, kind: str = "call",
                    at: str | None = None, notes: str | None = None,
                    sentiment: float | None = None, channel: str | None = None,
                    product: str | None = None, employee: str | None = None,
                    inbound: bool | None = None, campaign: str | None = None) -> Change:
    """Log an interaction the party (or contact) ``party`` had: with ``employee`` (our side),
    about ``product``, a response to ``campaign``; ``at`` defaults to now. Audited as
    ``interaction.log``."""
    who = _party(store, party)
    ties = [Tie("HAD", who, outgoing=False),
            *_optional(store, "WITH", employee, check=_assignee),
            *_optional(store, "ABOUT", product), *_campaign(store, campaign)]
    props = _given(kind=kind, at=at or now_iso(), notes=notes, sentiment=sentiment,
                   channel=channel, inbound=inbound)
    return save(store, WriteKind.INTERACTION_LOG, "Interaction", new_uid("Interaction"),
                props, ties=ties, detail={"party": party})


# -- cases -------------------------------------------------------------------------------------
def _handed(case: GNode | None, to: GNode) -> dict[str, Any]:
    """What a hand-over of ``case`` to ``to`` adds: an entry in its ``assignment_history``
    and, the first time a person takes it, ``responded_at`` (the service target's first
    response, docs/service.md)."""
    now = now_iso()
    props = case.props if case is not None else {}
    changes: dict[str, Any] = {"assignment_history": [
        *(props.get("assignment_history") or []), f"{to.uid} {now} {current_actor().name}"]}
    if to.label == "Employee" and not props.get("responded_at"):
        changes["responded_at"] = now
    return changes


def open_case(store: GraphStore, party: str, *, kind: str, summary: str | None = None,
              severity: int | None = None, product: str | None = None,
              assignee: str | None = None) -> Change:
    """Open a case the party ``party`` raised, about ``product``, assigned to ``assignee``
    when given. Audited as ``case.open``."""
    who = _party(store, party)
    handler = _assignee(store, assignee) if assignee else None
    ties = [Tie("RAISED", who, outgoing=False), *_optional(store, "ABOUT", product),
            *([Tie("ASSIGNED_TO", handler)] if handler else [])]
    props = _given(kind=kind, status="in_progress" if assignee else "open",
                   opened_at=now_iso(), summary=summary, severity=severity,
                   **(_handed(None, handler) if handler else {}))
    return save(store, WriteKind.CASE_OPEN, "Case", new_uid("Case"), props, ties=ties,
                detail={"party": party})


def _case(store: GraphStore, uid: str) -> GNode:
    node = record(store, uid, "Case")
    if node.props.get("status") not in OPEN_CASE:
        raise ErmError(f"case {uid} is {node.props.get('status')}; only an open case is "
                       f"assigned, escalated or resolved")
    return node


def assign_case(store: GraphStore, uid: str, assignee: str, *,
                detail: dict[str, Any] | None = None) -> Change:
    """Give the case ``uid`` to ``assignee`` (an employee or a department), replacing whoever
    had it (kept in its ``assignment_history``); an open case goes in progress. Audited as
    ``case.assign``."""
    case = _case(store, uid)
    to = _assignee(store, assignee)
    changes = {"status": "in_progress"} if case.props.get("status") == "open" else {}
    return save(store, WriteKind.CASE_ASSIGN, "Case", uid, {**changes, **_handed(case, to)},
                existing=case, ties=[Tie("ASSIGNED_TO", to)], unties=[Untie("ASSIGNED_TO")],
                detail=detail)


def escalate_case(store: GraphStore, uid: str, *, to: str | None = None,
                  severity: int | None = None,
                  detail: dict[str, Any] | None = None) -> Change:
    """Mark the case ``uid`` escalated, raising its ``severity`` (1 = critical) and handing
    it ``to`` someone when given. Audited as ``case.escalate``."""
    case = _case(store, uid)
    changes = _given(escalated=True, severity=severity)
    ties = _optional(store, "ASSIGNED_TO", to, check=_assignee)
    if ties:
        changes.update(_handed(case, ties[0].other))
    return save(store, WriteKind.CASE_ESCALATE, "Case", uid, changes, existing=case,
                ties=ties, unties=[Untie("ASSIGNED_TO")] if ties else [], detail=detail)


def resolve_case(store: GraphStore, uid: str, resolution: str, *,
                 article: str | None = None) -> Change:
    """Resolve the case ``uid`` with ``resolution`` (what was done), closed now; ``article``:
    the knowledge-base article used, which then SOLVES the case. Audited as
    ``case.resolve``."""
    if not (resolution or "").strip():
        raise ErmError("field 'resolution': say what was done to resolve the case")
    case = _case(store, uid)
    ties = [Tie("SOLVES", record(store, article, "Article"), outgoing=False)] if article else []
    return save(store, WriteKind.CASE_RESOLVE, "Case", uid,
                {"status": "resolved", "resolution": resolution.strip(),
                 "closed_at": now_iso()}, existing=case, ties=ties)


# -- opportunities -----------------------------------------------------------------------------
def _stage_entry(stage: str) -> str:
    return f"{stage} {now_iso()} {current_actor().name}"


def open_opportunity(store: GraphStore, party: str, *, name: str, stage: str = "lead",
                     amount: float | None = None, close_date: str | None = None,
                     product: str | None = None, assignee: str | None = None,
                     campaign: str | None = None) -> Change:
    """Open an opportunity (at stage ``lead`` unless told) that the party ``party`` holds,
    about ``product``, worked by ``assignee``, produced by ``campaign``. Audited as
    ``opportunity.open``."""
    who = _party(store, party)
    if who.label == "Contact":
        raise ErmError(f"{party!r} is a Contact; an opportunity is held by its party")
    ties = [Tie("HOLDS", who, outgoing=False), *_optional(store, "ABOUT", product),
            *_optional(store, "ASSIGNED_TO", assignee, check=_assignee),
            *_campaign(store, campaign)]
    props = _given(name=name, stage=stage, amount=amount, close_date=close_date,
                   stage_history=[_stage_entry(stage)] if stage else None)
    return save(store, WriteKind.OPPORTUNITY_OPEN, "Opportunity", new_uid("Opportunity"),
                props, ties=ties, detail={"party": party})


def _opportunity(store: GraphStore, uid: str) -> GNode:
    node = record(store, uid, "Opportunity")
    if node.props.get("stage") in ("won", "lost"):
        raise ErmError(f"opportunity {uid} is {node.props['stage']}: it is closed")
    return node


def assign_opportunity(store: GraphStore, uid: str, assignee: str) -> Change:
    """Give the opportunity ``uid`` to ``assignee``, replacing whoever worked it. Audited as
    ``opportunity.assign``."""
    deal = _opportunity(store, uid)
    return save(store, WriteKind.OPPORTUNITY_ASSIGN, "Opportunity", uid, {}, existing=deal,
                ties=[Tie("ASSIGNED_TO", _assignee(store, assignee))],
                unties=[Untie("ASSIGNED_TO")])


def advance_opportunity(store: GraphStore, uid: str, stage: str) -> Change:
    """Move the opportunity ``uid`` to ``stage`` (won and lost close it), adding the step to
    its ``stage_history``. Audited as ``opportunity.advance``."""
    deal = _opportunity(store, uid)
    if stage == deal.props.get("stage"):
        raise ErmError(f"opportunity {uid} is at stage {stage} already")
    history = list(deal.props.get("stage_history") or [])
    return save(store, WriteKind.OPPORTUNITY_ADVANCE, "Opportunity", uid,
                {"stage": stage, "stage_history": [*history, _stage_entry(stage)]},
                existing=deal)
