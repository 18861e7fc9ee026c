"""The rows of a node table: keyed, fingerprinted, left out when stored as they are, typed
into nodes and the relationships each row names."""

from __future__ import annotations

import hashlib
import json
import sys
from array import array
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future
from operator import mul
from pathlib import Path
from typing import Any, cast

from erm_graph import model
from erm_graph.errors import Problem
from erm_graph.ingest.chunk_rows import Cells, cell_hashes, cells_at, picked_rows
from erm_graph.ingest.contract import SAME_UID, LoadContext, LoaderResult, Reject
from erm_graph.interop.stream import node_label
from erm_graph.records import Coded, Hex64, Numbered, pick
from erm_graph.seen_keys import SeenKeys

from .columns import Columns, TypedProperty, typed_columns
from .document import row_labels
from .values import normaliser

FORMAT = "mapping"


class _Related:
    """One relationship of a table: which cell names the other end and how to read it."""

    def __init__(self, rel: dict[str, Any], doc: dict[str, Any], columns: Columns):
        self.type, self.label = rel["type"], rel["label"]
        self.index = columns.index(rel["column"])
        self.prefix, self.split = rel.get("prefix", ""), rel.get("split")
        self.outgoing = rel.get("direction", "out") == "out"
        self.norm = normaliser(rel.get("normalize", ["trim"]), rel.get("aliases"))
        self.props = [TypedProperty(name, spec, doc, columns)
                      for name, spec in rel.get("properties", {}).items()]
        self.constants: dict[str, Any] = rel.get("set", {})
        #: the other ends named so far, one list for every chunk of the file, and the code
        #: of each: a few customers or employees named on many rows (:meth:`single_ends`)
        self.table: list[str] = []
        self.codes: dict[str, int] = {}

    @property
    def indexes(self) -> list[int]:
        """The columns this relationship reads: the other end's key and its properties."""
        return [self.index, *(p.index for p in self.props if p.index is not None)]

    def count(self, rows: Sequence[Cells]) -> int:
        """How many relationships ``rows`` make (``others`` without making the uids).

        Without ``split`` a cell makes one relationship or none (a blank one): the rows
        less those whose cell makes none, found among the distinct cells, where a count of
        every cell costs twice a set of them."""
        cells = cells_at(rows, self.index)
        if self.split:
            counts = Counter(cells)
            made = map(len, self.others([[t] for t in counts], 0))
            return sum(map(mul, made, counts.values()))
        texts = list(set(cells))
        none = {t for t, made in zip(texts, self.others([[t] for t in texts], 0), strict=True)
                if not made}
        return len(rows) - (sum(map(none.__contains__, cells)) if none else 0)

    def others(self, rows: Sequence[Cells], index: int | None = None) -> list[list[str]]:
        """Per row, the uids of the nodes at the other end that its cell (at ``index``,
        by default this relationship's column) names."""
        found: dict[str, list[str]] = {}
        at = self.index if index is None else index
        texts = cells_at(rows, at)
        for text in set(texts):
            values = text.split(self.split) if self.split else [text]
            found[text] = [self.prefix + other for other in map(self.norm, values) if other]
        return [found[t] for t in texts]

    def single_ends(self, rows: Sequence[Cells]) -> Sequence[str] | None:
        """Per row, the uid of the one node at the other end its cell names; None when a
        row names none or several. As codes into :attr:`table` (``Coded``), two bytes a row
        where a list holds a pointer, while the file names at most ``Coded.LIMIT`` of them
        (docs/loaders.md, "Speed and memory"); a list past that."""
        texts = cells_at(rows, self.index)
        found: dict[str, str] = {}
        for text, made in zip(distinct := list(set(texts)),
                              self.others([[t] for t in distinct], 0), strict=True):
            if len(made) != 1:
                return None
            found[text] = made[0]
        codes, table = self.codes, self.table
        for uid in found.values():
            if uid not in codes and len(table) < Coded.LIMIT:
                codes[uid] = len(table)
                table.append(uid)
        if not all(map(codes.__contains__, found.values())):
            return list(map(found.__getitem__, texts))
        coded = {text: codes[uid] for text, uid in found.items()}
        return Coded(table, array("H", map(coded.__getitem__, texts)))


