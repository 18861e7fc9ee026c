"""The web app's settings: data, read from ``ERM_`` environment variables by default."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from erm_graph import settings as erm_settings


def _int(name: str) -> int:
    return int(erm_settings.get(name))


@dataclass(frozen=True)
class WebSettings:
    """Everything :func:`erm_graph.web.create_app` needs; tests build their own."""

    #: database URL (see ``erm --help``)
    db: str = field(default_factory=lambda: erm_settings.get("db"))
    #: seconds any query of the app may run
    query_timeout: float = field(
        default_factory=lambda: float(erm_settings.get("query_timeout")))
    #: most rows the Cypher console and named queries return
    row_cap: int = field(default_factory=lambda: _int("web_row_cap"))
    #: most neighbours one expansion returns; the rest page through "+N more"
    neighbor_cap: int = field(default_factory=lambda: _int("web_neighbor_cap"))
    #: most nodes a neighbourhood, path or query graph sends to the browser
    node_cap: int = field(default_factory=lambda: _int("web_node_cap"))
    #: largest request body accepted, in bytes
    max_body_bytes: int = field(default_factory=lambda: _int("web_max_body"))
    #: seconds an upload may take to be read (in a worker process) before it is stopped
    load_timeout: float = field(
        default_factory=lambda: float(erm_settings.get("web_load_timeout")))
    #: uploads read at once, each in its own process
    load_workers: int = field(default_factory=lambda: _int("web_load_workers"))
    #: the address the app is served on; loopback with no users runs as one local admin
    host: str = field(default_factory=lambda: erm_settings.get("web_host"))
    #: more names the app answers to (``Host``), comma-separated; ``*``: any (see web/hosts.py)
    allowed_hosts: str = field(default_factory=lambda: erm_settings.get("web_allowed_hosts"))
    #: reverse proxies whose X-Forwarded-For / -Proto are believed (ERM_TRUSTED_PROXIES)
    trusted_proxies: str = field(default_factory=lambda: erm_settings.get("trusted_proxies"))
    #: the users and audit file; None: ERM_USERS_DB, else beside the store's data
    users_db: str | None = field(default_factory=lambda: erm_settings.get("users_db") or None)

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("db", "users_db", "trusted_proxies")}
