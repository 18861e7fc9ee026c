"""Saved views: a named view of the explorer, a map or a named query (its page's URL, which
holds the whole view) with a note, kept for its owner and, unless private, for the owner's
team.

They live in the security file beside the users (:mod:`erm_graph.auth.db`), not in the graph:
they belong to people of the app, and no Cypher can read or change them. A team is the users
of one role (the relationship officers, R&D, ...); a partner's team is the users of its own
Party, so no view of one partner's records reaches another partner. Who may see a view:

- its owner;
- the owner's team, unless the view is private;
- admins (every view).

Only the owner deletes a view. Each save and delete is written to the audit trail in the same
SQLite transaction (``view.save``, ``view.delete``), as the current actor
(:func:`erm_graph.events.current_actor`).

>>> views = SavedViews.open(Path("/tmp/erm/users.db"))                # doctest: +SKIP
>>> views.save(ana, "Meridian's complaints", "/explore?focus=cust-000002", note="for Monday")
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from erm_graph.auth import audit
from erm_graph.auth.db import connect, transaction, users_db_path
from erm_graph.auth.roles import Forbidden
from erm_graph.auth.users import Principal
from erm_graph.errors import ErmError

#: the pages a view can be saved from: their path (or, ending in /, its start) -> kind
KINDS: dict[str, str] = {"/explore": "explore", "/map/": "map", "/queries": "query"}
SHARING = ("team", "private")
MAX_URL = 4000
MAX_NAME = 120
MAX_NOTE = 2000


class ViewNotFound(ErmError):
    kind = "not_found"


@dataclass(frozen=True)
class SavedView:
    id: str
    name: str
    kind: str
    url: str
    note: str
    owner: str
    team: str
    shared: str
    created_at: str

    @property
    def params(self) -> dict[str, list[str]]:
        """The view's parameters: its URL's query string, each key with its values."""
        found: dict[str, list[str]] = {}
        for key, value in parse_qsl(urlsplit(self.url).query, keep_blank_values=True):
            found.setdefault(key, []).append(value)
        return found

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "params": self.params, "link": f"/views/{self.id}"}


def team_of(principal: Principal) -> str:
    """The team a user's views are shared with: its role, a partner's own Party."""
    return f"partner:{principal.party}" if principal.role == "partner" else principal.role


def check_url(url: str) -> str:
    """The kind of page a view's ``url`` shows; refuses anything but a path of this app to
    the explorer, a map or the queries page (no other site, no scheme)."""
    page = url  # a page of this app, never a database URL
    parts = urlsplit(page)
    if (parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//")
            or "\\" in url or len(url) > MAX_URL):
        raise ErmError(f"url {url[:80]!r}: give the path of an explorer, map or queries page "
                       f"of this app, e.g. /explore?focus=cust-000002 (at most {MAX_URL} "
                       f"characters)")
    for prefix, kind in KINDS.items():
        is_page = parts.path == prefix if not prefix.endswith("/") else (
            parts.path.startswith(prefix) and len(parts.path) > len(prefix))
        if is_page:
            return kind
    raise ErmError(f"url {parts.path!r}: a view is saved from the explorer (/explore), a map "
                   f"(/map/UID) or the queries page (/queries)")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_COLUMNS = "id, name, kind, url, note, owner, team, shared, created_at"


class SavedViews:
    """The saved views of one deployment (one security file)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    @classmethod
    def open(cls, path: Path | None = None, *, store_or_url: Any = None) -> SavedViews:
        return cls(connect(path or users_db_path(store_or_url)))

    def close(self) -> None:
        self.conn.close()

    def save(self, principal: Principal, name: str, url: str, *, note: str = "",
             shared: str = "team") -> SavedView:
        """Save ``url`` as ``principal``'s view ``name``; a view of the same name of theirs is
        replaced (its link changes, the old one is gone)."""
        name, note = name.strip(), note.strip()
        if not name or len(name) > MAX_NAME:
            raise ErmError(f"name {name[:40]!r}: give a name of 1-{MAX_NAME} characters")
        if len(note) > MAX_NOTE:
            raise ErmError(f"note: at most {MAX_NOTE} characters ({len(note)} given)")
        if shared not in SHARING:
            raise ErmError(f"shared {shared!r}: choose from {', '.join(SHARING)}")
        kind = check_url(url)
        view = SavedView(secrets.token_urlsafe(9), name, kind, url, note, principal.name,
                         team_of(principal), shared, _now())
        with transaction(self.conn):  # the view and its audit event, or neither
            replaced = self.conn.execute("SELECT id FROM saved_views WHERE owner = ? AND name = ?",
                                         (principal.name, name)).fetchone()
            if replaced:
                self.conn.execute("DELETE FROM saved_views WHERE id = ?", (replaced[0],))
            self.conn.execute(f"INSERT INTO saved_views ({_COLUMNS}) "  # noqa: S608
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              tuple(asdict(view).values()))
            audit.record(self.conn, None, "view.save", view.id,
                         detail={"name": name, "kind": kind, "url": url, "shared": shared,
                                 "replaced": replaced[0] if replaced else None})
        return view

    def _may_see(self, principal: Principal, view: SavedView) -> bool:
        return (principal.role == "admin" or view.owner == principal.name
                or (view.shared == "team" and view.team == team_of(principal)))

    def get(self, principal: Principal, view_id: str) -> SavedView:
        """The view ``view_id`` when ``principal`` may see it; otherwise as if there were no
        such view (another team's views are not theirs to know of)."""
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM saved_views WHERE id = ?",  # noqa: S608
                                (view_id,)).fetchone()
        view = SavedView(*row) if row else None
        if view is None or not self._may_see(principal, view):
            raise ViewNotFound(f"no saved view {view_id!r} that you may open; see the list of "
                               f"saved views (/views, `erm view list`)")
        return view

    def visible(self, principal: Principal) -> list[SavedView]:
        """The views ``principal`` may see: its own, then its team's, then (an admin's) the
        rest; each newest first."""
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM saved_views "  # noqa: S608
                                 "ORDER BY rowid DESC").fetchall()  # newest first
        views = [v for v in (SavedView(*r) for r in rows) if self._may_see(principal, v)]
        team = team_of(principal)
        return sorted(views, key=lambda v: (v.owner != principal.name, v.team != team))

    def delete(self, principal: Principal, view_id: str) -> SavedView:
        """Delete ``view_id``; only its owner may."""
        with transaction(self.conn):
            view = self.get(principal, view_id)
            if view.owner != principal.name:
                raise Forbidden(f"the view {view.name!r} is {view.owner}'s: only its owner "
                                f"deletes it")
            self.conn.execute("DELETE FROM saved_views WHERE id = ?", (view_id,))
            audit.record(self.conn, None, "view.delete", view_id,
                         detail={"name": view.name, "owner": view.owner, "url": view.url})
        return view
