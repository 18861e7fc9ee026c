"""The calendar: a person's or a team's appointments and tasks by day, week or month, with
conflicts flagged (a person double-booked, an appointment outside the working hours) and the
overdue tasks; the quick actions on tasks and appointments (permission ``work``, each a write
event audited as the request's user); .ics import; and the secret subscription address that
serves a user's calendar to a calendar program (``/calendar/feed/TOKEN.ics``).

"Me" is the signed-in user's Employee (:func:`erm_graph.auth.me.signed_in_employee`); "team"
is that employee's departments' colleagues and reports (:func:`erm_graph.query.agenda.team`).
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from erm_graph.auth import calendar_feeds
from erm_graph.auth.me import signed_in_employee, unlinked_message
from erm_graph.auth.users import Users
from erm_graph.edit import agenda
from erm_graph.errors import ErmError
from erm_graph.interop import ical
from erm_graph.query import agenda as reads
from erm_graph.query.explore import NotFound
from erm_graph.web.deps import Settings, Store
from erm_graph.web.routers.pages import page

router = APIRouter()

VIEWS = {"day": 1, "week": 7, "month": 0}


def _me(request: Request, store: Any) -> dict[str, Any] | None:
    return signed_in_employee(store, request.state.principal)


def _people(request: Request, store: Any, who: str) -> list[dict[str, Any]]:
    """The employees ``who`` names: ``me``, ``team`` (mine), or an Employee uid."""
    if who in ("me", "team"):
        me = _me(request, store)
        if me is None:
            raise ErmError(unlinked_message(request.state.principal))
        return reads.team(store, me["uid"]) if who == "team" else [me]
    name = reads.employee_name(store, who)
    if name is None:
        raise NotFound(f"no Employee has uid {who!r}")
    return [{"uid": who, "name": name}]


def _span(view: str, day: str | None) -> tuple[str, str, str]:
    """The first day of the view around ``day`` (default today), and its end."""
    if view not in VIEWS:
        raise ErmError(f"view {view!r}: give day, week or month")
    try:
        anchor = date.fromisoformat(day) if day else date.today()
    except ValueError:
        raise ErmError(f"day {day!r} is not a date (YYYY-MM-DD)") from None
    if view == "day":
        first, last = anchor, anchor + timedelta(days=1)
    elif view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=7)
    else:
        first = anchor.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    begins, ends = (agenda.wall_clock(datetime.combine(d, time())) for d in (first, last))
    return anchor.isoformat(), begins, ends


def calendar_of(request: Request, store: Any, settings: Any, who: str, view: str,
                day: str | None) -> dict[str, Any]:
    """What the page and ``GET /api/calendar`` show."""
    anchor, begins, ends = _span(view, day)
    people = _people(request, store, who)
    uids = [p["uid"] for p in people]
    booked = reads.appointments(store, uids, begins, ends)
    clashes = reads.conflicts(booked, settings.working_hours, uids)
    due = reads.tasks(store, uids, due_from=begins, due_before=ends)
    flagged: dict[str, list[str]] = {}
    for clash in clashes:
        for uid in clash.appointments:
            flagged.setdefault(uid, []).append(clash.why)
    days = []
    current = datetime.fromisoformat(begins)
    while current.isoformat() < ends:
        key = current.date().isoformat()
        days.append({"date": key, "weekday": f"{current:%a}",
                     "appointments": [{**a, "conflicts": flagged.get(a["uid"], [])}
                                      for a in booked if a["start"][:10] <= key <= a["end"][:10]
                                      and not (a["end"][:10] == key > a["start"][:10]
                                               and a["end"][11:] == "00:00:00")],
                     "tasks": [t for t in due if t["due"][:10] == key]})
        current += timedelta(days=1)
    return {"days": days, "who": who, "view": view, "day": anchor, "start": begins, "end": ends,
            "people": people, "appointments": booked,
            "tasks": due,
            "overdue": reads.overdue(store, agenda.now_local(), uids),
            "conflicts": [c.as_dict() for c in clashes],
            "working_hours": str(settings.working_hours)}


@router.get("/calendar", response_class=HTMLResponse, include_in_schema=False)
def calendar_page(request: Request, store: Store, settings: Settings, who: str = "me",
                  view: str = "week", day: str | None = None) -> HTMLResponse:
    try:
        shown = calendar_of(request, store, settings, who, view, day)
        problem = None
    except ErmError as exc:
        shown, problem = None, str(exc)
    users = request.app.state.auth.users()
    principal = request.state.principal
    subscribed = (calendar_feeds.has_feed(users.conn, principal.name)
                  if users is not None else None)
    return page(request, "calendar.html", cal=shown, problem=problem, who=who, view=view,
                subscribed=subscribed, me=_me(request, store), active="calendar")


@router.get("/api/calendar", tags=["calendar"],
            summary="A calendar: appointments, tasks due, overdue tasks and conflicts of me, "
                    "my team or an employee, for a day, week or month (staff)")
def get_calendar(request: Request, store: Store, settings: Settings,
                 who: Annotated[str, Query(max_length=1000)] = "me",
                 view: Annotated[str, Query(max_length=10)] = "week",
                 day: Annotated[str | None, Query(max_length=10)] = None) -> dict[str, Any]:
    return calendar_of(request, store, settings, who, view, day)


@router.get("/api/tasks", tags=["calendar"],
            summary="Tasks of me, my team or an employee: open ones, or only the overdue")
def get_tasks(request: Request, store: Store,
              who: Annotated[str, Query(max_length=1000)] = "me",
              overdue: bool = False) -> list[dict[str, Any]]:
    uids = [p["uid"] for p in _people(request, store, who)]
    return (reads.overdue(store, agenda.now_local(), uids) if overdue
            else reads.tasks(store, uids))


# -- tasks -------------------------------------------------------------------------------------
Uid = Field(None, min_length=1, max_length=1000)


class NewTask(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    due: str = Field(max_length=40, description="YYYY-MM-DDTHH:MM")
    assignee: str | None = Field(None, min_length=1, max_length=1000,
                                 description="an Employee [default: your own]")
    priority: str | None = Field(None, max_length=20)
    about: str | None = Uid
    notes: str | None = Field(None, max_length=20_000)


@router.post("/api/tasks", tags=["calendar"], summary="Add a task (audited as task.add)")
def post_task(request: Request, body: NewTask) -> dict[str, Any]:
    store = request.app.state.store
    values = body.model_dump()
    if not values["assignee"]:
        me = _me(request, store)
        values["assignee"] = me["uid"] if me else None
    title = values.pop("title")
    return agenda.add_task(store, title, **values).as_dict()


class Assignment(BaseModel):
    assignee: str = Field(min_length=1, max_length=1000, description="uid of an Employee")


@router.post("/api/tasks/{uid:uid}/assign", tags=["calendar"],
             summary="Give a task to someone else (audited as task.assign)")
def post_task_assign(request: Request, uid: str, body: Assignment) -> dict[str, Any]:
    return agenda.assign_task(request.app.state.store, uid, body.assignee).as_dict()


@router.post("/api/tasks/{uid:uid}/done", tags=["calendar"],
             summary="Mark a task done (audited as task.done)")
def post_task_done(request: Request, uid: str) -> dict[str, Any]:
    return agenda.complete_task(request.app.state.store, uid).as_dict()


@router.post("/api/tasks/{uid:uid}/cancel", tags=["calendar"],
             summary="Cancel a task (audited as task.cancel)")
def post_task_cancel(request: Request, uid: str) -> dict[str, Any]:
    return agenda.cancel_task(request.app.state.store, uid).as_dict()


# -- appointments ------------------------------------------------------------------------------
class NewAppointment(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    start: str = Field(max_length=40, description="YYYY-MM-DDTHH:MM")
    end: str = Field(max_length=40, description="YYYY-MM-DDTHH:MM")
    attendees: list[str] = Field(default_factory=list, max_length=100,
                                 description="Employees and Contacts [default: you]")
    place: str | None = Field(None, max_length=500)
    about: str | None = Uid
    notes: str | None = Field(None, max_length=20_000)


def _with_conflicts(request: Request, change: Any) -> dict[str, Any]:
    settings = request.app.state.settings
    clashes = reads.conflicts_of(request.app.state.store, change.uid, settings.working_hours)
    return {**change.as_dict(), "conflicts": [c.as_dict() for c in clashes]}


@router.post("/api/appointments", tags=["calendar"],
             summary="Book an appointment; the answer lists the conflicts it is in (audited "
                     "as appointment.book)")
def post_appointment(request: Request, body: NewAppointment) -> dict[str, Any]:
    store = request.app.state.store
    values = body.model_dump()
    me = _me(request, store)
    people = [a for a in values.pop("attendees") if a.strip()]
    if me and me["uid"] not in people:
        people.insert(0, me["uid"])
    title = values.pop("title")
    change = agenda.book_appointment(store, title, attendees=people, **values)
    return _with_conflicts(request, change)


class Move(BaseModel):
    start: str = Field(max_length=40)
    end: str | None = Field(None, max_length=40, description="[default: the same length]")


@router.post("/api/appointments/{uid:uid}/move", tags=["calendar"],
             summary="Move an appointment (audited as appointment.move)")
def post_appointment_move(request: Request, uid: str, body: Move) -> dict[str, Any]:
    change = agenda.move_appointment(request.app.state.store, uid, body.start, body.end)
    return _with_conflicts(request, change)


@router.post("/api/appointments/{uid:uid}/cancel", tags=["calendar"],
             summary="Cancel an appointment (audited as appointment.cancel)")
def post_appointment_cancel(request: Request, uid: str) -> dict[str, Any]:
    return agenda.cancel_appointment(request.app.state.store, uid).as_dict()


@router.post("/api/calendar/import", tags=["calendar"],
             summary="Book the events of an .ics file for an employee (default: you), "
                     "recurrences expanded (each audited as appointment.import)")
async def post_import(request: Request, file: Annotated[UploadFile, File()],
                      employee: Annotated[str | None, Form(max_length=1000)] = None
                      ) -> dict[str, Any]:
    store = request.app.state.store
    who = employee or (_me(request, store) or {}).get("uid")
    if not who:
        raise ErmError("say whose events these are (employee), or link your user to your "
                       "employee: " + unlinked_message(request.state.principal))
    data = await file.read(ical.MAX_BYTES + 1)
    name = (file.filename or "upload.ics")[-200:]
    report = ical.import_calendar(store, data, name, [who])
    return report.as_dict()


# -- subscription ------------------------------------------------------------------------------
def _conn(request: Request) -> sqlite3.Connection:
    users: Users = request.app.state.auth.users(create=True)
    return users.conn


@router.post("/api/calendar/subscription", tags=["calendar"],
             summary="Make my calendar's secret subscription address (shown once; an older "
                     "one stops working)")
def post_subscription(request: Request) -> dict[str, Any]:
    principal = request.state.principal
    if principal.via == "local":
        raise ErmError("the single local admin has no user to subscribe as: add users "
                       "(`erm users add`) and link each to their employee")
    token = calendar_feeds.new_feed(_conn(request), principal.name, actor=principal.name)
    path = f"/calendar/feed/{token}.ics"
    return {"path": path, "url": str(request.base_url).rstrip("/") + path}


@router.delete("/api/calendar/subscription", tags=["calendar"],
               summary="Revoke my calendar's subscription address")
def delete_subscription(request: Request) -> dict[str, Any]:
    principal = request.state.principal
    return {"revoked": calendar_feeds.revoke_feed(_conn(request), principal.name,
                                                  actor=principal.name)}


@router.get("/calendar/feed/{name}", include_in_schema=False)
def get_feed(request: Request, name: str) -> Response:
    """The calendar of the user whose secret address this is, as iCalendar. The address is
    the credential (a calendar program cannot log in); a wrong or revoked one is a 404."""
    users: Users | None = request.app.state.auth.users()
    token = name.removesuffix(".ics")
    user = calendar_feeds.feed_user(users.conn, token) if users is not None else None
    principal = users.get(user) if users is not None and user else None
    store = request.app.state.store
    employee = signed_in_employee(store, principal) if principal is not None else None
    if employee is None:
        raise NotFound("no such calendar")
    start, end = ical.feed_window()
    data = ical.feed(store, employee["uid"], start, end, host=request.url.hostname or "erm")
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"cache-control": "private, no-store",
                             "content-disposition": 'inline; filename="calendar.ics"'})
