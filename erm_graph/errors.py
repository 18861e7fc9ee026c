"""One error base class for the whole package.

Every error a user can cause or fix derives from :class:`ErmError`; the CLI and the web layer
catch this one class and show its message, so the message must say what went wrong *and* what
to do about it.
"""

from __future__ import annotations


class ErmError(Exception):
    """An error with a message meant for the person running erm-graph."""

    #: short machine-readable kind, used in the JSON error shape of the web API
    kind = "error"
    #: (line, column), both from 1, in the text the person wrote (a query) where the error
    #: is, when it is known: the web console marks it in its editor
    position: tuple[int, int] | None = None


class ConfigError(ErmError):
    kind = "config"


class StoreError(ErmError):
    """The graph engine could not be reached, started or used.

    The engines raise it and the subclasses below, translated from their own error codes and
    messages inside each engine module (``_translate`` / ``translate``), so that callers catch
    types and never read an engine's message text."""

    kind = "store"


class ReadOnlyError(StoreError):
    """A write was sent through a read-only path."""

    kind = "read_only"


class QueryTimeout(StoreError):
    kind = "timeout"


class QueryError(StoreError):
    """The engine refused the query itself (its syntax, an unknown function, a wrong type):
    the person who wrote it can fix it, the engine is fine. A 400 on the web, not a 503."""

    kind = "query"
    #: where the engine says it stopped reading, as an offset in the statement it was sent
    offset: int | None = None
    #: a name the engine refused without saying where (an unknown function or variable)
    near: str | None = None


class QueryCancelled(StoreError):
    """The person who ran a query stopped it before it answered (the web console's Cancel)."""

    kind = "cancelled"


class UniqueViolation(QueryError):
    """The engine refused a write that would give two nodes of a key label one ``uid`` (its
    unique constraint). Nothing of that statement was written. The upserts catch it to fall
    back from an optimistic CREATE to a read; elsewhere it is a query error like any other."""


class UnsupportedQuery(QueryError):
    """A query the ad hoc path refuses before the engine sees it (one the engine cannot
    survive or would answer wrongly), saying why and how to write it instead."""

    kind = "unsupported"


class ValidationError(ErmError):
    """One or more records do not fit the model; ``problems`` lists each one."""

    kind = "validation"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        records = len({p.where for p in problems})
        lines = "\n".join(by_cause(problems))
        super().__init__(f"{records} record(s) do not fit the model ({len(problems)} "
                         f"problem(s)):\n{lines}")

    def __reduce__(self) -> tuple[type, tuple[list[Problem]]]:
        # rebuilt from its problems, not its message: a web load's worker process sends it
        return type(self), (self.problems,)


class Problem:
    """Where a record is wrong and what was expected: the unit of every validation report.

    ``cause`` groups problems in a report (:func:`by_cause`); by default the field and what
    was expected, which is right unless ``expected`` names something of this record only
    (the other row with the same uid)."""

    __slots__ = ("where", "field", "expected", "got", "_cause")

    def __init__(self, where: str, field: str, expected: str, got: object = None,
                 cause: str | None = None):
        self.where = where
        self.field = field
        self.expected = expected
        self.got = got
        self._cause = cause

    @property
    def cause(self) -> str:
        return self._cause or f"field {shown(self.field)}: expected {self.expected}"

    def __reduce__(self) -> tuple[type, tuple[str, str, str, object, str | None]]:
        return type(self), (self.where, self.field, self.expected, self.got, self._cause)

    def __str__(self) -> str:
        got = "" if self.got is None else f", got {shown(self.got)}"
        return f"{self.where}: field {shown(self.field)}: expected {self.expected}{got}"

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "field": shown(self.field, quote=False),
                "expected": self.expected,
                "got": "" if self.got is None else shown(self.got)}


#: problems a report lists, shared among their causes
SHOWN_PROBLEMS = 20
#: problems a report lists of each cause, however many causes there are
EXAMPLES_PER_CAUSE = 3


def by_cause(problems: list[Problem], most: int = SHOWN_PROBLEMS) -> list[str]:
    """The lines that report ``problems`` grouped by cause, in the order each first
    occurs: each cause with how many records it hits, then its first problems. Many bad
    amounts do not hide one missing account behind them: each cause lists at least
    :data:`EXAMPLES_PER_CAUSE` examples, and ``most`` is shared among the causes."""
    causes: dict[str, list[Problem]] = {}
    for problem in problems:
        causes.setdefault(problem.cause, []).append(problem)
    each = max(EXAMPLES_PER_CAUSE, most // max(len(causes), 1))
    lines = []
    for cause, found in causes.items():
        lines.append(f"  {cause} ({len({p.where for p in found}):,} record(s)):")
        lines += [f"    - {p}" for p in found[:each]]
        if len(found) > each:
            lines.append(f"    ... and {len(found) - each:,} more")
    return lines


#: longest value an error message quotes from a user's file
SHOWN_CHARS = 80


def shown(value: object, limit: int = SHOWN_CHARS, *, quote: bool = True) -> str:
    """A value as an error message quotes it: ``repr`` (or the text itself when ``quote``
    is false), cut to ``limit`` characters. A message locates a problem by file, row and
    field; it never carries more of a file than this, so an error cannot be used to read a
    file the caller should not see."""
    text = repr(value) if quote else str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def listed(names: list[str], most: int = 20) -> str:
    """Names found in a user's file (a header, sheet titles) as an error lists them: each
    :func:`shown` short, at most ``most`` of them."""
    more = f" and {len(names) - most:,} more" if len(names) > most else ""
    return ", ".join(shown(n, 40, quote=False) for n in names[:most]) + more
