"""`Records`: the rows of one label or relationship type held as columns.

A table of a million rows made a dict per node and per relationship: 270 and 180 bytes of
dict for every row before any value, and the checks, the dangling-end check and the writer
then took each column back out of the dicts row by row. Records keep one list per property
(a pointer per value) and hand those lists to the code that works column by column
(:meth:`column`, :meth:`names`); everything else sees an ordinary sequence of dicts, made
when read.

A row's dict leaves out its None values, as a loader's dict leaves out a blank cell. The
dicts are made afresh at each read, so a change to one is lost: code that changes records
in place goes through :meth:`assign`. The mapping loader builds its batches as records, a
table's columns at a time, and the interchange loaders (Neo4j admin-import CSV, GraphML) a
record at a time; the flowchart loaders' batches, a few thousand rows at most, stay lists of
dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any, cast, overload


class Records(Sequence[dict[str, Any]]):
    """Rows as one list per name, every list as long as the records."""

    def __init__(self, columns: dict[str, list[Any]] | None = None, length: int = 0):
        self.columns: dict[str, list[Any]] = columns or {}
        self.length = length

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> Records:
        """Records holding ``rows`` (records already are: returned as they are)."""
        if isinstance(rows, Records):
            return rows
        made = cls()
        made.extend(rows)
        return made

    # -- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Records: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | Records:
        if isinstance(index, slice):
            columns = {name: values[index] for name, values in self.columns.items()}
            return Records(columns, len(range(*index.indices(self.length))))
        if not -self.length <= index < self.length:
            raise IndexError(index)
        return {name: values[index] for name, values in self.columns.items()
                if values[index] is not None}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names, values = list(self.columns), self.columns.values()
        if not names:  # records without a value
            return (dict() for _ in range(self.length))
        rows = zip(*values, strict=True)
        if not any(None in column for column in values):  # most batches: dicts made in C
            return map(dict, map(zip, repeat(names), rows))
        return ({name: value for name, value in zip(names, row, strict=True) if value is not None}
                for row in rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list is

    def __repr__(self) -> str:
        return f"Records({self.length} rows of {sorted(self.columns)})"

    def column(self, name: str) -> list[Any]:
        """Each record's ``name``, None where it has none (the list itself: not to change)."""
        found = self.columns.get(name)
        return found if found is not None else [None] * self.length

    def names(self) -> set[str]:
        """The names some record has a value for: what ``set().union(*rows)`` gives of dicts."""
        if not self.length:
            return set()
        return {name for name, values in self.columns.items()  # most columns: a look
                if values[0] is not None or values.count(None) < self.length}

    # -- building and changing --------------------------------------------------------------
    def extend_columns(self, columns: Mapping[str, list[Any]], length: int) -> None:
        """Add ``length`` records given as columns; a name missing on either side is None."""
        for name, values in columns.items():
            if name not in self.columns:
                self.columns[name] = [None] * self.length
            self.columns[name].extend(values)
        self.length += length
        for values in self.columns.values():
            if len(values) < self.length:
                values.extend(repeat(None, self.length - len(values)))

    def append(self, row: Mapping[str, Any]) -> None:
        columns = self.columns
        for name, value in row.items():
            found = columns.get(name)
            if found is None:
                found = columns[name] = [None] * self.length
            found.append(value)
        self.length += 1
        if len(row) < len(columns):  # names the row lacks: None
            for values in columns.values():
                if len(values) < self.length:
                    values.append(None)

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        if isinstance(rows, Records):
            self.extend_columns(rows.columns, rows.length)
            return
        for row in rows:
            self.append(row)

    def assign(self, index: int, name: str, value: Any) -> None:
        """Set record ``index``'s ``name`` (None removes it)."""
        if name not in self.columns:
            self.columns[name] = [None] * self.length
        self.columns[name][index] = value


def column(rows: Sequence[Mapping[str, Any]], name: str) -> list[Any]:
    """Each row's ``name`` (None where a row has none): the column itself for records."""
    if isinstance(rows, Records):
        return rows.column(name)
    try:
        return list(map(itemgetter(name), rows))  # in C, when every row has it
    except KeyError:
        return [row.get(name) for row in rows]


def names(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """The names the rows have (a record's None is no value)."""
    if isinstance(rows, Records):
        return rows.names()
    return set().union(*rows)


def assign(rows: Sequence[Mapping[str, Any]], index: int, name: str, value: Any) -> None:
    """Set row ``index``'s ``name`` in place (None removes it): the one way to change a
    record that works on records too."""
    if isinstance(rows, Records):
        rows.assign(index, name, value)
        return
    row = cast(dict[str, Any], rows[index])
    if value is None:
        row.pop(name, None)
    else:
        row[name] = value


class Pairs(Sequence[tuple[str, str]]):
    """(start, end) pairs read from two columns, made a slice at a time: a large load need
    not hold all its pairs as tuples, nor the dict that found them distinct."""

    def __init__(self, starts: Sequence[str], ends: Sequence[str]):
        self.starts, self.ends = starts, ends

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, str] | list[tuple[str, str]]:
        if isinstance(index, slice):
            return list(zip(self.starts[index], self.ends[index], strict=True))
        return self.starts[index], self.ends[index]


def distinct_pairs(starts: Sequence[str], ends: Sequence[str]) -> Sequence[tuple[str, str]]:
    """The distinct (start, end) pairs of two columns, in their order. When one side has no
    uid twice (an interaction's own relationships) no pair can repeat: the columns are read
    as they are, a slice at a time."""
    if len(set(ends)) == len(ends) or len(set(starts)) == len(starts):
        return Pairs(starts, ends)
    return list(dict.fromkeys(zip(starts, ends, strict=True)))
