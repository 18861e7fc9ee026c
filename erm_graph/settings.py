"""Settings are data: each has a name, an ``ERM_`` environment variable, a default and a help.

The CLI's options and the docs are generated from :data:`SETTINGS`; a test fails when one is
not documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS = [
    Setting("db", "ERM_DB", "embedded:",
            "database URL: embedded:[DIR], falkordb://host:port, bolt:// or neo4j+s://..."),
    Setting("data_dir", "ERM_DATA_DIR", "$XDG_DATA_HOME/erm-graph or ~/.local/share/erm-graph",
            "where `embedded:` keeps its data when the URL names no directory"),
    Setting("query_timeout", "ERM_QUERY_TIMEOUT", "30",
            "seconds an ad hoc or named query may run before it is stopped"),
    Setting("row_cap", "ERM_ROW_CAP", "10000", "most rows an ad hoc query returns"),
    Setting("db_password", "ERM_DB_PASSWORD", "", "password of a falkordb:// server"),
    Setting("neo4j_user", "ERM_NEO4J_USER", "neo4j", "Neo4j user name"),
    Setting("neo4j_password", "ERM_NEO4J_PASSWORD", "", "Neo4j password (never printed)"),
    Setting("neo4j_database", "ERM_NEO4J_DATABASE", "", "Neo4j database, default: the home one"),
    Setting("users_db", "ERM_USERS_DB", "",
            "users, token digests and the audit trail; default: users.db beside the embedded "
            "data"),
    Setting("load_max_mb", "ERM_LOAD_MAX_MB", "512", "largest source file `erm load` reads, MB"),
    Setting("loaders_path", "ERM_LOADERS_PATH", "",
            "folders of single-file loader plugins, separated like PATH (pip-installed loaders "
            "need none); a plugin may not reuse a loader's format"),
    Setting("web_row_cap", "ERM_WEB_ROW_CAP", "2000",
            "most rows the web console and named queries return"),
    Setting("web_neighbor_cap", "ERM_WEB_NEIGHBOR_CAP", "200",
            "most neighbours one expansion in the explorer returns; the rest page"),
    Setting("web_node_cap", "ERM_WEB_NODE_CAP", "2500",
            "most nodes a graph sent to the browser holds"),
    Setting("web_max_body", "ERM_WEB_MAX_BODY", "65536", "largest request body, in bytes"),
    Setting("web_load_timeout", "ERM_WEB_LOAD_TIMEOUT", "60",
            "seconds an uploaded file may take to be read, in its own process, before it is "
            "stopped and refused (422)"),
    Setting("web_load_workers", "ERM_WEB_LOAD_WORKERS", "2",
            "uploads read at once, each in its own process; one more waits 2 s, then 503"),
    Setting("web_host", "ERM_WEB_HOST", "127.0.0.1",
            "the address the app is served on (set by `erm serve` for its workers)"),
    Setting("web_allowed_hosts", "ERM_WEB_ALLOWED_HOSTS", "",
            "more host names the web app answers to, separated by commas (besides 127.0.0.1, "
            "localhost, [::1] and the served address); `*`: any. Other Host headers get 400"),
    Setting("trusted_proxies", "ERM_TRUSTED_PROXIES", "",
            "reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For "
            "and X-Forwarded-Proto the web app believes; empty: nobody's"),
]


def get(name: str) -> str:
    """The value of a setting from its environment variable, else its default.

    The one place that reads ``ERM_`` variables, so that every setting is declared above.
    """
    setting = next(s for s in SETTINGS if s.name == name)
    return os.environ.get(setting.env, setting.default)


def default_data_dir() -> Path:
    explicit = os.environ.get("ERM_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "erm-graph"
