"""Tasks and appointments of the sales staff around the end of the demo period: the planted
overdue tasks and double booking (facts.AGENDA), and a run of others that conflict with
nothing (each appointment has a slot of its own)."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from erm_graph.demo import facts
from erm_graph.demo.roster import Roster, party_uid
from erm_graph.ingest import GraphBatch

#: bulk tasks and appointments; the same for every size (a calendar is per person)
TASKS, APPOINTMENTS = 40, 24
_TASK_TITLES = ("Call back about the renewal", "Send the revised offer", "Prepare the QBR",
                "Chase the signed contract", "Check the open complaint", "Update the account plan")
_MEETING_TITLES = ("Account review", "Product demo", "Contract talks", "Service visit",
                   "Quarterly business review")
_PRIORITIES = ("low", "normal", "normal", "high", "urgent")
#: the first Monday after the period, from which the bulk's weekday slots are counted
_FIRST_DAY = date(2026, 11, 2)


def _task_uid(k: int) -> str:
    return f"task-{k:06d}"


def _appointment_uid(k: int) -> str:
    return f"appt-{k:06d}"


def _weekday(n: int) -> date:
    """The ``n``-th weekday from :data:`_FIRST_DAY` (0 is that Monday)."""
    weeks, day = divmod(n, 5)
    return _FIRST_DAY + timedelta(weeks=weeks, days=day)


def build(roster: Roster, source: str, seed: int) -> GraphBatch:
    """The agenda part: planted tasks and appointments, then :data:`TASKS` tasks and
    :data:`APPOINTMENTS` appointments of the sales staff."""
    rng = Random(f"{seed}:agenda")
    planted = facts.AGENDA
    staff = roster.staff["dept-sales"]
    customers = roster.plan.customers
    b = GraphBatch()

    def task(uid: str, title: str, due: str, status: str, who: str, about: str) -> None:
        b.add_node("Task", {"uid": uid, "title": title, "name": title, "due": due,
                            "status": status, "priority": rng.choice(_PRIORITIES),
                            **({"done_at": due} if status == "done" else {}),
                            "source": source})
        b.add_relationship("ASSIGNED_TO", "Task", uid, "Employee", who)
        b.add_relationship("CONCERNS", "Task", uid, "Customer", about)

    def meeting(uid: str, title: str, start: str, end: str, who: str, contact: str | None,
                about: str) -> None:
        b.add_node("Appointment", {"uid": uid, "title": title, "name": title, "start": start,
                                   "end": end, "status": "confirmed",
                                   "place": rng.choice(("on site", "video call", "our office")),
                                   "source": source})
        b.add_relationship("ATTENDS", "Employee", who, "Appointment", uid, role="organiser")
        if contact:
            b.add_relationship("ATTENDS", "Contact", contact, "Appointment", uid,
                               role="attendee")
        b.add_relationship("CONCERNS", "Appointment", uid, "Customer", about)

    for n, uid in enumerate(planted.overdue):
        task(uid, _TASK_TITLES[n], f"2026-10-{20 + 3 * n:02d}T17:00:00", "open",
             planted.employee, party_uid("Customer", n))
    first, second = planted.double_booked
    meeting(first, "Account review", f"{planted.day}T10:00:00", f"{planted.day}T11:00:00",
            planted.employee, roster.contact_of_customer(0), party_uid("Customer", 0))
    meeting(second, "Product demo", f"{planted.day}T10:30:00", f"{planted.day}T11:30:00",
            planted.employee, roster.contact_of_customer(1), party_uid("Customer", 1))
    for k in range(TASKS):
        due = _weekday(rng.randrange(-20, 40)).isoformat() + "T17:00:00"
        status = "done" if due < planted.now and k % 4 else "open"
        if status == "open" and due < planted.now:
            due = _weekday(k % 30).isoformat() + "T17:00:00"  # only the planted are overdue
        task(_task_uid(len(planted.overdue) + k + 1), rng.choice(_TASK_TITLES), due, status,
             staff[k % len(staff)], party_uid("Customer", rng.randrange(customers)))
    for k in range(APPOINTMENTS):
        day, hour = _weekday(k % 20), 9 + 3 * (k // 20)
        customer = rng.randrange(customers)
        meeting(_appointment_uid(3 + k), rng.choice(_MEETING_TITLES),
                f"{day}T{hour:02d}:00:00", f"{day}T{hour + 1:02d}:30:00",
                staff[k % len(staff)], roster.contact_of_customer(customer),
                party_uid("Customer", customer))
    return b
