"""The ERM vocabulary as code, and validation of records against it."""

from erm_graph.model.validate import (
    is_a,
    label,
    node_problems,
    origin,
    relationship,
    relationship_problems,
    validate_nodes,
    validate_relationships,
)
from erm_graph.model.vocabulary import (
    ANNOTATIONS,
    COMMON_PROPS,
    COMPONENT_LABELS,
    FINGERPRINT,
    KEY_LABELS,
    LABELS,
    PARTY_KINDS,
    RELATIONSHIPS,
    SYSTEM_PROPS,
    WHERE,
    Kind,
    Label,
    Prop,
    Relationship,
)

__all__ = [
    "ANNOTATIONS", "COMMON_PROPS", "COMPONENT_LABELS", "FINGERPRINT", "KEY_LABELS", "LABELS",
    "PARTY_KINDS", "RELATIONSHIPS",
    "SYSTEM_PROPS", "WHERE", "Kind", "Label", "Prop", "Relationship", "is_a", "label",
    "node_problems", "origin", "relationship", "relationship_problems", "validate_nodes",
    "validate_relationships",
]
