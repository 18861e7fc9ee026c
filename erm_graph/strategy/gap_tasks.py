"""The gap analysis turned into work: one task per party that falls short of its target, for
its account owner, listing each proposed action (issue: designed target relationships).

One task per party rather than per criterion, so an owner with many short accounts gets one
line each in the calendar's task list, not five. A task is opened once for the same gaps: its
uid is made from the plan's title, the party and the criteria it falls short on, so running
the check again opens nothing new until the gaps change (a task done or cancelled counts as
opened). Parties without an account owner (prospects, unowned accounts) get no task: the
report names them for the CRO, who first has to give them an owner.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from erm_graph.edit import agenda
from erm_graph.errors import ErmError
from erm_graph.query.records import node_in
from erm_graph.store import GraphStore
from erm_graph.strategy.targets import GapReport, TargetCheck

#: Most tasks one run opens; the rest wait for the next run (the report says how many).
DEFAULT_LIMIT = 200


@dataclass
class OpenedTasks:
    opened: list[str] = field(default_factory=list)
    already: int = 0  # the same gaps had a task already
    no_owner: list[str] = field(default_factory=list)  # parties (names) with no owner
    left: int = 0  # over the limit, for the next run
    problems: list[str] = field(default_factory=list)

    def says(self) -> str:
        parts = [f"opened {len(self.opened)} task{'s' * (len(self.opened) != 1)} for owners"]
        if self.already:
            parts.append(f"{self.already} already opened for the same gaps")
        if self.left:
            parts.append(f"{self.left} left for the next run (limit reached)")
        if self.no_owner:
            parts.append(f"{len(self.no_owner)} without an account owner (for the CRO)")
        return "; ".join(parts)

    def as_json(self) -> dict[str, object]:
        return {"opened": self.opened, "already": self.already, "no_owner": self.no_owner,
                "left": self.left, "problems": self.problems, "says": self.says()}


def gap_task_uid(plan_title: str, check: TargetCheck) -> str:
    """The same party with the same gaps under the same plan gives the same uid."""
    key = "\x1f".join([plan_title, check.uid or "", *sorted(g.criterion for g in check.gaps)])
    return "task-gap-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def open_gap_tasks(store: GraphStore, report: GapReport, *, due_in_days: int = 14,
                   limit: int = DEFAULT_LIMIT) -> OpenedTasks:
    """Open a task for the owner of each party of ``report`` with gaps, due in
    ``due_in_days`` days, at most ``limit`` of them; each audited as ``task.add``."""
    found = OpenedTasks()
    due = (datetime.now().replace(second=0, microsecond=0)
           + timedelta(days=due_in_days)).isoformat()
    for check in report.checks:
        if not check.gaps:
            continue
        if check.owner_uid is None or check.uid is None:
            found.no_owner.append(check.name)
            continue
        uid = gap_task_uid(report.title, check)
        if node_in(store, uid, "Task") is not None:
            found.already += 1
            continue
        if len(found.opened) >= limit:
            found.left += 1
            continue
        short_on = ", ".join(g.criterion for g in check.gaps)
        notes = "\n".join(f"- {g.says}: {g.action}" for g in check.gaps)
        try:
            agenda.add_task(store, f"Relationship plan: {check.name} falls short on {short_on}",
                            due=due, assignee=check.owner_uid, about=check.uid,
                            notes=f"{report.title} ({check.target}):\n{notes}", uid=uid)
        except ErmError as exc:
            found.problems.append(f"{check.name}: {exc}")
            continue
        found.opened.append(uid)
    return found
