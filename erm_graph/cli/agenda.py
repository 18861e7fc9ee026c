"""`erm task add|assign|done|cancel|list`, `erm appointment book|move|cancel|list` and
`erm calendar show|export|import|subscribe`: time management on the command line
(:mod:`erm_graph.edit.agenda`, :mod:`erm_graph.query.agenda`, :mod:`erm_graph.interop.ical`),
each write checked by the model and audited with before and after."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from erm_graph.auth import calendar_feeds
from erm_graph.cli.edit import JsonOption, said
from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.cli.root import app, command, console, err_console, opened_store, settings_of
from erm_graph.cli.users import _users
from erm_graph.edit import agenda
from erm_graph.errors import ErmError
from erm_graph.query import agenda as reads
from erm_graph.store import GraphReader, QueryResult

task_app = typer.Typer(
    help="Tasks: `erm task add TITLE --due ... --for EMPLOYEE`, then `assign`, `done`, "
         "`cancel`; `erm task list --overdue`. Audited (`erm audit --action task`).",
    no_args_is_help=True)
appointment_app = typer.Typer(
    help="Appointments: `erm appointment book TITLE --start ... --end ... --with EMPLOYEE`, "
         "then `move`, `cancel`; `erm appointment list`. Double bookings are flagged, not "
         "refused. Audited (`erm audit --action appointment`).",
    no_args_is_help=True)
calendar_app = typer.Typer(
    help="Calendars: `erm calendar show --for EMPLOYEE [--team]` (conflicts flagged), "
         "`export` and `import` as .ics, `subscribe USER` for a calendar program.",
    no_args_is_help=True)
app.add_typer(task_app, name="task")
app.add_typer(appointment_app, name="appointment")
app.add_typer(calendar_app, name="calendar")

Employee = Annotated[str, typer.Argument(help="uid of an Employee")]
ForOption = Annotated[str | None, typer.Option("--for", help="uid of an Employee")]
About = Annotated[str | None, typer.Option(
    help="uid of the party, contact, case, opportunity, step or product it concerns")]
TeamOption = Annotated[bool, typer.Option(
    "--team", help="the employee's team too: their departments' colleagues and reports")]
FromOption = Annotated[str | None, typer.Option(
    "--from", help="first day or time (YYYY-MM-DD[THH:MM]) [default: this Monday]")]
ToOption = Annotated[str | None, typer.Option(
    "--to", help="end, not included [default: a week after --from]")]


def _people(store: GraphReader, employee: str | None, team: bool) -> list[str] | None:
    if employee is None:
        if team:
            raise ErmError("--team needs --for EMPLOYEE: whose team?")
        return None
    return [p["uid"] for p in reads.team(store, employee)] if team else [employee]


def _week(start: str | None, end: str | None) -> tuple[str, str]:
    today = datetime.combine(date.today(), time())
    begins = agenda.wall_clock(start) if start else agenda.wall_clock(
        today - timedelta(days=today.weekday()))
    ends = agenda.wall_clock(end) if end else agenda.wall_clock(
        datetime.fromisoformat(begins) + timedelta(days=7))
    return begins, ends


def _table(rows: list[dict[str, Any]], columns: list[str]) -> QueryResult:
    return QueryResult(columns, [[r.get(c) for c in columns] for r in rows])


# -- tasks -------------------------------------------------------------------------------------
@command("add", group=task_app)
def task_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="what is to be done")],
    due: Annotated[str, typer.Option(help="when it is due (YYYY-MM-DDTHH:MM)")],
    employee: ForOption = None,
    priority: Annotated[str | None, typer.Option(help="low, normal, high or urgent")] = None,
    about: About = None,
    notes: Annotated[str | None, typer.Option(help="more about it")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add an open task. Audited as `task.add`.

    Example: `erm task add "Send the offer" --due 2026-12-04T12:00 --for emp-0008
    --about cust-000021`
    """
    with opened_store(ctx) as store:
        said(agenda.add_task(store, title, due=due, assignee=employee, priority=priority,
                             about=about, notes=notes), as_json)


@command("assign", group=task_app)
def task_assign(ctx: typer.Context, task: str, employee: Employee,
                as_json: JsonOption = False) -> None:
    """Give TASK to EMPLOYEE, replacing whoever had it."""
    with opened_store(ctx) as store:
        said(agenda.assign_task(store, task, employee), as_json)


