"""Relationship strength of each employee–party (or contact) pair, from their interactions.

strength = 0.35 recency + 0.35 frequency + 0.15 reciprocity + 0.15 sentiment, each in 0..1:

- recency: ``0.5 ** (days since the last interaction / half_life_days)``
- frequency: ``interactions / (interactions + 5)`` (5 interactions give 0.5)
- reciprocity: ``1 - |inbound - outbound| / interactions`` (both sides reach out = 1)
- sentiment: the average sentiment mapped from -1..1 to 0..1 (0.5 when unknown)

:func:`write_knows` stores each as ``(e)-[:KNOWS {strength, evidence}]->(p)``, where evidence
is the JSON of those inputs, so every score explains itself; it writes through the store's
upsert, as loads do.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from erm_graph.events import WriteKind, writing
from erm_graph.query.network import interaction_pairs
from erm_graph.store import GraphStore, UpsertCounts

WEIGHTS = {"recency": 0.35, "frequency": 0.35, "reciprocity": 0.15, "sentiment": 0.15}


def relationship_strength(store: GraphStore, *, as_of: str | None = None,
                          half_life_days: float = 180, timeout: float = 600) -> pd.DataFrame:
    """One row per employee and party/contact that met, with the strength and its inputs.

    ``as_of`` (ISO date) is the day recency is measured from: default the latest interaction.
    """
    rows = interaction_pairs(store, timeout=timeout)
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


def write_knows(store: GraphStore, strengths: pd.DataFrame) -> int:
    """Write ``KNOWS {strength, evidence}`` for every row through the store's upsert (so an
    unchanged score is not written again); returns how many rows the graph now holds as
    given. The write is announced as ``analytics.write`` (and so audited)."""
    counts = UpsertCounts()
    with writing(WriteKind.ANALYTICS, "KNOWS", store,
                 detail={"rows": len(strengths)}) as report:
        for key_label in ("Party", "Contact"):
            mask = strengths["label"] != "Contact" if key_label == "Party" else (
                strengths["label"] == "Contact")
            rows = strengths.loc[mask, ["employee", "party", "strength", "evidence"]].rename(
                columns={"employee": "start", "party": "end"}).to_dict("records")
            if rows:
                counts += store.upsert_relationships("KNOWS", "Employee", key_label, rows)
        report.detail.update({"created": counts.created, "updated": counts.updated,
                              "unchanged": counts.unchanged, "missing": len(counts.missing)})
    return counts.created + counts.updated + counts.unchanged
