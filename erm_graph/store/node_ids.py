"""The nodes a load created, uid -> engine node id: where its relationships' ends are found.

The writer keeps them from the node step to the relationship step, one entry per new node.
A dict of them cost about as much as the uids' own strings; :class:`NodeIds` keeps the uids
in a :class:`~erm_graph.seen_keys.SeenKeys` (hashed, exact) and the ids in a machine array,
and answers for a whole column of ends at once (:func:`among`, :func:`ids_of`), which a
per-row lookup in the arrays would not do in reasonable time. Any other mapping (a caller's
dict) is answered the plain way.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence

from erm_graph.seen_keys import SeenKeys

#: an id the engine did not report (a portable CREATE's): None to readers
_UNREPORTED = -1


class NodeIds(Mapping[str, int | None]):
    """uid -> id of the nodes a load created (None where the engine did not report it)."""

    def __init__(self, pairs: Mapping[str, int | None] | None = None):
        self.uids = SeenKeys()
        self.ids = array("q")
        if pairs:
            self.update(pairs)

    def update(self, pairs: Mapping[str, int | None]) -> None:
        """Add ``pairs``; a uid already held takes the id given now, as a dict's would."""
        if isinstance(pairs, NodeIds):
            uids, ids = list(pairs.uids), pairs.ids.tolist()
        else:
            uids = list(pairs)
            ids = [_UNREPORTED if i is None else i for i in pairs.values()]
        if not uids:
            return
        held = self.uids.add_new(uids, len(self.ids))
        if held is None:  # all new and distinct, the usual case
            self.ids.extend(ids)
            return
        fresh: dict[str, int] = {}
        for uid, node, at in zip(uids, ids, held, strict=True):
            if at >= 0:
                self.ids[at] = node
            else:
                fresh[uid] = node
        self.uids.add(list(fresh), len(self.ids))
        self.ids.extend(fresh.values())

    def positions(self, uids: Sequence[str]) -> list[int]:
        """Per uid of ``uids``, where its id is in :attr:`ids`, -1 for a uid not created."""
        return self.uids.find(list(uids)) if self.ids else [-1] * len(uids)

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


def ids_of(nodes: Mapping[str, int | None], uids: Sequence[str]) -> list[int | None]:
    """Per uid of ``uids``, its node's id in ``nodes``; None for one not there or with no
    reported id."""
    if not isinstance(nodes, NodeIds):
        return list(map(nodes.get, uids))
    ids = nodes.ids
    return [None if at < 0 or ids[at] == _UNREPORTED else ids[at]
            for at in nodes.positions(uids)]
