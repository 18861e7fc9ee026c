"""Play the openCypher TCK through erm-graph's own ad hoc query path and judge every answer.

Each scenario runs on a scratch graph: the graph is cleared, the TCK's setup is written, then
the query under test goes through :func:`erm_graph.query.adhoc.run_cypher` exactly as an
analyst's console query does, so its refusals and engine warnings are part of what is judged.

Outcomes (see :class:`Outcome`): ``pass``; ``refused`` (the ad hoc path said no, with a
reason); ``warned`` (a wrong answer that carried a warning naming the limitation);
``wrong`` (rows that differ from the TCK, with no warning: the outcome that must not exist);
``error`` (the engine raised an error where rows were expected: loud, not silent);
``missed-error`` (rows where the TCK expects an error); ``unplayable`` (needs engine-side
test procedures). A write whose side effects differ from the TCK's is ``warned`` or
``wrong`` like rows are.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erm_graph.conformance import values
from erm_graph.conformance.scenarios import Expected, Scenario, tck_dir
from erm_graph.errors import ErmError, ReadOnlyError
from erm_graph.query.adhoc import run_cypher
from erm_graph.store import GraphStore

OUTCOMES = ("pass", "refused", "warned", "wrong", "error", "missed-error", "unplayable")

#: a TCK query that runs longer than this is stopped and counted as an error
SCENARIO_TIMEOUT = 10.0
ROW_CAP = 100_000


@dataclass
class Result:
    scenario: Scenario
    outcome: str
    detail: str = ""
    warnings: list[str] = field(default_factory=list)
    write: bool = False


def _graph_setup(root: Path, name: str) -> str:
    return (root / "graphs" / name / f"{name}.cypher").read_text(encoding="utf-8").rstrip("; \n")


#: what :func:`_snapshot` returns
Snapshot = tuple[set[Any], set[Any], Counter[tuple[Any, ...]], set[str]]


def _snapshot(store: GraphStore) -> Snapshot:
    """Nodes, relationships, property triples and labels, as the TCK observes side effects."""
    nodes = store.run("MATCH (n) RETURN n").rows
    rels = store.run("MATCH ()-[r]->() RETURN r").rows
    node_ids = {row[0].id for row in nodes}
    rel_ids = {row[0].id for row in rels}
    props: Counter[tuple[Any, ...]] = Counter()
    for kind, rows in (("n", nodes), ("r", rels)):
        for (entity,) in rows:
            for key, value in entity.properties.items():
                props[(kind, entity.id, key, values.canon(value))] += 1
    labels = {label for row in nodes for label in row[0].labels}
    return node_ids, rel_ids, props, labels


def _effects(before: Snapshot, after: Snapshot) -> dict[str, int]:
    (n0, r0, p0, l0), (n1, r1, p1, l1) = before, after
    found = {"+nodes": len(n1 - n0), "-nodes": len(n0 - n1),
             "+relationships": len(r1 - r0), "-relationships": len(r0 - r1),
             "+properties": sum((p1 - p0).values()), "-properties": sum((p0 - p1).values()),
             "+labels": len(l1 - l0), "-labels": len(l0 - l1)}
    return {k: v for k, v in found.items() if v}


def _rows_match(expected: Expected, columns: list[str], rows: list[list[Any]]) -> str:
    """'' when the rows are the TCK's, else what differs."""
    if expected.columns and columns != expected.columns:
        return f"columns {columns} != {expected.columns}"
    want = [tuple(values.parse(cell) for cell in row) for row in expected.rows]
    got = [tuple(values.canon(cell) for cell in row) for row in rows]
    if expected.lists_unordered:
        want = [tuple(values.unordered_lists(v) for v in row) for row in want]
        got = [tuple(values.unordered_lists(v) for v in row) for row in got]
    same = want == got if expected.ordered else Counter(want) == Counter(got)
    if same:
        return ""
    return f"expected {expected.rows[:5]} got {rows[:5]}"


def _run(store: GraphStore, text: str, params: dict[str, Any]) -> tuple[Any, bool]:
    """Run read-only first, as the console does; a write is run again with write access."""
    try:
        return run_cypher(store, text, params, timeout=SCENARIO_TIMEOUT, row_cap=ROW_CAP), False
    except ReadOnlyError:
        return run_cypher(store, text, params, write=True, timeout=SCENARIO_TIMEOUT,
                          row_cap=ROW_CAP), True


def _param(text: str) -> Any:
    return _plain(values.parse(text))


def _plain(value: values.Canon) -> Any:
    kind = value[0]
    if kind == "null":
        return None
    if kind in ("bool", "int", "str"):
        return value[1]
    if kind == "float":
        return float("nan") if value[1] == "NaN" else value[1]
    if kind == "list":
        return [_plain(v) for v in value[1]]
    if kind == "map":
        return {k: _plain(v) for k, v in value[1]}
    raise ErmError(f"a TCK parameter of kind {kind} cannot be sent")


def play(store: GraphStore, sc: Scenario, root: Path) -> Result:
    """One scenario on ``store``'s graph, which it empties first."""
    if sc.unplayable:
        return Result(sc, "unplayable", sc.unplayable)
    # emptied, not cleared: a clear rewrites the append-only file, which a scratch
    # graph does not need; the label and key names left behind are not observed by the TCK
    store.run("MATCH (n) DETACH DELETE n", read_only=False)
    for text in ([_graph_setup(root, sc.graph)] if sc.graph else []) + sc.setup:
        store.run(text, read_only=False)
    params = {name: _param(text) for name, text in sc.params.items()}
    before = _snapshot(store) if sc.expected.side_effects else None
    try:
        result, write = _run(store, sc.query, params)
    except ErmError as exc:
        if sc.expected.error:
            return Result(sc, "pass", f"raised: {exc}")
        refused = getattr(exc, "kind", "") == "unsupported"
        return Result(sc, "refused" if refused else "error", str(exc)[:300])
    warnings = list(result.warnings)
    if sc.expected.error:
        return Result(sc, "missed-error", f"expected {sc.expected.error}", warnings, write)
    differs = _rows_match(sc.expected, result.columns, result.rows)
    if not differs and sc.expected.side_effects and before is not None:
        effects = _effects(before, _snapshot(store))
        if effects != {k: v for k, v in sc.expected.side_effects.items() if v}:
            differs = f"side effects: expected {sc.expected.side_effects} got {effects}"
    for control, expected in sc.controls if not differs else ():
        rows = store.run(control)
        differs = _rows_match(expected, rows.columns, rows.rows)
    if not differs:
        return Result(sc, "pass", "", warnings, write)
    return Result(sc, "warned" if warnings else "wrong", differs[:600], warnings, write)


def run_all(store: GraphStore, scenarios: Iterable[Scenario], root: Path | None = None,
            progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Play every scenario on ``store`` (a scratch store: its graph is cleared each time)."""
    root = root or tck_dir()
    results = []
    for sc in scenarios:
        started = time.monotonic()
        try:
            result = play(store, sc, root)
        except values.ValueSyntaxError as exc:
            result = Result(sc, "error", f"runner: {exc}")
        except ErmError as exc:  # the setup itself failed on this engine
            result = Result(sc, "error", f"setup: {exc}"[:300])
        result.detail += "" if time.monotonic() - started < SCENARIO_TIMEOUT else " (slow)"
        results.append(result)
        if progress:
            progress(result)
    return results
