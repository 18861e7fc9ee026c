"""Who answers for a component: set or clear its one owner, and hold loads to the same rule.

A component (a node of :data:`erm_graph.model.COMPONENT_LABELS`) has exactly one responsible
employee (``RESPONSIBLE_FOR``). :func:`set_owner` replaces whatever owners it had, in one
statement (one transaction on both engines), after checking both ends by the model: the
component's label is a component label, the employee exists and has not left
(``Employee.left_on``). :func:`clear_owner` leaves it unowned. Both are write events
(``owner.set``, ``owner.clear``) whose audit record holds the owners before and after.

An owner set here carries ``set_at`` and ``set_by`` on its relationship: a load never
replaces it (:mod:`erm_graph.ingest.load_owners`, the same rule for loads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, current_actor, writing
from erm_graph.query.explore import find_node
from erm_graph.query.governance import component_labels, has_left, owners_of, today
from erm_graph.query.subgraph import GNode
from erm_graph.store import GraphStore
from erm_graph.store.base import content_hash, now_iso


@dataclass(frozen=True)
class OwnerChange:
    """What an owner change did: the component, its owners before (uid, name, ...) and the
    owner after (None: unowned)."""

    component: str
    label: str
    before: list[dict[str, Any]]
    after: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"component": self.component, "label": self.label, "before": self.before,
                "after": self.after}


def component(store: GraphStore, uid: str, label: str | None = None) -> GNode:
    """The component ``uid`` (of ``label``, when given); :class:`ErmError` when it is a node
    that has no owner, or when the uid names components of several labels (a map and the
    process it depicts often share one) and ``label`` does not say which."""
    if label is not None and label not in model.COMPONENT_LABELS:
        raise ErmError(f"{label!r} is not a component label; choose from "
                       f"{', '.join(model.COMPONENT_LABELS)}")
    found = component_labels(store, uid)
    if label is None and len(found) > 1:
        raise ErmError(f"{uid!r} names a {' and a '.join(found)}; say which by its label "
                       f"too ({' or '.join(found)}: `--label {found[0]}`)")
    if label is not None and label not in found:
        found = []
    if not found:
        node = find_node(store, uid)  # not found at all, or not a component
        if label is not None and node.label in model.COMPONENT_LABELS:
            raise ErmError(f"{uid!r} is a {node.label}, not a {label}")
        raise ErmError(f"{uid!r} is a {node.label}, which has no owner; owners are set on "
                       f"the components of maps: {', '.join(model.COMPONENT_LABELS)}")
    return find_node(store, uid, hint=found[0]) if label is None else GNode(uid, [label])


def employee(store: GraphStore, uid: str, on: str | None = None) -> GNode:
    """The employee ``uid``, who may own a component: :class:`ErmError` when it is not an
    Employee or has left by ``on`` (default today)."""
    node = find_node(store, uid, hint="Employee")
    if node.label != "Employee":
        raise ErmError(f"{uid!r} is a {node.label}, not an Employee; an owner is one of our "
                       f"own staff (search them with `erm cypher` or the explorer)")
    if has_left(node.props, on):
        raise ErmError(f"{node.name} ({uid}) left on {node.props['left_on']} and cannot own "
                       f"a component; choose someone who is still with us")
    return node


def set_owner(store: GraphStore, component_uid: str, employee_uid: str, *,
              label: str | None = None) -> OwnerChange:
    """Make ``employee_uid`` the one owner of the component ``component_uid``, replacing any
    previous owners, in one statement; audited as ``owner.set`` with the owners before and
    after. ``label`` says which component when the uid names several (a Map and its Process).

    >>> set_owner(store, "onboarding/onboarding/check", "emp-ann")  # doctest: +SKIP
    OwnerChange(component='onboarding/onboarding/check', label='Step', before=[...], ...)
    """
    node = component(store, component_uid, label)
    on = today()
    employee(store, employee_uid, on)
    before = owners_of(store, node.label, component_uid)
    props = {"set_at": now_iso(), "set_by": current_actor().name}
    with writing(WriteKind.OWNER_SET, component_uid, store,
                 detail={"label": node.label, "before": [o["uid"] for o in before],
                         "after": employee_uid}):
        # one statement: the old owners go and the new one comes, or nothing changes; the
        # leaving date is checked again inside it, so a change made meanwhile cannot slip by
        written = store.run(f"MATCH (c:{node.label} {{uid: $component}}) "
                            f"MATCH (e:Employee {{uid: $employee}}) "
                            f"WHERE e.left_on IS NULL OR e.left_on > $on "
                            f"OPTIONAL MATCH (c)<-[old:RESPONSIBLE_FOR]-(:Employee) "
                            f"DELETE old WITH DISTINCT c, e "
                            f"CREATE (e)-[:RESPONSIBLE_FOR {{set_at: $now, set_by: $by, "
                            f"content_hash: $hash}}]->(c) RETURN count(*)",
                            {"component": component_uid, "employee": employee_uid, "on": on,
                             "now": props["set_at"], "by": props["set_by"],
                             "hash": content_hash(props)}, read_only=False).rows
        if not written or not written[0][0]:
            raise ErmError(f"{component_uid!r} or {employee_uid!r} changed while the owner was "
                           f"set (deleted, or the employee left); nothing was written: look "
                           f"again and retry")
    return OwnerChange(component_uid, node.label, before, employee_uid)


def clear_owner(store: GraphStore, component_uid: str, *,
                label: str | None = None) -> OwnerChange:
    """Leave the component ``component_uid`` (of ``label``) with no owner (the governance view
    lists it); audited as ``owner.clear`` with the owners before."""
    node = component(store, component_uid, label)
    before = owners_of(store, node.label, component_uid)
    with writing(WriteKind.OWNER_CLEAR, component_uid, store,
                 detail={"label": node.label, "before": [o["uid"] for o in before],
                         "after": None}):
        store.run(f"MATCH (c:{node.label} {{uid: $component}})"
                  f"<-[old:RESPONSIBLE_FOR]-(:Employee) DELETE old",
                  {"component": component_uid}, read_only=False)
    return OwnerChange(component_uid, node.label, before, None)
