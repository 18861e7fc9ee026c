"""erm-graph: ``erm_graph.load(...)`` loads sources, ``erm_graph.query.dataframe(name, ...)``
runs a named query into a DataFrame."""

from erm_graph import query
from erm_graph.auth.audit import record_writes
from erm_graph.events import WRITES
from erm_graph.ingest.load import load
from erm_graph.query.partner_scope import forget_scopes_after
from erm_graph.query.result_cache import forget_results_after

# The package's subscriptions, here where any use of it starts: the audit trail hears every
# write (erm_graph/events.py), whoever makes it, and partners' cached scopes and the web app's
# kept query answers are dropped after each one.
WRITES.subscribe(record_writes)
WRITES.subscribe(forget_scopes_after)
WRITES.subscribe(forget_results_after)

__all__ = ["load", "query"]
