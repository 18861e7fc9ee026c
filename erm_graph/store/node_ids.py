"""The nodes a load created, uid -> engine node id: where its relationships' ends are found.

The writer keeps them from the node step to the relationship step, one entry per new node.
A dict of them cost about as much as the uids' own strings; :class:`NodeIds` keeps the uids
in a :class:`~erm_graph.seen_keys.SeenKeys` (hashed, exact) and the ids in a machine array,
and answers for a whole column of ends at once (:func:`among`, :func:`likely_ids`), which a
per-row lookup in the arrays would not do in reasonable time. Any other mapping (a caller's
dict) is answered the plain way.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import compress
from typing import cast

from erm_graph.seen_keys import SeenKeys

#: an id the engine did not report (a portable CREATE's): None to readers
_UNREPORTED = -1


class NodeIds(Mapping[str, int | None]):
    """uid -> id of the nodes a load created (None where the engine did not report it)."""

    def __init__(self, pairs: Mapping[str, int | None] | None = None):
        self.uids = SeenKeys()
        #: the ids, as 32-bit numbers until one does not fit (:meth:`_widen`)
        self.ids = array("i")
        if pairs:
            self.update(pairs)

    def update(self, pairs: Mapping[str, int | None]) -> None:
        """Add ``pairs``; a uid already held takes the id given now, as a dict's would."""
        ids: list[int]
        if isinstance(pairs, NodeIds):
            uids, ids = list(pairs.uids), pairs.ids.tolist()
        else:
            uids, given = list(pairs), list(pairs.values())
            ids = [_UNREPORTED if i is None else i for i in given] if None in given \
                else cast(list[int], given)
        if not uids:
            return
        held = self.uids.add_new(uids, len(self.ids))
        if held is None:  # all new and distinct, the usual case
            self._extend(ids)
            return
        fresh: dict[str, int] = {}
        for uid, node, at in zip(uids, ids, held, strict=True):
            if at >= 0:
                try:
                    self.ids[at] = node
                except OverflowError:
                    self._widen()
                    self.ids[at] = node
            else:
                fresh[uid] = node
        self.uids.add(list(fresh), len(self.ids))
        self._extend(list(fresh.values()))

    def _extend(self, ids: list[int]) -> None:
        """Append ``ids`` (``fromlist`` leaves the array as it was when one does not fit)."""
        try:
            self.ids.fromlist(ids)
        except OverflowError:
            self._widen()
            self.ids.fromlist(ids)

    def _widen(self) -> None:
        """The ids as 64-bit numbers from now on: an engine's id past the 32-bit range."""
        self.ids = array("q", self.ids)

    def positions(self, uids: Sequence[str]) -> list[int]:
        """Per uid of ``uids``, where its id is in :attr:`ids`, -1 for a uid not created."""
        return self.uids.find(uids) if self.ids else [-1] * len(uids)

    def __getitem__(self, uid: str) -> int | None:
        at = self.positions([uid])[0]
        if at < 0:
            raise KeyError(uid)
        return None if self.ids[at] == _UNREPORTED else self.ids[at]

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, str) and self.positions([uid])[0] >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.uids)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"NodeIds({len(self)} nodes)"


def among(nodes: Mapping[str, int | None], uids: Sequence[str]) -> list[bool]:
    """Per uid of ``uids``, whether it is one of ``nodes``."""
    if isinstance(nodes, NodeIds):
        return [at >= 0 for at in nodes.positions(uids)]
    return [uid in nodes for uid in uids]


def likely_ids(nodes: Mapping[str, int | None], uids: Sequence[str]) -> dict[str, int]:
    """The uids of ``uids`` among ``nodes`` that have a reported id, each to that id; from
    :class:`NodeIds`, by hash alone (:meth:`SeenKeys.guess
    <erm_graph.seen_keys.SeenKeys.guess>`) and in numpy, so two uids of one 64-bit hash may
    get each other's: ids to confirm before they are trusted, as the bulk writer does by id
    seek with the uid compared."""
    if not isinstance(nodes, NodeIds):
        return {uid: i for uid in uids if (i := nodes.get(uid)) is not None}
    if not nodes:
        return {}
    import numpy as np

    at = np.asarray(nodes.uids.guess(uids), np.int64)
    ids = np.frombuffer(nodes.ids, nodes.ids.typecode)[np.maximum(at, 0)]
    known = (at >= 0) & (ids != _UNREPORTED)
    return dict(compress(zip(uids, ids.tolist(), strict=True), known.tolist()))
