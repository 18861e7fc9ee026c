"""Access control of the web app, in one place: who is asking, may they, and what they see.

:func:`authorize` is a dependency of every route. It finds the principal (a Bearer API token,
else a session cookie, else the single local admin when the app serves loopback with no
users), checks CSRF on unsafe methods sent with ambient credentials, checks the permission the
route needs (:data:`ROUTE_PERMISSIONS`, data; a route missing from it is refused to everyone)
and hands the route the store it may read: a partner's is a :class:`ScopedStore`.
:func:`act_for_request`, run after it, names the principal as the actor of every write the
request makes (:mod:`erm_graph.events`) and the app's security file as where they are audited.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request

from erm_graph.auth import audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.auth.roles import ROLE_TITLES, Forbidden, Unauthorized, allowed
from erm_graph.auth.scope import ScopedStore
from erm_graph.auth.throttle import LoginThrottle
from erm_graph.auth.users import LOCAL_ADMIN, Principal, Users
from erm_graph.errors import ConfigError, ErmError
from erm_graph.events import Actor, set_actor
from erm_graph.query.partner_scope import cached_scope
from erm_graph.settings import Network, Settings

SESSION_COOKIE = "erm_session"
CSRF_COOKIE = "erm_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: the account name failed API tokens are counted under (see LoginThrottle)
TOKEN_ACCOUNT = "(token)"

#: (method, route path) -> the permission it needs; None: open to anyone (login itself).
#: ``{uid:uid}``: a uid is the rest of the path, `/` included (see erm_graph/web/uid_path.py).
ROUTE_PERMISSIONS: dict[tuple[str, str], str | None] = {
    ("GET", "/login"): None,
    ("POST", "/login"): None,
    ("POST", "/logout"): None,
    ("GET", "/"): "view",
    ("GET", "/map/{uid:uid}"): "view",
    ("GET", "/explore"): "view",
    ("GET", "/queries"): "query.list",
    ("GET", "/dashboards"): "query.list",
    ("GET", "/dashboard/{name}"): "query.list",  # each tile: its query's header access
    ("GET", "/console"): "query.cypher",
    ("GET", "/audit"): "audit.read",
    ("GET", "/governance"): "governance",
    ("GET", "/api/me"): "view",
    ("GET", "/api/legend"): "view",
    ("GET", "/api/search"): "view",
    ("GET", "/api/nodes/{uid:uid}"): "view",
    ("GET", "/api/nodes/{uid:uid}/neighbors"): "view",
    ("GET", "/api/nodes/{uid:uid}/neighborhood"): "view",
    ("GET", "/api/path"): "view",
    ("GET", "/api/accounts/{uid:uid}"): "view",  # a partner's scope holds its own Party only
    ("GET", "/account/{uid:uid}"): "view",
    ("GET", "/node/{uid:uid}"): "view",
    ("GET", "/api/summary"): "view",
    ("GET", "/api/maps"): "view",
    ("GET", "/api/maps/{uid:uid}"): "view",
    ("GET", "/api/maps/{uid:uid}/history"): "view",  # a partner's scope holds no revision
    ("GET", "/api/maps/{uid:uid}/export"): "view",
    ("POST", "/api/maps/{uid:uid}/restore"): "load",
    ("POST", "/api/maps/{uid:uid}/edit"): "records",
    ("GET", "/api/queries"): "query.list",
    ("GET", "/api/queries/{name}"): "query.list",  # and the header's access (run_query)
    ("GET", "/api/dashboards/{name}"): "query.list",
    ("POST", "/api/cypher"): "query.cypher",
    ("POST", "/api/cypher/runs/{run_id}/cancel"): "query.cypher",  # and the run's own user
    ("GET", "/api/vocabulary"): "query.cypher",
    ("PATCH", "/api/nodes/{uid:uid}"): "edit",
    ("DELETE", "/api/nodes/{uid:uid}"): "records",
    ("POST", "/api/records"): "records",
    ("POST", "/api/links"): "records",
    ("DELETE", "/api/links"): "records",
    ("GET", "/api/forms/{label}"): "view",  # the model's vocabulary as forms: no data
    ("GET", "/new/{label}"): "records",
    ("GET", "/edit/{uid:uid}"): "records",
    ("POST", "/api/accounts/{uid:uid}/interactions"): "work",
    ("POST", "/api/accounts/{uid:uid}/cases"): "work",
    ("POST", "/api/accounts/{uid:uid}/opportunities"): "work",
    ("POST", "/api/cases/{uid:uid}/assign"): "work",
    ("POST", "/api/cases/{uid:uid}/escalate"): "work",
    ("POST", "/api/cases/{uid:uid}/resolve"): "work",
    ("POST", "/api/opportunities/{uid:uid}/assign"): "work",
    ("POST", "/api/opportunities/{uid:uid}/advance"): "work",
    # customer service (erm_graph/web/routers/service.py): a partner reads in its scope only
    ("GET", "/kb"): "view",
    ("GET", "/api/kb/articles"): "view",
    ("GET", "/api/kb/articles/{uid:uid}"): "view",
    ("POST", "/api/kb/articles"): "work",
    ("POST", "/api/kb/articles/{uid:uid}"): "work",
    ("POST", "/api/kb/articles/{uid:uid}/links"): "work",
    ("GET", "/api/cases/{uid:uid}/suggestions"): "view",
    ("POST", "/api/cases/{uid:uid}/dispatch"): "work",
    ("POST", "/api/load"): "load",
    ("POST", "/api/nodes/{uid:uid}/owner"): "owners",
    ("DELETE", "/api/nodes/{uid:uid}/owner"): "owners",
    ("GET", "/api/governance"): "governance",
    ("GET", "/api/audit"): "audit.read",
    ("GET", "/api/backup"): "backup",
    ("GET", "/merges"): "merge",
    ("GET", "/api/merges"): "merge",
    ("GET", "/api/merges/suggestions"): "merge",
    ("POST", "/api/merges"): "merge",
    ("POST", "/api/merges/{merge_id}/undo"): "merge",
    ("GET", "/inbox"): "inbox",
    ("GET", "/api/alerts"): "inbox",
    ("POST", "/api/alerts/{alert_id}/read"): "inbox",
    ("GET", "/maturity"): "governance",
    ("GET", "/api/maturity"): "governance",
    ("POST", "/api/maturity"): "assess",
    ("GET", "/sales"): "sales",
    ("GET", "/api/sales"): "sales",
    ("GET", "/targets"): "governance",
    ("GET", "/api/targets"): "governance",
    ("POST", "/api/targets/tasks"): "targets.tasks",
    ("GET", "/api/clv"): "governance",
    ("GET", "/api/clv/{uid:uid}"): "governance",
    ("GET", "/api/strategy/tiles/{name}"): "governance",
    # saved views: everyone who may view saves; the library lets only the owner delete and
    # shows each user its own and its team's (erm_graph/auth/saved_views.py)
    ("GET", "/views"): "view",
    ("GET", "/views/{view_id}"): "view",
    ("GET", "/api/views"): "view",
    # the partner portal and sharing (erm_graph/web/routers/portal.py)
    ("GET", "/portal"): "portal",
    ("GET", "/api/portal"): "portal",
    ("GET", "/api/shares"): "share",
    ("POST", "/api/shares"): "share",
    ("DELETE", "/api/shares"): "share",
    ("GET", "/api/views/{view_id}"): "view",
    ("POST", "/api/views"): "view",
    ("DELETE", "/api/views/{view_id}"): "view",
    # time management: staff read calendars; those who work accounts book and plan
    # (erm_graph/web/routers/calendar.py); the feed's secret address is its own credential
    ("GET", "/calendar"): "calendar",
    ("GET", "/api/calendar"): "calendar",
    ("GET", "/api/tasks"): "calendar",
    ("POST", "/api/tasks"): "work",
    ("POST", "/api/tasks/{uid:uid}/assign"): "work",
    ("POST", "/api/tasks/{uid:uid}/done"): "work",
    ("POST", "/api/tasks/{uid:uid}/cancel"): "work",
    ("POST", "/api/appointments"): "work",
    ("POST", "/api/appointments/{uid:uid}/move"): "work",
    ("POST", "/api/appointments/{uid:uid}/cancel"): "work",
    ("POST", "/api/calendar/import"): "work",
    ("POST", "/api/calendar/subscription"): "calendar",
    ("DELETE", "/api/calendar/subscription"): "calendar",
    ("GET", "/calendar/feed/{name}"): None,
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class AuthState:
    """The security file of one app, opened per thread, whether it may run with no users
    (served on loopback), the reverse proxies whose forwarding headers it believes, and the
    throttle of failed logins."""

    path: Path
    local_ok: bool
    trusted: tuple[Network, ...] = ()
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    _local: threading.local = field(default_factory=threading.local)

    def users(self, *, create: bool = False) -> Users | None:
        """The users, or None while the security file does not exist (and ``create`` is off)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if not create and not self.path.exists():
                return None
            conn = connect(self.path)
            self._local.conn = conn
        return Users(conn, self.path)

    def single_user(self) -> bool:
        users = self.users()
        return users is None or users.count() == 0

    def check_startup(self, host: str) -> None:
        """Refuse to serve a non-loopback address with no admin user."""
        if self.local_ok:
            return
        users = self.users()
        if users is None or users.count("admin") == 0:
            raise ConfigError(
                f"refusing to serve on {host} with no admin user in {self.path}: anyone who "
                f"can reach it would be admin. Add one with `erm users add NAME --role admin`, "
                f"or serve on 127.0.0.1")