class NodeTable:
    """One table of a mapping, bound to the columns of one file: compiled once for its rows."""

    def __init__(self, doc: dict, table: dict, path: Path, names: list[str],
                 date_cells: dict[int, set[str]], place: str, distinct: bool = False):
        self.names, self.label, self.date_cells = names, table["label"], date_cells
        columns = Columns(path, table, names, "table")
        key = table["key"]
        self.key_column, self.key_index = key["column"], columns.index(key["column"])
        # a key column rarely repeats: each cell is normalised as it is, not through the
        # distinct-text table of the property columns (a million-entry dict for nothing)
        self.key_norm = normaliser(key.get("normalize", ["trim"]))
        self.prefix = key.get("prefix", "")
        self.props = [TypedProperty(name, spec, doc, columns)
                      for name, spec in table.get("properties", {}).items()]
        self.constants = table.get("set", {})
        self.rels = [_Related(rel, doc, columns) for rel in table.get("relationships", [])]
        by_column = table.get("label_column")
        self.label_column = by_column["column"] if by_column else ""
        self.label_index = columns.index(self.label_column) if by_column else None
        if by_column:
            self.label_split = by_column.get("split")
            self.label_norm = normaliser(by_column.get("normalize", ["trim"]),
                                         by_column.get("aliases"))
            allowed = row_labels(self.label)
            self.label_expected = (f"one of {', '.join(allowed)}: the table's label or one "
                                   f"of its sub-labels (an empty cell is {self.label})")
        #: the columns of the cells that make a row's node, and of those that make its
        #: relationships
        self.node_cells = [i for i in (*(p.index for p in self.props), self.label_index)
                           if i is not None]
        self.rel_cells = [i for rel in self.rels for i in rel.indexes]
        #: the keys of earlier chunks, each to the index of its first row in ``firsts``; as
        #: two hashes, not their strings, which a streaming load's check pass would keep
        #: alive for nothing else (docs/loaders.md, "Streaming within the all-or-nothing
        #: rule")
        self.seen = SeenKeys(strings=False)
        #: the first row of each key: (hash of its node's cells, its node's origin, hash of
        #: its relationships' cells, empty for a table without relationships); extended a
        #: chunk at a time, not a tuple per row, the hashes and the origin's line as machine
        #: integers, the line 32-bit while it fits (:func:`_add_lines`): kept for every row
        #: of a large file (docs/loaders.md, "Speed and memory"); ``place`` is what the
        #: rows' places begin with (``file#``)
        self.firsts: tuple[array[int], Numbered, array[int]] = (
            array("q"), Numbered(f"{FORMAT}:{place}", array("i")), array("q"))
        self.place = place
        #: whether no key is on two rows of the file, as a check pass that read it found:
        #: each row keyed is then its key's first, and neither ``seen`` nor ``firsts`` is kept
        self.distinct = distinct
        #: whether a row had the key of a row before it (a check pass tells the write pass
        #: which tables had none)
        self.repeated = False
        #: per key that repeats with other relationship cells, the hashes of those cells
        self.more_relationships: dict[str, set[int]] = {}
        # a row's fingerprint covers the mapping that reads it, not only its cells
        spec = json.dumps([table, doc.get("date_format")], sort_keys=True, default=str)
        self.digest = hashlib.blake2b(spec.encode(), digest_size=8).hexdigest()
        #: the hash of what every row's fingerprint begins with (the digest and what the
        #: rows' places begin with), copied per row: a copy costs less than a new hash, which
        #: parses its arguments and starts afresh
        self.hasher = self._hasher(place)

    def fingerprints(self, places: Numbered, cells: Sequence[Cells]) -> Hex64:
        """What each row's node is made from: this mapping, the row's place and its cells.

        The bytes hashed are ``digest \\x1e place \\x1e cells joined by \\x1f``: stored
        fingerprints depend on them, so a store loaded before finds its rows unchanged. Each
        is stored as its hex digest; the column holds the digests as integers.

        A place is its prefix and its line: the hash copied per row was fed the prefix, so
        a row adds only its line and its cells, and no place is made as a text.
        """
        found: list[bytes] = []
        start = self.hasher if places.prefix == self.place else self._hasher(places.prefix)
        copy, add = start.copy, found.append
        rows = zip(map(str, places.numbers), map("\x1f".join, cells), strict=True)
        for data in map(str.encode, map("\x1e".join, rows)):
            hasher = copy()
            hasher.update(data)
            add(hasher.digest())
        numbers = array("Q")
        numbers.frombytes(b"".join(found))
        if sys.byteorder == "little":  # a hex digest reads the bytes as a big-endian number
            numbers.byteswap()
        return Hex64(numbers)

    def _hasher(self, place: str) -> Any:
        """A hash fed what fingerprints of rows whose places begin with ``place`` begin
        with."""
        return hashlib.blake2b(f"{self.digest}\x1e{place}".encode(), digest_size=8)

    def places(self, lines: list[int]) -> Numbered:
        """The places of this table's rows at ``lines``."""
        return Numbered(self.place, lines)

    def row_labels(self, cells: Sequence[Cells]) -> list[str | None]:
        """Per row, its label from the label column (None: not one the table may have);
        without a label column, the table's label."""
        index = self.label_index
        if index is None:
            return [self.label] * len(cells)
        found: dict[str, str | None] = {}
        texts = cells_at(cells, index)
        for text in set(texts):
            parts = text.split(self.label_split) if self.label_split else [text]
            given = [p for p in map(self.label_norm, parts) if p]
            try:
                label = node_label(given) if given else self.label
            except ValueError:
                label = None
            found[text] = label if label and model.is_a(label, self.label) else None
        return [found[t] for t in texts]

    def label_cell(self, cells: Cells) -> str | None:
        """The row's cell in the label column, if the table has one."""
        return None if self.label_index is None else cells[self.label_index]

    def record(self, cells: Cells) -> dict[str, str]:
        """The row as column -> text, for a rejects file."""
        return dict(zip(self.names, cells, strict=False))


