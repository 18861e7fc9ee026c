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


class ConfigError(ErmError):
    kind = "config"


class StoreError(ErmError):
    """The graph engine could not be reached, started or used."""

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


class UnsupportedQuery(QueryError):
    """A query the ad hoc path refuses before the engine sees it (one the engine cannot
    survive or would answer wrongly), saying why and how to write it instead."""

    kind = "unsupported"


class ValidationError(ErmError):
    """One or more records do not fit the model; ``problems`` lists each one."""

    kind = "validation"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} record(s) do not fit the model:\n{shown}{more}")

    def __reduce__(self) -> tuple[type, tuple[list[Problem]]]:
        # rebuilt from its problems, not its message: a web load's worker process sends it
        return type(self), (self.problems,)


class Problem:
    """Where a record is wrong and what was expected: the unit of every validation report."""

    __slots__ = ("where", "field", "expected", "got")

    def __init__(self, where: str, field: str, expected: str, got: object = None):
        self.where = where
        self.field = field
        self.expected = expected
        self.got = got

    def __str__(self) -> str:
        got = "" if self.got is None else f", got {shown(self.got)}"
        return f"{self.where}: field {shown(self.field)}: expected {self.expected}{got}"

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "field": shown(self.field, quote=False),
                "expected": self.expected,
                "got": "" if self.got is None else shown(self.got)}


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
