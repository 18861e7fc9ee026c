"""`PairBatch`: a demo part whose relationships without properties are kept as two columns.

Most of the large demo's five million relationships have no properties. As a dict each
(``{"start": ..., "end": ...}``) they were made one by one, taken apart again column by
column by the writer, and freed one by one after the part was written; as two lists of
uids per type (:class:`~erm_graph.records.Records`) they go to the writer as the columns it
reads. The rows are the same, in the same order: a type's rows with properties still go in
as dicts, after the pairs added before them.
"""

from __future__ import annotations

from typing import Any

from erm_graph.ingest import GraphBatch
from erm_graph.ingest.batch import RelKey


class PairBatch(GraphBatch):
    """A :class:`GraphBatch` that holds each type's bare relationships as columns until
    :meth:`finish`; :func:`len` counts them all along."""

    def __init__(self) -> None:
        super().__init__()
        self._pairs: dict[RelKey, tuple[list[str], list[str]]] = {}
        self._pending = 0

    def add_relationship(self, rel_type: str, start_label: str, start: str, end_label: str,
                         end: str, **props: Any) -> None:
        key = (rel_type, start_label, end_label)
        if props:
            self._flush(key)
            super().add_relationship(rel_type, start_label, start, end_label, end, **props)
            return
        pairs = self._pairs.get(key)
        if pairs is None:
            pairs = self._pairs[key] = ([], [])
        pairs[0].append(start)
        pairs[1].append(end)
        self._pending += 1

    def add_pairs(self, rel_type: str, start_label: str, starts: list[str], end_label: str,
                  ends: list[str]) -> None:
        """Bare relationships from ``starts[i]`` to ``ends[i]``, as many calls of
        :meth:`add_relationship` without properties would add them."""
        key = (rel_type, start_label, end_label)
        pairs = self._pairs.get(key)
        if pairs is None:
            pairs = self._pairs[key] = ([], [])
        pairs[0].extend(starts)
        pairs[1].extend(ends)
        self._pending += len(starts)

    @property
    def relationship_count(self) -> int:
        return super().relationship_count + self._pending

    def finish(self) -> GraphBatch:
        """This batch with every pair in its type's records, ready to be written."""
        for key in list(self._pairs):
            self._flush(key)
        return self

    def _flush(self, key: RelKey) -> None:
        pairs = self._pairs.pop(key, None)
        if pairs is not None:
            starts, ends = pairs
            self.relationship_records(key).extend_columns({"start": starts, "end": ends},
                                                          len(starts))
            self._pending -= len(starts)
