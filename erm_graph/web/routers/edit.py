"""Writes from the web: create, edit, link, unlink and remove one record (the forms, through
:mod:`erm_graph.edit.records`), load one uploaded file. Each is a write event
(:mod:`erm_graph.events`), audited as done by the request's user.

Edits and loads go to the app's own store (writes never pass through a partner's scoped
store); a partner edits only the contact details of its own Party and of the Contacts that
work for it (:data:`erm_graph.auth.roles.PARTNER_EDITABLE`) and the working fields of the
records shared with it (:data:`erm_graph.auth.roles.PARTNER_SHARED_EDITABLE`), through
:func:`erm_graph.edit.sharing.partner_update`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field

from erm_graph import model
from erm_graph.edit.records import (
    Tie,
    add_node,
    editable_label,
    link,
    record,
    remove_node,
    set_properties,
    unlink,
)
from erm_graph.edit.sharing import partner_update
from erm_graph.edit.values import declared, from_form
from erm_graph.errors import ErmError
from erm_graph.events import acting_as, current_actor
from erm_graph.ingest.contract import LoadOptions
from erm_graph.ingest.load import prepare
from erm_graph.web.deps import Node, Settings
from erm_graph.web.forms import record_form

router = APIRouter(prefix="/api", tags=["edit"])

#: an uploaded file's name: a plain name, no folder, no leading dot
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,199}$")


class Edit(BaseModel):
    properties: dict[str, Any] = Field(description="property name -> new value (null or an "
                                                   "empty text clears); text is typed by the "
                                                   "model, as the CLI's key=value")


@router.patch("/nodes/{uid:uid}", summary="Change properties of one node (editors; partners: "
                                      "the contact details of their own Party and Contacts)")
def patch_node(request: Request, uid: str, node: Node, body: Edit) -> dict[str, Any]:
    principal = request.state.principal
    props = from_form(declared(node.label), body.properties)
    if principal.role == "partner":  # node: found in its scope; a record outside it is a 404
        change = partner_update(request.app.state.store, principal.party, node, props)
    else:
        change = set_properties(request.app.state.store, uid, props, node=node)
    updated = int(change.before != change.after)
    return {**change.as_dict(), "updated": updated, "unchanged": 1 - updated}


class NewLink(BaseModel):
    type: str = Field(description="a relationship type of the model", max_length=100)
    uid: str = Field(description="uid of the record at the other end", min_length=1,
                     max_length=1000)
    direction: Literal["out", "in"] = Field("out", description="out: the new record is "
                                                               "its start")
    properties: dict[str, Any] = Field(default_factory=dict)


class NewRecord(BaseModel):
    label: str = Field(description="a label of the model", max_length=100)
    uid: str | None = Field(None, description="its uid [default: generated]", max_length=1000)
    properties: dict[str, Any] = Field(description="property name -> value; text is typed "
                                                   "by the model")
    links: list[NewLink] = Field(default_factory=list, max_length=20,
                                 description="relationships to existing records, made with it")


@router.post("/records", summary="Create one record of any label, with its relationships "
                                 "(editors); checked by the model, audited as add")
def post_record(request: Request, body: NewRecord) -> dict[str, Any]:
    store = request.app.state.store
    editable_label(body.label)
    ties = [Tie(check_type(link.type), record(store, link.uid), link.direction == "out",
                from_form(declared(link.type), link.properties)) for link in body.links]
    change = add_node(store, body.label, from_form(declared(body.label), body.properties),
                      uid=body.uid, ties=ties)
    return change.as_dict()


@router.delete("/nodes/{uid:uid}", summary="Delete one record and its relationships "
                                       "(editors); audited as remove with what it held")
def delete_node(request: Request, uid: str, label: str | None = None) -> dict[str, Any]:
    return remove_node(request.app.state.store, uid, label=label).as_dict()


class Link(BaseModel):
    start: str = Field(min_length=1, max_length=1000, description="uid of the start")
    type: str = Field(max_length=100, description="a relationship type of the model")
    end: str = Field(min_length=1, max_length=1000, description="uid of the end")
    properties: dict[str, Any] = Field(default_factory=dict)


@router.post("/links", summary="Make one relationship, or change its properties (editors); "
                               "audited as link")
def post_link(request: Request, body: Link) -> dict[str, Any]:
    rel_type = check_type(body.type)
    return link(request.app.state.store, body.start, rel_type, body.end,
                from_form(declared(rel_type), body.properties)).as_dict()


@router.delete("/links", summary="Delete one relationship (editors); audited as unlink")
def delete_link(request: Request,
                start: Annotated[str, Query(min_length=1, max_length=1000)],
                type: Annotated[str, Query(max_length=100)],
                end: Annotated[str, Query(min_length=1, max_length=1000)]) -> dict[str, Any]:
    return unlink(request.app.state.store, start, check_type(type), end).as_dict()


def check_type(name: str) -> str:
    """A relationship type of the model, or an error naming the choices."""
    model.relationship(name)
    return name


@router.get("/forms/{label}", summary="The form of a record of one label: its properties "
                                      "by kind and the relationships it may have")
def get_form(label: str) -> dict[str, Any]:
    editable_label(label)
    return record_form(label)


@router.post("/load", summary="Load one uploaded file (editors); the same checks as `erm load`")
def post_load(request: Request, settings: Settings,
              file: Annotated[UploadFile, File(description="the file to load")],
              format: Annotated[str, Form()] = "auto",
              dry_run: Annotated[bool, Form()] = False,
              map_name: Annotated[str | None, Form(
                  alias="map",
                  description="name of the map: the prefix of its uids (as erm load --map); "
                              "needed when another file wrote a map of the same name")] = None,
              diagram: Annotated[Literal["flowchart", "orgchart"] | None, Form(
                  alias="as",
                  description="what a draw.io diagram is (as erm load --as): flowchart loads "
                              "any page as a process, orgchart as people and departments")
              ] = None,
              our_pool: Annotated[list[str] | None, Form(
                  description="BPMN: a pool that is your enterprise, by name or id (as erm "
                              "load --our-pool); repeat for several")] = None,
              of: Annotated[str | None, Form(
                  description="with as=orgchart: the uid of the party whose org chart it is "
                              "(as erm load --of): its people load as that party's "
                              "contacts")] = None,
              ) -> dict[str, Any]:
    name = file.filename or ""
    if not SAFE_NAME.fullmatch(name) or ".." in name:
        raise ErmError(f"file name {name!r} refused: send a plain file name (letters, digits, "
                       f". _ - ( ) and spaces), no folders")
    store = request.app.state.store
    with tempfile.TemporaryDirectory(prefix="erm-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(file.file.read(settings.web_max_body + 1))
        with acting_as(current_actor().doing(f"upload {name}")), _named_as_sent(folder):
            # read in a worker process, stopped at the time limit: never in this one
            with request.app.state.load_slots.taken():
                prepared = prepare(store, [path], fmt=format,
                                   options=LoadOptions(map_name=map_name or None,
                                                       diagram=diagram,
                                                       our_pools=tuple(our_pool or ()),
                                                       party=of or None),
                                   time_limit=settings.web_load_timeout)
            prepared.files = [name]  # the audit's target: the file as sent
            report = prepared.write(store, dry_run=dry_run)
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
