"""Server-rendered pages; their small scripts call the JSON API. Every view keeps its state in
the URL's query string, so a link reproduces the view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from erm_graph import model
from erm_graph.auth.roles import ROLE_TITLES, allowed
from erm_graph.auth.web import page_context
from erm_graph.edit.records import editable_label, record
from erm_graph.query.governance import governance
from erm_graph.query.maps import resolve_process, summary
from erm_graph.query.revisions import map_history
from erm_graph.settings import Settings as AppSettings
from erm_graph.viz.styles import legend
from erm_graph.web.deps import Settings, Store
from erm_graph.web.forms import fields
from erm_graph.web.routers.cypher import runnable
from erm_graph.web.routers.owners import GOVERNANCE_ROWS

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"),
                            context_processors=[page_context])
templates.env.filters["role_title"] = lambda role: ROLE_TITLES.get(role, role)
router = APIRouter(include_in_schema=False)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    entries = legend()
    return templates.TemplateResponse(request, name, {
        "legend": entries, "colors": {e["label"]: e["color"] for e in entries}, **context},
        status_code=status_code)


def browser_caps(settings: AppSettings) -> dict[str, float]:
    """The limits the pages show and the explorer's script keeps to (it pages below them)."""
    return {"query_timeout": settings.query_timeout, "row_cap": settings.web_row_cap,
            "neighbor_cap": settings.web_neighbor_cap, "node_cap": settings.web_node_cap}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, store: Store) -> HTMLResponse:
    return page(request, "home.html", s=summary(store), active="home")


@router.get("/map/{uid:uid}", response_class=HTMLResponse)
def map_page(request: Request, store: Store, uid: str) -> HTMLResponse:
    process = resolve_process(store, uid)
    principal = getattr(request.state, "principal", None)
    return page(request, "map.html", uid=uid, process=process, active="maps",
                history=map_history(store, process.uid),
                may_restore=principal is not None and allowed(principal.role, "load"),
                may_edit=principal is not None and allowed(principal.role, "records"))


@router.get("/governance", response_class=HTMLResponse)
def governance_page(request: Request, store: Store) -> HTMLResponse:
    return page(request, "governance.html", g=governance(store, limit=GOVERNANCE_ROWS),
                labels=model.COMPONENT_LABELS, active="governance")


@router.get("/explore", response_class=HTMLResponse)
def explore(request: Request, settings: Settings) -> HTMLResponse:
    return page(request, "explore.html", labels=list(model.LABELS),
                types=list(model.RELATIONSHIPS), caps=browser_caps(settings), active="explore")


@router.get("/queries", response_class=HTMLResponse)
def queries(request: Request, name: str | None = None) -> HTMLResponse:
    library = runnable(request.state.principal.role)
    chosen = next((q for q in library if q.name == name), None)
    return page(request, "queries.html", library=library, chosen=chosen,
                fields=fields(chosen) if chosen else [],
                values=dict(request.query_params), active="queries")


@router.get("/new/{label}", response_class=HTMLResponse)
def new_record(request: Request, label: str) -> HTMLResponse:
    """A form for a new record of any label of the model (the same checks as `erm add`)."""
    editable_label(label)
    return page(request, "record.html", label=label, uid=None, record_name="", active="record",
                labels=[name for name in model.LABELS if name not in model.BOOKKEEPING_LABELS])


@router.get("/edit/{uid:uid}", response_class=HTMLResponse)
def edit_record(request: Request, store: Store, uid: str,
                label: str | None = None) -> HTMLResponse:
    """The form of one record: its properties, its relationships, removal."""
    node = record(store, uid, label)
    return page(request, "record.html", label=node.label, uid=uid, record_name=node.name,
                active="record", labels=[])


@router.get("/console", response_class=HTMLResponse)
def console(request: Request, settings: Settings, q: str = "") -> HTMLResponse:
    return page(request, "console.html", q=q, caps=browser_caps(settings), active="console")
