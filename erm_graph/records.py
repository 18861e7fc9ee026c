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

Two columns of a large table hold a text per row that is made from a number: each row's
origin (``mapping:file.csv#42``) and its fingerprint (16 hex digits). As strings they were
the largest part of what a million-row load held before it wrote (docs/loaders.md, "Speed and
memory"); :class:`Numbered` and :class:`Hex64` keep the numbers in a machine array and make
each text when it is read. Records take such a column as it is and keep it compact while
columns of its kind are added to it; anything else (a row appended, a value assigned) turns
it into a list first.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any, Self, cast, overload

from erm_graph.seen_keys import all_distinct


class Compact(Sequence[str]):
    """A column of texts each made from one integer of an array: read as a sequence of
    strings, held as the numbers."""

    __slots__ = ("numbers",)

    def __init__(self, numbers: array[int]):
        self.numbers = numbers

    def text(self, number: int) -> str:
        raise NotImplementedError

    def number(self, text: str) -> int | None:
        """The number ``text`` is made from; None when no number makes it."""
        raise NotImplementedError

    def like(self, numbers: array[int]) -> Self:
        """A column of this kind (and prefix) holding ``numbers``."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.numbers)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> str | Self:
        if isinstance(index, slice):
            return self.like(self.numbers[index])
        return self.text(self.numbers[index])

    def __iter__(self) -> Iterator[str]:
        return map(self.text, self.numbers)  # the kinds below make their texts in C

    def __contains__(self, value: object) -> bool:
        number = self.number(value) if isinstance(value, str) else None
        return number is not None and number in self.numbers

    def count(self, value: object) -> int:
        number = self.number(value) if isinstance(value, str) else None
        return 0 if number is None else self.numbers.count(number)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Compact) and self.kind() == other.kind():
            return self.numbers == other.numbers
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list is

    def kind(self) -> tuple[Any, ...]:
        """What a column must share with this one to be added to it as numbers."""
        return (type(self),)

    def pick(self, indexes: Iterable[int]) -> Self:
        """The texts at ``indexes``, in their order, as a column of this kind."""
        numbers = self.numbers
        return self.like(array(numbers.typecode, map(numbers.__getitem__, indexes)))

    def copy(self) -> Self:
        return self.like(array(self.numbers.typecode, self.numbers))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} texts)"


class Numbered(Compact):
    """Texts made of one prefix and a decimal number: the origins of a table's rows
    (``prefix`` ``mapping:accounts.csv#``, the numbers their lines)."""

    __slots__ = ("prefix",)

    def __init__(self, prefix: str, numbers: Iterable[int] = ()):
        super().__init__(numbers if isinstance(numbers, array) else array("q", numbers))
        self.prefix = prefix

    def text(self, number: int) -> str:
        return self.prefix + str(number)

    def __iter__(self) -> Iterator[str]:
        return map(self.prefix.__add__, map(str, self.numbers))

    def number(self, text: str) -> int | None:
        digits = text[len(self.prefix):] if text.startswith(self.prefix) else ""
        # only the text this column would make of a 64-bit number: not "+7", "07" or "٧"
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
            return None
        return int(digits) if str(int(digits)) == digits else None

    def like(self, numbers: array[int]) -> Numbered:
        return Numbered(self.prefix, numbers)

    def kind(self) -> tuple[Any, ...]:
        return (Numbered, self.prefix)

    def prefixed(self, prefix: str) -> Numbered:
        """The same numbers after ``prefix`` and this column's own prefix."""
        return Numbered(prefix + self.prefix, self.numbers)


class Hex64(Compact):
    """Texts of 16 lower-case hex digits: 64-bit fingerprints, held as unsigned integers."""

    __slots__ = ()

    def __init__(self, numbers: Iterable[int] = ()):
        super().__init__(numbers if isinstance(numbers, array) else array("Q", numbers))

    def text(self, number: int) -> str:
        return f"{number:016x}"

    def __iter__(self) -> Iterator[str]:
        """The texts, cut from one hex text of all the numbers' bytes: a format per number,
        even mapped in C, costs more than the one conversion and the cuts, and a load reads
        every fingerprint (the store's question which rows are stale, the writer's
        payloads)."""
        numbers = array("Q", self.numbers)
        if sys.byteorder == "little":  # a hex text reads the bytes as big-endian numbers
            numbers.byteswap()
        text = numbers.tobytes().hex()
        return map(text.__getitem__, map(slice, range(0, len(text), 16),
                                          range(16, len(text) + 16, 16)))

    def number(self, text: str) -> int | None:
        # int() would take "0x…", "_" and upper case too: texts this column never makes
        return int(text, 16) if len(text) == 16 and _HEX.issuperset(text) else None

    def like(self, numbers: array[int]) -> Hex64:
        return Hex64(numbers)


_HEX = frozenset("0123456789abcdef")


def _grown(column: list[Any] | Compact, values: Sequence[Any]) -> list[Any] | Compact:
    """``column`` with ``values`` after it: in place when it can, a compact column kept
    compact when ``values`` is one of its kind."""
    if isinstance(column, Compact):
        if isinstance(values, Compact) and values.kind() == column.kind():
            column.numbers.extend(values.numbers)
            return column
        column = list(column)
    column.extend(values)
    return column


class Records(Sequence[dict[str, Any]]):
    """Rows as one list per name, every list as long as the records."""

    def __init__(self, columns: dict[str, list[Any] | Compact] | None = None, length: int = 0):
        self.columns: dict[str, list[Any] | Compact] = columns or {}
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

    def column(self, name: str) -> Sequence[Any]:
        """Each record's ``name``, None where it has none (the column itself: not to
        change)."""
        found = self.columns.get(name)
        return found if found is not None else [None] * self.length

    def names(self) -> set[str]:
        """The names some record has a value for: what ``set().union(*rows)`` gives of dicts."""
        if not self.length:
            return set()
        return {name for name, values in self.columns.items()  # most columns: a look
                if values[0] is not None or values.count(None) < self.length}

    # -- building and changing --------------------------------------------------------------
    def extend_columns(self, columns: Mapping[str, Sequence[Any]], length: int) -> None:
        """Add ``length`` records given as columns; a name missing on either side is None.
        A compact column is copied as it is (to records that had none of that name)."""
        for name, values in columns.items():
            found = self.columns.get(name)
            if found is None and not self.length and isinstance(values, Compact):
                self.columns[name] = values.copy()
            else:
                self.columns[name] = _grown([None] * self.length if found is None else found,
                                            values)
        self.length += length
        for name, values in self.columns.items():
            if len(values) < self.length:
                self.columns[name] = _grown(values, [None] * (self.length - len(values)))

    def append(self, row: Mapping[str, Any]) -> None:
        columns = self.columns
        for name, value in row.items():
            found = columns.get(name)
            if not isinstance(found, list):  # none yet, or compact: a list to add to
                found = columns[name] = [None] * self.length if found is None else list(found)
            found.append(value)
        self.length += 1
        if len(row) < len(columns):  # names the row lacks: None
            for name, values in columns.items():
                if len(values) < self.length:
                    columns[name] = _grown(values, [None])

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        if isinstance(rows, Records):
            self.extend_columns(rows.columns, rows.length)
            return
        for row in rows:
            self.append(row)

    def assign(self, index: int, name: str, value: Any) -> None:
        """Set record ``index``'s ``name`` (None removes it)."""
        found = self.columns.get(name)
        if not isinstance(found, list):  # none yet, or compact: a list to change
            found = self.columns[name] = [None] * self.length if found is None else list(found)
        found[index] = value


def column(rows: Sequence[Mapping[str, Any]], name: str) -> Sequence[Any]:
    """Each row's ``name`` (None where a row has none): the column itself for records."""
    if isinstance(rows, Records):
        return rows.column(name)
    try:
        return list(map(itemgetter(name), rows))  # in C, when every row has it
    except KeyError:
        return [row.get(name) for row in rows]


def pick(values: Sequence[Any], indexes: Iterable[int]) -> Sequence[Any]:
    """The values at ``indexes``, in their order: a compact column stays compact."""
    if isinstance(values, Compact):
        return values.pick(indexes)
    return list(map(values.__getitem__, indexes))


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
    if all_distinct(ends) or all_distinct(starts):
        return Pairs(starts, ends)
    return list(dict.fromkeys(zip(starts, ends, strict=True)))
