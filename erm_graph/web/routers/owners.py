"""Owners of the maps' components: set or clear one (editors and admins), and the governance
view (the enterprise's own staff; not partners: who has left is ours to know).

Owner changes go to the app's own store and are write events, audited as done by the
request's user (:mod:`erm_graph.ingest.component_owners`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from erm_graph.ingest.component_owners import clear_owner, set_owner
from erm_graph.query.governance import governance
from erm_graph.web.deps import Store

router = APIRouter(prefix="/api", tags=["owners"])

#: rows per list the governance API and page show; the totals count them all
GOVERNANCE_ROWS = 500


class Owner(BaseModel):
    employee: str = Field(description="uid of the Employee who will own the component",
                          min_length=1, max_length=1000)
    label: str | None = Field(None, description="the component's label, when its uid names "
                                                "several (a Map and the Process it depicts)")


@router.post("/nodes/{uid:uid}/owner",
             summary="Make one employee the owner of a component, replacing any owner it had "
                     "(editors)")
def post_owner(request: Request, uid: str, body: Owner) -> dict[str, Any]:
    change = set_owner(request.app.state.store, uid, body.employee, label=body.label)
    return change.as_dict()


@router.delete("/nodes/{uid:uid}/owner", summary="Leave a component with no owner (editors)")
def delete_owner(request: Request, uid: str, label: str | None = None) -> dict[str, Any]:
    change = clear_owner(request.app.state.store, uid, label=label)
    return change.as_dict()


@router.get("/governance",
            summary="Components with no owner, more than one owner, or an owner who has left")
def get_governance(store: Store, on: str | None = None) -> dict[str, Any]:
    return governance(store, on=on, limit=GOVERNANCE_ROWS).as_dict()
