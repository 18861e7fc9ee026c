"""Access control and the audit trail: users and roles, partner scopes, audit events.

Credentials live in a SQLite file beside the graph's data (:mod:`erm_graph.auth.db`), never
in the graph itself.
"""

from erm_graph.auth.db import users_db_path
from erm_graph.auth.roles import PERMISSIONS, ROLES, Forbidden, Unauthorized, allowed
from erm_graph.auth.scope import ScopedStore
from erm_graph.auth.users import LOCAL_ADMIN, Principal, Users
from erm_graph.query.partner_scope import partner_scope

__all__ = ["LOCAL_ADMIN", "PERMISSIONS", "ROLES", "Forbidden", "Principal", "ScopedStore",
           "Unauthorized", "Users", "allowed", "partner_scope", "users_db_path"]
