"""The explorer's read layer on the small demo: neighbours in order of importance (owner, open
cases, contacts before calls; then the newest), counts that follow the filters, a detail
panel's fields without bookkeeping, and a path whose hops say why they exist."""

from __future__ import annotations

from erm_graph.auth.scope import ScopedStore
from erm_graph.demo import facts
from erm_graph.query.explore import neighborhood, neighbors, path_hops, shortest_path
from erm_graph.query.importance import OPEN_CASE
from erm_graph.query.partner_scope import partner_scope
from erm_graph.query.records import BOOKKEEPING, node_detail

RISK, KP, WP = facts.AT_RISK, facts.KEY_PERSON, facts.WARM_PATH


def _order(sub, uid):
    """(relationship type, neighbour) in the order the page holds them."""
    out = []
    for edge in sub.edges.values():
        other = edge.end if edge.start == uid else edge.start
        out.append((edge.type, sub.nodes[other]))
    return out


def _truth(store, uid):
    """What the demo holds around ``uid``, read apart from the explorer's queries."""
    rows = store.run("MATCH (n:Party {uid: $uid})-[r]-(m) RETURN type(r), m.uid, labels(m), "
                     "m.status, m.at", {"uid": uid}).rows
    return {muid: (t, labs, status, at) for t, muid, labs, status, at in rows}


def test_a_customer_s_owner_and_open_cases_come_before_its_calls(demo_store):
    around = _truth(demo_store, RISK.customer)
    owners = {u for u, (t, *_) in around.items() if t == "MANAGES"}
    open_cases = {u for u, (_, labs, status, _) in around.items()
                  if "Case" in labs and status in OPEN_CASE}
    contacts = {u for u, (t, *_) in around.items() if t == "WORKS_FOR"}
    calls = {u for u, (t, labs, *_) in around.items() if "Interaction" in labs}
    assert owners and len(open_cases) >= RISK.open_complaints and contacts and len(calls) > 25

    page = neighbors(demo_store, RISK.customer, limit=len(owners | open_cases | contacts))
    first = [node.uid for _, node in _order(page, RISK.customer)]
    assert set(first) == owners | open_cases | contacts, "not one call on the first page"
    assert first[0] in owners, "the account owner first"
    assert set(first[1:1 + len(open_cases)]) == open_cases, "then the open cases"

    everything = _order(neighbors(demo_store, RISK.customer, limit=500), RISK.customer)
    uids = [node.uid for _, node in everything]
    assert set(uids) == set(around)
    assert max(uids.index(u) for u in owners | open_cases | contacts) \
        < min(uids.index(u) for u in calls)
    call_times = [node.props["at"] for _, node in everything if node.uid in calls]
    assert call_times == sorted(call_times, reverse=True), "the newest call first"


def test_pages_follow_one_order(demo_store):
    whole = [n.uid for _, n in _order(neighbors(demo_store, RISK.customer, limit=500),
                                      RISK.customer)]
    paged = []
    for offset in range(0, len(whole), 7):
        page = neighbors(demo_store, RISK.customer, limit=7, offset=offset)
        paged += [n.uid for _, n in _order(page, RISK.customer)]
        assert page.more[RISK.customer] == max(0, len(whole) - offset - 7)
    assert paged == whole


def test_groups_come_most_important_first_with_the_open_cases_counted(demo_store):
    groups = neighbors(demo_store, RISK.customer, limit=0).groups
    kinds = [(g["type"], g["label"]) for g in groups]
    assert kinds[0] == ("MANAGES", "Employee")
    assert kinds.index(("RAISED", "Case")) < kinds.index(("HAD", "Interaction"))
    assert [g["rank"] for g in groups] == sorted(g["rank"] for g in groups)
    cases = next(g for g in groups if g["label"] == "Case")
    assert cases["open"] == len([u for u, (_, labs, status, _) in
                                 _truth(demo_store, RISK.customer).items()
                                 if "Case" in labs and status in OPEN_CASE])
    assert sum(g["count"] for g in groups) == len(_truth(demo_store, RISK.customer))


