"""Stream a whole graph out of a store, and write streamed records into another, unchanged.

Reading pages through each key label by uid (``WHERE n.uid > $after ORDER BY n.uid LIMIT $n``)
and, for each page, the relationships that start there, found by the uid index. Labels and
types in the Cypher come from the model only; a type or a label read back from the data is used
only after it has been found in the model.

Writing copies every property as it is (``created_at``, ``updated_at``, ``content_hash`` too),
so a copy has the same checksum as its source (:mod:`erm_graph.interop.checksum`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.interop.checksum import Tally
from erm_graph.store.upsert import match_ends

#: Nodes per page when reading; their outgoing relationships come with each page.
PAGE = 5000
#: Pages whose bounds one read finds (:func:`_pages`).
LOOKAHEAD = 20
#: Relationships one read returns at most: a page's nodes may start many (an account
#: manager's thousands of accounts), and a reply is held whole until it is parsed.
REL_PAGE = 20_000
#: Records per write.
BATCH = 5000


@dataclass(slots=True)
class NodeRecord:
    """A node: its most specific model label and every property (``uid`` included)."""

    label: str
    props: dict[str, Any]

    def add_to(self, tally: Tally) -> None:
        tally.add_node(model.LABELS[self.label].labels, self.props)


@dataclass(slots=True)
class RelRecord:
    """A relationship between two nodes known by key label and uid, with every property."""

    type: str
    start_label: str
    start: str
    end_label: str
    end: str
    props: dict[str, Any]

    def add_to(self, tally: Tally) -> None:
        tally.add_relationship(self.type, self.start_label, self.start, self.end_label,
                               self.end, self.props)


Record = NodeRecord | RelRecord


def node_label(labels: Iterable[str]) -> str:
    """The one model label a node with ``labels`` is (``["Party", "Customer"]`` -> Customer).

    Raises ``ValueError`` naming what was expected when the labels are not one model label,
    optionally with its parent.
    """
    given = [lab for lab in labels if lab]
    unknown = [lab for lab in given if lab not in model.LABELS]
    if unknown:
        raise ValueError(f"labels of the model ({', '.join(sorted(model.LABELS))})")
    specific = {lab for lab in given if model.LABELS[lab].parent} or set(given)
    if len(specific) != 1:
        raise ValueError("one model label, optionally with its parent (Party;Customer)")
    (name,) = specific
    if not set(given) <= set(model.LABELS[name].labels):
        raise ValueError("one model label, optionally with its parent (Party;Customer)")
    return name


def walk(store, problems: list[str], *, nodes: bool = True, relationships: bool = True,
         page: int | None = None) -> Iterator[Record]:
    """Every node of every model label, and every relationship, as records.

    Within a key label nodes come in uid order, each page followed by the relationships that
    start at its nodes. What cannot be read as a record of the model (a relationship type or
    a label outside it) is appended to ``problems``.
    """
    size = page or PAGE
    for key in model.KEY_LABELS:
        for rows in _pages(store, key, size, nodes):
            uids = [row[0] for row in rows]
            if nodes:
                for uid, labels, props in rows:
                    try:
                        yield NodeRecord(node_label(labels), props)
                    except ValueError as exc:
                        problems.append(f"node {key} {uid!r} has labels {labels}: expected "
                                        f"{exc}")
            if relationships:
                yield from _relationships(store, key, uids, problems)


def _pages(store, key: str, size: int, props: bool) -> Iterator[list[list[Any]]]:
    """The ``key`` nodes in uid order, at most ``size`` a page: rows of (uid, labels,
    properties), or of the uid alone without ``props``.

    Each page is read between two uids found beforehand, ``LOOKAHEAD`` pages' worth at a
    time: the engine answers "the first ``size`` nodes after this uid, in uid order" by
    reading every node after it, so paging by that alone costs the square of the label's
    size. Nodes written during the walk land in a page as they would before: a page that
    comes back full before its bound is read on from its last uid. The rows past the bound
    are dropped here: FalkorDB's uid index scan does not hold a string's upper bound (it
    returns nodes past it).
    """
    columns = "n.uid, labels(n), properties(n)" if props else "n.uid"
    bounds = (f"MATCH (n:{key}) WHERE n.uid > $after WITH n.uid AS u ORDER BY u LIMIT $ahead "
              f"WITH collect(u) AS us RETURN [i IN range($n - 1, size(us) - 1, $n) | us[i]], "
              f"size(us)")
    between = (f"MATCH (n:{key}) WHERE n.uid > $after AND n.uid <= $upto "
               f"RETURN {columns} ORDER BY n.uid LIMIT $n")
    rest = f"MATCH (n:{key}) WHERE n.uid > $after RETURN {columns} ORDER BY n.uid LIMIT $n"
    after, ahead = "", size * LOOKAHEAD
    fences: list[str | None] = []
    while True:
        if not fences:
            found, seen = store.run(bounds, {"after": after, "n": size, "ahead": ahead}).rows[0]
            if not seen:
                return
            fences = [*found, *([None] if seen < ahead else [])]
        upto = fences[0]
        if upto is None:
            rows = store.run(rest, {"after": after, "n": size}).rows
        else:
            rows = [row for row in store.run(between, {"after": after, "upto": upto,
                                                       "n": size}).rows if row[0] <= upto]
        if rows:
            yield rows
            after = rows[-1][0]
        if upto is None:
            if len(rows) < size:
                return
            fences = []  # more came meanwhile: find the next bounds
        elif len(rows) < size or after == upto:
            fences.pop(0)


def _relationships(store, key: str, uids: list[str], problems: list[str]
                   ) -> Iterator[RelRecord]:
    """The relationships that start at the ``key`` nodes ``uids``, read at most about
    :data:`REL_PAGE` at a time. One read takes them all when they are that few, as a page's
    nodes' nearly always are; else the nodes' numbers of relationships are counted and the
    nodes read in groups of that many, a node of more by itself in pages of its
    relationships' ids."""
    match = f"UNWIND $uids AS u MATCH (a:{key} {{uid: u}})-[r]->(b) "
    columns = "u, type(r), labels(b), b.uid, properties(r)"
    rows = store.run(f"{match}RETURN {columns} LIMIT $n", {"uids": uids, "n": REL_PAGE + 1}).rows
    if len(rows) <= REL_PAGE:
        yield from _rel_records(key, rows, problems)
        return
    del rows
    degrees = dict(store.run(f"{match}RETURN u, count(r)", {"uids": uids}).rows)
    for group in _groups([uid for uid in uids if degrees.get(uid)], degrees):
        if len(group) == 1 and degrees[group[0]] > REL_PAGE:
            yield from _hub(store, key, group[0], problems)
        else:
            yield from _rel_records(key, store.run(f"{match}RETURN {columns}",
                                                   {"uids": group}).rows, problems)