@command("done", group=task_app)
def task_done(ctx: typer.Context, task: str, as_json: JsonOption = False) -> None:
    """Mark TASK done now."""
    with opened_store(ctx) as store:
        said(agenda.complete_task(store, task), as_json)


@command("cancel", group=task_app)
def task_cancel(ctx: typer.Context, task: str, as_json: JsonOption = False) -> None:
    """Cancel TASK (it is kept, marked cancelled)."""
    with opened_store(ctx) as store:
        said(agenda.cancel_task(store, task), as_json)


TASK_COLUMNS = ["uid", "title", "due", "status", "priority", "assignee_name", "about_name"]


@command("list", group=task_app)
def task_list(
    ctx: typer.Context,
    employee: ForOption = None,
    team: TeamOption = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="only open tasks past due")]
    = False,
    status: Annotated[str | None, typer.Option(help="open, done or cancelled; `any` for all")]
    = "open",
    fmt: FormatOption = Format.table,
) -> None:
    """Tasks, soonest due first: everyone's, or those of --for EMPLOYEE (and --team)."""
    with opened_store(ctx) as store:
        people = _people(store, employee, team)
        rows = (reads.overdue(store, agenda.now_local(), people) if overdue else
                reads.tasks(store, people, status=None if status == "any" else status))
    show(_table(rows, TASK_COLUMNS), fmt, "Overdue tasks" if overdue else "Tasks")


# -- appointments ------------------------------------------------------------------------------
@command("book", group=appointment_app)
def appointment_book(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="what it is")],
    start: Annotated[str, typer.Option(help="YYYY-MM-DDTHH:MM")],
    end: Annotated[str, typer.Option(help="YYYY-MM-DDTHH:MM")],
    attendees: Annotated[list[str], typer.Option(
        "--with", help="uid of an Employee or Contact; repeat it; the first organises")],
    place: Annotated[str | None, typer.Option(help="a room, an address, a call link")] = None,
    about: About = None,
    notes: Annotated[str | None, typer.Option(help="the agenda")] = None,
    as_json: JsonOption = False,
) -> None:
    """Book an appointment; the conflicts it makes are printed. Audited as
    `appointment.book`."""
    settings = settings_of(ctx)
    with opened_store(ctx) as store:
        change = agenda.book_appointment(store, title, start=start, end=end,
                                         attendees=attendees, place=place, about=about,
                                         notes=notes)
        clashes = reads.conflicts_of(store, change.uid, settings.working_hours)
    said(change, as_json)
    for clash in clashes:
        err_console.print(f"[yellow]conflict:[/] {clash.why}", highlight=False)


