"""Portable Cypher for both engines: :class:`CypherStore`, the base of each engine's store.

An engine module supplies how a statement is executed (:meth:`CypherStore._execute`, which
also turns the engine's refusals into the typed errors of :mod:`erm_graph.errors`) and how the
schema is created; the upserts (:mod:`erm_graph.store.upsert`), counts and clearing live here
once. An engine with a faster way to do one step of an upsert overrides that step's hook
(``_create_nodes``, ``_create_bare``, ``_declare``, ``_uid_is_enforced``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from erm_graph import model
from erm_graph.errors import Problem
from erm_graph.events import WriteKind, announced
from erm_graph.store.base import BATCH_SIZE, Progress, QueryResult, UpsertCounts, batches
from erm_graph.store.load_lock import lease_lock
from erm_graph.store.upsert import NodeUpsert, Payload, RelationshipUpsert, match_ends


class CypherStore:
    """Upserts, counts and clearing in portable Cypher; engines subclass and add execution."""

    engine = "cypher"
    location = ""
    read_timeout: float | None = None
    #: appended to a node CREATE by an engine whose :meth:`_create_bare` uses node ids: it
    #: returns the ids of the created nodes, in row order, as one list
    _ids_of_created = ""

    # -- provided by each engine -------------------------------------------------------------
    def _execute(self, cypher: str, params: Mapping[str, Any], read_only: bool,
                 timeout: float | None) -> QueryResult:
        raise NotImplementedError

    def run(self, cypher: str, params: Mapping[str, Any] | None = None, *,
            read_only: bool = True, timeout: float | None = None) -> QueryResult:
        # one default for every read, so the app's readers need not pass the timeout along;
        # writes keep theirs explicit (a load's batches must not inherit a read's limit)
        if timeout is None and read_only:
            timeout = self.read_timeout
        return self._execute(cypher, params or {}, read_only, timeout)

    def write(self, cypher: str, params: Mapping[str, Any] | None = None, *,
              timeout: float | None = None) -> QueryResult:
        return self._execute(cypher, params or {}, False, timeout)

    def compact(self, *, wait: bool = True) -> None:
        """Nothing to do by default."""

    def stop_read(self, tag: str) -> bool:
        """An engine that cannot stop one query leaves it to its timeout."""
        return False

    # -- shared --------------------------------------------------------------------------------
    def _label_is_empty(self, label: str) -> bool:
        # count() by label or type comes from the engines' own counters (O(1) on both); a
        # `MATCH ()-[x:T]->() RETURN 1 LIMIT 1` scans every relationship, slow on a big graph
        count: int = self.run(f"MATCH (n:{label}) RETURN count(n)").rows[0][0]
        return count == 0

    def _type_is_empty(self, rel_type: str) -> bool:
        count: int = self.run(f"MATCH ()-[x:{rel_type}]->() RETURN count(x)").rows[0][0]
        return count == 0

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
        """Create or update nodes of ``label`` by ``uid``; idempotent (see
        :class:`~erm_graph.store.upsert.NodeUpsert`).

        Rows must already be valid (see :func:`erm_graph.model.validate_nodes`). The unique uid
        constraint refuses a duplicate a concurrent writer might race in. ``dry_run`` only
        counts.
        """
        return NodeUpsert(self, label, dry_run=dry_run).run(rows, progress)

    def upsert_relationships(self, rel_type: str, start_label: str, end_label: str,
                             rows: Sequence[Mapping[str, Any]], *,
                             progress: Progress | None = None, dry_run: bool = False,
                             new_nodes: Mapping[str, Mapping[str, int | None]] | None = None,
                             known_ids: Mapping[str, Mapping[str, int | None]] | None = None,
                             ) -> UpsertCounts:
        """Create or update ``(start)-[rel_type]->(end)`` by the uids of its two ends (see
        :class:`~erm_graph.store.upsert.RelationshipUpsert`).

        Relationships carry their own properties and, when they have any, their
        ``content_hash``; no timestamps (the nodes have them): most relationships have no
        properties, and writing three for each made loads markedly slower on the engine
        (figures: docs/scaling.md).
        ``new_nodes``: per key label, the nodes this load has just created, uid -> node id as
        :attr:`UpsertCounts.created_ids`. ``known_ids``: per key label, uid -> node id of
        nodes this load created in its earlier batches as well (a superset of ``new_nodes``'
        ids): where an end's id is confirmed rather than looked up; never taken as new, since
        their relationships may exist. ``dry_run`` only counts.
        """
        return RelationshipUpsert(self, rel_type, start_label, end_label, dry_run=dry_run,
                                  new_nodes=new_nodes, known_ids=known_ids).run(rows, progress)

    def _create_nodes(self, nodes: NodeUpsert, payload: Payload, rows: list[list[Any]]
                      ) -> dict[str, int | None]:
        """Create the new ``rows`` of one batch of ``nodes`` (positional, as ``payload``
        holds them); {uid: node id} of the new nodes (None where the engine does not report
        ids). Raises ``UniqueViolation`` when one of their uids is stored already. An engine
        with a faster way overrides it."""
        return nodes.create_by_cypher(payload, rows)

    def _create_bare(self, rel_type: str, start: str, end: str,
                     pairs: Sequence[Sequence[str]],
                     new_ids: tuple[Mapping[str, int | None], Mapping[str, int | None]],
                     ) -> int:
        """Create ``(:start {uid: p[0]})-[:rel_type]->(:end {uid: p[1]})`` for every pair
        whose two ends exist, with no properties; returns how many were created. The pairs
        are new: no such relationship exists yet. An engine with a faster way overrides it;
        ``new_ids`` (start side, end side) are the node ids this load's CREATEs reported."""
        return sum(self.write(match_ends(start, end) + f"CREATE (a)-[x:{rel_type}]->(b) "
                              f"RETURN count(x)", {"rows": chunk}).rows[0][0]
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
        # them faster than a list of [uid, hash] pairs, and in time linear in the chunk size.
        # Indexing the two list parameters without the WITH is quadratic; keep the WITH
        # (figures: docs/scaling.md).
        query = (f"UNWIND range(0, size($uids) - 1) AS k WITH k, $uids[k] AS u "
                 f"OPTIONAL MATCH (n:{key} {{uid: u}}) WITH k, n "
                 f"WHERE n IS NULL OR n.content_hash <> $hashes[k] RETURN collect(k)")
        stale: list[int] = []
        size = 4 * BATCH_SIZE
        for start in range(0, len(uids), size):
            found = self.run(query, {"uids": list(uids[start:start + size]),
                                     "hashes": self._texts_param(hashes[start:start + size])}
                             ).rows[0][0]
            stale += [start + k for k in found]
        return stale

    def _texts_param(self, texts: Sequence[str]) -> Sequence[str]:
        """A column of texts as a query's parameter: a list, which every driver takes; an
        engine whose encoder takes a column as it is overrides it."""
        return list(texts)

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

    @announced(WriteKind.RESET)
    def clear(self) -> None:
        while self.write("MATCH (n) WITH n LIMIT 50000 DETACH DELETE n RETURN "
                         "count(*)").rows[0][0]:
            pass

