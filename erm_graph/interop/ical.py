"""Calendars both ways, as iCalendar (RFC 5545) through the ``icalendar`` library: a person's
appointments and tasks out as one ``.ics`` (what a calendar subscription serves), and the
events of an ``.ics`` file in as appointments, recurring ones expanded by
``recurring-ical-events`` within a bounded window.

A file handed in is not trusted. Before it is parsed it must be no larger than
:data:`MAX_BYTES`, nest components no deeper than :data:`MAX_DEPTH` and hold no more than
:data:`MAX_COMPONENTS` of them; a rule may not recur more often than hourly; every rule is cut
at the window's end (``UNTIL``) so that no rule is followed past it, and all the file's
events together may not expand to more than :data:`MAX_OCCURRENCES` appointments. Each refusal
names the file and, where there is one, the event (its ``UID`` and ``SUMMARY``).

Times go out as wall-clock ("floating") times, as the graph keeps them
(:mod:`erm_graph.edit.agenda`); times that come in with a zone are turned into this server's
local time; an all-day event runs from midnight to midnight.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from erm_graph.edit import agenda
from erm_graph.edit.records import Change
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind
from erm_graph.ingest.untrusted import decode
from erm_graph.query import agenda as reads
from erm_graph.store import GraphStore

#: the largest .ics file read, in bytes
MAX_BYTES = 2_000_000
#: components inside components: a calendar holds events, an event alarms; deeper is no calendar
MAX_DEPTH = 6
#: components one file may hold
MAX_COMPONENTS = 5_000
#: appointments one import may create, recurrences expanded
MAX_OCCURRENCES = 1_000
#: how far back and ahead of today an import looks for occurrences, by default
WINDOW_BEFORE, WINDOW_AFTER = timedelta(days=30), timedelta(days=365)
#: seconds a child process may take to read one file: a rule whose parts never meet (the
#: 30th of February) sends the recurrence library looking until the year 9999, and only a
#: process can be stopped
READ_SECONDS = 10.0
#: how long before the window a recurring event may start: following a rule from further back
#: costs time for nothing
MAX_BACK = timedelta(days=20 * 365)
#: recurrence faster than this is no appointment (and would expand to millions)
_TOO_FAST = {"SECONDLY", "MINUTELY"}
PRODID = "-//erm-graph//calendar//EN"
_PRIORITY = {"urgent": 1, "high": 3, "normal": 5, "low": 9}
_TODO_STATUS = {"open": "NEEDS-ACTION", "done": "COMPLETED", "cancelled": "CANCELLED"}
_BEGIN = re.compile(rb"^BEGIN:", re.IGNORECASE | re.MULTILINE)
_LINE = re.compile(rb"^(BEGIN|END):", re.IGNORECASE)


class CalendarFileError(ErmError):
    """An .ics file that is refused: the message names the file and the event."""

    kind = "calendar_file"


# -- out ---------------------------------------------------------------------------------------
def _floating(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_ics(name: str, appointments: Iterable[dict[str, Any]],
           tasks: Iterable[dict[str, Any]], *, host: str = "erm-graph") -> bytes:
    """One calendar named ``name``: ``appointments`` (rows of
    :func:`erm_graph.query.agenda.appointments`) as events, ``tasks`` (rows of
    :func:`erm_graph.query.agenda.tasks`) as to-dos. Each keeps its graph uid in its ``UID``,
    so a subscribed calendar updates it in place when it moves."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = datetime.now().replace(microsecond=0)
    for a in appointments:
        event = icalendar.Event()
        event.add("uid", f"{a['uid']}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", a.get("title") or a["uid"])
        event.add("dtstart", _floating(a["start"]))
        event.add("dtend", _floating(a["end"]))
        event.add("status", "CANCELLED" if a.get("status") == "cancelled" else "CONFIRMED")
        if a.get("place"):
            event.add("location", a["place"])
        people = ", ".join(p.get("name") or p["uid"] for p in a.get("attendees") or ())
        notes = "\n".join(x for x in (a.get("notes"), people and f"With: {people}",
                                      a.get("about_name") and f"About: {a['about_name']}")
                          if x)
        if notes:
            event.add("description", notes)
        cal.add_component(event)
    for t in tasks:
        todo = icalendar.Todo()
        todo.add("uid", f"{t['uid']}@{host}")
        todo.add("dtstamp", stamp)
        todo.add("summary", t.get("title") or t["uid"])
        todo.add("due", _floating(t["due"]))
        todo.add("status", _TODO_STATUS.get(t.get("status") or "open", "NEEDS-ACTION"))
        if t.get("priority") in _PRIORITY:
            todo.add("priority", _PRIORITY[t["priority"]])
        if t.get("done_at") and t.get("status") == "done":
            todo.add("completed", _floating(t["done_at"]))
        if t.get("notes") or t.get("about_name"):
            todo.add("description", "\n".join(
                x for x in (t.get("notes"), t.get("about_name") and f"About: {t['about_name']}")
                if x))
        cal.add_component(todo)
    return bytes(cal.to_ical())


