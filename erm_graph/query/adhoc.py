"""Ad hoc Cypher for analysts: read-only by default, with a time limit and a row cap.

Read-only is not decided by parsing the text: the engine runs it read-only
(``GRAPH.RO_QUERY`` on FalkorDB, a read transaction on Neo4j) and refuses any write. What the
engine cannot be trusted to stop in time (a text that hangs its parser) is refused before it
gets there: see :mod:`erm_graph.query.guard`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from erm_graph.auth.roles import ROLE_TITLES, allowed, require
from erm_graph.errors import ErmError, QueryError, ReadOnlyError
from erm_graph.events import WriteKind, writing
from erm_graph.query import engine_caveats
from erm_graph.query.cypher_text import CypherSyntaxError, position, tokens
from erm_graph.query.guard import check_cypher, check_params
from erm_graph.settings import current
from erm_graph.store import GraphStore, QueryResult
from erm_graph.store.base import RUN_TAG

#: the engines whose known wrong answers the ad hoc path mends or warns about
FALKORDB_ENGINES = ("embedded", "falkordb")
#: What every write through Cypher is told. Decided (issue 14): a statement's writes are not
#: checked against the model. The embedded engine has no multi-statement transactions to roll
#: back in, and a statement does not say which records it touched, so a check afterwards
#: could neither find them all nor undo them; the writes that must be checked go through
#: erm_graph.edit (`erm add/set/link/unlink/remove`, the web app's forms), and Cypher writes
#: stay the analyst's audited escape hatch, said so on every run.
BYPASSES_MODEL = ("this write bypassed the model: no check of labels, required properties, "
                  "kinds, choices or relationship ends, no uid, created_at or updated_at. "
                  "Write records with `erm add`, `erm set`, `erm link` (or the web app's "
                  "forms), which check them; `erm audit --action cypher` shows this write")


#: the clauses that write, for the place a refused write is marked at
_WRITE_WORDS = ("CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "FOREACH")


def run_cypher(store: GraphStore, text: str, params: Mapping[str, Any] | None = None, *,
               write: bool = False, timeout: float | None = None,
               row_cap: int | None = None, role: str | None = None,
               run_id: str | None = None) -> QueryResult:
    """Run one statement; ``result.stats["truncated"]`` is 1 when the row cap cut rows off,
    and ``result.warnings`` names what the engine may have answered wrongly (see
    :mod:`erm_graph.query.engine_caveats`).
    With a ``role`` (a person on the web app), only analysts and above may run it (see
    :mod:`erm_graph.auth.roles`), and a refused write is explained for that role.
    A read with a ``run_id`` can be stopped from another thread by
    ``store.stop_read(run_id)``. An error the engine or the guard places in the text carries
    its ``position`` (line, column) in ``text`` as written."""
    if role is not None:
        require(role, "query.cypher")
    with _explained(text, role):
        text = text.strip()
        if not text:
            raise ErmError("the query is empty")
        check_cypher(text)  # before the engine: some texts hang its parser
        check_params(params or {})
        if run_id is not None and not write:
            params = {**(params or {}), RUN_TAG: run_id}
        settings = current()
        timeout = settings.query_timeout if timeout is None else timeout
        cap = settings.row_cap if row_cap is None else row_cap
        caveats = store.engine in FALKORDB_ENGINES
        if caveats:
            text = engine_caveats.mend(text)
        if write:  # announced, so audited; parameter values are not recorded, only their names
            with writing(WriteKind.CYPHER, text, store,
                         detail={"params": sorted(params or {})}) as report:
                result = store.run(text, params or {}, read_only=False, timeout=timeout)
                report.detail.update(result.stats)
            result.warnings.append(BYPASSES_MODEL)
        else:
            result = store.run(text, params or {}, read_only=True, timeout=timeout)
        if caveats:
            result.warnings += engine_caveats.warnings_for(text)
            result.warnings += engine_caveats.result_warnings(text, result.rows, result.warnings)
        result.stats["truncated"] = float(len(result.rows) > cap)
        del result.rows[cap:]
        return result


@contextmanager
def _explained(text: str, role: str | None) -> Iterator[None]:
    """Errors placed in ``text`` (see :func:`_place`), and a refused write in words for a
    person on the web app (the CLI's message names its --write)."""
    try:
        yield
    except (QueryError, CypherSyntaxError) as error:
        _place(error, text)
        raise
    except ReadOnlyError as error:
        raise _refused_write(text, role) if role is not None else error from None


def _place(error: ErmError, text: str) -> None:
    """Set ``error.position`` to the (line, column) in ``text`` (as the person wrote it, before
    :func:`run_cypher` stripped it) that the engine named by an offset or by a name, and say
    it in the message."""
    lead = len(text) - len(text.lstrip())
    offset: int | None = None
    if isinstance(error, QueryError | CypherSyntaxError) and error.offset is not None:
        offset = min(lead + error.offset, len(text))
    elif isinstance(error, QueryError) and error.near is not None:
        offset = _first_name(text, error.near)
    if offset is not None and error.position is None:
        error.position = position(text, offset)
        error.args = (f"{error} (line {error.position[0]}, column {error.position[1]})",)


def _first_name(text: str, name: str) -> int | None:
    try:
        return next((t.start for t in tokens(text) if t.kind == "name" and t.text == name), None)
    except CypherSyntaxError:
        return None


def _refused_write(text: str, role: str) -> ReadOnlyError:
    """The engine's refusal of a write, in words for a person on the web app: what the console
    is for, where the query writes, and where that role can change data instead."""
    try:
        clause = next((t for t in tokens(text) if t.is_word(*_WRITE_WORDS)), None)
    except CypherSyntaxError:
        clause = None
    where = ""
    if clause is not None:
        line, column = position(text, clause.start)
        where = f" ({clause.upper} at line {line}, column {column})"
    title = ROLE_TITLES.get(role, role)
    instead = ("To change data, edit the records on their own pages (they keep the audit "
               "trail) or load a file." if allowed(role, "edit") else
               f"The {title} role reads the graph only: to change data, ask an editor.")
    error = ReadOnlyError(f"This console only reads the graph, and this query would change "
                          f"it{where}. Nothing was changed. {instead}")
    if clause is not None:
        error.position = line, column
    return error
