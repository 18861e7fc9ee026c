"""Tasks and appointments: the quick actions (validated, audited) and the reads of the
calendar (my tasks, team tasks, overdue, a calendar between two times, conflicts). Real
embedded engine."""

from __future__ import annotations

import pytest

from erm_graph.edit import agenda
from erm_graph.errors import ErmError, ValidationError
from erm_graph.query import agenda as reads
from erm_graph.settings import Settings, WorkingHours
from erm_graph.store.base import GraphStore

HOURS = WorkingHours()


@pytest.fixture
def office(store: GraphStore) -> GraphStore:
    store.upsert_nodes("Department", [{"uid": "d1", "name": "Sales"}])
    store.upsert_nodes("Employee", [{"uid": "e1", "name": "Ann"}, {"uid": "e2", "name": "Bo"},
                                    {"uid": "e3", "name": "Cy"},
                                    {"uid": "e9", "name": "Gone", "left_on": "2020-01-01"}])
    store.upsert_relationships("MEMBER_OF", "Employee", "Department",
                               [{"start": "e1", "end": "d1"}, {"start": "e2", "end": "d1"}])
    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    store.upsert_nodes("Contact", [{"uid": "k1", "name": "Kim"}])
    return store


def audit_actions(store: GraphStore) -> list[str]:
    from erm_graph.auth import audit
    from erm_graph.auth.db import connect, users_db_path
    conn = connect(users_db_path(store))
    try:
        return [e["action"] for e in audit.events(conn)]
    finally:
        conn.close()


def test_a_task_is_added_assigned_done_and_audited(office):
    made = agenda.add_task(office, "Call Acme back", due="2026-12-01T10:00", assignee="e1",
                           about="c1", priority="high")
    uid = made.uid
    row = reads.task(office, uid)
    assert row is not None
    assert (row["title"], row["due"], row["status"], row["assignee"], row["about"]) == \
        ("Call Acme back", "2026-12-01T10:00:00", "open", "e1", "c1")
    assert [t["uid"] for t in reads.overdue(office, "2026-12-02T00:00:00", ["e1"])] == [uid]
    assert reads.overdue(office, "2026-11-30T00:00:00", ["e1"]) == []
    agenda.assign_task(office, uid, "e2")
    assert [t["uid"] for t in reads.tasks(office, ["e2"])] == [uid]
    assert reads.tasks(office, ["e1"]) == []
    agenda.complete_task(office, uid)
    done = reads.task(office, uid)
    assert done is not None and done["status"] == "done" and done["done_at"]
    assert reads.overdue(office, "2027-01-01T00:00:00") == []
    with pytest.raises(ErmError, match="only an open task"):
        agenda.complete_task(office, uid)
    actions = audit_actions(office)
    for action in ("task.add", "task.assign", "task.done"):
        assert action in actions


def test_bad_tasks_are_refused_and_write_nothing(office):
    with pytest.raises(ErmError, match="'due'"):
        agenda.add_task(office, "x", due="next tuesday", assignee="e1")
    with pytest.raises(ErmError, match="title"):
        agenda.add_task(office, "  ", due="2026-12-01T10:00")
    with pytest.raises(ErmError, match="left on"):
        agenda.add_task(office, "x", due="2026-12-01T10:00", assignee="e9")
    with pytest.raises(ErmError, match="assigned to an Employee"):
        agenda.add_task(office, "x", due="2026-12-01T10:00", assignee="d1")
    with pytest.raises(ValidationError, match="priority"):
        agenda.add_task(office, "x", due="2026-12-01T10:00", priority="whenever")
    with pytest.raises(ValidationError):  # a task is not about a department: the model says
        agenda.add_task(office, "x", due="2026-12-01T10:00", about="d1")
    assert office.run("MATCH (t:Task) RETURN count(t)").rows[0][0] == 0


def test_team_tasks_are_those_of_the_department(office):
    agenda.add_task(office, "mine", due="2026-12-01T10:00", assignee="e1")
    agenda.add_task(office, "Bo's", due="2026-12-01T11:00", assignee="e2")
    agenda.add_task(office, "Cy's", due="2026-12-01T12:00", assignee="e3")
    team = [p["uid"] for p in reads.team(office, "e1")]
    assert team == ["e1", "e2"]
    assert [t["title"] for t in reads.tasks(office, team)] == ["mine", "Bo's"]


def test_a_double_booking_and_hours_are_flagged(office):
    first = agenda.book_appointment(office, "Visit Acme", start="2026-12-03T10:00",
                                    end="2026-12-03T11:00", attendees=["e1", "k1"],
                                    about="c1", place="Acme HQ").uid
    second = agenda.book_appointment(office, "Team sync", start="2026-12-03T10:30",
                                     end="2026-12-03T11:30", attendees=["e2", "e1"]).uid
    late = agenda.book_appointment(office, "Dinner", start="2026-12-03T19:00",
                                   end="2026-12-03T21:00", attendees=["e2"]).uid
    weekend = agenda.book_appointment(office, "Fair", start="2026-12-05T10:00",
                                      end="2026-12-05T12:00", attendees=["e3"]).uid
    week = reads.appointments(office, ["e1", "e2", "e3"], "2026-11-30T00:00:00",
                              "2026-12-07T00:00:00")
    assert [a["uid"] for a in week] == [first, second, late, weekend]
    visit = week[0]
    assert {a["uid"]: a["role"] for a in visit["attendees"]} == {"e1": "organiser",
                                                                  "k1": "attendee"}
    found = {(c.kind, c.appointments, c.person) for c in reads.conflicts(week, HOURS)}
    assert found == {("double-booked", (first, second), "e1"),
                     ("outside-hours", (late,), None), ("outside-hours", (weekend,), None)}
    assert [c.kind for c in reads.conflicts_of(office, second, HOURS)] == ["double-booked"]
    # moved clear of each other, and cancelled: no conflict left
    agenda.move_appointment(office, second, "2026-12-03T11:00")
    moved = reads.appointment(office, second)
    assert moved is not None and (moved["start"], moved["end"]) == \
        ("2026-12-03T11:00:00", "2026-12-03T12:00:00")
    assert reads.conflicts_of(office, second, HOURS) == []
    agenda.cancel_appointment(office, late)
    assert late not in [a["uid"] for a in reads.appointments(
        office, ["e2"], "2026-12-03T00:00:00", "2026-12-04T00:00:00")]
    actions = audit_actions(office)
    for action in ("appointment.book", "appointment.move", "appointment.cancel"):
        assert action in actions