class Keyed:
    """The rows of a chunk that make their key's node, a list per field rather than a tuple
    per row: the store is asked about ``uids`` and ``prints`` as they are, and an unchanged
    row is counted without being taken apart."""

    __slots__ = ("cells", "labels", "origins", "places", "prints", "uids")

    def __init__(self, places: Numbered, origins: Numbered, cells: Sequence[Cells],
                 uids: list[str], prints: Hex64, labels: list[str]):
        self.places, self.origins, self.cells, self.uids = places, origins, cells, uids
        self.prints, self.labels = prints, labels

    def __len__(self) -> int:
        return len(self.uids)

    def pick(self, indexes: Collection[int]) -> Keyed:
        """The rows at ``indexes``, in their order."""
        return Keyed(self.places.pick(indexes), self.origins.pick(indexes),
                     picked_rows(self.cells, indexes),
                     [self.uids[i] for i in indexes], self.prints.pick(indexes),
                     [self.labels[i] for i in indexes])


_Repeat = tuple[int, Cells, str, str]  # line, cells, uid, label: a row that only relates


def key_rows(table: NodeTable, places: Numbered, cells: Sequence[Cells]
             ) -> tuple[Keyed, list[Reject], list[_Repeat]]:
    """Key, label and fingerprint each row (``places`` and ``cells`` of each); a row without
    a key or with a label the table may not have is rejected (the rejects are kept in the
    order of the rows).

    A key the table has already had is checked here, before any row is skipped as
    unchanged. A denormalised export repeats a record on many rows (the office and the
    manager of every sales agent, the account of every deal): a row whose node cells are
    those of its key's first row is the same record; it adds only the relationships its
    other cells name (the third list), if those differ from the first row's. A row with
    other node cells is rejected naming both rows (as two sources that disagree are),
    whether or not the first one was stored as it is.
    """
    keys = list(map(table.key_norm, cells_at(cells, table.key_index)))
    origins = places.prefixed(f"{FORMAT}:")
    labels = table.row_labels(cells)
    uids = list(map(table.prefix.__add__, keys)) if table.prefix else keys
    if table.distinct:
        return _distinct_rows(table, places, origins, cells, keys, uids, labels)
    seen, firsts = table.seen, table.firsts
    node_sigs = cell_hashes(cells, table.node_cells)
    rel_sigs = cell_hashes(cells, table.rel_cells) if table.rels else [0] * len(cells)
    earlier = seen.find(uids) if "" in keys or None in labels else \
        seen.add_new(uids, len(firsts[0]))
    if earlier is None:  # every key new and once: added (the common case, in C)
        # fromlist converts each number directly, where extend parses each as an argument
        firsts[0].fromlist(node_sigs)
        _add_lines(firsts[1], origins.numbers.tolist())
        if table.rels:
            firsts[2].fromlist(rel_sigs)
        return _kept(table, places, origins, cells, uids, labels, None), [], []
    # row by row: keys of earlier chunks found above, this chunk's new ones in a dict
    base = len(firsts[0])
    new: dict[str, int] = {}
    kept: list[int] = []
    rejects, repeats = [], []
    for i, (where, row, key, label, node_sig, rel_sig) in enumerate(zip(
            places, cells, keys, labels, node_sigs, rel_sigs, strict=True)):
        unkeyed = _unkeyed(table, where, row, key, label)
        if unkeyed:
            rejects.append(unkeyed)
        else:
            uid = uids[i]
            at = earlier[i] if earlier[i] >= 0 else new.setdefault(uid, len(firsts[0]))
            if at == len(firsts[0]):  # its first row
                firsts[0].append(node_sig)
                _add_lines(firsts[1], [places.numbers[i]])
                if table.rels:
                    firsts[2].append(rel_sig)
                kept.append(i)
                continue
            table.repeated = True
            if firsts[0][at] != node_sig:
                rejects.append(rejected(table.label, where, "uid", f"unique in the load: "
                                         f"{firsts[1][at]} has the same uid with "
                                         "other values", uid, table.record(row), SAME_UID))
            elif table.rels and rel_sig != firsts[2][at]:
                more = table.more_relationships.setdefault(uid, set())
                if rel_sig not in more:
                    more.add(rel_sig)
                    repeats.append((places.numbers[i], row, uid, label))
    if new:  # in the order of their first rows, as ``firsts`` has them
        seen.add(list(new), base)
    return _kept(table, places, origins, cells, uids, labels, kept), rejects, repeats


