"""`RecordSink`: the interop loaders' records (nodes, relationships) into a loader result, as
columns (:mod:`erm_graph.records`: an export of a whole graph is large).

The properties the store maintains itself (created_at, updated_at, content_hash) are left out
and named in a note: a load sets its own; `erm import` is the route that keeps them.
"""

from __future__ import annotations

from typing import Any

from erm_graph.ingest.contract import LoaderResult
from erm_graph.interop.stream import NodeRecord, RelRecord
from erm_graph.model import SYSTEM_PROPS

_SYSTEM = frozenset(SYSTEM_PROPS)


class RecordSink:
    """Callbacks that put parsed interop records into ``result.batch``."""

    def __init__(self, result: LoaderResult):
        self.result = result
        self.dropped: set[str] = set()

    def _keep(self, props: dict[str, Any], where: str) -> dict[str, Any]:
        if _SYSTEM.isdisjoint(props):  # nearly always: one copy, made in C
            return {**props, "source": where}
        self.dropped.update(k for k in props if k in _SYSTEM)
        return {**{k: v for k, v in props.items() if k not in _SYSTEM}, "source": where}

    def node(self, record: NodeRecord, where: str) -> None:
        self.result.batch.node_records(record.label).append(self._keep(record.props, where))

    def relationship(self, record: RelRecord, where: str) -> None:
        key = (record.type, record.start_label, record.end_label)
        self.result.batch.relationship_records(key).append(
            {"start": record.start, "end": record.end, **self._keep(record.props, where)})

    def close(self) -> None:
        if self.dropped:
            self.result.note(f"attributes {', '.join(sorted(self.dropped))} are set by the "
                             "store and were not loaded (erm import keeps them)")
