"""The vocabulary in force: the built-in one plus the enterprise's extension, if any.

A process uses one vocabulary, built once from its settings (:func:`activate`: the CLI does it
for each command's settings, ``create_app`` for the web app); code asks :func:`current`, and
``erm_graph.model.LABELS``, ``RELATIONSHIPS`` and ``KEY_LABELS`` read it too, so callers that
spelled the built-in names before see the extension without a change. Where the extension is
kept (:func:`extension_path`): the file ``ERM_MODEL_EXTENSION`` names, else
``model-extension.yaml`` in the embedded data directory, where ``erm model extend`` puts it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TypeVar, overload

from erm_graph.errors import ConfigError, Problem
from erm_graph.events import StoreRef, WriteKind, writing
from erm_graph.model import vocabulary as built
from erm_graph.model.extension import (
    FILE_NAME,
    LABEL_NAME,
    PROPERTY_NAME,
    TYPE_NAME,
    Extension,
    ExtensionError,
    read_extension,
)
from erm_graph.model.vocabulary import Label, Prop, Relationship
from erm_graph.settings import Settings
from erm_graph.settings import current as current_settings


@dataclass(frozen=True)
class Vocabulary:
    """Labels and relationship types by name, and the extension they came with (None: the
    built-in vocabulary alone)."""

    labels: dict[str, Label]
    relationships: dict[str, Relationship]
    extension: Extension | None = None
    key_labels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_labels", tuple(
            lab.name for lab in self.labels.values() if lab.parent is None))

    def known_properties(self, name: str) -> set[str]:
        """Every property a node of the label ``name`` may carry (the common ones, its
        label's and the extension's), or a relationship of the type ``name``. Empty for a
        name the model lacks."""
        if name in self.labels:
            return {*built.COMMON_PROPS, *self.labels[name].props}
        if name in self.relationships:
            return set(self.relationships[name].props)
        return set()

    def property_keys(self) -> set[str]:
        """Every property name of every label and type: the schema the Neo4j linter is
        given."""
        keys = {*built.COMMON_PROPS, *built.SYSTEM_PROPS}
        for lab in self.labels.values():
            keys |= set(lab.props)
        for rel in self.relationships.values():
            keys |= set(rel.props)
        return keys

    def problems(self) -> list[Problem]:
        """What is wrong with this vocabulary as a whole: the same rules hold the built-in
        one and an extended one (names that are safe in Cypher, relationships that join
        known labels, choices and ranges that a value can meet)."""
        found = []
        for name, lab in self.labels.items():
            found += _name_problem(f"label {name}", "name", LABEL_NAME, name)
            if lab.parent is not None and lab.parent not in self.labels:
                found.append(Problem(f"label {name}", "parent", "a label", lab.parent))
            found += _prop_problems(f"label {name}", {**built.COMMON_PROPS, **lab.props})
        for name, rel in self.relationships.items():
            found += _name_problem(f"relationship {name}", "name", TYPE_NAME, name)
            for side, ends in (("from", rel.starts), ("to", rel.ends)):
                found += [Problem(f"relationship {name}", side, "a label of the model", end)
                          for end in ends if end not in self.labels]
            found += _prop_problems(f"relationship {name}", rel.props)
        return found


def _name_problem(where: str, what: str, pattern: re.Pattern[str], name: str) -> list[Problem]:
    return [] if pattern.fullmatch(name) else [Problem(where, what, pattern.pattern, name)]


def _prop_problems(where: str, props: dict[str, Prop]) -> list[Problem]:
    found = []
    for name, prop in props.items():
        found += _name_problem(where, "property", PROPERTY_NAME, name)
        if len(set(prop.choices)) < len(prop.choices) or "" in prop.choices:
            found.append(Problem(where, name, "distinct, non-empty choices", prop.choices))
        if None not in (prop.minimum, prop.maximum) and prop.minimum > prop.maximum:  # type: ignore[operator]
            found.append(Problem(where, name, "minimum <= maximum",
                                 f"{prop.minimum}..{prop.maximum}"))
    return found


def built_in() -> Vocabulary:
    """The built-in vocabulary alone (what docs/data-model.md shows)."""
    return _BUILT_IN


def extended(extension: Extension | None) -> Vocabulary:
    """The built-in vocabulary with ``extension`` merged in: extra properties and choice
    values reach a label and its sub-labels (on Party: every party kind)."""
    if extension is None:
        return _BUILT_IN
    labels = {}
    for name, lab in built.LABELS.items():
        owners = [lab.parent, name] if lab.parent else [name]
        labels[name] = replace(lab, props=_merged(lab.props, extension, owners))
    labels.update(extension.labels)
    relationships = {name: replace(rel, props=_merged(rel.props, extension, [name]))
                     for name, rel in built.RELATIONSHIPS.items()}
    relationships.update(extension.relationships)
    vocabulary = Vocabulary(labels, relationships, extension)
    problems = vocabulary.problems()
    if problems:  # read_extension refuses what would get here: this is the last guard
        raise ExtensionError(problems)
    return vocabulary


def _merged(props: dict[str, Prop], extension: Extension, owners: list[str]) -> dict[str, Prop]:
    merged = dict(props)
    for owner in owners:
        merged.update(extension.properties.get(owner, {}))
        for name, values in extension.choices.get(owner, {}).items():
            if name in merged:  # common props (name...) have no choices: never extended
                merged[name] = replace(merged[name], choices=merged[name].choices + values)
    return merged


_BUILT_IN = Vocabulary(dict(built.LABELS), dict(built.RELATIONSHIPS))
_active: Vocabulary | None = None


def extension_path(settings: Settings) -> Path | None:
    """Where the extension of the library ``settings`` name is: ``ERM_MODEL_EXTENSION``, else
    the embedded data directory's ``model-extension.yaml`` when there is one; None when the
    library has none."""
    if settings.model_extension is not None:
        return settings.model_extension
    kept = kept_path(settings)
    return kept if kept is not None and kept.is_file() else None


def kept_path(settings: Settings) -> Path | None:
    """Where ``erm model extend`` keeps an extension with the data: in the embedded data
    directory; None for a server's library (name the file with ``ERM_MODEL_EXTENSION``)."""
    if settings.db.engine != "embedded":
        return None
    return settings.db.data_dir(settings.data_dir) / FILE_NAME


