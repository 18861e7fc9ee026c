"""Neo4j admin-import CSV: write a graph as node and relationship files, and read such files.

Written layout (one folder)::

    nodes_Party.csv                 uid:ID(Party),:LABEL,name,tier:long,...
    rels_HAD_Party_Interaction.csv  :START_ID(Party),:END_ID(Interaction),:TYPE,...

Each key label is one ID space (``uid:ID(Party)`` also stores the id as the ``uid``
property), ``:LABEL`` carries every label (``Party;Customer``), strings are untyped columns,
other values are typed (``long``, ``double``, ``boolean``, arrays ``string[]`` split on ``;``).
A column whose values have several types within one label is written to a second file
(``nodes_Party.2.csv``), so no value changes type. Import into Neo4j with the command saved in
``neo4j-admin.txt`` (``--multiline-fields=true`` because text may hold line breaks).

Reading takes any admin-import files: ``:ID``/``:ID(Group)``, ``:LABEL``, ``:START_ID(Group)``,
``:END_ID(Group)``, ``:TYPE``, typed columns, arrays, ``:IGNORE``. Labels and types must be in
the model; anything else is a :class:`~erm_graph.errors.Problem` naming file, row and column.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from erm_graph import model
from erm_graph.errors import ErmError, Problem, shown
from erm_graph.interop.csv_errors import csv_problem
from erm_graph.interop.stream import NodeRecord, Record, RelRecord, node_label

FORMAT = "neo4j-csv"
ARRAY_DELIMITER = ";"
#: the name is possessive (``*+``): given back, each shorter name re-tried the ``{...}`` at the
#: end, which made a header of many ``{`` quadratic
_HEADER = re.compile(r"^(?P<name>[^:]*+)(?::(?P<kind>[A-Za-z_]+)(?:\((?P<group>[^)]*)\))?"
                     r"(?P<array>\[\])?)?(?:\{.*\})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_INTS = ("int", "long", "short", "byte")
_FLOATS = ("float", "double")
_STRINGS = ("string", "char", "time", "localtime", "duration")
_SPECIAL = ("id", "label", "start_id", "end_id", "type", "ignore")
#: distinct :LABEL texts of a node file whose model label is remembered
_LABEL_TEXTS = 256


# -- writing ----------------------------------------------------------------------------------
def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list):
        inner = {_kind(v) for v in value} or {"string"}
        return (inner.pop() if len(inner) == 1 else "mixed") + "[]"
    return "string"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(_text(v) for v in value)
    return str(value)


@dataclass
class _Part:
    """One output file: its typed columns so far and the rows, spooled to a temporary file."""

    fixed: list[str]
    types: dict[str, str] = field(default_factory=dict)
    spool: IO[str] = field(default_factory=lambda: tempfile.TemporaryFile("w+", newline=""))
    rows: int = 0

    def fits(self, kinds: dict[str, str]) -> bool:
        return all(self.types.get(k, v) == v for k, v in kinds.items())


class _File:
    """The parts of one label's or type's output; rows are written once their header is known.

    Rows are spooled as (fixed cells, property dict as CSV of key/value pairs) so that the
    columns, which are known only at the end, can be laid out then.
    """

    def __init__(self, stem: str, fixed: list[str]):
        self.stem = stem
        self.fixed = fixed
        self.parts: list[_Part] = []

    def add(self, cells: list[str], props: dict[str, Any]) -> None:
        kinds = {k: _kind(v) for k, v in props.items() if v is not None}
        if any(k.endswith("mixed[]") for k in kinds.values()):
            raise ErmError(f"{self.stem}: a list mixes value types ({props}); Neo4j arrays hold "
                           "one type, so it cannot be exported without change")
        part = next((p for p in self.parts if p.fits(kinds)), None)
        if part is None:
            part = _Part(self.fixed)
            self.parts.append(part)
        part.types.update(kinds)
        flat: list[str] = []
        for key, value in props.items():
            if value is not None:
                flat += [key, _text(value)]
        csv.writer(part.spool).writerow([*cells, *flat])
        part.rows += 1

    def finish(self, folder: Path) -> list[str]:
        names = []
        for i, part in enumerate(self.parts):
            name = f"{self.stem}.csv" if i == 0 else f"{self.stem}.{i + 1}.csv"
            columns = sorted(part.types)
            header = [*part.fixed, *(k if part.types[k] == "string" else f"{k}:{part.types[k]}"
                                     for k in columns)]
            where = {k: i for i, k in enumerate(columns)}
            part.spool.seek(0)
            with (folder / name).open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(header)
                for row in csv.reader(part.spool):
                    cells = row[:len(part.fixed)]
                    values = [""] * len(columns)
                    flat = row[len(part.fixed):]
                    for key, value in zip(flat[::2], flat[1::2], strict=True):
                        values[where[key]] = value
                    out.writerow([*cells, *values])
            part.spool.close()
            names.append(name)
        return names


def write_records(records: Iterable[Record], folder: Path) -> list[str]:
    """Write records as admin-import files into ``folder``; returns the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[tuple[str, ...], _File] = {}
    try:
        for record in records:
            if isinstance(record, NodeRecord):
                key = model.LABELS[record.label].key_label
                out = files.get(("n", key))
                if out is None:
                    out = files[("n", key)] = _File(f"nodes_{key}", [f"uid:ID({key})",
                                                                     ":LABEL"])
                props = dict(record.props)
                uid = props.pop("uid")
                out.add([uid, ARRAY_DELIMITER.join(model.LABELS[record.label].labels)], props)
            else:
                group = ("r", record.type, record.start_label, record.end_label)
                out = files.get(group)
                if out is None:
                    out = files[group] = _File(
                        f"rels_{record.type}_{record.start_label}_{record.end_label}",
                        [f":START_ID({record.start_label})", f":END_ID({record.end_label})",
                         ":TYPE"])
                out.add([record.start, record.end, record.type], record.props)
        names = []
        for out in files.values():
            names += out.finish(folder)
    finally:
        for out in files.values():
            for part in out.parts:
                part.spool.close()
    node_files = sorted(n for n in names if n.startswith("nodes_"))
    rel_files = sorted(n for n in names if n.startswith("rels_"))
    command = ["neo4j-admin database import full neo4j --overwrite-destination",
               "--multiline-fields=true", f'--array-delimiter="{ARRAY_DELIMITER}"',
               *(f"--nodes={n}" for n in node_files),
               *(f"--relationships={n}" for n in rel_files)]
    (folder / "neo4j-admin.txt").write_text(" \\\n  ".join(command) + "\n")
    return node_files + rel_files


