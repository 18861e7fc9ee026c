"""Roles and what each may do: the permission matrix is data, checked in one place.

=============  =============================================================================
role           may
=============  =============================================================================
admin          everything, including users, the audit trail and backups
editor         load files, create, edit, link and remove records, set the owners of
               components, merge duplicates, the quick actions, plus everything an analyst may
analyst        run every named query and read-only Cypher, plus everything a viewer may
viewer         maps, the explorer, search, node details, paths, the governance view; named
               queries whose header's ``access`` lists ``viewer`` (or a group holding it)
officer        (relationship officer) what a viewer may; the named queries whose ``access``
sales          lists the role or a group holding it; officers and sales also work accounts
marketing      with the quick actions (interactions, cases, opportunities). No Cypher console:
rnd            the business roles work through the queries written for them
cro            (:data:`BUSINESS_ROLES`)
partner        what a viewer may, restricted to the subgraph of its own Party and the
               records shared with it (see :mod:`erm_graph.auth.scope`); edit the contact
               details (:data:`PARTNER_EDITABLE`) of its own Party and Contacts, and the
               working fields (:data:`PARTNER_SHARED_EDITABLE`) of the customers,
               opportunities and cases shared with it; named queries whose ``access`` lists
               ``partner`` by name and that filter by ``$scope``
=============  =============================================================================

A named query's header says who may run it (``access``, checked here) apart from whom it is
written for (``audience``, documentation shown on the queries page): a query meant for R&D may
still be open to marketing and the CRO.
"""

from __future__ import annotations

from erm_graph.errors import ErmError

#: the people the business roles stand for; each works through the named queries whose
#: ``access`` lists it, never through the Cypher console
BUSINESS_ROLES: tuple[str, ...] = ("officer", "sales", "marketing", "rnd", "cro")
ROLES: tuple[str, ...] = ("admin", "editor", "analyst", "viewer", *BUSINESS_ROLES, "partner")
#: every role that is one of our own staff (a partner is an outside party's user)
STAFF: frozenset[str] = frozenset(ROLES) - {"partner"}

#: how the app names each role to people (the nav, the queries page, `erm users add --help`)
ROLE_TITLES: dict[str, str] = {
    "admin": "Administrator", "editor": "Editor", "analyst": "Analyst", "viewer": "Viewer",
    "officer": "Relationship officer", "sales": "Sales", "marketing": "Marketing",
    "rnd": "R&D", "cro": "Chief risk officer", "partner": "Partner",
}

#: names a header's ``access`` may use for several roles at once. ``partner`` is in none: a
#: query open to partners names them, because it must also keep to their scope.
ROLE_GROUPS: dict[str, frozenset[str]] = {
    "staff": STAFF,
    "business": frozenset(BUSINESS_ROLES),
}

#: permission -> the roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),
    "query.list": frozenset(ROLES),
    "query.named": frozenset({"admin", "editor", "analyst"}),
    "query.cypher": frozenset({"admin", "editor", "analyst"}),
    "edit": frozenset({"admin", "editor", "partner"}),
    # create, link, unlink and remove any record through the generic forms (erm_graph/edit)
    "records": frozenset({"admin", "editor"}),
    # the quick actions of the people who work accounts: log an interaction, open, assign,
    # escalate and resolve cases, open, assign and advance opportunities
    "work": frozenset({"admin", "editor", "officer", "sales"}),
    # the Sales page: pipeline, quota attainment, commissions (each sees only its own or its
    # team's pay: erm_graph.sales.report) and campaign performance
    "sales": frozenset({"admin", "editor", "analyst", "officer", "sales", "marketing", "cro"}),
    "load": frozenset({"admin", "editor"}),
    # set or clear the owner of a component; a partner edits only its own contact details
    "owners": frozenset({"admin", "editor"}),
    "merge": frozenset({"admin", "editor"}),  # duplicates merged into one record, undone
    # share a customer, opportunity or case with a partner, and revoke it (erm_graph/edit/
    # sharing.py); a partner never shares
    "share": frozenset({"admin", "editor", "officer"}),
    # a partner's landing page: its record, contacts and what is shared with it
    "portal": frozenset({"partner"}),
    # the governance view names who has left the enterprise: for our own staff only
    "governance": STAFF,
    # alerts of watch rules (erm_graph.watch) tell staff roles; a partner has no inbox
    "inbox": STAFF,
    # calendars and task lists of our own staff (tasks and appointments are booked with "work")
    "calendar": STAFF,
    # the CRM maturity assessment: staff read it; these answer its questionnaire and keep it
    "assess": frozenset({"admin", "editor", "cro"}),
    # the target plan's gaps turned into tasks for the account owners (erm targets check
    # --open-tasks)
    "targets.tasks": frozenset({"admin", "editor", "cro"}),
    "audit.read": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "backup": frozenset({"admin"}),  # the backup holds every password hash and token digest
}

