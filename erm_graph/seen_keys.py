"""Keys (uids) found by a 64-bit hash: an exact set of many strings, each to an index, in a
fraction of what a dict of them costs (docs/loaders.md, "Speed and memory")."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress
from operator import ne
from typing import Any


class SeenKeys:
    """The keys seen so far, each to an index: of its first row for the mapping loader's
    table (:mod:`erm_graph.loaders.mapping.node_table`), of its node's id for the nodes a load
    created (:class:`erm_graph.store.node_ids.NodeIds`).

    Up to :data:`ARRAY_KEYS` keys, a dict. Past it, 64-bit hashes in sorted numpy arrays and
    a pointer to each key's string (which its node or the unchanged rows hold anyway), rather
    than a dict entry and an int object per key, which were most of what a large file's keys
    cost while it was read (docs/loaders.md, "Speed and memory"); numpy is imported then, not
    for a small file. Two keys with one hash are told apart by their strings: :meth:`find`
    is exact.

    With ``strings=False`` a second, independent 64-bit hash of each key
    (:func:`_second_hashes`) tells them apart instead, and no key's string is kept once the
    keys are in the arrays: exact up to a collision of 128 bits, for a reader whose records
    do not hold the keys (a streaming load's check pass), where the pointers kept each
    string alive (docs/loaders.md, "Streaming within the all-or-nothing rule"). Such keys
    cannot be listed. Only while this process's text hashes are secret
    (:data:`HASHES_SECRET`): with ``PYTHONHASHSEED`` set, keys made for its seed could share
    both hashes, and the strings are kept.

    The arrays are sorted runs, each chunk's keys a new run merged into the one before while
    it is at least half that one's size (as a binary counter carries): a key is merged a
    logarithmic number of times and a chunk searches a logarithmic number of runs, where one
    array kept sorted by insertion would copy every key already seen for every chunk, a cost
    that grows with the square of the file. No merge makes a run of more than
    :data:`RUN_KEYS` keys: a merge allocates copies of the runs it joins, which for runs of a
    whole large file were the peak of its load (docs/loaders.md, "Speed and memory"); past
    that a chunk searches one more run per full one.
    """

    def __init__(self, strings: bool = True) -> None:
        self.few: dict[str, int] | None = {}  # None once the keys are in the arrays
        #: (sorted hashes, per hash its key's index: :func:`_indexes`), largest run first
        self.runs: list[tuple[Any, Any]] = []
        #: per index, what tells its key from another of its hash: the key, or its second
        #: hash when the strings are not kept
        self.checks: list[str] | array[int] = \
            [] if strings or not HASHES_SECRET else array("q")
        #: :attr:`checks`' keys as a numpy array of objects for :meth:`holds`, made when it
        #: is asked and dropped when a key is added
        self.strings: Any = None

    def __len__(self) -> int:
        return len(self.few) if self.few is not None else len(self.checks)

    def __iter__(self) -> Iterator[str]:
        """The keys in the order of their indexes."""
        if not isinstance(self.checks, list):
            raise TypeError("keys kept as hashes (strings=False) cannot be listed")
        return iter(self.few if self.few is not None else self.checks)

    def find(self, uids: Sequence[str]) -> list[int]:
        """Per key of ``uids``, its index, -1 for a key not seen."""
        if self.few is not None:
            return list(map(self.few.get, uids, [-1] * len(uids)))
        return self._found(uids, *_sorted(_digests(uids))) or [-1] * len(uids)

    def holds(self, uids: Sequence[str]) -> list[bool]:
        """Per key of ``uids``, whether it was seen: exact as :meth:`find` is, without a
        list of every index, for a caller that only asks whether (the writer's check of
        relationship ends)."""
        import numpy as np

        if self.few is not None:
            return list(map(self.few.__contains__, uids))
        ordered, order = _sorted(_digests(uids))
        found = self._guessed(ordered, order)
        held = found >= 0
        hits = np.flatnonzero(held)
        if isinstance(self.checks, list):
            if self.strings is None:  # the guesses' strings compared in numpy, not one by one
                self.strings = np.fromiter(self.checks, object, len(self.checks))
            asked = np.fromiter(uids, object, len(uids))[hits]
            others = hits[self.strings[found[hits]] != asked].tolist()
        else:
            others = _unlike(self.checks, found, hits, uids)
        for i in others:  # one hash, two keys: rare
            held[i] = self._exact(uids[i]) >= 0
        return list(held.tolist())

    def guess(self, uids: Sequence[str]) -> list[int]:
        """Per key of ``uids``, the index of a key seen with its hash, -1 for none: the key
        itself, unless two keys share one 64-bit hash. :meth:`find` without comparing the
        strings, for a caller that checks what it is given anyway (the bulk writer confirms
        each new node's id by its uid)."""
        if self.few is not None:
            return list(map(self.few.get, uids, [-1] * len(uids)))
        return list(self._guessed(*_sorted(_digests(uids))).tolist())

    def add_new(self, uids: list[str], first: int) -> list[int] | None:
        """Add ``uids``, at indexes ``first``, ``first + 1``..., if none was seen
        before and none is among them twice (the common case, in C): None. Else add
        nothing and return :meth:`find`'s answer."""
        if not uids:
            return None
        if self.few is not None:
            few, before = self.few, len(self.few)
            if not few.keys().isdisjoint(uids):
                return self.find(uids)
            few.update(zip(uids, range(first, first + len(uids)), strict=True))
            if len(few) - before < len(uids):  # one of them twice: none was seen before
                for uid in uids:
                    few.pop(uid, None)
                return [-1] * len(uids)
            self._outgrow()
            return None
        ordered, order = _sorted(_digests(uids))
        found = self._found(uids, ordered, order)
        if found is not None:
            return found
        # a hash twice is a key twice, or two keys with one hash: the strings tell
        if (ordered[1:] == ordered[:-1]).any() and len(set(uids)) < len(uids):
            return [-1] * len(uids)
        self._add_run(ordered, _indexes(order, first), uids)
        return None

    def add(self, uids: list[str], first: int) -> None:
        """Keys seen for the first time, at indexes ``first``, ``first + 1``..."""
        if not uids:  # no empty run: a search of one has nothing to compare with
            return
        if self.few is not None:
            self.few.update(zip(uids, range(first, first + len(uids)), strict=True))
            self._outgrow()
            return
        ordered, order = _sorted(_digests(uids))
        self._add_run(ordered, _indexes(order, first), uids)

    def _guessed(self, ordered: Any, order: Any) -> Any:
        """:meth:`guess` in the arrays, given the hashes of the keys sorted (``ordered``, the
        index of each among the keys in ``order``), as a numpy array. Sorted, each search
        starts where the one before ended: a pass along a run rather than a jump into it per
        key."""
        import numpy as np

        found = np.full(len(order), -1, np.int64)
        for hashes, at in self.runs:
            pos = np.minimum(np.searchsorted(hashes, ordered), len(hashes) - 1)
            hit = hashes[pos] == ordered
            found[order[hit]] = at[pos[hit]]
        return found

    def _found(self, uids: Sequence[str], ordered: Any, order: Any) -> list[int] | None:
        """:meth:`find` in the arrays (the hashes of ``uids`` sorted as for
        :meth:`_guessed`); None when no run holds one of them.

        Each guess is checked against its key's string, all of them in C (where most keys
        are found, as a load's relationship ends are among the nodes it created); a key
        whose guess is another key of its hash is looked for among every key of that hash.
        """
        import numpy as np

        guessed = self._guessed(ordered, order)
        hits = np.flatnonzero(guessed >= 0)
        if not len(hits):
            return None
        found: list[int] = guessed.tolist()
        if isinstance(self.checks, list):
            rows = hits.tolist()
            others: Iterable[int] = compress(rows, map(
                ne, map(self.checks.__getitem__, guessed[hits].tolist()),
                map(uids.__getitem__, rows)))
        else:
            others = _unlike(self.checks, guessed, hits, uids)
        for i in others:  # two keys of one hash: rare
            found[i] = self._exact(uids[i])
        return found

    def _exact(self, uid: str) -> int:
        """The index of ``uid``, -1 when it was not seen: every key of its hash compared,
        in every run."""
        import numpy as np

        digest = _digests([uid])[0]
        checks = self.checks
        check = uid if isinstance(checks, list) else _second_hashes([uid])[0]
        for hashes, at in self.runs:
            place = int(np.searchsorted(hashes, digest))
            while place < len(hashes) and hashes[place] == digest:
                if checks[int(at[place])] == check:  # one per key with this hash
                    return int(at[place])
                place += 1
        return -1

    def _outgrow(self) -> None:
        """Move the dict's keys to the arrays once there are :data:`ARRAY_KEYS` of them."""
        if self.few is None or len(self.few) < ARRAY_KEYS:
            return
        uids, self.few = list(self.few), None  # every key, in the order of its index: from 0 on
        self.add(uids, 0)

    def _add_run(self, hashes: Any, at: Any, uids: list[str]) -> None:
        """A run of sorted ``hashes`` (their rows' indexes ``at``), merged into the one
        before while it is at least half that one's size and the two fit in one run."""
        import numpy as np

        self.runs.append((hashes, at))
        while len(self.runs) > 1 and 2 * len(self.runs[-1][0]) >= len(self.runs[-2][0]) \
                and len(self.runs[-1][0]) + len(self.runs[-2][0]) <= RUN_KEYS:
            (hashes, at), (more, more_at) = self.runs[-2], self.runs.pop()
            hashes, at = np.concatenate((hashes, more)), np.concatenate((at, more_at))
            order = np.argsort(hashes, kind="stable")
            self.runs[-1] = (hashes[order], at[order])
        if isinstance(self.checks, list):
            self.checks.extend(uids)
            self.strings = None
        else:
            self.checks.frombytes(_second_hashes(uids).tobytes())


def _digests(uids: Sequence[str]) -> Any:
    """The hash of each of ``uids``, as :class:`SeenKeys` keeps them."""
    import numpy as np

    return np.fromiter(map(KEY_HASH, uids), np.int64, len(uids))


def _unlike(seconds: array[int], guessed: Any, hits: Any, uids: Sequence[str]) -> list[int]:
    """Of ``hits`` (positions in ``uids`` whose first hash was found, at the indexes
    ``guessed`` holds for them), those whose key there has another second hash (``seconds``,
    per index): another key of their first hash. Second hashes of the hits alone, not of
    every key asked."""
    import numpy as np

    asked = _second_hashes(list(map(uids.__getitem__, hits.tolist())))
    return list(hits[np.frombuffer(seconds, np.int64)[guessed[hits]] != asked].tolist())


def _second_hashes(uids: Sequence[str]) -> Any:
    """A hash of each of ``uids`` independent of :data:`KEY_HASH`'s, as :func:`_digests`:
    Python's hash of other text than the key (the key after a separator), which a keyed
    hash, random per process, answers independently for; cheaper than a second kind of
    hash, as it is made in C."""
    import numpy as np

    return np.fromiter(map(hash, map(_SEPARATOR.__add__, uids)), np.int64, len(uids))


def _indexes(order: Any, first: int) -> Any:
    """The indexes ``first + order`` of a run's keys: as 32-bit numbers while the largest
    index fits (half of what an index costs, for every key of a large file), as 64-bit ones
    past :data:`INDEX_LIMIT`. A merge of the two kinds makes 64-bit ones."""
    import numpy as np

    at = order + first
    return at.astype(np.int32) if first + len(order) <= INDEX_LIMIT else at


def _sorted(digests: Any) -> tuple[Any, Any]:
    """``digests`` sorted, and the index of each in ``digests``. Not a stable sort, which
    costs twice as much: keys of one hash are told apart by their strings in any order."""
    import numpy as np

    order = np.argsort(digests)
    return digests[order], order


#: keys a table keeps in a dict before it moves them to arrays (a test lowers it)
ARRAY_KEYS = 50_000
#: the most keys a merge makes one run of (a test lowers it)
RUN_KEYS = 1 << 19
#: the largest index a run keeps as a 32-bit number (a test lowers it)
INDEX_LIMIT = 2**31 - 1
#: a key's hash in :class:`SeenKeys` (a test swaps in one that collides)
KEY_HASH: Callable[[str], int] = hash
#: whether this process's text hashes are keyed by a random secret (``PYTHONHASHSEED`` unset
#: or ``random``), which :class:`SeenKeys` without strings relies on (a test changes it)
HASHES_SECRET = os.environ.get("PYTHONHASHSEED", "random") == "random"
#: what a key's second hash hashes it after (:func:`_second_hashes`)
_SEPARATOR = "\x1f"


def all_distinct(values: Sequence[str]) -> bool:
    """Whether no value comes twice in ``values``. Many values are told by their sorted 64-bit
    hashes when no hash repeats (distinct hashes are distinct values), without the set of
    them that costs four times as much; by a set when a hash repeats, or for few values."""
    if len(values) < ARRAY_KEYS:
        return len(set(values)) == len(values)
    digests = _digests(values)
    digests.sort()
    return not (digests[1:] == digests[:-1]).any() or len(set(values)) == len(values)
