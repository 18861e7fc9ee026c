"""The read-only Cypher console and the named query library."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from erm_graph import model
from erm_graph.auth.roles import may_run_named
from erm_graph.query import load_library, run_cypher, run_query
from erm_graph.query.guard import MAX_QUERY_CHARS
from erm_graph.query.library import NamedQuery
from erm_graph.query.result_cache import RESULTS
from erm_graph.query.subgraph import uid_paths
from erm_graph.settings import Settings as AppSettings
from erm_graph.store import GraphStore, QueryResult
from erm_graph.viz import result_graph
from erm_graph.viz.vis import to_vis
from erm_graph.web.console_runs import ConsoleRuns
from erm_graph.web.deps import Settings, Store
from erm_graph.web.spreadsheet import csv_download

router = APIRouter(prefix="/api", tags=["queries"])


#: the console's runs, by the id its page gives each (see :mod:`erm_graph.web.console_runs`)
RUNS = ConsoleRuns()
RUN_ID = r"^[A-Za-z0-9_-]{8,64}$"


class CypherRequest(BaseModel):
    query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                description="one read-only Cypher statement")]
    params: dict[str, Any] = Field(default_factory=dict,
                                   description="values for $parameters in the statement")
    run_id: str | None = Field(None, pattern=RUN_ID,
                               description="a new random id for this run, to stop it with "
                                           "`POST /api/cypher/runs/{run_id}/cancel`")


def result_body(store: GraphStore, result: QueryResult,
                settings: AppSettings) -> dict[str, Any]:
    """Rows for the table, and the graph they show (see :func:`result_graph`), with the
    paths the rows name as lists of uids (``paths``: the page lays those out left to right)."""
    graph = to_vis(result_graph(store, result))
    cut = len(graph["nodes"]) > settings.web_node_cap
    if cut:
        keep = {n["id"] for n in graph["nodes"][: settings.web_node_cap]}
        graph["nodes"] = graph["nodes"][: settings.web_node_cap]
        graph["edges"] = [e for e in graph["edges"] if e["from"] in keep and e["to"] in keep]
    shown = {n["id"] for n in graph["nodes"]}
    graph["paths"] = [p for p in uid_paths(result) if set(p) <= shown]
    return {"columns": result.columns, "rows": result.rows,
            "truncated": bool(result.stats.get("truncated")), "graph_truncated": cut,
            "warnings": result.warnings, "graph": graph}


def runnable(role: str) -> list[NamedQuery]:
    """The read-only named queries ``role`` may run, by name: what the queries page and
    ``/api/queries`` list (a query the user cannot run is only in the way)."""
    return [q for q in sorted(load_library(), key=lambda q: q.name)
            if q.read_only and may_run_named(role, q.access)]


@router.post("/cypher", summary="Run one read-only statement, with a timeout and a row cap; "
                                 "an error placed in the text answers its `line` and `column`")
def post_cypher(store: Store, settings: Settings, body: CypherRequest,
                request: Request) -> dict[str, Any]:
    principal = request.state.principal
    with RUNS.running(body.run_id, principal.name) if body.run_id else nullcontext():
        result = run_cypher(store, body.query, body.params, write=False,
                            timeout=settings.query_timeout, row_cap=settings.web_row_cap,
                            role=principal.role, run_id=body.run_id)
    return result_body(store, result, settings)


@router.post("/cypher/runs/{run_id}/cancel",
             summary="Stop a statement you started with this `run_id`; its own request then "
                     "answers 409 `cancelled`. `stopped` says whether the engine ended it at "
                     "once (false: it ends at its timeout)")
def cancel_cypher(store: Store, request: Request,
                  run_id: Annotated[str, Path(pattern=RUN_ID)]) -> dict[str, bool]:
    return {"stopped": RUNS.cancel(store, run_id, request.state.principal.name)}


@router.get("/vocabulary", summary="The labels, relationship types and properties of the model "
                                    "in force (the library's extension included): what the "
                                    "console completes")
def get_vocabulary() -> dict[str, Any]:
    return vocabulary_json(model.current())


@router.get("/queries", summary="The named queries the caller may run, with each query's "
                                  "parameters, who may run it and whom it is written for")
def get_queries(request: Request) -> list[dict[str, Any]]:
    return [{"name": q.name, "title": q.title, "description": q.description,
             "access": list(q.access), "audience": list(q.audience), "read_only": q.read_only,
             "params": [{"name": p.name, "type": p.type, "required": p.required,
                         "default": p.default, "example": p.example, "help": p.help,
                         "choices": list(p.choices)} for p in q.params.values()],
             "chart": q.chart.as_json() if q.chart else None}
            for q in runnable(request.state.principal.role)]


@router.get("/queries/{name}", summary="Run a named query; parameters come as query string "
                                       "values typed by the query's declaration (a list: "
                                       "`a,b` or repeated), `format=csv` downloads the rows, "
                                       "`graph=false` leaves out the graph of the records the "
                                       "rows name",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def run_named(store: Store, settings: Settings, request: Request, name: str,
              format: Literal["json", "csv"] = "json", graph: bool = True) -> Any:
    given = {k: request.query_params.getlist(k) for k in request.query_params
             if k not in ("format", "graph")}
    params = load_library().get(name).parse(given)
    result = run_query(store, name, params, timeout=settings.query_timeout,
                       role=request.state.principal.role, cache=RESULTS)
    result.stats["truncated"] = float(len(result.rows) > settings.web_row_cap)
    del result.rows[settings.web_row_cap:]
    if format == "csv":
        return csv_download(result.columns, result.rows, f"{name}.csv")
    if not graph:
        return {"columns": result.columns, "rows": result.rows,
                "truncated": bool(result.stats.get("truncated"))}
    return result_body(store, result, settings)


def vocabulary_json(vocabulary: model.Vocabulary) -> dict[str, Any]:
    """Each label with its properties (the common ones included) and help, each relationship
    type with the labels it joins and its properties, and every property name once."""
    def props(names: dict[str, model.Prop]) -> list[dict[str, str]]:
        return [{"name": n, "type": p.kind.value, "help": p.help} for n, p in sorted(names.items())]

    return {
        "labels": [{"name": lab.name, "help": lab.help,
                    "properties": props({**model.COMMON_PROPS, **lab.props})}
                   for lab in sorted(vocabulary.labels.values(), key=lambda x: x.name)],
        "relationships": [{"name": rel.name, "help": rel.help, "from": list(rel.starts),
                           "to": list(rel.ends), "properties": props(rel.props)}
                          for rel in sorted(vocabulary.relationships.values(),
                                            key=lambda x: x.name)],
        "properties": sorted(vocabulary.property_keys()),
    }
