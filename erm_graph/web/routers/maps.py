"""Relationship maps: the list of processes, one map's laid-out data and history, restoring a
previous version of a map, editing a map (a change list saved as its next version), the
library summary."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from erm_graph.edit.maps import MAX_CHANGES, edit_map
from erm_graph.ingest.revisions import restore_map
from erm_graph.query.maps import list_maps, summary
from erm_graph.query.revisions import map_history
from erm_graph.viz.export import FORMATS, export_map, map_data
from erm_graph.web.deps import Settings, Store

router = APIRouter(prefix="/api", tags=["maps"])


@router.get("/summary", summary="The library at a glance: counts, maps, governance warnings")
def get_summary(store: Store) -> dict[str, Any]:
    return summary(store)


@router.get("/maps", summary="Every process with its map, owner and number of steps")
def get_maps(store: Store) -> list[dict[str, Any]]:
    return list_maps(store)


@router.get("/maps/{uid:uid}", summary="The relationship map of a Process or Map: its nodes "
            "(band, owner, kind, parent step, department, activity) and links")
def get_map(store: Store, uid: str) -> dict[str, Any]:
    return map_data(store, uid)  # what the page draws, and the exports too


@router.get("/maps/{uid:uid}/history", summary="The versions of a map loaded from a file, "
                                              "newest first, with what each changed")
def get_history(store: Store, uid: str) -> dict[str, Any]:
    return map_history(store, uid)


@router.get("/maps/{uid:uid}/export", summary="The map as a file for slides and print: PNG, "
            "SVG or PDF, the page's drawing with its legend (rendered by headless Chromium)",
            response_class=Response,
            responses={200: {"content": {t: {} for t in FORMATS.values()}}})
def get_export(store: Store, settings: Settings, uid: str,
               format: Literal["png", "svg", "pdf"] = "pdf") -> Response:  # noqa: A002
    data = export_map(store, uid, format, chromium=settings.chromium)
    name = re.sub(r"[^\w.-]+", "-", uid).strip("-") or "map"
    return Response(data, media_type=FORMATS[format],
                    headers={"content-disposition": f'attachment; filename="{name}.{format}"'})


class Restore(BaseModel):
    version: int = Field(ge=1, description="the version to bring back")


@router.post("/maps/{uid:uid}/restore", summary="Write a previous version of a map back, as "
                                               "its newest version (editors)")
def post_restore(request: Request, uid: str, body: Restore) -> dict[str, Any]:
    plan = restore_map(request.app.state.store, uid, body.version)
    return plan.as_dict()


class MapChanges(BaseModel):
    based_on: int = Field(ge=0, description="the version the changes were made on (0: the map "
                                            "had no history); a newer one refuses the save "
                                            "(409)")
    changes: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_CHANGES,
        description="the change list: each a `kind` (add_step, rename_step, remove_step, "
                    "add_flow, remove_flow, rename_flow, assign_performer, attach_document, "
                    "add_party, detach, set_owner) and its fields (docs/editing.md)")
    dry_run: bool = Field(False, description="check and say what would change; write nothing")


@router.post("/maps/{uid:uid}/edit", summary="Apply a change list to a map as one save, "
                                            "its next version (editors)")
def post_edit(request: Request, uid: str, body: MapChanges) -> dict[str, Any]:
    done = edit_map(request.app.state.store, uid, body.changes, based_on=body.based_on,
                    dry_run=body.dry_run)
    return done.as_dict()
