"""Map revisions: the file a map was loaded from is the authority for what the map holds.

Reloading a changed flowchart writes what the file has and *retires* what it no longer has:
the steps, flows, performers, documents and parties of the previous version. Only records the
file itself wrote are retired: the map's own nodes (``Map``, ``Process``, ``Step``, whose uids
lie under the map's namespace, which one file owns: :mod:`erm_graph.ingest.owners`), and the
relationships and shared nodes (departments, documents, parties, employees) whose ``source``
names the file (``<format>:<file>#<element>``, set by :class:`FlowchartBuilder`). Relationships
entered by hand on top of a map (an owner set in the app, an interaction ``AT_STEP``) carry no
such source and are never deleted: a node the file no longer has is deleted only when nothing
else holds it. One that another map or a hand-entered relationship still holds loses the
file's relationships (so it leaves the map) and its ``source`` (so it is no longer the file's
and later loads leave it alone); the diff says so, and a restore puts it back on the map.

Every load that changes a map, and its first, records a ``MapRevision`` node in the graph
itself (so backups, exports and copies carry the history): its version, when, by whom, from
which file, what changed (names per label and type) and every record the file defined, which
:func:`restore_map` writes back as a new version. What it reads (the versions, what the
files wrote, what still holds a record) is read by :mod:`erm_graph.query.revisions`, with the
map's history the app shows.

Each step is one statement, atomic on its own; a load cut short between writing and retiring
leaves the old records beside the new ones, and loading the file again completes it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, current_actor, writing
from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.flowchart import OWN_LABELS
from erm_graph.ingest.owners import namespace_of
from erm_graph.ingest.writer import write_batch
from erm_graph.query.owners import map_files
from erm_graph.query.revisions import (
    REVISION,
    latest_version,
    revision,
    ties,
    written_nodes,
    written_relationships,
)
from erm_graph.store import GraphReader, GraphStore
from erm_graph.store.base import now_iso

NodeKey = tuple[str, str]  # (key label, uid)
RelKey = tuple[str, str, str, str, str]  # (type, start key label, start uid, end key, end uid)
#: what a record's comparison leaves out: where it came from, and what the store keeps itself
_IGNORED = ("source", *model.SYSTEM_PROPS, *model.ANNOTATIONS)


@dataclass
class Records:
    """A map's records: each node's label and properties by (key label, uid), each
    relationship's properties by (type, start key label, start uid, end key label, end uid)."""

    nodes: dict[NodeKey, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    rels: dict[RelKey, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of_batch(cls, batch: GraphBatch) -> Records:
        found = cls()
        for label, rows in batch.nodes.items():
            key = model.label(label).key_label
            for row in rows:
                found.nodes[(key, row["uid"])] = (label, _stored(row))
        for (rel_type, start, end), rows in batch.relationships.items():
            s_key, e_key = model.label(start).key_label, model.label(end).key_label
            for row in rows:
                found.rels[(rel_type, s_key, row["start"], e_key, row["end"])] = _stored(
                    {k: v for k, v in row.items() if k not in ("start", "end")})
        return found

    def to_json(self) -> str:
        return json.dumps({"nodes": [[label, props] for label, props in self.nodes.values()],
                           "relationships": [[*key, props] for key, props in self.rels.items()]},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Records:
        data = json.loads(text)
        found = cls()
        for label, props in data["nodes"]:
            found.nodes[(_key_label(label), props["uid"])] = (_label(label), props)
        for rel_type, s_key, start, e_key, end, props in data["relationships"]:
            found.rels[(_rel_type(rel_type), _key_label(s_key), start, _key_label(e_key),
                        end)] = props
        return found

    def batch(self) -> GraphBatch:
        """The records as a batch to write."""
        out = GraphBatch()
        for label, props in self.nodes.values():
            out.add_node(label, props)
        for (rel_type, s_key, start, e_key, end), props in self.rels.items():
            out.add_relationship(rel_type, s_key, start, e_key, end, **props)
        return out

    def name(self, key: NodeKey) -> str:
        return str((self.nodes.get(key) or ("", {}))[1].get("name") or key[1])


@dataclass
class MapPlan:
    """What loading ``records`` into the map ``namespace`` changes (:attr:`diff`, by name)
    and what it deletes (nodes, relationships, properties the file no longer sets)."""

    namespace: str
    files: list[str]
    records: Records
    previous: int | None  # the map's latest version, None before its first
    added: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    changed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    removed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    delete_nodes: list[NodeKey] = field(default_factory=list)
    #: nodes the file no longer has that something else still holds: they stay, no longer
    #: the file's
    release_nodes: list[NodeKey] = field(default_factory=list)
    delete_rels: list[RelKey] = field(default_factory=list)
    clear_nodes: dict[tuple[str, str], list[str]] = field(
        default_factory=lambda: defaultdict(list))  # (key label, property) -> uids
    clear_rels: dict[tuple[str, str, str, str], list[list[str]]] = field(
        default_factory=lambda: defaultdict(list))  # (type, start, end, property) -> pairs
    version: int | None = None  # the version it wrote (or would write)

    @property
    def counts(self) -> dict[str, int]:
        return {what: sum(map(len, getattr(self, what).values()))
                for what in ("added", "changed", "removed")}

    @property
    def revises(self) -> bool:
        """Whether a load of it records a revision: the map's first, or one that changes it
        (loading the same file again changes nothing, its history included)."""
        return self.previous is None or any(self.counts.values())

    def as_dict(self, *, dry_run: bool = False) -> dict[str, Any]:
        """``version``: the one written, or with ``dry_run`` the one a load would write
        (None: none, as nothing changes)."""
        version = ((self.previous or 0) + 1 if self.revises else None) if dry_run \
            else self.version
        return {"map": self.namespace, "files": self.files, "previous": self.previous,
                "version": version, **self.counts,
                "changes": {what: {k: sorted(v) for k, v in sorted(getattr(self, what).items())}
                            for what in ("added", "changed", "removed")}}


# -- reading what the file wrote -----------------------------------------------------------------
def stored_records(store: GraphReader, namespace: str, files: Iterable[str]) -> Records:
    """What the files ``files`` wrote into the map ``namespace``, as the graph holds it now:
    the nodes under the namespace, and the shared nodes and relationships whose ``source``
    names one of the files."""
    marks = sorted({f":{name}#" for name in files})
    found = Records()
    for label, labels, props in written_nodes(store, namespace, marks):
        found.nodes[(label, props["uid"])] = (model.primary_label(labels), _stored(props))
    for rel_type, a, start, b, end, props in written_relationships(store, marks):
        found.rels[(rel_type, _key_of(a), start, _key_of(b), end)] = _stored(props)
    return found


def _map_files(store: GraphReader, namespace: str) -> set[str]:
    """The files the map's processes and maps record as their source."""
    return {f for f in map_files(store, namespace) if f}


# -- planning ------------------------------------------------------------------------------------
def plan_map(store: GraphReader, namespace: str, files: list[str], batch: GraphBatch, *,
             old: Records | None = None) -> MapPlan:
    """What writing ``batch``, all that the files ``files`` define in the map ``namespace``,
    would add, change and remove; reads only. ``old``: what the map holds now, when the
    caller read it otherwise than by the files' marks (an edit in the app reads the map
    itself: :mod:`erm_graph.edit.maps`)."""
    previous = latest_version(store, namespace)
    new = Records.of_batch(batch)
    if old is None:  # what the files wrote, and what edits in the app made of the map
        old = stored_records(store, namespace, {*files, *_map_files(store, namespace),
                                                f"{namespace}.edits"})
    last = Records.from_json(revision(store, namespace, previous)["records"]) \
        if previous is not None else None
    plan = MapPlan(namespace, files, new, previous)
    for key, (label, props) in new.nodes.items():
        before = old.nodes.get(key)
        if before is None:
            plan.added[label].append(new.name(key))
            continue
        cleared = _cleared(props, before[1], last.nodes.get(key, ("", {}))[1] if last else {},
                           model.label(label).props if key[0] in OWN_LABELS else {})
        for prop in cleared:
            plan.clear_nodes[(key[0], prop)].append(key[1])
        fields = _differs(props, before[1]) + cleared
        if fields:
            plan.changed[label].append(f"{new.name(key)}: {', '.join(sorted(fields))}")
    for rel, props in new.rels.items():
        before_rel = old.rels.get(rel)
        if before_rel is None:
            plan.added[rel[0]].append(_rel_name(rel, new, old))
            continue
        cleared = _cleared(props, before_rel, last.rels.get(rel, {}) if last else {},
                           model.relationship(rel[0]).props)
        for prop in cleared:
            plan.clear_rels[(rel[0], rel[1], rel[3], prop)].append([rel[2], rel[4]])
        fields = _differs(props, before_rel) + cleared
        if fields:
            plan.changed[rel[0]].append(f"{_rel_name(rel, new, old)}: "
                                        f"{', '.join(sorted(fields))}")
    for rel in old.rels.keys() - new.rels.keys():
        plan.delete_rels.append(rel)
        plan.removed[rel[0]].append(_rel_name(rel, new, old))
    gone = [key for key in old.nodes if key not in new.nodes]
    held = _held(store, gone, set(plan.delete_rels))
    for key in gone:
        kept = held.get(key)
        if kept:
            plan.release_nodes.append(key)
            ties = ", ".join(sorted(f"{t} {other}" for t, other in kept))
            plan.removed[old.nodes[key][0]].append(f"{old.name(key)} (kept, off the map: "
                                                   f"held by {ties})")
        else:
            plan.delete_nodes.append(key)
            plan.removed[old.nodes[key][0]].append(old.name(key))
    return plan


def _held(store: GraphReader, keys: list[NodeKey], leaving: set[RelKey]
          ) -> dict[NodeKey, list[tuple[str, str]]]:
    """Per node of ``keys``, the relationships it keeps once ``leaving`` are deleted: (type,
    the other end's name)."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for label, uid in keys:
        by_label[label].append(uid)
    held: dict[NodeKey, list[tuple[str, str]]] = defaultdict(list)
    for label, uids in by_label.items():
        for uid, rel_type, out, labels, other, name in ties(store, _key_label(label), uids):
            o_key = _key_of(labels)
            rel = ((rel_type, label, uid, o_key, other) if out
                   else (rel_type, o_key, other, label, uid))
            if rel not in leaving:
                held[(label, uid)].append((rel_type, str(name or other)))
    return held


def _differs(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[str]:
    return [k for k, v in new.items() if k not in _IGNORED and old.get(k) != v]


def _cleared(new: Mapping[str, Any], stored: Mapping[str, Any], last: Mapping[str, Any],
             declared: Mapping[str, Any]) -> list[str]:
    """The declared properties the file set at its last version and sets no more: they are
    cleared, as the file is the authority for them (a property set by other hands, which
    the last version did not set, stays)."""
    return [k for k in declared if k not in new and k in last and stored.get(k) is not None
            and k not in _IGNORED and k != "uid"]


def _rel_name(rel: RelKey, *sides: Records) -> str:
    def name(key: NodeKey) -> str:
        return next((s.name(key) for s in sides if key in s.nodes), key[1])

    return f"{name((rel[1], rel[2]))} -> {name((rel[3], rel[4]))}"


# -- writing -------------------------------------------------------------------------------------
def apply_plan(store: GraphStore, plan: MapPlan, *, action: str = "load",
               restored_from: int | None = None, based_on: int | None = None,
               summary: str | None = None) -> int | None:
    """Retire what ``plan`` removes and record the map's revision (its first, one that
    changes it, or a restore); the version written, or None when nothing changed. The
    batch itself was written before, within the same write event (a load or a restore)."""
    for (rel_type, s_key, start, e_key, end) in plan.delete_rels:
        store.write(f"MATCH (a:{_key_label(s_key)} {{uid: $s}})-[x:{_rel_type(rel_type)}]->(b) "
                    f"WHERE b.uid = $e WITH x, b WHERE b:{_key_label(e_key)} DELETE x",
                    {"s": start, "e": end})
    for (key, prop), uids in plan.clear_nodes.items():
        store.write(f"UNWIND $uids AS u MATCH (n:{_key_label(key)} {{uid: u}}) "
                    f"SET n.`{_prop(model.label(key).props, prop)}` = null", {"uids": uids})
    for (rel_type, s_key, e_key, prop), pairs in plan.clear_rels.items():
        store.write(f"UNWIND $pairs AS p MATCH (a:{_key_label(s_key)} {{uid: p[0]}})"
                    f"-[x:{_rel_type(rel_type)}]->(b) WHERE b.uid = p[1] "
                    f"WITH x, b WHERE b:{_key_label(e_key)} "
                    f"SET x.`{_prop(model.relationship(rel_type).props, prop)}` = null",
                    {"pairs": pairs})
    by_label: dict[str, list[str]] = defaultdict(list)
    for key, uid in plan.delete_nodes:
        by_label[key].append(uid)
    for key, uids in by_label.items():
        store.write(f"UNWIND $uids AS u MATCH (n:{_key_label(key)} {{uid: u}}) DETACH DELETE n",
                    {"uids": uids})
    released: dict[str, list[str]] = defaultdict(list)
    for key, uid in plan.release_nodes:
        released[key].append(uid)
    for key, uids in released.items():
        # without its content hash, a later load or restore of the node writes it whole,
        # its source included, and the file holds it again. One property per statement: the
        # embedded engine, asked to remove two in one, can remove another one instead
        # (docs/architecture.md, "The embedded engine")
        for prop in ("source", "content_hash"):
            store.write(f"UNWIND $uids AS u MATCH (n:{_key_label(key)} {{uid: u}}) "
                        f"SET n.{prop} = null", {"uids": uids})
    if action == "load" and not plan.revises:
        return None
    plan.version = (plan.previous or 0) + 1
    row = {"uid": f"{plan.namespace}@{plan.version}", "map": plan.namespace,
           "name": f"{plan.namespace} version {plan.version}",
           "version": plan.version, "at": now_iso(), "by": current_actor().name,
           "action": action, "source_file": ", ".join(plan.files),
           "restored_from": restored_from, "based_on": based_on, "summary": summary,
           **plan.counts,
           "changes": json.dumps(plan.as_dict()["changes"], ensure_ascii=False),
           "records": plan.records.to_json()}
    store.upsert_nodes(REVISION, [{k: v for k, v in row.items() if v is not None}])
    return plan.version


def restore_map(store: GraphStore, uid: str, version: int) -> MapPlan:
    """Write back the records of version ``version`` of the map of ``uid`` (a map, its
    process, a step or its namespace), retire what it did not have, and record that as the
    map's next version.

    >>> restore_map(store, "camunda-order/Process_Order", 1).version   # doctest: +SKIP
    3
    """
    namespace = namespace_of(uid)
    old = revision(store, namespace, version)
    records = Records.from_json(old["records"])
    files = [f.strip() for f in str(old.get("source_file") or "").split(",") if f.strip()]
    with writing(WriteKind.MAP_RESTORE, f"{namespace} v{version}", store,
                 detail={"map": namespace, "version": version}) as done, store.load_lock():
        batch = records.batch()
        plan = plan_map(store, namespace, files, batch)
        write_batch(store, batch, locked=True)
        apply_plan(store, plan, action="restore", restored_from=version)
        done.detail.update({"new_version": plan.version, **plan.counts})
    return plan


# -- checks: what goes into a statement comes from the model ------------------------------------
def _stored(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items()
            if v is not None and k not in model.SYSTEM_PROPS and k not in model.ANNOTATIONS}


def _key_of(labels: list[str]) -> str:
    return _key_label(model.primary_label(labels))


def _label(name: str) -> str:
    if name not in model.LABELS:
        raise ErmError(f"a map revision names {name!r}, not a label of the model")
    return name


def _key_label(name: str) -> str:
    return model.label(_label(name)).key_label


def _rel_type(name: str) -> str:
    if name not in model.RELATIONSHIPS:
        raise ErmError(f"a map revision names {name!r}, not a relationship type of the model")
    return name


def _prop(declared: Mapping[str, Any], name: str) -> str:
    if name not in declared:
        raise ErmError(f"{name!r} is not a declared property")
    return name
