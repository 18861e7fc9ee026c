"""Ingest: sources become `GraphBatch` objects, checked whole, then written by `write_batch`.

:func:`erm_graph.load` is the one entry point for files (``erm load``); loaders live in
``loaders/`` and follow the contract of :mod:`erm_graph.ingest.contract`. The names below are
imported on first use (:mod:`erm_graph.lazy_names`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erm_graph import lazy_names

if TYPE_CHECKING:
    from erm_graph.ingest.batch import GraphBatch
    from erm_graph.ingest.contract import LoadContext, Loader, LoaderResult, LoadOptions
    from erm_graph.ingest.load import Prepared, prepare
    from erm_graph.ingest.untrusted import LoadError
    from erm_graph.ingest.writer import LoadReport, write_batch

_EXPORTS = {
    "GraphBatch": "erm_graph.ingest.batch",
    **dict.fromkeys(("LoadContext", "Loader", "LoaderResult", "LoadOptions"),
                    "erm_graph.ingest.contract"),
    **dict.fromkeys(("Prepared", "prepare"), "erm_graph.ingest.load"),
    "LoadError": "erm_graph.ingest.untrusted",
    **dict.fromkeys(("LoadReport", "write_batch"), "erm_graph.ingest.writer"),
}


def __getattr__(name: str) -> Any:
    return lazy_names.attribute(__name__, _EXPORTS, name)


__all__ = ["GraphBatch", "LoadContext", "LoadError", "LoadOptions", "LoadReport", "Loader",
           "LoaderResult", "Prepared", "prepare", "write_batch"]
