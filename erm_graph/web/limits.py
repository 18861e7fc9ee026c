"""Limits of the web app: a cap on request bodies, enforced while the body streams in
(chunked uploads included), and on the uploads read at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erm_graph.errors import ErmError
from erm_graph.web.errors import send_error


class LoadsBusy(ErmError):
    """Every upload slot is taken: answered 503 with Retry-After."""

    kind = "busy"


class LoadSlots:
    """At most ``count`` uploads are read at once, each by a process of its own (see
    :mod:`erm_graph.ingest.worker`). An upload waits ``wait`` seconds for a slot, then is
    refused: a queue of waiting uploads would hold the threads that serve other requests."""

    def __init__(self, count: int, wait: float = 2.0):
        self.count, self.wait = count, wait
        self._free = threading.BoundedSemaphore(count)

    @contextmanager
    def taken(self) -> Iterator[None]:
        if not self._free.acquire(timeout=self.wait):
            raise LoadsBusy(f"the server is reading {self.count} uploads already: send this "
                            "one again in a few seconds")
        try:
            yield
        finally:
            self._free.release()


class BodySizeLimit:
    """Answer 413 to any request whose body passes ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not refused:
                    # answer now and tell the app the client left: frameworks turn an
                    # exception raised here into their own 400, so none is raised
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        await send_error(send, 413, "too_large", f"the request body is larger than "
                                                 f"{self.max_bytes} bytes (ERM_WEB_MAX_BODY)")


SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pages load scripts from this server only: no inline script, no third-party origin."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)
