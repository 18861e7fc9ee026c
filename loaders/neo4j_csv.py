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
from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions, Reject
from erm_graph.ingest.untrusted import LoadError, peek_text
from erm_graph.interop import neo4j_csv

from ._records import RecordSink

_MARKERS = (":ID", ":START_ID")


def _is_import_file(head: bytes) -> bool:
    first = peek_text(head).split("\n", 1)[0]
    return any(marker in first for marker in _MARKERS)


class Neo4jCSV:
    format = neo4j_csv.FORMAT
    extensions = (".csv",)
    description = ("Neo4j admin-import CSV (:ID, :LABEL, :START_ID, :END_ID, :TYPE), a folder "
                   "or files")
    priority = 45

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        if options.mapping:
            return False
        if path.is_dir():
            for child in sorted(path.glob("*.csv")):
                with child.open("rb") as fh:
                    if _is_import_file(fh.read(4096)):
                        return True
            return False
        return path.suffix.lower() == ".csv" and _is_import_file(head)

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        files = neo4j_csv.find_files([source])
        if not files:
            raise LoadError(f"{source}: no .csv files to load")
        result = ctx.result(source)
        parsed = neo4j_csv.Parsed()
        sink = RecordSink(result)
        try:
            texts = [(path, ctx.lines(path)) for path in files]
            neo4j_csv.read(texts, parsed, sink.node, sink.relationship)
        except LoadError:
            raise
        except ErmError as exc:
            raise LoadError(str(exc)) from None
        result.rows += parsed.rows
        result.rejects += [Reject(name, problem) for name, problem in parsed.problems]
        sink.close()
        return result


LOADER = Neo4jCSV()
