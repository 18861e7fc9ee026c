"""The `GraphStore` protocol, and the upsert logic both engines share.

Both engines speak the same portable Cypher for upserts, so the batching, change detection and
reporting live here once; an engine module supplies only how a statement is executed
(:meth:`CypherStore._execute`) and how the schema is created.

Change detection: every node and relationship written through the store carries a
``content_hash`` of its properties. A batch first reads the hashes of the keys it holds, then
writes only the records that are new or changed. Re-importing an unchanged file is therefore a
read, and the report can say created / updated / unchanged exactly.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Protocol, runtime_checkable

from erm_graph import model
from erm_graph.errors import Problem, StoreError
from erm_graph.store.load_lock import lease_lock

#: The label of the mark a load leaves while it writes (see CypherStore.begin_load)
PENDING_LOAD = "PendingLoad"

#: Rows per UNWIND batch. Edge loads are bound by index lookups, so size barely matters past
#: a few thousand; 5k keeps one batch's parameters a few MB.
BATCH_SIZE = 5000

#: New relationships without properties that cannot exist yet are created this many at a
#: time: FalkorDB's bulk path pays some 7 ms per call whatever its size (calls of 5,000 edges
#: cost 1.5 s per million, calls of 100k 0.4 s) and reads the ids of each call's uids once.
BARE_CHUNK = 100_000

Progress = Callable[[int], None]


@dataclass
class QueryResult:
    """Rows of one query. Nodes and relationships come back as plain dicts."""

    columns: list[str]
    rows: list[list[Any]]
    stats: dict[str, float] = field(default_factory=dict)
    #: what the reader should know before trusting the rows (an engine limitation the query
    #: may hit, and how to write it portably); set by the ad hoc path
    warnings: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_dataframe(self):  # -> pandas.DataFrame; pandas imported lazily for CLI start-up
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


@dataclass
class UpsertCounts:
    """What one upsert did, per label or type."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: relationship rows whose start or end node does not exist: never written, always reported
    missing: list[Problem] = field(default_factory=list)
    #: the nodes this upsert created, uid -> engine node id (None where the engine does not
    #: report ids): a relationship to one of them cannot exist yet
    created_ids: dict[str, int | None] = field(default_factory=dict)
    #: copies of a relationship found and deleted (one of each pair of ends is kept)
    removed: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.removed += other.removed
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.missing += other.missing
        self.created_ids |= other.created_ids
        return self


