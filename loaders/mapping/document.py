"""A mapping file (docs/loaders.md, schemas/mapping.schema.json): read it and check what it
says against the schema and the model, naming the path of every mistake in it."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from erm_graph import model
from erm_graph.errors import Problem, ValidationError
from erm_graph.ingest.contract import LoadOptions
from erm_graph.ingest.schema import schema_problems
from erm_graph.ingest.untrusted import decode, read_limited
from erm_graph.ingest.yaml_reader import load_yaml

SCHEMA = "mapping.schema.json"
#: what a table's ``file`` may be: a name or glob pattern inside the mapping's folder
FILE_PATTERN = ("a file name or glob pattern inside the mapping's folder (no '..', no "
                "absolute path)")


def read_mapping(path: Path, options: LoadOptions | None = None) -> dict[str, Any]:
    """The checked mapping in ``path``, read within the load's size limit (``options``), once
    per load while the file stays as it is (``LoadOptions.read_once``)."""
    options = options or LoadOptions()
    try:
        stat = path.stat()
    except OSError:
        return _checked(path, options.max_bytes)  # names the file as every read does
    key = ("mapping", str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in options.read_once:
        options.read_once[key] = _checked(path, options.max_bytes)
    return options.read_once[key]  # type: ignore[no-any-return]


def _checked(path: Path, max_bytes: int) -> dict[str, Any]:
    data = read_limited(path, max_bytes)
    doc = load_yaml(decode(data, path), f"{path}: the mapping file")
    where = f"mapping {path}"
    problems = schema_problems(doc, SCHEMA, where)
    if isinstance(doc, dict):
        if "tables" not in doc and "relationships" not in doc:
            # the schema's anyOf only says "not valid under any of the given schemas"
            problems = [p for p in problems if "under any of the given schemas" not in
                        p.expected]
            problems.insert(0, Problem(where, "tables", "a list of node tables, or a list of "
                                       "relationship tables in relationships (or both)"))
        problems += _model_problems(doc, where)
    if problems:
        raise ValidationError(problems)
    return doc


def _model_problems(doc: dict, where: str) -> list[Problem]:
    """What the schema cannot know: labels and types of the model, the labels a label_column
    may name, and property names (a leading ``_`` is kept for a record's annotations)."""
    problems: list[Problem] = []
    labels, types = sorted(model.LABELS), sorted(model.RELATIONSHIPS)

    def names(props: Any, at: str, owner: Any) -> None:
        """Each property name of ``props``, set on ``owner`` (a label or a type, already
        checked: an unknown one has no names to check)."""
        checked = owner in model.LABELS or owner in model.RELATIONSHIPS
        known = model.known_properties(owner) if checked else set()
        for name in props if isinstance(props, dict) else ():
            if str(name).startswith("_"):
                problems.append(Problem(where, f"{at}/{name}", "a property name that does not "
                                        "start with _ (reserved for annotations)", name))
            elif checked and name not in known:
                problems.append(Problem(where, f"{at}/{name}",
                                        unknown_property(owner, str(name), known), name))

    for key in ("tables", "relationships"):
        for i, table in enumerate(_dicts(doc.get(key))):
            if isinstance(table.get("file"), str) and not inside_folder(table["file"]):
                problems.append(Problem(where, f"{key}/{i}/file", FILE_PATTERN, table["file"]))
    for i, table in enumerate(_dicts(doc.get("tables"))):
        label = table.get("label")
        if label not in model.LABELS:
            problems.append(Problem(where, f"tables/{i}/label", f"one of {labels}", label))
        names(table.get("properties"), f"tables/{i}/properties", label)
        names(table.get("set"), f"tables/{i}/set", label)
        label_column = table.get("label_column")
        if isinstance(label, str) and label in model.LABELS and isinstance(label_column, dict):
            allowed = row_labels(label)
            parts = {*allowed, *model.LABELS[label].labels}  # Party;Customer: the parent too
            for text, alias in (label_column.get("aliases") or {}).items():
                if alias not in parts and alias != "":  # "": an empty cell, the table's label
                    problems.append(Problem(where, f"tables/{i}/label_column/aliases/{text}",
                                            f"one of {', '.join(sorted(parts))}", alias))
        for j, rel in enumerate(_dicts(table.get("relationships"))):
            at = f"tables/{i}/relationships/{j}"
            if rel.get("type") not in model.RELATIONSHIPS:
                problems.append(Problem(where, f"{at}/type", f"one of {types}", rel.get("type")))
            if rel.get("label") not in model.LABELS:
                problems.append(Problem(where, f"{at}/label", f"one of {labels}",
                                        rel.get("label")))
            names(rel.get("properties"), f"{at}/properties", rel.get("type"))
            names(rel.get("set"), f"{at}/set", rel.get("type"))
    for i, rel in enumerate(_dicts(doc.get("relationships"))):
        at = f"relationships/{i}"
        spec = model.RELATIONSHIPS.get(str(rel.get("type")))
        if spec is None:
            problems.append(Problem(where, f"{at}/type", f"one of {types}", rel.get("type")))
        for side, ends in (("start", spec.starts if spec else ()),
                           ("end", spec.ends if spec else ())):
            label = rel.get(side, {}).get("label") if isinstance(rel.get(side), dict) else None
            if label not in model.LABELS:
                problems.append(Problem(where, f"{at}/{side}/label", f"one of {labels}", label))
            elif spec and not any(model.is_a(str(label), a) for a in ends):
                problems.append(Problem(where, f"{at}/{side}/label", f"a {side} label of "
                                        f"{spec.name}: one of {', '.join(ends)}", label))
        names(rel.get("properties"), f"{at}/properties", rel.get("type"))
        names(rel.get("set"), f"{at}/set", rel.get("type"))
    return problems


def unknown_property(owner: str, name: str, known: Iterable[str]) -> str:
    """What a mapping should have named instead of ``name``, a property ``owner`` (a label
    or a relationship type) does not have: the closest known one, then all of them."""
    names = sorted(known)
    close = get_close_matches(name, names, n=1, cutoff=0.6) or get_close_matches(
        name.lower(), names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    have = f"{owner} has {', '.join(names)}" if names else f"{owner} has no properties"
    return (f"a property of {owner} ({hint}{have}; the enterprise's model extension may "
            "declare more)")


def inside_folder(pattern: str) -> bool:
    """Whether a file pattern stays in the folder it is matched in: relative on every
    system, no ``..`` part. (Where the matched files lead once links are followed is checked
    when they are found.)"""
    parts = [*PurePosixPath(pattern).parts, *PureWindowsPath(pattern).parts]
    return bool(pattern.strip()) and "\x00" not in pattern and ".." not in parts and not (
        PurePosixPath(pattern).is_absolute() or PureWindowsPath(pattern).anchor)


def _dicts(items: Any) -> list[dict]:
    return [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []


def row_labels(label: str) -> list[str]:
    """The labels a row of a table of ``label`` may have: it, or one of its sub-labels."""
    return [label, *sorted(lab.name for lab in model.LABELS.values() if lab.parent == label)]
