"""Generic tabular import (CSV or .xlsx) driven by a YAML mapping file (docs/loaders.md).

The mapping says which columns make which label and key, the type of each property, the
relationships to other nodes by key (many-to-many with ``split``), and value normalisation;
a table may take each row's label from a column (``label_column``), and a relationship table
(top-level ``relationships``) makes one relationship per row. A relationship whose other end
is in neither the load nor the graph is rejected with its row.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from itertools import islice, repeat
from pathlib import Path

from erm_graph import model
from erm_graph.errors import Problem, listed, shown
from erm_graph.ingest.columns import ColumnConverter, TypedProperty, column_index, typed_columns
from erm_graph.ingest.mapping_doc import read_mapping, row_labels
from erm_graph.ingest.source import LoadError, LoadOptions, Reject, Source
from erm_graph.ingest.values import normaliser
from erm_graph.interop.stream import node_label

FORMAT = "mapping"
EXTENSIONS = (".csv", ".tsv", ".xlsx", ".yaml", ".yml")
DESCRIPTION = "CSV or Excel rows mapped to labels by a YAML mapping file (--mapping)"
PRIORITY = 30
#: rows keyed, checked against the store and typed together: bounds memory on large files
CHUNK_ROWS = 20_000


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    if not path.is_file():
        return False
    if path.suffix.lower() in (".yaml", ".yml"):
        return b"tables:" in head or re.search(rb"^relationships:", head, re.M) is not None
    return options.mapping is not None and path.suffix.lower() in (".csv", ".tsv", ".xlsx")


def load(source: Source) -> None:
    if source.path.suffix.lower() in (".yaml", ".yml"):  # the mapping names its own files
        doc = read_mapping(source.path, source.options)
        for field, table in _fields(doc):
            for path in _files(source.path, field, table["file"]):
                _read(source, doc, table, path)
        return
    if source.options.mapping is None:
        raise LoadError(f"{source.path}: the mapping format needs --mapping FILE")
    doc = read_mapping(source.options.mapping, source.options)
    tables = [t for t in _tables(doc) if fnmatch.fnmatch(source.path.name, t["file"])]
    if not tables:
        raise LoadError(f"{source.path}: no table of {source.options.mapping} matches this "
                        f"file name (its file patterns: "
                        f"{', '.join(t['file'] for t in _tables(doc))})")
    for table in tables:
        _read(source, doc, table, source.path)


def _tables(doc: dict) -> list[dict]:
    """The node tables, then the relationship tables."""
    return [table for _, table in _fields(doc)]


def _fields(doc: dict) -> list[tuple[str, dict]]:
    """The node tables, then the relationship tables, each with the path of its ``file``
    field in the mapping (``tables/0/file``)."""
    return [(f"{key}/{i}/file", table) for key in ("tables", "relationships")
            for i, table in enumerate(doc.get(key, []))]


def _files(mapping: Path, field: str, pattern: str) -> list[Path]:
    """The files a table's pattern matches in the mapping's folder: only there, once links
    are followed (``read_mapping`` has refused ``..`` and absolute patterns already). On the
    web the folder is the upload's own, so a mapping reads nothing the upload did not bring."""
    folder = mapping.parent.resolve()
    try:
        files = sorted(p for p in mapping.parent.glob(pattern) if p.is_file())
    except (ValueError, IndexError):  # pathlib's answers to "a**" and "."
        raise LoadError(f"{mapping}: field '{field}': {shown(pattern)} is not a glob pattern "
                        "pathlib can match (such as accounts*.csv or exports/**/*.csv)"
                        ) from None
    if not files:
        raise LoadError(f"{mapping}: field '{field}': no file matches {shown(pattern)} in the "
                        "mapping's folder")
    for path in files:
        if not path.resolve().is_relative_to(folder):
            raise LoadError(f"{mapping}: field '{field}': {path.name!r} leads outside the "
                            "mapping's folder (a link): a mapping reads only the files beside "
                            "it")
    return files


