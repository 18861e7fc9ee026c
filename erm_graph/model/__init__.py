"""The ERM vocabulary as code, and validation of records against it.

``LABELS``, ``RELATIONSHIPS`` and ``KEY_LABELS`` are those of the vocabulary in force: the
built-in one (:mod:`erm_graph.model.vocabulary`) plus the enterprise's extension, if the library
has one (:mod:`erm_graph.model.effective`, :mod:`erm_graph.model.extension`).
"""

from erm_graph.model.effective import (
    KEY_LABELS,
    LABELS,
    RELATIONSHIPS,
    Vocabulary,
    activate,
    built_in,
    current,
    extended,
    extension_path,
    known_properties,
    using,
)
from erm_graph.model.extension import Extension, ExtensionError, read_extension
from erm_graph.model.validate import (
    is_a,
    label,
    node_problems,
    origin,
    primary_label,
    relationship,
    relationship_problems,
    validate_nodes,
    validate_relationships,
)
from erm_graph.model.vocabulary import (
    ANNOTATIONS,
    BOOKKEEPING_LABELS,
    COMMON_PROPS,
    COMPONENT_LABELS,
    FINGERPRINT,
    OPPORTUNITY_STAGES,
    PARTY_KINDS,
    SHAREABLE_LABELS,
    SYSTEM_PROPS,
    WHERE,
    Kind,
    Label,
    Prop,
    Relationship,
)

__all__ = [
    "ANNOTATIONS", "BOOKKEEPING_LABELS", "COMMON_PROPS", "COMPONENT_LABELS", "FINGERPRINT",
    "KEY_LABELS", "LABELS", "OPPORTUNITY_STAGES", "PARTY_KINDS", "RELATIONSHIPS",
    "SHAREABLE_LABELS", "SYSTEM_PROPS", "WHERE", "Kind", "Label", "Prop", "Relationship",
    "is_a", "label",
    "node_problems", "origin", "primary_label", "relationship", "relationship_problems",
    "validate_nodes", "validate_relationships",
    "Extension", "ExtensionError", "Vocabulary", "activate", "built_in", "current", "extended",
    "extension_path", "known_properties", "read_extension", "using",
]
