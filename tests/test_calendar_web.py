"""The calendar in the web app and as iCalendar: the page and API, the subscription address
(a wrong or revoked token is refused), the .ics round trip (export parsed back by icalendar;
import of a recurring event with an EXDATE) and hostile files refused within a time bound.
Real embedded engine, real SQLite security file, real child process for .ics reading."""

from __future__ import annotations

import time
from datetime import datetime

import icalendar
import pytest
from fastapi.testclient import TestClient

from erm_graph.auth import Users
from erm_graph.edit import agenda
from erm_graph.interop import ical
from erm_graph.query import agenda as reads
from erm_graph.settings import Settings
from erm_graph.web import create_app

PASSWORD = "correct horse battery"
LOCAL = "http://127.0.0.1"
WINDOW = (datetime(2026, 11, 1), datetime(2027, 11, 1))


def ics(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()


def event(uid: str, extra: str = "", start: str = "20261201T100000",
          end: str = "20261201T110000") -> str:
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Meeting {uid}\r\nDTSTART:{start}\r\n"
            f"DTEND:{end}\r\n{extra}END:VEVENT\r\n")


@pytest.fixture
def web(store, tmp_path):
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "Ann Smith"},
                                    {"uid": "e2", "name": "Bo Berg"}])
    store.upsert_nodes("Department", [{"uid": "d1", "name": "Sales"}])
    store.upsert_relationships("MEMBER_OF", "Employee", "Department",
                               [{"start": "e1", "end": "d1"}, {"start": "e2", "end": "d1"}])
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    path = tmp_path / "users.db"
    users = Users.open(path)
    users.add("ann", "officer", password=PASSWORD)
    users.link_employee("ann", "e1")
    users.add("vic", "viewer", password=PASSWORD)
    tokens = {"ann": users.new_token("ann"), "vic": users.new_token("vic")}
    users.close()
    app = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1"), store=store)
    with TestClient(app, base_url=LOCAL) as client:
        client.headers["authorization"] = f"Bearer {tokens['ann']}"
        yield client, store, tokens


def test_book_two_overlapping_and_see_the_conflict(web):
    client, store, _ = web
    first = client.post("/api/appointments", json={
        "title": "Visit Acme", "start": "2026-12-03T10:00", "end": "2026-12-03T11:00",
        "attendees": ["e2"], "about": "c1"})
    assert first.status_code == 200, first.text
    assert first.json()["conflicts"] == []
    second = client.post("/api/appointments", json={
        "title": "Sync", "start": "2026-12-03T10:30", "end": "2026-12-03T11:30",
        "attendees": ["e2"]})
    clash = second.json()["conflicts"]
    assert [c["kind"] for c in clash] == ["double-booked", "double-booked"]  # Ann and Bo
    week = client.get("/api/calendar", params={"who": "team", "view": "week",
                                               "day": "2026-12-03"}).json()
    assert {p["uid"] for p in week["people"]} == {"e1", "e2"}
    assert len(week["appointments"]) == 2
    assert {c["person"] for c in week["conflicts"]} == {"e1", "e2"}
    page = client.get("/calendar", params={"view": "week", "day": "2026-12-03"})
    assert page.status_code == 200 and "⚠ conflict" in page.text and "Double-booked" in page.text
    bad = client.post("/api/appointments", json={
        "title": "x", "start": "2026-12-03T10:30", "end": "2026-12-03T09:30"})
    assert bad.status_code == 400 and "not after the start" in bad.text


def test_tasks_through_the_api(web):
    client, store, tokens = web
    made = client.post("/api/tasks", json={"title": "Call back", "due": "2020-01-01T09:00",
                                           "about": "c1", "priority": "high"})
    assert made.status_code == 200, made.text
    uid = made.json()["uid"]
    assert [t["uid"] for t in client.get("/api/tasks", params={"overdue": True}).json()] == [uid]
    assert client.post(f"/api/tasks/{uid}/assign", json={"assignee": "e2"}).status_code == 200
    assert client.get("/api/tasks").json() == []
    assert [t["uid"] for t in client.get("/api/tasks", params={"who": "team"}).json()] == [uid]
    assert client.post(f"/api/tasks/{uid}/done").status_code == 200
    assert client.get("/api/tasks", params={"who": "e2"}).json() == []
    # a viewer reads calendars but books nothing
    viewer = {"authorization": f"Bearer {tokens['vic']}"}
    assert client.post("/api/tasks", json={"title": "x", "due": "2026-12-01T10:00"},
                       headers=viewer).status_code == 403
    unlinked = client.get("/api/calendar", headers=viewer)
    assert unlinked.status_code == 400 and "not linked" in unlinked.text