def _read(source: Source, doc: dict, table: dict, path: Path) -> None:
    """Read a file in chunks of CHUNK_ROWS rows, as a node table or a relationship table.

    For a node table, the store's answer for one chunk (which of its rows are stale) is
    awaited while the next chunk is read and keyed: the engine's index lookups and Python's
    parsing overlap, which made re-importing an unchanged file 1.3x faster on two cores.
    """
    names, rows, date_cells = _rows(source, table, path)
    if "label" not in table:
        relationships = _RelTable(doc, table, path, names, date_cells)
        for chunk in _chunks(rows):
            _rel_chunk(source, relationships, chunk)
        return
    nodes = _Table(doc, table, path, names, date_cells)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for chunk in _chunks(rows):
            keyed, rejects = _key(source, nodes, chunk)
            asked = pool.submit(_stale, source, nodes, keyed)
            if pending:
                _finish(source, nodes, *pending)
            pending = (keyed, rejects, asked)
        if pending:
            _finish(source, nodes, *pending)


def _chunks(rows: tuple[str, Iterator[tuple[int, list[str]]]]
            ) -> Iterator[list[tuple[str, list[str]]]]:
    """(place, cells) of CHUNK_ROWS rows at a time; ``rows`` is the prefix of each row's
    place and (number, cells) of each row."""
    prefix, numbered = rows
    while chunk := list(islice(numbered, CHUNK_ROWS)):
        yield [(f"{prefix}{number}", cells) for number, cells in chunk]


def _rows(source: Source, table: dict, path: Path
          ) -> tuple[list[str], tuple[str, Iterator[tuple[int, list[str]]]],
                     dict[int, set[str]]]:
    """The column names; the prefix of each row's place and (number, cells) of each row of
    a CSV file or a workbook sheet; per column of a workbook the texts of its date cells.

    A workbook's date or date-time cell is a ``datetime``; its text is ``str(value)``
    (``2024-03-02 10:05:00``), and a ``date``/``datetime`` property reads the texts listed
    here as ISO-8601, whatever its ``format`` says (which is the form of text cells). Each
    distinct text of a column is typed once, so a text cell with the very text of one of
    the column's date cells reads as that date too.
    """
    file = path.name
    if path.suffix.lower() != ".xlsx":
        names, rows = source.csv_table(path)
        return names, (f"{file}#", rows), {}
    sheets = source.sheets(path)
    name = (table.get("sheet") or next(iter(sheets), "")).lower()
    if name not in sheets:
        raise LoadError(f"{path}: no sheet {shown(table.get('sheet'))}; it has "
                        f"{listed(list(sheets))}")
    found = sheets[name]
    names = list(dict.fromkeys(k for _, row in found for k in row))
    dates: dict[int, set[str]] = {}
    read = []
    for number, row in found:
        cells = []
        for i, k in enumerate(names):
            value = row.get(k)
            text = "" if value is None else str(value)
            if isinstance(value, date):  # datetime too: a real date cell, not text
                dates.setdefault(i, set()).add(text)
            cells.append(text)
        read.append((number, cells))
    return names, (f"{file}#{name}!", iter(read)), dates


class _Rel:
    """One relationship of a table: which cell names the other end and how to read it."""

    def __init__(self, rel: dict, doc: dict, column: Callable[..., int | None]):
        self.type, self.label = rel["type"], rel["label"]
        self.index = column(rel["column"])
        self.prefix, self.split = rel.get("prefix", ""), rel.get("split")
        self.outgoing = rel.get("direction", "out") == "out"
        self.norm = normaliser(rel.get("normalize", ["trim"]), rel.get("aliases"))
        self.props = [TypedProperty(name, spec, doc, column)
                      for name, spec in rel.get("properties", {}).items()]

    def count(self, rows: list[list[str]]) -> int:
        """How many relationships ``rows`` make (``others`` without making the uids)."""
        texts = [cells[self.index] for cells in rows]
        distinct = list(set(texts))
        made = dict(zip(distinct, map(len, self.others([[t] for t in distinct], 0)),
                        strict=True))
        return sum(map(made.__getitem__, texts))

    def others(self, rows: list[list[str]], index: int | None = None) -> list[list[str]]:
        """Per row, the uids of the nodes at the other end that its cell (at ``index``,
        by default this relationship's column) names."""
        found: dict[str, list[str]] = {}
        at = self.index if index is None else index
        texts = [cells[at] for cells in rows]
        for text in set(texts):
            values = text.split(self.split) if self.split else [text]
            found[text] = [self.prefix + other for other in map(self.norm, values) if other]
        return [found[t] for t in texts]


