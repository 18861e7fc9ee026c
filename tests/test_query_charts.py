"""The ``chart:`` header of named queries, the typed form fields of the queries page, and the
vendored chart library (erm_graph/query/charts.py, erm_graph/web/forms.py, tools/vendor_js.py).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

from erm_graph.query import load_library, run_query
from erm_graph.query.charts import return_columns
from erm_graph.query.library import QueryLibraryError, strip_literals
from erm_graph.web.forms import fields, lookup_labels

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "erm_graph" / "web" / "static"

GOOD = """// name: by-segment
// title: Customers by segment
// description: How many customers each segment has.
// access: [analyst]
// params:
//   limit: {type: integer, default: 5, min: 1}
// chart: {kind: bar, x: segment, y: [customers], formats: {value: money}}
MATCH (c:Customer)
RETURN c.segment AS segment, count(c) AS customers, sum(c.value) AS value
ORDER BY customers DESC
LIMIT $limit
"""


def write(folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "by-segment.cypher").write_text(text)


def test_a_good_chart_header_is_read(tmp_path):
    write(tmp_path, GOOD)
    chart = load_library(tmp_path).get("by-segment").chart
    assert chart is not None
    assert (chart.kind, chart.x, chart.y, chart.formats) == (
        "bar", "segment", ("customers",), {"value": "money"})


@pytest.mark.parametrize("chart, problem", [
    ("{kind: donut, x: segment, y: [customers]}", "kind 'donut' is not one of bar, line"),
    ("{kind: bar, x: segmnet, y: [customers]}", "x 'segmnet' is not a column the query returns "
                                                "(segment, customers, value)"),
    ("{kind: bar, x: segment, y: [clients]}", "y 'clients' is not a column"),
    ("{kind: bar, x: segment}", "y must name a column"),
    ("{kind: heatmap, x: segment, y: customers}", "a heatmap needs `value:`"),
    ("{kind: pie, x: segment, y: [customers, value]}", "a pie takes one y column"),
    ("{kind: bar, x: segment, y: [customers, value], series: segment}", "`series:` splits one"),
    ("{kind: bar, x: segment, y: [customers], formats: {value: euros}}", "format 'euros'"),
    ("{kind: bar, x: segment, y: [customers], colour: red}", "unknown key 'colour'"),
    ("[bar, segment]", "chart must be {kind"),
])
def test_a_bad_chart_header_stops_the_load_naming_file_and_line(tmp_path, chart, problem):
    write(tmp_path, re.sub(r"// chart: .*", f"// chart: {chart}", GOOD))
    with pytest.raises(QueryLibraryError) as caught:
        load_library(tmp_path)
    assert problem in str(caught.value)
    assert "by-segment.cypher:7: chart" in str(caught.value)


def test_return_columns_reads_aliases_nesting_and_stops_at_order_by():
    cypher = ("MATCH (n) WITH n RETURN DISTINCT n.uid AS uid, [x IN [1, 2] | {a: x, b: 2}] AS "
              "xs, n.name, count(*) AS order_count ORDER BY uid SKIP 1 LIMIT 3")
    assert return_columns(cypher) == ["uid", "xs", "n.name", "order_count"]


def test_return_columns_are_the_columns_the_engine_returns_for_every_query(demo_store):
    for query in load_library():
        result = run_query(demo_store, query.name, query.example_params())
        assert return_columns(strip_literals(query.cypher)) == result.columns, query.name


def test_queries_with_a_chart_shape_declare_one():
    charts = {q.name: q.chart.kind for q in load_library() if q.chart}
    assert charts["complaint-hotspots"] == "heatmap"
    assert charts["customer-needs"] == "heatmap"
    assert charts["sales-by-domain"] == "line"
    assert charts["lifetime-value"] == "bar"


def test_form_fields_follow_the_declared_types_and_look_parties_up_by_name():
    library = load_library()
    kinds = {f.param.name: f.widget for f in fields(library.get("complaint-hotspots"))}
    assert kinds == {"since": "date", "until": "date", "case_kinds": "list", "limit": "number"}
    assert {f.param.name: f.widget for f in fields(library.get("sales-by-domain"))}["period"] \
        == "select"
    assert lookup_labels(library.get("customer-360")) == {"uid": "Party"}
    assert lookup_labels(library.get("warm-path")) == {"target": "Party"}
    assert lookup_labels(library.get("relationship-map")) == {"uid": "Process"}
    lookup = fields(library.get("customer-360"))[0]
    assert (lookup.widget, lookup.label) == ("lookup", "Party")


def _pins():
    spec = importlib.util.spec_from_file_location("vendor_js", ROOT / "tools" / "vendor_js.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PINS


def test_vendored_echarts_is_the_pinned_version_with_its_licence():
    version, files = _pins()["echarts"]
    folder = STATIC / "vendor" / "echarts"
    for name in files.values():
        assert (folder / name).is_file(), f"{name} missing: run `make vendor`"
    shipped = re.findall(r'\.version="(\d+\.\d+\.\d+)"', (folder / "echarts.min.js").read_text())
    assert shipped == [version], f"echarts.min.js is {shipped}, pinned {version}: `make vendor`"
    assert "Apache License" in (folder / "LICENSE").read_text()


def test_vendored_files_are_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["erm_graph"]
    for path in (STATIC / "vendor").rglob("*"):
        if path.is_file():
            relative = path.relative_to(ROOT / "erm_graph").as_posix()
            assert any(fnmatch.fnmatch(relative, p) and relative.count("/") == p.count("/")
                       for p in patterns), f"{relative} is not in the wheel"


def test_no_page_or_script_loads_anything_from_another_site():
    web = ROOT / "erm_graph" / "web"
    for path in [*(web / "templates").glob("*.html"), *STATIC.glob("*.html"),
                 *STATIC.glob("*.js"), *STATIC.glob("*.css")]:
        text = path.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path
        assert not re.search(r"""(import|fetch)\s*\(\s*["'](https?:)?//""", text), path
        assert "url(http" not in text.replace(" ", ""), path


def test_a_path_column_names_its_uids_in_order():
    from erm_graph.query.subgraph import mentioned_uids, uid_paths
    from erm_graph.store import QueryResult

    result = QueryResult(columns=["employee_uid", "chain", "names"],
                         rows=[["emp-1", ["emp-1", "part-2", "cust-3"], ["A", "B", "C"]]])
    assert uid_paths(result) == [["emp-1", "part-2", "cust-3"]]
    assert mentioned_uids(result) == ["emp-1", "part-2", "cust-3"]
