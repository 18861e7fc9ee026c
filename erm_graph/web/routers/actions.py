"""Quick actions (:mod:`erm_graph.edit.actions`): log an interaction, open a case or an
opportunity from an account page; assign, escalate and resolve a case; assign and advance an
opportunity. For the staff who work accounts (permission ``work``); each is a write event
audited as done by the request's user, on the app's own store.

Fields take uids; the pages fill them from a look-up by name (``erm.typeahead``). Where the
employee on our side is left out, it is the signed-in user's own Employee record (the one
whose uid or e-mail is the user's name), when there is one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from erm_graph.auth.me import signed_in_employee
from erm_graph.edit import actions

router = APIRouter(prefix="/api", tags=["actions"])

Uid = Field(None, min_length=1, max_length=1000)


def _me(request: Request) -> str | None:
    found = signed_in_employee(request.app.state.store, request.state.principal)
    return found["uid"] if found else None


class Interaction(BaseModel):
    kind: str = Field("call", max_length=40, description="call, meeting, email, complaint...")
    notes: str | None = Field(None, max_length=20_000)
    sentiment: float | None = Field(None, description="-1 (angry) .. 1 (delighted)")
    channel: str | None = Field(None, max_length=40)
    product: str | None = Uid
    employee: str | None = Field(None, min_length=1, max_length=1000,
                                 description="our side [default: your own Employee record]")
    at: str | None = Field(None, max_length=40, description="when [default: now]")
    inbound: bool | None = None
    campaign: str | None = Field(None, min_length=1, max_length=1000,
                                 description="the campaign it responds to (GENERATED)")


@router.post("/accounts/{uid:uid}/interactions",
             summary="Log an interaction the party had, with notes (audited as "
                     "interaction.log)")
def post_interaction(request: Request, uid: str, body: Interaction) -> dict[str, Any]:
    values = body.model_dump()
    values["employee"] = body.employee or _me(request)
    return actions.log_interaction(request.app.state.store, uid, **values).as_dict()


class NewCase(BaseModel):
    kind: str = Field(max_length=40, description="service, warranty or complaint")
    summary: str | None = Field(None, max_length=5000)
    severity: int | None = Field(None, description="1 = critical .. 4")
    product: str | None = Uid
    assignee: str | None = Uid


@router.post("/accounts/{uid:uid}/cases",
             summary="Open a case the party raised (audited as case.open)")
def post_case(request: Request, uid: str, body: NewCase) -> dict[str, Any]:
    return actions.open_case(request.app.state.store, uid, **body.model_dump()).as_dict()


class NewOpportunity(BaseModel):
    name: str = Field(min_length=1, max_length=500)
    stage: str = Field("lead", max_length=40)
    amount: float | None = None
    close_date: str | None = Field(None, max_length=10)
    product: str | None = Uid
    assignee: str | None = Uid
    campaign: str | None = Field(None, min_length=1, max_length=1000,
                                 description="the campaign that produced it (GENERATED)")


@router.post("/accounts/{uid:uid}/opportunities",
             summary="Open an opportunity or lead the party holds (audited as "
                     "opportunity.open)")
def post_opportunity(request: Request, uid: str, body: NewOpportunity) -> dict[str, Any]:
    return actions.open_opportunity(request.app.state.store, uid,
                                    **body.model_dump()).as_dict()


class Assignment(BaseModel):
    assignee: str = Field(min_length=1, max_length=1000,
                          description="uid of an Employee or a Department")


@router.post("/cases/{uid:uid}/assign",
             summary="Assign or reassign a case (audited as case.assign)")
def post_case_assign(request: Request, uid: str, body: Assignment) -> dict[str, Any]:
    return actions.assign_case(request.app.state.store, uid, body.assignee).as_dict()


class Escalation(BaseModel):
    to: str | None = Field(None, min_length=1, max_length=1000,
                           description="hand it to this Employee or Department too")
    severity: int | None = Field(None, description="its new severity, 1 = critical")


@router.post("/cases/{uid:uid}/escalate", summary="Escalate a case (audited as case.escalate)")
def post_case_escalate(request: Request, uid: str, body: Escalation) -> dict[str, Any]:
    return actions.escalate_case(request.app.state.store, uid, to=body.to,
                                 severity=body.severity).as_dict()


class Resolution(BaseModel):
    resolution: str = Field(max_length=5000, description="what was done")
    article: str | None = Field(None, min_length=1, max_length=1000,
                                description="the knowledge-base article used (it then "
                                            "SOLVES the case)")


@router.post("/cases/{uid:uid}/resolve", summary="Resolve a case (audited as case.resolve)")
def post_case_resolve(request: Request, uid: str, body: Resolution) -> dict[str, Any]:
    return actions.resolve_case(request.app.state.store, uid, body.resolution,
                                article=body.article).as_dict()


@router.post("/opportunities/{uid:uid}/assign",
             summary="Assign an opportunity or lead (audited as opportunity.assign)")
def post_opportunity_assign(request: Request, uid: str, body: Assignment) -> dict[str, Any]:
    return actions.assign_opportunity(request.app.state.store, uid, body.assignee).as_dict()


class Stage(BaseModel):
    stage: str = Field(max_length=40, description="lead, qualified, proposal, won or lost")


@router.post("/opportunities/{uid:uid}/advance",
             summary="Move an opportunity to another stage, kept in its stage history "
                     "(audited as opportunity.advance)")
def post_opportunity_advance(request: Request, uid: str, body: Stage) -> dict[str, Any]:
    return actions.advance_opportunity(request.app.state.store, uid, body.stage).as_dict()
