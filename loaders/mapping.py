"""Generic tabular import (CSV or .xlsx) driven by a YAML mapping file (docs/loaders.md).

The mapping says which columns make which label and key, the type of each property, the
relationships to other nodes by key (many-to-many with ``split``), and value normalisation.
A relationship whose other end is in neither the load nor the graph is rejected with its row.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import yaml

from erm_graph import model
from erm_graph.errors import Problem, ValidationError
from erm_graph.ingest.schema import schema_problems
from erm_graph.ingest.source import LoadError, LoadOptions, Reject, Source
from erm_graph.ingest.values import CONVERTERS, date_parser, normaliser

FORMAT = "mapping"
EXTENSIONS = (".csv", ".tsv", ".xlsx", ".yaml", ".yml")
DESCRIPTION = "CSV or Excel rows mapped to labels by a YAML mapping file (--mapping)"
PRIORITY = 30
SCHEMA = "mapping.schema.json"


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    if not path.is_file():
        return False
    if path.suffix.lower() in (".yaml", ".yml"):
        return b"tables:" in head
    return options.mapping is not None and path.suffix.lower() in (".csv", ".tsv", ".xlsx")


def read_mapping(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LoadError(f"{path}: cannot read the mapping file: {exc}") from None
    problems = schema_problems(doc, SCHEMA, f"mapping {path}")
    for i, table in enumerate(doc.get("tables", []) if isinstance(doc, dict) else []):
        if table.get("label") not in model.LABELS:
            problems.append(Problem(f"mapping {path}", f"tables/{i}/label",
                                                   f"one of {sorted(model.LABELS)}",
                                                   table.get("label")))
        for j, rel in enumerate(table.get("relationships", [])):
            if rel.get("type") not in model.RELATIONSHIPS:
                problems.append(Problem(
                    f"mapping {path}", f"tables/{i}/relationships/{j}/type",
                    f"one of {sorted(model.RELATIONSHIPS)}", rel.get("type")))
    if problems:
        raise ValidationError(problems)
    return doc


def load(source: Source) -> None:
    if source.path.suffix.lower() in (".yaml", ".yml"):  # the mapping names its own files
        mapping_path = source.path
        doc = read_mapping(mapping_path)
        for table in doc["tables"]:
            files = sorted(mapping_path.parent.glob(table["file"]))
            if not files:
                raise LoadError(f"{mapping_path}: no file matches {table['file']!r} next to it")
            for path in files:
                _table(source, doc, table, path)
        return
    if source.options.mapping is None:
        raise LoadError(f"{source.path}: the mapping format needs --mapping FILE")
    doc = read_mapping(source.options.mapping)
    tables = [t for t in doc["tables"] if fnmatch.fnmatch(source.path.name, t["file"])]
    if not tables:
        raise LoadError(f"{source.path}: no table of {source.options.mapping} matches this "
                        f"file name (its file patterns: "
                        f"{', '.join(t['file'] for t in doc['tables'])})")
    for table in tables:
        _table(source, doc, table, source.path)


def _rows(source: Source, table: dict, path: Path):
    if path.suffix.lower() == ".xlsx":
        sheets = source.sheets(path)
        name = (table.get("sheet") or next(iter(sheets), "")).lower()
        if name not in sheets:
            raise LoadError(f"{path}: no sheet {table.get('sheet')!r}; it has "
                            f"{', '.join(sheets)}")
        for number, row in sheets[name]:
            yield f"{path.name}#{name}!{number}", {k: "" if v is None else str(v)
                                                   for k, v in row.items()}
    else:
        for line, row in source.csv_rows(path):
            yield f"{path.name}#{line}", row


def _converter(spec: dict, doc: dict):
    kind = spec.get("type", "string")
    if kind in ("date", "datetime"):
        fmt = spec.get("format") or doc.get("date_format") or "yyyy-mm-dd"
        convert = date_parser(fmt, with_time=kind == "datetime")
    else:
        convert = CONVERTERS[kind]
    steps = spec.get("normalize", ["trim"])
    norm = normaliser(steps, spec.get("aliases")) if steps or spec.get("aliases") else None
    return (lambda t: convert(norm(t))) if norm else convert


def _table(source: Source, doc: dict, table: dict, path: Path) -> None:
    label = table["label"]
    key = table["key"]
    key_norm = normaliser(key.get("normalize", ["trim"]))
    prefix = key.get("prefix", "")
    props = [(name, spec["column"], _converter(spec, doc), spec.get("default"))
             for name, spec in table.get("properties", {}).items()]
    constants = table.get("set", {})
    rels = []
    for rel in table.get("relationships", []):
        rels.append((rel["type"], rel["label"], rel["column"], rel.get("prefix", ""),
                     rel.get("split"), rel.get("direction", "out"),
                     normaliser(rel.get("normalize", ["trim"]), rel.get("aliases")),
                     rel.get("properties", {})))
    batch = source.batch
    nodes = batch.nodes[label]
    columns_checked = False
    for where, row in _rows(source, table, path):
        source.rows += 1
        if not columns_checked:
            needed = [key["column"], *(c for _, c, _, _ in props), *(r[2] for r in rels)]
            missing = [c for c in needed if c not in row]
            if missing:
                raise LoadError(f"{path}: no column {missing[0]!r} (the mapping's table "
                                f"{table['file']!r} needs it); the columns are "
                                f"{', '.join(row)}")
            columns_checked = True
        raw_key = key_norm(row[key["column"]] or "")
        if not raw_key:
            _reject(source, label, where, key["column"], "a key value", None, row)
            continue
        uid = prefix + raw_key
        record: dict[str, Any] = {"uid": uid, **constants}
        bad = False
        for name, column, convert, default in props:
            text = row[column]
            if text is None or not text.strip():
                if default is not None:
                    record[name] = default
                continue
            try:
                record[name] = convert(text)
            except (ValueError, KeyError) as exc:
                _reject(source, label, where, column, str(exc), text, row)
                bad = True
                break
        if bad:
            continue
        record["source"] = f"{FORMAT}:{where}"
        nodes.append(record)
        for rel_type, other_label, column, other_prefix, split, direction, norm, rel_props \
                in rels:
            cell = row[column] or ""
            values = cell.split(split) if split else [cell]
            for value in values:
                other = norm(value)
                if not other:
                    continue
                other_uid = other_prefix + other
                extra = {k: row.get(v, v) for k, v in rel_props.items()}
                if direction == "in":
                    batch.add_relationship(rel_type, other_label, other_uid, label, uid,
                                           source=record["source"], **extra)
                else:
                    batch.add_relationship(rel_type, label, uid, other_label, other_uid,
                                           source=record["source"], **extra)


def _reject(source: Source, label: str, where: str, column: str, expected: str, got: object,
            row: dict) -> None:
    source.rejects.append(Reject(label, Problem(f"{FORMAT}:{where}", column, expected, got),
                                 row))
