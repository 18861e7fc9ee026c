"""Loads land on merged records: a uid that ``erm merge`` dropped names the record it was merged
into (:func:`erm_graph.query.merges.alias_table`), so a later load of either source writes to
that one record and never brings the duplicate back.

A record whose uid is an alias is not written: the merge decided the kept record's properties
(the kept values win, as in the merge; ``erm merge list`` shows the conflicts), and writing the
dropped source's values would turn them back and forth with every load of either source. Its
relationships are written, to the kept record, so what the source says about the record still
arrives. The load's notes say how many records landed this way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from erm_graph import model
from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.contract import LoaderResult
from erm_graph.query.merges import alias_table
from erm_graph.records import assign, column
from erm_graph.store import GraphReader


def _key(label: str) -> str:
    return model.label(label).key_label if label in model.LABELS else label


Aliases = dict[str, dict[str, str]]  # per key label, alias -> the uid it now names


def resolve_aliases(store: GraphReader, sources: Sequence[LoaderResult]) -> None:
    """Rewrite, in each source's batch, every uid that is an alias to the uid it now names."""
    table = alias_table(store)
    if not table:
        return
    for source in sources:
        landed, _ = land(table, source.batch, source.unchanged_nodes)
        if landed:
            source.note(landed_note(landed))


def land(table: Aliases, batch: GraphBatch, unchanged: Counter[str]
         ) -> tuple[Counter[str], bool]:
    """Rewrite ``batch``'s aliases (of ``table``: :func:`alias_table`) to the uids they name:
    a record whose uid is an alias is counted in ``unchanged`` and left out, its
    relationships land on the kept record. How many records landed, per alias, and whether
    anything was rewritten: a relationship's end that lands is no record that landed, yet
    the batch is not the one read."""
    landed: Counter[str] = Counter()
    rewrote = False
    if not table:
        return landed, rewrote
    for label, rows in batch.nodes.items():
        aliases = table.get(_key(label))
        uids = column(rows, "uid") if aliases else []
        if not aliases or aliases.keys().isdisjoint(uids):
            continue
        kept = [row for row, uid in zip(rows, uids, strict=True) if uid not in aliases]
        for uid in uids:
            if uid in aliases:
                landed[f"{uid} -> {aliases[uid]}"] += 1
        unchanged[label] += len(rows) - len(kept)
        batch.nodes[label] = kept
    for (_, start, end), rows in batch.relationships.items():
        for side, label in (("start", start), ("end", end)):
            aliases = table.get(_key(label))
            if not aliases:
                continue
            for i, uid in enumerate(column(rows, side)):
                if uid in aliases:
                    assign(rows, i, side, aliases[uid])
                    rewrote = True
    return landed, rewrote or bool(landed)


def landed_note(landed: Counter[str]) -> str:
    """What a load's notes say of the records that landed on merged ones."""
    shown = ", ".join(sorted(landed)[:5]) + (", ..." if len(landed) > 5 else "")
    return (f"{sum(landed.values())} record(s) name uids merged into others ({shown}): their "
            "relationships were written to the kept records, whose properties the merge "
            "decided (`erm merge list`)")
