"""Roles and what each may do: the permission matrix is data, checked in one place.

=============  =============================================================================
role           may
=============  =============================================================================
admin          everything, including users and the audit trail
editor         load files and edit records, plus everything an analyst may
analyst        run every named query and read-only Cypher, plus everything a viewer may
viewer         maps, the explorer, search, node details, paths; named queries that list
               ``viewer`` in their header
partner        what a viewer may, restricted to the subgraph of its own Party (see
               :mod:`erm_graph.auth.scope`); edit the contact details
               (:data:`PARTNER_EDITABLE`) of its own Party and Contacts; named queries that
               list ``partner`` in their header and filter by ``$scope``
=============  =============================================================================
"""

from __future__ import annotations

from erm_graph.errors import ErmError

ROLES: tuple[str, ...] = ("admin", "editor", "analyst", "viewer", "partner")

#: permission -> the roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),
    "query.list": frozenset(ROLES),
    "query.named": frozenset({"admin", "editor", "analyst"}),
    "query.cypher": frozenset({"admin", "editor", "analyst"}),
    "edit": frozenset({"admin", "editor", "partner"}),
    "load": frozenset({"admin", "editor"}),
    "audit.read": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
}

#: key label -> the properties a partner may change on its own records: contact details only.
#: What classifies the relationship (tier, segment, industry, since, country) is ours to set,
#: and the Party's name is its identity in every report and search.
PARTNER_EDITABLE: dict[str, frozenset[str]] = {
    "Party": frozenset({"email", "phone", "website", "address"}),
    "Contact": frozenset({"name", "title", "email", "phone"}),
}

#: roles that may run a named query only when its header's ``roles`` names them
HEADER_ROLES = frozenset({"viewer", "partner"})


class Unauthorized(ErmError):
    """No valid credentials came with the request."""

    kind = "unauthorized"


class Forbidden(ErmError):
    """The user is known but the role does not allow this."""

    kind = "forbidden"


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission``; an unknown permission is held by nobody."""
    return role in PERMISSIONS.get(permission, frozenset())


def require(role: str, permission: str) -> None:
    if not allowed(role, permission):
        raise Forbidden(f"the {role} role may not do this ({permission}); ask an admin "
                        f"for a role that may")


def check_partner_edit(key_label: str, properties: list[str] | set[str]) -> None:
    """Refuse a partner's edit of anything but the contact details of its own records (the
    caller has checked the record is in its scope)."""
    editable = PARTNER_EDITABLE.get(key_label)
    if editable is None:
        raise Forbidden(f"a partner edits only its own Party and Contacts, not a {key_label}")
    refused = sorted(set(properties) - editable)
    if refused:
        raise Forbidden(f"a partner may not change {', '.join(refused)} of its {key_label}; "
                        f"it may change only its contact details: {', '.join(sorted(editable))}")


def may_run_named(role: str, header_roles: tuple[str, ...] | list[str]) -> bool:
    """Analysts and above run every named query; viewers and partners only those whose header
    lists their role (``// roles: [partner, ...]``)."""
    if allowed(role, "query.named"):
        return True
    return role in HEADER_ROLES and role in {r.strip().lower() for r in header_roles}


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ErmError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    return role
