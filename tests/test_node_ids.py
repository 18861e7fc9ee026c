"""The nodes a load created (uid -> id), held hashed, must answer as the dict they replace:
for the writer's relationship step, an end taken for a new node that is not one would create
a relationship without reading whether it exists, and a wrong id would be sent to the engine."""

from __future__ import annotations

import random

import pytest

from erm_graph import seen_keys
from erm_graph.store.node_ids import NodeIds, among, likely_ids


@pytest.mark.parametrize(("key_hash", "array_keys"), [(hash, 50_000), (hash, 0),
                                                      (lambda uid: hash(uid) % 7, 0),
                                                      (lambda uid: 0, 0), (hash, 40)],
                         ids=["dict", "arrays", "few-hashes", "one-hash", "dict-then-arrays"])
def test_node_ids_answer_as_the_dict_of_the_same_batches(monkeypatch, key_hash, array_keys):
    monkeypatch.setattr(seen_keys, "KEY_HASH", key_hash)
    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", array_keys)
    rng = random.Random(11)
    held, expected = NodeIds(), {}
    for batch in range(30):
        size = rng.randint(0, 9)
        # mostly new uids; now and then one of an earlier batch (its id replaced) or one
        # given twice in a batch (the last one wins), and ids the engine did not report
        uids = [f"n-{batch}-{i}" for i in range(size)]
        if expected and rng.random() < 0.3:
            uids.append(rng.choice(sorted(expected)))
        if uids and rng.random() < 0.2:
            uids.append(uids[0])
        part = {uid: (None if rng.random() < 0.1 else rng.randrange(10**9)) for uid in uids}
        given = part if rng.random() < 0.5 else NodeIds(part)
        held.update(given)
        expected.update(part)
        assert len(held) == len(expected) and dict(held) == expected and held == expected
    asked = [*expected, "nowhere", "", "n-0-0 ", *rng.sample(sorted(expected), 10)]
    assert among(held, asked) == among(expected, asked) == [u in expected for u in asked]
    exact = {u: expected[u] for u in asked if expected.get(u) is not None}
    assert likely_ids(expected, asked) == exact
    guessed = likely_ids(held, asked)  # by hash alone: with hashes that collide, maybe another's
    assert guessed == exact or key_hash is not hash
    assert set(guessed.values()) <= set(expected.values())
    assert [u in held for u in asked] == [u in expected for u in asked]
    assert list(held) == list(expected)  # in the order the nodes were first created
    with pytest.raises(KeyError):
        held["nowhere"]
    assert 5 not in held and not NodeIds() and among(NodeIds(), ["a"]) == [False]


@pytest.mark.parametrize("key_hash", [hash, lambda uid: hash(uid) % 5, lambda uid: 0],
                         ids=["hash", "few-hashes", "one-hash"])
def test_all_distinct_is_exact_whatever_the_hashes(monkeypatch, key_hash):
    """A million-row load is told free of repeated uids by their hashes; a hash that repeats
    must not make distinct uids look repeated, nor hide a uid that is."""
    monkeypatch.setattr(seen_keys, "KEY_HASH", key_hash)
    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", 10)  # the hashed way from 10 values on
    for size in (0, 3, 10, 500):
        uids = [f"ix-{i}" for i in range(size)]
        assert seen_keys.all_distinct(uids)
        if size:
            assert not seen_keys.all_distinct([*uids, uids[size // 2]])


def test_ids_and_indexes_past_32_bits_are_kept_exactly(monkeypatch):
    """Ids are held as 32-bit numbers and the hashed keys' indexes too, while they fit: an id
    past that range, appended or replacing one, and indexes past the limit, widen them to 64
    bits with every id and index kept."""
    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", 0)
    monkeypatch.setattr(seen_keys, "INDEX_LIMIT", 12)  # runs past index 12 are 64-bit
    replaced, appended, expected = NodeIds(), NodeIds(), {}
    for batch in range(6):
        part = {f"n-{batch}-{i}": batch * 10 + i for i in range(5)}
        replaced.update(part)
        appended.update(part)
        expected.update(part)
    assert replaced.ids.typecode == "i"
    assert {str(at.dtype) for _, at in replaced.uids.runs} == {"int64"}  # merged past 12
    wide = {"n-0-1": 2**35, "n-9-0": -(2**40)}  # one replaced, one new
    replaced.update(wide)
    appended.update({"n-9-0": -(2**40)})
    appended.update({"n-0-1": 2**35})
    expected.update(wide)
    for held in (replaced, appended):
        assert held.ids.typecode == "q" and dict(held) == expected
        asked = [*expected, "nowhere"]
        assert held.positions(asked) == [*range(len(expected)), -1]
        assert likely_ids(held, asked) == expected
