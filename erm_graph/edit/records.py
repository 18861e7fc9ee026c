"""Create, edit, link, unlink and remove one record at a time: validated by the model as a load
is, stamped, and audited with what it was before and after.

The CLI's verbs (``erm add``, ``erm set``, ``erm link``, ``erm unlink``, ``erm remove``), the web
app's forms and the quick actions (:mod:`erm_graph.edit.actions`) all write through
:func:`save`, so they share one set of rules:

* labels and relationship types come from the model in force (extensions included); the
  bookkeeping labels (map revisions, merges) are the app's own and are not edited by hand;
* a property must be one the model declares for the label (a typo is refused, not stored:
  extend the model with ``erm model extend`` to add one), and the whole record after the change
  must pass the model's check (:func:`erm_graph.model.node_problems`), which names the field;
  a relationship must join labels the model allows (:func:`erm_graph.model.relationship_problems`);
* ``created_at``/``updated_at`` are set by the store, never by the caller; ``content_hash`` is
  recomputed as the upsert computes it, so exports and reloads see one convention; a new
  record's ``source`` (its provenance) is ``app:`` and who made it;
* each change is one statement (all or nothing on both engines: a node, the relationships it
  gains and those it loses) inside one write event, whose audit record holds the values
  before and after;
* ``RESPONSIBLE_FOR`` is written only by ``erm owner set`` (one owner per component).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.errors import ErmError, Problem, UniqueViolation, ValidationError
from erm_graph.events import WriteKind, current_actor, writing
from erm_graph.query.explore import NotFound, find_node, key_label
from erm_graph.query.records import node_in, related, relationship, relationships_of
from erm_graph.query.subgraph import GNode
from erm_graph.store import GraphStore
from erm_graph.store.base import content_hash, now_iso

#: written only by `erm owner set` / the owner routes, which keep one owner per component
OWNER_TYPE = "RESPONSIBLE_FOR"
#: written only by `erm share` / `erm unshare` (erm_graph/edit/sharing.py), which stamp who
#: shared a record with a partner and when
SHARE_TYPE = "SHARED_WITH"
SHARED_BY_SHARE = ("a record is shared with `erm share RECORD --with PARTNER` and revoked with "
                   "`erm unshare RECORD --with PARTNER` (or the record page's Share control), "
                   "which record who shared it and when")
#: relationships an audit record of a removal lists one by one (a hub's are counted)
LISTED_TIES = 100


@dataclass(frozen=True)
class Change:
    """What one edit did: the record, its changed values before and after, the relationships
    it gained (``linked``) and lost (``unlinked``) as ``{type, direction, uid}``."""

    action: str
    label: str
    uid: str
    before: dict[str, Any]
    after: dict[str, Any]
    linked: list[dict[str, Any]] = field(default_factory=list)
    unlinked: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "label": self.label, "uid": self.uid,
                "before": self.before, "after": self.after, "linked": self.linked,
                "unlinked": self.unlinked}


@dataclass(frozen=True)
class Tie:
    """A relationship a record gains: to ``other`` (``outgoing``: the record is its start)."""

    type: str
    other: GNode
    outgoing: bool = True
    props: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "direction": "out" if self.outgoing else "in",
                "uid": self.other.uid, **({"properties": dict(self.props)} if self.props else {})}


@dataclass(frozen=True)
class Untie:
    """Relationships a record loses: of ``type`` in one direction, to ``other`` only when
    given (else every one of that type: a case's assignees before it is reassigned)."""

    type: str
    outgoing: bool = True
    other: str | None = None


# -- finding and checking ----------------------------------------------------------------------
def editable_label(name: str) -> model.Label:
    """The model's label ``name``; an unknown or bookkeeping label is refused by name."""
    spec = model.label(name)
    if name in model.BOOKKEEPING_LABELS:
        raise ErmError(f"{name} records are the app's own bookkeeping (written by `erm map` "
                       f"and `erm merge`); they are not edited by hand")
    return spec


def record(store: GraphStore, uid: str, label: str | None = None) -> GNode:
    """The node ``uid`` (of ``label`` when given: a uid is unique per key label only, and a
    map and its process often share one)."""
    if label is None:
        node = find_node(store, uid)
    else:
        found = node_in(store, uid, model.label(label).key_label)
        if found is None:
            raise NotFound(f"no {label} has uid {uid!r}; search by name in the explorer, or "
                           f"leave out the label to look under every label")
        if not model.is_a(found.label, label):
            raise NotFound(f"{uid!r} is a {found.label}, not a {label}")
        node = found
    editable_label(node.label)
    return node


def check_names(label: str, names: Sequence[str]) -> None:
    """Refuse a property the model does not declare for ``label``, or one the store sets."""
    allowed = model.known_properties(label) - set(model.SYSTEM_PROPS) - {"uid", "source"}
    bad = sorted(set(names) - allowed)
    if bad:
        raise ErmError(f"cannot edit {', '.join(bad)} on a {label}; editable: "
                       f"{', '.join(sorted(allowed))} (a new property is added to the model "
                       f"first: `erm model extend`)")


def node_check(label: str, uid: str, stored: Mapping[str, Any],
               changes: Mapping[str, Any]) -> dict[str, Any]:
    """The record after ``changes`` (None clears a property), checked by the model as a load
    checks it; its problems are those of the changed fields (and, for a new record, all)."""
    check_names(label, list(changes))
    row = {k: v for k, v in {**stored, **changes}.items()
           if v is not None and k not in model.SYSTEM_PROPS}
    row["uid"] = uid
    problems = model.node_problems(label, [row], where="record")
    if stored:  # a stored record's old faults are not this edit's: only its own fields
        problems = [p for p in problems if p.field in changes]
    if problems:
        raise ValidationError(problems)
    return row


def tie_check(label: str, uid: str, ties: Sequence[Tie]) -> None:
    """Each relationship joins labels the model allows, with properties of the right form."""
    problems: list[Problem] = []
    for tie in ties:
        if tie.type == OWNER_TYPE:
            raise ErmError("an owner is set with `erm owner set COMPONENT EMPLOYEE` (or the "
                           "map's owner marker), which keeps one owner per component")
        if tie.type == SHARE_TYPE:
            raise ErmError(SHARED_BY_SHARE)
        start, end = (label, tie.other.label) if tie.outgoing else (tie.other.label, label)
        ends = (uid, tie.other.uid) if tie.outgoing else (tie.other.uid, uid)
        problems += model.relationship_problems(
            tie.type, start, end, [{"start": ends[0], "end": ends[1], **tie.props}],
            where=f"{tie.type}")
    if problems:
        raise ValidationError(problems)


def new_uid(label: str) -> str:
    """A fresh uid for a record made in the app: its label, then random hex."""
    return f"{label.lower()}-{uuid.uuid4().hex[:12]}"


# -- the one write -----------------------------------------------------------------------------
def _statement(spec: model.Label, create: bool, ties: Sequence[Tie],
               unties: Sequence[Untie]) -> tuple[str, dict[str, Any]]:
    """One statement: match the other ends, create or match the record, set its properties,
    delete the relationships it loses, create those it gains. Labels and types are the
    model's (checked before); every value is a parameter."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    names = ["n"]
    for i, tie in enumerate(ties):
        parts.append(f"MATCH (o{i}:{key_label(tie.other)} {{uid: $o{i}}})")
        params[f"o{i}"] = tie.other.uid
        names.append(f"o{i}")
    parts.append(f"CREATE (n:{':'.join(spec.labels)} {{uid: $uid}})" if create
                 else f"MATCH (n:{spec.key_label} {{uid: $uid}})")
    parts.append("SET n += $props")
    carried = ", ".join(names)
    for j, untie in enumerate(unties):
        arrow = (f"(n)-[u{j}:{untie.type}]->(x{j})" if untie.outgoing
                 else f"(n)<-[u{j}:{untie.type}]-(x{j})")
        where = f" WHERE x{j}.uid = $x{j}" if untie.other is not None else ""
        params[f"x{j}"] = untie.other
        parts.append(f"WITH {carried} OPTIONAL MATCH {arrow}{where} DELETE u{j} "
                     f"WITH DISTINCT {carried}")
    for i, tie in enumerate(ties):
        arrow = (f"(n)-[r{i}:{tie.type}]->(o{i})" if tie.outgoing
                 else f"(o{i})-[r{i}:{tie.type}]->(n)")
        parts.append(f"CREATE {arrow}")
        if tie.props:
            parts.append(f"SET r{i} += $t{i}")
            params[f"t{i}"] = {**tie.props, "content_hash": content_hash(dict(tie.props))}
    parts.append("RETURN n.uid")
    return " ".join(parts), params


def ends_of(store: GraphStore, node: GNode, unties: Sequence[Untie]) -> list[dict[str, Any]]:
    """The relationships ``unties`` would delete, as ``{type, direction, uid}``: the audit's
    "before" of a reassignment."""
    return [{"type": untie.type, "direction": "out" if untie.outgoing else "in", "uid": x}
            for untie in unties for x in related(store, node, untie.type, untie.outgoing)
            if untie.other is None or x == untie.other]


def save(store: GraphStore, kind: WriteKind, label: str, uid: str,
         changes: Mapping[str, Any], *, existing: GNode | None = None,
         ties: Sequence[Tie] = (), unties: Sequence[Untie] = (),
         detail: Mapping[str, Any] | None = None) -> Change:
    """Check and write one change of one record as the write event ``kind``: a new record
    (``existing`` None) or a change of ``existing``, its ``changes`` (None clears a value),
    the relationships it gains (``ties``) and loses (``unties``). Nothing is written when
    any check fails; the audit record holds the values before and after."""
    spec = editable_label(label)
    stored = {k: v for k, v in (existing.props if existing else {}).items()
              if k not in model.SYSTEM_PROPS and k != "uid"}
    row = node_check(label, uid, stored, changes)
    tie_check(label, uid, ties)
    if existing is None:  # provenance, as a load's records carry their file and row
        row["source"] = f"app:{current_actor().name}"
    now = now_iso()
    props = {**changes, "updated_at": now,
             "content_hash": content_hash({"label": label, "properties": {
                 k: v for k, v in row.items() if k != "uid"}})}
    if existing is None:
        props.update(created_at=now, source=row["source"])
    before = {k: stored.get(k) for k in changes}
    unlinked = ends_of(store, existing, unties) if existing is not None and unties else []
    linked = [tie.as_dict() for tie in ties]
    statement, params = _statement(spec, existing is None, ties, unties)
    info = {"label": label, "before": before, "after": dict(changes), **(detail or {})}
    if linked:
        info["linked"] = linked
    if unlinked:
        info["unlinked"] = unlinked
    with writing(kind, uid, store, detail=info):
        try:
            done = store.run(statement, {**params, "uid": uid, "props": props},
                             read_only=False).rows
        except UniqueViolation:
            raise ErmError(f"a {spec.key_label} with uid {uid!r} exists already; change it "
                           f"with `erm set {uid} ...`, or choose another uid") from None
        if not done:
            raise ErmError(f"{uid!r} or a record it links to was deleted meanwhile; nothing "
                           f"was written: look again and retry")
    return Change(kind.value, label, uid, before, dict(changes), linked, unlinked)


# -- the verbs ---------------------------------------------------------------------------------
def add_node(store: GraphStore, label: str, props: Mapping[str, Any], *,
             uid: str | None = None, ties: Sequence[Tie] = ()) -> Change:
    """Create one ``label`` record with ``props`` (uid generated unless given), and the
    relationships ``ties``; audited as ``add``.

    >>> add_node(store, "Case", {"kind": "complaint", "status": "open",
    ...                          "opened_at": "2026-12-02T10:00:00"})  # doctest: +SKIP
    """
    editable_label(label)
    uid = (uid or "").strip() or new_uid(label)
    taken = node_in(store, uid, model.label(label).key_label)
    if taken is not None:
        raise ErmError(f"a {taken.label} with uid {uid!r} exists already; change it with "
                       f"`erm set {uid} ...`, or choose another uid")
    clean = {k: v for k, v in props.items() if v is not None}
    return save(store, WriteKind.ADD, label, uid, clean, ties=ties)


def set_properties(store: GraphStore, uid: str, props: Mapping[str, Any], *,
                   label: str | None = None, node: GNode | None = None) -> Change:
    """Change properties of the record ``uid`` (None clears one); audited as ``edit`` with
    the values before and after. Values it holds already write nothing (``before`` then
    equals ``after``). ``node``: the record, when the caller has read it."""
    if not props:
        raise ErmError("nothing to change: give one or more key=value pairs")
    node = node or record(store, uid, label)
    check_names(node.label, list(props))
    if all(node.props.get(k) == v for k, v in props.items()):  # as stored: nothing to write
        return Change(WriteKind.EDIT.value, node.label, uid, dict(props), dict(props))
    return save(store, WriteKind.EDIT, node.label, uid, props, existing=node)


def link(store: GraphStore, start: str, rel_type: str, end: str,
         props: Mapping[str, Any] | None = None, *, start_label: str | None = None,
         end_label: str | None = None) -> Change:
    """Make ``(start)-[rel_type]->(end)``, or change its properties when it exists; audited
    as ``link``. The model says which labels the type may join."""
    model.relationship(rel_type)
    a, b = record(store, start, start_label), record(store, end, end_label)
    props = {k: v for k, v in (props or {}).items() if v is not None}
    tie = Tie(rel_type, b, True, props)
    tie_check(a.label, a.uid, [tie])
    found = relationship(store, a, rel_type, b)
    target = f"{start} {rel_type} {end}"
    if found is None:
        with writing(WriteKind.LINK, target, store,
                     detail={"type": rel_type, "before": None, "after": props}):
            store.run(f"MATCH (a:{key_label(a)} {{uid: $a}}) MATCH (b:{key_label(b)} "
                      f"{{uid: $b}}) CREATE (a)-[r:{rel_type}]->(b) SET r += $props",
                      {"a": start, "b": end,
                       "props": {**props, "content_hash": content_hash(props)} if props
                       else {}}, read_only=False)
        return Change("link", rel_type, target, {}, props, [tie.as_dict()])
    before = {k: v for k, v in found.items() if k in props}
    if before == props:
        return Change("link", rel_type, target, before, props)  # there already: no write
    merged = {**found, **props}
    with writing(WriteKind.LINK, target, store,
                 detail={"type": rel_type, "before": before, "after": props}):
        store.run(f"MATCH (a:{key_label(a)} {{uid: $a}})-[r:{rel_type}]->(b) "
                  f"WHERE b.uid = $b SET r += $props",
                  {"a": start, "b": end, "props": {**props,
                                                   "content_hash": content_hash(merged)}},
                  read_only=False)
    return Change("link", rel_type, target, before, props)


def unlink(store: GraphStore, start: str, rel_type: str, end: str, *,
           start_label: str | None = None, end_label: str | None = None) -> Change:
    """Delete ``(start)-[rel_type]->(end)``; audited as ``unlink`` with its properties."""
    model.relationship(rel_type)
    if rel_type == OWNER_TYPE:
        raise ErmError("an owner is removed with `erm owner clear COMPONENT`")
    if rel_type == SHARE_TYPE:
        raise ErmError(SHARED_BY_SHARE)
    a, b = record(store, start, start_label), record(store, end, end_label)
    before = relationship(store, a, rel_type, b)
    if before is None:
        raise NotFound(f"{start} has no {rel_type} relationship to {end}; nothing to unlink")
    target = f"{start} {rel_type} {end}"
    with writing(WriteKind.UNLINK, target, store,
                 detail={"type": rel_type, "before": before, "after": None}):
        store.run(f"MATCH (a:{key_label(a)} {{uid: $a}})-[r:{rel_type}]->(b) "
                  f"WHERE b.uid = $b WITH r, b WHERE b:{key_label(b)} DELETE r",
                  {"a": start, "b": end}, read_only=False)
    return Change("unlink", rel_type, target, before, {},
                  unlinked=[{"type": rel_type, "direction": "out", "uid": end}])


def remove_node(store: GraphStore, uid: str, *, label: str | None = None) -> Change:
    """Delete the record ``uid`` and its relationships; audited as ``remove`` with its
    properties and relationships (the first :data:`LISTED_TIES`, and their count)."""
    node = record(store, uid, label)
    ties, count = relationships_of(store, node, LISTED_TIES)
    before = {k: v for k, v in node.props.items() if k != "content_hash"}
    with writing(WriteKind.REMOVE, uid, store,
                 detail={"label": node.label, "before": before, "after": None,
                         "relationships": count, "unlinked": ties}):
        store.run(f"MATCH (n:{key_label(node)} {{uid: $uid}}) DETACH DELETE n", {"uid": uid},
                  read_only=False)
    return Change("remove", node.label, uid, before, {}, unlinked=ties)
