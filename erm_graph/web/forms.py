"""How a named query's parameters show as form fields for people who do not know uids.

Each declared type gets its own input (a date picker for a date, a number box for a number,
a select for choices or a boolean, a comma list for a list), and a parameter that the
statement matches as a node's uid (``MATCH (c:Party {uid: $uid})``) gets a type-ahead search
by name over that label (``/api/search``), so a relationship officer types "Acme", not
``cust-000001``. The label comes from the statement itself, so the header needs nothing more.

The same conventions draw a record's form (:func:`record_form`, the web app's add and edit
pages): each property of the model by its kind and choices, each relationship with a look-up
by name of the labels at its other end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from erm_graph.model import COMMON_PROPS, SYSTEM_PROPS, Kind, Prop, current
from erm_graph.query.explore import searchable
from erm_graph.query.library import NamedQuery, Param, strip_literals

_UID_MATCH = re.compile(r"\(\s*\w*\s*:\s*(\w+)\s*\{\s*uid\s*:\s*\$(\w+)\s*\}")
_INPUTS = {"date": "date", "datetime": "datetime-local", "integer": "number", "number": "number"}


@dataclass(frozen=True)
class Field:
    """One parameter as the queries page draws it."""

    param: Param
    #: ``select``, ``lookup`` (type-ahead by name), ``list`` or an ``<input type>``
    widget: str
    #: the label searched by a ``lookup``
    label: str = ""

    @property
    def step(self) -> str:
        return "1" if self.param.type == "integer" else "any"


def lookup_labels(query: NamedQuery) -> dict[str, str]:
    """Parameter -> label, for each parameter the statement matches as a searchable node's
    uid."""
    names = set(searchable())
    return {param: label for label, param in _UID_MATCH.findall(strip_literals(query.cypher))
            if label in names and param in query.params}


def fields(query: NamedQuery) -> list[Field]:
    """The form fields of ``query``, in the header's order."""
    lookups = lookup_labels(query)
    out = []
    for p in query.params.values():
        if p.choices or p.type == "boolean":
            out.append(Field(p, "select"))
        elif p.name in lookups:
            out.append(Field(p, "lookup", lookups[p.name]))
        elif p.type == "list[string]":
            out.append(Field(p, "list"))
        else:
            out.append(Field(p, _INPUTS.get(p.type, "text")))
    return out


# -- records: a form for any label and relationship type of the model ---------------------------
#: the model's kinds as the browser's inputs (text for the rest; a list is `a; b; c`)
_KIND_INPUTS = {Kind.INT: "number", Kind.FLOAT: "number", Kind.DATE: "date",
                Kind.DATETIME: "datetime-local", Kind.STR_LIST: "list"}
#: free-text properties drawn as a text area
LONG_TEXT = frozenset({"notes", "summary", "resolution", "text", "address"})


def prop_field(name: str, prop: Prop) -> dict[str, Any]:
    """One property as a form field: its input, and what the model says of its values."""
    if prop.choices or prop.kind is Kind.BOOL:
        widget = "select"
    elif prop.kind is Kind.STR and name in LONG_TEXT:
        widget = "textarea"
    else:
        widget = _KIND_INPUTS.get(prop.kind, "text")
    return {"name": name, "widget": widget, "kind": prop.kind.value,
            "required": prop.required,
            "choices": list(prop.choices) or (["true", "false"] if prop.kind is Kind.BOOL
                                              else []),
            "minimum": prop.minimum, "maximum": prop.maximum,
            "step": "1" if prop.kind is Kind.INT else "any", "help": prop.help}


def record_form(label: str) -> dict[str, Any]:
    """The form of a ``label`` record: its properties (name first, the store's own left out)
    and the relationships it may have, each with the labels at its other end (looked up by
    name)."""
    vocabulary = current()
    spec = vocabulary.labels[label]
    props = {"name": COMMON_PROPS["name"], **spec.props}
    fields_ = [prop_field(name, prop) for name, prop in props.items()
               if name not in SYSTEM_PROPS]
    ancestry = {label, *([spec.parent] if spec.parent else [])}
    ties = []
    for rel in vocabulary.relationships.values():
        for outgoing, mine, others in ((True, rel.starts, rel.ends), (False, rel.ends,
                                                                       rel.starts)):
            if ancestry & set(mine) and rel.name != "RESPONSIBLE_FOR":
                if rel.same_ends:  # REPORTS_TO: to its own label only
                    others = tuple(o for o in others if o in ancestry)
                ties.append({"type": rel.name, "direction": "out" if outgoing else "in",
                             "labels": list(others), "help": rel.help,
                             "fields": [prop_field(n, p) for n, p in rel.props.items()]})
    return {"label": label, "help": spec.help, "fields": fields_, "relationships": ties}
