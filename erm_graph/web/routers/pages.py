"""Server-rendered pages; their small scripts call the JSON API. Every view keeps its state in
the URL's query string, so a link reproduces the view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from erm_graph import model
from erm_graph.auth.web import page_context
from erm_graph.query import load_library
from erm_graph.viz.relationship_map import resolve_process
from erm_graph.viz.styles import legend
from erm_graph.web.deps import Settings, Store
from erm_graph.web.routers.maps import summary

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"),
                            context_processors=[page_context])
router = APIRouter(include_in_schema=False)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    entries = legend()
    return templates.TemplateResponse(request, name, {
        "legend": entries, "colors": {e["label"]: e["color"] for e in entries}, **context},
        status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, store: Store, settings: Settings) -> HTMLResponse:
    return page(request, "home.html", s=summary(store, settings.query_timeout),
                active="home")


@router.get("/map/{uid:uid}", response_class=HTMLResponse)
def map_page(request: Request, store: Store, settings: Settings, uid: str) -> HTMLResponse:
    process = resolve_process(store, uid, timeout=settings.query_timeout)
    return page(request, "map.html", uid=uid, process=process, active="maps")


@router.get("/explore", response_class=HTMLResponse)
def explore(request: Request, settings: Settings) -> HTMLResponse:
    return page(request, "explore.html", labels=list(model.LABELS),
                types=list(model.RELATIONSHIPS), caps=settings.as_dict(), active="explore")


@router.get("/queries", response_class=HTMLResponse)
def queries(request: Request, name: str | None = None) -> HTMLResponse:
    library = sorted((q for q in load_library() if q.read_only), key=lambda q: q.name)
    chosen = next((q for q in library if q.name == name), None)
    return page(request, "queries.html", library=library, chosen=chosen,
                values=dict(request.query_params), active="queries")


@router.get("/console", response_class=HTMLResponse)
def console(request: Request, settings: Settings, q: str = "") -> HTMLResponse:
    return page(request, "console.html", q=q, caps=settings.as_dict(), active="console")
