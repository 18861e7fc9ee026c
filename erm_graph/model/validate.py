"""Check records against the vocabulary before anything is written.

A node record is a flat dict: ``{"uid": ..., "name": ..., other properties}``. A relationship
record is ``{"start": uid, "end": uid, other properties}`` plus the labels of its two ends.
Each check returns :class:`~erm_graph.errors.Problem` objects naming the record, the field and
the expected form, so a loader can report every bad row at once instead of failing on the first.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from erm_graph import records
from erm_graph.errors import Problem, ValidationError
from erm_graph.model.effective import LABELS, RELATIONSHIPS
from erm_graph.model.vocabulary import (
    ANNOTATIONS,
    COMMON_PROPS,
    SYSTEM_PROPS,
    WHERE,
    Kind,
    Label,
    Prop,
    Relationship,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_SCALARS = (str, int, float, bool)


def label(name: str) -> Label:
    """The label called ``name``; an unknown name is an error that lists the known ones."""
    try:
        return LABELS[name]
    except KeyError:
        raise ValidationError([Problem("schema", "label", f"one of {sorted(LABELS)}", name)])\
            from None


def relationship(name: str) -> Relationship:
    """The relationship type called ``name``, or an error that lists the known ones."""
    try:
        return RELATIONSHIPS[name]
    except KeyError:
        raise ValidationError(
            [Problem("schema", "type", f"one of {sorted(RELATIONSHIPS)}", name)]) from None


def is_a(name: str, ancestor: str) -> bool:
    """True when a node labelled ``name`` also counts as ``ancestor`` (Customer is a Party)."""
    return name == ancestor or LABELS[name].parent == ancestor


def primary_label(labels: list[str] | tuple[str, ...]) -> str:
    """The most specific model label of a node: ``Customer`` for ``[Party, Customer]``."""
    known = [lab for lab in labels if lab in LABELS]
    for lab in known:
        if LABELS[lab].parent:
            return lab
    return known[0] if known else (labels[0] if labels else "?")


def check_value(prop: Prop, value: Any) -> str | None:
    """Why ``value`` does not fit ``prop``, or None when it does."""
    kind = prop.kind
    if kind is Kind.BOOL:
        ok = isinstance(value, bool)
    elif kind is Kind.INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is Kind.FLOAT:
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value))
    elif kind is Kind.DATE:
        ok = isinstance(value, str) and bool(_DATE.match(value))
    elif kind is Kind.DATETIME:
        ok = isinstance(value, str) and bool(_DATETIME.match(value))
    elif kind is Kind.STR_LIST:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        return kind.value
    if prop.choices and value not in prop.choices:
        return f"one of {', '.join(prop.choices)}"
    if prop.minimum is not None and value < prop.minimum:
        return f"{kind.value} >= {prop.minimum:g}"
    if prop.maximum is not None and value > prop.maximum:
        return f"{kind.value} <= {prop.maximum:g}"
    return None


def origin(record: Mapping[str, Any]) -> str | None:
    """Where a record came from, for messages: its ``source``, else its ``_where``."""
    return record.get("source") or record.get(WHERE)


class _Checker:
    """Checks the rows of one label or type column by column, fast enough for a million rows.

    Each property's distinct values are judged once: a column of a few choices, or the same
    employee on every row, costs one check, not one per row, and the loops that remain run
    in C (comprehensions, sets). Only a column with a bad value is walked again, to name its
    rows. A value is told apart by its type too, since ``True == 1`` and only one is an int.
    """

    def __init__(self, declared: Mapping[str, Prop], skip: Iterable[str]):
        self.declared = declared
        self.skip = frozenset(skip) | frozenset(ANNOTATIONS)

    def problems(self, rows: Sequence[Mapping[str, Any]]
                 ) -> dict[int, list[tuple[str, str, Any]]]:
        """Row index -> (field, expected, got) of each problem; rows without any are absent."""
        found: dict[int, list[tuple[str, str, Any]]] = defaultdict(list)
        columns: dict[str, Sequence[Any]] = {}

        def column_of(name: str) -> Sequence[Any]:
            if name not in columns:
                columns[name] = records.column(rows, name)
            return columns[name]

        for name, prop in self.declared.items():
            if prop.required:
                column = column_of(name)
                if None in column or "" in column:  # a scan in C; rows are found only then
                    for i in [i for i, v in enumerate(column) if v is None or v == ""]:
                        found[i].append((name, f"a value ({prop.kind.value})", None))
        for name in records.names(rows) - self.skip:
            column = column_of(name)
            if self._column_fits(name, column):
                continue
            try:
                distinct = set(zip(map(type, column), column, strict=True))
            except TypeError:  # lists: judged one by one
                bad = {i: why for i, v in enumerate(column)
                       if v is not None and (why := self._judge(name, v))}
            else:
                verdicts = {key: why for key in distinct
                            if key[1] is not None and (why := self._judge(name, key[1]))}
                bad = {i: verdicts[(type(v), v)] for i, v in enumerate(column)
                       if (type(v), v) in verdicts} if verdicts else {}
            for i, why in bad.items():
                found[i].append((name, why, column[i]))
        return found

    def _column_fits(self, name: str, column: Sequence[Any]) -> bool:
        """True when the whole column surely fits, told from its types and extremes alone:
        a column of 200k distinct amounts or provenance strings is not judged value by value.
        False means only "look closer"."""
        if name in SYSTEM_PROPS:
            return False
        # a compact column (each row's origin, a large table's) is texts, none missing
        present = {str} if isinstance(column, records.Compact) else set(map(type, column))
        types = present - {type(None)}
        values = column if types == present else [v for v in column if v is not None]
        prop = self.declared.get(name)
        if prop is None:
            return types <= {str, int, float, bool}
        if prop.choices and prop.kind is Kind.STR and types == {str}:
            return set(values).issubset(prop.choices)  # a kind, a channel: a few texts
        if prop.choices or not values:
            return not values
        if prop.kind is Kind.STR:
            return types == {str}
        if prop.kind is Kind.BOOL:
            return types == {bool}
        if prop.kind is Kind.INT and types == {int} or prop.kind is Kind.FLOAT and (
                types <= {int, float} and all(map(math.isfinite, values))):
            return ((prop.minimum is None or min(values) >= prop.minimum)
                    and (prop.maximum is None or max(values) <= prop.maximum))
        return False

    def _judge(self, name: str, value: Any) -> str | None:
        if name in SYSTEM_PROPS:
            return "not set by a loader (the store sets it)"
        prop = self.declared.get(name)
        if prop is not None:
            return check_value(prop, value)
        if isinstance(value, _SCALARS) or (
                isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)):
            return None
        return "a string, number, boolean or list of them"


def node_problems(label_name: str, rows: Iterable[Mapping[str, Any]],
                  where: str = "record") -> list[Problem]:
    """Every problem in ``rows`` as nodes of ``label_name``; duplicate uids are problems too."""
    spec = label(label_name)
    rows = rows if isinstance(rows, Sequence) else list(rows)
    found = _Checker({**COMMON_PROPS, **spec.props}, skip=("uid",)).problems(rows)
    uids = records.column(rows, "uid")
    # in C: rows only when one is wrong (the cast: all are str by then)
    if not (set(map(type, uids)) <= {str} and "" not in uids
            and not any(map(str.isspace, cast("list[str]", uids)))):
        for i, uid in enumerate(uids):
            if not isinstance(uid, str) or not uid.strip():
                found[i].append(("uid", "a non-empty string", uid))
    if len(set(uids)) < len(uids):
        seen: set[Any] = set()
        for i, uid in enumerate(uids):
            if uid in seen and isinstance(uid, str) and uid.strip():
                found[i].append(("uid", "unique within the batch", uid))
            seen.add(uid)
    return [Problem(f"{where} {i + 1} ({label_name} {uids[i]!r})", *problem)
            for i in sorted(found) for problem in found[i]]


def relationship_problems(type_name: str, start_label: str, end_label: str,
                          rows: Iterable[Mapping[str, Any]],
                          where: str = "record") -> list[Problem]:
    """Every problem in ``rows`` as ``(start_label)-[type_name]->(end_label)`` records."""
    spec = relationship(type_name)
    label(start_label), label(end_label)
    problems: list[Problem] = []
    if not any(is_a(start_label, s) for s in spec.starts):
        problems.append(Problem(f"{type_name} relationships", "start label",
                                f"one of {', '.join(spec.starts)}", start_label))
    if not any(is_a(end_label, e) for e in spec.ends):
        problems.append(Problem(f"{type_name} relationships", "end label",
                                f"one of {', '.join(spec.ends)}", end_label))
    elif spec.same_ends and label(start_label).key_label != label(end_label).key_label:
        problems.append(Problem(f"{type_name} relationships", "end label",
                                f"{label(start_label).key_label}, as the start", end_label))
    rows = rows if isinstance(rows, Sequence) else list(rows)
    found = _Checker(spec.props, skip=("start", "end")).problems(rows)
    for end in ("end", "start"):  # each put first: start, end, then the properties
        uids = records.column(rows, end)
        if set(map(type, uids)) <= {str} and "" not in uids:  # in C: rows only if not
            continue
        for i in [i for i, v in enumerate(uids) if not isinstance(v, str) or not v]:
            found[i].insert(0, (end, "the uid of an existing node", uids[i]))
    return problems + [
        Problem(f"{where} {i + 1} ({type_name} {rows[i].get('start')!r}->"
                f"{rows[i].get('end')!r})", *problem)
        for i in sorted(found) for problem in found[i]]


def validate_nodes(label_name: str, rows: list[Mapping[str, Any]], where: str = "record") -> None:
    """Raise :class:`ValidationError` listing every problem in ``rows``, if any."""
    problems = node_problems(label_name, rows, where)
    if problems:
        raise ValidationError(problems)


def validate_relationships(type_name: str, start_label: str, end_label: str,
                           rows: list[Mapping[str, Any]], where: str = "record") -> None:
    problems = relationship_problems(type_name, start_label, end_label, rows, where)
    if problems:
        raise ValidationError(problems)