def test_counts_and_pages_follow_the_filters(demo_store):
    around = _truth(demo_store, RISK.customer)
    kept = {u for u, (t, labs, *_) in around.items() if "Interaction" not in labs}
    page = neighbors(demo_store, RISK.customer, limit=5, hide_labels=["Interaction"])
    assert {g["label"] for g in page.groups}.isdisjoint({"Interaction"})
    assert sum(g["count"] for g in page.groups) == len(kept)
    assert page.more[RISK.customer] == len(kept) - 5
    assert {n.uid for _, n in _order(page, RISK.customer)} <= kept

    no_had = neighbors(demo_store, RISK.customer, limit=500, hide_types=["HAD"])
    assert "HAD" not in {g["type"] for g in no_had.groups}
    assert {e.type for e in no_had.edges.values()} == {t for t, *_ in around.values()} - {"HAD"}
    near = neighborhood(demo_store, RISK.customer, depth=2, per_node=10,
                        hide_labels=["Interaction"])
    assert not [n for n in near.nodes.values() if "Interaction" in n.labels]


def test_a_partner_gets_the_same_order_within_its_scope(demo_store):
    scoped = ScopedStore(demo_store, partner_scope(demo_store, KP.customer))
    mine = neighbors(scoped, KP.customer, limit=500)
    full = neighbors(demo_store, KP.customer, limit=500)
    in_scope = [n.uid for _, n in _order(full, KP.customer) if n.uid in scoped.scope]
    assert [n.uid for _, n in _order(mine, KP.customer)] == in_scope
    assert sum(g["count"] for g in mine.groups) == len(in_scope)
    ties = node_detail(scoped, KP.customer)["ties"]
    assert ties and {t["uid"] for t in ties} <= scoped.scope


def test_the_detail_panel_shows_people_s_fields_without_bookkeeping(demo_store):
    d = node_detail(demo_store, RISK.customer)
    shown = {f["key"] for f in d["fields"]}
    assert shown and not shown & BOOKKEEPING
    assert {"segment", "industry"} <= shown
    assert d["provenance"]["source"].startswith("demo:")
    ties = {(t["role"], t["uid"]) for t in d["ties"]}
    owner = d["account_owners"][0]["uid"]
    assert ("account owner", owner) in ties
    assert any(role == "contact" for role, _ in ties)
    kinds = [(r["type"], r["label"]) for r in d["relationships"]]
    assert kinds.index(("MANAGES", "Employee")) < kinds.index(("RAISED", "Case")) \
        < kinds.index(("HAD", "Interaction"))

    person = node_detail(demo_store, owner)
    assert [f["key"] for f in person["fields"]][:2] == ["title", "email"]
    assert not {f["key"] for f in person["fields"]} & BOOKKEEPING
    assert any(t["role"] == "department" for t in person["ties"])


def test_a_path_says_why_each_hop_exists(demo_store):
    sub = shortest_path(demo_store, WP.employee, WP.target)
    hops = path_hops(sub, WP.employee)
    assert [h["from"] for h in hops] + [hops[-1]["to"]] == list(WP.chain)
    assert [h["type"] for h in hops] == list(WP.relationships)
    assert hops[0]["forward"] and hops[0]["why"] == "the account owner of a party"
    assert hops[0]["start"] == WP.employee_name and hops[0]["end"] == WP.via_name
    back = path_hops(shortest_path(demo_store, WP.target, WP.employee), WP.target)
    assert [h["type"] for h in back] == list(reversed(WP.relationships))
    assert not back[0]["forward"]


def test_nodes_further_out_show_their_most_important_neighbours_too(demo_store):
    (owner,), = demo_store.run("MATCH (e:Employee)-[:MANAGES]->(:Party {uid: $c}) RETURN e.uid",
                               {"c": RISK.customer}).rows
    near = neighborhood(demo_store, RISK.customer, depth=2, per_node=6, max_nodes=500)
    assert owner in near.nodes
    first = neighbors(demo_store, owner, limit=6)
    expected = {e.id for e in first.edges.values()}
    assert expected <= set(near.edges), "the owner's first page, as if it were the centre"
    assert near.more[owner] == -1, "more than a page: counted when expanded"
