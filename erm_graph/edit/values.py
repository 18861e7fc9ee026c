"""Text typed by the model: what a person writes on the command line (``severity=2``) or in a
form field becomes the value the property's kind declares (2, not "2").

The model says what each property is (:class:`erm_graph.model.Prop`), so nothing is guessed:
``tier=2`` is an integer because ``tier`` is one, and ``name=2`` stays the text "2". A value
that cannot be read as its kind is kept as the text, so that the model's check names the field
and the form it expects (the same message a load gives). An empty text is "no value": it clears
the property.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erm_graph.errors import ErmError
from erm_graph.model import COMMON_PROPS, Kind, Prop, current

_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


def typed(prop: Prop | None, text: str) -> Any:
    """``text`` as a value of ``prop``'s kind; None for an empty text (clears it). A property
    the model does not declare stays text."""
    text = text.strip()
    if text == "":
        return None
    kind = prop.kind if prop is not None else Kind.STR
    try:
        if kind is Kind.INT:
            return int(text)
        if kind is Kind.FLOAT:
            return float(text)
    except ValueError:
        return text
    if kind is Kind.BOOL:
        low = text.lower()
        return True if low in _TRUE else False if low in _FALSE else text
    if kind is Kind.STR_LIST:
        return [part.strip() for part in text.split(";") if part.strip()]
    if kind is Kind.DATETIME and len(text) == 16:  # a datetime-local field: no seconds
        return f"{text}:00"
    return text


def pairs(items: list[str]) -> dict[str, str]:
    """``key=value`` arguments as text by key; a pair without ``=`` is an error naming it."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ErmError(f"{item!r} is not of the form key=value (e.g. --set severity=2; "
                           f"an empty value clears the property: --set resolution=)")
        found[key.strip()] = value
    return found


def typed_all(props: Mapping[str, Prop], texts: Mapping[str, str]) -> dict[str, Any]:
    """Each text typed by the property of its name in ``props``."""
    return {key: typed(props.get(key), text) for key, text in texts.items()}


def from_form(props: Mapping[str, Prop], values: Mapping[str, Any]) -> dict[str, Any]:
    """A form's values (JSON): text typed by the model as the CLI's is, other JSON values
    (numbers, booleans, lists, null) as sent, for the model's check to judge."""
    return {key: typed(props.get(key), value) if isinstance(value, str) else value
            for key, value in values.items()}


def declared(name: str) -> dict[str, Prop]:
    """The properties of the label or relationship type ``name`` in the model in force
    (a label's common ones too); empty for a name the model lacks."""
    vocabulary = current()
    if name in vocabulary.labels:
        return {**COMMON_PROPS, **vocabulary.labels[name].props}
    if name in vocabulary.relationships:
        return dict(vocabulary.relationships[name].props)
    return {}