def load(settings: Settings) -> Vocabulary:
    """The vocabulary of the library ``settings`` name (read, not made current)."""
    path = extension_path(settings)
    if path is None:
        return _BUILT_IN
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"the model extension {path} cannot be read ({exc.strerror}): "
                          "fix ERM_MODEL_EXTENSION, or unset it") from None
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int) -> Vocabulary:
    """One read per version of a file (its time and size tell a changed file apart)."""
    return extended(read_extension(path))


def activate(settings: Settings) -> Vocabulary:
    """Make the vocabulary of the library ``settings`` name this process's, and return it."""
    global _active
    _active = load(settings)
    return _active


def current() -> Vocabulary:
    """This process's vocabulary; until something activates one, that of the environment's
    settings (``erm_graph.settings.current()``)."""
    if _active is None:
        return activate(current_settings())
    return _active


def keep(settings: Settings, source: Path) -> Vocabulary:
    """Check the extension in ``source`` and keep a copy with the embedded library's data
    (replacing the one kept before), then make it this process's vocabulary. An audited
    write (``model.extend``); nothing is changed when the file is refused."""
    target = kept_path(settings)
    if settings.model_extension is not None:
        raise ConfigError(f"ERM_MODEL_EXTENSION names the model extension "
                          f"({settings.model_extension}): change that file, or unset "
                          "the variable to keep one with the data")
    if target is None:
        raise ConfigError(f"a {settings.db.engine} library keeps no files of erm-graph: keep "
                          "the extension where every user of the library reads it, and name "
                          "it with ERM_MODEL_EXTENSION")
    extension = read_extension(source)
    extended(extension)
    detail: dict[str, object] = {"from": str(source), **extension.names()}
    with writing(WriteKind.MODEL, target.name, StoreRef("embedded", str(target.parent)),
                 detail=detail):
        write_kept(target.parent, extension)
    return activate(settings)


def write_kept(data_dir: Path, extension: Extension) -> None:
    """Put ``extension`` in the embedded data directory ``data_dir``, replacing the one
    there: whole or not at all, for a reader at any moment. The caller announces the write
    (``erm model extend``, a restore)."""
    target = data_dir / FILE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with scratch.open("w", encoding="utf-8") as out:
            out.write(extension.text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)


@contextmanager
def using(vocabulary: Vocabulary) -> Iterator[Vocabulary]:
    """The block runs with ``vocabulary`` in force, and the one before is back afterwards: a
    worker process reading for another, a test."""
    global _active
    before, _active = _active, vocabulary
    try:
        yield vocabulary
    finally:
        _active = before


def known_properties(name: str) -> set[str]:
    """The properties a node of the label ``name`` (or a relationship of the type ``name``)
    may carry in the vocabulary in force, the extension's included: what a loader checks a
    property name against (see :meth:`Vocabulary.known_properties`)."""
    return current().known_properties(name)


T = TypeVar("T")


class LiveMapping(Mapping[str, T]):
    """A read-only view of one mapping of the vocabulary in force (``model.LABELS``): code
    written against the built-in names sees the extension too."""

    def __init__(self, of: Callable[[Vocabulary], Mapping[str, T]]):
        self._of = of

    def __getitem__(self, name: str) -> T:
        return self._of(current())[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._of(current()))

    def __len__(self) -> int:
        return len(self._of(current()))

    def __contains__(self, name: object) -> bool:
        return name in self._of(current())

    def __repr__(self) -> str:
        return repr(dict(self._of(current())))


class LiveNames(Sequence[str]):
    """A read-only view of a tuple of names of the vocabulary in force (``model.KEY_LABELS``)."""

    def __init__(self, of: Callable[[Vocabulary], tuple[str, ...]]):
        self._of = of

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[str, ...]: ...

    def __getitem__(self, i: int | slice) -> str | tuple[str, ...]:
        return self._of(current())[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._of(current()))

    def __len__(self) -> int:
        return len(self._of(current()))

    def __contains__(self, name: object) -> bool:
        return name in self._of(current())

    def __eq__(self, other: object) -> bool:
        return tuple(self) == (tuple(other) if isinstance(other, Sequence) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._of(current()))


#: labels, relationship types and key labels of the vocabulary in force
LABELS: Mapping[str, Label] = LiveMapping(lambda v: v.labels)
RELATIONSHIPS: Mapping[str, Relationship] = LiveMapping(lambda v: v.relationships)
KEY_LABELS: Sequence[str] = LiveNames(lambda v: v.key_labels)
