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
from erm_graph.ingest.source import LoadError, LoadOptions, Reject, Source
from erm_graph.interop import neo4j_csv
from erm_graph.model import SYSTEM_PROPS

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
    dropped: set[str] = set()

    def keep(props: dict, where: str) -> dict:
        dropped.update(k for k in props if k in SYSTEM_PROPS)
        return {**{k: v for k, v in props.items() if k not in SYSTEM_PROPS}, "source": where}

    def on_node(record, where: str) -> None:
        source.batch.add_node(record.label, keep(record.props, where))

    def on_rel(record, where: str) -> None:
        source.batch.add_relationship(record.type, record.start_label, record.start,
                                      record.end_label, record.end,
                                      **keep(record.props, where))

    try:
        neo4j_csv.read([(path, source.text(path)) for path in files], parsed, on_node, on_rel)
    except LoadError:
        raise
    except ErmError as exc:
        raise LoadError(str(exc)) from None
    source.rows += parsed.rows
    source.rejects += [Reject(name, problem) for name, problem in parsed.problems]
    if dropped:
        source.note(f"columns {', '.join(sorted(dropped))} are set by the store and were not "
                    "loaded (erm import keeps them)")
