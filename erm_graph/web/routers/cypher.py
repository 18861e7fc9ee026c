"""The read-only Cypher console and the named query library."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from erm_graph.query import load_library, run_cypher, run_query
from erm_graph.query.guard import MAX_QUERY_CHARS
from erm_graph.store import GraphStore, QueryResult
from erm_graph.viz import result_graph
from erm_graph.viz.vis import to_vis
from erm_graph.web.config import WebSettings
from erm_graph.web.deps import Settings, Store
from erm_graph.web.spreadsheet import csv_download

router = APIRouter(prefix="/api", tags=["queries"])


class CypherRequest(BaseModel):
    query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                description="one read-only Cypher statement")]
    params: dict[str, Any] = Field(default_factory=dict,
                                   description="values for $parameters in the statement")


def result_body(store: GraphStore, result: QueryResult,
                settings: WebSettings) -> dict[str, Any]:
    """Rows for the table, and the graph they show (see :func:`result_graph`)."""
    graph = to_vis(result_graph(store, result, timeout=settings.query_timeout))
    cut = len(graph["nodes"]) > settings.node_cap
    if cut:
        keep = {n["id"] for n in graph["nodes"][: settings.node_cap]}
        graph["nodes"] = graph["nodes"][: settings.node_cap]
        graph["edges"] = [e for e in graph["edges"] if e["from"] in keep and e["to"] in keep]
    return {"columns": result.columns, "rows": result.rows,
            "truncated": bool(result.stats.get("truncated")), "graph_truncated": cut,
            "warnings": result.warnings, "graph": graph}


@router.post("/cypher", summary="Run one read-only statement, with a timeout and a row cap")
def post_cypher(store: Store, settings: Settings, body: CypherRequest,
                request: Request) -> dict[str, Any]:
    result = run_cypher(store, body.query, body.params, write=False,
                        timeout=settings.query_timeout, row_cap=settings.row_cap,
                        role=request.state.principal.role)
    return result_body(store, result, settings)


@router.get("/queries", summary="The named query library with each query's parameters")
def get_queries() -> list[dict[str, Any]]:
    return [{"name": q.name, "title": q.title, "description": q.description,
             "roles": list(q.roles), "read_only": q.read_only,
             "params": [{"name": p.name, "type": p.type, "required": p.required,
                         "default": p.default, "example": p.example, "help": p.help,
                         "choices": list(p.choices)} for p in q.params.values()]}
            for q in sorted(load_library(), key=lambda q: q.name) if q.read_only]


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
                       role=request.state.principal.role)
    result.stats["truncated"] = float(len(result.rows) > settings.row_cap)
    del result.rows[settings.row_cap:]
    if format == "csv":
        return csv_download(result.columns, result.rows, f"{name}.csv")
    if not graph:
        return {"columns": result.columns, "rows": result.rows,
                "truncated": bool(result.stats.get("truncated"))}
    return result_body(store, result, settings)
