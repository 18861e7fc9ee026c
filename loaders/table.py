"""Flowcharts as tables: one .xlsx workbook, or a folder of CSV files, with these sheets.

========================  =====================================================================
sheet (or ``NAME.csv``)   columns (*required*)
========================  =====================================================================
``processes`` (optional)  *id*, name, category, owner (employee uid)
``steps``                 *process*, *id*, name, kind (task, event, start, end, gateway,
                          subprocess; default task), part_of (id of a sub-process step)
``flows``                 *process*, *from*, *to*, label, condition
``performers``            *process*, *step*, department (name) or employee (uid), role
``documents``             *process*, *step*, *document* (name), kind (document, material,
                          database, system), direction (uses or produces; default uses)
``participants``          *process*, *step*, *party* (name), party_kind (Customer, Supplier,
                          Partner, Financier, Government), role
``owners``                *employee* (uid), employee_name, *component* (process, step or
                          document), process, id (step id or document name)
========================  =====================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.flowchart import STEP_KINDS, FlowchartBuilder
from erm_graph.ingest.untrusted import LoadError

SHEETS = ("processes", "steps", "flows", "performers", "documents", "participants", "owners")
REQUIRED = {"processes": ("id",), "steps": ("process", "id"), "flows": ("process", "from", "to"),
            "performers": ("process", "step"), "documents": ("process", "step", "document"),
            "participants": ("process", "step", "party"), "owners": ("employee", "component")}


class Table:
    format = "table"
    extensions = (".xlsx",)
    description = "flowchart sheets: a .xlsx workbook or a folder of CSV files"
    priority = 40

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        if options.mapping:
            return False
        if path.is_dir():
            return (path / "steps.csv").is_file()
        return path.suffix.lower() == ".xlsx"

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        sheets = _sheets(source, ctx)
        result = ctx.result(source)
        _tables(FlowchartBuilder(result), result, sheets)
        return result


LOADER = Table()
Rows = dict[str, list[tuple[str, dict[str, str]]]]


def _sheets(source: Path, ctx: LoadContext) -> Rows:
    """Rows of each known sheet as (where, row) with cells as trimmed strings."""
    raw: dict[str, list[tuple[str, dict[str, Any]]]]
    if source.is_dir():
        raw = {name: [(f"{name}.csv:{line}", row) for line, row in
                      ctx.csv_rows(source / f"{name}.csv")]
               for name in SHEETS if (source / f"{name}.csv").is_file()}
    else:
        raw = {name: [(f"{name}!{n}", row) for n, row in rows]
               for name, rows in ctx.sheets(source).items() if name in SHEETS}
    if "steps" not in raw:
        raise LoadError(f"{source}: no 'steps' sheet (or steps.csv): a flowchart table "
                        f"needs one; the sheets are {', '.join(SHEETS)}")
    return {name: [(where, {str(k).strip().lower(): _cell(v) for k, v in row.items() if k})
                   for where, row in rows] for name, rows in raw.items()}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows(result: LoaderResult, sheets: Rows, name: str
          ) -> Iterator[tuple[str, dict[str, str]]]:
    for where, row in sheets.get(name, []):
        result.rows += 1
        missing = [c for c in REQUIRED[name] if not row.get(c)]
        if missing:
            result.reject(name, where, missing[0], f"a value in column '{missing[0]}'", None,
                          row)
            continue
        yield where, row


def _tables(build: FlowchartBuilder, result: LoaderResult, sheets: Rows) -> None:
    names = {row["id"]: row for _, row in sheets.get("processes", []) if row.get("id")}
    known: set[str] = set()
    for where, row in _rows(result, sheets, "processes"):
        build.process(row["id"], row.get("name"), where, category=row.get("category"))
        known.add(row["id"])
        if row.get("owner"):
            build.owner(row["owner"], "Process", build.process_uid(row["id"]), where)
    steps = list(_rows(result, sheets, "steps"))
    for where, row in steps:
        if row["process"] not in known:
            build.process(row["process"], names.get(row["process"], {}).get("name"), where)
            known.add(row["process"])
        kind = (row.get("kind") or "task").lower()
        if kind not in STEP_KINDS:
            result.reject("Step", where, "kind", f"one of {', '.join(STEP_KINDS)}", kind, row)
            continue
        build.step(row["process"], row["id"], row.get("name"), kind, where)
    for where, row in steps:
        if row.get("part_of"):
            build.subprocess_of(build.step_uid(row["process"], row["id"]),
                                build.step_uid(row["process"], row["part_of"]), where)
    for where, row in _rows(result, sheets, "flows"):
        build.flow(row["process"], row["from"], row["to"], where, row.get("label"),
                   row.get("condition"))
    for where, row in _rows(result, sheets, "performers"):
        step = build.step_uid(row["process"], row["step"])
        if row.get("department"):
            build.performs(row["department"], step, where, row.get("role"))
        elif row.get("employee"):
            build.employee_performs(row["employee"], step, where, row.get("role"))
        else:
            result.reject("PERFORMS", where, "department", "a department name or an employee "
                          "uid (column 'employee')", None, row)
    for where, row in _rows(result, sheets, "documents"):
        step = build.step_uid(row["process"], row["step"])
        doc = build.document(row["document"], (row.get("kind") or "document").lower(), where)
        direction = (row.get("direction") or "uses").lower()
        if direction == "produces":
            build.produces(step, doc, where)
        elif direction == "uses":
            build.uses(step, doc, where)
        else:
            result.reject("USES", where, "direction", "uses or produces", direction, row)
    for where, row in _rows(result, sheets, "participants"):
        party = build.party(row["party"], where, row.get("party_kind") or None)
        build.participates(party, build.step_uid(row["process"], row["step"]), where,
                           row.get("role"))
    for where, row in _rows(result, sheets, "owners"):
        employee = build.employee(row["employee"], where, row.get("employee_name"))
        component = row["component"].lower()
        if component == "process":
            build.owner(employee, "Process", build.process_uid(row.get("process", "")), where)
        elif component == "step":
            build.owner(employee, "Step", build.step_uid(row.get("process", ""),
                                                         row.get("id", "")), where)
        elif component == "document":
            build.owner(employee, "Document", build.document(row.get("id", ""), "document",
                                                             where), where)
        else:
            result.reject("RESPONSIBLE_FOR", where, "component", "process, step or document",
                          component, row)
