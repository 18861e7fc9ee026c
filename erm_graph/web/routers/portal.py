"""The partner portal and sharing: a partner's landing page (its record, contacts and what is
shared with it, with edit forms), and the Share control of officers and editors
(:mod:`erm_graph.edit.sharing`). A partner's edits go through ``PATCH /api/nodes/{uid}``
(:mod:`erm_graph.web.routers.edit`), which keeps them to the fields it may change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from erm_graph import model
from erm_graph.auth.roles import PARTNER_EDITABLE, PARTNER_SHARED_EDITABLE
from erm_graph.edit.sharing import share, unshare
from erm_graph.query.shares import partners, portal, shares
from erm_graph.web.deps import Store
from erm_graph.web.routers.pages import page

router = APIRouter(tags=["partners"])

Uid = Annotated[str, Query(min_length=1, max_length=1000)]


def _fields(editable: dict[str, frozenset[str]]) -> dict[str, list[dict[str, Any]]]:
    """Per key label, the fields a partner may change, as a form draws them: kind and
    choices from the model."""
    out: dict[str, list[dict[str, Any]]] = {}
    for label, names in editable.items():
        props = model.LABELS[label].props
        out[label] = [{"name": n, "kind": props[n].kind.value,
                       "choices": list(props[n].choices or ())} for n in sorted(names)]
    return out


@router.get("/api/portal", summary="A partner's portal: its record, its contacts, the "
                                   "customers, opportunities and cases shared with it, and "
                                   "the fields it may change on each")
def get_portal(request: Request, store: Store) -> dict[str, Any]:
    party = request.state.principal.party
    return {**portal(store, party), "editable": {"own": _fields(PARTNER_EDITABLE),
                                                 "shared": _fields(PARTNER_SHARED_EDITABLE)}}


@router.get("/portal", response_class=HTMLResponse, include_in_schema=False)
def portal_page(request: Request, store: Store) -> HTMLResponse:
    data = get_portal(request, store)
    name = data["party"]["name"] if data["party"] else request.state.principal.party
    return page(request, "portal.html", party=name, active="portal")


class Share(BaseModel):
    record: str = Field(min_length=1, max_length=1000,
                        description="uid of a customer (party), opportunity or case")
    partner: str = Field(min_length=1, max_length=1000, description="uid of the partner's Party")


@router.get("/api/shares", summary="The shares standing now (of one record, with one partner, "
                                   "or all) and the partners a record may be shared with")
def get_shares(store: Store, record: str | None = None,
               partner: str | None = None) -> dict[str, Any]:
    return {"shares": shares(store, record=record, partner=partner),
            "partners": partners(store)}


@router.post("/api/shares", summary="Share a customer, opportunity or case with a partner "
                                    "(officers, editors); audited as share")
def post_share(request: Request, body: Share) -> dict[str, Any]:
    return share(request.app.state.store, body.record, body.partner).as_dict()


@router.delete("/api/shares", summary="Revoke a share (officers, editors): the partner's next "
                                      "request no longer sees the record; audited as unshare")
def delete_share(request: Request, record: Uid, partner: Uid) -> dict[str, Any]:
    return unshare(request.app.state.store, record, partner).as_dict()
