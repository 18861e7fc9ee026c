"""The demo's parts made ahead in a child process: the same parts, an error in the child
raised in the loader, and a loader that stops early leaves no child behind."""

from __future__ import annotations

import multiprocessing

import pytest

from erm_graph.demo import generate
from erm_graph.demo.ahead import made_ahead
from erm_graph.ingest import GraphBatch


def rows_of(parts) -> list:
    return [(label, list(map(dict, rows))) for part in parts
            for label, rows in [*part.nodes.items(), *part.relationships.items()]]


def test_the_parts_made_ahead_are_the_parts_made_here():
    assert rows_of(made_ahead(generate, 3_000, 5)) == rows_of(generate(3_000, 5))


def broken(count: int):
    for n in range(count):
        part = GraphBatch()
        part.add_node("Product", {"uid": f"p{n}", "name": "p"})
        yield part
    raise ValueError("made to fail")


def test_an_error_in_the_child_is_raised_in_the_loader():
    parts = made_ahead(broken, 2)
    assert [list(p.nodes["Product"])[0]["uid"] for p in (next(parts), next(parts))] \
        == ["p0", "p1"]
    with pytest.raises(ValueError, match="made to fail"):
        next(parts)
    assert not multiprocessing.active_children()


def test_a_loader_that_stops_early_ends_the_child():
    parts = made_ahead(generate, 3_000, 5)
    next(parts)
    assert multiprocessing.active_children()
    parts.close()
    assert not multiprocessing.active_children()