#: what a subscription serves: from this long ago to this far ahead
FEED_BEFORE, FEED_AFTER = timedelta(days=90), timedelta(days=365)


def feed_window() -> tuple[str, str]:
    """The times a subscription serves, around today."""
    today = datetime.combine(date.today(), time())
    return (agenda.wall_clock(today - FEED_BEFORE), agenda.wall_clock(today + FEED_AFTER))


def feed(store: GraphStore, employee: str, start: str, end: str, *,
         host: str = "erm-graph") -> bytes:
    """The calendar of the Employee ``employee``: its appointments between ``start`` and
    ``end`` (cancelled ones too, so a subscribed calendar drops them) and its tasks due from
    ``start`` on, open or not."""
    who = reads.employee_name(store, employee)
    if who is None:
        raise ErmError(f"no Employee has uid {employee!r}")
    booked = reads.appointments(store, [employee], start, end, cancelled=True)
    todo = reads.tasks(store, [employee], status=None, due_from=start)
    return to_ics(f"{who} (erm-graph)", booked, todo, host=host)


# -- in ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Occurrence:
    """One appointment an .ics event stands for: a single event, or one of a series."""

    key: str  # the event's UID and this occurrence's start: what makes a re-import idempotent
    title: str
    start: str
    end: str
    place: str | None
    notes: str | None


def _check_shape(data: bytes, where: str) -> None:
    """Size, nesting and component count, by scanning lines, before the parser runs."""
    if len(data) > MAX_BYTES:
        raise CalendarFileError(f"{where}: {len(data):,} bytes is more than an .ics file may "
                                f"hold here ({MAX_BYTES:,}); export a shorter period")
    if len(_BEGIN.findall(data)) > MAX_COMPONENTS:
        raise CalendarFileError(f"{where}: more than {MAX_COMPONENTS:,} components; export a "
                                f"shorter period")
    depth = 0
    for number, line in enumerate(data.splitlines(), 1):
        found = _LINE.match(line.lstrip())
        if not found:
            continue
        depth += 1 if found.group(1).upper() == b"BEGIN" else -1
        if depth > MAX_DEPTH:
            raise CalendarFileError(f"{where}, line {number}: components nested more than "
                                    f"{MAX_DEPTH} deep; this is no calendar file")
    if not data.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        raise CalendarFileError(f"{where}: not an iCalendar file (it does not start with "
                                f"BEGIN:VCALENDAR)")


