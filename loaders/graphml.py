"""GraphML (``.graphml``) through networkx, parsed by defusedxml first (docs/loaders.md).

Node attribute ``labels`` (``:Party:Customer``) or ``label`` is the model label; edge attribute
``type`` or ``label`` the relationship type; a node's ``uid`` attribute (else its id) its uid.
``created_at``, ``updated_at`` and ``content_hash`` are left to the store (``erm import`` keeps
them instead).
"""

from __future__ import annotations

from pathlib import Path

from erm_graph.errors import ErmError
from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions, Reject
from erm_graph.ingest.untrusted import LoadError
from erm_graph.interop import graphml

from ._records import RecordSink


class GraphML:
    format = graphml.FORMAT
    extensions = (".graphml",)
    description = "GraphML (node attribute labels, edge attribute type)"
    priority = 50

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        return path.is_file() and b"<graphml" in head

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        result = ctx.result(source)
        sink = RecordSink(result)
        try:
            rows, problems = graphml.read(ctx.xml(source), source.name, sink.node,
                                          sink.relationship)
        except LoadError:
            raise
        except ErmError as exc:
            raise LoadError(str(exc)) from None
        result.rows += rows
        result.rejects += [Reject(name, problem) for name, problem in problems]
        sink.close()
        return result


LOADER = GraphML()