def _groups(uids: list[str], degrees: dict[str, int]) -> Iterator[list[str]]:
    """``uids`` in their order, in runs whose ``degrees`` add up to at most :data:`REL_PAGE`;
    a uid of more alone."""
    group: list[str] = []
    total = 0
    for uid in uids:
        if group and total + degrees[uid] > REL_PAGE:
            yield group
            group, total = [], 0
        group.append(uid)
        total += degrees[uid]
    if group:
        yield group


def _hub(store, key: str, uid: str, problems: list[str]) -> Iterator[RelRecord]:
    """The relationships that start at one ``key`` node of very many, :data:`REL_PAGE` at a
    time in the order of their ids: Neo4j 5's ``elementId`` (its ``id`` is deprecated), the
    FalkorDB engines' ``id`` (they know no other)."""
    cypher = hub_cypher(key, store.engine)
    after = None
    while True:
        rows = store.run(cypher, {"u": uid, "after": after, "n": REL_PAGE}).rows
        yield from _rel_records(key, [row[1:] for row in rows], problems)
        if len(rows) < REL_PAGE:
            return
        after = rows[-1][0]


def hub_cypher(key: str, engine: str) -> str:
    """The read of :func:`_hub` on ``engine`` (``GraphReader.engine``)."""
    rel_id = "elementId(r)" if engine == "neo4j" else "id(r)"
    return (f"MATCH (a:{key} {{uid: $u}})-[r]->(b) WHERE $after IS NULL OR {rel_id} > $after "
            f"RETURN {rel_id} AS i, $u, type(r), labels(b), b.uid, properties(r) "
            f"ORDER BY i LIMIT $n")


def _rel_records(key: str, rows: list[list[Any]], problems: list[str]
                 ) -> Iterator[RelRecord]:
    for start, rel_type, labels, end, props in rows:
        if rel_type not in model.RELATIONSHIPS:
            problems.append(f"relationship {rel_type!r} from {key} {start!r}: not a type of "
                            "the model")
            continue
        try:
            end_label = model.LABELS[node_label(labels)].key_label
        except ValueError as exc:
            problems.append(f"{rel_type} {start!r}->{end!r}: the end has labels {labels}, "
                            f"expected {exc}")
            continue
        yield RelRecord(rel_type, key, start, end_label, end, props)