# -- reading ----------------------------------------------------------------------------------
@dataclass
class Column:
    index: int
    header: str
    name: str
    kind: str  # id, label, start_id, end_id, type, ignore, or a value type
    group: str
    array: bool


def parse_header(header: list[str], where: str) -> list[Column]:
    columns = []
    for i, text in enumerate(header):
        m = _HEADER.match(text.strip())
        if not m:
            raise ErmError(f"{where}: column {i + 1} {shown(text)} is not an admin-import header "
                           "such as name, age:int, :ID(Group), :LABEL, :START_ID, :END_ID, "
                           ":TYPE")
        kind = (m.group("kind") or "string").lower()
        if kind not in (*_SPECIAL, *_INTS, *_FLOATS, *_STRINGS, "boolean", "date", "datetime",
                        "localdatetime"):
            raise ErmError(f"{where}: column {i + 1} {shown(text)}: unknown type "
                           f"{shown(kind)}; use int, long, float, double, boolean, string, "
                           "date, datetime (with [] for arrays) or :IGNORE")
        columns.append(Column(i, text.strip(), m.group("name").strip(), kind,
                              (m.group("group") or "").strip(), bool(m.group("array"))))
    return columns


@dataclass
class Parsed:
    """What reading admin-import files gave: records, and every row that could not be read."""

    #: (label or type, problem) for every row not read
    problems: list[tuple[str, Problem]] = field(default_factory=list)
    #: (ID group, ID) -> (model label, uid), filled while node files are read, of the nodes
    #: whose ID space is not their key label or whose ID is not their uid: any other node is
    #: found by its ID as a node of the graph is (:func:`_end`), the same key label and uid,
    #: so that an export's files, all of whose IDs are uids, keep no ID per node
    ids: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    rows: int = 0

    def identify(self, group: str, ident: str, label: str, uid: str) -> None:
        """Remember the node ``ident`` of ID space ``group`` as (``label``, ``uid``)."""
        if group == model.LABELS[label].key_label and ident == uid:
            if self.ids:
                self.ids.pop((group, ident), None)  # the later node of one ID is the one
        else:
            self.ids[(group, ident)] = (label, uid)


