"""Our own people as the app finds them: an Employee by uid, or by a user's sign-in name
(its uid or e-mail), for "my customers" and "my open cases" (:mod:`erm_graph.auth.me`)."""

from __future__ import annotations

from typing import Any

from erm_graph.store import GraphReader


def employee(store: GraphReader, uid: str) -> dict[str, Any] | None:
    """``{"uid", "name"}`` of the Employee ``uid``, or None."""
    rows = store.run("MATCH (e:Employee {uid: $uid}) RETURN e.uid, e.name", {"uid": uid}).rows
    return {"uid": rows[0][0], "name": rows[0][1]} if rows else None


def employee_signing_in_as(store: GraphReader, user: str) -> dict[str, Any] | None:
    """The Employee whose uid or e-mail (any case) is the user name ``user``, or None."""
    rows = store.run("MATCH (e:Employee) WHERE e.uid = $user OR toLower(e.email) = "
                     "toLower($user) RETURN e.uid, e.name ORDER BY e.uid LIMIT 1",
                     {"user": user}).rows
    return {"uid": rows[0][0], "name": rows[0][1]} if rows else None
