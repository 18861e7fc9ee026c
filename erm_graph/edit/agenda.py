"""Quick actions on time: add, assign, complete and cancel a task; book, move and cancel an
appointment. Each is one :func:`erm_graph.edit.records.save` (checked by the model, one write
event with its own audit action, ``task.add``, ``appointment.move``...), as the case and
opportunity actions of :mod:`erm_graph.edit.actions` are.

Times are wall-clock times ``YYYY-MM-DDTHH:MM:SS`` with no zone, as the demo's and a load's
are: a time given with a zone (``...Z``, ``+01:00``) is turned into this server's local time
first, so that every stored time compares with every other as text. A cancelled appointment
stays (status ``cancelled``), so the calendar's history and the audit trail agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from erm_graph.edit.records import Change, Tie, Untie, new_uid, record, save
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind
from erm_graph.query.governance import has_left
from erm_graph.query.subgraph import GNode
from erm_graph.store import GraphStore

#: the longest an appointment may last: longer is a typing mistake (a year for a day)
LONGEST = timedelta(days=14)


def wall_clock(text: str | datetime, what: str = "time") -> str:
    """``text`` as a local wall-clock time ``YYYY-MM-DDTHH:MM:SS``; an error naming ``what``
    and the value when it is no time. A date alone is its midnight."""
    if isinstance(text, datetime):
        moment = text
    else:
        raw = (text or "").strip()
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ErmError(f"field {what!r}: {text!r} is not a time; give YYYY-MM-DDTHH:MM "
                           f"(e.g. 2026-12-03T10:00)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat(timespec="seconds")


def now_local() -> str:
    """This moment as a wall-clock time (what "overdue" is measured against)."""
    return wall_clock(datetime.now())


def _employee(store: GraphStore, uid: str) -> GNode:
    """An employee who is still with us: a task is one person's work."""
    node = record(store, uid)
    if node.label != "Employee":
        raise ErmError(f"{uid!r} is a {node.label}; a task is assigned to an Employee (type a "
                       f"name to look one up)")
    if has_left(node.props):
        raise ErmError(f"{node.name} ({uid}) left on {node.props['left_on']}; assign someone "
                       f"who is still with us")
    return node


def _about(store: GraphStore, uid: str | None) -> list[Tie]:
    """What the record concerns (the model says which labels may be)."""
    return [Tie("CONCERNS", record(store, uid))] if uid else []


def _title(title: str) -> str:
    if not (title or "").strip():
        raise ErmError("field 'title': say in a line what it is")
    return title.strip()


# -- tasks -------------------------------------------------------------------------------------
def add_task(store: GraphStore, title: str, *, due: str, assignee: str | None = None,
             priority: str | None = None, about: str | None = None,
             notes: str | None = None, uid: str | None = None) -> Change:
    """Add an open task due at ``due``, for ``assignee`` (an Employee), concerning ``about``
    (a party, contact, case, opportunity, step or product). Audited as ``task.add``.
    ``uid``: its uid, when the caller makes it (a watch rule's, one per condition)."""
    ties = [*([Tie("ASSIGNED_TO", _employee(store, assignee))] if assignee else []),
            *_about(store, about)]
    text = _title(title)
    props = {"title": text, "name": text, "due": wall_clock(due, "due"), "status": "open",
             **({"priority": priority} if priority else {}),
             **({"notes": notes} if notes else {})}
    return save(store, WriteKind.TASK_ADD, "Task", uid or new_uid("Task"), props, ties=ties)


def _open_task(store: GraphStore, uid: str) -> GNode:
    node = record(store, uid, "Task")
    if node.props.get("status") != "open":
        raise ErmError(f"task {uid} is {node.props.get('status')}; only an open task is "
                       f"assigned, done or cancelled")
    return node


def assign_task(store: GraphStore, uid: str, assignee: str) -> Change:
    """Give the task ``uid`` to ``assignee``, replacing whoever had it. Audited as
    ``task.assign``."""
    task = _open_task(store, uid)
    return save(store, WriteKind.TASK_ASSIGN, "Task", uid, {}, existing=task,
                ties=[Tie("ASSIGNED_TO", _employee(store, assignee))],
                unties=[Untie("ASSIGNED_TO")])