@command("move", group=appointment_app)
def appointment_move(
    ctx: typer.Context, appointment: str,
    start: Annotated[str, typer.Argument(help="its new start (YYYY-MM-DDTHH:MM)")],
    end: Annotated[str | None, typer.Option(help="its new end [default: same length]")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """Move APPOINTMENT to START."""
    settings = settings_of(ctx)
    with opened_store(ctx) as store:
        change = agenda.move_appointment(store, appointment, start, end)
        clashes = reads.conflicts_of(store, appointment, settings.working_hours)
    said(change, as_json)
    for clash in clashes:
        err_console.print(f"[yellow]conflict:[/] {clash.why}", highlight=False)


@command("cancel", group=appointment_app)
def appointment_cancel(ctx: typer.Context, appointment: str,
                       as_json: JsonOption = False) -> None:
    """Cancel APPOINTMENT (it is kept, marked cancelled)."""
    with opened_store(ctx) as store:
        said(agenda.cancel_appointment(store, appointment), as_json)


APPOINTMENT_COLUMNS = ["uid", "title", "start", "end", "place", "with", "about_name"]


def _shown(booked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**a, "with": ", ".join(p["name"] or p["uid"] for p in a["attendees"])}
            for a in booked]


@command("list", group=appointment_app)
def appointment_list(ctx: typer.Context, employee: Annotated[str, typer.Option(
        "--for", help="uid of an Employee or Contact")], team: TeamOption = False,
        start: FromOption = None, end: ToOption = None,
        fmt: FormatOption = Format.table) -> None:
    """Appointments of --for EMPLOYEE (and --team) in a week (or --from/--to)."""
    begins, ends = _week(start, end)
    with opened_store(ctx) as store:
        booked = reads.appointments(store, _people(store, employee, team) or [], begins, ends)
    show(_table(_shown(booked), APPOINTMENT_COLUMNS), fmt, f"{begins[:10]} to {ends[:10]}")


# -- calendars ---------------------------------------------------------------------------------
@command("show", group=calendar_app)
def calendar_show(ctx: typer.Context, employee: Annotated[str, typer.Option(
        "--for", help="uid of an Employee")], team: TeamOption = False,
        start: FromOption = None, end: ToOption = None) -> None:
    """The calendar of --for EMPLOYEE (and --team): appointments, tasks due, conflicts (a
    person double-booked, outside the working hours: ERM_WORKING_HOURS)."""
    settings = settings_of(ctx)
    begins, ends = _week(start, end)
    with opened_store(ctx) as store:
        people = _people(store, employee, team) or []
        booked = reads.appointments(store, people, begins, ends)
        due = reads.tasks(store, people, due_from=begins, due_before=ends)
        late = reads.overdue(store, agenda.now_local(), people)
    clashes = reads.conflicts(booked, settings.working_hours, people)
    show(_table(_shown(booked), APPOINTMENT_COLUMNS), Format.table,
         f"Appointments {begins[:10]} to {ends[:10]}")
    show(_table(due, TASK_COLUMNS), Format.table, "Tasks due")
    if late:
        show(_table(late, TASK_COLUMNS), Format.table, "Overdue")
    for clash in clashes:
        console.print(f"[yellow]conflict:[/] {clash.why}", highlight=False)


@command("export", group=calendar_app)
def calendar_export(ctx: typer.Context, employee: Annotated[str, typer.Option(
        "--for", help="uid of an Employee")],
        output: Annotated[Path, typer.Option("-o", "--output", help="the .ics file")],
        start: FromOption = None, end: ToOption = None) -> None:
    """Write the appointments and open tasks of --for EMPLOYEE as an .ics file."""
    from erm_graph.interop import ical  # icalendar loads for the commands that read .ics only

    begins, ends = _week(start, end or None) if start else ical.feed_window()
    with opened_store(ctx) as store:
        data = ical.feed(store, employee, begins, ends)
    output.write_bytes(data)
    console.print(f"Wrote {output} ({len(data):,} bytes).")


@command("import", group=calendar_app)
def calendar_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="an .ics file", exists=True, dir_okay=False)],
    employee: Annotated[str, typer.Option("--for", help="uid of the Employee whose events")],
    start: Annotated[str | None, typer.Option(
        "--from", help="first day whose occurrences are imported [default: 30 days ago]")]
    = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="last day [default: a year from today]")] = None,
) -> None:
    """Book the events of FILE as appointments of --for EMPLOYEE, recurring events expanded
    between --from and --to. An event imported before is not booked again. Each appointment
    is audited as `appointment.import`."""
    from erm_graph.interop import ical

    if file.stat().st_size > ical.MAX_BYTES:
        raise ErmError(f"{file}: {file.stat().st_size:,} bytes is more than an .ics file may "
                       f"hold here ({ical.MAX_BYTES:,})")
    with opened_store(ctx) as store:
        report = ical.import_calendar(store, file.read_bytes(), file.name, [employee],
                                      start=start, end=end)
    console.print(f"Imported {len(report.made)} appointment(s) from {file.name}"
                  + (f"; {report.skipped} imported before" if report.skipped else "") + ".")


@command("subscribe", group=calendar_app)
def calendar_subscribe(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="user name (`erm users list`)")],
    revoke: Annotated[bool, typer.Option("--revoke", help="revoke the user's address")]
    = False,
) -> None:
    """Make a secret calendar address for USER (shown once; an older one stops working), or
    --revoke it. A calendar program subscribes to https://HOST/calendar/feed/TOKEN.ics."""
    users = _users(ctx)
    try:
        if revoke:
            gone = calendar_feeds.revoke_feed(users.conn, user)
            console.print(f"Revoked the calendar address of {user}." if gone
                          else f"{user} had no calendar address.")
            return
        token = calendar_feeds.new_feed(users.conn, user)
    finally:
        users.close()
    err_console.print("The address is shown once; only its digest is kept:")
    print(f"/calendar/feed/{token}.ics")
