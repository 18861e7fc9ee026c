"""Dates and times inside the demo period, as the ISO strings the model stores."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from random import Random

from erm_graph.demo.facts import PERIOD_END, PERIOD_START

_FIRST, _LAST = date.fromisoformat(PERIOD_START), date.fromisoformat(PERIOD_END)
#: every day of the period, "YYYY-MM-DD"
DAYS: tuple[str, ...] = tuple(
    (_FIRST + timedelta(days=d)).isoformat() for d in range((_LAST - _FIRST).days + 1))
#: every month of the period, "YYYY-MM"
MONTHS: tuple[str, ...] = tuple(dict.fromkeys(d[:7] for d in DAYS))
_DAYS_IN: dict[str, tuple[str, ...]] = {
    m: tuple(d for d in DAYS if d.startswith(m)) for m in MONTHS}


def clock(rng: Random) -> str:
    """A working-hours time of day, "THH:MM:SS"."""
    return f"T{rng.randrange(7, 19):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


def moment(rng: Random) -> str:
    """A random date-time within the period."""
    return rng.choice(DAYS) + clock(rng)


def moment_in(rng: Random, month: str) -> str:
    """A random date-time within ``month`` ("YYYY-MM")."""
    return rng.choice(_DAYS_IN[month]) + clock(rng)


def later(day_time: str, days: int) -> str:
    """``day_time`` moved ``days`` days on, kept within the period."""
    moved = date.fromisoformat(day_time[:10]) + timedelta(days=days)
    return min(moved, _LAST).isoformat() + day_time[10:]


def hours_later(day_time: str, hours: int) -> str:
    """``day_time`` moved ``hours`` hours on."""
    moved = datetime.fromisoformat(day_time) + timedelta(hours=hours)
    return moved.strftime("%Y-%m-%dT%H:%M:%S")
