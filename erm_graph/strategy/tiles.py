"""Dashboard tiles computed by the strategy modules rather than by one named query: the
maturity per area and its trend, the target gaps, the predicted customer value. A dashboard
file names one as ``panel: NAME`` instead of ``query:`` (:mod:`erm_graph.web.dashboard_files`);
the page reads its rows from ``/api/strategy/tiles/NAME`` and draws them like a query's. Each
answer is kept until the graph changes (:func:`erm_graph.query.result_cache.kept`), since
the maturity assessment and the target check read the whole library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erm_graph.errors import ErmError
from erm_graph.query.maturity import assessments
from erm_graph.query.result_cache import kept
from erm_graph.store import GraphStore


@dataclass(frozen=True)
class Panel:
    title: str
    columns: tuple[str, ...]
    rows: Callable[[GraphStore, Path | None], list[list[Any]]]


def _assessment(store: GraphStore) -> Any:
    from erm_graph.strategy import assess

    return kept(store, "strategy.maturity.tile", {}, lambda: assess(store))


def _maturity(store: GraphStore, plan: Path | None) -> list[list[Any]]:
    return [[a.title, a.level, " ".join(e.advice for e in a.to_next)]
            for a in _assessment(store).areas]


def _maturity_trend(store: GraphStore, plan: Path | None) -> list[list[Any]]:
    """The kept assessments, oldest first, and the assessment now: a trend to today even
    before any is kept."""
    now = _assessment(store)
    return [*([k["at"][:10], k["overall"]] for k in reversed(assessments(store))),
            [f"{now.at[:10]} (now)", now.overall]]


def _targets(store: GraphStore, plan: Path | None) -> list[list[Any]]:
    from erm_graph.strategy.targets import check_plan, read_plan

    if plan is None:  # a row that says what to do, so the tile is not an error
        return [["no plan: set ERM_TARGET_PLAN to a plan file (docs/strategy.md)", 0, 0, 0,
                 ""]]
    stamp = plan.stat().st_mtime_ns if plan.exists() else None
    report = kept(store, "strategy.targets", {"plan": str(plan), "stamp": stamp},
                  lambda: check_plan(store, read_plan(plan)))
    return [[t["target"], t["parties"], t["on_target"], t["parties"] - t["on_target"],
             ", ".join(f"{k} {v}" for k, v in t["short_on"].items())]
            for t in report.by_target()]


def _clv(store: GraphStore, plan: Path | None) -> list[list[Any]]:
    from erm_graph.strategy.clv import forecast

    return [[r["name"], r["predicted_value"], r["value_low"], r["value_high"], r["p_alive"]]
            for r in forecast(store, horizon=12.0).rows[:15]]


PANELS: dict[str, Panel] = {
    "maturity": Panel("CRM maturity per area", ("area", "level", "to_reach_the_next_level"),
                      _maturity),
    "maturity-trend": Panel("CRM maturity over time (kept assessments)", ("at", "overall"),
                            _maturity_trend),
    "targets": Panel("Target relationships: parties short of target",
                     ("target", "parties", "on_target", "short", "short_on"), _targets),
    "clv": Panel("Predicted customer value, next 12 months",
                 ("name", "predicted_value", "value_low", "value_high", "p_alive"), _clv),
}


def panel_rows(name: str, store: GraphStore, plan: Path | None) -> dict[str, Any]:
    """The panel's ``columns`` and ``rows``, as ``/api/queries`` gives a query's."""
    if name not in PANELS:
        raise ErmError(f"no strategy tile {name!r}; there are: {', '.join(PANELS)}")
    panel = PANELS[name]
    return {"columns": list(panel.columns), "rows": panel.rows(store, plan)}