def _wall(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return datetime.fromisoformat(agenda.wall_clock(value))
    return datetime.combine(value, time())


def _named(event: Any) -> str:
    return f"event {str(event.get('uid', '?'))!r} ({str(event.get('summary', 'untitled'))!r})"


def _bound_rules(cal: Any, where: str, window_end: datetime) -> None:
    """Refuse too-fast rules; cut every rule at the window's end (no rule is followed past
    it, however its COUNT or BYxxx parts are written)."""
    for event in cal.walk("VEVENT"):
        rules = event.get("rrule")
        for rule in rules if isinstance(rules, list) else [rules] if rules else []:
            freq = [str(f).upper() for f in rule.get("FREQ", [])]
            if not freq or freq[0] in _TOO_FAST:
                raise CalendarFileError(f"{where}: {_named(event)} recurs "
                                        f"{(freq or ['with no FREQ'])[0].lower()}; an "
                                        f"appointment recurs at most hourly")
            begins = getattr(event.get("dtstart"), "dt", None)
            until: date | datetime = window_end
            if isinstance(begins, datetime) and begins.tzinfo is not None:
                until = window_end.astimezone().astimezone(UTC)
            elif isinstance(begins, date) and not isinstance(begins, datetime):
                until = window_end.date()
            if begins is not None and _wall(begins) < window_end - MAX_BACK:
                raise CalendarFileError(f"{where}: {_named(event)} recurs from {begins}, more "
                                        f"than {MAX_BACK.days // 365} years before the window; "
                                        f"export it again from a recent start")
            if "COUNT" in rule:
                continue  # COUNT and UNTIL may not meet; the occurrence cap bounds it
            old = rule.get("UNTIL")
            if not old or _wall(old[0]) > window_end:
                rule["UNTIL"] = [until]


def read_ics(data: bytes, where: str, start: datetime, end: datetime, *,
             most: int = MAX_OCCURRENCES) -> list[Occurrence]:
    """The appointments the .ics ``data`` (named ``where`` in errors) holds between ``start``
    and ``end``, recurring events expanded; see the module docstring for what is refused."""
    _check_shape(data, where)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarFileError(f"{where}: not a readable iCalendar file: {exc}") from None
    if isinstance(cal, list):
        raise CalendarFileError(f"{where}: holds {len(cal)} calendars; export one")
    _bound_rules(cal, where, end)
    found: list[Occurrence] = []
    try:
        series = recurring_ical_events.of(cal, components=["VEVENT"]).after(start)
        for event in series:
            begins = event.get("dtstart")
            if begins is None:
                raise CalendarFileError(f"{where}: {_named(event)} has no DTSTART")
            first = _wall(begins.dt)
            if first >= end:
                break
            if len(found) >= most:
                raise CalendarFileError(
                    f"{where}: the events expand to more than {most:,} appointments between "
                    f"{start:%Y-%m-%d} and {end:%Y-%m-%d} (last: {_named(event)}); import a "
                    f"shorter window (--from/--to) or split the file")
            finish = event.get("dtend")
            last = _wall(finish.dt) if finish is not None else first + (
                timedelta(days=1) if not isinstance(begins.dt, datetime) else timedelta(hours=1))
            if not first < last <= first + agenda.LONGEST:
                raise CalendarFileError(f"{where}: {_named(event)} runs from {first} to {last}; "
                                        f"an appointment ends after it starts, within "
                                        f"{agenda.LONGEST.days} days")
            if str(event.get("status", "")).upper() == "CANCELLED":
                continue
            uid = str(event.get("uid") or f"{where}:{event.get('summary')}")
            found.append(Occurrence(
                key=f"{uid}/{first.isoformat(timespec='seconds')}",
                title=str(event.get("summary") or "untitled"),
                start=first.isoformat(timespec="seconds"),
                end=last.isoformat(timespec="seconds"),
                place=str(event["location"]) if event.get("location") else None,
                notes=str(event["description"])[:5000] if event.get("description") else None))
    except CalendarFileError:
        raise
    except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as exc:
        raise CalendarFileError(f"{where}: an event cannot be expanded: {exc}") from None
    return found


def read_ics_bounded(data: bytes, where: str, start: datetime, end: datetime, *,
                     seconds: float = READ_SECONDS) -> list[Occurrence]:
    """:func:`read_ics` in a fresh child process, stopped after ``seconds`` (see
    :data:`READ_SECONDS`); the size is checked here first, so no large file is piped."""
    if len(data) > MAX_BYTES:
        _check_shape(data, where)
    try:
        done = subprocess.run([sys.executable, "-m", "erm_graph.interop.ical"],
                              input=pickle.dumps((data, where, start, end)),
                              capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise CalendarFileError(f"{where}: reading it took more than {seconds:g} s (a "
                                f"recurrence rule whose parts never meet?); nothing was "
                                f"imported") from None
    if done.returncode != 0:
        lines = decode(done.stderr, where).strip().splitlines() or ["it stopped"]
        raise CalendarFileError(f"{where}: could not be read ({lines[-1]})")
    # the child is this program's own, started just now: its answer is trusted
    answer = pickle.loads(done.stdout)  # noqa: S301
    if isinstance(answer, str):
        raise CalendarFileError(answer)
    return [Occurrence(**row) for row in answer]


def _serve() -> None:
    """The child of :func:`read_ics_bounded`: a request on stdin, the occurrences (or the
    refusal's message) on stdout."""
    data, where, start, end = pickle.loads(sys.stdin.buffer.read())  # noqa: S301
    try:
        answer: list[dict[str, Any]] | str = [
            asdict(o) for o in read_ics(data, where, start, end)]
    except CalendarFileError as exc:
        answer = str(exc)
    sys.stdout.buffer.write(pickle.dumps(answer))


@dataclass
class ImportReport:
    """What one import did: appointments made, and occurrences already imported before."""

    made: list[Change]
    skipped: int

    def as_dict(self) -> dict[str, Any]:
        return {"imported": len(self.made), "already_there": self.skipped,
                "appointments": [c.uid for c in self.made]}


def window(start: str | None = None, end: str | None = None) -> tuple[datetime, datetime]:
    """The import window: ``start``/``end`` (times or dates), else the default around now."""
    today = datetime.combine(date.today(), time())
    begins = datetime.fromisoformat(agenda.wall_clock(start)) if start else today - WINDOW_BEFORE
    ends = datetime.fromisoformat(agenda.wall_clock(end)) if end else today + WINDOW_AFTER
    if ends <= begins:
        raise ErmError(f"the import window ends ({ends:%Y-%m-%d}) before it starts "
                       f"({begins:%Y-%m-%d})")
    return begins, ends


def import_calendar(store: GraphStore, data: bytes, where: str, attendees: Sequence[str], *,
                    start: str | None = None, end: str | None = None) -> ImportReport:
    """Book the appointments of the .ics ``data`` for ``attendees`` (the first is the
    organiser), each audited as ``appointment.import``. An occurrence imported before (same
    UID and start) is not booked twice. Nothing is written when the file is refused."""
    begins, ends = window(start, end)
    occurrences = read_ics_bounded(data, where, begins, ends)
    there = reads.imported(store, [o.key for o in occurrences])
    made = []
    for o in occurrences:
        if o.key in there:
            continue
        made.append(agenda.book_appointment(
            store, o.title, start=o.start, end=o.end, attendees=attendees, place=o.place,
            notes=o.notes, ical_uid=o.key, kind=WriteKind.APPOINTMENT_IMPORT))
    return ImportReport(made, len(occurrences) - len(made))


if __name__ == "__main__":
    _serve()