def complete_task(store: GraphStore, uid: str) -> Change:
    """Mark the task ``uid`` done now. Audited as ``task.done``."""
    task = _open_task(store, uid)
    return save(store, WriteKind.TASK_DONE, "Task", uid,
                {"status": "done", "done_at": now_local()}, existing=task)


def cancel_task(store: GraphStore, uid: str) -> Change:
    """Cancel the task ``uid`` (kept, with the time). Audited as ``task.cancel``."""
    task = _open_task(store, uid)
    return save(store, WriteKind.TASK_CANCEL, "Task", uid,
                {"status": "cancelled", "done_at": now_local()}, existing=task)


# -- appointments ------------------------------------------------------------------------------
def _span(start: str, end: str) -> tuple[str, str]:
    begins, ends = wall_clock(start, "start"), wall_clock(end, "end")
    if ends <= begins:
        raise ErmError(f"field 'end': {ends} is not after the start {begins}")
    if datetime.fromisoformat(ends) - datetime.fromisoformat(begins) > LONGEST:
        raise ErmError(f"field 'end': {begins} to {ends} is longer than {LONGEST.days} days; "
                       f"book a recurring appointment as its single meetings")
    return begins, ends


def _attendee(store: GraphStore, uid: str) -> GNode:
    node = record(store, uid)
    if node.label not in ("Employee", "Contact"):
        raise ErmError(f"{uid!r} is a {node.label}; an appointment's attendees are employees "
                       f"and contacts")
    if node.label == "Employee" and has_left(node.props):
        raise ErmError(f"{node.name} ({uid}) left on {node.props['left_on']}")
    return node


def book_appointment(store: GraphStore, title: str, *, start: str, end: str,
                     attendees: Sequence[str], place: str | None = None,
                     about: str | None = None, notes: str | None = None,
                     ical_uid: str | None = None,
                     kind: WriteKind = WriteKind.APPOINTMENT_BOOK) -> Change:
    """Book an appointment from ``start`` to ``end`` with ``attendees`` (employees and
    contacts; the first is its organiser), at ``place``, concerning ``about``. Audited as
    ``appointment.book`` (an imported event as ``appointment.import``). A double booking is
    not refused: the calendar flags it (:func:`erm_graph.query.agenda.conflicts_of`)."""
    people = list(dict.fromkeys(a.strip() for a in attendees if a and a.strip()))
    if not people:
        raise ErmError("field 'attendees': name at least one employee or contact")
    begins, ends = _span(start, end)
    ties = [Tie("ATTENDS", _attendee(store, uid), outgoing=False,
                props={"role": "organiser" if i == 0 else "attendee"})
            for i, uid in enumerate(people)]
    text = _title(title)
    props = {"title": text, "name": text, "start": begins, "end": ends, "status": "confirmed",
             **{k: v for k, v in (("place", place), ("notes", notes), ("ical_uid", ical_uid))
                if v}}
    return save(store, kind, "Appointment", new_uid("Appointment"), props,
                ties=[*ties, *_about(store, about)])


def _live_appointment(store: GraphStore, uid: str) -> GNode:
    node = record(store, uid, "Appointment")
    if node.props.get("status") == "cancelled":
        raise ErmError(f"appointment {uid} is cancelled; book a new one")
    return node


def move_appointment(store: GraphStore, uid: str, start: str, end: str | None = None) -> Change:
    """Move the appointment ``uid`` to ``start`` (to ``end``, else keeping its length).
    Audited as ``appointment.move`` with the times before and after."""
    node = _live_appointment(store, uid)
    if not end:
        length = (datetime.fromisoformat(str(node.props["end"]))
                  - datetime.fromisoformat(str(node.props["start"])))
        end = wall_clock(datetime.fromisoformat(wall_clock(start, "start")) + length)
    begins, ends = _span(start, end)
    return save(store, WriteKind.APPOINTMENT_MOVE, "Appointment", uid,
                {"start": begins, "end": ends}, existing=node)


def cancel_appointment(store: GraphStore, uid: str) -> Change:
    """Cancel the appointment ``uid``; it stays, marked cancelled. Audited as
    ``appointment.cancel``."""
    node = _live_appointment(store, uid)
    return save(store, WriteKind.APPOINTMENT_CANCEL, "Appointment", uid,
                {"status": "cancelled"}, existing=node)
