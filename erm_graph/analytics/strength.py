"""Relationship strength of each employee–party (or contact) pair, from their interactions.

strength = 0.35 recency + 0.35 frequency + 0.15 reciprocity + 0.15 sentiment, each in 0..1:

- recency: ``0.5 ** (days since the last interaction / half_life_days)``
- frequency: ``interactions / (interactions + 5)`` (5 interactions give 0.5)
- reciprocity: ``1 - |inbound - outbound| / interactions`` (both sides reach out = 1)
- sentiment: the average sentiment mapped from -1..1 to 0..1 (0.5 when unknown)

:func:`write_knows` stores each as ``(e)-[:KNOWS {strength, evidence}]->(p)``, where evidence
is the JSON of those inputs, so every score explains itself.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from erm_graph.store import GraphStore
from erm_graph.store.base import batches

WEIGHTS = {"recency": 0.35, "frequency": 0.35, "reciprocity": 0.15, "sentiment": 0.15}
_PAIRS = """
MATCH (p)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee)
RETURN e.uid AS employee, p.uid AS party, last(labels(p)) AS label, count(i) AS interactions,
       sum(CASE WHEN i.inbound THEN 1 ELSE 0 END) AS inbound, max(i.at) AS last,
       avg(i.sentiment) AS sentiment
"""


def relationship_strength(store: GraphStore, *, as_of: str | None = None,
                          half_life_days: float = 180, timeout: float = 600) -> pd.DataFrame:
    """One row per employee and party/contact that met, with the strength and its inputs.

    ``as_of`` (ISO date) is the day recency is measured from: default the latest interaction.
    """
    rows = store.run(_PAIRS, timeout=timeout).records()
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
    """Write ``KNOWS {strength, evidence}`` for every row; returns how many were written."""
    written = 0
    for key_label in ("Party", "Contact"):
        mask = strengths["label"] != "Contact" if key_label == "Party" else (
            strengths["label"] == "Contact")
        rows = strengths.loc[mask, ["employee", "party", "strength", "evidence"]].to_dict(
            "records")
        for batch in batches(rows):
            store.run(f"UNWIND $rows AS r MATCH (e:Employee {{uid: r.employee}}) "
                      f"MATCH (p:{key_label} {{uid: r.party}}) "
                      "MERGE (e)-[k:KNOWS]->(p) SET k.strength = r.strength, "
                      "k.evidence = r.evidence", {"rows": list(batch)}, read_only=False)
            written += len(batch)
    return written