def serve_mode(settings: Settings) -> str:
    """What ``erm serve`` says on start; :class:`ConfigError` when it must not start."""
    host = settings.web_host
    state = AuthState(users_db_path(settings.db, settings), local_ok=is_loopback(host))
    state.check_startup(host)
    if state.single_user():
        return (f"No users in {state.path}: running as a single local admin on {host} "
                f"(anyone on this machine can use it; add users with `erm users add`).")
    users = state.users()
    assert users is not None
    return f"Login required: {users.count()} user(s) in {state.path}."


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _from_trusted_proxy(request: Request) -> bool:
    peer = request.client.host if request.client else ""
    return _within(peer, request.app.state.auth.trusted)


def client_ip(request: Request) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy
    (``ERM_TRUSTED_PROXIES``); then the last address of ``X-Forwarded-For`` that is not one
    (the one the outermost trusted proxy saw). Anyone else's header is ignored: it would let
    a client choose the address its failed logins are counted and audited under."""
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.auth.trusted
    if not _within(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")
            if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _within(hop, ANY_ADDRESS) else peer
    return hops[0] if hops else peer


#: every address: a value of X-Forwarded-For that is in neither is not an address
ANY_ADDRESS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def is_https(request: Request) -> bool:
    """TLS to the client: this connection's, or a trusted proxy's ``X-Forwarded-Proto``."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or (forwarded == "https"
                                             and _from_trusted_proxy(request))


