"""The one checksum of a graph: counts and a property digest per label and per type.

A node adds to the tally of every model label it carries; a relationship to its type. Each
record's digest is a hash of its canonical JSON (labels or type, both ends' key label and uid,
every property, keys sorted); a label's digest is the sum of its records' digests modulo
2**128, so it does not depend on the order records are read in, and a missing, extra or changed
record (a property, a value, or a value's type: ``1`` is not ``1.0``) changes it. Nothing is
excluded: ``created_at``, ``updated_at`` and ``content_hash`` are copied as they are.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model

_MOD = 1 << 128


def _digest(value: Any) -> int:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


@dataclass
class Tally:
    """Counts and order-independent property digests per model label and relationship type."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sums: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add_node(self, labels: Iterable[str], props: Mapping[str, Any]) -> None:
        names = sorted(lab for lab in labels if lab in model.LABELS)
        digest = _digest(["node", names, props])
        for name in names:
            self.counts[name] += 1
            self.sums[name] = (self.sums[name] + digest) % _MOD

    def add_relationship(self, rel_type: str, start_key: str, start_uid: str, end_key: str,
                         end_uid: str, props: Mapping[str, Any]) -> None:
        digest = _digest(["rel", rel_type, start_key, start_uid, end_key, end_uid, props])
        self.counts[rel_type] += 1
        self.sums[rel_type] = (self.sums[rel_type] + digest) % _MOD

    def checksum(self, name: str) -> str:
        return f"{self.sums.get(name, 0):032x}"

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{name: {"count": n, "checksum": hex}}`` for every model label and type."""
        return {name: {"count": self.counts.get(name, 0), "checksum": self.checksum(name)}
                for name in [*model.LABELS, *model.RELATIONSHIPS]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> Tally:
        tally = cls()
        for name, entry in data.items():
            tally.counts[name] = int(entry["count"])
            tally.sums[name] = int(entry["checksum"], 16)
        return tally


@dataclass
class Row:
    name: str
    kind: str  # "label" or "type"
    source_count: int
    target_count: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return (self.source_count == self.target_count
                and self.source_checksum == self.target_checksum)


@dataclass
class Verification:
    """Source against target, per label and type; :attr:`ok` only when every row agrees."""

    source: str
    target: str
    rows: list[Row]
    #: what could not be compared record by record (e.g. a node without a uid)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(row.ok for row in self.rows)

    @property
    def mismatches(self) -> list[Row]:
        return [row for row in self.rows if not row.ok]

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "ok": self.ok,
                "problems": self.problems,
                "rows": [{**row.__dict__, "ok": row.ok} for row in self.rows]}


def compare(source: Tally, target: Tally, source_name: str, target_name: str,
            problems: list[str] | None = None) -> Verification:
    rows = []
    for kind, names in (("label", model.LABELS), ("type", model.RELATIONSHIPS)):
        for name in names:
            rows.append(Row(name, kind, source.counts.get(name, 0), target.counts.get(name, 0),
                            source.checksum(name), target.checksum(name)))
    return Verification(source_name, target_name, rows, list(problems or []))


def tally_store(store, page: int | None = None) -> tuple[Tally, list[str]]:
    """The tally of everything in ``store``, and what the walk could not read.

    The walk's counts are checked against the store's own counts, so a node without a uid or
    a relationship to a node outside the model shows up as a problem, never as a silent gap.
    """
    from erm_graph.interop.stream import walk

    tally = Tally()
    problems: list[str] = []
    for record in walk(store, problems, page=page):
        record.add_to(tally)
    problems += count_gaps(store, tally)
    return tally, problems


def count_gaps(store, tally: Tally) -> list[str]:
    """Where the store's own counts differ from what the walk read."""
    labels, types = store.counts()
    gaps = []
    for name, n in [*labels.items(), *types.items()]:
        if n != tally.counts.get(name, 0):
            gaps.append(f"{name}: the store counts {n:,} but {tally.counts.get(name, 0):,} "
                        "could be read by uid (nodes without a uid, or relationships to "
                        "nodes outside the model, cannot be copied)")
    return gaps
