"""The checks a load makes across its records, before it writes: a key made twice with other
values, records that do not fit the model, a relationship end rejected with its row's node's
fingerprint forgotten. A load read whole runs them over every record
(:func:`erm_graph.ingest.load.prepare`); a load that streams, over each chunk
(:mod:`erm_graph.ingest.streamed`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain
from typing import Any

from erm_graph import model
from erm_graph.errors import Problem
from erm_graph.ingest.aliases import Aliases, land
from erm_graph.ingest.batch import GraphBatch, Rows
from erm_graph.ingest.contract import SAME_UID, LoaderResult, Reject
from erm_graph.records import assign, column, distinct_pairs
from erm_graph.seen_keys import all_distinct
from erm_graph.store import GraphReader


def chunk_rejects(aliases: Aliases, chunk: LoaderResult, landed: Counter[str]
                  ) -> tuple[list[Reject], bool]:
    """The checks of a whole load on one chunk's records (a load that streams: its keys are
    checked across chunks by :mod:`erm_graph.ingest.streamed`, which reads owners whole):
    ``aliases`` resolved (the records that landed on merged ones counted in ``landed``), a
    relationship made twice kept once, records that do not fit the model taken out of the
    chunk's batch and returned; and whether the checks changed the chunk's records (the
    write pass takes a chunk they did not change as it reads it)."""
    found, changed = land(aliases, chunk.batch, chunk.unchanged_nodes)
    landed.update(found)
    rejects: list[Reject] = []
    if not distinct(chunk.batch):
        merged = GraphBatch()
        rejects += merge(merged, chunk.batch, {})
        chunk.batch = merged
        changed = True
    rejects += model_rejects(chunk.batch)
    return rejects, changed or bool(rejects)


def merge(batch: GraphBatch, part: GraphBatch, seen: dict[tuple, dict]) -> list[Reject]:
    """Add ``part`` to ``batch`` once per node key and relationship. A record seen again with
    the same properties (a department named by several files) is kept once; one with other
    properties is rejected, since the load could not say which one is right."""
    rejects = []
    for label, rows in part.nodes.items():
        key = model.label(label).key_label if label in model.LABELS else label
        for row in rows:
            ident = (key, row.get("uid"))
            first = seen.get(ident)
            if first is None:
                seen[ident] = row
                batch.nodes[label].append(row)
            elif _differs(first, row):
                rejects.append(Reject(label, Problem(
                    _where(row, label), "uid", f"unique in the load: {first.get('source')} "
                    "has the same uid with other values", row.get("uid"), SAME_UID), row))
    for group, rows in part.relationships.items():
        for row in rows:
            rel = (*group, row.get("start"), row.get("end"))
            if rel not in seen:
                seen[rel] = row
                batch.relationships[group].append(row)
    return rejects


def distinct(batch: GraphBatch) -> bool:
    """No node key and no relationship (type, ends) twice in ``batch``: checked by hashes
    (:func:`~erm_graph.seen_keys.all_distinct`), a fraction of what merging a million rows
    one by one costs."""
    keys: dict[str, list[Sequence[str]]] = {}
    for label, rows in batch.nodes.items():
        key = model.label(label).key_label if label in model.LABELS else label
        keys.setdefault(key, []).append(column(rows, "uid"))
    return (all(all_distinct(uids[0] if len(uids) == 1 else [u for part in uids for u in part])
                for uids in keys.values())
            and all(map(_distinct_pairs, batch.relationships.values())))


def _distinct_pairs(rows: Rows) -> bool:
    """No (start, end) twice in ``rows`` (told from one side alone when it has no uid
    twice, :func:`erm_graph.records.distinct_pairs`)."""
    return len(distinct_pairs(column(rows, "start"), column(rows, "end"))) == len(rows)


def against_stored(store: GraphReader, batch: GraphBatch,
                    skipped: dict[str, list[Sequence[str]]], unchanged: Counter[str]
                    ) -> list[Reject]:
    """Compare with the stored node each record whose uid a row left out as unchanged has
    too (a row of another table or file of this load), as :func:`_merge` compares two rows:
    a record whose properties the node holds already adds nothing, one with other values is
    rejected.

    The stored node is that row's version, so the load decides as it did when both rows were
    read. Without this, re-loading two files that share a uid wrote the second one's version
    over the first's, and the next load back again.
    """
    rejects = []
    for label, rows in list(batch.nodes.items()):
        key = model.label(label).key_label if label in model.LABELS else label
        chunks = skipped.get(key)
        # the records' uids against the skipped ones, never a set of every skipped uid: an
        # unchanged re-import skips every row of its file and has no records to compare
        uids = set(column(rows, "uid")) if chunks and rows else set()
        twins = uids.intersection(chain.from_iterable(chunks)) if uids and chunks else ()
        hits = [i for i, r in enumerate(rows) if r.get("uid") in twins] if twins else []
        if not hits:
            continue
        stored = dict(store.run(f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) "
                                f"RETURN n.uid, properties(n)",
                                {"uids": [rows[i]["uid"] for i in hits]}).rows)
        gone = set()
        for i in hits:
            row, first = rows[i], stored.get(rows[i]["uid"])
            if first is None:
                continue  # deleted since: this record writes it again
            gone.add(i)
            # only what the record sets: the node may hold more, from other loads
            if any(first.get(k) != v for k, v in row.items() if k not in _NOT_COMPARED):
                rejects.append(Reject(label, Problem(
                    _where(row, label), "uid", f"unique in the load: {first.get('source')} "
                    "has the same uid with other values", row["uid"], SAME_UID), row))
            else:
                unchanged[label] += 1
        batch.nodes[label] = [r for i, r in enumerate(rows) if i not in gone]
    return rejects


#: what two records of one node may differ in: where each came from
_NOT_COMPARED = ("source", *model.ANNOTATIONS)


def _differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k not in _NOT_COMPARED} != \
        {k: v for k, v in b.items() if k not in _NOT_COMPARED}


def rejected_origins(rejects: Sequence[Reject]) -> set[str]:
    """The origins (rows) of rejected relationships."""
    return {str(model.origin(r.record)) for r in rejects
            if r.record is not None and r.label in model.RELATIONSHIPS}


def forget_fingerprints(batch: GraphBatch, origins: set[str]) -> None:
    """A node whose relationship was rejected (its row among ``origins``:
    :func:`rejected_origins`) is stored with a hash of its properties, not its row's
    fingerprint: otherwise the next load would find the row unchanged and never try that
    relationship again."""
    if not origins:
        return
    for rows in batch.nodes.values():
        for i, origin in enumerate(column(rows, "source")):
            if origin in origins:
                assign(rows, i, model.FINGERPRINT, None)


def _where(row: dict[str, Any], fallback: str) -> str:
    return str(model.origin(row) or fallback)


def model_rejects(batch: GraphBatch) -> list[Reject]:
    """Remove every record that does not fit the model from ``batch``; return them."""
    rejects: list[Reject] = []
    for label in list(batch.nodes):
        rows = batch.nodes[label]
        if label not in model.LABELS:
            rejects += [Reject(label, Problem(_where(r, label), "label",
                                              f"one of {sorted(model.LABELS)}", label), r)
                        for r in rows]
            del batch.nodes[label]
            continue
        if not model.node_problems(label, rows):
            continue
        keep = []
        for row in rows:
            problems = model.node_problems(label, [row], where=_where(row, label))
            rejects += [Reject(label, p, row) for p in problems]
            if not problems:
                keep.append(row)
        batch.nodes[label] = keep
    for group in list(batch.relationships):
        rel_type, start, end = group
        rows = batch.relationships[group]
        if (rel_type not in model.RELATIONSHIPS or start not in model.LABELS
                or end not in model.LABELS):
            rejects += [Reject(rel_type, Problem(_where(r, rel_type), "type",
                                                 "a relationship type of the model joining "
                                                 "model labels", f"{start}-{rel_type}->{end}"),
                               r) for r in rows]
            del batch.relationships[group]
            continue
        if not model.relationship_problems(rel_type, start, end, rows):
            continue
        keep = []
        for row in rows:
            problems = model.relationship_problems(rel_type, start, end, [row],
                                                   where=_where(row, rel_type))
            rejects += [Reject(rel_type, p, row) for p in problems]
            if not problems:
                keep.append(row)
        batch.relationships[group] = keep
    return rejects
