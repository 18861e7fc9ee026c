"""The enterprise's own vocabulary: a model extension file, read and checked.

An extension (``schemas/model-extension.schema.json``, docs/model-extension.md) adds to the
built-in vocabulary and never changes it: extra properties of existing labels and
relationship types, extra values of existing choice properties, new labels, and new
relationship types with the labels they join. Its names end up in Cypher as labels, types
and property keys, so each must match an allow-list pattern (letters, digits and ``_``,
nothing a statement could be built from), and nothing it declares may shadow a built-in name.

:func:`read_extension` refuses a file with every mistake in it at once, each named by the
file, its line and the field; :class:`Extension` is what it found, and
:mod:`erm_graph.model.effective` merges it with the built-ins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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

SCHEMA = "model-extension.schema.json"
#: the name an extension is kept under in the embedded data directory
FILE_NAME = "model-extension.yaml"
#: the largest extension file read: a vocabulary is a page or two of YAML
MAX_BYTES = 256 * 1024

LABEL_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: labels the store writes for its own bookkeeping (the load journal's ``PendingLoad``, a
#: server's ``LoadLock``); an extension may not take them (tests/test_model_extension.py
#: holds this list to the constants of erm_graph/ingest/journal.py and store/load_lock.py)
RESERVED_LABELS = ("PendingLoad", "LoadLock")

#: the types a property may be declared with, and the model's kind of each
TYPES: dict[str, Kind] = {
    "text": Kind.STR, "int": Kind.INT, "float": Kind.FLOAT, "money": Kind.FLOAT,
    "date": Kind.DATE, "datetime": Kind.DATETIME, "bool": Kind.BOOL, "choice": Kind.STR,
    "list": Kind.STR_LIST,
}
_NUMBERS = ("int", "float", "money")


@dataclass(frozen=True)
class Extension:
    """What an extension file adds. ``text`` is the file as read: what is kept with the data."""

    path: str
    text: str
    description: str = ""
    #: existing label or relationship type -> its extra properties
    properties: dict[str, dict[str, Prop]] = field(default_factory=dict)
    #: existing label or relationship type -> choice property -> extra values
    choices: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    relationships: dict[str, Relationship] = field(default_factory=dict)

    def names(self) -> dict[str, list[str]]:
        """What it adds, by kind, for messages and the audit trail."""
        return {"labels": sorted(self.labels), "relationships": sorted(self.relationships),
                "properties": sorted(f"{owner}.{name}" for owner, props in
                                     self.properties.items() for name in props),
                "choices": sorted(f"{owner}.{name}" for owner, props in self.choices.items()
                                  for name in props)}


class ExtensionError(ValidationError):
    """A model extension that cannot be used; ``problems`` names each mistake."""

    kind = "model_extension"

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        listed = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        self.args = (f"the model extension is refused ({len(problems)} mistake(s)):\n"
                     f"{listed}{more}",)


def read_extension(path: Path | str) -> Extension:
    """The extension in ``path``, checked against its schema and the built-in vocabulary; an
    :class:`ExtensionError` naming every mistake otherwise (a file that is not YAML: a
    :class:`~erm_graph.ingest.LoadError` naming it)."""
    # ingest's readers of untrusted files import the model: imported here, when first used
    from erm_graph.ingest.schema import schema_problems
    from erm_graph.ingest.untrusted import decode, read_limited
    from erm_graph.ingest.yaml_reader import load_yaml

    path = Path(path)
    where = f"model extension {path}"
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtensionError([Problem(where, "(file)", "a file that can be read",
                                      exc.strerror)]) from None
    if size > MAX_BYTES:  # read_limited's own message speaks of loads and --max-mb
        raise ExtensionError([Problem(where, "(whole file)", f"at most {MAX_BYTES // 1024} KB",
                                      f"{size:,} bytes")])
    text = decode(read_limited(path, MAX_BYTES), path)
    doc = load_yaml(text, where)
    if doc is None:
        doc = {}
    lines = _lines(text)
    problems = [_at_line(p, lines) for p in schema_problems(doc, SCHEMA, where)]
    if problems:  # the model checks below read what the schema guarantees
        raise ExtensionError(problems)
    checker = _Checker(where, doc)
    extension = checker.extension(path, text)
    if checker.problems:
        raise ExtensionError([_at_line(p, lines) for p in checker.problems])
    return extension


class _Checker:
    """What the schema cannot know: built-in names, and which existing things are meant."""

    def __init__(self, where: str, doc: dict[str, Any]):
        self.where, self.doc = where, doc
        self.problems: list[Problem] = []
        self.new_labels: dict[str, Any] = doc.get("labels") or {}

    def refuse(self, at: str, expected: str, got: object = None) -> None:
        self.problems.append(Problem(self.where, at, expected, got))

    def extension(self, path: Path, text: str) -> Extension:
        labels = {name: self.label(name, spec) for name, spec in self.new_labels.items()}
        relationships = {name: self.relationship(name, spec) for name, spec in
                         (self.doc.get("relationships") or {}).items()}
        properties = {owner: self.extra_properties(owner, props) for owner, props in
                      (self.doc.get("properties") or {}).items()}
        choices = {owner: self.extra_choices(owner, props) for owner, props in
                   (self.doc.get("choices") or {}).items()}
        return Extension(str(path), text, self.doc.get("description", ""), properties,
                         choices, labels, relationships)

    def label(self, name: str, spec: dict[str, Any]) -> Label:
        at = f"labels/{name}"
        built_in = _same_name(name, [*LABELS, *RESERVED_LABELS])
        if built_in:
            self.refuse(at, f"a new label: {built_in} is built in (add its properties under "
                            "properties instead)", name)
        # every node may have a name: searched, shown, and indexed for full-text on Neo4j
        props = {"name": COMMON_PROPS["name"]}
        for prop_name, prop_spec in (spec.get("properties") or {}).items():
            prop = self.prop(f"{at}/properties/{prop_name}", prop_spec)
            if prop_name in COMMON_PROPS and prop_name != "name" or prop_name in SYSTEM_PROPS \
                    or prop_name == "name" and prop.kind is not Kind.STR:
                self.refuse(f"{at}/properties/{prop_name}", "a property every node does not "
                            "already have (uid, source, created_at and updated_at are the "
                            "store's; name is text, it may only be made required)", prop_name)
            props[prop_name] = prop
        return Label(name, spec["help"], props)

    def relationship(self, name: str, spec: dict[str, Any]) -> Relationship:
        at = f"relationships/{name}"
        built_in = _same_name(name, RELATIONSHIPS)
        if built_in:
            self.refuse(at, f"a new relationship type: {built_in} is built in (add its "
                            "properties under properties instead)", name)
        ends = []
        for side in ("from", "to"):
            for label in spec[side]:
                if label not in LABELS and label not in self.new_labels:
                    self.refuse(f"{at}/{side}", "a built-in label or one of labels in this "
                                f"file ({', '.join(sorted([*LABELS, *self.new_labels]))})",
                                label)
            ends.append(tuple(spec[side]))
        props = {prop_name: self.prop(f"{at}/properties/{prop_name}", prop_spec)
                 for prop_name, prop_spec in (spec.get("properties") or {}).items()}
        return Relationship(name, spec["help"], ends[0], ends[1], props)

    def existing(self, section: str, owner: str) -> dict[str, Prop] | None:
        """The built-in properties of ``owner``, a built-in label or type; None (refused)
        when it is neither."""
        if owner in LABELS:
            return {**COMMON_PROPS, **LABELS[owner].props}
        if owner in RELATIONSHIPS:
            return dict(RELATIONSHIPS[owner].props)
        if owner in self.new_labels or owner in (self.doc.get("relationships") or {}):
            self.refuse(f"{section}/{owner}", f"a built-in label or type: {owner} is new in "
                        f"this file, so its {section} go in its own declaration", owner)
        else:
            self.refuse(f"{section}/{owner}", "a built-in label or relationship type: one of "
                        f"{', '.join([*LABELS, *RELATIONSHIPS])}", owner)
        return None

    def extra_properties(self, owner: str, props: dict[str, Any]) -> dict[str, Prop]:
        have = self.existing("properties", owner)
        if have is None:
            return {}
        # on a parent (Party) they reach every sub-label too; on a sub-label its parent's
        # count as its own
        parent = LABELS[owner].parent if owner in LABELS else None
        family = [lab.props for lab in LABELS.values()
                  if owner in (lab.name, lab.parent) or lab.name == parent]
        declared = {}
        for name, spec in props.items():
            at = f"properties/{owner}/{name}"
            if name in have or name in SYSTEM_PROPS or any(name in p for p in family):
                self.refuse(at, f"a property {owner} does not have yet: an extension adds, "
                                "it does not redefine a built-in one", name)
            declared[name] = self.prop(at, spec)
        for name in declared if parent else ():
            if name in (self.doc.get("properties") or {}).get(parent, {}):
                self.refuse(f"properties/{owner}/{name}", f"one declaration: {parent}.{name} "
                            f"is declared too, and {owner} is a {parent}", name)
        return declared

    def extra_choices(self, owner: str, props: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
        have = self.existing("choices", owner)
        if have is None:
            return {}
        found = {}
        for name, values in props.items():
            at = f"choices/{owner}/{name}"
            prop = have.get(name)
            if prop is None or not prop.choices:
                choosing = sorted(n for n, p in have.items() if p.choices)
                self.refuse(at, f"a built-in choice property of {owner}: "
                            f"{', '.join(choosing) or 'it has none'}", name)
                continue
            known = [v for v in values if v in prop.choices]
            if known:
                self.refuse(at, f"values {owner}.{name} does not allow yet (it allows "
                                f"{', '.join(prop.choices)})", ", ".join(known))
            found[name] = tuple(values)
        return found

    def prop(self, at: str, spec: str | dict[str, Any]) -> Prop:
        spec = {"type": spec} if isinstance(spec, str) else spec
        kind = spec["type"]
        values = tuple(spec.get("values") or ())
        if kind == "choice" and not values:
            self.refuse(f"{at}/values", "the allowed values of a choice property (a list)")
        if kind != "choice" and values:
            self.refuse(f"{at}/values", "values only on a choice property", kind)
        low, high = spec.get("minimum"), spec.get("maximum")
        if kind not in _NUMBERS and (low is not None or high is not None):
            self.refuse(f"{at}/minimum", f"minimum and maximum only on {', '.join(_NUMBERS)}",
                        kind)
        if low is not None and high is not None and low > high:
            self.refuse(f"{at}/maximum", f"a maximum at least the minimum ({low})", high)
        help = spec.get("help", "")
        if kind == "money" and not help:
            help = "money, in the enterprise currency"
        return Prop(TYPES[kind], required=spec.get("required", False), choices=values,
                    minimum=low, maximum=high, help=help)


def _same_name(name: str, names: Any) -> str | None:
    """The built-in name ``name`` stands for, whatever its case (``CUSTOMER`` and
    ``Customer`` would be two labels that people cannot tell apart)."""
    return next((known for known in names if known.lower() == name.lower()), None)


def _lines(text: str) -> dict[tuple[str, ...], int]:
    """The line (1-based) of every key and list item of the YAML ``text``, by its path."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    found: dict[tuple[str, ...], int] = {}
    stack: list[tuple[tuple[str, ...], yaml.Node]] = [((), root)] if root else []
    while stack:
        path, node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*path, str(key.value))
                found[here] = key.start_mark.line + 1
                stack.append((here, value))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                here = (*path, str(i))
                found[here] = value.start_mark.line + 1
                stack.append((here, value))
    return found


def _at_line(problem: Problem, lines: dict[tuple[str, ...], int]) -> Problem:
    """``problem`` with the line of its field (or of the nearest enclosing one)."""
    path = tuple(problem.field.split("/")) if problem.field != "(top level)" else ()
    while path and path not in lines:
        path = path[:-1]
    if not path:
        return problem
    return Problem(f"{problem.where} line {lines[path]}", problem.field, problem.expected,
                   problem.got)
