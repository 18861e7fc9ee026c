"""One JSON error shape for the whole API: ``{"error": {"kind": ..., "message": ...}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from erm_graph.auth.web import login_url
from erm_graph.errors import ErmError

#: HTTP status per :attr:`ErmError.kind`; anything else a user caused is a 400.
STATUS = {"not_found": 404, "read_only": 403, "timeout": 504, "store": 503,
          "too_large": 413, "unauthorized": 401, "forbidden": 403, "rate_limited": 429,
          "load_timeout": 422, "busy": 503}
#: seconds a client is told to wait before it tries a "busy" request again
RETRY_AFTER = "5"


def error_body(kind: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"kind": kind, "message": message}}


def install(app: FastAPI) -> None:
    @app.exception_handler(ErmError)
    async def erm_error(request: Request, exc: ErmError) -> Response:
        if exc.kind == "unauthorized" and not request.url.path.startswith("/api"):
            return RedirectResponse(login_url(request), status_code=303)
        headers = ({"www-authenticate": "Bearer"} if exc.kind == "unauthorized" else
                   {"retry-after": RETRY_AFTER} if exc.kind == "busy" else None)
        return JSONResponse(error_body(exc.kind, str(exc)), STATUS.get(exc.kind, 400),
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = ["{}: {}".format(".".join(str(x) for x in e.get("loc", ())), e.get("msg"))
                 for e in exc.errors()]
        return JSONResponse(error_body("validation", "; ".join(parts)), 422)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        kind = "not_found" if exc.status_code == 404 else "http"
        return JSONResponse(error_body(kind, str(exc.detail)), exc.status_code)
