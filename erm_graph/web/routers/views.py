"""Saved views (:mod:`erm_graph.auth.saved_views`): the "Saved views" page, the link that opens
one (``/views/ID``, shareable: it opens for whoever may see the view), and the JSON API the
"Save view" button of the explorer, map and queries pages calls. Every user who may view may
save; only the owner deletes; admins see every view. Saves and deletes are audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from erm_graph.auth.saved_views import MAX_NAME, MAX_NOTE, MAX_URL, SavedViews, team_of
from erm_graph.auth.users import Principal
from erm_graph.web.errors import ErrorBody
from erm_graph.web.routers.pages import page

router = APIRouter()

ViewId = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
                             description="the view's id, as in its link /views/ID")]


class ViewRequest(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME, description="what people call it")
    url: str = Field(min_length=1, max_length=MAX_URL,
                     description="the page's path and query string: /explore?..., /map/UID?..., "
                                 "/queries?name=...")
    note: str = Field("", max_length=MAX_NOTE, description="why it is worth opening again")
    shared: str = Field("team", pattern="^(team|private)$",
                        description="team: every user of your role (a partner: of your Party) "
                                    "sees it; private: only you (and admins)")


def _views(request: Request) -> tuple[SavedViews, Principal]:
    users = request.app.state.auth.users(create=True)
    return SavedViews(users.conn), request.state.principal


def _listing(request: Request) -> dict[str, Any]:
    views, principal = _views(request)
    return {"user": principal.name, "team": team_of(principal),
            "views": [v.as_dict() | {"mine": v.owner == principal.name}
                      for v in views.visible(principal)]}


@router.get("/views", response_class=HTMLResponse, include_in_schema=False)
def views_page(request: Request) -> HTMLResponse:
    return page(request, "views.html", listing=_listing(request), active="views")


@router.get("/views/{view_id}", include_in_schema=False)
def open_view(request: Request, view_id: ViewId) -> RedirectResponse:
    views, principal = _views(request)
    return RedirectResponse(views.get(principal, view_id).url, status_code=303)


@router.get("/api/views", tags=["views"],
            summary="The saved views you may open: yours, your team's (every view for admins)")
def list_views(request: Request) -> dict[str, Any]:
    return _listing(request)


@router.get("/api/views/{view_id}", tags=["views"], summary="One saved view",
            responses={404: {"model": ErrorBody, "description": "no view you may open"}})
def get_view(request: Request, view_id: ViewId) -> dict[str, Any]:
    views, principal = _views(request)
    return views.get(principal, view_id).as_dict()


@router.post("/api/views", tags=["views"], status_code=201,
             summary="Save the view of an explorer, map or queries page under a name")
def post_view(request: Request, body: ViewRequest) -> dict[str, Any]:
    views, principal = _views(request)
    return views.save(principal, body.name, body.url, note=body.note,
                      shared=body.shared).as_dict()


@router.delete("/api/views/{view_id}", tags=["views"], summary="Delete your saved view",
               responses={403: {"model": ErrorBody, "description": "not your view"},
                          404: {"model": ErrorBody, "description": "no view you may open"}})
def delete_view(request: Request, view_id: ViewId) -> dict[str, Any]:
    views, principal = _views(request)
    return {"deleted": views.delete(principal, view_id).as_dict()}