def identify(request: Request) -> Principal:
    """Who sent ``request``; :class:`Unauthorized` when nobody valid did."""
    state: AuthState = request.app.state.auth
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        users = state.users()
        found = users.by_token(token.strip()) if users and scheme.lower() == "bearer" else None
        if found is None:
            # a valid token is never refused (it cannot be guessed); bad ones slow their source
            if users is not None:
                ip = client_ip(request)
                wait = state.throttle.wait(users.conn, ip, TOKEN_ACCOUNT)
                if wait:
                    raise RateLimited(f"too many failed logins: try again in "
                                      f"{math.ceil(wait)} s")
                state.throttle.failed(users.conn, ip, TOKEN_ACCOUNT)
                audit.record(users.conn, "(anonymous)", "login.failed", TOKEN_ACCOUNT,
                             outcome="denied", source=f"web {ip}",
                             detail={"via": "token", "path": request.url.path})
            raise Unauthorized("the API token is not valid; create one with `erm users token`")
        return found
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        users = state.users()
        found = users.by_session(session) if users else None
        if found:
            return found
    if state.local_ok and state.single_user():
        return LOCAL_ADMIN
    raise Unauthorized("log in first: open /login, or send `Authorization: Bearer TOKEN`")


class RateLimited(ErmError):
    kind = "rate_limited"


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    """Unsafe requests carried by a cookie (or by the local single-user mode) must echo the
    CSRF cookie in the ``X-CSRF-Token`` header or the form's ``csrf`` field. A JSON body needs
    no token (see below). The ``Origin`` of every unsafe request is checked before this, by
    :class:`erm_graph.web.hosts.HostCheck`."""
    if request.method in SAFE_METHODS or principal.via == "token":
        return
    if form_token is None and request.headers.get("content-type", "").split(";")[0].strip() \
            == "application/json":
        # a page on another site can send JSON here only after a CORS preflight, which this
        # app never grants; forms (urlencoded, multipart) need the token
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER) or form_token or ""
    if not expected or not secrets.compare_digest(expected, sent):
        raise Forbidden("the CSRF token is missing or wrong: reload the page and try again")