class _Table:
    """One table of a mapping, bound to the columns of one file: compiled once for its rows."""

    def __init__(self, doc: dict, table: dict, path: Path, names: list[str],
                 date_cells: dict[int, set[str]]):
        self.names, self.label, self.date_cells = names, table["label"], date_cells
        column = column_index(path, table, names, "table")
        key = table["key"]
        self.key_column, self.key_index = key["column"], column(key["column"])
        # a key column rarely repeats: each cell is normalised as it is, not through the
        # distinct-text table of the property columns (a million-entry dict for nothing)
        self.key_norm = normaliser(key.get("normalize", ["trim"]))
        self.prefix = key.get("prefix", "")
        self.props = [TypedProperty(name, spec, doc, column)
                      for name, spec in table.get("properties", {}).items()]
        self.constants = table.get("set", {})
        self.rels = [_Rel(rel, doc, column) for rel in table.get("relationships", [])]
        by_column = table.get("label_column")
        self.label_column = by_column["column"] if by_column else ""
        self.label_index = column(self.label_column) if by_column else None
        if by_column:
            self.label_split = by_column.get("split")
            self.label_norm = normaliser(by_column.get("normalize", ["trim"]),
                                         by_column.get("aliases"))
            allowed = row_labels(self.label)
            self.label_expected = (f"one of {', '.join(allowed)}: the table's label or one "
                                   f"of its sub-labels (an empty cell is {self.label})")
        #: uid -> (hash of its row's cells, its place): the first row of each key
        self.seen: dict[str, tuple[int, str]] = {}
        # a row's fingerprint covers the mapping that reads it, not only its cells
        spec = json.dumps([table, doc.get("date_format")], sort_keys=True, default=str)
        self.digest = hashlib.blake2b(spec.encode(), digest_size=8).hexdigest()

    def fingerprints(self, places: list[str], joined: list[str]) -> list[str]:
        """What each row's node is made from: this mapping, the row's place and its cells
        (``joined``)."""
        digest, blake2b = self.digest, hashlib.blake2b
        return [blake2b(f"{digest}\x1e{where}\x1e{cells}".encode(), digest_size=8).hexdigest()
                for where, cells in zip(places, joined, strict=True)]

    def row_labels(self, cells: list[list[str]]) -> list[str | None]:
        """Per row, its label from the label column (None: not one the table may have)."""
        found: dict[str, str | None] = {}
        texts = [c[self.label_index] for c in cells]
        for text in set(texts):
            parts = text.split(self.label_split) if self.label_split else [text]
            given = [p for p in map(self.label_norm, parts) if p]
            try:
                label = node_label(given) if given else self.label
            except ValueError:
                label = None
            found[text] = label if label and model.is_a(label, self.label) else None
        return [found[t] for t in texts]

    def record(self, cells: list[str]) -> dict[str, str]:
        """The row as column -> text, for a rejects file."""
        return dict(zip(self.names, cells, strict=False))


_Keyed = tuple[str, list[str], str, str, str]  # place, cells, uid, fingerprint, label


def _key(source: Source, table: _Table, chunk: list[tuple[str, list[str]]]
         ) -> tuple[list[_Keyed], list[Reject]]:
    """Key, label and fingerprint each row; a row without a key or with a label the table
    may not have is rejected (the rejects are kept in the order of the rows).

    A key the table has already had is checked here, before any row is skipped as
    unchanged: the same row again adds nothing, another row with that key is rejected (as
    two sources that disagree are), whether or not the first one was stored as it is.
    """
    source.advance(len(chunk))
    index = table.key_index
    keys = list(map(table.key_norm, [cells[index] for _, cells in chunk]))
    labels = ([table.label] * len(chunk) if table.label_index is None
              else table.row_labels([cells for _, cells in chunk]))
    prefix, seen = table.prefix, table.seen
    if "" not in keys and None not in labels:  # the common case first, in C
        uids = [prefix + key for key in keys]
        if len(set(uids)) == len(uids) and seen.keys().isdisjoint(uids):
            places = [where for where, _ in chunk]
            joins = ["\x1f".join(cells) for _, cells in chunk]
            seen.update(zip(uids, zip(map(hash, joins), places, strict=True), strict=True))
            return list(zip(places, [cells for _, cells in chunk], uids,
                            table.fingerprints(places, joins), labels, strict=True)), []
    kept, joins, rejects = [], [], []
    for (where, cells), key, label in zip(chunk, keys, labels, strict=True):
        if not key:
            rejects.append(_rejected(table.label, where, table.key_column, "a key value", None,
                                     table.record(cells)))
        elif label is None:
            rejects.append(_rejected(table.label, where, table.label_column,
                                     table.label_expected, cells[table.label_index],
                                     table.record(cells)))
        else:
            uid, joined = prefix + key, "\x1f".join(cells)
            first = seen.setdefault(uid, (hash(joined), where))
            if first[1] == where:
                kept.append((where, cells, uid, label))
                joins.append(joined)
            elif first[0] != hash(joined):
                rejects.append(_rejected(table.label, where, "uid", f"unique in the load: "
                                         f"{FORMAT}:{first[1]} has the same uid with other "
                                         "values", uid, table.record(cells)))
    prints = table.fingerprints([k[0] for k in kept], joins)
    rows = [(where, cells, uid, fp, label)
            for (where, cells, uid, label), fp in zip(kept, prints, strict=True)]
    return rows, rejects


