"""The ``chart:`` header of a named query: how the queries page and dashboards draw its rows.

A query whose rows have a chart's shape says so in its header, naming columns of its final
``RETURN``::

    // chart: {kind: bar, x: name, y: [value, open_pipeline], formats: {value: money}}
    // chart: {kind: line, x: period, y: [revenue], series: domain}
    // chart: {kind: heatmap, x: month, y: product, value: total}
    // chart: {kind: pie, x: domain, y: [revenue]}

``x`` is the category axis (or the pie's slices), ``y`` the numeric columns drawn (for a
heatmap: the category of its rows, with ``value`` the number in each cell), ``series`` an
optional column whose values become one line or bar group each (with one ``y`` only).
``formats`` tells the page how to show a number column to people (``money``, ``percent`` for
a 0-1 share, ``number``); it applies to the table too. A column the chart names but the
``RETURN`` does not is refused when the library loads, with the file and header line, since a
typo would otherwise show as an empty chart in front of a business user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KINDS = ("bar", "line", "heatmap", "pie")
FORMATS = ("money", "percent", "number")
_KEYS = {"kind", "x", "y", "series", "value", "formats", "title"}
_ALIAS = re.compile(r"\bAS\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", re.IGNORECASE)
_RETURN = re.compile(r"\bRETURN\b", re.IGNORECASE)
_WORD = re.compile(r"[\w.$]")
_TAIL = re.compile(r"\b(ORDER\s+BY|SKIP|LIMIT|UNION)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Chart:
    """A query's declared chart (see the module docstring)."""

    kind: str
    x: str
    y: tuple[str, ...]
    series: str | None = None
    value: str | None = None
    title: str = ""
    formats: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """What the pages' script reads (``queries.js``, ``charts.js``)."""
        return {"kind": self.kind, "x": self.x, "y": list(self.y), "series": self.series,
                "value": self.value, "title": self.title, "formats": dict(self.formats)}


def return_columns(bare: str) -> list[str]:
    """The column names of the last ``RETURN`` of a statement whose literals and comments are
    blanked (:func:`erm_graph.query.library.strip_literals`): each item's alias, else its text.
    """
    starts = [m.end() for m in _RETURN.finditer(bare)]
    if not starts:
        return []
    text = bare[starts[-1]:]
    text = re.sub(r"^\s*DISTINCT\b", "", text, flags=re.IGNORECASE)
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for i, ch in enumerate(text):
        if depth == 0 and _TAIL.match(text, i) and (i == 0 or not _WORD.match(text[i - 1])):
            break
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    names = []
    for item in (" ".join(i.split()) for i in items):
        alias = _ALIAS.search(item)
        names.append(alias.group(1) if alias else item)
    return [n for n in names if n]


def parse_chart(where: str, raw: Any, columns: list[str], problems: list[str]) -> Chart | None:
    """The chart ``raw`` (the header's ``chart:`` value) declares, or None after adding what
    is wrong with it to ``problems``; ``where`` names the file and line."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: chart must be {{kind: ..., x: ..., y: [...]}}")
        return None
    before = len(problems)
    for key in sorted(set(raw) - _KEYS):
        problems.append(f"{where}: chart: unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}: chart: kind {kind!r} is not one of {', '.join(KINDS)}")
    y = raw.get("y")
    ys = (y,) if isinstance(y, str) else tuple(y) if isinstance(y, list) else ()
    if not ys or not all(isinstance(c, str) for c in ys):
        problems.append(f"{where}: chart: y must name a column or a list of columns")
    if kind in ("heatmap", "pie") and len(ys) > 1:
        problems.append(f"{where}: chart: a {kind} takes one y column, got {len(ys)}")
    if kind == "heatmap" and not raw.get("value"):
        problems.append(f"{where}: chart: a heatmap needs `value:`, the column in its cells")
    if kind != "heatmap" and raw.get("value"):
        problems.append(f"{where}: chart: `value:` is for a heatmap only (use y)")
    if raw.get("series") and (kind not in ("bar", "line") or len(ys) > 1):
        problems.append(f"{where}: chart: `series:` splits one y column of a bar or line chart")
    formats = raw.get("formats") or {}
    if not isinstance(formats, dict):
        problems.append(f"{where}: chart: formats must map a column to one of "
                        f"{', '.join(FORMATS)}")
        formats = {}
    for column, how in formats.items():
        if how not in FORMATS:
            problems.append(f"{where}: chart: format {how!r} of {column!r} is not one of "
                            f"{', '.join(FORMATS)}")
    named = [("x", raw.get("x")), *(("y", c) for c in ys), ("series", raw.get("series")),
             ("value", raw.get("value")), *(("formats", c) for c in formats)]
    for key, column in named:
        if key == "x" and not isinstance(column, str):
            problems.append(f"{where}: chart: x must name a column")
        elif isinstance(column, str) and column not in columns:
            problems.append(f"{where}: chart: {key} {column!r} is not a column the query "
                            f"returns ({', '.join(columns)})")
    if len(problems) > before:
        return None
    return Chart(kind=str(kind), x=raw["x"], y=tuple(ys), series=raw.get("series"),
                 value=raw.get("value"), title=str(raw.get("title") or ""),
                 formats={str(k): str(v) for k, v in formats.items()})
