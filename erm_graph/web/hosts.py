"""Who the app answers to: the ``Host`` every request names, and the ``Origin`` of every write.

A page on another site can make a browser send requests to this server in two ways, and this
middleware, the outermost of the app, refuses both before any route, login or store sees them:

- **DNS rebinding**: the attacker's name (``evil.example``) first resolves to the attacker's
  server, then to 127.0.0.1. The browser treats the explorer as ``evil.example`` itself, so the
  same-origin policy lets that page read every answer, including the no-user local admin mode.
  The only trace is the ``Host`` header, which names the attacker's domain: a request whose
  ``Host`` is not an allowed name is answered 400.
- **Cross-site writes**: a page on another origin can POST forms. A state-changing request
  (any method but GET, HEAD, OPTIONS) whose ``Origin`` is not this server's own (the
  ``Host`` it was sent to), or is the opaque ``null`` of sandboxed frames, is answered 403.
  Requests without an ``Origin`` (scripts, the CLI, older browsers) pass here and meet the
  CSRF token check of :mod:`erm_graph.auth.web`.

The allowed names are the loopback ones (127.0.0.1, localhost, [::1]), the address the app is
served on, and ``ERM_WEB_ALLOWED_HOSTS`` (the names users type, e.g. behind a proxy that passes
``Host`` through); ``*`` turns the Host check off (the Origin check stays).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from erm_graph.auth.web import SAFE_METHODS
from erm_graph.web.errors import send_error

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def host_name(name: str) -> str:
    """``name`` as a ``Host`` header names it: lower case, no trailing dot, IPv6 in brackets."""
    name = name.strip().lower().rstrip(".")
    try:
        if ipaddress.ip_address(name).version == 6:
            return f"[{name}]"
    except ValueError:
        pass
    return name


def allowed_hosts(served_on: str, configured: tuple[str, ...]) -> frozenset[str] | None:
    """The host names the app answers to; None: any (``configured`` holds ``*``).

    ``configured`` are the names of ``ERM_WEB_ALLOWED_HOSTS`` (Settings.web_allowed_hosts).
    """
    if "*" in configured:
        return None
    return frozenset(host_name(n) for n in (*LOOPBACK_NAMES, served_on, *configured) if n)


def _hostname(host: str) -> str:
    """The name part of a ``Host`` header value (``[::1]:8000`` -> ``[::1]``)."""
    if host.startswith("["):
        return host_name(host[: host.find("]") + 1]) if "]" in host else ""
    return host_name(host.rpartition(":")[0] if host.count(":") == 1 else host)


class HostCheck:
    """Answer 400 to a request naming a host the app does not serve, 403 to a write from
    another origin (see the module docstring)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str] | None):
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if self.allowed is not None and _hostname(host) not in self.allowed:
            await send_error(send, 400, "host",
                             f"this server does not answer to the host name {host[:100]!r}: "
                             f"add it to ERM_WEB_ALLOWED_HOSTS if users reach the server by "
                             f"that name")
            return
        origin = headers.get("origin")
        if (scope["method"] not in SAFE_METHODS and origin is not None
                and not _same_origin(origin, host)):
            await send_error(send, 403, "forbidden",
                             f"cross-site request from {origin[:100]!r} refused: only pages "
                             f"of this server may change data")
            return
        await self.app(scope, receive, send)


def _same_origin(origin: str, host: str) -> bool:
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return origin != "null" and netloc != "" and netloc.lower() == host.lower()

