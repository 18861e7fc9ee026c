"""Relationship strength of each employee–party (or contact) pair, from their interactions.

strength = 0.35 recency + 0.35 frequency + 0.15 reciprocity + 0.15 sentiment, each in 0..1:

- recency: ``0.5 ** (days since the last interaction / half_life_days)``
- frequency: ``interactions / (interactions + 5)`` (5 interactions give 0.5)
- reciprocity: ``1 - |inbound - outbound| / interactions`` (both sides reach out = 1)
- sentiment: the average sentiment mapped from -1..1 to 0..1 (0.5 when unknown)

:func:`write_knows` stores each as ``(e)-[:KNOWS {strength, evidence, strength_series}]->(p)``,
where evidence is the JSON of those inputs, so every score explains itself, and
``strength_series`` keeps the score of every day it was computed for (a list of
``"YYYY-MM-DD=score"`` strings, oldest first, at most :data:`SERIES_SAMPLES`): the decay of a
relationship shows as a series, not only as its latest value. A list of strings is a property
both FalkorDB and Neo4j store and index as one value, read in Cypher with ``substring``, and
it travels with the relationship (a merge or a restore keeps it); a node per sample would add
a node and a relationship per pair per run. It writes through the store's upsert, as loads
do.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd

from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, writing
from erm_graph.query.network import interaction_pairs, knows_series
from erm_graph.store import GraphStore, UpsertCounts

WEIGHTS = {"recency": 0.35, "frequency": 0.35, "reciprocity": 0.15, "sentiment": 0.15}
#: samples kept in a KNOWS strength series: two years of weekly runs
SERIES_SAMPLES = 104


def relationship_strength(store: GraphStore, *, as_of: str | None = None,
                          half_life_days: float = 180, timeout: float = 600) -> pd.DataFrame:
    """One row per employee and party/contact that met, with the strength and its inputs.

    ``as_of`` (ISO date) is the day the strength is computed for: recency is measured from it
    and only the interactions up to that day count (so a past day's strength can be computed
    again, to fill a series); default the day of the latest interaction.
    """
    try:
        until = (date.fromisoformat(as_of) + timedelta(days=1)).isoformat() if as_of else None
    except ValueError as exc:
        raise ErmError(f"as of takes a date, YYYY-MM-DD: {as_of!r}") from exc
    rows = interaction_pairs(store, timeout=timeout, until=until)
    frame = pd.DataFrame(rows, columns=["employee", "party", "label", "interactions", "inbound",
                                        "last", "sentiment"])
    if frame.empty:
        return frame.assign(strength=[], evidence=[])
    end = date.fromisoformat(as_of or str(frame["last"].max())[:10])
    days = frame["last"].map(lambda t: max(0, (end - date.fromisoformat(str(t)[:10])).days))
    n = frame["interactions"].astype(float)
    outbound = n - frame["inbound"]
    parts = pd.DataFrame({
        "recency": 0.5 ** (days / half_life_days),
        "frequency": n / (n + 5),
        "reciprocity": 1 - (frame["inbound"] - outbound).abs() / n,
        "sentiment": (frame["sentiment"].astype(float).fillna(0.0) + 1) / 2,
    })
    frame["strength"] = sum(parts[k] * w for k, w in WEIGHTS.items()).round(4)
    frame["evidence"] = [json.dumps({
        "interactions": int(r.interactions), "inbound": int(r.inbound), "last": r.last,
        "days_since_last": int(d), "avg_sentiment": None if pd.isna(r.sentiment)
        else round(float(r.sentiment), 3), "as_of": end.isoformat(),
        **{k: round(float(parts[k].iloc[i]), 4) for k in WEIGHTS}}, sort_keys=True)
        for i, (r, d) in enumerate(zip(frame.itertuples(), days, strict=True))]
    return frame.sort_values(["strength", "employee", "party"], ascending=[False, True, True],
                             ignore_index=True)


def _series(kept: list[str], day: str, strength: float) -> list[str]:
    """``kept`` with the sample of ``day`` put in its place (a day's sample replaced, so
    computing a day again does not add to the series), oldest first, the newest kept."""
    samples = {s.split("=", 1)[0]: s for s in kept if "=" in s}
    samples[day] = f"{day}={strength:.4f}"
    return [samples[d] for d in sorted(samples)][-SERIES_SAMPLES:]


def write_knows(store: GraphStore, strengths: pd.DataFrame) -> int:
    """Write ``KNOWS {strength, evidence, strength_series}`` for every row through the store's
    upsert (so an unchanged score is not written again), adding the row's day to the pair's
    series; returns how many rows the graph now holds as given. The write is announced as
    ``analytics.write`` (and so audited)."""
    counts = UpsertCounts()
    with writing(WriteKind.ANALYTICS, "KNOWS", store,
                 detail={"rows": len(strengths)}) as report:
        kept = knows_series(store) if len(strengths) else {}
        frame = strengths.copy()
        series, latest, evidence = [], [], []
        for r in strengths.itertuples():
            before = kept.get((r.employee, r.party), {"series": []})
            day = json.loads(r.evidence)["as_of"]
            series.append(_series(before["series"], day, float(r.strength)))
            newest = max((s[:10] for s in before["series"]), default="")
            # a past day's sample (--as-of, filling the series) leaves the latest score be
            older = newest > day and before.get("strength") is not None
            latest.append(before["strength"] if older else r.strength)
            evidence.append(before["evidence"] if older else r.evidence)
        if len(strengths):
            frame = frame.assign(strength_series=series, strength=latest, evidence=evidence)
        for key_label in ("Party", "Contact"):
            mask = frame["label"] != "Contact" if key_label == "Party" else (
                frame["label"] == "Contact")
            rows = frame.loc[mask, ["employee", "party", "strength", "evidence",
                                    "strength_series"]].rename(
                columns={"employee": "start", "party": "end"}).to_dict("records")
            if rows:
                counts += store.upsert_relationships("KNOWS", "Employee", key_label, rows)
        report.detail.update({"created": counts.created, "updated": counts.updated,
                              "unchanged": counts.unchanged, "missing": len(counts.missing)})
    return counts.created + counts.updated + counts.unchanged
