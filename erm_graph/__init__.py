"""erm-graph: ``erm_graph.load(...)`` loads sources, ``erm_graph.query.dataframe(name, ...)``
runs a named query into a DataFrame."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from erm_graph import lazy_names
from erm_graph.events import WRITES, subscriber_in

if TYPE_CHECKING:
    from erm_graph import query
    from erm_graph.ingest.load import load

# The package's subscriptions, here where any use of it starts: the audit trail hears every
# write (erm_graph/events.py), whoever makes it, and partners' cached scopes and the web app's
# kept query answers are dropped after each one. Each is imported by the first write, so that
# importing the package stays light: the `erm` console script imports it before it starts the
# embedded engine (erm_graph/console_script.py).
WRITES.subscribe(subscriber_in("erm_graph.auth.audit", "record_writes"))
WRITES.subscribe(subscriber_in("erm_graph.query.partner_scope", "forget_scopes_after"))
WRITES.subscribe(subscriber_in("erm_graph.query.result_cache", "forget_results_after"))


def __getattr__(name: str) -> Any:
    """``erm_graph.load`` and ``erm_graph.query``, imported on first use."""
    if name == "query":  # the subpackage itself: once imported, it is the attribute
        return importlib.import_module("erm_graph.query")
    return lazy_names.attribute(__name__, {"load": "erm_graph.ingest.load"}, name)


__all__ = ["load", "query"]
