"""The governance of the library's components: every component (a node of one of
:data:`erm_graph.model.COMPONENT_LABELS`) has exactly one responsible employee
(``RESPONSIBLE_FOR``), and that employee has not left (``Employee.left_on``).

:func:`governance` lists what breaks the rule, in three lists: components nobody owns (the
named query ``unowned-components``, the one the home page and the query library show),
components with more than one owner, and components whose owner has left. ``erm owner check``,
``GET /api/governance`` and the governance page all show it. :func:`owners_of` and
:func:`has_left` are what an owner change (:mod:`erm_graph.ingest.component_owners`) checks.

A component is a node of the whole library: this view is for the enterprise's own staff (who
has left is an HR fact), so partners are not given it and it reads no partner scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.query.named import run_query
from erm_graph.store import GraphReader, GraphStore


def today() -> str:
    """Today's date as the model stores dates (``YYYY-MM-DD``), against which ``left_on`` is
    compared."""
    return dt.date.today().isoformat()


def has_left(employee: dict[str, Any], on: str | None = None) -> bool:
    """Whether the employee (its properties) has left by ``on`` (default today): its
    ``left_on`` date has come. The Cypher of :func:`governance` says the same."""
    left_on = employee.get("left_on")
    return left_on is not None and str(left_on) <= (on or today())


@dataclass
class Governance:
    """What breaks the one-owner rule, each list in the model's label order, then by uid.

    ``unowned`` rows: label, uid, name, process (a step's or a document's process);
    ``shared`` and ``departed`` rows: label, uid, name, owners (uid, name, left_on of each).
    ``totals`` counts each list before ``limit`` cut it.
    """

    on: str
    unowned: list[dict[str, Any]] = field(default_factory=list)
    shared: list[dict[str, Any]] = field(default_factory=list)
    departed: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not any(self.totals.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: the owners of each component of one label that has several, or one who has left
_OWNED = ("MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(c:{label}) "
          "WITH c, collect(DISTINCT e) AS owners "
          "WHERE size(owners) > 1 OR any(o IN owners WHERE o.left_on <= $on) "
          "RETURN c.uid, c.name, "
          "[o IN owners | {{uid: o.uid, name: o.name, left_on: o.left_on}}] "
          "ORDER BY c.uid")


def governance(store: GraphStore, *, on: str | None = None,
               limit: int | None = None) -> Governance:
    """The components that break the one-owner rule on the date ``on`` (default today); at
    most ``limit`` rows per list (None: all)."""
    on = on or today()
    try:
        dt.date.fromisoformat(on)
    except ValueError:
        raise ErmError(f"{on!r} is not a date: give the day as YYYY-MM-DD") from None
    found = Governance(on)
    for row in run_query(store, "unowned-components").records():
        found.unowned.append(row)
    order = {label: i for i, label in enumerate(model.COMPONENT_LABELS)}
    found.unowned.sort(key=lambda r: (order.get(r["label"], len(order)), r["uid"]))
    for label in model.COMPONENT_LABELS:
        for uid, name, owners in store.run(_OWNED.format(label=label), {"on": on}).rows:
            owners = sorted(owners, key=lambda o: o["uid"])
            row = {"label": label, "uid": uid, "name": name, "owners": owners}
            if len(owners) > 1:
                found.shared.append(row)
            if any(has_left(o, on) for o in owners):
                found.departed.append(row)
    found.totals = {"unowned": len(found.unowned), "shared": len(found.shared),
                    "departed": len(found.departed)}
    if limit is not None:
        found.unowned, found.shared, found.departed = (
            found.unowned[:limit], found.shared[:limit], found.departed[:limit])
    return found


def component_labels(store: GraphReader, uid: str) -> list[str]:
    """The component labels that have a node ``uid``, in the model's order: uids are unique
    per label, and a map and the process it depicts often share one."""
    return [label for label in model.COMPONENT_LABELS
            if store.run(f"MATCH (c:{label} {{uid: $uid}}) RETURN count(c)",
                         {"uid": uid}).rows[0][0]]


def owners_of(store: GraphReader, label: str, uid: str) -> list[dict[str, Any]]:
    """The owners of the component ``uid`` (a node of ``label``, one of the model's component
    labels), by uid: each with its name, ``left_on`` and, when set by hand, when and by whom."""
    if label not in model.COMPONENT_LABELS:
        raise ValueError(f"{label} is not a component label")
    rows = store.run(f"MATCH (c:{label} {{uid: $uid}})<-[r:RESPONSIBLE_FOR]-(e:Employee) "
                     f"RETURN e.uid, e.name, e.left_on, r.set_at, r.set_by "
                     f"ORDER BY e.uid, r.set_at", {"uid": uid}).rows
    owners: dict[str, dict[str, Any]] = {}
    for e_uid, name, left_on, set_at, set_by in rows:
        owners.setdefault(e_uid, {"uid": e_uid, "name": name, "left_on": left_on,
                                  "set_at": set_at, "set_by": set_by})
    return list(owners.values())
