"""Alerts that open work: a rule with ``opens: {task: ...}`` opens one task per firing,
assigned to the Employee its row names (the ``owner`` column by default: the owner of the
component, the account owner...), concerning the record another column names.

"Once per firing" holds twice over: only the alerts a pass newly fired open tasks (an alert
stays open until its condition clears), and the task's uid is made from the rule and the
condition's key, so a second security file (another server, a restored one) watching the same
graph finds the task there and opens none. Each task is the quick action
:func:`erm_graph.edit.agenda.add_task`: checked by the model and audited as ``task.add``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from erm_graph.edit import agenda
from erm_graph.errors import ErmError
from erm_graph.query.records import node_in
from erm_graph.store import GraphStore
from erm_graph.watch.rules import Rule


def task_uid(rule: str, key: str) -> str:
    """The uid of the task the condition ``key`` of ``rule`` opens: the same every time."""
    return "task-watch-" + hashlib.sha256(f"{rule}\x1f{key}".encode()).hexdigest()[:16]


def open_tasks(store: GraphStore, rule: Rule, alerts: list[dict[str, Any]]) -> tuple[
        list[str], list[str]]:
    """Open the task of each of ``alerts`` (newly fired by ``rule``); the uids opened, and
    why any could not be (no owner in the row, a refusal of the model)."""
    spec = rule.opens
    if spec is None:
        return [], []
    opened, problems = [], []
    for alert in alerts:
        row = alert["row"]
        uid = task_uid(rule.name, alert["key"])
        if node_in(store, uid, "Task") is not None:
            continue
        assignee = row.get(spec.assignee)
        if not assignee:
            problems.append(f"{rule.name}: {alert['message']}: no {spec.assignee} to give "
                            f"the task to")
            continue
        due = datetime.now().replace(second=0, microsecond=0) + timedelta(
            days=spec.due_in_days)
        try:
            agenda.add_task(store, rule.text_of_template(spec.title, row), due=due.isoformat(),
                            assignee=str(assignee), priority=spec.priority,
                            about=row.get(spec.about) if spec.about else None,
                            notes=f"Opened by the watch rule {rule.name!r}: {alert['message']}",
                            uid=uid)
        except ErmError as exc:
            problems.append(f"{rule.name}: {alert['message']}: {exc}")
            continue
        opened.append(uid)
    return opened, problems
