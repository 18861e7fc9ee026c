"""Reads of sharing: which records are shared with which partners, and a partner's portal.

A share is ``(record)-[:SHARED_WITH {at, by}]->(partner)`` (written and revoked by
:mod:`erm_graph.edit.sharing`). The portal's reads run on the partner's own scoped store and
keep to ``$scope`` inside their MATCH, as every reader a partner reaches does
(:mod:`erm_graph.auth.scope`).
"""

from __future__ import annotations

from typing import Any

from erm_graph import model
from erm_graph.auth.scope import scope_of, within
from erm_graph.query.subgraph import GNode, clean_props
from erm_graph.store import GraphStore

#: shares listed at most by one call (`erm shares list`, a record's Share control)
SHARE_ROWS = 500
#: rows per section of the portal
PORTAL_ROWS = 200


def _share_row(row: list[Any]) -> dict[str, Any]:
    uid, labels, name, kind, partner, partner_name, at, by = row
    node = GNode(uid, labels, {"name": name, "kind": kind})
    return {"uid": uid, "label": node.label, "name": node.name, "partner": partner,
            "partner_name": partner_name, "at": at, "by": by}


def shares(store: GraphStore, *, record: str | None = None, partner: str | None = None,
           limit: int = SHARE_ROWS) -> list[dict[str, Any]]:
    """The shares standing now, newest first: of the record ``record``, with the partner
    ``partner``, or all of them."""
    rows = store.run(
        "MATCH (x)-[s:SHARED_WITH]->(p:Party) "
        "WHERE ($record IS NULL OR x.uid = $record) AND ($partner IS NULL OR p.uid = $partner) "
        "RETURN x.uid, labels(x), x.name, x.kind, p.uid, p.name, s.at, s.by "
        "ORDER BY s.at DESC, x.uid, p.uid LIMIT $limit",
        {"record": record, "partner": partner, "limit": limit}).rows
    return [_share_row(r) for r in rows]


def share_of(store: GraphStore, key_label: str, uid: str, party: str) -> dict[str, Any] | None:
    """The properties of the share of ``uid`` (a ``key_label``) with ``party``, or None."""
    rows = store.run(f"MATCH (:{key_label} {{uid: $u}})-[s:SHARED_WITH]->(:Party {{uid: $p}}) "
                     f"RETURN properties(s)", {"u": uid, "p": party}).rows
    return dict(rows[0][0]) if rows else None


def partners(store: GraphStore) -> list[dict[str, str]]:
    """The parties a record may be shared with, for a Share control's choices: the Partner
    parties first, by name (any Party may be bound to a partner user)."""
    rows = store.run("MATCH (p:Partner) RETURN p.uid, p.name ORDER BY p.name, p.uid "
                     "LIMIT $limit", {"limit": SHARE_ROWS}).rows
    return [{"uid": u, "name": n or u} for u, n in rows]


def _records(store: GraphStore, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for uid, labels, props in store.run(cypher, {**params, "rows": PORTAL_ROWS}).rows:
        node = GNode(uid, labels, clean_props(props))
        out.append({"uid": uid, "label": node.label, "name": node.name,
                    "properties": node.props})
    return out


def portal(store: GraphStore, party: str) -> dict[str, Any]:
    """What a partner bound to ``party`` works with: its own record, its contacts, and the
    customers, opportunities and cases shared with it (each with the share's when and who).
    On a partner's scoped store every MATCH keeps to its scope."""
    own = _records(store, f"MATCH (p:Party {{uid: $party}}) WHERE {within(store, 'p')} "
                          f"RETURN p.uid, labels(p), properties(p)", {"party": party})
    contacts = _records(store, f"MATCH (c:Contact)-[:WORKS_FOR]->(p:Party {{uid: $party}}) "
                               f"WHERE {within(store, 'c')} RETURN c.uid, labels(c), "
                               f"properties(c) ORDER BY c.name, c.uid LIMIT $rows",
                        {"party": party})
    shared: dict[str, list[dict[str, Any]]] = {}
    for label in model.SHAREABLE_LABELS:
        rows = store.run(
            f"MATCH (x:{label})-[s:SHARED_WITH]->(p:Party {{uid: $party}}) "
            f"WHERE {within(store, 'x')} "
            f"RETURN x.uid, labels(x), properties(x), s.at, s.by "
            f"ORDER BY s.at DESC, x.uid LIMIT $rows",
            {"party": party, "rows": PORTAL_ROWS}).rows
        shared[label] = [{**_records_row(uid, labels, props), "shared_at": at,
                          "shared_by": by} for uid, labels, props, at, by in rows]
    return {"party": own[0] if own else None, "contacts": contacts,
            "customers": shared["Party"], "opportunities": shared["Opportunity"],
            "cases": shared["Case"], "scoped": scope_of(store) is not None}


def _records_row(uid: str, labels: list[str], props: dict[str, Any]) -> dict[str, Any]:
    node = GNode(uid, labels, clean_props(props))
    return {"uid": uid, "label": node.label, "name": node.name, "properties": node.props}
