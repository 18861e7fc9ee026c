"""Loads follow the one-owner rule of components (:mod:`erm_graph.ingest.component_owners`).

The writer runs it on every load (the loaders, an upload, the demo): the owner a file names
replaces an owner that an earlier load wrote, and the report says whom it replaced. An owner set
by hand (``erm owner set``, the web app: its ``RESPONSIBLE_FOR`` carries ``set_at``) is never
replaced by a load, since a reload of an unchanged flowchart would otherwise undo the choice
made in the app: the load keeps it, and its report names the command that takes the file's
owner instead. A load that gives one component two owners is refused before anything is
written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.errors import Problem, ValidationError
from erm_graph.ingest.batch import GraphBatch, RelKey
from erm_graph.ingest.contract import Reject
from erm_graph.query.owners import stored_owners
from erm_graph.store.base import GraphReader, GraphStore, batches

OWNS = "RESPONSIBLE_FOR"


@dataclass
class LoadOwners:
    """How a load's owners meet the stored ones: the ``RESPONSIBLE_FOR`` rows to write per
    group (an owner set by hand keeps its component: the file's row is left out), the
    (component, owner) pairs an earlier load wrote that the file's owner replaces, per
    component label, and the notes the report shows."""

    rows: dict[RelKey, list[dict[str, Any]]] = field(default_factory=dict)
    #: rows left out because their component keeps an owner set by hand: the graph holds the
    #: choice already, so the report counts them unchanged (a reload changes nothing)
    kept_by_hand: int = 0
    replaced: dict[str, list[list[str]]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)


def load_owners(store: GraphReader, batch: GraphBatch) -> LoadOwners:
    """Hold a load's ``RESPONSIBLE_FOR`` rows to the one-owner rule (see the module's
    docstring); reads only, through :func:`~erm_graph.query.owners.stored_owners`.
    :class:`ValidationError` when the load itself gives a component
    two owners."""
    found = LoadOwners()
    two = _two_owners(batch)
    if two:
        raise ValidationError(two)
    for key, rows in batch.relationships.items():
        rel_type, _, label = key
        if rel_type != OWNS or not rows:
            continue
        stored: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
        for uid, owner, set_at, set_by in stored_owners(store, label,
                                                        (row["end"] for row in rows)):
            stored[uid].append((owner, set_at, set_by))
        kept = []
        for row in rows:
            uid, owner = row["end"], row["start"]
            by_hand = [(o, at, by) for o, at, by in stored.get(uid, ()) if at is not None]
            if by_hand:
                if owner not in {o for o, _, _ in by_hand}:
                    o, at, by = by_hand[0]
                    found.notes.append(
                        f"{label} {uid!r} keeps its owner {o}, set by hand by {by} at "
                        f"{str(at)[:16]}; the file names {owner}: to take the file's, run "
                        f"`erm owner set {uid} {owner}`")
                found.kept_by_hand += 1
                continue
            kept.append(row)
            for o, _, _ in stored.get(uid, ()):
                if o != owner:
                    found.replaced[label].append([uid, o])
                    found.notes.append(f"{label} {uid!r}: owner {o} replaced by {owner}, whom "
                                       f"the file names (one owner per component)")
        found.rows[key] = kept
    return found


def replace_load_owners(store: GraphStore, owners: LoadOwners) -> None:
    """Delete the owners a load's owners replace (inside the load's write: the writer runs
    it under the load lock, just before it writes the load's ``RESPONSIBLE_FOR`` rows)."""
    for label, pairs in owners.replaced.items():
        for chunk in batches(pairs):
            store.run(f"UNWIND $pairs AS p MATCH (c:{label} {{uid: p[0]}})"
                      f"<-[r:RESPONSIBLE_FOR]-(e:Employee {{uid: p[1]}}) "
                      f"WHERE r.set_at IS NULL DELETE r", {"pairs": list(chunk)},
                      read_only=False)


def second_owner_rejects(batch: GraphBatch) -> list[Reject]:
    """Remove from ``batch`` the rows that give a component a second owner (the first row
    naming its owner stays); return them, each with the row it clashes with. A load then
    stops on them, or skips them with ``--on-error skip``, as it does any record that does
    not fit the model."""
    rejects = []
    for key, rows in batch.relationships.items():
        rel_type, _, label = key
        if rel_type != OWNS:
            continue
        first: dict[str, dict[str, Any]] = {}
        keep = []
        for row in rows:
            seen = first.setdefault(row["end"], row)
            if seen["start"] == row["start"]:
                keep.append(row)
                continue
            rejects.append(Reject(OWNS, Problem(
                model.origin(row) or f"{OWNS} of {label} {row['end']}", "owner",
                f"one owner per component: {label} {row['end']!r} is given {seen['start']} "
                f"(at {model.origin(seen) or 'another row'}) too", row["start"]), row))
        batch.relationships[key] = keep
    return rejects


def _two_owners(batch: GraphBatch) -> list[Problem]:
    """The rows of a batch that give a component a second owner (a batch written without
    the load's checks: :func:`second_owner_rejects` took them out of every load's)."""
    copy = GraphBatch(relationships={key: list(rows) for key, rows in batch.relationships.items()
                                     if key[0] == OWNS})
    return [reject.problem for reject in second_owner_rejects(copy)]
