"""Forward-looking customer lifetime value: a customer-base model fitted on the purchase
history, predicting each customer's purchases and spend over a horizon, with intervals.

The models (docs/strategy.md, "Lifetime value, forward-looking"):

* **BG/NBD** (Fader, Hardie and Lee, 2005) for repeat purchases: while active a customer buys
  at its own rate (Gamma across customers), and after each repeat purchase it may stop for
  good (Beta across customers). From a customer's *frequency* (repeat purchase days),
  *recency* (first to last purchase) and *T* (first purchase to the end of the history) it
  gives the probability the customer is still active and its expected purchases ahead.
* **Gamma-Gamma** for spend per purchase: each customer's mean spend, shrunk toward the
  population's by how few purchases it has.

The predicted value is expected purchases times expected spend per purchase, undiscounted,
over ``horizon`` months. Both are fitted with the ``lifetimes`` library (the choice and why:
docs/strategy.md). Time is in months of :data:`MONTH_DAYS` days.

The interval is the model's own uncertainty about its parameters: the fitted parameters'
covariance (the inverse Hessian of the likelihood) gives :data:`DRAWS` draws of the parameters
(log-normal, so they stay positive), each draw gives every customer's expected purchases and
spend, and the interval is their 5th to 95th percentile. It says how sure the expectation is,
not how far a customer's actual count may fall from it (a customer expected to buy 1.2 times
buys 0, 1, 2 or 3 times).

A fit is kept while the graph does not change (:mod:`erm_graph.query.result_cache`), so the
account page asks for it once per change of the library, not once per page.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from erm_graph.errors import ErmError
from erm_graph.query.clv import observation_end, purchase_days
from erm_graph.query.result_cache import RESULTS, ResultCache, kept
from erm_graph.store import GraphStore

#: the model's time unit, a month, in days
MONTH_DAYS = 30.4375
#: parameter draws for the intervals
DRAWS = 200
#: the interval's percentiles
INTERVAL = (5.0, 95.0)
#: the fewest customers with a repeat purchase a fit needs
MIN_REPEAT_CUSTOMERS = 10
#: the penalty on the BG/NBD parameters' size: keeps a fit on a population with almost no
#: dropout from running its Beta parameters off to infinity
PENALIZER = 0.001


@dataclass
class Customer:
    """One customer's purchase history as the models read it."""

    uid: str
    name: str
    first: str
    last: str
    purchases: int
    frequency: int
    recency: float
    T: float
    monetary: float
    spent: float

    @classmethod
    def of(cls, uid: str, name: str, days: dict[str, float], end: str) -> Customer:
        ordered = sorted(days)
        first, last = ordered[0], ordered[-1]
        repeat = [days[d] for d in ordered[1:]]
        return cls(uid=uid, name=name, first=first, last=last, purchases=len(ordered),
                   frequency=len(repeat), recency=_months(first, last), T=_months(first, end),
                   monetary=sum(repeat) / len(repeat) if repeat else 0.0,
                   spent=sum(days.values()))


def _months(since: str, until: str) -> float:
    return (date.fromisoformat(until[:10]) - date.fromisoformat(since[:10])).days / MONTH_DAYS


@dataclass
class Forecast:
    """A fit and what it predicts; ``rows`` per customer, best predicted value first."""

    end: str
    horizon: float
    segment: str | None
    params: dict[str, float]
    rows: list[dict[str, Any]]
    totals: dict[str, float]
    customers: int
    calibration: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def history(store: GraphStore, *, end: str | None = None, segment: str | None = None
            ) -> tuple[str, list[Customer]]:
    """The end of the history (``end``, default the day after the latest interaction) and each
    customer's purchases before it."""
    end = end or observation_end(store)
    if end is None:
        raise ErmError("no interactions in the library: no history to fit a model on")
    found = purchase_days(store, until=end, segment=segment)
    return end, [Customer.of(uid, e["name"], e["days"], end) for uid, e in sorted(found.items())
                 if e["days"] and min(e["days"]) < end]