#: a file's text, or a function that gives its lines afresh each call, as ``newline=""``
#: reads them, for a file read from disk as it is parsed
#: (:func:`~erm_graph.ingest.file_blocks.text_lines`)
Text = str | Callable[[], Iterable[str]]


def find_files(paths: Iterable[Path]) -> list[Path]:
    """The CSV files named, or inside the folders named, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() == ".csv")
        else:
            found.append(path)
    return found


def _rows(path: Path, text: Text) -> Iterator[tuple[int, list[str]]]:
    # lines as the csv module reads a file (``newline=""``), not str.splitlines, which also
    # breaks at a form feed, U+0085 or U+2028 that a value holds unquoted
    reader = csv.reader(io.StringIO(text, newline="") if isinstance(text, str) else text())
    first, header = 1, list[str]()
    try:
        for row in reader:
            if "".join(row).strip():  # a cell that is not blank
                yield reader.line_num, row
                header = header or row
            first = reader.line_num + 1
    except csv.Error as exc:
        raise ErmError(csv_problem(path, text if isinstance(text, str) else text(), first, exc,
                                   header)) from None


def read(files: Sequence[tuple[Path, Text]], parsed: Parsed,
         on_node: Callable[[NodeRecord, str], None],
         on_rel: Callable[[RelRecord, str], None]) -> None:
    """Read (path, text) admin-import files: every node file first, then the relationships.

    ``on_node``/``on_rel`` get each record with its provenance (``file#line``); bad rows go to
    ``parsed.problems`` and are not passed on.
    """
    tables = []
    for path, text in files:
        rows = _rows(path, text)
        first = next(rows, None)
        if first is None:
            raise ErmError(f"{path}: the file is empty: expected an admin-import header row")
        columns = parse_header(first[1], str(path))
        kinds = {c.kind for c in columns}
        if "id" in kinds:
            tables.append((0, path, columns, rows))
        elif {"start_id", "end_id"} <= kinds:
            tables.append((1, path, columns, rows))
        else:
            raise ErmError(f"{path}: neither a node file (needs an :ID column) nor a "
                           "relationship file (needs :START_ID and :END_ID columns)")
    for order, path, columns, rows in sorted(tables, key=lambda t: t[0]):
        if order == 0:
            _node_file(path, columns, rows, parsed, on_node)
        else:
            _rel_file(path, columns, rows, parsed, on_rel)


def _scalar(kind: str) -> Callable[[str], Any]:
    """The parser of one cell of ``kind``: its typed value, or ``ValueError`` with the form
    expected. Made once per column, not dispatched on the kind per cell."""
    if kind in _INTS:
        return partial(_typed, int, f"an integer ({kind})")
    if kind in _FLOATS:
        return partial(_typed, float, f"a number ({kind})")
    if kind == "boolean":
        return _boolean
    if kind == "date":
        return partial(_matched, _DATE, "a date YYYY-MM-DD")
    if kind in ("datetime", "localdatetime"):
        return partial(_matched, _DATETIME, "a date-time YYYY-MM-DDTHH:MM[:SS]")
    return str


def _typed(make: Callable[[str], Any], expected: str, text: str) -> Any:
    try:
        return make(text)
    except ValueError:
        raise ValueError(expected) from None


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError("true or false (boolean)")
    return lowered == "true"


def _matched(form: re.Pattern[str], expected: str, text: str) -> str:
    text = text.strip()
    if not form.match(text):
        raise ValueError(expected)
    return text


def _split(scalar: Callable[[str], Any], text: str) -> list[Any]:
    return [scalar(part) for part in text.split(ARRAY_DELIMITER)]


def _parser(column: Column) -> Callable[[str], Any]:
    """The typed value of one cell of ``column``; raises ``ValueError`` with the expected
    form."""
    scalar = _scalar(column.kind)
    return partial(_split, scalar) if column.array else scalar


#: a value column of a file: its index, property name, header, and the parser of its cells
_Value = tuple[int, str, str, Callable[[str], Any]]


def _values(columns: list[Column]) -> list[_Value]:
    """The columns of a file that hold properties, each with its parser."""
    return [(c.index, c.name, c.header, _parser(c)) for c in columns
            if c.kind not in _SPECIAL and c.name]


def _props(where: str, values: list[_Value], row: list[str], parsed: Parsed,
           name: str) -> dict[str, Any] | None:
    props: dict[str, Any] = {}
    cells = len(row)
    for index, prop, header, parse in values:
        text = row[index] if index < cells else ""
        if text == "":
            continue
        try:
            props[prop] = parse(text)
        except ValueError as exc:
            parsed.problems.append((name, Problem(where, header, str(exc), text)))
            return None
    return props


def _node_file(path: Path, columns: list[Column], rows, parsed: Parsed,
               on_node: Callable[[NodeRecord, str], None]) -> None:
    id_col = next(c for c in columns if c.kind == "id")
    label_col = next((c for c in columns if c.kind == "label"), None)
    if label_col is None and id_col.group not in model.LABELS:
        raise ErmError(f"{path}: no :LABEL column and the ID group {shown(id_col.group)} is not a "
                       f"label of the model: add a :LABEL column ({', '.join(model.LABELS)})")
    values, place = _values(columns), f"{FORMAT}:{path.name}#"
    # the model label of each :LABEL cell's text, or the problem with it: a file repeats a
    # few texts on every row (kept for the first few, so that texts all different cost no
    # more than before)
    labels_of: dict[str, str | tuple[str, str]] = {}
    for line, row in rows:
        parsed.rows += 1
        where = f"{place}{line}"
        ident = row[id_col.index] if id_col.index < len(row) else ""
        if not ident:
            parsed.problems.append((id_col.group or "node",
                                    Problem(where, id_col.header, "a node id", None)))
            continue
        text = row[label_col.index] if label_col is not None and label_col.index < len(row) \
            else ""
        label = labels_of.get(text)
        if label is None:
            label = _label(text, id_col.group)
            if len(labels_of) < _LABEL_TEXTS:
                labels_of[text] = label
        if isinstance(label, tuple):
            parsed.problems.append((id_col.group or "node", Problem(
                where, label_col.header if label_col else id_col.header, *label)))
            continue
        props = _props(where, values, row, parsed, label)
        if props is None:
            continue
        if id_col.name:
            props[id_col.name] = ident
        props.setdefault("uid", ident)
        parsed.identify(id_col.group, ident, label, props["uid"])
        on_node(NodeRecord(label, props), where)


def _label(text: str, group: str) -> str | tuple[str, str]:
    """The model label of a node whose :LABEL cell is ``text`` (empty: its ID ``group``), or
    (what was expected, the labels given)."""
    labels = [t.strip() for t in text.split(ARRAY_DELIMITER)] if text else [group]
    try:
        return node_label(labels)
    except ValueError as exc:
        return str(exc), ";".join(labels)


def _end(parsed: Parsed, column: Column, ident: str) -> tuple[str, str]:
    found = parsed.ids.get((column.group, ident))
    if found:
        return found
    if column.group in model.LABELS:  # a node already in the graph, by uid
        return column.group, ident
    raise ValueError(f"the ID of a node in the node files' ID space {shown(column.group)}")


def _rel_file(path: Path, columns: list[Column], rows, parsed: Parsed,
              on_rel: Callable[[RelRecord, str], None]) -> None:
    start_col = next(c for c in columns if c.kind == "start_id")
    end_col = next(c for c in columns if c.kind == "end_id")
    type_col = next((c for c in columns if c.kind == "type"), None)
    if type_col is None:
        raise ErmError(f"{path}: no :TYPE column: add one with a relationship type of the "
                       f"model ({', '.join(model.RELATIONSHIPS)})")
    values, place = _values(columns), f"{FORMAT}:{path.name}#"
    types = frozenset(model.RELATIONSHIPS)
    key_label = {name: label.key_label for name, label in model.LABELS.items()}
    for line, row in rows:
        parsed.rows += 1
        where = f"{place}{line}"
        cells = len(row)
        rel_type = row[type_col.index].strip() if type_col.index < cells else ""
        if rel_type not in types:
            parsed.problems.append((rel_type or "relationship", Problem(
                where, type_col.header, f"a type of the model ({', '.join(model.RELATIONSHIPS)})",
                rel_type)))
            continue
        ends = []
        for column in (start_col, end_col):
            ident = row[column.index].strip() if column.index < cells else ""
            try:
                ends.append(_end(parsed, column, ident))
            except ValueError as exc:
                parsed.problems.append((rel_type, Problem(where, column.header, str(exc),
                                                          ident)))
                break
        if len(ends) < 2:
            continue
        props = _props(where, values, row, parsed, rel_type)
        if props is None:
            continue
        (start_label, start), (end_label, end) = ends
        on_rel(RelRecord(rel_type, key_label[start_label], start, key_label[end_label], end,
                         props), where)

