"""Settings are data: one frozen :class:`Settings` with a typed field per setting.

Each field is declared once, below, with its ``ERM_`` environment variable, its default (as
the variable's text), the function that reads that text and its help. From those declarations
come the README's settings table (``tools/gen_docs.py``; a test fails when one is missing), the
``--db`` option of the CLI, the checks of :meth:`Settings.from_env` (a bad value is refused
naming its variable and the value, a secret's value never) and :meth:`Settings.to_env`, with
which ``erm serve`` hands its settings to its server workers (docs/deployment.md).

This is the one module that reads ``ERM_`` variables. Code that needs a setting takes a
:class:`Settings` from its caller, or asks :func:`current` (built once per environment).

A new setting: one field here (and ``python tools/gen_docs.py`` for the README).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from erm_graph.database_url import DatabaseURL
from erm_graph.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, repr=False)
class Secret:
    """A password: printed as ``***``, its text only through :meth:`reveal`."""

    _value: str = ""

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class Setting:
    """The declaration of one setting: what the docs and the environment know of it."""

    name: str
    env: str
    #: the variable's text when it is not set (what the docs show, unless ``shown``)
    default: str
    help: str
    read: Callable[[str], Any]
    #: the default as the docs show it (markdown), when the text above is not telling
    shown: str = ""
    secret: bool = False
    #: what joins the items of a tuple-valued setting in its variable
    separator: str = ","
    #: a markdown link the README adds to the help
    see: str = ""


def _declare(env: str, default: str, read: Callable[[str], Any], help: str, *,
             shown: str = "", secret: bool = False, separator: str = ",",
             see: str = "") -> Any:
    """A field of :class:`Settings` carrying its declaration; its default is ``read(default)``."""
    declared = Setting("", env, default, help, read, shown, secret, separator, see)
    return field(default_factory=lambda: read(default), metadata={"setting": declared})


# --- readers: the variable's text to a value, or ValueError naming what is wrong -----------

def _text(text: str) -> str:
    return text.strip()


def _optional_text(text: str) -> str | None:
    return text.strip() or None


def _secret(text: str) -> Secret:
    return Secret(text)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"{text!r} is not 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{text!r} is not a number above 0")
    return value


def _database_url(text: str) -> DatabaseURL:
    return DatabaseURL.parse(text.strip())


def _folder(text: str) -> Path:
    return Path(text.strip()).expanduser()


def _optional_folder(text: str) -> Path | None:
    return _folder(text) if text.strip() else None


def _data_dir(text: str) -> Path:
    if text.strip():
        return _folder(text)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "erm-graph"


def _folders(text: str) -> tuple[Path, ...]:
    return tuple(_folder(p) for p in text.split(os.pathsep) if p.strip())


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.replace(",", " ").split())


def _choice(*allowed: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(allowed)}")
        return value
    return read


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise ValueError(f"{text!r} is not a TCP port (1-65535)")
    return value


def _networks(text: str) -> tuple[Network, ...]:
    found = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an address or a network "
                             "(give e.g. 127.0.0.1, 10.0.0.0/8, ::1)") from None
    return tuple(found)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingHours:
    """The days (0 = Monday) and the hours of the day (``HH:MM``) appointments are expected
    in; the calendar flags one outside them. Its text is ``Mon-Fri 08:00-18:00``."""

    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: str = "08:00"
    end: str = "18:00"

    def __str__(self) -> str:
        runs: list[list[int]] = []
        for day in self.days:
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        names = [_WEEKDAYS[r[0]].title() + (f"-{_WEEKDAYS[r[-1]].title()}" if len(r) > 1 else "")
                 for r in runs]
        return f"{','.join(names)} {self.start}-{self.end}"


def _clock(text: str) -> str:
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and int(hours) <= 24
            and int(minutes) < 60 and len(minutes) == 2):
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    return f"{int(hours):02d}:{minutes}"


def _working_hours(text: str) -> WorkingHours:
    days_text, _, hours_text = text.strip().rpartition(" ")
    begin, dash, finish = hours_text.partition("-")
    if not dash or not days_text.strip():
        raise ValueError(f"{text!r} is not of the form `Mon-Fri 08:00-18:00`")
    days: list[int] = []
    for part in days_text.replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first[:3] not in _WEEKDAYS or (last and last[:3] not in _WEEKDAYS):
            raise ValueError(f"{part!r} is not a weekday or a run of them (Mon-Fri, Sat)")
        a, b = _WEEKDAYS.index(first[:3]), _WEEKDAYS.index((last or first)[:3])
        days += range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
    start, end = _clock(begin), _clock(finish)
    if end <= start:
        raise ValueError(f"{text!r}: the working day ends before it starts")
    return WorkingHours(tuple(sorted(set(days))), start, end)


@dataclass(frozen=True)
class Settings:
    """Every setting of erm-graph, typed. ``Settings()`` holds the defaults;
    :meth:`from_env` (or :func:`current`) reads the environment."""

    db: DatabaseURL = _declare(
        "ERM_DB", "embedded:", _database_url,
        "Database URL: `embedded:` (default data dir), `embedded:DIR`, "
        "`falkordb://host:port`, `bolt://host:7687`, `neo4j+s://xxx.databases.neo4j.io`. "
        "Passwords come from ERM_DB_PASSWORD / ERM_NEO4J_PASSWORD, never the URL",
        see="[Engines](#engines)")
    data_dir: Path = _declare(
        "ERM_DATA_DIR", "", _data_dir,
        "where `embedded:` keeps its data when the URL names no directory",
        shown="`$XDG_DATA_HOME/erm-graph` or `~/.local/share/erm-graph`")
    query_timeout: float = _declare(
        "ERM_QUERY_TIMEOUT", "30", _seconds,
        "seconds an ad hoc or named query (and any read of the web app) may run before it is "
        "stopped")
    row_cap: int = _declare("ERM_ROW_CAP", "10000", _count, "most rows an ad hoc query returns")
    db_password: Secret = _declare(
        "ERM_DB_PASSWORD", "", _secret, "password of a `falkordb://` server", secret=True)
    neo4j_user: str = _declare("ERM_NEO4J_USER", "neo4j", _text, "Neo4j user name")
    neo4j_password: Secret = _declare(
        "ERM_NEO4J_PASSWORD", "", _secret, "Neo4j password (never printed)", secret=True)
    neo4j_database: str | None = _declare(
        "ERM_NEO4J_DATABASE", "", _optional_text, "Neo4j database", shown="home database")
    users_db: Path | None = _declare(
        "ERM_USERS_DB", "", _optional_folder, "users, token digests and the audit trail",
        shown="`users.db` beside the embedded data",
        see="[docs/security.md](docs/security.md)")
    model_extension: Path | None = _declare(
        "ERM_MODEL_EXTENSION", "", _optional_folder,
        "the enterprise's model extension (extra properties, choice values, labels and "
        "relationship types); needed for a server's library, an embedded one keeps its own",
        shown="`model-extension.yaml` in the embedded data dir, if `erm model extend` put one",
        see="[docs/model-extension.md](docs/model-extension.md)")
    load_max_mb: float = _declare(
        "ERM_LOAD_MAX_MB", "512", _seconds, "largest source file `erm load` reads, in MB")
    load_keep_records: int = _declare(
        "ERM_LOAD_KEEP_RECORDS", "3000000", _count,
        "most records a mapping load keeps from its check to its write; a larger one reads "
        "its files again as it writes them, and holds a few chunks of rows (lower it on a "
        "machine with little memory)",
        see="[docs/loaders.md](docs/loaders.md#the-mapping-loads-two-passes-as-built-issue-16)")
    loaders_path: tuple[Path, ...] = _declare(
        "ERM_LOADERS_PATH", "", _folders,
        "folders of single-file loader plugins, separated like `PATH` (pip-installed loaders "
        "need none); a plugin may not reuse a loader's format",
        separator=os.pathsep, see="[docs/loaders.md](docs/loaders.md)")
    web_row_cap: int = _declare(
        "ERM_WEB_ROW_CAP", "2000", _count, "most rows the web console and named queries return")
    web_neighbor_cap: int = _declare(
        "ERM_WEB_NEIGHBOR_CAP", "200", _count,
        'most neighbours one expansion in the explorer returns; the rest page through "+N more"')
    web_node_cap: int = _declare(
        "ERM_WEB_NODE_CAP", "2500", _count, "most nodes a graph sent to the browser holds")
    web_max_body: int = _declare(
        "ERM_WEB_MAX_BODY", "65536", _count, "largest request body, in bytes")
    web_load_timeout: float = _declare(
        "ERM_WEB_LOAD_TIMEOUT", "60", _seconds,
        "seconds an uploaded file may take to be read, in its own process, before it is "
        "stopped and refused (422)")
    web_load_workers: int = _declare(
        "ERM_WEB_LOAD_WORKERS", "2", _count,
        "uploads read at once, each in its own process; one more waits 2 s, then gets 503")
    web_dashboards: Path | None = _declare(
        "ERM_WEB_DASHBOARDS", "", _optional_folder,
        "a folder of dashboard files (`NAME.yaml`) added to the shipped ones, replacing a "
        "shipped one of the same name", shown="the shipped dashboards only",
        see="[docs/explorer.md](docs/explorer.md#dashboards)")
    watch_rules: Path | None = _declare(
        "ERM_WATCH_RULES", "", _optional_folder,
        "a folder of watch rules (`NAME.yaml`) added to the shipped ones, replacing a shipped "
        "one of the same name", shown="the shipped rules only",
        see="[docs/alerts.md](docs/alerts.md)")
    target_plan: Path | None = _declare(
        "ERM_TARGET_PLAN", "", _optional_folder,
        "the target-relationship plan (a YAML file) the web app's Targets page checks",
        shown="none", see="[docs/strategy.md](docs/strategy.md#target-relationships)")
    commission_rules: Path | None = _declare(
        "ERM_COMMISSION_RULES", "", _optional_folder,
        "the commission rules (a YAML file) `erm sales commissions` and the Sales page apply",
        shown="the shipped example", see="[docs/sales.md](docs/sales.md#commission-rules)")
    smtp_host: str | None = _declare(
        "ERM_SMTP_HOST", "", _optional_text,
        "mail server that alerts are sent through; unset: alerts reach the in-app inbox and "
        "webhooks only", shown="none")
    smtp_port: int = _declare("ERM_SMTP_PORT", "587", _port, "the mail server's port")
    smtp_tls: str = _declare(
        "ERM_SMTP_TLS", "starttls", _choice("starttls", "ssl", "none"),
        "`starttls` (port 587), `ssl` (port 465) or `none` (a relay on this host only)")
    smtp_user: str | None = _declare(
        "ERM_SMTP_USER", "", _optional_text, "user name on the mail server", shown="none")
    smtp_password: Secret = _declare(
        "ERM_SMTP_PASSWORD", "", _secret, "password on the mail server (never printed)",
        secret=True)
    smtp_from: str = _declare(
        "ERM_SMTP_FROM", "erm-graph@localhost", _text, "the sender of alert mail")
    web_host: str = _declare(
        "ERM_WEB_HOST", "127.0.0.1", _text,
        "the address the app is served on (set by `erm serve` for its workers)")
    web_allowed_hosts: tuple[str, ...] = _declare(
        "ERM_WEB_ALLOWED_HOSTS", "", _names,
        "more host names the web app answers to, comma-separated (the name users type, e.g. "
        "behind a proxy); other `Host` headers get 400 (DNS rebinding); `*`: any",
        shown="loopback names and `ERM_WEB_HOST`",
        see="[docs/security.md](docs/security.md#host-and-origin-dns-rebinding-and-cross-site-"
            "writes)")
    trusted_proxies: tuple[Network, ...] = _declare(
        "ERM_TRUSTED_PROXIES", "", _networks,
        "reverse proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` and "
        "`X-Forwarded-Proto` the web app believes; empty: nobody's",
        see="[docs/security.md](docs/security.md#logins-throttling-and-proxies)")
    working_hours: WorkingHours = _declare(
        "ERM_WORKING_HOURS", "Mon-Fri 08:00-18:00", _working_hours,
        "the days and hours appointments are expected in: the calendar flags one outside them "
        "(e.g. `Mon-Thu,Sat 07:30-16:00`)", see="[docs/calendar.md](docs/calendar.md)")
    chromium: Path | None = _declare(
        "ERM_CHROMIUM", "", _optional_folder,
        "the Chromium (or Chrome) program that renders a relationship map to PNG, SVG or PDF "
        "(`erm viz map -o map.pdf`, the map page's PDF button)",
        shown="`chromium`, `chromium-browser` or `google-chrome` on `PATH`",
        see="[docs/explorer.md](docs/explorer.md)")
    tck_dir: Path | None = _declare(
        "ERM_TCK_DIR", "", _optional_folder,
        "the openCypher TCK's folder, for the conformance report and its tests",
        shown="`../shared/opencypher-tck` beside the checkout",
        see="[docs/conformance.md](docs/conformance.md)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The settings of ``environ`` (default: this process's environment), with
        ``overrides`` (field name: typed value) in place of what it says. An empty variable
        counts as unset. :class:`ConfigError` names the first variable whose text is wrong."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = dict(overrides)
        for setting in SETTINGS:
            text = env.get(setting.env, "")
            if setting.name in overrides or not text:
                continue
            try:
                values[setting.name] = setting.read(text)
            except (ValueError, ConfigError) as exc:
                why = "is not usable" if setting.secret else str(exc)
                raise ConfigError(f"{setting.env}: {why}") from None
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """Every setting as the text of its variable: ``from_env(s.to_env()) == s``. Secrets
        are written out: this is for a child process's environment, never for a log."""
        return {s.env: _as_text(getattr(self, s.name), s.separator) for s in SETTINGS}

    def replace(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _as_text(value: object, separator: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, DatabaseURL):
        return value.text
    if isinstance(value, tuple):
        return separator.join(_as_text(v, separator) for v in value)
    return str(value)


#: the declarations, in the order of the fields
SETTINGS: tuple[Setting, ...] = tuple(
    replace(f.metadata["setting"], name=f.name) for f in fields(Settings))

def declaration(name: str) -> Setting:
    """The declaration of the field ``name``: for CLI options and docs made from it."""
    return next(s for s in SETTINGS if s.name == name)


def default_hint(name: str) -> str:
    """``[default: ERM_X or 30]``: the end of the help of a CLI option that overrides it."""
    setting = declaration(name)
    return f"[default: {setting.env} or {setting.default}]"


#: the variables :func:`current` depends on: the declared ones, and those of the default
#: data dir
_READ = (*(s.env for s in SETTINGS), "XDG_DATA_HOME", "HOME")


def current() -> Settings:
    """The settings of this process's environment, built once for as long as it is the same
    (a test or a notebook that changes a variable gets new ones)."""
    return _built(tuple((n, os.environ[n]) for n in _READ if n in os.environ))


@lru_cache(maxsize=16)
def _built(environ: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(environ))
