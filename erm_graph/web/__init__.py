"""The web explorer: ``create_app(settings)`` builds a FastAPI app with a JSON API under
``/api`` (OpenAPI at ``/api/openapi.json``) and server-rendered pages with small scripts.

vis-network is served from the copy inside the installed pyvis package, so the explorer works
with no internet. Run it with ``erm serve``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from erm_graph.auth.db import users_db_path
from erm_graph.auth.web import (
    AuthState,
    CsrfCookie,
    authorize,
    is_loopback,
    trusted_networks,
)
from erm_graph.settings import default_data_dir
from erm_graph.store import GraphStore, open_store
from erm_graph.viz.html import VIS_DIR
from erm_graph.web import errors
from erm_graph.web.config import WebSettings
from erm_graph.web.hosts import HostCheck, allowed_hosts
from erm_graph.web.limits import BodySizeLimit, LoadSlots, SecurityHeaders
from erm_graph.web.routers import account, cypher, edit, graph, maps, pages

STATIC = Path(__file__).parent / "static"
#: Swagger UI 5 (OpenAPI 3.1, which FastAPI writes), as the fastapi-offline package ships it
SWAGGER_DIR = str(resources.files("fastapi_offline") / "static")


def create_app(settings: WebSettings | None = None, *, store: GraphStore | None = None) -> FastAPI:
    """A new app. It opens (and at shutdown closes) the store named by ``settings.db``, unless
    a ``store`` is given: then the caller owns it (tests share one store between apps)."""
    settings = settings or WebSettings()
    users_db = Path(settings.users_db) if settings.users_db else users_db_path(
        store if store is not None else settings.db)
    auth = AuthState(users_db, local_ok=is_loopback(settings.host),
                     trusted=trusted_networks(settings.trusted_proxies))
    auth.check_startup(settings.host)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = open_store(settings.db) if owned else store
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(title="erm-graph explorer", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  description="Relationship maps and the relationship network library.")
    app.state.settings = settings
    app.state.key_labels = {}
    app.state.auth = auth
    app.state.load_slots = LoadSlots(settings.load_workers)
    if store is not None:
        app.state.store = store
    errors.install(app, data_paths=[users_db.parent, default_data_dir()])
    errors.document_errors(app)
    for module in (graph, maps, cypher, edit, account, pages):
        app.include_router(module.router, dependencies=[Depends(authorize)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/vendor/vis", StaticFiles(directory=VIS_DIR), name="vis")
    app.mount("/vendor/swagger", StaticFiles(directory=SWAGGER_DIR), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> FileResponse:
        """Swagger UI from this server's own copy, not FastAPI's CDN page: it works offline
        and under the same CSP as every other page."""
        return FileResponse(STATIC / "api-docs.html")

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CsrfCookie)
    # last added runs first: a request naming another host reaches nothing else
    app.add_middleware(HostCheck, allowed=allowed_hosts(settings.host, settings.allowed_hosts))
    return app


def app_from_env() -> FastAPI:
    """The app ``erm serve`` runs in each worker: settings from ``ERM_`` variables."""
    return create_app(WebSettings())


__all__ = ["WebSettings", "app_from_env", "create_app"]
