"""Logging in and out, who am I, and the audit trail (admins)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from erm_graph.auth import audit
from erm_graph.auth.users import SESSION_SECONDS, Principal
from erm_graph.auth.web import (
    SESSION_COOKIE,
    Forbidden,
    audit_event,
    check_csrf,
    client_ip,
    is_https,
    safe_next,
)
from erm_graph.web.routers.pages import page

router = APIRouter()


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", next=safe_next(next), active="login", message="")


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)],
          csrf: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    try:
        check_csrf(request, Principal("(anonymous)", "", via="session"), csrf)
    except Forbidden as exc:
        return page(request, "login.html", next=safe_next(next), active="login",
                    message=str(exc), status_code=403)
    state = request.app.state.auth
    users = state.users(create=True)
    ip = client_ip(request)
    wait = state.throttle.wait(users.conn, ip, username)
    if wait:  # refused before the password is checked: one audit event per blocked window
        response: Response = page(
            request, "login.html", next=safe_next(next), active="login", status_code=429,
            message=f"Too many failed logins from your address: try again in "
                    f"{math.ceil(wait)} s.")
        response.headers["retry-after"] = str(math.ceil(wait))
        return response
    principal = users.authenticate(username, password)
    if principal is None:
        state.throttle.failed(users.conn, ip, username)
        audit_event(request, "login.failed", username, outcome="denied", actor="(anonymous)")
        return page(request, "login.html", next=safe_next(next), active="login",
                    message="Wrong user name or password.", status_code=401)
    state.throttle.succeeded(users.conn, ip, username)
    session = users.new_session(principal.name)
    audit_event(request, "login", principal.name, actor=principal.name)
    target = safe_next(next)
    if target == "/" and principal.role == "partner":  # a partner lands on its portal
        target = "/portal"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_SECONDS, httponly=True,
                        samesite="lax", secure=is_https(request), path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    check_csrf(request, Principal("(anonymous)", "", via="session"), csrf)
    session = request.cookies.get(SESSION_COOKIE)
    users = request.app.state.auth.users()
    if session and users:
        found = users.by_session(session)
        users.end_session(session)
        if found:
            audit_event(request, "logout", found.name, actor=found.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/me", tags=["account"], summary="Who you are and what you may do")
def me(request: Request) -> dict[str, Any]:
    p: Principal = request.state.principal
    return {"name": p.name, "role": p.role, "party": p.party, "via": p.via}


def _events(request: Request, since: str | None, user: str | None, action: str | None,
            limit: int) -> list[dict[str, Any]]:
    state = request.app.state.auth
    users = state.users()
    if users is None:
        return []
    state.throttle.flush(users.conn)  # blocked windows that ended are events now
    return audit.events(users.conn, since=since, user=user, action=action, limit=limit)


@router.get("/api/audit", tags=["account"], summary="The audit trail, newest first (admins)")
def get_audit(request: Request, since: str | None = None, user: str | None = None,
              action: str | None = None,
              limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    return _events(request, since, user, action, limit)


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(request: Request, since: str | None = None, user: str | None = None,
               action: str | None = None) -> HTMLResponse:
    return page(request, "audit.html", events=_events(request, since, user, action, 500),
                since=since or "", user=user or "", action=action or "", active="audit")
