"""Typing the columns of a table: the mapping loader's cells become typed property values.

Each distinct text of a column is converted once (a column repeats its values: kinds,
channels, the same customer on many rows), and a workbook's real date cells are read as
ISO dates whatever the stated text format says.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from erm_graph.errors import listed, shown
from erm_graph.ingest import columnar
from erm_graph.ingest.chunk_rows import Cells, cells_at
from erm_graph.ingest.untrusted import LoadError
from erm_graph.records import Coded, Numbers

from .values import CONVERTERS, date_parser, normaliser

#: What a cell's text normalises to when it is blank, or aliased to an empty value: read
#: as an empty cell is (the property's default, else no property), as the other places a
#: mapping reads a cell read it (a relationship's other end, a label, a key)
BLANK = object()
#: Distinct texts a column keeps typed from one chunk of a file to the next: a column of
#: dates repeats them across chunks (typing them again in every chunk costs time); a
#: column with more (amounts, ids) is typed chunk by chunk.
MEMO_SIZE = 50_000


class ColumnConverter:
    """Types a column of cell texts, converting each distinct text once: a column repeats
    its values (kinds, channels, the same customer on many rows), and typing cell by cell
    cost more than everything else in an import. One converter serves the chunks of one
    file, so ``default`` and ``date_cells`` are the same on every call.

    With ``packs``, the typed column is held compactly where that is exact (a load holds
    every typed column until it writes): while the column's distinct texts are few, as
    codes into the list of their values, one list for the file's chunks (``Coded``); once
    they are many, numbers in a machine array when every value is a float or every one an
    int (``Numbers``); else a list."""

    def __init__(self, convert: Callable[[str], Any],
                 from_date_cell: Callable[[str], Any] | None = None, kind: str = "",
                 packs: bool = False):
        self.convert = convert
        self.from_date_cell = from_date_cell
        #: the type whose strict common form pyarrow may read (``columnar.typed``); "" for
        #: none: the texts go through ``convert`` as they are (after a normaliser, say)
        self.kind = kind
        self._memo: dict[str, Any] | None = {}
        self._errors: dict[str, str] = {}
        self.packs = packs
        #: with ``packs``, while the memo is kept: its texts' codes, and their values by code
        self._codes: dict[str, int] = {}
        self._table: list[Any] = []

    def apply(self, texts: list[str], default: Any = None, date_cells: Collection[str] = ()
              ) -> tuple[Sequence[Any], dict[str, str]]:
        """The typed column (``default`` for blank cells) and, per text that does not
        convert, why. ``date_cells``: texts of the column that are workbook date cells."""
        memo, known = self._memo, self._errors
        typed: dict[str, Any] = {} if memo is None else memo
        dated = date_cells if self.from_date_cell else ()
        distinct = set(texts)
        todo: Collection[str] = distinct if memo is None else distinct.difference(memo)
        if self.kind and len(todo) >= columnar.VECTOR_MIN:
            todo = self._vectorised(todo, typed)
        for text in todo:
            if not text or text.isspace():
                typed[text] = default
                continue
            try:
                value = (self.from_date_cell(text)
                         if self.from_date_cell and dated and text in dated
                         else self.convert(text))
                typed[text] = default if value is BLANK else value
            except (ValueError, KeyError) as exc:
                known[text] = str(exc)
                typed[text] = None
        values: Sequence[Any] = list(map(typed.__getitem__, texts)) if not self.packs else \
            self._held(texts, typed) if memo is not None else self._numbers(texts, typed)
        if memo is not None and len(memo) > MEMO_SIZE:
            self._forget()  # too many distinct texts to be worth keeping
        errors = {t: why for t, why in known.items() if t in distinct} if known else {}
        if memo is None:
            known.clear()
        return values, errors

    def _held(self, texts: list[str], memo: dict[str, Any]) -> Sequence[Any]:
        """The column of ``texts`` as codes of the memo's values; numbers (or a list) once
        the memo has more texts than a code can tell apart, and codes no more."""
        codes, table = self._codes, self._table
        # the memo only grows, in order: its texts after those coded are this chunk's new ones
        for text, value in islice(memo.items(), len(table), None):
            codes[text] = len(table)
            table.append(value)
        if len(table) <= Coded.LIMIT:
            return Coded(table, array("H", map(codes.__getitem__, texts)))
        self._forget()
        return self._numbers(texts, memo)

    @staticmethod
    def _numbers(texts: list[str], typed: dict[str, Any]) -> Sequence[Any]:
        """The column of ``texts`` as numbers when its values are, else as a list."""
        values = list(map(typed.__getitem__, texts))
        return Numbers.of(values) or values

    def _forget(self) -> None:
        """Keep no memo (nor codes) from now on: the column has too many distinct texts."""
        self._memo = None
        self._codes, self._table = {}, []  # the columns coded so far keep their table

    def _vectorised(self, texts: Collection[str], typed: dict[str, Any]) -> Collection[str]:
        """Type the texts in the strict common form of this column's type in C into
        ``typed``; the others (blanks, looser forms, errors) are left for ``convert``."""
        todo = [t for t in texts if t and not t.isspace()]
        found = columnar.typed(self.kind, todo)
        if found is None:
            return texts
        done, values = found
        typed.update(zip(done, values, strict=True))
        if len(done) == len(todo):  # every text read: only the blanks are left
            return [t for t in texts if not t or t.isspace()] if len(todo) < len(texts) else []
        return [t for t in texts if t not in typed]


def column_converter(spec: dict, doc: dict) -> ColumnConverter:
    kind = spec.get("type", "string")
    from_date_cell = None
    if kind in ("date", "datetime"):
        fmt = spec.get("format") or doc.get("date_format") or "yyyy-mm-dd"
        convert = date_parser(fmt, with_time=kind == "datetime")
        from_date_cell = iso_date if kind == "date" else iso_datetime
    else:
        convert = CONVERTERS[kind]
    steps = spec.get("normalize", ["trim"])
    if steps == ["trim"] and kind != "string" and not spec.get("aliases"):
        steps = []  # the converters of the other types ignore surrounding blanks themselves
    norm = normaliser(steps, spec.get("aliases")) if steps or spec.get("aliases") else None
    if norm is None:
        return ColumnConverter(convert, from_date_cell, kind if kind != "string" else "",
                               packs=True)

    def read(text: str) -> Any:
        value = norm(text)
        return BLANK if not value or value.isspace() else convert(value)

    return ColumnConverter(read, from_date_cell, packs=True)


def iso_date(text: str) -> str:
    """A workbook date cell's text (``2024-03-02 00:00:00``) as a date."""
    return datetime.fromisoformat(text.strip()).strftime("%Y-%m-%d")


