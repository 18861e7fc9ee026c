"""Every named query gives the same rows through the CLI, the Python API, the JSON API and the
web form filled with its defaults, on the demo.

The parameters are the form's: each declared default, and the example where a parameter is
required. Each leg gets them its own way: the CLI as ``-p name=text`` in a real `erm`
process, Python typed as declared, the JSON API as query-string values (a list repeated), and
the browser by leaving the generated form as it is and reading the table it renders.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

import erm_graph
from erm_graph.query import load_library

LIBRARY = load_library()
NAMES = sorted(q.name for q in LIBRARY if q.read_only)


def form_values(name: str) -> dict[str, Any]:
    """What the web form starts with: defaults, and examples of required parameters."""
    return {p.name: p.example if p.required else p.default
            for p in LIBRARY.get(name).params.values()
            if (p.example if p.required else p.default) is not None}


def erm_command() -> list[str]:
    erm = Path(sys.executable).with_name("erm")
    return [str(erm)] if erm.exists() else [sys.executable, "-c",
                                           "from erm_graph.cli import main; main()"]


def plain(value: Any) -> Any:
    """A value as JSON carries it: NaN (pandas' missing number) is null, numbers compare as
    numbers, numpy scalars and arrays are Python ones."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _record(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("uid"), str)


def cell(value: Any) -> str:
    """The text the page's ``erm.cell`` gives a value (common.js): a result cell's
    ``data-value``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(_js_numbers(value), ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    return value


#: queries that read the clock when a parameter is left out, and that parameter: each leg gets
#: the parameter's example as the moment, else a figure measured from now (hours overdue)
#: differs by when each leg ran
CLOCK = {"service-targets": "as_of", "overdue-tasks": "now"}


@pytest.mark.parametrize("name", NAMES)
def test_every_query_gives_the_same_rows_on_every_leg(name, demo_store, base_url, page):
    values = form_values(name)
    query = LIBRARY.get(name)
    pinned = {CLOCK[name]: query.params[CLOCK[name]].example} if name in CLOCK else {}
    values.update(pinned)

    python = erm_graph.query.dataframe(name, store=demo_store, **pinned, **{
        k: v for k, v in values.items() if query.params[k].required})
    python_rows = [[plain(v) for v in row] for row in python.itertuples(index=False)]
    columns = list(python.columns)

    cli = subprocess.run(
        [*erm_command(), "--db", f"embedded:{demo_store.location}", "query", "run", name,
         "--format", "json",
         *[a for k, v in values.items() for a in ("-p", f"{k}={query.params[k].text(v)}")]],
        capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    cli_rows = [[r[c] for c in columns] for r in json.loads(cli.stdout)]

    api = httpx.get(f"{base_url}/api/queries/{name}", timeout=60, params=[
        ("graph", "false"), *[(k, x) for k, v in values.items()
                              for x in (v if isinstance(v, list) else [query.params[k].text(v)])]])
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["columns"] == columns and not body["truncated"]

    page.goto(f"/queries?{urlencode({'name': name, **pinned})}")
    page.wait_for_function(
        "() => document.querySelector('main.queries')?.dataset.done === '1'", timeout=60_000)
    # the table shows values formatted for people; each cell keeps the value it shows
    shown = page.evaluate("""() => [...document.querySelectorAll('#table table.grid tr')]
        .map(tr => [...tr.children].map(td => td.dataset.column ?? td.dataset.value))""")

    assert python_rows, f"{name} finds nothing on the demo with the form's defaults"
    assert cli_rows == python_rows, "CLI differs from the Python API"
    assert body["rows"] == python_rows, "the JSON API differs from the Python API"
    assert shown[0] == columns
    assert shown[1:] == [[cell(v) for v in row] for row in python_rows], \
        "the web form differs from the Python API"
