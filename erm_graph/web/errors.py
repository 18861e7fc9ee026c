"""One JSON error shape for the whole API: ``{"error": {"kind": ..., "message": ...}}``.

Every error answer goes through here: :func:`install` maps :class:`ErmError` kinds, request
validation and HTTP errors (404 of unknown paths, 405 with its ``Allow``) to that shape, answers
an unexpected exception with a bare 500 (the traceback goes to the server's log, never to the
client), and strips the server's own folders from messages. :func:`document_errors` writes the
same statuses into the OpenAPI spec, so the spec lists every answer a route can give.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Scope, Send

import erm_graph
from erm_graph.auth.web import login_url
from erm_graph.errors import ErmError

#: HTTP status per :attr:`ErmError.kind`; anything else a user caused is a 400.
STATUS = {"not_found": 404, "read_only": 403, "timeout": 504, "store": 503,
          "too_large": 413, "unauthorized": 401, "forbidden": 403, "rate_limited": 429,
          "conflict": 409, "load_timeout": 422, "busy": 503, "cancelled": 409,
          "unavailable": 503}
#: seconds a client is told to wait before it tries a "busy" request again
RETRY_AFTER = "5"
#: what stands in an error message for a folder of the server (install, data, temporary files)
SERVER_PATH = "<server>"


class ErrorDetail(BaseModel):
    kind: str
    message: str
    line: int | None = Field(None, description="where in the query the error is (from 1), "
                                                "when it is known")
    column: int | None = Field(None, description="the column on that line (from 1)")


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer of the API."""

    error: ErrorDetail


def error_body(kind: str, message: str,
               position: tuple[int, int] | None = None) -> dict[str, dict[str, Any]]:
    detail: dict[str, Any] = {"kind": kind, "message": message}
    if position is not None:
        detail["line"], detail["column"] = position
    return {"error": detail}


async def send_error(send: Send, status: int, kind: str, message: str) -> None:
    """Answer with the error shape from an ASGI middleware, before any route runs."""
    body = JSONResponse(error_body(kind, message)).body
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def server_paths(extra: Iterable[str | Path] = ()) -> re.Pattern[str]:
    """A pattern matching the folders a message must not show: where erm-graph and Python are
    installed, the home and temporary folders, and ``extra`` (the app's data folders)."""
    roots = {Path(erm_graph.__file__).parent.parent, Path(sys.prefix), Path(sys.base_prefix),
             Path(sys.exec_prefix), Path(tempfile.gettempdir()), Path.home(), *map(Path, extra)}
    names = {str(p) for root in roots for p in (root, root.resolve()) if len(p.parts) > 1}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(f"(?:{alternatives})(?![\\w.-])")


def install(app: FastAPI, data_paths: Iterable[str | Path] = ()) -> None:
    """Answer every error of ``app`` in the one shape; ``data_paths``: more folders to hide."""
    hidden = server_paths(data_paths)

    def public(message: str) -> str:
        return hidden.sub(SERVER_PATH, message)

    @app.exception_handler(ErmError)
    async def erm_error(request: Request, exc: ErmError) -> Response:
        if exc.kind == "unauthorized" and not request.url.path.startswith("/api"):
            return RedirectResponse(login_url(request), status_code=303)
        headers = ({"www-authenticate": "Bearer"} if exc.kind == "unauthorized" else
                   {"retry-after": RETRY_AFTER} if exc.kind == "busy" else None)
        return JSONResponse(error_body(exc.kind, public(str(exc)), exc.position),
                            STATUS.get(exc.kind, 400), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = ["{}: {}".format(".".join(str(x) for x in e.get("loc", ())), e.get("msg"))
                 for e in exc.errors()]
        return JSONResponse(error_body("validation", public("; ".join(parts))), 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["allow"] = ", ".join(sorted(allowed_methods(request.app.routes,
                                                                request.scope)))
        return JSONResponse(error_body(kind, public(str(exc.detail))), exc.status_code,
                            headers=headers)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        # the ASGI server logs the traceback; the client learns nothing of the code
        return JSONResponse(error_body("internal", "the server failed to answer this request; "
                                                   "its log has the details"), 500)


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """The methods some route serves at the request's path. Starlette's own 405 names only the
    first route matching the path (``GET /api/nodes/{uid}`` hides ``PATCH``)."""
    methods: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            methods |= allowed_methods(included.routes, scope)
        elif getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods  # type: ignore[attr-defined]
    return methods


#: what each status means; every API route can answer these (the Host check, login, role,
#: the body cap, the login throttle, the engine, a fault of the server)
ERRORS = {400: "a bad value, or a Host name the server does not answer to",
          401: "no valid login or API token",
          403: "the role may not do this, or a cross-site write",
          404: "no such record or query",
          409: "a conflict with what the library holds (a map another file wrote), or a "
               "console query its user stopped",
          413: "the request body is larger than ERM_WEB_MAX_BODY",
          422: "a parameter or field of the wrong type or shape",
          429: "too many failed logins from this address or for this user",
          500: "a fault of the server (its log has the details)",
          503: "the graph engine cannot be reached",
          504: "the query ran past ERM_QUERY_TIMEOUT"}
ANY_ROUTE = (400, 401, 403, 413, 429, 500, 503, 504)
#: a route with a body also answers 422, 404 when a record it names does not exist, and 409 when
#: it conflicts with what the library holds (a map another file owns); one with parameters
#: (which name records) 404 and 422
WITH_BODY = (404, 409, 422)
WITH_PARAMETERS = (404, 422)


def document_errors(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI spec list, for every operation, the error statuses above with
    :class:`ErrorBody` as their schema (FastAPI's own 422 schema is not what the API sends)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in (ErrorDetail, ErrorBody):
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schema.pop("$defs", None)
                schemas[model.__name__] = schema
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            for item in spec.get("paths", {}).values():
                for operation in item.values():
                    _declare(operation)
        return cast("dict[str, Any]", app.openapi_schema)  # generate() cached it

    app.openapi = openapi  # type: ignore[method-assign]


def _declare(operation: dict[str, Any]) -> None:
    statuses = list(ANY_ROUTE)
    if "requestBody" in operation:
        statuses += WITH_BODY
    if operation.get("parameters"):
        statuses += WITH_PARAMETERS
    responses = operation.setdefault("responses", {})
    for status in statuses:
        responses[str(status)] = {
            "description": ERRORS[status],
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    operation["responses"] = dict(sorted(responses.items()))
