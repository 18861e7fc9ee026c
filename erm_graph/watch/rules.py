"""Watch rules as files: a named query, which of its rows is a condition, a schedule, who is
told.

The shipped rules live in ``erm_graph/watch/rules/``; an admin adds more, or replaces a
shipped one of the same name, by dropping ``NAME.yaml`` into the folder ``ERM_WATCH_RULES``
names, with no code::

    title: Customer turning at risk
    description: A customer's risk score crossed the threshold.
    query: at-risk-customers           # a named query (`erm query list`)
    params: {min_risk: 0.6}            # checked against the query's header
    key: [uid]                         # the columns naming one condition: it fires once, and
                                       # again only after it has cleared
    message: "{name} is at risk ({risk:.0%})"   # from the row's columns
    schedule: "0 7 * * *"              # cron, in the server's time zone
    notify:
      roles: [officer, cro]            # their inbox (admins see every alert)
      users: [ana]                     # named users' inboxes
      emails: [cro@example.com]        # mail over SMTP (ERM_SMTP_* settings)
      webhooks: [https://hooks.example.com/erm]   # a JSON POST per firing
    opens:                             # optional: each firing opens a task (once)
      task: {title: "Call {name}", due_in_days: 2, assignee: owner, about: uid}

Every row the query returns is one condition, so the threshold lives in the query's own
parameters (``min_risk`` above). Files are checked when read: a query that does not exist, a
parameter it does not take, a key or message column it does not return, a bad schedule or an
unknown role, all naming the file. A query parameter named ``now`` that the rule leaves unset
is the time of the pass (wall clock, as tasks keep it), for queries of what is overdue.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from erm_graph.auth.roles import role_or_group
from erm_graph.errors import ErmError
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.yaml_reader import files_by_name, read_spec
from erm_graph.query import load_library
from erm_graph.query.charts import return_columns
from erm_graph.query.library import ParameterError, UnknownQuery, strip_literals

SHIPPED = Path(__file__).parent / "rules"


class _Shown(dict[str, Any]):
    """A row for a message: a column it lacks shows as ``?``."""

    def __missing__(self, key: str) -> str:
        return "?"

#: a rule file larger than this is not a rule
MAX_BYTES = 32_000


class RuleError(ErmError):
    kind = "watch_rule"


class NotifyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list, max_length=50)
    webhooks: list[HttpUrl] = Field(default_factory=list, max_length=10)


class OpenTask(BaseModel):
    """``opens: {task: ...}``: each firing opens one task (see :mod:`erm_graph.watch.opens`)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500)
    due_in_days: int = Field(3, ge=0, le=365)
    assignee: str = Field("owner", min_length=1, max_length=100,
                          description="the column holding the Employee uid to assign")
    about: str | None = Field(None, max_length=100,
                              description="the column holding the record it concerns")
    priority: str | None = Field(None, pattern="^(low|normal|high|urgent)$")


class OpensFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: OpenTask


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    query: str
    params: dict[str, Any] = Field(default_factory=dict)
    key: list[str] = Field(min_length=1)
    message: str = Field(min_length=1, max_length=500)
    schedule: str = "0 * * * *"
    notify: NotifyFile = Field(default_factory=NotifyFile)
    opens: OpensFile | None = None


