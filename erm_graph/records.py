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
each text when it is read. The typed values of a table's property columns are held the same
way (:class:`Numbers`: floats or ints in a machine array; :class:`Coded`: a column of few
distinct values as a small number per row into a list of them). Records take such a column
as it is and keep it compact while columns of its kind are added to it; anything else (a row
appended, a value assigned) turns it into a list first.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, repeat
from operator import is_, itemgetter
from typing import Any, Self, cast, overload

from erm_graph.seen_keys import all_distinct


class Packed(Sequence[Any]):
    """A column held in machine arrays and read as the Python values it stands for, each made
    when read: a reader cannot tell it from the list it replaces (in type and value), and
    it is not changed in place but by :class:`Records`, which makes it a list first."""

    __slots__ = ()

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> Any:
        raise NotImplementedError

    def grow(self, values: Sequence[Any]) -> bool:
        """Add ``values`` in place when they can be held this way; False when not (nothing
        added)."""
        raise NotImplementedError

    def pick(self, indexes: Iterable[int]) -> Self:
        """The values at ``indexes``, in their order, as a column of this kind."""
        raise NotImplementedError

    def copy(self) -> Self:
        raise NotImplementedError

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list is


class Compact(Packed):
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

    def grow(self, values: Sequence[Any]) -> bool:
        if isinstance(values, Compact) and values.kind() == self.kind():
            self.numbers.extend(values.numbers)
            return True
        return False

    def pick(self, indexes: Iterable[int]) -> Self:
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

    def json(self) -> str:
        """The texts as a JSON list, made from one hex text of all the numbers' bytes with a
        mark between numbers, not from a string per text: the store's question which rows
        of a chunk are stale sends every fingerprint of an unchanged file
        (:func:`erm_graph.store.falkordb_store.params_header`)."""
        if not self.numbers:
            return "[]"
        numbers = array("Q", self.numbers)
        if sys.byteorder == "little":  # a hex text reads the bytes as big-endian numbers
            numbers.byteswap()
        return '["' + numbers.tobytes().hex(",", 8).replace(",", '","') + '"]'

    def like(self, numbers: array[int]) -> Hex64:
        return Hex64(numbers)


_HEX = frozenset("0123456789abcdef")
#: what a column of numbers holds where a value is None (``Numbers.missing`` says which)
_FILLERS = {"d": float("nan"), "q": 0}
#: values a column of numbers turns into a list at a time when some are None
_BLOCK = 4096


class Numbers(Packed):
    """Floats (a machine array of doubles) or ints (of 64-bit integers), None where
    ``missing`` holds a 1: a typed column of amounts or counts, where a list holds a
    pointer and a float or int object per row. A double keeps a float's every bit (-0.0,
    infinities, NaN); an int beyond 64 bits, a bool or a subclass is never held so
    (:meth:`of` declines)."""

    __slots__ = ("missing", "values")

    def __init__(self, values: array[Any], missing: bytearray | None = None):
        self.values = values
        #: one byte per value, 1 where it is None; None when no value is
        self.missing = missing if missing is not None and 1 in missing else None

    @classmethod
    def of(cls, values: Sequence[Any], typecode: str = "") -> Numbers | None:
        """``values`` as a column of numbers when each is a float (or each an int of 64
        bits) or None, and not all are None unless ``typecode`` says which numbers; else
        None."""
        if isinstance(values, Numbers):
            return values if values.values.typecode == (typecode or values.values.typecode) \
                else None
        types = set(map(type, values))
        none = type(None) in types
        types.discard(type(None))
        if len(types) > 1:
            return None
        found = {float: "d", int: "q"}.get(types.pop()) if types else typecode
        if not found or typecode and found != typecode:
            return None
        missing = None
        if none:  # the filler where a value is None: a NaN never equals a value looked for
            missing = bytearray(map(is_, values, repeat(None)))
            filler = _FILLERS[found]
            values = [filler if value is None else value for value in values]
        try:
            return cls(array(found, values), missing)
        except OverflowError:  # an int beyond 64 bits
            return None

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> Any:
        missing = self.missing
        if isinstance(index, slice):
            return Numbers(self.values[index], None if missing is None else missing[index])
        value = self.values[index]  # first: an index out of range raises as a list's
        return None if missing is not None and missing[index] else value

    def __iter__(self) -> Iterator[Any]:
        if self.missing is None:
            return iter(self.values)
        return chain.from_iterable(map(self._block, range(0, len(self.values), _BLOCK)))

    def _block(self, start: int) -> list[Any]:
        """The values from ``start`` on, ``_BLOCK`` of them, as a list with its Nones."""
        missing, end = cast(bytearray, self.missing), start + _BLOCK
        values = self.values[start:end].tolist()
        at = missing.find(1, start, end)
        while at >= 0:
            values[at - start] = None
            at = missing.find(1, at + 1, end)
        return values

    def __contains__(self, value: object) -> bool:
        if value is None:
            return self.missing is not None
        if self.missing is not None and value == _FILLERS[self.values.typecode]:
            return value in iter(self)  # an int column's filler 0 is no value
        return value in self.values

    def count(self, value: object) -> int:
        missing = self.missing
        if value is None:
            return 0 if missing is None else missing.count(1)
        found = self.values.count(value)
        if missing is not None and value == _FILLERS[self.values.typecode]:
            found -= missing.count(1)
        return found

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Numbers) and self.missing is None is other.missing:
            return self.values == other.values
        return isinstance(other, Sequence) and list(self) == list(other)

    def grow(self, values: Sequence[Any]) -> bool:
        made = Numbers.of(values, self.values.typecode)
        if made is None:
            return False
        if made.missing is not None or self.missing is not None:
            missing = self.missing if self.missing is not None else \
                bytearray(len(self.values))
            missing += made.missing if made.missing is not None else bytes(len(made))
            self.missing = missing
        self.values.extend(made.values)
        return True

    def pick(self, indexes: Iterable[int]) -> Numbers:
        indexes = indexes if isinstance(indexes, Sequence) else list(indexes)
        values = array(self.values.typecode, map(self.values.__getitem__, indexes))
        missing = self.missing
        return Numbers(values, None if missing is None else
                       bytearray(map(missing.__getitem__, indexes)))

    def copy(self) -> Numbers:
        return Numbers(array(self.values.typecode, self.values),
                       None if self.missing is None else bytearray(self.missing))

    def __repr__(self) -> str:
        return f"Numbers({len(self)} values of {self.values.typecode!r})"


