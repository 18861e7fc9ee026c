"""GraphML (``.graphml``) through networkx, parsed by defusedxml first (docs/loaders.md).

Node attribute ``labels`` (``:Party:Customer``) or ``label`` is the model label; edge attribute
``type`` or ``label`` the relationship type; a node's ``uid`` attribute (else its id) its uid.
``created_at``, ``updated_at`` and ``content_hash`` are left to the store (``erm import`` keeps
them instead).
"""

from __future__ import annotations

from pathlib import Path

from erm_graph.errors import ErmError
from erm_graph.ingest.source import LoadError, LoadOptions, Reject, Source
from erm_graph.interop import graphml
from erm_graph.model import SYSTEM_PROPS

FORMAT = graphml.FORMAT
EXTENSIONS = (".graphml",)
DESCRIPTION = "GraphML (node attribute labels, edge attribute type)"


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    return path.is_file() and b"<graphml" in head


def load(source: Source) -> None:
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
        rows, problems = graphml.read(source.xml(), source.name, on_node, on_rel)
    except LoadError:
        raise
    except ErmError as exc:
        raise LoadError(str(exc)) from None
    source.rows += rows
    source.rejects += [Reject(name, problem) for name, problem in problems]
    if dropped:
        source.note(f"attributes {', '.join(sorted(dropped))} are set by the store and were "
                    "not loaded (erm import keeps them)")
