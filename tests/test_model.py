"""The vocabulary and the validation messages a loader shows its user."""

from __future__ import annotations

import pytest

from erm_graph import model
from erm_graph.errors import ValidationError


def test_every_relationship_joins_known_labels():
    for rel in model.RELATIONSHIPS.values():
        assert set(rel.starts) | set(rel.ends) <= set(model.LABELS), rel.name


def test_party_kinds_are_parties():
    for kind in model.PARTY_KINDS:
        assert model.LABELS[kind].key_label == "Party"
        assert model.is_a(kind, "Party")


def test_a_good_batch_has_no_problems():
    rows = [{"uid": "i1", "kind": "purchase", "at": "2026-01-02T10:00:00", "amount": 12.5,
             "sentiment": 0.4, "channel": "web", "custom_field": "kept"}]
    assert model.node_problems("Interaction", rows) == []


def test_problems_name_record_field_and_expected_form():
    rows = [
        {"uid": "i1", "kind": "gossip", "at": "2026-01-02T10:00:00"},
        {"uid": "i2", "kind": "call", "at": "yesterday"},
        {"uid": "i3", "kind": "call", "at": "2026-01-02", "sentiment": 3},
        {"uid": "i3", "kind": "call", "at": "2026-01-02T10:00:00"},
        {"kind": "call", "at": "2026-01-02T10:00:00", "amount": "12"},
    ]
    problems = model.node_problems("Interaction", rows, where="row")
    text = [str(p) for p in problems]
    assert "row 1 (Interaction 'i1'): field 'kind': expected one of consultation" in text[0]
    assert any("row 2" in t and "'at'" in t and "date-time" in t and "'yesterday'" in t
               for t in text)
    assert any("row 3" in t and "'sentiment'" in t and "<= 1" in t for t in text)
    assert any("row 4" in t and "unique within the batch" in t for t in text)
    assert any("row 5" in t and "'uid'" in t for t in text)
    assert any("row 5" in t and "'amount'" in t and "number" in t for t in text)


def test_required_fields_and_system_fields():
    problems = model.node_problems("Customer", [{"uid": "c1", "created_at": "2026-01-01"}])
    fields = {p.field for p in problems}
    assert fields == {"name", "created_at"}


def test_relationship_labels_must_fit_the_type():
    problems = model.relationship_problems("MANAGES", "Employee", "Product",
                                           [{"start": "e1", "end": "p1"}])
    assert problems[0].field == "end label" and "Party" in problems[0].expected
    assert model.relationship_problems("MANAGES", "Employee", "Customer",
                                       [{"start": "e1", "end": "c1"}]) == []


def test_unknown_label_lists_the_known_ones():
    with pytest.raises(ValidationError, match="Customer"):
        model.validate_nodes("Client", [{"uid": "x"}])


def test_the_component_labels_are_one_list_the_unowned_query_spells_too():
    """cypher/ cannot import the model: the governance query's own copy must not drift."""
    import re

    from erm_graph.resources import shipped_dir

    text = (shipped_dir("cypher") / "unowned-components.cypher").read_text(encoding="utf-8")
    spelled = re.search(r"WHERE l IN \[([^\]]*)\]", text)
    assert spelled, "the query names the component labels in one list"
    assert tuple(re.findall(r"'(\w+)'", spelled.group(1))) == model.COMPONENT_LABELS
    assert model.RELATIONSHIPS["RESPONSIBLE_FOR"].ends == model.COMPONENT_LABELS