def _stale(source: Source, table: _Table, rows: list[_Keyed]) -> Collection[int]:
    """Indexes of the rows the store does not hold as they are. The store finds a node by
    its key label (a Customer row is a Party): the table's label gives it whatever each
    row's own label is."""
    if not rows or not source.stale:
        return range(len(rows))
    return source.stale(table.label, [r[2] for r in rows], [r[3] for r in rows])


def _finish(source: Source, table: _Table, rows: list[_Keyed], rejects: list[Reject],
            asked: Future) -> None:
    """Count the rows the store holds as they are; type the others."""
    source.rejects += rejects
    stale = asked.result()
    if len(stale) < len(rows):
        unchanged = [rows[i] for i in sorted(set(range(len(rows))) - set(stale))]
        if table.label_index is None:
            source.unchanged_nodes[table.label] += len(unchanged)
        else:
            source.unchanged_nodes.update(r[4] for r in unchanged)
        for rel in table.rels:
            source.unchanged_relationships[rel.type] += rel.count([r[1] for r in unchanged])
        source.skipped_uids[model.label(table.label).key_label].update(r[2] for r in unchanged)
        rows = [rows[i] for i in stale]
    if rows:
        _add(source, table, rows)


def _add(source: Source, table: _Table,
         rows: list[tuple[str, list[str], str, str, str]]) -> None:
    """Type rows into nodes and their relationships; a row with a cell that does not convert
    (a property of its node or of one of its relationships) is rejected whole, naming the
    first such column."""
    cells = [r[1] for r in rows]
    failed: dict[int, tuple[str, str, str]] = {}
    columns = typed_columns(table.props, cells, table.date_cells, failed)
    rel_columns = [typed_columns(rel.props, cells, table.date_cells, failed) for rel in table.rels]
    for i, (column, why, text) in sorted(failed.items()):
        _reject(source, table.label, rows[i][0], column, why, text, table.record(rows[i][1]))
    names = ["uid", "source", model.FINGERPRINT, *(name for name, _ in columns)]
    origins = [f"{FORMAT}:{where}" for where, _, _, _, _ in rows]
    records = zip([r[2] for r in rows], origins, [r[3] for r in rows],
                  *(values for _, values in columns), strict=True)
    batch = source.batch
    keep = [i not in failed for i in range(len(rows))]
    sparse = any(None in values for _, values in columns)  # blank cells: no property
    mixed = table.label_index is not None  # rows of several labels
    targets = [batch.nodes[r[4]] for r in rows] if mixed else repeat(batch.nodes[table.label])
    if failed or sparse or mixed or table.constants:
        for record, ok, nodes in zip(records, keep, targets, strict=False):  # may repeat
            if ok:
                node = dict(zip(names, record, strict=True))
                if sparse:
                    node = {k: v for k, v in node.items() if v is not None}
                nodes.append({**table.constants, **node} if table.constants else node)
    else:  # the common case, in C: one dict per row and nothing to leave out
        batch.nodes[table.label].extend(map(dict, map(zip, repeat(names), records)))
    labels = {r[4] for r in rows} if mixed else (table.label,)
    for rel, props in zip(table.rels, rel_columns, strict=True):
        outgoing, where = rel.outgoing, model.WHERE
        groups = {label: batch.relationships[(rel.type, label, rel.label) if outgoing
                                             else (rel.type, rel.label, label)]
                  for label in labels}  # per row label, as a Customer row is no Party row
        ends = rel.others(cells)
        if not (failed or props or mixed) and set(map(len, ends)) == {1}:
            # the common case: one other end per row, no properties: a comprehension
            group, uids = groups[table.label], [r[2] for r in rows]
            group += ([{"start": u, "end": e[0], where: o}
                       for u, e, o in zip(uids, ends, origins, strict=True)] if outgoing else
                      [{"start": e[0], "end": u, where: o}
                       for u, e, o in zip(uids, ends, origins, strict=True)])
            continue
        for i, others in enumerate(ends):
            if not keep[i] or not others:
                continue
            uid, found = rows[i][2], groups[rows[i][4]]
            values = ({name: column[i] for name, column in props if column[i] is not None}
                      if props else None)
            for other in others:
                record = {"start": uid, "end": other, where: origins[i]} if outgoing else \
                    {"start": other, "end": uid, where: origins[i]}
                if values:
                    record.update(values)
                found.append(record)