def authorize(request: Request) -> Principal:
    """The dependency every route runs first (see the module docstring)."""
    route = request.scope.get("route")
    key = (request.method if request.method != "HEAD" else "GET", getattr(route, "path", ""))
    if key not in ROUTE_PERMISSIONS:
        raise Forbidden(f"{key[0]} {key[1]} has no declared permission")
    permission = ROUTE_PERMISSIONS[key]
    if permission is None:
        return LOCAL_ADMIN if request.app.state.auth.local_ok else Principal("(anonymous)", "")
    principal = identify(request)
    if not allowed(principal.role, permission):
        raise Forbidden(f"the {principal.role} role may not do this ({permission})")
    check_csrf(request, principal)
    request.state.principal = principal
    store = request.app.state.store
    if principal.role == "partner":
        assert principal.party
        store = ScopedStore(store, cached_scope(store, principal.party))
    request.state.store = store
    return principal


def audit_event(request: Request, action: str, target: str = "", *, outcome: str = "ok",
                detail: dict[str, Any] | None = None, actor: str | None = None) -> None:
    """Record a web write in the audit trail (creating the security file if need be)."""
    users = request.app.state.auth.users(create=True)
    principal: Principal | None = getattr(request.state, "principal", None)
    audit.record(users.conn, actor or (principal.name if principal else "(anonymous)"),
                 action, target, outcome=outcome, source=f"web {client_ip(request)}",
                 detail=detail)


async def act_for_request(request: Request) -> None:
    """The dependency run after :func:`authorize`: the one place the web app says who
    writes. Every write the request makes (:mod:`erm_graph.events`) is done by its principal
    from the client's address, and audited in this app's security file.

    Async on purpose: it then runs in the request's own context, which the route inherits
    and which ends with the request (a plain function runs in a copy that is thrown away).
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    set_actor(Actor(principal.name if principal else "(anonymous)",
                    f"web {client_ip(request)}"))
    audit.set_trail(request.app.state.auth.path)


def page_context(request: Request) -> dict[str, Any]:
    """What every page template knows: who is logged in (and the title of their role), the
    CSRF token for its forms, and ``may(permission)``, so a page offers only what the user's
    role may do (the nav included)."""
    principal = getattr(request.state, "principal", None)

    def may(permission: str) -> bool:
        return principal is not None and allowed(principal.role, permission)

    role_title = ROLE_TITLES.get(principal.role, principal.role) if principal else ""
    return {"principal": principal, "csrf": getattr(request.state, "csrf", ""), "may": may,
            "role_title": role_title}


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another site) becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def login_url(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(path, safe="")


class CsrfCookie:
    """Give every browser a random CSRF token cookie (double-submit pattern); pages render the
    same token into ``<meta name="csrf-token">`` and forms, and :func:`check_csrf` compares."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        token = cookies.get(CSRF_COOKIE)
        fresh = not token or len(token) < 20
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf"] = token

        async def with_cookie(message: dict) -> None:
            if fresh and message["type"] == "http.response.start":
                secure = is_https(Request(scope))
                cookie = (f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
                          + ("; Secure" if secure else ""))
                message["headers"] = [*message.get("headers", []),
                                      (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, with_cookie)


def _cookies(scope: dict) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001  a malformed cookie header is no cookie
                continue
            jar.update({k: m.value for k, m in parsed.items()})
    return jar
