"""GraphML (``.graphml``) through networkx, parsed by defusedxml first (docs/loaders.md).

Node attribute ``labels`` (``:Party:Customer``) or ``label`` is the model label; edge attribute
``type`` or ``label`` the relationship type; a node's ``uid`` attribute (else its id) its uid.
``created_at``, ``updated_at`` and ``content_hash`` are left to the store (``erm import`` keeps
them instead).
"""

from __future__ import annotations

from pathlib import Path

from erm_graph.errors import ErmError
from erm_graph.ingest.source import LoadError, LoadOptions, RecordSink, Reject, Source
from erm_graph.interop import graphml

FORMAT = graphml.FORMAT
EXTENSIONS = (".graphml",)
DESCRIPTION = "GraphML (node attribute labels, edge attribute type)"


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    return path.is_file() and b"<graphml" in head


def load(source: Source) -> None:
    sink = RecordSink(source)
    try:
        rows, problems = graphml.read(source.xml(), source.name, sink.node, sink.relationship)
    except LoadError:
        raise
    except ErmError as exc:
        raise LoadError(str(exc)) from None
    source.rows += rows
    source.rejects += [Reject(name, problem) for name, problem in problems]
    sink.close()