@dataclass(frozen=True)
class Rule:
    """One checked rule: what a watch pass runs and whom it tells."""

    name: str
    title: str
    description: str
    query: str
    params: dict[str, Any]
    key: tuple[str, ...]
    message: str
    schedule: str
    roles: tuple[str, ...]
    users: tuple[str, ...]
    emails: tuple[str, ...]
    webhooks: tuple[str, ...]
    path: Path
    #: the task each firing opens, if the rule says so (``opens: {task: ...}``)
    opens: OpenTask | None = None

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.schedule)

    def condition_key(self, row: dict[str, Any]) -> str:
        """The text naming the condition a row stands for (its key columns' values)."""
        return "\x1f".join(str(row.get(column)) for column in self.key)

    def text_of(self, row: dict[str, Any]) -> str:
        """The message for one row. A value that does not fit its format (a null risk under
        ``{risk:.0%}``) shows as it is rather than failing the whole pass."""
        return self.text_of_template(self.message, row)

    @staticmethod
    def text_of_template(template: str, row: dict[str, Any]) -> str:
        """``template`` filled from one row, as :meth:`text_of` fills the message."""
        values = _Shown(row)
        try:
            return template.format_map(values)
        except (ValueError, TypeError):
            plain = "".join(text + ("{" + field + "}" if field is not None else "")
                            for text, field, _, _ in string.Formatter().parse(template))
            return plain.format_map(values)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "query": self.query, "params": self.params, "key": list(self.key),
                "schedule": self.schedule, "roles": list(self.roles),
                "users": list(self.users), "emails": len(self.emails),
                "webhooks": len(self.webhooks)}


def rule_files(extra: Path | None) -> dict[str, Path]:
    return files_by_name(SHIPPED, extra)


def load_rules(extra: Path | None = None, names: list[str] | None = None) -> list[Rule]:
    """Every rule (or those ``names``), checked; a :class:`RuleError` names each bad file."""
    files = rule_files(extra)
    unknown = sorted(set(names or ()) - set(files))
    if unknown:
        raise RuleError(f"no watch rule {', '.join(map(repr, unknown))}; there are: "
                        f"{', '.join(files) or 'none'}")
    chosen = [files[n] for n in names] if names else list(files.values())
    rules, problems = [], []
    for path in chosen:
        try:
            rules.append(read_rule(path))
        except RuleError as exc:
            problems.append(str(exc))
    if problems:
        raise RuleError("\n".join(problems))
    return rules


def read_rule(path: Path) -> Rule:
    where = str(path)
    try:
        spec = read_spec(path, RuleFile, MAX_BYTES)
    except LoadError as exc:
        raise RuleError(str(exc)) from None
    problems = []
    try:
        query = load_library().get(spec.query)
        texts = {k: query.params[k].text(v) if k in query.params else str(v)
                 for k, v in spec.params.items()}
        params = query.bind(query.parse(texts))
    except (UnknownQuery, ParameterError) as exc:
        raise RuleError(f"{where}: {exc}") from None
    columns = return_columns(strip_literals(query.cypher))
    wanted = set(spec.key) | {f for _, f, _, _ in string.Formatter().parse(spec.message)
                              if f}
    if spec.opens is not None:
        task = spec.opens.task
        wanted |= {task.assignee, *([task.about] if task.about else []),
                   *(f for _, f, _, _ in string.Formatter().parse(task.title) if f)}
    missing = sorted(c.split(".")[0].split("[")[0] for c in wanted
                     if c.split(".")[0].split("[")[0] not in columns)
    if columns and missing:
        problems.append(f"key/message/opens name {', '.join(missing)}, which query "
                        f"{spec.query!r} does not return (it returns {', '.join(columns)})")
    try:
        CronTrigger.from_crontab(spec.schedule)
    except ValueError as exc:
        problems.append(f"schedule {spec.schedule!r} is not a cron line "
                        f"(minute hour day month weekday): {exc}")
    bad_roles = [r for r in spec.notify.roles if not role_or_group(r) or r == "partner"]
    if bad_roles:
        problems.append(f"notify.roles: {', '.join(bad_roles)} is not a staff role or group")
    if problems:
        raise RuleError(f"{where}: " + "; ".join(problems))
    return Rule(name=path.stem, title=spec.title, description=spec.description,
                query=spec.query, params=params, key=tuple(spec.key), message=spec.message,
                schedule=spec.schedule, roles=tuple(spec.notify.roles),
                users=tuple(spec.notify.users), emails=tuple(spec.notify.emails),
                webhooks=tuple(str(u) for u in spec.notify.webhooks), path=path,
                opens=spec.opens.task if spec.opens else None)
