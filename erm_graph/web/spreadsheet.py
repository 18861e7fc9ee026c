"""CSV downloads meant for spreadsheets, with no cell a spreadsheet would run as a formula.

A record's text comes from anyone who could load or edit data (a CRM export, a partner's own
name, an upload). A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-``
or ``@`` (and, in some, a tab or carriage return) as a formula: ``=HYPERLINK(...)`` leaks
data, ``=cmd|...`` runs programs. :func:`spreadsheet_cell` is the one rule, applied to every
cell and header of a web CSV download:

- a text cell that starts with one of those characters gets a leading apostrophe, which
  spreadsheets show as text (``=1+2`` is written ``'=1+2``);
- numbers stay numbers: an integer or decimal value such as -5, and a text cell that is
  exactly a number (``-5``, ``+3.25``, ``-1e3``), are written unchanged, since a number is
  never a formula;
- lists and maps are written as JSON, then checked like any text.

The CLI's ``--format csv`` (``erm cypher``, ``erm query run``, ``erm audit``) is for programs
and writes every value exactly as stored: import it into a spreadsheet as text columns.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may safely read it (see the module docstring)."""
    if isinstance(value, dict | list):
        value = json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_download(columns: Sequence[str], rows: Iterable[Sequence[Any]],
                 filename: str) -> Response:
    """Rows as a ``text/csv`` attachment named ``filename``, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_cell(c) for c in columns])
    writer.writerows([[spreadsheet_cell(v) for v in row] for row in rows])
    return Response(out.getvalue(), media_type="text/csv", headers={
        "content-disposition": f'attachment; filename="{filename}"'})