def _distinct_rows(table: NodeTable, places: Numbered, origins: Numbered,
                   cells: Sequence[Cells], keys: list[str], uids: list[str],
                   labels: list[str | None]) -> tuple[Keyed, list[Reject], list[_Repeat]]:
    """:func:`key_rows` for a table whose keys a check pass found on one row each: every
    row keyed is its key's first, with nothing to compare it with."""
    if "" not in keys and None not in labels:
        return _kept(table, places, origins, cells, uids, labels, None), [], []
    rejects: list[Reject] = []
    kept: list[int] = []
    for i, (where, row, key, label) in enumerate(zip(places, cells, keys, labels,
                                                     strict=True)):
        unkeyed = _unkeyed(table, where, row, key, label)
        if unkeyed:
            rejects.append(unkeyed)
        else:
            kept.append(i)
    return _kept(table, places, origins, cells, uids, labels, kept), rejects, []


def _unkeyed(table: NodeTable, where: str, row: Cells, key: str, label: str | None
             ) -> Reject | None:
    """The reject of a row without a key, or with a label its table may not have."""
    if not key:
        return rejected(table.label, where, table.key_column, "a key value", None,
                        table.record(row))
    if label is None:
        return rejected(table.label, where, table.label_column, table.label_expected,
                        table.label_cell(row), table.record(row))
    return None


