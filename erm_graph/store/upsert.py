"""The upsert algorithm both engines share, as small named steps.

:class:`NodeUpsert` and :class:`RelationshipUpsert` each hold one call's statements and the
state its batches share (for nodes, whether the next batch may be CREATEd without a read);
:class:`Pipeline` runs their ``write`` over the batches with two in flight. The engine is
reached only through the hooks of :class:`~erm_graph.store.cypher_store.CypherStore`
(``run``/``write``, ``_create_nodes``, ``_create_bare``, ``_missing_ends``, ``_declare``...), so
an engine with a faster way to do one step overrides that hook, not the algorithm.

Change detection: every node and relationship written through the store carries a
``content_hash`` of its properties. A batch first reads the hashes of the keys it holds, then
writes only the records that are new or changed. Re-importing an unchanged file is therefore a
read, and the report can say created / updated / unchanged exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from operator import itemgetter, or_
from typing import TYPE_CHECKING, Any

from erm_graph import model
from erm_graph.errors import UniqueViolation
from erm_graph.records import Records, column, distinct_pairs, names
from erm_graph.store.base import BATCH_SIZE, Progress, UpsertCounts, batches, content_hash, now_iso
from erm_graph.store.node_digests import node_hashes
from erm_graph.store.node_ids import NodeIds, among

if TYPE_CHECKING:
    from erm_graph.store.cypher_store import CypherStore

#: New relationships without properties that cannot exist yet are created this many at a
#: time: FalkorDB's bulk path pays a fixed cost per call whatever its size (small calls cost
#: several times more per edge than large ones, docs/scaling.md) and reads the ids of each
#: call's uids once.
BARE_CHUNK = 100_000


class Pipeline:
    """Runs ``write`` over the batches of some rows with two in flight at a time.

    Building a batch's parameters is Python work; running it is the engine's. With two
    batches in flight one is prepared while the engine runs the other (the GIL is released
    while a thread waits on the socket), which nearly doubles load speed on two cores. Each
    batch is still one atomic query; the engine applies writes one at a time. Results are
    added up in the order the batches were sent, and ``progress`` is told each batch's size
    as its result comes in.
    """

    def __init__(self, write: Callable[[Sequence[Any]], UpsertCounts],
                 progress: Progress | None, size: int = BATCH_SIZE):
        self.write = write
        self.progress = progress
        self.size = size
        self.counts = UpsertCounts()
        self._pending: list[tuple[int, Future[UpsertCounts]]] = []

    def run(self, rows: Sequence[Any]) -> UpsertCounts:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for batch in batches(rows, self.size):
                self._pending.append((len(batch), pool.submit(self.write, batch)))
                if len(self._pending) == 2:
                    self._collect()
            while self._pending:
                self._collect()
        return self.counts

    def _collect(self) -> None:
        """Add up the oldest batch in flight (waiting for it)."""
        size, future = self._pending.pop(0)
        self.counts += future.result()
        if self.progress:
            self.progress(size)


def property_names(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """The property names of ``rows``: every key but the annotations."""
    return names(rows) - set(model.ANNOTATIONS)


def cannot_exist(rows: Sequence[Mapping[str, Any]], fresh: bool,
                  new_starts: Mapping[str, Any], new_ends: Mapping[str, Any]
                  ) -> tuple[Sequence[tuple[str, str]], Sequence[Mapping[str, Any]]]:
    """The distinct (start, end) pairs of the relationship ``rows`` that cannot exist yet (the
    type has none, or an end is a node this load created), and the other rows."""
    if not (fresh or new_starts or new_ends):  # a load that created no node: a re-load
        return [], rows
    starts, ends = column(rows, "start"), column(rows, "end")
    if fresh:
        return distinct_pairs(starts, ends), []
    new = list(map(or_, among(new_starts, starts), among(new_ends, ends)))
    if all(new):  # every row at a new node (a demo part's rows of the nodes it brings)
        return distinct_pairs(starts, ends), []
    sure_starts, sure_ends, rest = [], [], []
    for i, (start, end, made) in enumerate(zip(starts, ends, new, strict=True)):
        if made:
            sure_starts.append(start)
            sure_ends.append(end)
        else:
            rest.append(rows[i])
    return distinct_pairs(sure_starts, sure_ends), rest


def match_uids(key: str) -> str:
    """``n``, each ``key`` node whose uid is in ``$uids`` (distinct uids): one index scan for
    the whole list, which costs the engine less than a lookup per uid after an UNWIND, most of
    all for uids not stored (docs/scaling.md, "Demo")."""
    return f"MATCH (n:{key}) WHERE n.uid IN $uids "


def match_ends(start: str, end: str) -> str:
    """``a`` and ``b``, the two ends of each row ``[start uid, end uid, ...]``, in two MATCH
    clauses so that each uses its uid index."""
    return f"UNWIND $rows AS r MATCH (a:{start} {{uid: r[0]}}) MATCH (b:{end} {{uid: r[1]}}) "


def expand_from(rows: Sequence[Sequence[Any]]) -> str:
    """``"s"`` or ``"e"``: the end of these relationship rows ([start, end, ...]) with more
    distinct uids."""
    return "e" if len({r[1] for r in rows}) > len({r[0] for r in rows}) else "s"


@dataclass
class Payload:
    """A batch as positional rows: ``[key, key..., hash, value, value..., others]``.

    Lists, not maps: FalkorDB's parameter encoding rewrites every map key of a batch, and
    that cost more than the engine's own work on a load. A property the model declares (its
    name comes from the schema) has a column of its own and is written by name, in the
    CREATE pattern or by a SET; any other property (its name comes from the data) travels in
    the one ``others`` map, set with ``+=``, so no text from the data ever reaches the query.
    Rows with the same key are one: the last wins.
    """

    rows: list[list[Any]]
    width: int  # the key columns before the hash
    columns: list[str]
    others: bool

    @classmethod
    def of(cls, batch: Sequence[Mapping[str, Any]], keys: tuple[str, ...],
           declared: Mapping[str, Any], label: str | None = None) -> Payload:
        """``label``: the rows are nodes; a node's hash is its loader's fingerprint when it
        has one, else a hash of its label and properties (a Customer that becomes a
        Supplier has changed). A relationship without properties has no hash (None), as
        stored."""
        nodes = label is not None
        present = names(batch)
        found_names = present - set(keys) - set(model.ANNOTATIONS)
        if not found_names and not nodes:  # bare relationships, most of a load: ends only
            ends = dict.fromkeys(zip(*(column(batch, k) for k in keys), strict=True))
            return cls([[*key, None] for key in ends], len(keys), [], False)
        columns, others = sorted(found_names & set(declared)), sorted(found_names - set(declared))
        if nodes and not others:
            fast = cls._fingerprinted(batch, keys, columns)
            if fast is not None:
                return fast
        if label is not None and keys == ("uid",) and model.FINGERPRINT not in present:
            hashes = node_hashes(batch, label, sorted(found_names))
            if hashes is not None:
                return cls._hashed(batch, hashes, columns, others)
        skip = {*keys, *model.ANNOTATIONS}
        found: dict[tuple[Any, ...], list[Any]] = {}
        for row in batch:
            values = [row[k] for k in keys]
            digest = row.get(model.FINGERPRINT) if nodes else None
            if digest is None and (found_names or nodes):
                props = {k: v for k, v in row.items()
                         if v is not None and k not in skip} if found_names else {}
                digest = (content_hash({"label": label, "properties": props}) if nodes
                          else content_hash(props) if props else None)
            values.append(digest)
            if columns:
                values += [row.get(c) for c in columns]
            if others:
                values.append({k: row[k] for k in others if row.get(k) is not None})
            found[tuple(values[:len(keys)])] = values
        return cls(list(found.values()), len(keys), columns, bool(others))

    @classmethod
    def _fingerprinted(cls, batch: Sequence[Mapping[str, Any]], keys: tuple[str, ...],
                       columns: list[str]) -> Payload | None:
        """The rows of nodes that each carry their loader's fingerprint and every column
        (a loader's batch, most of a load), made in C by one getter; None for any other
        batch, which takes the general way."""
        if isinstance(batch, Records):  # a table's: its columns side by side (None: unset)
            fields = (*keys, model.FINGERPRINT, *columns)
            rows = list(map(list, zip(*map(batch.column, fields), strict=True)))
        else:
            getter = itemgetter(*(*keys, model.FINGERPRINT, *columns))
            try:
                rows = list(map(list, map(getter, batch)))
            except KeyError:  # a row without a column, or without a fingerprint
                return None
        width = len(keys)
        if None in map(itemgetter(width), rows):
            return None
        found = dict(zip(map(tuple, map(itemgetter(slice(0, width)), rows)), rows,
                         strict=True))  # the same key twice: the last row wins
        return cls(list(found.values()), width, columns, False)

    @classmethod
    def _hashed(cls, batch: Sequence[Mapping[str, Any]], hashes: list[str], columns: list[str],
                others: list[str]) -> Payload:
        """The rows of nodes without a fingerprint, their ``hashes`` made by column
        (:func:`node_hashes`): the declared columns side by side, in C; the ``others`` map
        (names from the data) row by row."""
        uids = column(batch, "uid")
        parts = [uids, hashes, *(column(batch, c) for c in columns)]
        if others:
            parts.append([{k: row[k] for k in others if row.get(k) is not None}
                          for row in batch])
        found = dict(zip(uids, map(list, zip(*parts, strict=True)), strict=True))
        return cls(list(found.values()), 1, columns, bool(others))

    def created(self, fixed: str) -> str:
        """The pattern map of a CREATE: ``fixed`` items, then the property columns. Properties
        in the pattern are written about twice as fast on FalkorDB as by a SET after it
        (figures: docs/scaling.md); a null leaves its property unset."""
        first = self.width + 1
        return ", ".join([fixed, *(f"`{name}`: r[{first + i}]"
                                   for i, name in enumerate(self.columns))])

    def extra(self, var: str) -> str:
        """The SET item of the ``others`` map (properties the model does not declare), or
        "" when the batch has none."""
        return f"{var} += r[{self.width + 1 + len(self.columns)}]" if self.others else ""

    def updates(self, var: str) -> str:
        """The SET items of an update: each property column, where a missing value keeps the
        stored one (as ``+=`` does), then the ``others`` map."""
        first = self.width + 1
        items = [f"{var}.`{name}` = coalesce(r[{first + i}], {var}.`{name}`)"
                 for i, name in enumerate(self.columns)]
        return ", ".join(filter(None, [*items, self.extra(var)]))




class NodeUpsert:
    """Create or update the nodes of one label by ``uid``: one call of
    :meth:`CypherStore.upsert_nodes <erm_graph.store.cypher_store.CypherStore.upsert_nodes>`.

    A batch first reads the stored hashes of its uids, then CREATEs the new rows and SETs the
    changed ones: one query each, each atomic. No MERGE: on FalkorDB a MERGE that adds a second
    label (Party + Customer) runs at a few hundred rows/s, CREATE at tens of thousands.

    While batches turn out all new, the next one is CREATEd without reading first
    (:attr:`optimistic`): the unique uid constraint makes a batch that holds a known uid fail
    whole (``UniqueViolation``), and then it takes the read path. A bulk of new rows thus loads
    at CREATE speed, and a re-import pays one failed attempt at most. The two batches in flight
    share that flag; either may clear it. The new rows are created by the store's
    ``_create_nodes``: Cypher, or an engine's faster way that fails the same way.
    """

    def __init__(self, store: CypherStore, label: str, *, dry_run: bool = False):
        self.store = store
        self.label = label
        self.dry_run = dry_run
        spec = model.label(label)
        self.key = spec.key_label
        self.labels = ":".join(spec.labels)
        self.declared = {**model.COMMON_PROPS, **spec.props}
        # a node may come back with another sub-label (a Customer as a Supplier, or as a
        # plain Party): an update sets its label and removes the others under the same key
        siblings = [o.name for o in model.LABELS.values()
                    if o.key_label == self.key and o.name not in (self.key, spec.name)]
        self.relabel = (f", n:{spec.name}" if spec.parent else "") + \
            (f" REMOVE n:{':'.join(siblings)}" if siblings else "")
        self.read = match_uids(self.key) + "RETURN n.uid, n.content_hash"
        self.optimistic = store._label_is_empty(self.key) and not dry_run
        self.enforced = store._uid_is_enforced(self.key)
        #: what an engine's own way of creating nodes keeps between the batches of this call
        #: (``CypherStore._create_nodes``); it lives as long as the call
        self.engine_state: Any = None

    def create_statement(self, payload: Payload) -> str:
        props = payload.created("uid: r[0], created_at: $now, updated_at: $now, "
                                "content_hash: r[1]")
        extra = payload.extra("n")
        return (f"UNWIND $rows AS r CREATE (n:{self.labels} {{{props}}})"
                + (f" SET {extra}" if extra else "") + self.store._ids_of_created)

    def update_statement(self, payload: Payload) -> str:
        sets = ", ".join(filter(None, ["n.content_hash = r[1], n.updated_at = $now",
                                       payload.updates("n")]))
        return f"UNWIND $rows AS r MATCH (n:{self.key} {{uid: r[0]}}) SET {sets}{self.relabel}"

    def create(self, payload: Payload, rows: list[list[Any]]) -> dict[str, int | None]:
        """Create ``rows`` of ``payload``; {uid: node id} of the new nodes. Raises
        ``UniqueViolation`` when one of their uids is stored already."""
        return self.store._create_nodes(self, payload, rows)

    def create_by_cypher(self, payload: Payload, rows: list[list[Any]]
                         ) -> dict[str, int | None]:
        """:meth:`create` in portable Cypher."""
        result = self.store.write(self.create_statement(payload),
                                  {"rows": rows, "now": now_iso()})
        ids = result.rows[0][0] if self.store._ids_of_created else [None] * len(rows)
        return dict(zip((r[0] for r in rows), ids, strict=True))

    def write(self, batch: Sequence[Mapping[str, Any]]) -> UpsertCounts:
        """Upsert one batch (on a pipeline thread)."""
        payload = Payload.of(batch, ("uid",), self.declared, label=self.label)
        rows = payload.rows
        if self.optimistic and self.enforced:
            try:
                return UpsertCounts(len(rows), 0, len(batch) - len(rows),
                                    created_ids=NodeIds(self.create(payload, rows)))
            except UniqueViolation:
                self.optimistic = False
        known = dict(self.store.run(self.read, {"uids": [r[0] for r in rows]}).rows)
        new = [r for r in rows if r[0] not in known]
        changed = [r for r in rows if r[0] in known and known[r[0]] != r[1]]
        self.optimistic = not known and not self.dry_run
        ids: dict[str, int | None] = (self.create(payload, new) if new and not self.dry_run
                                      else {r[0]: None for r in new})
        if changed and not self.dry_run:
            self.store.write(self.update_statement(payload), {"rows": changed, "now": now_iso()})
        return UpsertCounts(len(new), len(changed), len(batch) - len(new) - len(changed),
                            created_ids=NodeIds(ids))

    def run(self, rows: Sequence[Mapping[str, Any]], progress: Progress | None) -> UpsertCounts:
        if not self.dry_run and len(rows) > BATCH_SIZE:  # batches will run two at a time
            self.store._declare(property_names(rows) | set(model.SYSTEM_PROPS))
        return Pipeline(self.write, progress).run(rows)


class RelationshipUpsert:
    """Create or update ``(start)-[rel_type]->(end)`` by the uids of its two ends: one call of
    :meth:`CypherStore.upsert_relationships
    <erm_graph.store.cypher_store.CypherStore.upsert_relationships>`.

    Endpoints are matched in two separate MATCH clauses so each uses its uid index. A row whose
    start or end node does not exist is not written and comes back in ``missing``. Rows for the
    same pair of ends are one relationship: the last row wins. As for nodes, one read of the
    stored hashes finds the new and changed rows, then new ones are CREATEd and changed ones SET.
    ``new_nodes`` (per key label, the nodes this load has just created) spares that read for rows
    touching a new node: it has no relationships yet. Rows without properties that need no read
    (those, or all rows of a type that has none yet) skip the batches: they are created in chunks
    of ``BARE_CHUNK``, the size the engine's fastest path wants (:meth:`create_bare`).
    """

    def __init__(self, store: CypherStore, rel_type: str, start_label: str, end_label: str, *,
                 dry_run: bool = False,
                 new_nodes: Mapping[str, Mapping[str, int | None]] | None = None,
                 known_ids: Mapping[str, Mapping[str, int | None]] | None = None):
        self.store = store
        self.rel_type = rel_type
        self.dry_run = dry_run
        self.declared = model.relationship(rel_type).props
        self.start = start = model.label(start_label).key_label
        self.end = end = model.label(end_label).key_label
        # Finding an existing relationship costs the degree of the node it is expanded from:
        # expand from the side with more distinct uids in the batch (an Interaction, not the
        # Campaign that targets thousands). Only that side is labelled in the MATCH: with both
        # labelled, or the far label tested in the same WHERE, FalkorDB starts from the other
        # side, and a batch that takes a fraction of a second this way takes minutes
        # (figures: docs/scaling.md). The far label is checked after a WITH instead.
        self.finds = {
            "s": (f"UNWIND $rows AS r MATCH (a:{start} {{uid: r[0]}})-[x:{rel_type}]->(b) "
                  f"WHERE b.uid = r[1] WITH r, x, b WHERE b:{end} "),
            "e": (f"UNWIND $rows AS r MATCH (b:{end} {{uid: r[1]}})<-[x:{rel_type}]-(a) "
                  f"WHERE a.uid = r[0] WITH r, x, a WHERE a:{start} ")}
        self.fresh = store._type_is_empty(rel_type)
        self.new_starts = (new_nodes or {}).get(start, {})
        self.new_ends = (new_nodes or {}).get(end, {})
        # where the engine's ids of the ends come from, to be confirmed: the load's nodes
        # when the caller keeps them across its batches, else this batch's
        ids = known_ids if known_ids is not None else new_nodes or {}
        self.ids = (ids.get(start, {}), ids.get(end, {}))

    def create_statement(self, payload: Payload) -> str:
        props, extra = payload.created("content_hash: r[2]"), payload.extra("x")
        return (match_ends(self.start, self.end)
                + f"CREATE (a)-[x:{self.rel_type} {{{props}}}]->(b) "
                + (f"SET {extra} " if extra else "") + "RETURN count(x)")

    @staticmethod
    def update_statement(payload: Payload) -> str:
        items = ", ".join(filter(None, ["x.content_hash = r[2]", payload.updates("x")]))
        return f"SET {items} RETURN count(x)"

    def write(self, batch: Sequence[Mapping[str, Any]]) -> UpsertCounts:
        """Upsert one batch (on a pipeline thread)."""
        store, finds = self.store, self.finds
        payload = Payload.of(batch, ("start", "end"), self.declared)
        rows = payload.rows
        side = expand_from(rows)
        ask = [] if self.fresh else [
            r[:2] for r, start, end in zip(rows, among(self.new_starts, [r[0] for r in rows]),
                                           among(self.new_ends, [r[1] for r in rows]),
                                           strict=True) if not (start or end)]
        read = finds[side] + "RETURN r[0], r[1], x.content_hash"
        found = store.run(read, {"rows": ask}).rows if ask else []
        known = {(s, e): h for s, e, h in found}
        removed = 0
        if len(known) < len(found) and not self.dry_run:
            # copies of one relationship, left by loads that ran at once before they
            # took the load lock: keep one, then read what it holds
            twice = [list(pair) for pair, n in Counter(
                (s, e) for s, e, _ in found).items() if n > 1]
            removed = store.write(finds[side] + "WITH r, collect(x) AS xs UNWIND tail(xs) "
                                  "AS y DELETE y RETURN count(y)", {"rows": twice}).rows[0][0]
            known |= {(s, e): h for s, e, h in store.run(read, {"rows": twice}).rows}
        new = [r for r in rows if (r[0], r[1]) not in known]
        changed = [r for r in rows if (r[0], r[1]) in known and known[(r[0], r[1])] != r[2]]
        unchanged = len(batch) - len(new) - len(changed)
        if self.dry_run:
            return UpsertCounts(len(new), len(changed), unchanged)
        created = updated = 0
        if new:
            # most relationships have no properties: those are written bare, with no hash
            created = (store._create_bare(self.rel_type, self.start, self.end,
                                          [r[:2] for r in new], self.ids)
                       if all(r[2] is None for r in new) else
                       store.write(self.create_statement(payload), {"rows": new}).rows[0][0])
        if changed:
            updated = store.write(finds[side] + self.update_statement(payload),
                                  {"rows": changed}).rows[0][0]
        missing = (store._missing_ends(self.rel_type, self.start, self.end, new)
                   if created < len(new) else [])
        return UpsertCounts(created, updated, unchanged, missing, removed=removed)

    def create_bare(self, chunk: Sequence[tuple[str, str]]) -> UpsertCounts:
        """Create a chunk of (start, end) pairs that cannot exist yet, with no properties
        (on a pipeline thread)."""
        made = len(chunk) if self.dry_run else self.store._create_bare(
            self.rel_type, self.start, self.end, chunk, self.ids)
        return UpsertCounts(made, missing=self.store._missing_ends(
            self.rel_type, self.start, self.end, chunk) if made < len(chunk) else [])

    def run(self, rows: Sequence[Mapping[str, Any]], progress: Progress | None) -> UpsertCounts:
        props = property_names(rows) - {"start", "end"}
        if not self.dry_run and len(rows) > BATCH_SIZE:  # batches will run two at a time
            self.store._declare(props | {"content_hash"}, self.rel_type)
        counts = UpsertCounts()
        if not props:  # bare rows that cannot exist yet need no read: created in big chunks
            pairs, rest = cannot_exist(rows, self.fresh, self.new_starts, self.new_ends)
            counts.unchanged = len(rows) - len(rest) - len(pairs)  # the same pair twice
            if progress and counts.unchanged:
                progress(counts.unchanged)
            counts += Pipeline(self.create_bare, progress, BARE_CHUNK).run(pairs)
            rows = rest
        counts += Pipeline(self.write, progress).run(rows)
        return counts