def _fit(customers: list[Customer]) -> tuple[Any, Any, float]:
    """The fitted BG/NBD and Gamma-Gamma models, and the money unit the latter was fitted in
    (the repeat buyers' median spend: amounts near 1 keep its optimiser well conditioned)."""
    # imported here: the library and its numerics load only when a forecast is asked for
    import pandas as pd

    with warnings.catch_warnings():  # it sets a pandas option that pandas 3 deprecates
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
        from lifetimes.utils import ConvergenceError

    repeaters = [c for c in customers if c.frequency > 0]
    if len(repeaters) < MIN_REPEAT_CUSTOMERS:
        raise ErmError(f"{len(repeaters)} customer(s) bought more than once: a customer-base "
                       f"model needs at least {MIN_REPEAT_CUSTOMERS}; widen the history or "
                       f"the segment")
    frame = pd.DataFrame([asdict(c) for c in customers])
    rep = frame[frame["frequency"] > 0]
    unit = float(rep["monetary"].median()) or 1.0
    # the library prints its optimiser's report when it does not converge: not the user's
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            bgf = BetaGeoFitter(penalizer_coef=PENALIZER)
            bgf.fit(frame["frequency"], frame["recency"], frame["T"])
        except ConvergenceError as exc:
            raise ErmError(f"the purchase model did not converge on this history: {exc}") \
                from exc
        # no penalty on the spend model: its parameters' size is not the data's to shrink,
        # and a penalty pulls q below 1, where a mean spend does not exist
        for penalty in (0.0, PENALIZER):
            try:
                ggf = GammaGammaFitter(penalizer_coef=penalty)
                ggf.fit(rep["frequency"], rep["monetary"] / unit)
                break
            except ConvergenceError as exc:
                failed = exc
        else:
            raise ErmError(f"the spend model did not converge on this history: {failed}")
    return bgf, ggf, unit


