"""What to tell about a CSV record the ``csv`` module cannot read: file, line and column.

``csv.Error`` names neither the file nor the line ("field larger than field limit
(131072)"); the web answered it as a 500. A field longer than the module's limit
(:data:`FIELD_LIMIT`, the Python default: it is process-wide and left as it is) is
most often a quote left open, which swallows the rest of the file into one field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from erm_graph.errors import shown

FIELD_LIMIT = csv.field_size_limit()


def csv_problem(path: Path | str, text: str | Iterable[str], first_line: int, exc: csv.Error,
                names: list[str], delimiter: str = ",", quotechar: str | None = '"') -> str:
    """The message for ``exc``, raised while reading the record that begins at line
    ``first_line`` of ``text`` (the text, or its lines as ``newline=""`` reads them, for a
    file not held whole; ``names``: the header, to name the column)."""
    if "field larger than field limit" not in str(exc):
        return f"{path}: line {first_line}: not readable as CSV ({shown(str(exc), 100)})"
    lines = islice(io.StringIO(text, newline="") if isinstance(text, str) else text,
                   first_line - 1, None)
    column = _long_field(lines, delimiter, quotechar or "", csv.field_size_limit())
    name = shown(names[column], 40) if column < len(names) else f"number {column + 1}"
    return (f"{path}: line {first_line}: field {name} (column {column + 1}) is longer than "
            f"{csv.field_size_limit():,} characters, the most a CSV field may hold: is a quote "
            "left open?")


def _long_field(lines: object, delimiter: str, quotechar: str, limit: int) -> int:
    """The column of the first field past ``limit`` characters in the record that begins
    with ``lines`` (a quote opens and closes fields; a doubled quote toggles twice)."""
    column, length, quoted = 0, 0, False
    for line in lines:  # type: ignore[attr-defined]
        for char in line:
            if quotechar and char == quotechar:
                quoted = not quoted
            elif char == delimiter and not quoted:
                column, length = column + 1, 0
                continue
            length += 1
            if length > limit:
                return column
    return column
