"""Ad hoc Cypher for analysts: read-only by default, with a time limit and a row cap.

Read-only is not decided by parsing the text: the engine runs it read-only
(``GRAPH.RO_QUERY`` on FalkorDB, a read transaction on Neo4j) and refuses any write. What the
engine cannot be trusted to stop in time (a text that hangs its parser) is refused before it
gets there: see :mod:`erm_graph.query.guard`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erm_graph import settings
from erm_graph.auth.roles import require
from erm_graph.errors import ErmError
from erm_graph.query import engine_caveats
from erm_graph.query.guard import check_cypher, check_params
from erm_graph.store import GraphStore, QueryResult

#: the engines whose known wrong answers the ad hoc path mends or warns about
FALKORDB_ENGINES = ("embedded", "falkordb")


def run_cypher(store: GraphStore, text: str, params: Mapping[str, Any] | None = None, *,
               write: bool = False, timeout: float | None = None,
               row_cap: int | None = None, role: str | None = None) -> QueryResult:
    """Run one statement; ``result.stats["truncated"]`` is 1 when the row cap cut rows off,
    and ``result.warnings`` names what the engine may have answered wrongly (see
    :mod:`erm_graph.query.engine_caveats`).
    With a ``role``, only analysts and above may run it (see :mod:`erm_graph.auth.roles`)."""
    if role is not None:
        require(role, "query.cypher")
    text = text.strip()
    if not text:
        raise ErmError("the query is empty")
    check_cypher(text)  # before the engine: some texts hang its parser
    check_params(params or {})
    timeout = float(settings.get("query_timeout")) if timeout is None else timeout
    cap = int(settings.get("row_cap")) if row_cap is None else row_cap
    caveats = store.engine in FALKORDB_ENGINES
    if caveats:
        text = engine_caveats.mend(text)
    result = store.run(text, params or {}, read_only=not write, timeout=timeout)
    if caveats:
        result.warnings = engine_caveats.warnings_for(text)
        result.warnings += engine_caveats.result_warnings(text, result.rows, result.warnings)
    result.stats["truncated"] = float(len(result.rows) > cap)
    del result.rows[cap:]
    return result
