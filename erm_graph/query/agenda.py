"""Tasks and appointments as people see them: my tasks, my team's, the overdue ones, a
calendar of people between two times, and its conflicts (a person double-booked, an
appointment outside working hours).

Times are the wall-clock texts the model stores (``YYYY-MM-DDTHH:MM:SS``, see
:mod:`erm_graph.edit.agenda`), so "between" and "before" are comparisons of text, the same on
both engines. Conflicts are worked out here from the appointments read, not in Cypher: the
working hours are a setting, and a pair test over one person's week is small.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from erm_graph.settings import WorkingHours
from erm_graph.store import GraphReader

#: most rows one list or calendar returns; a month of a large team fits well within it
CAP = 2000

_TASK_RETURN = """
OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(e:Employee)
OPTIONAL MATCH (t)-[:CONCERNS]->(x)
WITH t, head(collect(e)) AS e, head(collect(x)) AS x
RETURN t.uid AS uid, t.title AS title, t.due AS due, t.status AS status,
       t.priority AS priority, t.notes AS notes, t.done_at AS done_at,
       e.uid AS assignee, e.name AS assignee_name, x.uid AS about,
       coalesce(x.name, x.summary, x.uid) AS about_name, head(labels(x)) AS about_label
ORDER BY due, uid LIMIT $cap"""


def _rows(store: GraphReader, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    result = store.run(cypher, {**params, "cap": CAP})
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def tasks(store: GraphReader, people: Sequence[str] | None, *, status: str | None = "open",
          due_before: str | None = None, due_from: str | None = None) -> list[dict[str, Any]]:
    """Tasks assigned to ``people`` (Employee uids; None: everyone's, unassigned ones too)
    of ``status`` (None: any), due in ``[due_from, due_before)`` when given, soonest first."""
    who = ("MATCH (t:Task)-[:ASSIGNED_TO]->(p:Employee) WHERE p.uid IN $people"
           if people is not None else "MATCH (t:Task) WHERE true")
    return _rows(store, f"""{who}
        AND ($status IS NULL OR t.status = $status)
        AND ($before IS NULL OR t.due < $before) AND ($from IS NULL OR t.due >= $from)
        WITH DISTINCT t {_TASK_RETURN}""",
                 {"people": list(people or []), "status": status, "before": due_before,
                  "from": due_from})


def overdue(store: GraphReader, now: str, people: Sequence[str] | None = None
            ) -> list[dict[str, Any]]:
    """Open tasks due before ``now`` (of ``people`` when given), longest overdue first."""
    return tasks(store, people, status="open", due_before=now)


def task(store: GraphReader, uid: str) -> dict[str, Any] | None:
    """One task as :func:`tasks` shows it, or None."""
    found = _rows(store, f"MATCH (t:Task {{uid: $uid}}) WITH t {_TASK_RETURN}", {"uid": uid})
    return found[0] if found else None


def employee_name(store: GraphReader, uid: str) -> str | None:
    """The name of the Employee ``uid`` (its uid when it has none), or None."""
    rows = store.run("MATCH (e:Employee {uid: $uid}) RETURN coalesce(e.name, e.uid)",
                     {"uid": uid}).rows
    return str(rows[0][0]) if rows else None


def team(store: GraphReader, employee: str) -> list[dict[str, Any]]:
    """``employee`` and their team: the colleagues of their departments and whoever reports
    to them, as ``{uid, name}``, the employee first. People who have left are left out."""
    found = _rows(store, """
        MATCH (me:Employee {uid: $uid})
        OPTIONAL MATCH (me)-[:MEMBER_OF]->(:Department)<-[:MEMBER_OF]-(c:Employee)
        OPTIONAL MATCH (r:Employee)-[:REPORTS_TO]->(me)
        WITH me, collect(DISTINCT c) + collect(DISTINCT r) AS others
        UNWIND [me] + others AS e
        WITH DISTINCT me, e WHERE e.left_on IS NULL OR e = me
        RETURN e.uid AS uid, e.name AS name, e.uid = me.uid AS me
        ORDER BY me DESC, name LIMIT $cap""", {"uid": employee})
    return [{"uid": r["uid"], "name": r["name"]} for r in found]


_APPOINTMENT_RETURN = """
OPTIONAL MATCH (x)-[r:ATTENDS]->(a)
WITH a, collect({uid: x.uid, name: x.name, label: head(labels(x)), role: r.role})
     AS attendees
OPTIONAL MATCH (a)-[:CONCERNS]->(c)
WITH a, attendees, head(collect(c)) AS c
RETURN a.uid AS uid, a.title AS title, a.start AS start, a.end AS end,
       a.place AS place, a.status AS status, a.notes AS notes,
       a.ical_uid AS ical_uid, attendees, c.uid AS about,
       coalesce(c.name, c.summary, c.uid) AS about_name
ORDER BY start, uid LIMIT $cap"""


def appointments(store: GraphReader, people: Sequence[str], start: str, end: str, *,
                 cancelled: bool = False) -> list[dict[str, Any]]:
    """Appointments that ``people`` (Employee or Contact uids) attend and that overlap
    ``[start, end)``, earliest first, each with all its attendees (``{uid, name, label,
    role}``) and what it concerns."""
    return _rows(store, f"""
        MATCH (p)-[:ATTENDS]->(a:Appointment)
        WHERE p.uid IN $people AND a.start < $end AND a.end > $start
          AND ($cancelled OR coalesce(a.status, 'confirmed') <> 'cancelled')
        WITH DISTINCT a {_APPOINTMENT_RETURN}""",
                 {"people": list(people), "start": start, "end": end, "cancelled": cancelled})


def appointment(store: GraphReader, uid: str) -> dict[str, Any] | None:
    """One appointment as :func:`appointments` shows it (cancelled or not), or None."""
    found = _rows(store, f"MATCH (a:Appointment {{uid: $uid}}) WITH a {_APPOINTMENT_RETURN}",
                  {"uid": uid})
    return found[0] if found else None


def imported(store: GraphReader, ical_uids: Sequence[str]) -> set[str]:
    """Which of ``ical_uids`` (an .ics event's UID and recurrence) are stored already."""
    rows = store.run("MATCH (a:Appointment) WHERE a.ical_uid IN $ids RETURN a.ical_uid",
                     {"ids": list(ical_uids)}).rows
    return {r[0] for r in rows}


# -- conflicts ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Conflict:
    """A person booked into ``appointments`` that overlap (``double-booked``), or one
    appointment outside the working hours (``outside-hours``, person None)."""

    kind: str
    appointments: tuple[str, ...]
    person: str | None = None
    person_name: str | None = None
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "appointments": list(self.appointments),
                "person": self.person, "person_name": self.person_name, "why": self.why}


def outside_hours(start: str, end: str, hours: WorkingHours) -> str:
    """Why ``[start, end)`` lies outside ``hours`` (empty when it lies within)."""
    begins, ends = datetime.fromisoformat(start), datetime.fromisoformat(end)
    if (ends - begins) > timedelta(days=1) or (
            ends.date() != begins.date() and ends.time() != datetime.min.time()):
        return "it runs over more than one day"
    if begins.weekday() not in hours.days:
        return f"{begins:%A} is not a working day ({hours})"
    if begins.strftime("%H:%M") < hours.start:
        return f"it starts at {begins:%H:%M}, before {hours.start}"
    last = "24:00" if ends.date() != begins.date() else ends.strftime("%H:%M")
    if last > hours.end:
        return f"it ends at {ends:%H:%M}, after {hours.end}"
    return ""


def conflicts(booked: Iterable[dict[str, Any]], hours: WorkingHours,
              people: Sequence[str] | None = None) -> list[Conflict]:
    """The conflicts among ``booked`` (rows of :func:`appointments`): each pair of
    overlapping appointments an employee of ``people`` (None: any employee) attends, and each
    appointment outside ``hours``. Cancelled ones conflict with nothing."""
    live = [a for a in booked if a.get("status") != "cancelled"]
    found: list[Conflict] = []
    by_person: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for a in live:
        for who in a["attendees"]:
            if who.get("label") == "Employee" and (people is None or who["uid"] in people):
                by_person.setdefault(who["uid"], []).append(a)
                names[who["uid"]] = who.get("name") or who["uid"]
    for person, mine in sorted(by_person.items()):
        mine.sort(key=lambda a: (a["start"], a["uid"]))
        for i, first in enumerate(mine):
            for second in mine[i + 1:]:
                if second["start"] >= first["end"]:
                    break
                found.append(Conflict(
                    "double-booked", (first["uid"], second["uid"]), person, names[person],
                    f"{names[person]} is in {first['title']!r} ({first['start'][11:16]}-"
                    f"{first['end'][11:16]}) and {second['title']!r} "
                    f"({second['start'][11:16]}-{second['end'][11:16]}) on "
                    f"{first['start'][:10]}"))
    for a in live:
        why = outside_hours(a["start"], a["end"], hours)
        if why:
            found.append(Conflict("outside-hours", (a["uid"],), why=f"{a['title']!r}: {why}"))
    return found


def conflicts_of(store: GraphReader, uid: str, hours: WorkingHours) -> list[Conflict]:
    """The conflicts the appointment ``uid`` is in: its employees' other appointments that
    overlap it, and its own time outside ``hours``."""
    this = appointment(store, uid)
    if this is None or this.get("status") == "cancelled":
        return []
    staff = [a["uid"] for a in this["attendees"] if a["label"] == "Employee"]
    around = appointments(store, staff, this["start"], this["end"])
    return [c for c in conflicts(around, hours, staff) if uid in c.appointments]
