"""Access control and the audit trail: users and roles, partner scopes, audit events.

Credentials live in a SQLite file beside the graph's data (:mod:`erm_graph.auth.db`), never
in the graph itself. The names below are imported on first use (:mod:`erm_graph.lazy_names`):
a command that needs the roles table does not load the password hashing and the scopes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erm_graph import lazy_names

if TYPE_CHECKING:
    from erm_graph.auth.db import users_db_path
    from erm_graph.auth.roles import PERMISSIONS, ROLES, Forbidden, Unauthorized, allowed
    from erm_graph.auth.scope import ScopedStore
    from erm_graph.auth.users import LOCAL_ADMIN, Principal, Users
    from erm_graph.query.partner_scope import partner_scope

_EXPORTS = {
    "users_db_path": "erm_graph.auth.db",
    **dict.fromkeys(("PERMISSIONS", "ROLES", "Forbidden", "Unauthorized", "allowed"),
                    "erm_graph.auth.roles"),
    "ScopedStore": "erm_graph.auth.scope",
    **dict.fromkeys(("LOCAL_ADMIN", "Principal", "Users"), "erm_graph.auth.users"),
    "partner_scope": "erm_graph.query.partner_scope",
}


def __getattr__(name: str) -> Any:
    return lazy_names.attribute(__name__, _EXPORTS, name)


__all__ = ["LOCAL_ADMIN", "PERMISSIONS", "ROLES", "Forbidden", "Principal", "ScopedStore",
           "Unauthorized", "Users", "allowed", "partner_scope", "users_db_path"]