#: key label -> the properties a partner may change on its own records: contact details only.
#: What classifies the relationship (tier, segment, industry, since, country) is ours to set,
#: and the Party's name is its identity in every report and search.
PARTNER_EDITABLE: dict[str, frozenset[str]] = {
    "Party": frozenset({"email", "phone", "website", "address"}),
    "Contact": frozenset({"name", "title", "email", "phone"}),
}
#: key label -> the properties a partner may change on a record shared with it (SHARED_WITH):
#: the working fields of the deal or case it works with us. Who it belongs to, its name, its
#: kind and severity stay ours; a shared customer is read only (its details are ours to keep).
PARTNER_SHARED_EDITABLE: dict[str, frozenset[str]] = {
    "Party": frozenset(),
    "Opportunity": frozenset({"stage", "amount", "close_date", "next_step"}),
    "Case": frozenset({"status", "summary"}),
}


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


def check_partner_edit(key_label: str, properties: list[str] | set[str], *,
                       tie: str | None = "own") -> None:
    """Refuse a partner's edit of anything but the contact details of its own records
    (``tie`` ``own``) and the working fields of the records shared with it (``shared``); a
    record it reaches otherwise (``tie`` None: a product, an employee) it does not edit. The
    caller has checked the record is in its scope and found the tie
    (:func:`erm_graph.query.partner_scope.partner_tie`)."""
    if tie == "shared":
        editable = PARTNER_SHARED_EDITABLE.get(key_label)
        what = "of a shared"
        if editable is None or not editable:
            raise Forbidden(f"a {key_label} shared with a partner is read only to it")
    else:
        editable = PARTNER_EDITABLE.get(key_label) if tie == "own" else None
        what = "of its"
        if editable is None:
            raise Forbidden(f"a partner edits only its own Party and Contacts and the "
                            f"opportunities and cases shared with it, not this {key_label}")
    refused = sorted(set(properties) - editable)
    if refused:
        raise Forbidden(f"a partner may not change {', '.join(refused)} {what} {key_label}; "
                        f"it may change only: {', '.join(sorted(editable))}")


def expand_access(access: tuple[str, ...] | list[str]) -> frozenset[str]:
    """The roles a header's ``access`` list names, its groups (:data:`ROLE_GROUPS`) spelled
    out; names that are neither are left out (the library refuses them when it loads)."""
    roles: set[str] = set()
    for name in access:
        roles |= ROLE_GROUPS.get(name, frozenset({name}) & set(ROLES))
    return frozenset(roles)


def may_run_named(role: str, access: tuple[str, ...] | list[str]) -> bool:
    """Roles holding ``query.named`` (analysts and above) run every named query; every other
    role only those whose header's ``access`` lists it or a group holding it."""
    return allowed(role, "query.named") or role in expand_access(access)


def role_or_group(name: str) -> bool:
    """Whether ``name`` may stand in a query header's ``access`` or ``audience``."""
    return name in ROLES or name in ROLE_GROUPS


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ErmError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    return role
