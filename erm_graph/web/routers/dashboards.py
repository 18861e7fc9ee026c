"""Dashboards: pages of named-query tiles defined as files (:mod:`erm_graph.web.dashboard_files`).
The page lays the tiles out; its script runs each tile's query through ``/api/queries`` (so
each tile keeps to the role's rights) and draws it. A tile's ``$me`` parameters are bound here,
on the server, to the signed-in user's Employee (:mod:`erm_graph.auth.me`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from erm_graph.auth.me import signed_in_employee, unlinked_message
from erm_graph.store import GraphReader
from erm_graph.web.dashboard_files import (
    Dashboard,
    DashboardError,
    dashboard_files,
    load_dashboard,
)
from erm_graph.web.deps import Settings, Store
from erm_graph.web.routers.pages import page

router = APIRouter()
#: the page a strategy tile's title opens (erm_graph.strategy.tiles)
PANEL_PAGES = {"maturity": "/maturity", "maturity-trend": "/maturity", "targets": "/targets"}


@router.get("/dashboards", response_class=HTMLResponse, include_in_schema=False)
def dashboards_page(request: Request, settings: Settings) -> HTMLResponse:
    """Every dashboard; one whose file has a problem is listed too (its page shows what)."""
    boards: list[dict[str, Any]] = []
    for name in dashboard_files(settings.web_dashboards):
        try:
            board = load_dashboard(name, settings.web_dashboards)
        except DashboardError:
            boards.append({"name": name, "title": name, "audience": (),
                           "description": "⚠ this dashboard's file has a problem: open it to see"})
            continue
        boards.append({"name": name, "title": board.title, "audience": board.audience,
                       "description": board.description})
    return page(request, "dashboards.html", boards=boards, active="dashboards")


def _for_user(request: Request, store: GraphReader, board: Dashboard) -> dict[str, Any]:
    """The board's tiles as the signed-in user runs them: ``$me`` bound to their Employee."""
    principal = request.state.principal
    me = signed_in_employee(store, principal) if any(t.mine for t in board.tiles) else None
    unlinked = unlinked_message(principal)
    return {"me": me, "tiles": [t.for_user(me["uid"] if me else None, unlinked)
                                for t in board.tiles]}


@router.get("/dashboard/{name}", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request, settings: Settings, store: Store,
                   name: str) -> HTMLResponse:
    board = load_dashboard(name, settings.web_dashboards)
    return page(request, "dashboard.html", board=board, active="dashboards",
                mine=any(t.mine for t in board.tiles), panel_pages=PANEL_PAGES,
                **_for_user(request, store, board))


@router.get("/api/dashboards/{name}", tags=["queries"],
            summary="A dashboard's tiles: each a named query, its parameters (`$me` bound to "
                    "your employee) and its chart")
def get_dashboard(request: Request, settings: Settings, store: Store,
                  name: str) -> dict[str, Any]:
    board = load_dashboard(name, settings.web_dashboards)
    return {"name": board.name, "title": board.title, "description": board.description,
            "audience": list(board.audience), **_for_user(request, store, board)}
