"""A mapping file (docs/loaders.md, schemas/mapping.schema.json): read it and check what it
says against the schema and the model, naming the path of every mistake in it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from erm_graph import model
from erm_graph.errors import Problem, ValidationError
from erm_graph.ingest.schema import schema_problems
from erm_graph.ingest.source import LoadOptions, Source, decode
from erm_graph.ingest.yaml_reader import load_yaml

SCHEMA = "mapping.schema.json"
#: what a table's ``file`` may be: a name or glob pattern inside the mapping's folder
FILE_PATTERN = ("a file name or glob pattern inside the mapping's folder (no '..', no "
                "absolute path)")


def read_mapping(path: Path, options: LoadOptions | None = None) -> dict[str, Any]:
    """The checked mapping in ``path``, read within the load's size limit (``options``)."""
    data = Source(path, "mapping", options or LoadOptions()).read_bytes()
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

    def names(props: Any, at: str) -> None:
        for name in props if isinstance(props, dict) else ():
            if str(name).startswith("_"):
                problems.append(Problem(where, f"{at}/{name}", "a property name that does not "
                                        "start with _ (reserved for annotations)", name))

    for key in ("tables", "relationships"):
        for i, table in enumerate(_dicts(doc.get(key))):
            if isinstance(table.get("file"), str) and not inside_folder(table["file"]):
                problems.append(Problem(where, f"{key}/{i}/file", FILE_PATTERN, table["file"]))
    for i, table in enumerate(_dicts(doc.get("tables"))):
        label = table.get("label")
        if label not in model.LABELS:
            problems.append(Problem(where, f"tables/{i}/label", f"one of {labels}", label))
        names(table.get("properties"), f"tables/{i}/properties")
        names(table.get("set"), f"tables/{i}/set")
        label_column = table.get("label_column")
        if label in model.LABELS and isinstance(label_column, dict):
            allowed = row_labels(label)
            parts = {*allowed, *model.LABELS[label].labels}  # Party;Customer: the parent too
            for text, alias in (label_column.get("aliases") or {}).items():
                if alias not in parts:
                    problems.append(Problem(where, f"tables/{i}/label_column/aliases/{text}",
                                            f"one of {', '.join(sorted(parts))}", alias))
        for j, rel in enumerate(_dicts(table.get("relationships"))):
            at = f"tables/{i}/relationships/{j}"
            if rel.get("type") not in model.RELATIONSHIPS:
                problems.append(Problem(where, f"{at}/type", f"one of {types}", rel.get("type")))
            if rel.get("label") not in model.LABELS:
                problems.append(Problem(where, f"{at}/label", f"one of {labels}",
                                        rel.get("label")))
            names(rel.get("properties"), f"{at}/properties")
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
            elif spec and not any(model.is_a(label, a) for a in ends):
                problems.append(Problem(where, f"{at}/{side}/label", f"a {side} label of "
                                        f"{spec.name}: one of {', '.join(ends)}", label))
        names(rel.get("properties"), f"{at}/properties")
    return problems


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
