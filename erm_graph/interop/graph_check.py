"""What an import checks across the records of its files before it writes anything: rows that
cannot be read, and relationships whose ends are not among the files' nodes. One check for
the admin-import CSV read in two passes (:mod:`erm_graph.interop.csv_import`) and for GraphML,
whose records are held (:func:`erm_graph.interop.transfer.read_records`), so both refuse with
the same messages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from erm_graph import model
from erm_graph.errors import SHOWN_PROBLEMS, ErmError
from erm_graph.interop.checksum import Tally
from erm_graph.interop.stream import NodeRecord, Record


class GraphCheck:
    """The tally of the records handed in, each node's key label and uid, and the
    relationships whose ends are not among the nodes handed in before them: every node must
    come before the relationships (node files are read first)."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.nodes: defaultdict[str, set[str]] = defaultdict(set)
        self.dangling: list[str] = []  # the first SHOWN_PROBLEMS of them
        self.dangled = 0

    def add(self, record: Record) -> None:
        record.add_to(self.tally)
        if isinstance(record, NodeRecord):
            self.nodes[model.LABELS[record.label].key_label].add(record.props["uid"])
        elif (record.start not in self.nodes[record.start_label]
              or record.end not in self.nodes[record.end_label]):
            self.dangled += 1
            if len(self.dangling) < SHOWN_PROBLEMS:
                self.dangling.append(f"{record.type} {record.start_label} {record.start!r} -> "
                                     f"{record.end_label} {record.end!r}")

    def checked(self, path: Path, problems: Sequence[str]) -> Tally:
        """The tally, or refused, nothing written, when ``problems`` (the rows of ``path``
        that could not be read) are any or a relationship's end is not among the nodes."""
        if problems:
            raise ErmError(f"{path}: {len(problems)} row(s) cannot be read, nothing written:\n  "
                           + "\n  ".join(problems[:SHOWN_PROBLEMS]))
        if self.dangled:
            raise ErmError(f"{path}: {self.dangled:,} relationship(s) join nodes that are not in "
                           "the files, nothing written:\n  " + "\n  ".join(self.dangling))
        return self.tally

