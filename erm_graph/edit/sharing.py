"""Sharing records with partners, revoking it, and a partner's own edits of what it may change.

A share is one relationship, ``(record)-[:SHARED_WITH {at, by}]->(partner)``, from a customer
(any Party), an opportunity or a case (:data:`erm_graph.model.SHAREABLE_LABELS`) to the Party a
partner user is bound to. While it stands the record is in that partner's scope
(:mod:`erm_graph.auth.scope`): it shows in every read the partner reaches, and the partner may
change its working fields (:data:`erm_graph.auth.roles.PARTNER_SHARED_EDITABLE`). Revoking
deletes the relationship; the audit trail keeps both events (``share``, ``unshare``) with who,
when and what, so the history of a share is the trail's, as a case's assignees are.

Each write is a write event (:mod:`erm_graph.events`); the scope cache drops every computed
scope when it ends, so a revoked share is gone from the partner's next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erm_graph import model
from erm_graph.auth.roles import check_partner_edit
from erm_graph.edit.actions import _stage_entry as stage_entry  # one form of history entry
from erm_graph.edit.records import SHARE_TYPE, Change, check_names, record, save
from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, current_actor, writing
from erm_graph.query.explore import NotFound, key_label
from erm_graph.query.partner_scope import partner_tie
from erm_graph.query.shares import share_of
from erm_graph.query.subgraph import GNode
from erm_graph.store import GraphStore
from erm_graph.store.base import content_hash, now_iso

#: an opportunity at these stages is closed: a partner no longer changes it (as the quick
#: actions no longer advance it)
CLOSED_STAGES = ("won", "lost")


def _shareable(store: GraphStore, uid: str, label: str | None) -> GNode:
    node = record(store, uid, label)
    key = key_label(node)
    if key not in model.SHAREABLE_LABELS:
        raise ErmError(f"{uid!r} is a {node.label}; a partner is shared customers (parties), "
                       f"opportunities and cases only")
    return node


def _partner(store: GraphStore, uid: str) -> GNode:
    node = record(store, uid)
    if not model.is_a(node.label, "Party"):
        raise ErmError(f"{uid!r} is a {node.label}; records are shared with the Party a "
                       f"partner user is bound to (`erm users add NAME --role partner "
                       f"--party PARTY`)")
    return node


def share(store: GraphStore, uid: str, partner: str, *, label: str | None = None) -> Change:
    """Share the record ``uid`` (a customer, opportunity or case) with the Party ``partner``;
    audited as ``share``. Sharing what is shared already writes nothing and says so (``before``
    then equals ``after``)."""
    node, party = _shareable(store, uid, label), _partner(store, partner)
    if key_label(node) == "Party" and node.uid == party.uid:
        raise ErmError(f"{uid!r} is the partner itself: its own record is always in its scope")
    target = f"{uid} {SHARE_TYPE} {partner}"
    found = share_of(store, key_label(node), uid, partner)
    if found is not None:
        kept = {k: found.get(k) for k in ("at", "by")}
        return Change(WriteKind.SHARE.value, node.label, target, kept, kept)
    props = {"at": now_iso(), "by": current_actor().name}
    with writing(WriteKind.SHARE, target, store,
                 detail={"label": node.label, "record": uid, "partner": partner,
                         "before": None, "after": props}):
        done = store.run(f"MATCH (x:{key_label(node)} {{uid: $u}}) "
                         f"MATCH (p:Party {{uid: $p}}) "
                         f"MERGE (x)-[s:{SHARE_TYPE}]->(p) SET s += $props RETURN x.uid",
                         {"u": uid, "p": partner,
                          "props": {**props, "content_hash": content_hash(props)}},
                         read_only=False).rows
        if not done:
            raise ErmError(f"{uid!r} or {partner!r} was deleted meanwhile; nothing was shared")
    return Change(WriteKind.SHARE.value, node.label, target, {}, props,
                  linked=[{"type": SHARE_TYPE, "direction": "out", "uid": partner}])


def unshare(store: GraphStore, uid: str, partner: str, *, label: str | None = None) -> Change:
    """Revoke the share of ``uid`` with ``partner``: the partner's next request no longer
    sees it. Audited as ``unshare`` with the share's when and who."""
    node, party = _shareable(store, uid, label), _partner(store, partner)
    before = share_of(store, key_label(node), uid, party.uid)
    if before is None:
        raise NotFound(f"{uid} is not shared with {partner}; `erm shares list --record {uid}` "
                       f"lists whom it is shared with")
    before = {k: before.get(k) for k in ("at", "by")}
    target = f"{uid} {SHARE_TYPE} {partner}"
    with writing(WriteKind.UNSHARE, target, store,
                 detail={"label": node.label, "record": uid, "partner": partner,
                         "before": before, "after": None}):
        store.run(f"MATCH (x:{key_label(node)} {{uid: $u}})-[s:{SHARE_TYPE}]->"
                  f"(p:Party {{uid: $p}}) DELETE s", {"u": uid, "p": partner},
                  read_only=False)
    return Change(WriteKind.UNSHARE.value, node.label, target, before, {},
                  unlinked=[{"type": SHARE_TYPE, "direction": "out", "uid": partner}])


def partner_update(store: GraphStore, party: str, node: GNode,
                   props: Mapping[str, Any]) -> Change:
    """A partner's edit (the partner bound to ``party``) of the record ``node`` it found in
    its scope: the contact details of its own Party and Contacts, the working fields of what
    is shared with it, nothing else (:func:`erm_graph.auth.roles.check_partner_edit`). A
    shared opportunity's stage change is kept in its stage history, as the quick action
    keeps it. Audited as ``edit`` with before and after."""
    if not props:
        raise ErmError("nothing to change: give one or more fields")
    key = key_label(node)
    check_partner_edit(key, set(props), tie=partner_tie(store, party, node.uid, key))
    check_names(node.label, list(props))
    if key == "Opportunity" and node.props.get("stage") in CLOSED_STAGES:
        raise ErmError(f"opportunity {node.uid} is {node.props['stage']}: it is closed, and "
                       f"changed no more")
    changes = {k: v for k, v in props.items() if node.props.get(k) != v}
    if not changes:
        return Change(WriteKind.EDIT.value, node.label, node.uid, dict(props), dict(props))
    if key == "Opportunity" and "stage" in changes and changes["stage"]:
        history = list(node.props.get("stage_history") or [])
        changes["stage_history"] = [*history, stage_entry(str(changes["stage"]))]
    return save(store, WriteKind.EDIT, node.label, node.uid, changes, existing=node,
                detail={"partner": party})

