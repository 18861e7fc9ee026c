"""`erm import` of Neo4j admin-import files in two passes, in memory that does not grow with
the files' text or records (docs/loaders.md, "Streaming within the all-or-nothing rule").

The **check pass** reads every file, node files first, and keeps only what the checks across
rows need: the tally, the rows that cannot be read, and the key label and uid of every node,
for the relationships whose ends are not among them. Anything wrong refuses the import with
nothing written. The **write pass** reads the same files again and hands each record to the
writer as it is read. Each file is read a block at a time
(:func:`~erm_graph.ingest.file_blocks.text_lines`), and must be, in both passes, the one the
check pass found (its :class:`~erm_graph.ingest.file_blocks.Stamp`): a file changed between
the passes is refused before anything is written, one changed while it is written fails its
read.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from erm_graph.errors import ErmError
from erm_graph.ingest.file_blocks import refuse_changed, stamp, text_lines
from erm_graph.interop import neo4j_csv
from erm_graph.interop.checksum import Tally
from erm_graph.interop.graph_check import GraphCheck
from erm_graph.interop.stream import GraphWriter, RelRecord

#: what a failure of the write pass adds: the target was empty, and holds part of the files now
PARTLY_WRITTEN = ("; the target graph holds part of the import: empty it with `erm reset --yes` "
                  "and import the files again")
#: what a refusal of files changed after the check pass asks for
AGAIN = "import it again once it is written"


class ImportFiles:
    """The admin-import files of ``path`` as the check pass found them. ``again`` and
    ``partly_written`` word what a changed file's refusal asks for and what a failed write
    pass leaves, for a caller (``erm restore``) that words them its own way."""

    def __init__(self, path: Path, *, again: str = AGAIN, partly_written: str = PARTLY_WRITTEN):
        self.path = path
        self.again = again
        self.partly_written = partly_written
        self.stated: dict[Path, os.stat_result] = {
            file: file.stat() for file in neo4j_csv.find_files([path])}
        self.stamps = {file: stamp(file, found) for file, found in self.stated.items()}

    def texts(self) -> list[tuple[Path, neo4j_csv.Text]]:
        """Each file with its lines, read from disk when asked, as it was found."""
        return [(file, partial(text_lines, file, stated))
                for file, stated in self.stated.items()]

    def check(self) -> Tally:
        """Read every file; the tally of their records, or refused, nothing written, when a
        row cannot be read or a relationship joins nodes that are not in the files
        (:class:`~erm_graph.interop.graph_check.GraphCheck`)."""
        check, parsed = GraphCheck(), neo4j_csv.Parsed()
        neo4j_csv.read(self.texts(), parsed, lambda record, _: check.add(record),
                       lambda record, _: check.add(record))
        return check.checked(self.path, [str(p) for _, p in parsed.problems])

    def unchanged(self) -> None:
        """Refuse, before anything is written, a file changed since the check pass read it."""
        refuse_changed(self.stamps, self.again)

    def write(self, writer: GraphWriter) -> None:
        """Read the checked files again, each record handed to ``writer`` as it is read: every
        node, then (once the nodes are written) every relationship."""
        self.unchanged()
        nodes_done = False

        def rel(record: RelRecord, _: str) -> None:
            nonlocal nodes_done
            if not nodes_done:
                writer.finish_nodes()
                nodes_done = True
            writer.add(record)

        parsed = neo4j_csv.Parsed()
        try:
            neo4j_csv.read(self.texts(), parsed, lambda record, _: writer.add(record), rel)
        except ErmError as exc:  # a file changed while it was read (FileBlocks says so)
            raise ErmError(f"{exc}{self.partly_written}") from None
        if parsed.problems:  # a change made while the file was read, its stamp unchanged
            raise ErmError(f"{self.path}: rows that were read when checked cannot be read now: "
                           f"{parsed.problems[0][1]}; the files changed while they were "
                           f"written{self.partly_written}")