def test_subscription_serves_the_calendar_and_a_revoked_token_is_refused(web):
    client, store, _ = web
    agenda.book_appointment(store, "Visit Acme", start="2026-12-03T10:00",
                            end="2026-12-03T11:00", attendees=["e1"], place="Acme HQ")
    agenda.add_task(store, "Send offer", due="2026-12-04T12:00", assignee="e1",
                    priority="urgent")
    made = client.post("/api/calendar/subscription").json()
    path = made["path"]
    feed = TestClient(client.app, base_url=LOCAL)  # a calendar program: no login at all
    got = feed.get(path)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(got.content)
    events = cal.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Visit Acme"]
    assert str(events[0]["location"]) == "Acme HQ"
    assert events[0].decoded("dtstart") == datetime(2026, 12, 3, 10, 0)
    todos = cal.walk("VTODO")
    assert [str(t["summary"]) for t in todos] == ["Send offer"] and int(todos[0]["priority"]) == 1
    token = path.split("/")[-1].removesuffix(".ics")
    assert feed.get(path.replace(token, token[:-2] + "xx")).status_code == 404
    assert feed.get("/calendar/feed/nothing.ics").status_code == 404
    assert client.delete("/api/calendar/subscription").json() == {"revoked": True}
    assert feed.get(path).status_code == 404
    again = client.post("/api/calendar/subscription").json()["path"]
    assert again != path and feed.get(again).status_code == 200
    assert client.post("/api/calendar/subscription").status_code == 200
    assert feed.get(again).status_code == 404  # a new address replaces the old one
    trail = client.get("/api/calendar", params={"view": "day"})  # still works as a page read
    assert trail.status_code == 200
    # the token is kept as a digest only
    from erm_graph.auth.db import connect
    conn = connect(client.app.state.auth.path)
    stored = [r[0] for r in conn.execute("SELECT token_hash FROM calendar_feeds")]
    audit_text = " ".join(str(r) for r in conn.execute("SELECT * FROM audit"))
    conn.close()
    assert token not in stored and token not in audit_text


def test_export_parses_back_and_import_expands_a_recurrence_with_an_exdate(web):
    client, store, _ = web
    weekly = event("series-1", "RRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE:20261208T100000\r\n"
                   "LOCATION:Room 4\r\n")
    zoned = event("zoned-1", start="20261202T090000Z", end="20261202T093000Z")
    done = client.post("/api/calendar/import",
                       files={"file": ("team.ics", ics(weekly, zoned), "text/calendar")},
                       data={"employee": "e2"})
    assert done.status_code == 200, done.text
    assert done.json()["imported"] == 5  # 5 weekly, less the EXDATE, and the zoned one
    booked = reads.appointments(store, ["e2"], "2026-11-01T00:00:00", "2027-02-01T00:00:00")
    series = [a["start"] for a in booked if a["title"] == "Meeting series-1"]
    assert series == ["2026-12-01T10:00:00", "2026-12-15T10:00:00", "2026-12-22T10:00:00",
                      "2026-12-29T10:00:00"]
    assert {a["place"] for a in booked if a["title"] == "Meeting series-1"} == {"Room 4"}
    zoned_start = datetime.fromisoformat("2026-12-02T09:00:00+00:00").astimezone()
    assert [a["start"] for a in booked if a["title"] == "Meeting zoned-1"] == [
        zoned_start.replace(tzinfo=None).isoformat(timespec="seconds")]
    again = client.post("/api/calendar/import",
                        files={"file": ("team.ics", ics(weekly, zoned), "text/calendar")},
                        data={"employee": "e2"}).json()
    assert again["imported"] == 0 and again["already_there"] == 5
    # and back out: what was imported parses as the same times
    out = icalendar.Calendar.from_ical(ical.feed(store, "e2", "2026-11-01T00:00:00",
                                                 "2027-02-01T00:00:00"))
    starts = sorted(e.decoded("dtstart") for e in out.walk("VEVENT")
                    if str(e["summary"]) == "Meeting series-1")
    assert [s.isoformat() for s in starts] == series


@pytest.mark.parametrize(("name", "data", "message"), [
    ("count.ics", ics(event("a", "RRULE:FREQ=HOURLY;COUNT=999999999\r\n")),
     "more than 1,000 appointments"),
    ("hourly.ics", ics(event("a", "RRULE:FREQ=HOURLY\r\n")), "more than 1,000 appointments"),
    ("secondly.ics", ics(event("a", "RRULE:FREQ=SECONDLY;COUNT=99999999\r\n")),
     "recurs secondly"),
    ("never.ics", ics(event("a", "RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;COUNT=5\r\n")),
     "took more than"),
    ("deep.ics", b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 1000 + b"END:VEVENT\r\n" * 1000
     + b"END:VCALENDAR\r\n", "nested more than"),
    ("many.ics", ics(*(event(f"e{i}") for i in range(6000))), "more than 5,000 components"),
    ("huge.ics", b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"x" * 2_100_000 + b"\r\nEND:VCALENDAR\r\n",
     "more than an .ics file may hold"),
    ("old.ics", ics(event("a", "RRULE:FREQ=DAILY\r\n", start="18000101T100000",
                          end="18000101T110000")), "years before the window"),
    ("long.ics", ics(event("a", end="20270601T110000")), "an appointment ends after it starts"),
    ("junk.ics", b"hello", "not an iCalendar file"),
])
def test_hostile_files_are_refused_in_time_naming_file_and_event(name, data, message):
    # only the rule whose parts never meet needs the clock; the others are refused by their
    # caps, which a loaded machine must not turn into a time-out
    seconds = 5 if message == "took more than" else 30
    began = time.monotonic()
    with pytest.raises(ical.CalendarFileError) as refused:
        ical.read_ics_bounded(data, name, *WINDOW, seconds=seconds)
    assert time.monotonic() - began < seconds + 10
    assert message in str(refused.value) and name in str(refused.value)
    if "recurs" in message or "appointments" in message:
        assert "'a'" in str(refused.value)  # the event, by its UID


def test_a_refused_upload_writes_nothing(web):
    client, store, _ = web
    bad = ics(event("ok"), event("b", "RRULE:FREQ=SECONDLY\r\n"))
    answer = client.post("/api/calendar/import", files={"file": ("bad.ics", bad)},
                         data={"employee": "e2"})
    assert answer.status_code == 400 and "bad.ics" in answer.text
    assert store.run("MATCH (a:Appointment) RETURN count(a)").rows[0][0] == 0
