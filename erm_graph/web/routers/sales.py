"""The Sales page and its API: pipeline by rep and territory, quota attainment, the
commission report of a period under the rules ``ERM_COMMISSION_RULES`` names, and campaign
performance, as `erm sales` (:mod:`erm_graph.sales`). A rep sees their own pay, a manager
their team's, the CRO and admins everyone's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from erm_graph.auth.me import signed_in_employee
from erm_graph.sales import current_quarter, overview
from erm_graph.web.deps import Settings, Store
from erm_graph.web.routers.pages import page

router = APIRouter()

PeriodQuery = Annotated[str | None, Query(
    description="a year (2026), quarter (2026-Q3) or month (2026-07); default: this quarter")]


def _overview(request: Request, store: Store, settings: Settings,
              period: str | None) -> dict[str, Any]:
    principal = request.state.principal
    me = signed_in_employee(store, principal)
    found = overview(store, period or current_quarter(), settings.commission_rules,
                     principal.role, me["uid"] if me else None)
    return {**found, "me": me}


@router.get("/sales", response_class=HTMLResponse, include_in_schema=False)
def sales_page(request: Request, store: Store, settings: Settings,
               period: PeriodQuery = None) -> HTMLResponse:
    return page(request, "sales.html", s=_overview(request, store, settings, period),
                active="sales")


@router.get("/api/sales", tags=["sales"],
            summary="Pipeline, quota attainment, commissions and campaign performance of a "
                    "period")
def get_sales(request: Request, store: Store, settings: Settings,
              period: PeriodQuery = None) -> dict[str, Any]:
    return _overview(request, store, settings, period)
