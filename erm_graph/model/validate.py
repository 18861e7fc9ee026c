"""Check records against the vocabulary before anything is written.

A node record is a flat dict: ``{"uid": ..., "name": ..., other properties}``. A relationship
record is ``{"start": uid, "end": uid, other properties}`` plus the labels of its two ends.
Each check returns :class:`~erm_graph.errors.Problem` objects naming the record, the field and
the expected form, so a loader can report every bad row at once instead of failing on the first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from erm_graph.errors import Problem, ValidationError
from erm_graph.model.vocabulary import (
    COMMON_PROPS,
    LABELS,
    RELATIONSHIPS,
    SYSTEM_PROPS,
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


def _check_props(where: str, record: Mapping[str, Any], declared: Mapping[str, Prop],
                 skip: Iterable[str] = ()) -> list[Problem]:
    problems: list[Problem] = []
    for name, prop in declared.items():
        if prop.required and record.get(name) in (None, ""):
            problems.append(Problem(where, name, f"a value ({prop.kind.value})", None))
    skipped = set(skip)
    for name, value in record.items():
        if name in skipped or value is None:
            continue
        if name in SYSTEM_PROPS:
            problems.append(Problem(where, name, "not set by a loader (the store sets it)",
                                    value))
            continue
        prop = declared.get(name)
        if prop is not None:
            why = check_value(prop, value)
        elif isinstance(value, _SCALARS) or (
                isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)):
            why = None
        else:
            why = "a string, number, boolean or list of them"
        if why:
            problems.append(Problem(where, name, why, value))
    return problems


def node_problems(label_name: str, rows: Iterable[Mapping[str, Any]],
                  where: str = "record") -> list[Problem]:
    """Every problem in ``rows`` as nodes of ``label_name``; duplicate uids are problems too."""
    spec = label(label_name)
    declared = {**COMMON_PROPS, **spec.props}
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        place = f"{where} {i + 1} ({label_name} {row.get('uid')!r})"
        problems += _check_props(place, row, declared, skip=("uid",))
        uid = row.get("uid")
        if not isinstance(uid, str) or not uid.strip():
            problems.append(Problem(place, "uid", "a non-empty string", uid))
        elif uid in seen:
            problems.append(Problem(place, "uid", "unique within the batch", uid))
        else:
            seen.add(uid)
    return problems


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
    for i, row in enumerate(rows):
        place = f"{where} {i + 1} ({type_name} {row.get('start')!r}->{row.get('end')!r})"
        for end in ("start", "end"):
            if not isinstance(row.get(end), str) or not row[end]:
                problems.append(Problem(place, end, "the uid of an existing node", row.get(end)))
        problems += _check_props(place, row, spec.props, skip=("start", "end"))
    return problems


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
