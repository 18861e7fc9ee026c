"""Writes from the web: edit one node's properties, load one uploaded file. Both are audited.

Edits and loads go to the app's own store (writes never pass through a partner's scoped
store); a partner edits only the contact details of its own Party and of the Contacts that
work for it (:data:`erm_graph.auth.roles.PARTNER_EDITABLE`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from erm_graph import model
from erm_graph.auth import acting_as
from erm_graph.auth.roles import check_partner_edit
from erm_graph.auth.scope import forget_scopes
from erm_graph.auth.web import audited_write, client_ip
from erm_graph.errors import ErmError, ValidationError
from erm_graph.ingest.load import prepare
from erm_graph.ingest.source import LoadOptions
from erm_graph.web.deps import Node, Settings

router = APIRouter(prefix="/api", tags=["edit"])

#: an uploaded file's name: a plain name, no folder, no leading dot
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,199}$")


class Edit(BaseModel):
    properties: dict[str, Any] = Field(description="property name -> new value (null clears)")


@router.patch("/nodes/{uid:uid}", summary="Change properties of one node (editors; partners: "
                                      "the contact details of their own Party and Contacts)")
def patch_node(request: Request, uid: str, node: Node, body: Edit) -> dict[str, Any]:
    principal = request.state.principal
    key = model.label(node.label).key_label if node.label in model.LABELS else node.label
    if principal.role == "partner":
        check_partner_edit(key, set(body.properties))
    spec = model.label(node.label)
    allowed = set(spec.props) | {"name"}
    bad = sorted(set(body.properties) - allowed)
    if bad or not body.properties:
        raise ErmError(f"cannot edit {', '.join(bad) or 'nothing'} on a {node.label}; editable: "
                       f"{', '.join(sorted(allowed))}")
    props = {k: v for k, v in node.props.items() if k not in model.SYSTEM_PROPS}
    props.update(body.properties)
    props["uid"] = uid
    row = {k: v for k, v in props.items() if v is not None}
    problems = model.node_problems(node.label, [row], where="edit")
    if problems:
        raise ValidationError(problems)
    before = {k: node.props.get(k) for k in body.properties}
    store = request.app.state.store
    with audited_write(request, "edit", uid, detail={"label": node.label, "before": before,
                                                     "after": body.properties}):
        counts = store.upsert_nodes(node.label, [row])
    forget_scopes()
    return {"uid": uid, "updated": counts.updated, "unchanged": counts.unchanged}


@router.post("/load", summary="Load one uploaded file (editors); the same checks as `erm load`")
def post_load(request: Request, settings: Settings,
              file: Annotated[UploadFile, File(description="the file to load")],
              format: Annotated[str, Form()] = "auto",
              dry_run: Annotated[bool, Form()] = False,
              map_name: Annotated[str | None, Form(
                  alias="map",
                  description="name of the map: the prefix of its uids (as erm load --map); "
                              "needed when another file wrote a map of the same name")] = None,
              ) -> dict[str, Any]:
    name = file.filename or ""
    if not SAFE_NAME.fullmatch(name) or ".." in name:
        raise ErmError(f"file name {name!r} refused: send a plain file name (letters, digits, "
                       f". _ - ( ) and spaces), no folders")
    principal = request.state.principal
    store = request.app.state.store
    with tempfile.TemporaryDirectory(prefix="erm-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(file.file.read(settings.max_body_bytes + 1))
        with acting_as(principal.name, f"web {client_ip(request)} upload {name}"), \
                _named_as_sent(folder):
            # read in a worker process, stopped at the time limit: never in this one
            with request.app.state.load_slots.taken():
                prepared = prepare(store, [path], fmt=format,
                                   options=LoadOptions(map_name=map_name or None),
                                   time_limit=settings.load_timeout)
            prepared.files = [name]  # the audit's target: the file as sent
            report = prepared.write(store, dry_run=dry_run)
    forget_scopes()
    result = report.as_dict()
    result["files"] = [name]
    return result


@contextmanager
def _named_as_sent(folder: str) -> Iterator[None]:
    """Errors name the uploaded file as it was sent, not the temporary folder it was saved
    in (the server's paths are none of the client's business)."""
    try:
        yield
    except ErmError as exc:
        exc.args = (str(exc).replace(os.path.join(folder, ""), ""),)
        raise
