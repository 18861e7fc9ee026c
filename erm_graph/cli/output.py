"""Show query results as a rich table, CSV or JSON: the one place results are formatted."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from erm_graph.cli.root import console
from erm_graph.settings import default_hint
from erm_graph.store import QueryResult


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


#: the options every query-running command shares
ParamOption = Annotated[list[str], typer.Option(
    "--param", "-p", help="a parameter as key=value; the value is read as JSON when it parses "
                          "(42, true, [\"a\"]) and as text otherwise")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="how rows are printed")]
TimeoutOption = Annotated[float | None, typer.Option(
    help=f"seconds before the query is stopped {default_hint('query_timeout')}")]


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return "" if value is None else str(value)


def show(result: QueryResult, fmt: Format, title: str | None = None) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(result.records(), default=str, ensure_ascii=False,
                                    indent=2) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows([[_cell(v) for v in row] for row in result.rows])
    else:
        # cells wrap rather than end in "…": nothing is hidden, and the first column (a name
        # or uid to copy into the next command) keeps its width
        table = Table(title=title, show_lines=False)
        for i, column in enumerate(result.columns):
            table.add_column(column, overflow="fold", no_wrap=i == 0,
                             min_width=max((len(_cell(r[0])) for r in result.rows), default=0)
                             if i == 0 else None)
        for row in result.rows:
            table.add_row(*(_cell(v) for v in row))
        console.print(table)
        console.print(f"[dim]{len(result.rows)} row(s)[/]")


def split_params(pairs: list[str]) -> dict[str, str]:
    """``-p key=value`` pairs as text, for a named query to type by its declaration
    (:meth:`erm_graph.query.NamedQuery.parse`)."""
    from erm_graph.errors import ErmError

    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ErmError(f"parameter {pair!r} is not of the form key=value")
        params[key.strip()] = raw
    return params


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``-p key=value`` pairs of ad hoc Cypher, which declares no types: values are read as
    JSON when they parse (42, 1.5, true, [1,2], "text"), otherwise taken as plain strings."""
    params: dict[str, Any] = {}
    for key, raw in split_params(pairs).items():
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params
