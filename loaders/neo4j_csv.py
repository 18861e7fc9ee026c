"""Neo4j admin-import CSV files: a folder of them, or the files named (docs/loaders.md).

Node files have ``:ID`` or ``:ID(Group)`` and usually ``:LABEL`` (``;``-separated);
relationship files ``:START_ID(Group)``, ``:END_ID(Group)`` and ``:TYPE``; other columns are
``name:type`` (int, long, float, double, boolean, string, date, datetime; ``[]`` arrays split
on ``;``; ``:IGNORE``). Labels and types must be in the model. ``created_at``, ``updated_at``
and ``content_hash`` columns are left to the store (``erm import`` keeps them instead).
"""

from __future__ import annotations

from pathlib import Path

from erm_graph.errors import ErmError
from erm_graph.ingest.source import LoadError, LoadOptions, RecordSink, Reject, Source
from erm_graph.interop import neo4j_csv

FORMAT = neo4j_csv.FORMAT
EXTENSIONS = (".csv",)
DESCRIPTION = "Neo4j admin-import CSV (:ID, :LABEL, :START_ID, :END_ID, :TYPE), a folder or files"
PRIORITY = 45
_MARKERS = (":ID", ":START_ID")


def _is_import_file(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    return any(marker in first for marker in _MARKERS)


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    if options.mapping:
        return False
    if path.is_dir():
        for child in sorted(path.glob("*.csv")):
            with child.open("rb") as fh:
                if _is_import_file(fh.read(4096)):
                    return True
        return False
    return path.suffix.lower() == ".csv" and _is_import_file(head)


def load(source: Source) -> None:
    files = neo4j_csv.find_files([source.path])
    if not files:
        raise LoadError(f"{source.path}: no .csv files to load")
    parsed = neo4j_csv.Parsed()
    sink = RecordSink(source)
    try:
        texts = [(path, source.text(path)) for path in files]
        neo4j_csv.read(texts, parsed, sink.node, sink.relationship)
    except LoadError:
        raise
    except ErmError as exc:
        raise LoadError(str(exc)) from None
    source.rows += parsed.rows
    source.rejects += [Reject(name, problem) for name, problem in parsed.problems]
    sink.close()
