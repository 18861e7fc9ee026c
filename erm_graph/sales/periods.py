"""Sales periods as people write them: a year (``2026``), a quarter (``2026-Q3``) or a month
(``2026-07``), each the half-open range of days it covers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from erm_graph.errors import ErmError

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    name: str
    since: str  # first day, YYYY-MM-DD
    until: str  # the day after the last

    def holds(self, day: str | None) -> bool:
        return day is not None and self.since <= day[:10] < self.until

    def within(self, other: Period) -> bool:
        """Whether this period lies inside ``other`` (or is it)."""
        return other.since <= self.since and self.until <= other.until


def _month_start(year: int, month: int) -> str:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return f"{year:04d}-{month:02d}-01"


def period(text: str) -> Period:
    """The period ``text`` names; an :class:`ErmError` says how to write one."""
    found = _PERIOD.match((text or "").strip())
    if not found:
        raise ErmError(f"period {text!r}: write a year (2026), a quarter (2026-Q3) or a "
                       f"month (2026-07)")
    year, quarter, month = int(found[1]), found[2], found[3]
    if quarter:
        first = (int(quarter) - 1) * 3 + 1
        return Period(found[0], _month_start(year, first), _month_start(year, first + 3))
    if month:
        return Period(found[0], _month_start(year, int(month)),
                      _month_start(year, int(month) + 1))
    return Period(found[0], f"{year:04d}-01-01", f"{year + 1:04d}-01-01")


def current_quarter(today: dt.date | None = None) -> str:
    day = today or dt.datetime.now(dt.UTC).date()
    return f"{day.year}-Q{(day.month + 2) // 3}"
