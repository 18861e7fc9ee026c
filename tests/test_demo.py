"""The demo enterprise: deterministic, valid against the model, loadable, facts findable."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from erm_graph import model
from erm_graph.demo import SIZES, expected_total, generate, load_demo, repeat_buyers
from erm_graph.demo import facts as F
from erm_graph.demo.roster import Roster
from erm_graph.demo.sizes import plan


def rows(size="small", seed=7):
    return [(dict(p.nodes), dict(p.relationships)) for p in generate(size, seed)]


@pytest.fixture(scope="module")
def small_parts():
    return list(generate("small", 7))


def one_column(store, cypher, **params):
    return [r[0] for r in store.run(cypher, params).rows]


# -- generation -------------------------------------------------------------------------------

def test_same_seed_same_rows_and_other_seed_other_rows():
    assert rows(seed=7) == rows(seed=7)
    assert rows(seed=7) != rows(seed=8)


def test_sizes_and_expected_total(small_parts):
    nodes = sum(p.node_count for p in small_parts)
    # the planted web-shop cohort (erm clv's hold-out) is the same at every size: on top
    cohort = repeat_buyers.build(Roster(plan("small")), "", 7).node_count
    assert 1_800 <= nodes - cohort <= 2_300 and cohort <= 800
    assert sum(len(p) for p in small_parts) == expected_total("small")
    assert sum(len(p) for p in generate(6_000, seed=3)) == expected_total(6_000)
    assert set(SIZES) == {"small", "medium", "large"}
    with pytest.raises(ValueError, match="small, medium, large"):
        plan("huge")


def test_every_part_fits_the_model_and_points_only_backwards(small_parts):
    known: dict[str, set[str]] = defaultdict(set)
    pairs: set[tuple[str, str, str]] = set()
    for part in small_parts:
        assert part.problems() == []
        for label, nodes in part.nodes.items():
            key = model.label(label).key_label
            for row in nodes:
                assert row["uid"] not in known[key], row["uid"]
                assert row["source"] == "demo:7"
                known[key].add(row["uid"])
        for (rel_type, start, end), rels in part.relationships.items():
            s_key, e_key = model.label(start).key_label, model.label(end).key_label
            for row in rels:
                assert row["start"] in known[s_key], (rel_type, row)
                assert row["end"] in known[e_key], (rel_type, row)
                pair = (rel_type, row["start"], row["end"])
                assert pair not in pairs, pair  # a repeated pair would merge into one
                pairs.add(pair)


def test_every_label_and_type_is_generated(small_parts):
    labels = {label for p in small_parts for label in p.nodes}
    types = {key[0] for p in small_parts for key in p.relationships}
    assert labels == set(model.LABELS) - {"Party", *model.BOOKKEEPING_LABELS}
    assert types == set(model.RELATIONSHIPS) - {"KNOWS"}


def test_activity_lies_in_the_period(small_parts):
    times = [r["at"] for p in small_parts for r in p.nodes.get("Interaction", [])]
    assert F.PERIOD_START <= min(times) and max(times)[:10] <= F.PERIOD_END


def _python_facts(size):
    """Facts recomputed from generated rows, to show they hold beyond the small size."""
    parts = list(generate(size, seed=11))
    nodes = {r["uid"]: (label, r) for p in parts for label, rs in p.nodes.items() for r in rs}
    rels = defaultdict(list)
    for p in parts:
        for (t, _, _), rs in p.relationships.items():
            rels[t] += [(r["start"], r["end"]) for r in rs]
    employer = dict(rels["WORKS_FOR"])
    people: dict[str, set[str]] = defaultdict(set)
    for e, c in rels["MANAGES"]:
        people[c].add(e)
    with_ = defaultdict(set)
    for i, e in rels["WITH"]:
        with_[i].add(e)
    purchases: Counter = Counter()
    for who, i in rels["HAD"]:
        party = employer.get(who, who)
        people[party] |= with_[i]
        if nodes[i][1]["kind"] == "purchase" and who == party:
            purchases[party] += nodes[i][1]["amount"]
    customers = [u for u, (label, _) in nodes.items() if label == "Customer"]
    suppliers = defaultdict(set)
    for s, x in rels["SUPPLIES"]:
        suppliers[x].add(s)
    step_of = dict(rels["AT_STEP"])
    cells: Counter = Counter()
    for i, prod in rels["ABOUT"]:
        if nodes[i][0] == "Interaction" and nodes[i][1]["kind"] == "complaint":
            cells[prod, step_of[i], nodes[i][1]["at"][:7]] += 1
    return {
        "key_person": [c for c in customers if len(people[c]) == 1],
        "no_ties": [c for c in customers if not people[c]],
        "top": purchases.most_common(2),
        "single_supplier": {x: s for x, s in suppliers.items() if len(s) == 1},
        "spike": cells.most_common(2),
    }


@pytest.mark.parametrize("size", ["small", 40_000])
def test_facts_hold_at_other_sizes(size):
    found = _python_facts(size)
    assert found["key_person"] == [F.KEY_PERSON.customer]
    assert found["no_ties"] == [F.WARM_PATH.target]
    (top, total), (_, runner_up) = found["top"]
    assert (top, total) == (F.TOP_CUSTOMER.customer, F.TOP_CUSTOMER.total)
    assert runner_up < total / 2
    dep = F.SUPPLIER_DEPENDENCY
    assert found["single_supplier"] == {dep.product: {dep.supplier}, dep.material: {dep.supplier}}
    (cell, n), (_, second) = found["spike"]
    assert cell == (F.COMPLAINT_SPIKE.product, F.COMPLAINT_SPIKE.step, F.COMPLAINT_SPIKE.month)
    assert n >= F.COMPLAINT_SPIKE.min_interactions and second <= n / 2


# -- loaded into the embedded engine ----------------------------------------------------------

def test_loaded_counts_cover_the_model(demo_store):
    labels, types = demo_store.counts()
    assert [lab for lab, n in labels.items() if n == 0] == list(model.BOOKKEEPING_LABELS)
    assert [t for t, n in types.items() if n == 0] == ["KNOWS"]
    assert labels["Party"] == sum(labels[k] for k in model.PARTY_KINDS)


def test_loading_again_changes_nothing(demo_store):
    report = load_demo(demo_store, "small", seed=7)
    assert report.total("created") == 0
    assert report.total("updated") == 0
    assert report.total("unchanged") == expected_total("small")
    assert report.rejected == []


def test_key_person_risk(demo_store):
    kp = F.KEY_PERSON
    single = one_column(demo_store, """
        MATCH (c:Customer)
        WITH c, [(m:Employee)-[:MANAGES]->(c) | m.uid]
              + [(c)-[:HAD]->(:Interaction)-[:WITH]->(w:Employee) | w.uid]
              + [(c)<-[:WORKS_FOR]-(:Contact)-[:HAD]->(:Interaction)-[:WITH]->(v:Employee)
                 | v.uid] AS staff
        UNWIND staff AS e
        WITH c, collect(DISTINCT e) AS people
        WHERE size(people) = 1
        RETURN c.uid + ' ' + people[0]""")
    assert single == [f"{kp.customer} {kp.employee}"]
    assert one_column(demo_store, """
        MATCH (c:Customer {uid: $c})<-[:WORKS_FOR*0..1]-(x)-[:HAD]->(i:Interaction)
        RETURN count(i)""", c=kp.customer) == [kp.interactions]


def test_complaint_spike(demo_store):
    spike = F.COMPLAINT_SPIKE
    top = demo_store.run("""
        MATCH (p:Product)<-[:ABOUT]-(i:Interaction {kind: 'complaint'})-[:AT_STEP]->(s:Step)
        RETURN p.uid, s.uid, substring(i.at, 0, 7) AS month, count(i) AS n
        ORDER BY n DESC LIMIT 2""").rows
    assert top[0][:3] == [spike.product, spike.step, spike.month]
    assert top[0][3] >= spike.min_interactions and top[1][3] <= top[0][3] / 2
    assert one_column(demo_store, """
        MATCH (:Product {uid: $p})<-[:ABOUT]-(k:Case {kind: 'complaint'})-[:ABOUT]->
              (:Step {uid: $s})
        WHERE substring(k.opened_at, 0, 7) = $m RETURN count(k)""",
        p=spike.product, s=spike.step, m=spike.month)[0] >= spike.min_cases


def test_unowned_components_and_single_owners(demo_store):
    unowned = one_column(demo_store, """
        MATCH (n) WHERE (n:Map OR n:Process OR n:Step OR n:Document OR n:Department)
          AND NOT ()-[:RESPONSIBLE_FOR]->(n)
        RETURN n.uid""")
    assert set(unowned) == F.UNOWNED.uids
    assert one_column(demo_store, """
        MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(n) WITH n, count(e) AS owners
        WHERE owners <> 1 RETURN n.uid""") == []


def test_warm_path(demo_store):
    wp = F.WARM_PATH
    assert one_column(demo_store, "MATCH (:Party {uid: $t})-[r]-() RETURN count(r)",
                      t=wp.target) == [1]
    assert one_column(demo_store, "MATCH (e:Employee)--(:Party {uid: $t}) RETURN e.uid",
                      t=wp.target) == []
    paths = demo_store.run("""
        MATCH (t:Party {uid: $t}) MATCH (e:Employee)-[:MANAGES]->(v:Party)-[:RELATES_TO]->(t)
        RETURN [e.uid, v.uid, t.uid]""", {"t": wp.target}).rows
    assert paths == [[list(wp.chain)]]
    chain = demo_store.run("""
        MATCH (a:Employee {uid: $e}), (b:Party {uid: $t}) WITH a, b
        MATCH p = allShortestPaths((a)-[*..4]-(b))
        RETURN [n IN nodes(p) | n.uid] LIMIT 1""", {"e": wp.employee, "t": wp.target}).rows
    assert chain == [[list(wp.chain)]]


def test_supplier_dependency(demo_store):
    dep = F.SUPPLIER_DEPENDENCY
    single = demo_store.run("""
        MATCH (s:Supplier)-[:SUPPLIES]->(x) WITH x, collect(s.uid) AS sups
        WHERE size(sups) = 1 RETURN x.uid, sups[0] ORDER BY x.uid""").rows
    assert single == sorted([[dep.material, dep.supplier], [dep.product, dep.supplier]])
    assert one_column(demo_store, "MATCH (:Step {uid: $s})-[:USES]->(d:Document {uid: $d}) "
                      "RETURN count(d)", s=dep.step, d=dep.material) == [1]


def test_at_risk_customer(demo_store):
    risk = F.AT_RISK
    months = dict(demo_store.run("""
        MATCH (:Customer {uid: $c})-[:HAD]->(i:Interaction)
        RETURN substring(i.at, 0, 7) AS m, count(i)""", {"c": risk.customer}).rows)
    assert months == dict(risk.monthly_interactions)
    assert max(months) == risk.last_interaction_month
    assert one_column(demo_store, """
        MATCH (:Customer {uid: $c})-[:RAISED]->(k:Case {kind: 'complaint'})
        WHERE k.status IN ['open', 'in_progress'] RETURN count(k)""",
        c=risk.customer) == [risk.open_complaints]
    scores = one_column(demo_store, "MATCH (:Customer {uid: $c})-[:GAVE]->(r:Response) "
                        "RETURN r.score", c=risk.customer)
    assert sorted(scores) == sorted(risk.survey_scores)


def test_customer_needs(demo_store):
    needs = F.CUSTOMER_NEEDS
    top = demo_store.run("""
        MATCH (f:Feedback {kind: 'need'})-[:ABOUT]->(p:Product)
        MATCH (f)-[:FROM]->(src)<-[r]-(c:Customer)
        WHERE type(r) IN ['HAD', 'RAISED', 'GAVE']
        RETURN p.uid, c.segment, count(DISTINCT f) AS n ORDER BY n DESC LIMIT 2""").rows
    assert top[0][:2] == [needs.product, needs.segment]
    assert top[0][2] >= needs.min_feedback and top[1][2] <= top[0][2] / 2


def test_top_lifetime_value(demo_store):
    top = demo_store.run("""
        MATCH (c:Customer)-[:HAD]->(i:Interaction {kind: 'purchase'})
        RETURN c.uid, sum(i.amount) AS total ORDER BY total DESC LIMIT 2""").rows
    assert top[0] == [F.TOP_CUSTOMER.customer, F.TOP_CUSTOMER.total]
    assert top[1][1] < F.TOP_CUSTOMER.total / 2


def test_cro_owns_every_map(demo_store):
    assert one_column(demo_store, "MATCH (e:Employee {role: 'CRO'}) RETURN e.uid") == [
        F.CRO.employee]
    owners = one_column(demo_store, "MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(:Map) "
                        "RETURN DISTINCT e.uid")
    assert owners == [F.CRO.employee]
    assert one_column(demo_store, "MATCH (m:Map)-[:DEPICTS]->(:Process) RETURN count(m)") == [5]


def test_gateway_process(demo_store):
    gw = F.GATEWAY
    branches = demo_store.run("""
        MATCH (:Process {uid: $p})-[:HAS_STEP]->(g:Step {kind: 'gateway'})-[n:NEXT]->(s:Step)
        RETURN g.uid, n.label, s.uid ORDER BY n.label""", {"p": gw.process}).rows
    assert branches == [[gw.gateway, "no", gw.no_step], [gw.gateway, "yes", gw.yes_step]]
    steps = one_column(demo_store, """
        MATCH (:Process {uid: $p})-[h:HAS_STEP]->(s:Step) RETURN s.uid ORDER BY h.order""",
        p=gw.process)
    assert steps == list(gw.steps)


def test_agenda_overdue_tasks_and_one_double_booking(demo_store):
    from erm_graph.query import agenda as reads
    from erm_graph.settings import WorkingHours
    planted = F.AGENDA
    late = reads.overdue(demo_store, planted.now)
    assert sorted(t["uid"] for t in late) == sorted(planted.overdue)
    assert {t["assignee"] for t in late} == {planted.employee}
    assert len(reads.tasks(demo_store, None, status=None)) > len(planted.overdue)
    staff = one_column(demo_store, "MATCH (e:Employee) RETURN e.uid")
    booked = reads.appointments(demo_store, staff, "2026-10-01T00:00:00", "2027-01-01T00:00:00")
    assert len(booked) > 10
    assert any(a["label"] == "Contact" for b in booked for a in b["attendees"])
    clashes = [c for c in reads.conflicts(booked, WorkingHours()) if c.kind == "double-booked"]
    assert [(c.person, c.appointments) for c in clashes] == [
        (planted.employee, planted.double_booked)]
