"""Which Employee the signed-in user is: what "my customers" and "my open cases" mean.

An admin links a staff user to its Employee (``erm users link NAME EMPLOYEE_UID``, kept in the
security file: :meth:`erm_graph.auth.users.Users.link_employee`). A user with no link is the
Employee whose uid or e-mail is its user name, when there is one. A partner is never an
employee, whatever its name: its "me" is always nobody, so nothing bound to "me" can show a
partner another party's records.

A dashboard tile says ``owner: $me`` (:data:`ME`) for a parameter that takes the signed-in
user's Employee uid (:mod:`erm_graph.web.dashboard_files`).
"""

from __future__ import annotations

from typing import Any

from erm_graph.auth.users import Principal
from erm_graph.errors import ErmError
from erm_graph.query.explore import find_node
from erm_graph.query.people import employee, employee_signing_in_as
from erm_graph.store import GraphReader, GraphStore

#: the value of a dashboard tile's parameter that stands for the signed-in user's Employee uid
ME = "$me"


def unlinked_message(principal: Principal | None) -> str:
    """What a "my ..." tile says when nobody's Employee is known: plainly, with the fix."""
    if principal is None or principal.role == "partner":
        return "This tile shows an employee's own records; a partner's user is not an employee."
    if principal.via == "local":
        return ("This tile shows an employee's own records, and the single local admin is no "
                "employee: add users (`erm users add`) and link each to their employee "
                "(`erm users link NAME EMPLOYEE_UID`).")
    return (f"Your user {principal.name!r} is not linked to an employee, so this tile cannot "
            f"show your own records: an admin links it with "
            f"`erm users link {principal.name} EMPLOYEE_UID`.")


def signed_in_employee(store: GraphReader, principal: Principal | None) -> dict[str, Any] | None:
    """``{"uid", "name"}`` of the Employee ``principal`` is, or None (see the module
    docstring). A link to an Employee that no longer exists counts as none."""
    if principal is None or principal.role == "partner":
        return None
    if principal.employee:
        return employee(store, principal.employee)
    return employee_signing_in_as(store, principal.name)


def check_employee(store: GraphStore, uid: str) -> str:
    """``uid`` when it is an Employee of the graph, else an error naming what it is."""
    node = find_node(store, uid, hint="Employee")
    if "Employee" not in node.labels:
        raise ErmError(f"{uid!r} is a {node.label}, not an Employee: give an Employee's uid")
    return uid