def _kept(table: NodeTable, places: Numbered, origins: Numbered, cells: Sequence[Cells],
          uids: list[str], labels: list[str | None], kept: list[int] | None) -> Keyed:
    """The rows at ``kept`` (None: every row, each with a key and a label), keyed and
    fingerprinted."""
    if kept is None:
        return Keyed(places, origins, cells, uids, table.fingerprints(places, cells),
                     cast(list[str], labels))
    kept_places, kept_cells = places.pick(kept), picked_rows(cells, kept)
    return Keyed(kept_places, origins.pick(kept), kept_cells, [uids[i] for i in kept],
                 table.fingerprints(kept_places, kept_cells),
                 cast(list[str], [labels[i] for i in kept]))


def _add_lines(origins: Numbered, lines: list[int]) -> None:
    """Append ``lines`` to the first rows' origins: 32-bit numbers, half of what a line
    costs every key of a large file, until one does not fit; then all of them 64-bit."""
    try:
        origins.numbers.fromlist(lines)
    except OverflowError:  # fromlist leaves the array as it was
        origins.numbers = array("q", origins.numbers)
        origins.numbers.fromlist(lines)


def stale_rows(ctx: LoadContext, table: NodeTable, rows: Keyed) -> Collection[int]:
    """Indexes of the rows the store does not hold as they are. The store finds a node by
    its key label (a Customer row is a Party): the table's label gives it whatever each
    row's own label is."""
    if not rows or not ctx.stale:
        return range(len(rows))
    return ctx.stale(table.label, rows.uids, rows.prints)


def finish(result: LoaderResult, table: NodeTable, rows: Keyed, rejects: list[Reject],
           repeats: list[_Repeat], asked: Future[Collection[int]]) -> None:
    """Count the rows the store holds as they are; type the others, and the relationships of
    rows that repeat a record."""
    result.rejects += rejects
    if repeats:
        _relate_repeats(result, table, repeats)
    stale = asked.result()
    if len(stale) < len(rows):
        # none stale (an unchanged file read again): every row, without sets of indexes
        unchanged = rows.pick(sorted(set(range(len(rows))) - set(stale))) if stale else rows
        if table.label_index is None:
            result.unchanged_nodes[table.label] += len(unchanged)
        else:
            result.unchanged_nodes.update(unchanged.labels)
        for rel in table.rels:
            result.unchanged_relationships[rel.type] += rel.count(unchanged.cells)
        result.skipped_uids[model.label(table.label).key_label].append(unchanged.uids)
        rows = rows.pick(stale)
    if rows:
        _add(result, table, rows)


def _add(result: LoaderResult, table: NodeTable, rows: Keyed) -> None:
    """Type rows into nodes and their relationships; a row with a cell that does not convert
    (a property of its node or of one of its relationships) is rejected whole, naming the
    first such column. The nodes are added as columns (a blank cell is a None: no property)."""
    cells = rows.cells
    failed: dict[int, tuple[str, str, str]] = {}
    columns = typed_columns(table.props, cells, table.date_cells, failed)
    rel_columns = [typed_columns(rel.props, cells, table.date_cells, failed) for rel in table.rels]
    _reject_failed(result, table, rows.places, cells, failed)
    origins = rows.origins
    made = property_columns(table.constants, columns, len(rows))
    made |= {"uid": rows.uids, "source": origins, model.FINGERPRINT: rows.prints}
    by_label: dict[str, list[int]] = {}
    if table.label_index is None:  # one label: every row that converted
        by_label[table.label] = [i for i in range(len(rows)) if i not in failed]
    else:  # rows of several labels
        for i, label in enumerate(rows.labels):
            if i not in failed:
                by_label.setdefault(label, []).append(i)
    for label, indexes in by_label.items():
        if len(indexes) == len(rows):  # the common case: the columns as they are
            result.batch.node_records(label).extend_columns(made, len(rows))
        elif indexes:
            result.batch.node_records(label).extend_columns(picked(made, indexes),
                                                            len(indexes))
    _relate(result, table, list(zip(rows.uids, rows.labels, strict=True)), cells, origins,
            [i not in failed for i in range(len(rows))], rel_columns)


