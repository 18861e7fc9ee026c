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

from erm_graph import model
from erm_graph.auth.db import users_db_path
from erm_graph.auth.web import (
    AuthState,
    CsrfCookie,
    act_for_request,
    authorize,
    is_loopback,
)
from erm_graph.settings import Settings, current
from erm_graph.store import GraphStore, open_configured
from erm_graph.viz.html import VIS_DIR
from erm_graph.web import errors
from erm_graph.web.hosts import HostCheck, allowed_hosts
from erm_graph.web.limits import BodySizeLimit, LoadSlots, SecurityHeaders
from erm_graph.web.routers import (
    account,
    actions,
    alerts,
    backup,
    calendar,
    cypher,
    dashboards,
    edit,
    graph,
    maps,
    merges,
    owners,
    pages,
    parties,
    portal,
    sales,
    service,
    strategy,
    views,
)

STATIC = Path(__file__).parent / "static"
#: Swagger UI 5 (OpenAPI 3.1, which FastAPI writes), as the fastapi-offline package ships it
SWAGGER_DIR = str(resources.files("fastapi_offline") / "static")


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> FastAPI:
    """A new app. It opens (and at shutdown closes) the store named by ``settings.db``, its
    reads bounded by ``settings.query_timeout``, unless a ``store`` is given: then the caller
    owns it (tests share one store between apps). ``settings``: the environment's by default."""
    settings = settings or current()
    model.activate(settings)  # the library's own vocabulary (its model extension), if any
    users_db = users_db_path(store if store is not None else settings.db, settings)
    auth = AuthState(users_db, local_ok=is_loopback(settings.web_host),
                     trusted=settings.trusted_proxies)
    auth.check_startup(settings.web_host)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = open_configured(settings) if owned else store
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
    app.state.load_slots = LoadSlots(settings.web_load_workers)
    if store is not None:
        app.state.store = store
    errors.install(app, data_paths=[users_db.parent, settings.data_dir])
    errors.document_errors(app)
    for module in (graph, maps, cypher, edit, actions, owners, account, backup, merges,
                   dashboards, parties, alerts, strategy, sales, views, service, portal,
                   calendar, pages):
        app.include_router(module.router,
                           dependencies=[Depends(authorize), Depends(act_for_request)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/vendor/vis", StaticFiles(directory=VIS_DIR), name="vis")
    app.mount("/vendor/swagger", StaticFiles(directory=SWAGGER_DIR), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> FileResponse:
        """Swagger UI from this server's own copy, not FastAPI's CDN page: it works offline
        and under the same CSP as every other page."""
        return FileResponse(STATIC / "api-docs.html")

    app.add_middleware(BodySizeLimit, max_bytes=settings.web_max_body)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CsrfCookie)
    # last added runs first: a request naming another host reaches nothing else
    app.add_middleware(HostCheck, allowed=allowed_hosts(settings.web_host,
                                                          settings.web_allowed_hosts))
    return app


def app_from_env() -> FastAPI:
    """The app ``erm serve`` runs in each worker. Its settings come from the environment,
    where ``erm serve`` wrote all of them (:meth:`Settings.to_env`, docs/deployment.md)."""
    return create_app(Settings.from_env())


__all__ = ["app_from_env", "create_app"]