@runtime_checkable
class GraphStore(Protocol):
    """What every engine offers. Open one with :func:`erm_graph.store.open_store`."""

    engine: str
    location: str

    def run(self, cypher: str, params: Mapping[str, Any] | None = None, *,
            read_only: bool = True, timeout: float | None = None) -> QueryResult:
        """Run one statement. ``read_only`` is enforced by the engine, not by parsing;
        ``timeout`` is in seconds."""

    def ensure_schema(self) -> None:
        """Create the ``uid`` index/constraint of every label, before any load."""

    def upsert_nodes(self, label: str, rows: Sequence[Mapping[str, Any]], *,
                     progress: Progress | None = None, dry_run: bool = False) -> UpsertCounts:
        ...

    def upsert_relationships(self, rel_type: str, start_label: str, end_label: str,
                             rows: Sequence[Mapping[str, Any]], *,
                             progress: Progress | None = None, dry_run: bool = False,
                             new_nodes: Mapping[str, Mapping[str, int | None]] | None = None,
                             ) -> UpsertCounts:
        ...

    def stale_rows(self, label: str, uids: Sequence[str], hashes: Sequence[str]) -> list[int]:
        """Indexes of the rows (``uids[i]``, ``hashes[i]``) whose node is missing or differs."""

    def unfinished_loads(self) -> dict[str, list[str]]:
        """Loads begun and never ended (interrupted): token -> names of the files they read."""

    def begin_load(self, files: Sequence[str]) -> str:
        """Mark a load of ``files`` as under way; returns its token for :meth:`end_load`."""

    def end_load(self, token: str, files: Sequence[str], settled: Sequence[str] = ()) -> None:
        """The load ``token`` wrote everything: drop its mark, and take ``files`` off the
        interrupted loads ``settled`` (this load checked those files' rows in full)."""

    def load_lock(self) -> AbstractContextManager[None]:
        """Hold the store's load lock: loads that run at once write one after another (see
        :mod:`erm_graph.store.load_lock`)."""

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Node count per model label and relationship count per model type."""

    def compact(self, *, wait: bool = True) -> None:
        """Make the stored data quick to reopen after a large load (no-op where not needed).
        ``wait=False`` starts it and returns; the next call finishes it."""

    def clear(self) -> None:
        """Delete the whole graph."""

    def close(self) -> None: ...


def content_hash(props: Mapping[str, Any]) -> str:
    """A short stable digest of a record's properties, for change detection."""
    text = json.dumps(props, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def batches(rows: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _pipelined(write: Callable[[Sequence[Any]], UpsertCounts], rows: Sequence[Any],
               progress: Progress | None, size: int = BATCH_SIZE) -> UpsertCounts:
    """Run ``write`` over the batches of ``rows`` with two in flight at a time.

    Building a batch's parameters is Python work; running it is the engine's. With two
    batches in flight one is prepared while the engine runs the other (the GIL is released
    while a thread waits on the socket), which nearly doubles load speed on two cores. Each
    batch is still one atomic query; the engine applies writes one at a time.
    """
    counts = UpsertCounts()
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = []
        for batch in batches(rows, size):
            pending.append((len(batch), pool.submit(write, batch)))
            if len(pending) == 2:
                size, future = pending.pop(0)
                counts += future.result()
                if progress:
                    progress(size)
        for size, future in pending:
            counts += future.result()
            if progress:
                progress(size)
    return counts


def _keys(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """The property names of ``rows``: every key but the annotations."""
    return set().union(*rows) - set(model.ANNOTATIONS)


def _cannot_exist(rows: Sequence[Mapping[str, Any]], fresh: bool,
                  new_starts: Mapping[str, Any], new_ends: Mapping[str, Any]
                  ) -> tuple[list[tuple[str, str]], list[Mapping[str, Any]]]:
    """The distinct (start, end) pairs of the relationship ``rows`` that cannot exist yet (the
    type has none, or an end is a node this load created), and the other rows."""
    rest: list[Mapping[str, Any]] = []
    if fresh:
        sure = rows
    else:
        sure = []
        for row in rows:
            (sure if row["start"] in new_starts or row["end"] in new_ends else rest).append(row)
    return list(dict.fromkeys(zip(map(itemgetter("start"), sure),
                                  map(itemgetter("end"), sure), strict=True))), rest


def _match_ends(start: str, end: str) -> str:
    """``a`` and ``b``, the two ends of each row ``[start uid, end uid, ...]``, in two MATCH
    clauses so that each uses its uid index."""
    return f"UNWIND $rows AS r MATCH (a:{start} {{uid: r[0]}}) MATCH (b:{end} {{uid: r[1]}}) "


def expand_from(rows: Sequence[Sequence[Any]]) -> str:
    """``"s"`` or ``"e"``: the end of these relationship rows ([start, end, ...]) with more
    distinct uids."""
    return "e" if len({r[1] for r in rows}) > len({r[0] for r in rows}) else "s"


@dataclass
class _Payload:
    """A batch as positional rows: ``[key, key..., hash, value, value..., others]``.

    Lists, not maps: FalkorDB's parameter encoding rewrites every map key of a batch, and
    that cost more than the engine's own work on a load. A property the model declares (its
    name comes from the schema) has a column of its own and is written by name, in the
    CREATE pattern or by a SET; any other property (its name comes from the data) travels in
    the one ``others`` map, set with ``+=``, so no text from the data ever reaches the query.
    Rows with the same key are one: the last wins.
    """

    rows: list[list[Any]]
    width: int  # the key columns before the hash
    columns: list[str]
    others: bool

    @classmethod
    def of(cls, batch: Sequence[Mapping[str, Any]], keys: tuple[str, ...],
           declared: Mapping[str, Any], label: str | None = None) -> _Payload:
        """``label``: the rows are nodes; a node's hash is its loader's fingerprint when it
        has one, else a hash of its label and properties (a Customer that becomes a
        Supplier has changed). A relationship without properties has no hash (None), as
        stored."""
        nodes = label is not None
        names = set().union(*batch) - set(keys) - set(model.ANNOTATIONS)
        if not names and not nodes:  # bare relationships, most of a load: ends only, in C
            ends = dict.fromkeys(zip(*(map(itemgetter(k), batch) for k in keys), strict=True))
            return cls([[*key, None] for key in ends], len(keys), [], False)
        columns, others = sorted(names & set(declared)), sorted(names - set(declared))
        skip = {*keys, *model.ANNOTATIONS}
        found: dict[tuple, list[Any]] = {}
        for row in batch:
            values = [row[k] for k in keys]
            digest = row.get(model.FINGERPRINT) if nodes else None
            if digest is None and (names or nodes):
                props = {k: v for k, v in row.items()
                         if v is not None and k not in skip} if names else {}
                digest = (content_hash({"label": label, "properties": props}) if nodes
                          else content_hash(props) if props else None)
            values.append(digest)
            if columns:
                values += [row.get(c) for c in columns]
            if others:
                values.append({k: row[k] for k in others if row.get(k) is not None})
            found[tuple(values[:len(keys)])] = values
        return cls(list(found.values()), len(keys), columns, bool(others))

    def created(self, fixed: str) -> str:
        """The pattern map of a CREATE: ``fixed`` items, then the property columns. Properties
        in the pattern are written twice as fast on FalkorDB as by a SET after it (200k
        nodes: 1.2 s against 2.2 s); a null leaves its property unset."""
        first = self.width + 1
        return ", ".join([fixed, *(f"`{name}`: r[{first + i}]"
                                   for i, name in enumerate(self.columns))])

    def extra(self, var: str) -> str:
        """The SET item of the ``others`` map (properties the model does not declare), or
        "" when the batch has none."""
        return f"{var} += r[{self.width + 1 + len(self.columns)}]" if self.others else ""

    def updates(self, var: str) -> str:
        """The SET items of an update: each property column, where a missing value keeps the
        stored one (as ``+=`` does), then the ``others`` map."""
        first = self.width + 1
        items = [f"{var}.`{name}` = coalesce(r[{first + i}], {var}.`{name}`)"
                 for i, name in enumerate(self.columns)]
        return ", ".join(filter(None, [*items, self.extra(var)]))


class CypherStore:
    """Upserts, counts and clearing in portable Cypher; engines subclass and add execution."""

    engine = "cypher"
    location = ""
    #: appended to a node CREATE by an engine whose :meth:`_create_bare` uses node ids: it
    #: returns the ids of the created nodes, in row order, as one list
    _ids_of_created = ""

    # -- provided by each engine -------------------------------------------------------------
    def _execute(self, cypher: str, params: Mapping[str, Any], read_only: bool,
                 timeout: float | None) -> QueryResult:
        raise NotImplementedError

    def run(self, cypher: str, params: Mapping[str, Any] | None = None, *,
            read_only: bool = True, timeout: float | None = None) -> QueryResult:
        return self._execute(cypher, params or {}, read_only, timeout)

    def compact(self, *, wait: bool = True) -> None:
        """Nothing to do by default."""

    # -- shared --------------------------------------------------------------------------------
    def _label_is_empty(self, label: str) -> bool:
        # count() by label or type comes from the engines' own counters (O(1) on both); a
        # `MATCH ()-[x:T]->() RETURN 1 LIMIT 1` scans, 0.5 s on a medium graph
        return self.run(f"MATCH (n:{label}) RETURN count(n)").rows[0][0] == 0

    def _type_is_empty(self, rel_type: str) -> bool:
        return self.run(f"MATCH ()-[x:{rel_type}]->() RETURN count(x)").rows[0][0] == 0

    def _declare(self, keys: set[str], rel_type: str | None = None) -> None:
        """Make property ``keys`` (and ``rel_type``) known to the engine before batches that
        use them run two at a time (a single batch runs alone, and may declare its own);
        nothing to do unless an engine needs it."""

    def _uid_is_enforced(self, label: str) -> bool:
        """Whether the engine refuses a second node of ``label`` with the same uid right now.

        Optimistic CREATEs rely on it. False unless an engine confirms it.
        """
        return False

    def upsert_nodes(self, label: str, rows: Sequence[Mapping[str, Any]], *,
                     progress: Progress | None = None, dry_run: bool = False) -> UpsertCounts:
        """Create or update nodes of ``label`` by ``uid``; idempotent.

        Rows must already be valid (see :func:`erm_graph.model.validate_nodes`). A batch first
        reads the stored hashes of its uids, then CREATEs the new rows and SETs the changed
        ones: one query each, each atomic. No MERGE: on FalkorDB a MERGE that
        adds a second label (Party + Customer) runs at a few hundred rows/s, CREATE at tens of
        thousands. The unique uid constraint refuses a duplicate a concurrent writer might
        race in. ``dry_run`` only counts.
        """
        spec = model.label(label)
        key = spec.key_label
        declared = {**model.COMMON_PROPS, **spec.props}

        def create(payload: _Payload) -> str:
            props = payload.created("uid: r[0], created_at: $now, updated_at: $now, "
                                    "content_hash: r[1]")
            extra = payload.extra("n")
            return (f"UNWIND $rows AS r CREATE (n:{':'.join(spec.labels)} {{{props}}})"
                    + (f" SET {extra}" if extra else "") + self._ids_of_created)

        def created(payload: _Payload, rows: list[list[Any]]) -> dict[str, int | None]:
            """Create ``rows`` of ``payload``; {uid: node id} of the new nodes."""
            result = self.run(create(payload), {"rows": rows, "now": now_iso()},
                              read_only=False)
            ids = result.rows[0][0] if self._ids_of_created else [None] * len(rows)
            return dict(zip((r[0] for r in rows), ids, strict=True))

        # a node may come back with another sub-label (a Customer as a Supplier, or as a
        # plain Party): an update sets its label and removes the others under the same key
        siblings = [o.name for o in model.LABELS.values()
                    if o.key_label == key and o.name not in (key, spec.name)]
        relabel = (f", n:{spec.name}" if spec.parent else "") + \
            (f" REMOVE n:{':'.join(siblings)}" if siblings else "")

        def update(payload: _Payload) -> str:
            sets = ", ".join(filter(None, ["n.content_hash = r[1], n.updated_at = $now",
                                           payload.updates("n")]))
            return f"UNWIND $rows AS r MATCH (n:{key} {{uid: r[0]}}) SET {sets}{relabel}"

        read = f"UNWIND $uids AS u MATCH (n:{key} {{uid: u}}) RETURN n.uid, n.content_hash"
        # While batches turn out all new, the next one is CREATEd without reading first: the
        # unique uid constraint makes a batch that holds a known uid fail whole, and then it
        # takes the read path. A bulk of new rows thus loads at CREATE speed, and a re-import
        # pays one failed attempt at most.
        optimistic = [self._label_is_empty(key) and not dry_run]
        enforced = self._uid_is_enforced(key)

        def write(batch: Sequence[Mapping[str, Any]]) -> UpsertCounts:
            payload = _Payload.of(batch, ("uid",), declared, label=label)
            rows = payload.rows
            if optimistic[0] and enforced:
                try:
                    return UpsertCounts(len(rows), 0, len(batch) - len(rows),
                                        created_ids=created(payload, rows))
                except StoreError as exc:
                    if "unique" not in str(exc).lower() and "already exists" not in str(exc):
                        raise
                    optimistic[0] = False
            known = dict(self.run(read, {"uids": [r[0] for r in rows]}).rows)
            new = [r for r in rows if r[0] not in known]
            changed = [r for r in rows if r[0] in known and known[r[0]] != r[1]]
            optimistic[0] = not known and not dry_run
            ids: dict[str, int | None] = (created(payload, new) if new and not dry_run
                                          else {r[0]: None for r in new})
            if changed and not dry_run:
                self.run(update(payload), {"rows": changed, "now": now_iso()},
                         read_only=False)
            return UpsertCounts(len(new), len(changed), len(batch) - len(new) - len(changed),
                                created_ids=ids)

        if not dry_run and len(rows) > BATCH_SIZE:  # batches will run two at a time
            self._declare(_keys(rows) | set(model.SYSTEM_PROPS))
        return _pipelined(write, rows, progress)

    def upsert_relationships(self, rel_type: str, start_label: str, end_label: str,
                             rows: Sequence[Mapping[str, Any]], *,
                             progress: Progress | None = None, dry_run: bool = False,
                             new_nodes: Mapping[str, Mapping[str, int | None]] | None = None,
                             ) -> UpsertCounts:
        """Create or update ``(start)-[rel_type]->(end)`` by the uids of its two ends.

        Endpoints are matched in two separate MATCH clauses so each uses its uid index. A row
        whose start or end node does not exist is not written and comes back in ``missing``.
        Rows for the same pair of ends are one relationship: the last row wins. Relationships
        carry their own properties and, when they have any, their ``content_hash``; no
        timestamps (the nodes have them): most relationships have no properties, and writing
        three for each made loads 1.5x slower on the engine. As for nodes, one read of the
        stored hashes finds the new and changed rows, then new ones are CREATEd and changed
        ones SET. ``new_nodes`` (per key label, the nodes this load has just created, uid -> node
        id as :attr:`UpsertCounts.created_ids`) spares that read for rows touching a new node:
        it has no relationships yet. Rows without properties that need no read (those, or all
        rows of a type that has none yet) skip the batches: they are created in chunks of
        ``BARE_CHUNK``, the size the engine's fastest path wants. ``dry_run`` only counts.
        """
        declared = model.relationship(rel_type).props
        start = model.label(start_label).key_label
        end = model.label(end_label).key_label
        # Finding an existing relationship costs the degree of the node it is expanded from:
        # expand from the side with more distinct uids in the batch (an Interaction, not the
        # Campaign that targets thousands). Only that side is labelled in the MATCH: with both
        # labelled, or the far label tested in the same WHERE, FalkorDB starts from the other
        # side (5000 TARGETS rows: 4.5 s and 100 s; this way 0.1 s). The far label is checked
        # after a WITH instead.
        finds = {
            "s": (f"UNWIND $rows AS r MATCH (a:{start} {{uid: r[0]}})-[x:{rel_type}]->(b) "
                  f"WHERE b.uid = r[1] WITH r, x, b WHERE b:{end} "),
            "e": (f"UNWIND $rows AS r MATCH (b:{end} {{uid: r[1]}})<-[x:{rel_type}]-(a) "
                  f"WHERE a.uid = r[0] WITH r, x, a WHERE a:{start} ")}

        def create(payload: _Payload) -> str:
            props, extra = payload.created("content_hash: r[2]"), payload.extra("x")
            return (_match_ends(start, end) + f"CREATE (a)-[x:{rel_type} {{{props}}}]->(b) "
                    + (f"SET {extra} " if extra else "") + "RETURN count(x)")

        def update(payload: _Payload) -> str:
            items = ", ".join(filter(None, ["x.content_hash = r[2]",
                                            payload.updates("x")]))
            return f"SET {items} RETURN count(x)"

        fresh = self._type_is_empty(rel_type)
        new_starts = (new_nodes or {}).get(start, {})
        new_ends = (new_nodes or {}).get(end, {})

        def write(batch: Sequence[Mapping[str, Any]]) -> UpsertCounts:
            payload = _Payload.of(batch, ("start", "end"), declared)
            rows = payload.rows
            side = expand_from(rows)
            ask = [] if fresh else [r[:2] for r in rows
                                    if r[0] not in new_starts and r[1] not in new_ends]
            read = finds[side] + "RETURN r[0], r[1], x.content_hash"
            found = self.run(read, {"rows": ask}).rows if ask else []
            known = {(s, e): h for s, e, h in found}
            removed = 0
            if len(known) < len(found) and not dry_run:
                # copies of one relationship, left by loads that ran at once before they
                # took the load lock: keep one, then read what it holds
                twice = [list(pair) for pair, n in Counter(
                    (s, e) for s, e, _ in found).items() if n > 1]
                removed = self.run(finds[side] + "WITH r, collect(x) AS xs UNWIND tail(xs) "
                                   "AS y DELETE y RETURN count(y)", {"rows": twice},
                                   read_only=False).rows[0][0]
                known |= {(s, e): h for s, e, h in self.run(read, {"rows": twice}).rows}
            new = [r for r in rows if (r[0], r[1]) not in known]
            changed = [r for r in rows if (r[0], r[1]) in known and known[(r[0], r[1])] != r[2]]
            unchanged = len(batch) - len(new) - len(changed)
            if dry_run:
                return UpsertCounts(len(new), len(changed), unchanged)
            created = updated = 0
            if new:
                # most relationships have no properties: those are written bare, with no hash
                created = (self._create_bare(rel_type, start, end, [r[:2] for r in new],
                                             (new_starts, new_ends))
                           if all(r[2] is None for r in new) else
                           self.run(create(payload), {"rows": new}, read_only=False).rows[0][0])
            if changed:
                updated = self.run(finds[side] + update(payload), {"rows": changed},
                                   read_only=False).rows[0][0]
            missing = (self._missing_ends(rel_type, start, end, new)
                       if created < len(new) else [])
            return UpsertCounts(created, updated, unchanged, missing, removed=removed)

        props = _keys(rows) - {"start", "end"}
        if not dry_run and len(rows) > BATCH_SIZE:  # batches will run two at a time
            self._declare(props | {"content_hash"}, rel_type)
        counts = UpsertCounts()
        if not props:  # bare rows that cannot exist yet need no read: created in big chunks
            pairs, rest = _cannot_exist(rows, fresh, new_starts, new_ends)
            counts.unchanged = len(rows) - len(rest) - len(pairs)  # the same pair twice
            if progress and counts.unchanged:
                progress(counts.unchanged)

            def create_bare(chunk: Sequence[tuple[str, str]]) -> UpsertCounts:
                made = len(chunk) if dry_run else self._create_bare(
                    rel_type, start, end, chunk, (new_starts, new_ends))
                return UpsertCounts(made, missing=self._missing_ends(
                    rel_type, start, end, chunk) if made < len(chunk) else [])

            counts += _pipelined(create_bare, pairs, progress, BARE_CHUNK)
            rows = rest
        counts += _pipelined(write, rows, progress)
        return counts

    def _create_bare(self, rel_type: str, start: str, end: str,
                     pairs: Sequence[Sequence[str]],
                     new_ids: tuple[Mapping[str, int | None], Mapping[str, int | None]],
                     ) -> int:
        """Create ``(:start {uid: p[0]})-[:rel_type]->(:end {uid: p[1]})`` for every pair
        whose two ends exist, with no properties; returns how many were created. The pairs
        are new: no such relationship exists yet. An engine with a faster way overrides it;
        ``new_ids`` (start side, end side) are the node ids this load's CREATEs reported."""
        return sum(self.run(_match_ends(start, end) + f"CREATE (a)-[x:{rel_type}]->(b) "
                            f"RETURN count(x)", {"rows": chunk}, read_only=False).rows[0][0]
                   for chunk in batches(pairs))

    def _missing_ends(self, rel_type: str, start: str, end: str,
                      rows: Sequence[Sequence[Any]]) -> list[Problem]:
        """Which rows ([start, end, ...]) of a batch were not written because an end node
        does not exist."""
        found = {}
        for side, lab in ((0, start), (1, end)):
            uids = sorted({r[side] for r in rows})
            found[side] = {r[0] for r in self.run(
                f"UNWIND $uids AS u MATCH (n:{lab} {{uid: u}}) RETURN n.uid",
                {"uids": uids}).rows}
        problems = []
        for r in rows:
            for side, name, lab in ((0, "start", start), (1, "end", end)):
                if r[side] not in found[side]:
                    problems.append(Problem(f"{rel_type} {r[0]!r}->{r[1]!r}", name,
                                            f"the uid of an existing {lab}", r[side]))
                    break
        return problems

    def stale_rows(self, label: str, uids: Sequence[str], hashes: Sequence[str]) -> list[int]:
        """Indexes of the rows (``uids[i]``, ``hashes[i]``) whose node is missing or differs.

        A loader that fingerprints its rows (``model.FINGERPRINT``) asks this before it types
        them, so re-importing an unchanged file costs one index lookup per row. The rows go
        as lists, not maps (no keys to rewrite in the encoding), and only the stale positions
        come back.
        """
        key = model.label(label).key_label
        if self._label_is_empty(key):
            return list(range(len(uids)))
        # uids and hashes as two flat lists, read by position after a WITH: FalkorDB reads
        # them in three quarters of the time of a list of [uid, hash] pairs (1M rows: 2.0 s
        # against 2.6 s), and as fast in chunks of 100k as of 20k: linear. An earlier form
        # that indexed two list parameters took 138 s for 200k rows; keep the WITH.
        query = (f"UNWIND range(0, size($uids) - 1) AS k WITH k, $uids[k] AS u "
                 f"OPTIONAL MATCH (n:{key} {{uid: u}}) WITH k, n "
                 f"WHERE n IS NULL OR n.content_hash <> $hashes[k] RETURN collect(k)")
        stale: list[int] = []
        size = 4 * BATCH_SIZE
        for start in range(0, len(uids), size):
            found = self.run(query, {"uids": list(uids[start:start + size]),
                                     "hashes": list(hashes[start:start + size])}).rows[0][0]
            stale += [start + k for k in found]
        return stale

    # -- loads under way -----------------------------------------------------------------------
    # A loader's fingerprint on a node says "this row is stored as it is", and a re-import
    # skips such rows, relationships included. Nodes are written before their relationships,
    # so a load interrupted between the two (Ctrl-C, a killed server) would leave nodes whose
    # fingerprints hide relationships that were never written. A load therefore leaves a
    # PendingLoad node while it writes; the next load of one of its files trusts no fingerprint
    # of that file (it compares every row with the graph and writes what is missing), then
    # takes the file off the mark. Marks are tiny and not part of the model.
    def unfinished_loads(self) -> dict[str, list[str]]:
        return dict(self.run(f"MATCH (m:{PENDING_LOAD}) RETURN m.token, m.files").rows)

    def begin_load(self, files: Sequence[str]) -> str:
        token = uuid.uuid4().hex
        self.run(f"CREATE (:{PENDING_LOAD} {{token: $token, files: $files, started_at: $now}})",
                 {"token": token, "files": list(files), "now": now_iso()}, read_only=False)
        return token

    def end_load(self, token: str, files: Sequence[str], settled: Sequence[str] = ()) -> None:
        self.run(f"MATCH (m:{PENDING_LOAD}) WHERE m.token IN $settled "
                 f"SET m.files = [f IN m.files WHERE NOT f IN $files]",
                 {"settled": list(settled), "files": list(files)}, read_only=False)
        self.run(f"MATCH (m:{PENDING_LOAD}) WHERE m.token = $token OR size(m.files) = 0 "
                 f"DELETE m", {"token": token}, read_only=False)

    def load_lock(self) -> AbstractContextManager[None]:
        """A lease in the graph, for servers that other machines load into too; the
        embedded engine uses a file lock instead."""
        return lease_lock(self)

    def _prepare_load_lock(self) -> None:
        """Whatever the engine needs before two loads may race for the first lease."""

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        labels = {name: self.run(f"MATCH (n:{name}) RETURN count(n)").rows[0][0]
                  for name in model.LABELS}
        types = {name: self.run(f"MATCH ()-[r:{name}]->() RETURN count(r)").rows[0][0]
                 for name in model.RELATIONSHIPS}
        return labels, types

    def clear(self) -> None:
        while self.run("MATCH (n) WITH n LIMIT 50000 DETACH DELETE n RETURN count(*)",
                       read_only=False).rows[0][0]:
            pass

