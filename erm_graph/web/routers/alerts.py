"""The inbox: the alerts watch rules fired for the signed-in user's role or name
(:mod:`erm_graph.watch`), read and marked read. Staff only: a partner has no inbox."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from erm_graph.auth import alerts as inbox
from erm_graph.query.explore import NotFound
from erm_graph.web.errors import ErrorBody
from erm_graph.web.routers.pages import page

router = APIRouter()


def _conn(request: Request) -> sqlite3.Connection:
    users = request.app.state.auth.users(create=True)
    return users.conn


def _mine(request: Request, include_cleared: bool) -> list[dict[str, Any]]:
    who = request.state.principal
    return inbox.inbox(_conn(request), who.name, who.role, include_cleared=include_cleared)


@router.get("/inbox", response_class=HTMLResponse, include_in_schema=False)
def inbox_page(request: Request, all: bool = False) -> HTMLResponse:  # noqa: A002
    return page(request, "inbox.html", alerts=_mine(request, all), all=all, active="inbox")


@router.get("/api/alerts", tags=["alerts"],
            summary="My alerts, newest first: those of rules that tell my role or me (staff)")
def get_alerts(request: Request, all: bool = False) -> list[dict[str, Any]]:  # noqa: A002
    return _mine(request, all)


@router.post("/api/alerts/{alert_id}/read", tags=["alerts"],
             summary="Mark one of my alerts read (staff)",
             responses={404: {"model": ErrorBody, "description": "no such alert of mine"}})
def post_read(request: Request,
              alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> dict[str, Any]:
    who = request.state.principal
    if not inbox.mark_read(_conn(request), who.name, who.role, alert_id):
        raise NotFound(f"no alert {alert_id} in your inbox")
    return {"id": alert_id, "read": True}
