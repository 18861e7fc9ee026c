"""How each node label and relationship type looks: colour, shape, and the legend.

One table for the offline HTML exports and the web explorer alike, so a Customer is the same
orange circle everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from erm_graph import model


@dataclass(frozen=True)
class Style:
    color: str
    shape: str = "dot"
    size: int = 16


#: One style per model label; child labels of Party share its shape but not its colour.
LABEL_STYLES: dict[str, Style] = {
    "Party": Style("#f28e2b"),
    "Customer": Style("#f28e2b"),
    "Supplier": Style("#b07aa1"),
    "Partner": Style("#59a14f"),
    "Financier": Style("#edc948"),
    "Government": Style("#9c755f"),
    "Contact": Style("#ff9da7", size=12),
    "Employee": Style("#4e79a7", "diamond", 14),
    "Department": Style("#2b5d8a", "box"),
    "Process": Style("#222222", "ellipse"),
    "Step": Style("#76b7b2", "box"),
    "Document": Style("#bab0ac", "box"),
    "Map": Style("#555555", "ellipse"),
    "Product": Style("#e15759", "triangle"),
    "Interaction": Style("#a0cbe8", size=8),
    "Case": Style("#d37295", "square", 10),
    "Survey": Style("#8cd17d", "star"),
    "Response": Style("#b6992d", size=8),
    "Feedback": Style("#f1ce63", "star", 10),
    "Opportunity": Style("#86bcb6", "hexagon", 12),
    "Campaign": Style("#499894", "hexagon", 12),
    "Contract": Style("#79706e", "square", 12),
    "MapRevision": Style("#9d9d9d", "dot", 8),
}
UNKNOWN = Style("#cccccc")

#: Step kinds drawn as flowchart shapes in the relationship map.
STEP_SHAPES = {"gateway": "diamond", "start": "dot", "end": "dot", "event": "dot",
               "task": "box", "subprocess": "box"}
DOCUMENT_SHAPES = {"database": "database", "system": "hexagon", "material": "triangleDown",
                   "document": "box"}

#: Relationship types drawn dashed (derived or administrative, not flow), the organisation's
#: lines (MEMBER_OF, PART_OF, REPORTS_TO) among them.
DASHED_TYPES = frozenset({"RESPONSIBLE_FOR", "KNOWS", "DEPICTS", "MEMBER_OF", "PART_OF",
                          "REPORTS_TO"})
EDGE_COLORS = {"NEXT": "#333333", "PERFORMS": "#4e79a7", "USES": "#8c8c8c",
               "PRODUCES": "#6b6b6b", "PARTICIPATES_IN": "#f28e2b", "RESPONSIBLE_FOR": "#c0392b"}


def style_for(label: str) -> Style:
    return LABEL_STYLES.get(label, UNKNOWN)


def legend() -> list[dict[str, object]]:
    """Every label with its style and help text, for legends; a model extension's labels
    last, in the style of a label without one of its own."""
    extended = [name for name in model.LABELS if name not in model.vocabulary.LABELS]
    return [{"label": name, "help": model.LABELS[name].help, **asdict(style)}
            for name, style in [*LABEL_STYLES.items(), *((n, UNKNOWN) for n in extended)]
            if name in model.LABELS]