class GraphWriter:
    """Writes records into a store as they are, in batches, one being written while the next
    is built. Write every node before the relationships that need them; call :meth:`close`.

    Into a key label with no nodes yet the nodes are CREATEd (fast), otherwise MERGEd by uid;
    relationships are CREATEd into an empty type and MERGEd by their two ends otherwise. A
    relationship whose end does not exist is an error.
    """

    def __init__(self, store, progress: Callable[[int], None] | None = None):
        self.store = store
        self.progress = progress
        self.written = 0
        self._nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: per group, its relationships as [start uid, end uid, properties], the rows
        #: ``match_ends`` reads: a map's keys read in Cypher (``r.s``) are property keys to
        #: Neo4j, which warns of one that no node or relationship has
        self._rels: dict[tuple[str, str, str], list[list[Any]]] = defaultdict(list)
        self._fresh: dict[str, bool] = {}
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: list[Future] = []
        store.ensure_schema()

    def add(self, record: Record) -> None:
        if isinstance(record, NodeRecord):
            rows = self._nodes[record.label]
            rows.append(record.props)
            if len(rows) >= BATCH:
                self._flush_nodes(record.label)
        else:
            group = (record.type, record.start_label, record.end_label)
            rels = self._rels[group]
            rels.append([record.start, record.end, record.props])
            if len(rels) >= BATCH:
                self._flush_rels(group)

    def finish_nodes(self) -> None:
        """Write the nodes still buffered (before relationships that need them)."""
        for label in list(self._nodes):
            self._flush_nodes(label)
        self._drain()

    def close(self) -> None:
        try:
            self.finish_nodes()
            for group in list(self._rels):
                self._flush_rels(group)
            self._drain()
        finally:
            self._pool.shutdown(wait=True)

    # -- internals ----------------------------------------------------------------------------
    def _is_fresh(self, name: str, cypher: str) -> bool:
        if name not in self._fresh:
            self._fresh[name] = not self.store.run(cypher).rows
        return self._fresh[name]

    def _flush_nodes(self, label: str) -> None:
        rows = self._nodes.pop(label, [])
        if not rows:
            return
        spec = model.label(label)
        key = spec.key_label
        if self._is_fresh(key, f"MATCH (n:{key}) RETURN 1 LIMIT 1"):
            cypher = f"UNWIND $rows AS r CREATE (n:{':'.join(spec.labels)}) SET n += r"
        else:
            extra = f", n:{spec.name}" if spec.parent else ""
            cypher = f"UNWIND $rows AS r MERGE (n:{key} {{uid: r.uid}}) SET n += r{extra}"
        self._submit(cypher, rows, None)

    def _flush_rels(self, group: tuple[str, str, str]) -> None:
        rows = self._rels.pop(group, [])
        if not rows:
            return
        rel_type, start, end = group
        model.relationship(rel_type)
        start, end = model.label(start).key_label, model.label(end).key_label
        verb = ("CREATE" if self._is_fresh(rel_type, f"MATCH ()-[x:{rel_type}]->() "
                                                     f"RETURN 1 LIMIT 1") else "MERGE")
        cypher = (match_ends(start, end) + f"{verb} (a)-[x:{rel_type}]->(b) "
                  f"SET x += r[2] RETURN count(x)")
        self._submit(cypher, rows, f"{rel_type} relationships from {start} to {end}")

    def _submit(self, cypher: str, rows: list[Any], what: str | None) -> None:
        self._pending.append(self._pool.submit(self._write, cypher, rows, what))
        while len(self._pending) > 1:
            self._pending.pop(0).result()

    def _drain(self) -> None:
        while self._pending:
            self._pending.pop(0).result()

    def _write(self, cypher: str, rows: list[Any], what: str | None) -> None:
        result = self.store.run(cypher, {"rows": rows}, read_only=False)
        if what is not None and result.rows and result.rows[0][0] != len(rows):
            missing = len(rows) - result.rows[0][0]
            raise ErmError(f"{missing:,} {what} were not written: their start or end node is "
                           "not in the target graph")
        self.written += len(rows)
        if self.progress:
            self.progress(len(rows))
