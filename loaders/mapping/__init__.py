"""The mapping loader: generic tabular import (CSV or .xlsx) driven by a YAML mapping file
(docs/loaders.md).

The mapping says which columns make which label and key, the type of each property, the
relationships to other nodes by key (many-to-many with ``split``), and value normalisation;
a table may take each row's label from a column (``label_column``), and a relationship table
(top-level ``relationships``) makes one relationship per row. A relationship whose other end
is in neither the load nor the graph is rejected with its row. A denormalised export loads as
it is: several tables may read one file, and a key repeated with the same values is one
record (docs/examples/sales/).

The whole loader is this sub-package:

- :mod:`.document`: the mapping file, read and checked against its schema and the model;
- :mod:`.reader`: one file read in chunks, as a node table or a relationship table;
- :mod:`.node_table`, :mod:`.rel_table`: the rows of each kind of table made into records;
- :mod:`.columns`, :mod:`.values`: cells typed and normalised.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from erm_graph.errors import shown
from erm_graph.ingest.contract import InMemoryOnly, LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.untrusted import LoadError

from .document import read_mapping
from .node_table import FORMAT
from .reader import file_chunks, read_file


class Mapping:
    format = FORMAT
    extensions = (".csv", ".tsv", ".xlsx", ".yaml", ".yml")
    description = "CSV or Excel rows mapped to labels by a YAML mapping file (--mapping)"
    priority = 30

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        if not path.is_file():
            return False
        if path.suffix.lower() in (".yaml", ".yml"):
            return b"tables:" in head or re.search(rb"^relationships:", head, re.M) is not None
        return options.mapping is not None and path.suffix.lower() in (".csv", ".tsv", ".xlsx")

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        result = ctx.result(source)
        for path, doc, table in self._tables(source, ctx):
            read_file(result, ctx, doc, table, path)
        return result

    def read_chunks(self, source: Path, ctx: LoadContext) -> Iterator[LoaderResult]:
        """What :meth:`read` makes, a chunk of rows at a time, for a load that checks and
        writes as it reads (:mod:`erm_graph.ingest.streamed`). Raises
        :class:`InMemoryOnly` where records of different chunks may be one: a relationship
        table (its rows may repeat a pair anywhere in the file), two tables with a
        relationship type in common, a key's rows relating again."""
        tables = self._tables(source, ctx)
        types = [rel["type"] for _, _, table in tables for rel in table.get("relationships", [])]
        if any("label" not in table for _, _, table in tables) or len(set(types)) < len(types):
            raise InMemoryOnly(f"{source}: relationships made by more than one table")
        for position, (path, doc, table) in enumerate(tables):
            yield from file_chunks(lambda: ctx.result(source), ctx, doc, table, path,
                                   whole=False, name=f"{position}:{path}")

    def _tables(self, source: Path, ctx: LoadContext
                ) -> list[tuple[Path, dict[str, Any], dict[str, Any]]]:
        """Each file to read, its mapping and the table of the mapping that reads it."""
        if source.suffix.lower() in (".yaml", ".yml"):  # the mapping names its own files
            doc = read_mapping(source, ctx.options)
            ctx.stat(source)
            return [(path, doc, table) for field, table in _fields(doc)
                    for path in _files(ctx, source, field, table["file"])]
        mapping = ctx.options.mapping
        if mapping is None:
            raise LoadError(f"{source}: the mapping format needs --mapping FILE")
        doc = read_mapping(mapping, ctx.options)
        ctx.stat(mapping)
        tables = [t for t in _tables(doc) if fnmatch.fnmatch(source.name, t["file"])]
        if not tables:
            raise LoadError(f"{source}: no table of {mapping} matches this file name (its file "
                            f"patterns: {', '.join(t['file'] for t in _tables(doc))})")
        return [(source, doc, table) for table in tables]


LOADER = Mapping()


def _tables(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The node tables, then the relationship tables."""
    return [table for _, table in _fields(doc)]


def _fields(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The node tables, then the relationship tables, each with the path of its ``file``
    field in the mapping (``tables/0/file``)."""
    return [(f"{key}/{i}/file", table) for key in ("tables", "relationships")
            for i, table in enumerate(doc.get(key, []))]


def _files(ctx: LoadContext, mapping: Path, field: str, pattern: str) -> list[Path]:
    """The files a table's pattern matches in the mapping's folder: only there, once links
    are followed (``read_mapping`` has refused ``..`` and absolute patterns already). On the
    web the folder is the upload's own, so a mapping reads nothing the upload did not bring."""
    try:
        files = sorted(p for p in mapping.parent.glob(pattern) if p.is_file())
    except (ValueError, IndexError):  # pathlib's answers to "a**" and "."
        raise LoadError(f"{mapping}: field '{field}': {shown(pattern)} is not a glob pattern "
                        "pathlib can match (such as accounts*.csv or exports/**/*.csv)"
                        ) from None
    if not files:
        raise LoadError(f"{mapping}: field '{field}': no file matches {shown(pattern)} in the "
                        "mapping's folder")
    return [ctx.confine(path, mapping.parent, f"{mapping}: field '{field}'",
                        "the mapping's folder") for path in files]