class _End:
    """One end of a relationship table: the column with the key of the node there."""

    def __init__(self, side: str, spec: dict, column: Callable[..., int | None]):
        self.label, self.column = spec["label"], spec["column"]
        self.index = column(spec["column"])
        self.prefix = spec.get("prefix", "")
        self.norm = ColumnConverter(normaliser(spec.get("normalize", ["trim"]),
                                                spec.get("aliases")))
        self.expected = f"the key of the {side} node ({self.label})"

    def uids(self, cells: list[list[str]]) -> list[str | None]:
        keys, _ = self.norm.apply([c[self.index] for c in cells])
        prefix = self.prefix
        return [prefix + key if key else None for key in keys]


class _RelTable:
    """A relationship table: each row is one relationship between two nodes named by key.

    Its rows make no node, so nothing carries their fingerprint and none is skipped: they go
    whole to the writer, whose change detection (a hash of each relationship's properties)
    counts the unchanged ones.
    """

    def __init__(self, doc: dict, table: dict, path: Path, names: list[str],
                 date_cells: dict[int, set[str]]):
        self.names, self.type, self.date_cells = names, table["type"], date_cells
        column = column_index(path, table, names, "relationship table")
        self.start = _End("start", table["start"], column)
        self.end = _End("end", table["end"], column)
        self.key = (self.type, self.start.label, self.end.label)
        self.props = [TypedProperty(name, spec, doc, column)
                      for name, spec in table.get("properties", {}).items()]

    def record(self, cells: list[str]) -> dict[str, str]:
        return dict(zip(self.names, cells, strict=False))


def _rel_chunk(source: Source, table: _RelTable, chunk: list[tuple[str, list[str]]]) -> None:
    """Make one relationship per row; a row without both keys, or with a property that does
    not convert, is rejected naming the column."""
    source.advance(len(chunk))
    cells = [c for _, c in chunk]
    failed: dict[int, tuple[str, str, str]] = {}
    ends = []
    for end in (table.start, table.end):
        uids = end.uids(cells)
        for i, uid in enumerate(uids):
            if uid is None and i not in failed:
                failed[i] = (end.column, end.expected, cells[i][end.index])
        ends.append(uids)
    columns = typed_columns(table.props, cells, table.date_cells, failed)
    for i, (column, why, text) in sorted(failed.items()):
        _reject(source, table.type, chunk[i][0], column, why, text, table.record(cells[i]))
    found = source.batch.relationships[table.key]
    for i, (where, _) in enumerate(chunk):
        if i in failed:
            continue
        record = {"start": ends[0][i], "end": ends[1][i], model.WHERE: f"{FORMAT}:{where}"}
        for name, values in columns:
            if values[i] is not None:
                record[name] = values[i]
        found.append(record)


def _reject(source: Source, label: str, where: str, column: str, expected: str, got: object,
            row: dict) -> None:
    source.rejects.append(_rejected(label, where, column, expected, got, row))


def _rejected(label: str, where: str, column: str, expected: str, got: object,
              row: dict) -> Reject:
    return Reject(label, Problem(f"{FORMAT}:{where}", column, expected, got), row)