def _draws(model: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of the model's parameters from their fitted (log-normal) distribution; the
    fitted values alone when the covariance is not usable."""
    params = model.params_.to_numpy(dtype=float)
    try:
        # the library fits the parameters' logarithms: the inverse Hessian of the mean
        # negative log-likelihood over the customers is their covariance
        hessian = np.asarray(model._hessian_, dtype=float)
        log_cov = np.linalg.inv(hessian) / float(model.data["weights"].sum())
        log_cov = (log_cov + log_cov.T) / 2
        if not np.all(np.isfinite(log_cov)):
            raise ValueError("not finite")
        sampled = rng.multivariate_normal(np.log(params), log_cov, size=n,
                                          check_valid="raise")
        return np.asarray(np.exp(sampled))
    except (ValueError, np.linalg.LinAlgError, AttributeError):
        return np.tile(params, (n, 1))


def _with_params(model: Any, values: np.ndarray) -> Any:
    import pandas as pd

    model.params_ = pd.Series(values, index=model.params_.index)
    return model


def predict(customers: list[Customer], end: str, horizon: float, *,
            segment: str | None = None, draws: int = DRAWS, seed: int = 0) -> Forecast:
    """Fit both models on ``customers`` and predict ``horizon`` months from ``end``."""
    bgf, ggf, unit = _fit(customers)
    f = np.array([c.frequency for c in customers], dtype=float)
    r = np.array([c.recency for c in customers], dtype=float)
    t = np.array([c.T for c in customers], dtype=float)
    m = np.array([c.monetary for c in customers], dtype=float)

    def purchases(model: Any) -> np.ndarray:
        return np.asarray(model.conditional_expected_number_of_purchases_up_to_time(
            horizon, f, r, t), dtype=float)

    def spend(model: Any) -> np.ndarray:
        p, q, v = (float(x) for x in model.params_)
        # Gamma-Gamma's conditional mean spend; the population's mean for a first-time buyer
        return np.asarray(unit * p * (v + m / unit * f) / (p * f + q - 1), dtype=float)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = purchases(bgf)
        alive = np.asarray(bgf.conditional_probability_alive(f, r, t), dtype=float)
        per = spend(ggf)
        bg_fit, gg_fit = bgf.params_.to_numpy(dtype=float), ggf.params_.to_numpy(dtype=float)
        rng = np.random.default_rng(seed)
        bg_draws, gg_draws = _draws(bgf, rng, draws), _draws(ggf, rng, draws)
        sims_n, sims_v = [], []
        for bg, gg in zip(bg_draws, gg_draws, strict=True):
            if gg[1] <= 1:  # a mean spend needs q > 1
                continue
            n = purchases(_with_params(bgf, bg))
            v = n * spend(_with_params(ggf, gg))
            if np.all(np.isfinite(n)) and np.all(np.isfinite(v)):  # a draw off the model's
                sims_n.append(n)  # domain (its functions overflow there) is left out
                sims_v.append(v)
        _with_params(bgf, bg_fit)
        _with_params(ggf, gg_fit)
    lo, hi = INTERVAL
    n_arr = np.array(sims_n) if sims_n else expected[None, :]
    v_arr = np.array(sims_v) if sims_v else (expected * per)[None, :]
    rows: list[dict[str, Any]] = []
    for i, c in enumerate(customers):
        rows.append({
            "uid": c.uid, "name": c.name, "purchases": c.purchases, "spent": round(c.spent, 2),
            "first_purchase": c.first, "last_purchase": c.last,
            "p_alive": round(float(alive[i]), 3),
            "expected_purchases": round(float(expected[i]), 3),
            "purchases_low": _bound(n_arr[:, i], lo, expected[i], min, 3),
            "purchases_high": _bound(n_arr[:, i], hi, expected[i], max, 3),
            "spend_per_purchase": round(float(per[i]), 2),
            "predicted_value": round(float(expected[i] * per[i]), 2),
            "value_low": _bound(v_arr[:, i], lo, expected[i] * per[i], min, 2),
            "value_high": _bound(v_arr[:, i], hi, expected[i] * per[i], max, 2)})
    rows.sort(key=lambda row: (-row["predicted_value"], row["uid"]))
    totals_n, totals_v = n_arr.sum(axis=1), v_arr.sum(axis=1)
    totals = {"expected_purchases": round(float(expected.sum()), 2),
              "purchases_low": _bound(totals_n, lo, expected.sum(), min, 2),
              "purchases_high": _bound(totals_n, hi, expected.sum(), max, 2),
              "predicted_value": round(float((expected * per).sum()), 2),
              "value_low": _bound(totals_v, lo, (expected * per).sum(), min, 2),
              "value_high": _bound(totals_v, hi, (expected * per).sum(), max, 2)}
    params = {**{f"bgnbd_{k}": round(float(v), 4) for k, v in bgf.params_.items()},
              **{f"gamma_gamma_{k}": round(float(v) * (unit if k == "v" else 1.0), 4)
                 for k, v in ggf.params_.items()}}
    notes = [f"{len(customers)} customers with purchases before {end}, "
             f"{sum(1 for c in customers if c.frequency)} of them bought more than once",
             f"interval: {lo:g}th to {hi:g}th percentile over {len(sims_n)} draws of the "
             f"fitted parameters (the model's uncertainty about its expectation)"]
    return Forecast(end=end, horizon=horizon, segment=segment, params=params, rows=rows,
                    totals=totals, customers=len(customers), notes=notes)


def _bound(draws: Any, percent: float, point: float, pick: Any, digits: int) -> float:
    """One end of an interval over the parameter draws, widened to hold the point estimate:
    with few draws kept (those that overflow are dropped) the draws alone may miss it."""
    return round(float(pick(np.percentile(draws, percent), point)), digits)


def forecast(store: GraphStore, *, horizon: float = 12.0, segment: str | None = None,
             end: str | None = None, cache: ResultCache | None = RESULTS) -> Forecast:
    """Every customer's predicted purchases and value over ``horizon`` months after the end
    of the history (``end``, default the day after the latest interaction)."""
    if horizon <= 0:
        raise ErmError("the horizon is a number of months above zero")

    def build() -> Forecast:
        until, customers = history(store, end=end, segment=segment)
        return predict(customers, until, horizon, segment=segment)

    found: Forecast = kept(store, "clv.forecast",
                           {"horizon": horizon, "segment": segment, "end": end}, build, cache)
    return found


def customer(store: GraphStore, uid: str, *, horizon: float = 12.0,
             cache: ResultCache | None = RESULTS) -> dict[str, Any] | None:
    """One customer's row of :func:`forecast` (its interval, its inputs), or None when it
    has no purchases."""
    found = forecast(store, horizon=horizon, cache=cache)
    for row in found.rows:
        if row["uid"] == uid:
            return {**row, "horizon": found.horizon, "end": found.end, "notes": found.notes,
                    "params": found.params}
    return None


def calibrate(store: GraphStore, cutoff: str, *, segment: str | None = None,
              end: str | None = None) -> Forecast:
    """Fit on the history before ``cutoff``, predict the hold-out from ``cutoff`` to the end of
    the history, and compare with what the customers did there. ``calibration`` holds the
    aggregate error and, for reference, the naive baseline's: each customer buys in the
    hold-out as often as in the period of the same length just before the cutoff."""
    try:
        date.fromisoformat(cutoff)
    except ValueError as exc:
        raise ErmError(f"--calibrate takes a date, YYYY-MM-DD: {cutoff!r}") from exc
    end = end or observation_end(store)
    if end is None or cutoff >= end:
        raise ErmError(f"the cut-off {cutoff} is not before the end of the history ({end})")
    horizon = _months(cutoff, end)
    _, customers = history(store, end=cutoff, segment=segment)
    fitted = predict(customers, cutoff, horizon, segment=segment)
    known = {c.uid for c in customers}
    after = purchase_days(store, since=cutoff, until=end, segment=segment)
    start = (date.fromisoformat(cutoff) - (date.fromisoformat(end)
                                           - date.fromisoformat(cutoff))).isoformat()
    before = purchase_days(store, since=start, until=cutoff, segment=segment)
    actual = {uid: len(e["days"]) for uid, e in after.items() if uid in known}
    naive = {uid: len(e["days"]) for uid, e in before.items() if uid in known}
    for row in fitted.rows:
        row["actual_purchases"] = actual.get(row["uid"], 0)
        row["naive_purchases"] = naive.get(row["uid"], 0)
    fitted.calibration = {**_scores(fitted.rows, cutoff, end,
                                    new=sum(1 for uid in after if uid not in known)),
                          "predicted_low": fitted.totals["purchases_low"],
                          "predicted_high": fitted.totals["purchases_high"]}
    return fitted


def _scores(rows: list[dict[str, Any]], cutoff: str, end: str, new: int) -> dict[str, Any]:
    actual = sum(r["actual_purchases"] for r in rows)
    predicted = sum(r["expected_purchases"] for r in rows)
    naive = sum(r["naive_purchases"] for r in rows)
    n = len(rows)
    ranked = sorted(rows, key=lambda r: (-r["expected_purchases"], r["uid"]))
    decile = max(1, n // 10)

    def mean(part: list[dict[str, Any]]) -> float:
        return round(sum(r["actual_purchases"] for r in part) / len(part), 3)

    def error(total: float) -> float | None:
        return round((total - actual) / actual, 4) if actual else None

    return {
        "cutoff": cutoff, "end": end, "customers": n, "new_customers_in_hold_out": new,
        "actual_purchases": actual, "predicted_purchases": round(predicted, 2),
        "naive_purchases": naive, "aggregate_error": error(predicted),
        "naive_aggregate_error": error(naive),
        "mean_absolute_error": round(sum(abs(r["expected_purchases"] - r["actual_purchases"])
                                         for r in rows) / n, 4) if n else None,
        "naive_mean_absolute_error": round(sum(abs(r["naive_purchases"] - r["actual_purchases"])
                                               for r in rows) / n, 4) if n else None,
        "top_decile_actual": mean(ranked[:decile]) if n else None,
        "bottom_decile_actual": mean(ranked[-decile:]) if n else None,
    }


__all__ = ["Customer", "Forecast", "calibrate", "customer", "forecast", "history", "predict"]
