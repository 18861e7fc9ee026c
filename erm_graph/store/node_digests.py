"""The content hashes of a batch of nodes without a loader's fingerprint, made column by column.

Why: a node without a fingerprint (the demo's, a flowchart's) is hashed as
``content_hash({"label": label, "properties": props})``. Made row by row that is a dict and a
sorted JSON encoding per node, most of the Python work of writing the large demo's nodes.
The text is the same for every node but for its values, so it is put together from columns:
per property name (in sorted order, as ``sort_keys`` has them) one list of ``,"name":value``
pieces, empty where the node has no value, each value encoded by the function the JSON
encoder itself uses for its type. The pieces are joined per node in C. The hashes are the
same as ``content_hash`` gives, byte for byte (tests/test_node_digests.py); a column holding
any value the encoder would treat otherwise (a subclass, a date, NaN...) sends the batch the
row-by-row way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from hashlib import blake2b
from json.encoder import encode_basestring_ascii
from typing import Any

from erm_graph.records import column

#: how the JSON encoder writes a value of each type it is given here (``sort_keys``, compact
#: separators, ASCII only: ``_DIGEST_TEXT`` in base.py)
_ENCODE: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii, int: int.__repr__, float: float.__repr__,
    bool: {True: "true", False: "false"}.__getitem__}
_DIGEST = partial(blake2b, digest_size=8)


def node_hashes(batch: Sequence[Mapping[str, Any]], label: str, props: Sequence[str]
                ) -> list[str] | None:
    """Per row of ``batch``, ``content_hash({"label": label, "properties": {...}})`` of its
    properties ``props`` that are not None; None when a value is not one the pieces carry."""
    pieces = []
    for name in sorted(props):
        values = column(batch, name)
        found = set(map(type, values))
        kinds = found - {type(None)}
        if not kinds <= _ENCODE.keys() or (
                float in kinds and not all(math.isfinite(v) for v in values
                                           if type(v) is float)):
            return None
        key = "," + encode_basestring_ascii(name) + ":"
        if len(found) == 1 and kinds:  # one type, no None: in C
            pieces.append(list(map(key.__add__, map(_ENCODE[kinds.pop()], values))))
        else:
            pieces.append(["" if v is None else key + _ENCODE[type(v)](v) for v in values])
    head = '{"label":' + encode_basestring_ascii(label) + ',"properties":{'
    if not pieces:
        return [_DIGEST((head + "}}").encode()).hexdigest()] * len(batch)
    return [_DIGEST(f"{head}{text[1:]}}}}}".encode()).hexdigest()
            for text in map("".join, zip(*pieces, strict=True))]
