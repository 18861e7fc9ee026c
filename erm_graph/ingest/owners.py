"""Which file owns a map's uids: two different files never write the same uids unless the
person loading them says they describe the same thing.

A flowchart's uids start with its namespace (``LoadContext.namespace``: ``--map NAME``, else the
file's stem), and its process and map record the file that wrote them (``source_file``).
Without this check, two files whose names give one namespace (``orders.bpmn`` and
``orders.drawio``, ``Order Process.bpmn`` and ``order-process.bpmn``) wrote the same uids, and
a process silently held the steps of both.

"Same file" means the same file name: loading ``orders.bpmn`` again, from this folder or
another, revises the map it wrote. Naming the map (``--map NAME``, the web upload's ``map``
field, ``map_name=`` in Python) is how the person loading says which map the file writes;
then no owner is checked, and the file becomes the map's recorded source.
"""

from __future__ import annotations

from collections.abc import Sequence

from erm_graph.ingest.contract import LoaderResult, slug
from erm_graph.ingest.untrusted import LoadError
from erm_graph.query.owners import map_files
from erm_graph.store import GraphReader


class MapTaken(LoadError):
    """A load would write the uids of a map another file wrote."""

    kind = "conflict"


def refuse_taken_maps(store: GraphReader, sources: Sequence[LoaderResult],
                      map_name: str | None) -> None:
    """Raise :class:`MapTaken` when a source that makes maps, loaded without a map name,
    would write under a namespace that another file of this load or of the graph owns."""
    claims: dict[str, str] = {}
    for source in sources:
        if map_name or not makes_maps(source):
            continue
        first = claims.setdefault(source.namespace, source.name)
        if first != source.name:
            raise _taken(source, first)
    for source in sources:
        if claims.get(source.namespace) != source.name:
            continue
        others = sorted(str(o) for o in map_files(store, source.namespace)
                        if o is not None and o != source.name)
        if others:
            raise _taken(source, others[0])


def namespace_of(uid: str) -> str:
    """The namespace of a map, of its process or of one of its steps (the uid up to its first
    ``/``; a namespace is a :func:`slug` and holds none); a namespace is its own."""
    return uid.split("/", 1)[0]


def makes_maps(source: LoaderResult) -> bool:
    """The source makes maps under its namespace (a flowchart, not a table of exported maps)."""
    prefix = f"{source.namespace}/"
    return any(str(row.get("uid", "")).startswith(prefix)
               for row in source.batch.nodes.get("Map", ()))


def _taken(source: LoaderResult, owner: str) -> MapTaken:
    return MapTaken(
        f"{source.name}: its maps would have the uids of the map '{source.namespace}', which "
        f"{owner} wrote; two different files never share uids. If {source.name} is a new "
        f"version of the same diagram, load it with --map {source.namespace}; to keep both, "
        f"give it a map of its own, e.g. --map {slug(source.name)} (in the web upload: the map "
        f"field; in Python: map_name=)")