def property_columns(constants: dict[str, Any], columns: list[tuple[str, Sequence[Any]]],
                     length: int) -> dict[str, Sequence[Any]]:
    """A table's property columns for ``length`` rows: its constants on every row, then each
    typed column, where a blank cell (None) keeps the table's constant."""
    made: dict[str, Sequence[Any]] = {name: [value] * length
                                       for name, value in constants.items()}
    for name, values in columns:
        value = constants.get(name)
        made[name] = values if value is None else [value if v is None else v for v in values]
    return made


def picked(columns: Mapping[str, Sequence[Any]], indexes: list[int]
           ) -> dict[str, Sequence[Any]]:
    """The rows at ``indexes`` of ``columns``, in their order."""
    return {name: pick(values, indexes) for name, values in columns.items()}


def _relate_repeats(result: LoaderResult, table: NodeTable, rows: list[_Repeat]) -> None:
    """The relationships of rows that repeat their key's record (which the key's first row
    makes): typed as a row's own are, a row with a cell that does not convert rejected."""
    cells = [r[1] for r in rows]
    failed: dict[int, tuple[str, str, str]] = {}
    rel_columns = [typed_columns(rel.props, cells, table.date_cells, failed) for rel in table.rels]
    places = table.places([r[0] for r in rows])
    _reject_failed(result, table, places, cells, failed)
    _relate(result, table, [(r[2], r[3]) for r in rows], cells, places.prefixed(f"{FORMAT}:"),
            [i not in failed for i in range(len(rows))], rel_columns)


def _reject_failed(result: LoaderResult, table: NodeTable, places: Sequence[str],
                   cells: Sequence[Cells], failed: dict[int, tuple[str, str, str]]) -> None:
    for i, (column, why, text) in sorted(failed.items()):
        result.rejects.append(rejected(table.label, places[i], column, why, text,
                                       table.record(cells[i])))


def _relate(result: LoaderResult, table: NodeTable, rows: list[tuple[str, str]],
            cells: Sequence[Cells], origins: Sequence[str], keep: list[bool],
            rel_columns: list[list[tuple[str, Sequence[Any]]]]) -> None:
    """The relationships of ``rows`` (the uid and label of each row's node, its ``cells``)
    to the nodes their cells name; rows not to ``keep`` make none."""
    batch = result.batch
    mixed = table.label_index is not None
    labels = {label for _, label in rows} if mixed else (table.label,)
    everything = all(keep)
    for rel, props in zip(table.rels, rel_columns, strict=True):
        outgoing, where, constants = rel.outgoing, model.WHERE, rel.constants
        groups = {label: batch.relationship_records((rel.type, label, rel.label) if outgoing
                                                    else (rel.type, rel.label, label))
                  for label in labels}  # per row label, as a Customer row is no Party row
        single = rel.single_ends(cells) if not (props or mixed or constants) and everything \
            and rows else None
        if single is not None:
            # the common case: one other end per row, no properties: three columns
            uids = [uid for uid, _ in rows]
            groups[table.label].extend_columns(
                {"start": uids if outgoing else single, "end": single if outgoing else uids,
                 where: origins}, len(rows))
            continue
        for i, others in enumerate(rel.others(cells)):
            if not keep[i] or not others:
                continue
            uid, found = rows[i][0], groups[rows[i][1]]
            values = {name: column[i] for name, column in props if column[i] is not None}
            for other in others:
                made = {"start": uid, "end": other, where: origins[i]} if outgoing else \
                    {"start": other, "end": uid, where: origins[i]}
                made.update(constants)
                made.update(values)
                found.append(made)


def rejected(label: str, where: str, column: str, expected: str, got: object,
             row: dict[str, Any], cause: str | None = None) -> Reject:
    """A row of a table rejected, naming its place (``file#row``) and column."""
    return Reject(label, Problem(f"{FORMAT}:{where}", column, expected, got, cause), row)