def test_bad_appointments_are_refused(office):
    with pytest.raises(ErmError, match="not after the start"):
        agenda.book_appointment(office, "x", start="2026-12-03T10:00", end="2026-12-03T09:00",
                                attendees=["e1"])
    with pytest.raises(ErmError, match="attendees"):
        agenda.book_appointment(office, "x", start="2026-12-03T10:00", end="2026-12-03T11:00",
                                attendees=[])
    with pytest.raises(ErmError, match="attendees are employees and contacts"):
        agenda.book_appointment(office, "x", start="2026-12-03T10:00", end="2026-12-03T11:00",
                                attendees=["c1"])
    with pytest.raises(ErmError, match="longer than"):
        agenda.book_appointment(office, "x", start="2026-12-03T10:00", end="2027-12-03T11:00",
                                attendees=["e1"])
    assert office.run("MATCH (a:Appointment) RETURN count(a)").rows[0][0] == 0


def test_working_hours_setting_reads_and_writes_back():
    hours = Settings.from_env({"ERM_WORKING_HOURS": "Mon-Thu,Sat 07:30-16:00"}).working_hours
    assert hours.days == (0, 1, 2, 3, 5) and (hours.start, hours.end) == ("07:30", "16:00")
    assert str(hours) == "Mon-Thu,Sat 07:30-16:00"
    assert reads.outside_hours("2026-12-05T08:00:00", "2026-12-05T09:00:00", hours) == ""
    assert "Friday" in reads.outside_hours("2026-12-04T08:00:00", "2026-12-04T09:00:00", hours)
    with pytest.raises(Exception, match="ERM_WORKING_HOURS"):
        Settings.from_env({"ERM_WORKING_HOURS": "weekdays 9-5"})


def test_the_overdue_task_rule_fires_once_and_opens_a_follow_up_for_the_owner(office,
                                                                              tmp_path):
    from erm_graph.auth import alerts as inbox
    from erm_graph.auth.db import connect
    from erm_graph.watch import load_rules, run_rules
    from erm_graph.watch.opens import task_uid

    office.upsert_relationships("REPORTS_TO", "Employee", "Employee",
                                [{"start": "e1", "end": "e3"}])
    office.upsert_relationships("MANAGES", "Employee", "Party", [{"start": "e2", "end": "c1"}])
    late = agenda.add_task(office, "Call Acme", due="2020-01-01T09:00", assignee="e1",
                           about="c1").uid
    alone = agenda.add_task(office, "Tidy up", due="2020-01-02T09:00", assignee="e1").uid
    agenda.add_task(office, "Later", due="2099-01-01T09:00", assignee="e1")
    rules = load_rules(names=["overdue-task"])
    conn = connect(tmp_path / "watch.db")
    outcome = run_rules(office, rules, conn)[0]
    assert outcome.error is None and outcome.conditions == 2 and len(outcome.fired) == 2
    fired = {a["row"]["uid"]: a for a in inbox.alerts(conn, outcome.fired)}
    assert set(fired) == {late, alone}
    # the account owner answers for a task about a party; the manager for the other
    follow = {uid: reads.task(office, task_uid("overdue-task", fired[uid]["key"]))
              for uid in fired}
    assert follow[late] is not None and follow[late]["assignee"] == "e2"
    assert follow[late]["about"] == "c1" and follow[late]["priority"] == "high"
    assert follow[late]["title"] == "Follow up: Call Acme (Ann) is overdue"
    assert follow[alone] is not None and follow[alone]["assignee"] == "e3"
    assert len(outcome.opened) == 2
    assert audit_actions(office).count("task.add") == 5
    # a second pass, and a pass from another security file, open nothing more
    assert run_rules(office, rules, conn)[0].opened == []
    other = connect(tmp_path / "other.db")
    again = run_rules(office, rules, other)[0]
    assert len(again.fired) == 2 and again.opened == []
    assert audit_actions(office).count("task.add") == 5
    # done: the condition clears
    agenda.complete_task(office, late)
    assert run_rules(office, rules, conn)[0].cleared == 1


def test_a_rule_that_opens_a_task_names_columns_its_query_returns(tmp_path):
    import json

    from erm_graph.watch.rules import RuleError, read_rule
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps({
        "title": "x", "query": "overdue-tasks", "key": ["uid"], "message": "{title}",
        "opens": {"task": {"title": "Chase {title}", "assignee": "boss"}}}))
    with pytest.raises(RuleError, match="boss"):
        read_rule(path)
