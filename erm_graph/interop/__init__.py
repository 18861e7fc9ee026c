"""Interop: move a whole graph in and out losslessly (Neo4j admin-import CSV, GraphML, a copy).

Every route streams the graph the same way (:mod:`~erm_graph.interop.stream`), and checks
itself with one checksum (:mod:`~erm_graph.interop.checksum`): counts per label and type and a
digest of every record's properties, equal on both sides or the command fails.
"""

from erm_graph.interop.checksum import Tally, Verification, tally_store
from erm_graph.interop.transfer import copy_graph, export_graph, import_graph

__all__ = ["Tally", "Verification", "copy_graph", "export_graph", "import_graph",
           "tally_store"]
