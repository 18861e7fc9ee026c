"""Duplicates and merges (admins and editors): the page that lists likely duplicates per label
with a merge button and the merges with an undo button, and the JSON API it calls. The same
library functions as `erm merge` (:mod:`erm_graph.identity`); merges and undos are write
events, audited as the request's user's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from erm_graph.identity import list_merges, merge_nodes, suggest_duplicates, undo_merge
from erm_graph.query.duplicates import DEDUP_LABELS
from erm_graph.web.errors import ErrorBody
from erm_graph.web.routers.pages import page

router = APIRouter()


class MergeRequest(BaseModel):
    keep: str = Field(description="uid of the record to keep")
    drop: list[str] = Field(min_length=1, max_length=100,
                            description="uids of the records merged into it")
    dry_run: bool = Field(False, description="say what would be done; write nothing")


@router.get("/merges", response_class=HTMLResponse, include_in_schema=False)
def merges_page(request: Request, label: str | None = None,
                min_score: int = Query(80, ge=0, le=100)) -> HTMLResponse:
    store = request.app.state.store
    found = suggest_duplicates(store, label or None, min_score=min_score)
    by_label: dict[str, list[dict[str, Any]]] = {}
    for suggestion in found:
        by_label.setdefault(suggestion.label, []).append(suggestion.as_dict())
    return page(request, "merges.html", by_label=by_label, merges=list_merges(store),
                labels=DEDUP_LABELS, label=label or "", min_score=min_score, active="merges")


@router.get("/api/merges/suggestions", tags=["merges"],
            summary="Likely duplicates per label, scored and explained (admins, editors)")
def get_suggestions(request: Request, label: str | None = None,
                    min_score: int = Query(80, ge=0, le=100),
                    limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    return [s.as_dict() for s in suggest_duplicates(request.app.state.store, label,
                                                    min_score=min_score, limit=limit)]


@router.get("/api/merges", tags=["merges"], summary="The merges, newest first (admins, editors)")
def get_merges(request: Request) -> list[dict[str, Any]]:
    return list_merges(request.app.state.store)


@router.post("/api/merges", tags=["merges"],
             summary="Merge records into one, as `erm merge KEEP DROP...` (admins, editors)",
             responses={404: {"model": ErrorBody,
                              "description": "a uid of the body names no record"}})
def post_merge(request: Request, body: MergeRequest) -> dict[str, Any]:
    done = merge_nodes(request.app.state.store, body.keep, body.drop, dry_run=body.dry_run)
    return done


@router.post("/api/merges/{merge_id}/undo", tags=["merges"],
             summary="Undo a merge, as `erm merge undo ID` (admins, editors)")
def post_undo(request: Request, merge_id: str) -> dict[str, Any]:
    done = undo_merge(request.app.state.store, merge_id)
    return done
