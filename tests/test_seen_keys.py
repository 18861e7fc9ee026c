"""SeenKeys must answer as a dict of its keys would, with the strings kept or, for the mapping
loader's table, a second hash kept instead (``strings=False``): a key taken for another one
would make a row's node the wrong node's repeat, or reject it as one."""

from __future__ import annotations

import random

import pytest

from erm_graph import seen_keys
from erm_graph.seen_keys import SeenKeys

KEY_HASHES = {"hash": hash, "few-hashes": lambda uid: hash(uid) % 7, "one-hash": lambda uid: 0}


@pytest.mark.parametrize("strings", [True, False], ids=["strings", "hashes"])
@pytest.mark.parametrize(("key_hash", "array_keys", "run_keys"), [
    ("hash", 50_000, 1 << 19), ("hash", 0, 1 << 19), ("few-hashes", 0, 1 << 19),
    ("one-hash", 0, 16), ("few-hashes", 25, 16), ("hash", 25, 16)],
    ids=["dict", "arrays", "few-hashes", "one-hash-runs-capped", "dict-then-arrays-few-hashes",
         "dict-then-arrays-runs-capped"])
def test_keys_answer_as_a_dict_of_them(monkeypatch, strings, key_hash, array_keys, run_keys):
    """Chunks of keys added, some new, some seen before or twice in a chunk (``add_new``
    leaves those to the caller, as the mapping loader's table does): every answer is the
    dict's, whether keys share a first hash, were moved from the dict to the arrays, or sit in
    runs merged and capped."""
    monkeypatch.setattr(seen_keys, "KEY_HASH", KEY_HASHES[key_hash])
    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", array_keys)
    monkeypatch.setattr(seen_keys, "RUN_KEYS", run_keys)
    rng = random.Random(3)
    seen, expected = SeenKeys(strings=strings), {}
    for chunk in range(40):
        uids = [f"k{chunk}-{i}" for i in range(rng.randint(1, 9))]
        if expected and rng.random() < 0.3:
            uids.append(rng.choice(sorted(expected)))
        if rng.random() < 0.2:
            uids.append(uids[0])
        earlier = seen.add_new(uids, len(expected))
        if earlier is None:
            expected.update(zip(uids, range(len(expected), len(expected) + len(uids)),
                                strict=True))
        else:
            assert earlier == [expected.get(u, -1) for u in uids], chunk
            new = list(dict.fromkeys(u for u in uids if u not in expected))
            seen.add(new, len(expected))
            expected.update(zip(new, range(len(expected), len(expected) + len(new)),
                                strict=True))
        assert len(seen) == len(expected), chunk
    asked = [*rng.sample(sorted(expected), 50), "nowhere", "", "k0-0 ", "k39-99"]
    assert seen.find(asked) == [expected.get(u, -1) for u in asked]
    assert seen.holds(asked) == [u in expected for u in asked]
    guessed = seen.guess(asked)
    assert guessed == seen.find(asked) or key_hash != "hash"
    assert (seen.few is None) == (array_keys < len(expected))
    if strings:
        assert list(seen) == list(expected)


def test_keys_kept_as_hashes_hold_no_string_and_cannot_be_listed(monkeypatch):
    """Past the dict, keys kept as hashes keep a machine number per key, none of the keys'
    strings (which a streaming load lets go with their rows), and refuse to be listed rather
    than list nothing."""
    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", 4)
    seen = SeenKeys(strings=False)
    seen.add(["a", "b"], 0)
    with pytest.raises(TypeError):
        list(seen)
    seen.add(["c", "d", "e"], 2)
    assert seen.few is None and seen.checks.typecode == "q" and len(seen.checks) == 5
    assert seen.strings is None
    assert seen.find(["e", "a", "f"]) == [4, 0, -1]



def test_keys_keep_their_strings_when_the_hash_seed_is_known(monkeypatch):
    """With ``PYTHONHASHSEED`` set, keys could be made to share both hashes: they are told
    apart by their strings, whatever the caller asked."""
    monkeypatch.setattr(seen_keys, "HASHES_SECRET", False)
    monkeypatch.setattr(seen_keys, "ARRAY_KEYS", 4)
    keys = SeenKeys(strings=False)
    keys.add([f"k{i}" for i in range(10)], 0)
    assert list(keys) == [f"k{i}" for i in range(10)]
    assert keys.find(["k3", "nope"]) == [3, -1]