class Coded(Packed):
    """A column of few distinct values (a kind, a channel, a date, a score of a few
    hundred): per row the index of its value in ``table``, two bytes where a list holds a
    pointer. Each value read is the table's very object, so type and identity are those of
    the list. A table is only ever added to (several columns share it), never changed."""

    __slots__ = ("codes", "table")

    #: the most values a table may have: a code is two bytes
    LIMIT = 1 << 16

    def __init__(self, table: list[Any], codes: array[int]):
        self.table, self.codes = table, codes

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Coded(self.table, self.codes[index])
        return self.table[self.codes[index]]

    def __iter__(self) -> Iterator[Any]:
        return map(self.table.__getitem__, self.codes)

    def _matching(self, value: object) -> list[int]:
        """The codes whose value is ``value``, as a list finds it: those of the whole table
        when it is the shorter (most may be in no row of this column), else those in it."""
        table = self.table
        codes = range(len(table)) if len(table) <= len(self.codes) else set(self.codes)
        return [code for code in codes if table[code] is value or table[code] == value]

    def __contains__(self, value: object) -> bool:
        codes = self.codes
        return any(code in codes for code in self._matching(value))

    def count(self, value: object) -> int:
        return sum(map(self.codes.count, self._matching(value)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Coded) and other.table is self.table:
            return self.codes == other.codes
        return isinstance(other, Sequence) and list(self) == list(other)

    def grow(self, values: Sequence[Any]) -> bool:
        if isinstance(values, Coded) and values.table is self.table:
            self.codes.extend(values.codes)
            return True
        return False

    def pick(self, indexes: Iterable[int]) -> Coded:
        return Coded(self.table, array("H", map(self.codes.__getitem__, indexes)))

    def copy(self) -> Coded:
        return Coded(self.table, array("H", self.codes))

    def __repr__(self) -> str:
        return f"Coded({len(self)} values of {len(self.table)})"


def _grown(column: list[Any] | Packed, values: Sequence[Any]) -> list[Any] | Packed:
    """``column`` with ``values`` after it: in place when it can, a compact column kept
    compact when ``values`` can be held its way. A column of codes followed by numbers (a
    converter stops coding a column that turns out to have many distinct values) becomes
    one of numbers if its values are."""
    if isinstance(column, Packed):
        if column.grow(values):
            return column
        numbers = Numbers.of(column) if isinstance(values, Numbers) else None
        if numbers is not None and numbers.grow(values):
            return numbers
        column = list(column)
    column.extend(values)
    return column


class Records(Sequence[dict[str, Any]]):
    """Rows as one list per name, every list as long as the records."""

    def __init__(self, columns: dict[str, list[Any] | Packed] | None = None, length: int = 0):
        self.columns: dict[str, list[Any] | Packed] = columns or {}
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
            if found is None and not self.length and isinstance(values, Packed):
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
    if isinstance(values, Packed):
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
