"""Escalation rules as files: which open cases are escalated, after how long, to whom.

The shipped rules live in ``erm_graph/watch/escalations/``; an admin adds more, or replaces a
shipped one of the same name, in the ``escalations/`` folder inside ``ERM_WATCH_RULES``::

    title: Critical case with no response
    severity: [1]                      # the case severities it catches
    status: [open, in_progress]
    older_than_hours: 4                # opened at least this long ago
    unresponded: true                  # only cases nobody has responded to yet
    escalate_to: department_head       # the handling department's owner, or a uid
    severity_to: 1                     # optional: the severity it is raised to
    schedule: "*/15 * * * *"           # when `erm serve` applies it

`erm watch run --escalate` applies every rule after the watch rules; `erm serve --escalate` on
their schedules. A
case is escalated once (``escalated`` is set), each time audited as ``case.escalate`` with
the rule's name. See docs/service.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field

from erm_graph.edit.actions import escalate_case
from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.yaml_reader import files_by_name, read_spec
from erm_graph.query.service import escalation_candidates
from erm_graph.store import GraphStore

SHIPPED = Path(__file__).parent / "escalations"
HEAD = "department_head"
MAX_BYTES = 16_000


class EscalationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    severity: list[int] = Field(min_length=1)
    status: list[str] = Field(default_factory=lambda: ["open", "in_progress"])
    older_than_hours: float = Field(ge=0)
    unresponded: bool = False
    escalate_to: str = Field(HEAD, min_length=1, max_length=1000)
    severity_to: int | None = Field(None, ge=1, le=4)
    schedule: str = "*/15 * * * *"


@dataclass(frozen=True)
class Escalation:
    name: str
    spec: EscalationFile

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.spec.schedule)


@dataclass
class EscalationOutcome:
    rule: str
    candidates: int = 0
    escalated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_escalations(extra: Path | None = None) -> list[Escalation]:
    """Every escalation rule, shipped and the admin's (``extra``/escalations), checked."""
    rules, problems = [], []
    for name, path in files_by_name(SHIPPED, extra / "escalations" if extra else None).items():
        try:
            spec = read_spec(path, EscalationFile, MAX_BYTES)
            CronTrigger.from_crontab(spec.schedule)
        except (LoadError, ValueError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        bad = sorted(set(spec.status) - {"open", "in_progress"})
        if bad:
            problems.append(f"{path}: status {', '.join(bad)}: only open or in_progress "
                            f"cases are escalated")
        rules.append(Escalation(name, spec))
    if problems:
        raise ErmError("\n".join(problems))
    return rules


def apply_escalation(store: GraphStore, rule: Escalation,
                     now: datetime | None = None) -> EscalationOutcome:
    """Escalate the cases ``rule`` catches at ``now`` (default: now); a case that cannot be
    handed on (no department head) is still marked escalated, and said so."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    spec = rule.spec
    cutoff = (now - timedelta(hours=spec.older_than_hours)).strftime("%Y-%m-%dT%H:%M:%S")
    outcome = EscalationOutcome(rule.name)
    rows = escalation_candidates(store, severities=spec.severity, statuses=spec.status,
                                 opened_by=cutoff, unresponded=spec.unresponded)
    outcome.candidates = len(rows)
    for row in rows:
        to = row["head"] if spec.escalate_to == HEAD else spec.escalate_to
        if to is None:
            outcome.problems.append(f"case {row['uid']}: its department "
                                    f"{row['department'] or '(none)'} has no head "
                                    f"(RESPONSIBLE_FOR owner); marked escalated only")
        detail: dict[str, Any] = {"rule": rule.name}
        try:
            escalate_case(store, row["uid"], to=to, severity=spec.severity_to, detail=detail)
        except ErmError as exc:
            outcome.problems.append(f"case {row['uid']}: {exc}")
            continue
        outcome.escalated.append(row["uid"])
    return outcome


def apply_escalations(store: GraphStore, rules: list[Escalation],
                      now: datetime | None = None) -> list[EscalationOutcome]:
    return [apply_escalation(store, rule, now) for rule in rules]
