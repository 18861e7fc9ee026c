"""The store's contract: who may read, who may write, and the values they return.

Callers hold the narrowest side they need. :class:`GraphReader` runs read-only statements and
counts; a partner's :class:`~erm_graph.auth.scope.ScopedStore` is one, and so is every engine.
:class:`GraphWriter` upserts, writes statements, creates the schema and clears the graph; only
the engines are writers. :class:`GraphStore` is both, what :func:`erm_graph.store.open_store`
returns. The portable Cypher both engines share is :class:`~erm_graph.store.cypher_store.
CypherStore`, the upsert algorithm :mod:`erm_graph.store.upsert`; what an engine refuses comes
back as one of the typed errors of :mod:`erm_graph.errors` (``QueryError``, ``UniqueViolation``,
``ReadOnlyError``, ``QueryTimeout``, ``StoreError``), translated inside the engine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from erm_graph.errors import Problem
from erm_graph.store.node_ids import NodeIds

if TYPE_CHECKING:
    import pandas as pd

#: Rows per UNWIND batch. Edge loads are bound by index lookups, so size barely matters past
#: a few thousand; 5k keeps one batch's parameters a few MB.
BATCH_SIZE = 5000

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

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd  # imported here: pandas slows the CLI's start-up

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
    created_ids: NodeIds = field(default_factory=NodeIds)
    #: copies of a relationship found and deleted (one of each pair of ends is kept)
    removed: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.removed += other.removed
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.missing += other.missing
        self.created_ids.update(other.created_ids)
        return self


@runtime_checkable
class GraphReader(Protocol):
    """What a caller that only reads needs: read-only statements and counts."""

    engine: str
    location: str
    #: seconds a read-only statement may run when its caller names no ``timeout`` (None: the
    #: engine's own limit); set once where the store is opened (:func:`open_store`)
    read_timeout: float | None

    def run(self, cypher: str, params: Mapping[str, Any] | None = None, *,
            timeout: float | None = None) -> QueryResult:
        """Run one read-only statement (the engine refuses a write: ``ReadOnlyError``);
        ``timeout`` is in seconds (default :attr:`read_timeout`)."""
        ...

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Node count per model label and relationship count per model type."""
        ...

    def close(self) -> None:
        """Let go of what this reader holds."""
        ...


@runtime_checkable
class GraphWriter(Protocol):
    """What a caller that writes needs: upserts, write statements, the schema, clearing."""

    engine: str
    location: str

    def write(self, cypher: str, params: Mapping[str, Any] | None = None, *,
              timeout: float | None = None) -> QueryResult:
        """Run one statement that may write."""
        ...

    def ensure_schema(self) -> None:
        """Create the ``uid`` index/constraint of every label, before any load."""
        ...

    def upsert_nodes(self, label: str, rows: Sequence[Mapping[str, Any]], *,
                     progress: Progress | None = None, dry_run: bool = False) -> UpsertCounts:
        """Create or update nodes of ``label`` by ``uid`` (see
        :class:`~erm_graph.store.upsert.NodeUpsert`)."""
        ...

    def upsert_relationships(self, rel_type: str, start_label: str, end_label: str,
                             rows: Sequence[Mapping[str, Any]], *,
                             progress: Progress | None = None, dry_run: bool = False,
                             new_nodes: Mapping[str, Mapping[str, int | None]] | None = None,
                             known_ids: Mapping[str, Mapping[str, int | None]] | None = None,
                             ) -> UpsertCounts:
        """Create or update relationships by the uids of their ends (see
        :class:`~erm_graph.store.upsert.RelationshipUpsert`)."""
        ...

    def stale_rows(self, label: str, uids: Sequence[str], hashes: Sequence[str]) -> list[int]:
        """Indexes of the rows (``uids[i]``, ``hashes[i]``) whose node is missing or differs:
        the upsert's change detection, asked by a loader before it types its rows."""
        ...

    def load_lock(self) -> AbstractContextManager[None]:
        """Hold the store's load lock: loads that run at once write one after another (see
        :mod:`erm_graph.store.load_lock`)."""
        ...

    def compact(self, *, wait: bool = True) -> None:
        """Make the stored data quick to reopen after a large load (no-op where not needed).
        ``wait=False`` starts it and returns; the next call finishes it."""
        ...

    def clear(self) -> None:
        """Delete the whole graph."""
        ...


@runtime_checkable
class GraphStore(GraphReader, GraphWriter, Protocol):
    """An engine: both sides. Open one with :func:`erm_graph.store.open_store`."""

    def run(self, cypher: str, params: Mapping[str, Any] | None = None, *,
            read_only: bool = True, timeout: float | None = None) -> QueryResult:
        """Run one statement. ``read_only`` is enforced by the engine, not by parsing: ad hoc
        Cypher, whose text may or may not write, goes here; ``timeout`` is in seconds."""
        ...

    def stop_read(self, tag: str) -> bool:
        """End now, not at its timeout, the read-only statement running with the parameter
        :data:`RUN_TAG` equal to ``tag`` (from another thread: its :meth:`run` then raises
        :class:`~erm_graph.errors.QueryCancelled`). False when it is not running, or when this
        engine cannot stop it: it then ends at its timeout."""
        ...


#: the parameter that names a read someone may stop (:meth:`GraphStore.stop_read`)
RUN_TAG = "erm_run"


#: one encoder for every digest: ``json.dumps`` with options builds a new one per call, a
#: quarter of a digest's cost, and a load takes a digest of every record without a fingerprint
_DIGEST_TEXT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def content_hash(props: Mapping[str, Any]) -> str:
    """A short stable digest of a record's properties, for change detection."""
    return hashlib.blake2b(_DIGEST_TEXT(props).encode(), digest_size=8).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def batches(rows: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]
