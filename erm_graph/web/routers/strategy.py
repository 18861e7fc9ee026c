"""The strategy pages and their API: CRM maturity, the same assessment as `erm assess`
(staff read it; admins, editors and the CRO answer the questionnaire and keep an assessment,
an audited write), and the target-relationship gaps of the plan ``ERM_TARGET_PLAN`` names,
as `erm targets check`, and the predicted customer lifetime value of `erm clv`
(:mod:`erm_graph.strategy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from erm_graph.errors import ErmError
from erm_graph.query.maturity import assessments
from erm_graph.query.result_cache import kept
from erm_graph.strategy import assess, clv, load_maturity_model
from erm_graph.strategy.gap_tasks import DEFAULT_LIMIT, open_gap_tasks
from erm_graph.strategy.maturity import save
from erm_graph.strategy.targets import GapReport, check_plan, read_plan
from erm_graph.strategy.tiles import panel_rows
from erm_graph.web.deps import Settings, Store
from erm_graph.web.routers.pages import page

router = APIRouter()


class GapTasks(BaseModel):
    due_in_days: int = Field(14, ge=0, le=365, description="the tasks are due this many days "
                                                          "from now")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=5000, description="most tasks opened at once")


class Answers(BaseModel):
    answers: dict[str, bool] = Field(description="question id -> yes (true) or no (false); "
                                                 "questions left out count as unanswered")


def _current(store: Store) -> dict[str, Any]:
    """The assessment now: many reads of the whole library, so it is kept until the graph
    changes (keeping an assessment is a write, which drops it)."""
    found: dict[str, Any] = kept(store, "strategy.maturity", {}, lambda: {
        **assess(store).as_json(), "history": assessments(store)})
    return found


@router.get("/maturity", response_class=HTMLResponse, include_in_schema=False)
def maturity_page(request: Request, store: Store) -> HTMLResponse:
    found = _current(store)
    return page(request, "maturity.html", found=found,
                questions=load_maturity_model().questions, active="maturity")


@router.get("/api/maturity", tags=["strategy"],
            summary="CRM maturity: the level per area with its evidence, and the kept trend")
def get_maturity(store: Store) -> dict[str, Any]:
    return _current(store)


@router.post("/api/maturity", tags=["strategy"],
             summary="Answer the questionnaire and keep the assessment (admins, editors, CRO)")
def post_maturity(request: Request, body: Answers) -> dict[str, Any]:
    store = request.app.state.store  # a write goes to the app's own store
    found = assess(store, body.answers)
    uid = save(store, found)
    return {**found.as_json(), "kept_as": uid}


def _gaps(store: Store, settings: Settings) -> GapReport | None:
    if settings.target_plan is None:
        return None
    path = Path(settings.target_plan)
    # kept until the graph or the plan file changes
    stamp = path.stat().st_mtime_ns if path.exists() else None
    report: GapReport = kept(store, "strategy.targets", {"plan": str(path), "stamp": stamp},
                             lambda: check_plan(store, read_plan(path)))
    return report


@router.get("/targets", response_class=HTMLResponse, include_in_schema=False)
def targets_page(request: Request, store: Store, settings: Settings) -> HTMLResponse:
    report = _gaps(store, settings)
    return page(request, "targets.html", report=report.as_json() if report else None,
                active="targets")


@router.get("/api/targets", tags=["strategy"],
            summary="The gaps between the target-relationship plan and the library")
def get_targets(store: Store, settings: Settings) -> dict[str, Any]:
    report = _gaps(store, settings)
    if report is None:
        return {"plan": None, "says": "no plan: set ERM_TARGET_PLAN to a plan file "
                                      "(docs/strategy.md#target-relationships)"}
    return report.as_json()


@router.post("/api/targets/tasks", tags=["strategy"],
             summary="Open a task for the account owner of each party short of its target "
                     "(admins, editors, CRO)")
def post_target_tasks(request: Request, settings: Settings, body: GapTasks) -> dict[str, Any]:
    """The gaps turned into work, as `erm targets check --open-tasks`: one task per short
    party, once for the same gaps, each audited as ``task.add``."""
    store = request.app.state.store  # a write goes to the app's own store
    report = _gaps(store, settings)  # the report the page showed, kept until the graph changes
    if report is None:
        raise ErmError("no plan: set ERM_TARGET_PLAN to a plan file "
                       "(docs/strategy.md#target-relationships)")
    return open_gap_tasks(store, report, due_in_days=body.due_in_days,
                          limit=body.limit).as_json()


@router.get("/api/clv", tags=["strategy"],
            summary="Predicted customer lifetime value (BG/NBD + Gamma-Gamma), best first")
def get_clv(store: Store, horizon: Annotated[float, Query(gt=0, le=120)] = 12.0,
            segment: Annotated[str | None, Query(max_length=200)] = None,
            limit: Annotated[int, Query(ge=1, le=5000)] = 100) -> dict[str, Any]:
    """Each customer's expected purchases and value over ``horizon`` months, with the
    interval; the fit is kept while the graph does not change (docs/strategy.md)."""
    found = clv.forecast(store, horizon=horizon, segment=segment).as_json()
    return {**found, "rows": found["rows"][:limit]}


@router.get("/api/clv/{uid:uid}", tags=["strategy"],
            summary="One customer's predicted lifetime value, its interval and inputs")
def get_customer_clv(store: Store, uid: str,
                     horizon: Annotated[float, Query(gt=0, le=120)] = 12.0) -> dict[str, Any]:
    row = clv.customer(store, uid, horizon=horizon)
    if row is None:
        return {"uid": uid, "horizon": horizon, "predicted_value": None,
                "says": "no purchases recorded: nothing to predict from"}
    return row


@router.get("/api/strategy/tiles/{name}", tags=["strategy"],
            summary="A strategy dashboard tile's rows: maturity, maturity-trend, targets, clv")
def get_strategy_tile(store: Store, settings: Settings, name: str) -> dict[str, Any]:
    return panel_rows(name, store, settings.target_plan)
