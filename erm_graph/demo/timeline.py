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


#: "THH:", "MM:" and "SS" by number: :func:`clock` runs for most records of the bulk
_HOURS = tuple(f"T{h:02d}:" for h in range(24))
_MINUTES = tuple(f"{m:02d}:" for m in range(60))
_SECONDS = tuple(f"{s:02d}" for s in range(60))


def clock(rng: Random) -> str:
    """A working-hours time of day, "THH:MM:SS"."""
    return _HOURS[rng.randrange(7, 19)] + _MINUTES[rng.randrange(60)] + _SECONDS[rng.randrange(60)]


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