def iso_datetime(text: str) -> str:
    """A workbook date cell's text as a date-time, to the nearest second (a workbook keeps
    times as fractions of a day: 10:05 may read as 10:04:59.999)."""
    moment = datetime.fromisoformat(text.strip()) + timedelta(microseconds=500_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class TypedProperty:
    """A typed property read from one column; ``index`` None: an optional column the file
    does not have, so every row has the default (None: the property is not set)."""

    __slots__ = ("name", "column", "index", "convert", "default")

    def __init__(self, name: str, spec: dict | str, doc: dict,
                 columns: Columns):
        spec = {"column": spec} if isinstance(spec, str) else spec
        self.name, self.column = name, spec["column"]
        self.index = (columns.optional(spec["column"]) if spec.get("optional")
                      else columns.index(spec["column"]))
        self.convert = column_converter(spec, doc)
        self.default = spec.get("default")

    def values(self, cells: Sequence[Cells], date_cells: dict[int, set[str]]
               ) -> tuple[Sequence[Any], dict[str, str]]:
        if self.index is None:
            return [self.default] * len(cells), {}
        index = self.index
        return self.convert.apply(cells_at(cells, index), self.default,
                                  date_cells.get(index, ()))


class Columns:
    """The columns of one file by name, as one table of the mapping (``what`` it is, its
    ``file`` pattern in ``table``) reads them."""

    def __init__(self, path: Path, table: dict[str, Any], names: list[str], what: str):
        self.path, self.table, self.names, self.what = path, table, names, what
        self.where = {name: i for i, name in enumerate(names)}

    def index(self, name: str) -> int:
        """The index of a column the table needs: a LoadError naming it when it is missing."""
        found = self.where.get(name)
        if found is None:
            raise LoadError(f"{self.path}: no column {shown(name)} (the mapping's {self.what} "
                            f"{shown(self.table['file'])} needs it); the columns are "
                            f"{listed(self.names)}")
        return found

    def optional(self, name: str) -> int | None:
        """The index of an optional column, None when the file does not have it."""
        return self.where.get(name)


def typed_columns(props: list[TypedProperty], cells: Sequence[Cells],
                  date_cells: dict[int, set[str]], failed: dict[int, tuple[str, str, str]]
                  ) -> list[tuple[str, Sequence[Any]]]:
    """Each property's typed column; the first column that does not convert, per row, goes
    into ``failed`` as (column, why, text)."""
    columns = []
    for prop in props:
        values, errors = prop.values(cells, date_cells)
        index = prop.index
        if errors and index is not None:  # a column the file does not have has no errors
            for i, row in enumerate(cells):
                text = row[index]
                if text in errors and i not in failed:
                    failed[i] = (prop.column, errors[text], text)
        columns.append((prop.name, values))
    return columns
