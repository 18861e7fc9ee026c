"""One identity across sources (issue 20 item 9): duplicates suggested, merged, aliased, undone.

Real corpus files on the embedded engine: the draw.io and BPMN flowcharts say ``dept:sales``,
the ERP export (``tests/corpus/erp``, a mapping like the CRM example) says ``dept-sales``; the
CRM export says "Acme Corp", the ERP "ACME Corporation". One store for the module: the tests
run in order, each from the graph the one before left.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erm_graph import load
from erm_graph.auth import Users, audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.identity import MergeRefused, list_merges, merge_nodes, undo_merge
from erm_graph.query.duplicates import normalise, suggest_duplicates
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"
SOURCES = ("orders.drawio", "camunda_order.bpmn", "support.mmd", "crm/crm.yaml", "erp/erp.yaml")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = open_store(f"embedded:{tmp_path_factory.mktemp('identity') / 'db'}")
    store.clear()
    for name in SOURCES:
        load(store, CORPUS / name)
    yield store
    store.close()


def nodes(store) -> Counter:
    """Every record but the merges' bookkeeping: (labels, properties), each as JSON."""
    return Counter(json.dumps([sorted(labels), props], sort_keys=True, default=str)
                   for labels, props in store.run(
                       "MATCH (n) WHERE NOT n:Merge RETURN labels(n), properties(n)").rows)


def relationships(store) -> Counter:
    """Every relationship: (start uid, type, end uid, properties), as JSON."""
    return Counter(json.dumps(row, sort_keys=True, default=str) for row in store.run(
        "MATCH (a)-[r]->(b) RETURN a.uid, type(r), b.uid, properties(r)").rows)


def rels_of(store, uid: str) -> list[tuple[str, str, str, str]]:
    """(direction, type, other uid, properties) of every relationship of ``uid``."""
    out = store.run("MATCH (n {uid: $u})-[r]->(x) RETURN 'out', type(r), x.uid, "
                    "properties(r)", {"u": uid}).rows
    into = store.run("MATCH (n {uid: $u})<-[r]-(x) RETURN 'in', type(r), x.uid, "
                     "properties(r)", {"u": uid}).rows
    return sorted((d, t, o, json.dumps(p, sort_keys=True)) for d, t, o, p in out + into)


def test_names_are_compared_without_case_punctuation_and_legal_forms():
    assert normalise("ACME Corporation", "Customer") == normalise(" Acme  Corp.", "Customer")
    assert normalise("Umbrella GmbH", "Customer") == "umbrella"
    assert normalise("Sales Department", "Department") == normalise("Sales", "Department")
    assert normalise("Café Noir", "Document") == "cafe noir"
    # a legal form is a word of a company's name only where it is one
    assert normalise("Inc Sales", "Department") == "inc sales"


def test_only_records_that_share_something_are_compared():
    """Blocking: 1,000 records that share only a word too common to tell them apart form no
    pair to score; those that share a rarer word, a uid or an email do."""
    from erm_graph.query.duplicates import BLOCK_CAP, _candidates, _records

    rows = [[f"sup-{i}", f"Services {i:04d}", None] for i in range(1000)]
    rows += [["sup-a", "Nordic Services", None], ["sup-b", "Nordik Services", None],
             ["sup-c", "Nordic Services AB", None], ["SUP_A", "Other", "x@y.test"],
             ["sup-d", "Else", "X@Y.test"]]
    assert 1000 > BLOCK_CAP
    records = _records(rows, "Supplier")
    pairs = {(records[i]["uid"], records[j]["uid"]) for i, j in _candidates(records, 80)}
    # "Nordik" meets "Nordic" by their first letters; AB is a legal form
    assert pairs == {("sup-a", "sup-b"), ("sup-a", "sup-c"), ("sup-b", "sup-c"),
                     ("sup-a", "SUP_A"), ("SUP_A", "sup-d")}


def test_two_sources_naming_one_department_and_one_company_are_suggested(store):
    departments = {(s.a["uid"], s.b["uid"]): s for s in suggest_duplicates(store, "Department")}
    sales = departments[("dept-sales", "dept:sales")]
    assert sales.score >= 95
    assert any("same uid but for case and punctuation" in r for r in sales.reasons)
    assert any("'sales'" in r for r in sales.reasons)  # "Sales Department" / "Sales"
    assert not any("dept:inside-sales" in pair for pair in departments)  # not the same unit
    customers = {(s.a["uid"], s.b["uid"]): s for s in suggest_duplicates(store, "Customer")}
    acme = customers[("crm-acct-A1", "erp-cust-100")]
    assert acme.score == 100 and acme.reasons == ["same name once normalised: 'acme'"]
    assert ("crm-acct-A3", "erp-cust-300") not in customers  # Initech is not Umbrella
    # every label by default, bounded per label, best first
    every = suggest_duplicates(store, limit=1)
    assert Counter(s.label for s in every) == {"Department": 1, "Customer": 1}
    with pytest.raises(Exception, match="choose a label whose records have names"):
        suggest_duplicates(store, "Interaction")


def test_records_of_different_labels_are_refused_and_nothing_is_written(store):
    before = (nodes(store), relationships(store))
    with pytest.raises(MergeRefused, match="only records of one label merge"):
        merge_nodes(store, "dept:sales", ["crm-acct-A1"])
    with pytest.raises(MergeRefused, match="both kept and dropped"):
        merge_nodes(store, "dept:sales", ["dept:sales"])
    assert (nodes(store), relationships(store)) == before
    assert list_merges(store) == []


def test_undo_restores_the_graph_exactly_and_merges_undo_latest_first(store):
    before = (nodes(store), relationships(store))
    first = merge_nodes(store, "dept:sales", ["dept-sales"])
    # a merge of the kept record into another: the first cannot be undone while it stands
    second = merge_nodes(store, "dept:inside-sales", ["dept:sales"])
    customers = merge_nodes(store, "crm-acct-A1", ["erp-cust-100"])
    assert (nodes(store), relationships(store)) != before
    with pytest.raises(MergeRefused, match=f"{second['id']}.*undo it first"):
        undo_merge(store, first["id"])
    undo_merge(store, customers["id"])
    undo_merge(store, second["id"])
    done = undo_merge(store, first["id"])
    assert done["restored"] == ["dept-sales"] and done["not_restored"] == 0
    assert (nodes(store), relationships(store)) == before
    with pytest.raises(MergeRefused, match="undone already"):
        undo_merge(store, first["id"])
    # an undo never writes a second record of a uid written again since the merge
    again = merge_nodes(store, "dept:sales", ["dept-sales"])
    store.upsert_nodes("Department", [{"uid": "dept-sales", "name": "Sales (typed again)"}])
    with pytest.raises(MergeRefused, match="dept-sales exist again"):
        undo_merge(store, again["id"])
    store.run("MATCH (d:Department {uid: 'dept-sales'}) DELETE d", read_only=False)
    # the record is data: a type in it that the model does not know never reaches Cypher
    record = store.run("MATCH (m:Merge {uid: $id}) RETURN m.record", {"id": again["id"]}
                       ).rows[0][0]
    forged = json.loads(record)
    forged["created"].append({"type": "X]->() DETACH DELETE k //", "direction": "out",
                              "other_label": "Step", "other": "s", "props": {}})
    store.run("MATCH (m:Merge {uid: $id}) SET m.record = $r",
              {"id": again["id"], "r": json.dumps(forged)}, read_only=False)
    with pytest.raises(MergeRefused, match="outside the model"):
        undo_merge(store, again["id"])
    store.run("MATCH (m:Merge {uid: $id}) SET m.record = $r",
              {"id": again["id"], "r": record}, read_only=False)
    undo_merge(store, again["id"])
    assert [m["undone_at"] is not None for m in list_merges(store)] == [True] * 4


def test_a_merge_moves_every_relationship_and_property_onto_the_kept_record(store):
    before_nodes, before_rels = nodes(store), relationships(store)
    dropped = rels_of(store, "erp-cust-100")
    kept = rels_of(store, "crm-acct-A1")
    assert dropped and kept  # Sam MANAGES the ERP customer; the CRM one HOLDS, has contacts
    plan = merge_nodes(store, "crm-acct-A1", ["erp-cust-100"], dry_run=True)
    assert (nodes(store), relationships(store)) == (before_nodes, before_rels)  # a dry run
    done = merge_nodes(store, "crm-acct-A1", ["erp-cust-100"])
    assert {k: v for k, v in done.items() if k not in ("id", "dry_run")} == \
        {k: v for k, v in plan.items() if k not in ("id", "dry_run")}
    assert rels_of(store, "erp-cust-100") == []
    assert store.run("MATCH (n {uid: 'erp-cust-100'}) RETURN count(n)").rows == [[0]]
    assert rels_of(store, "crm-acct-A1") == sorted(kept + dropped)
    # every relationship counted: the dropped record's are now the kept one's, none lost,
    # none copied, all others untouched
    expected = Counter()
    for text, n in before_rels.items():
        start, rel_type, end, props = json.loads(text)
        start = "crm-acct-A1" if start == "erp-cust-100" else start
        end = "crm-acct-A1" if end == "erp-cust-100" else end
        expected[json.dumps([start, rel_type, end, props], sort_keys=True)] += n
    assert relationships(store) == expected
    assert sum(relationships(store).values()) == sum(before_rels.values())
    node = store.run("MATCH (n:Customer {uid: 'crm-acct-A1'}) RETURN properties(n)").rows[0][0]
    assert node["name"] == "Acme Corp"  # the kept value wins ...
    assert done["conflicts"]["name"] == {"kept": "Acme Corp",
                                         "dropped": {"erp-cust-100": "ACME Corporation"}}
    assert node["country"] == "US" and node["website"] == "https://acme.test"  # ... it lacked
    assert set(done["added"]) == {"country", "website"}
    others = {k for k in before_nodes if '"erp-cust-100"' not in k and '"crm-acct-A1"' not in k}
    assert others <= set(nodes(store))
    assert len(nodes(store)) == len(before_nodes) - 1


def test_loads_of_either_source_land_on_the_kept_record(store, tmp_path):
    merge_nodes(store, "dept:sales", ["dept-sales"])
    departments = store.run("MATCH (d:Department) RETURN count(d)").rows[0][0]
    # the ERP export again, with a new salesman who manages ACME (merged above)
    erp = tmp_path / "erp"
    shutil.copytree(CORPUS / "erp", erp)
    with (erp / "employees.csv").open("a") as fh:
        fh.write("10,Nina New,nina@example.test,sales,100\n")
    report = load(store, erp / "erp.yaml")
    assert any("dept-sales -> dept:sales" in note for note in report.notes)
    assert store.run("MATCH (d:Department) RETURN count(d)").rows[0][0] == departments
    assert store.run("MATCH (n) WHERE n.uid IN ['dept-sales', 'erp-cust-100'] "
                     "RETURN count(n)").rows == [[0]]
    assert store.run("MATCH (e:Employee {uid: 'erp-emp-10'})-[:MEMBER_OF]->(d) "
                     "RETURN d.uid").rows == [["dept:sales"]]
    assert store.run("MATCH (e:Employee {uid: 'erp-emp-10'})-[:MANAGES]->(c) "
                     "RETURN c.uid").rows == [["crm-acct-A1"]]
    # the flowcharts, which name the kept uid, load unchanged onto the merged record
    again = load(store, [CORPUS / "orders.drawio", CORPUS / "camunda_order.bpmn"])
    assert again.total("created") == 0
    members = store.run("MATCH (e)-[r:MEMBER_OF]->(:Department {uid: 'dept:sales'}) "
                        "RETURN e.uid, count(r) ORDER BY e.uid").rows
    assert members == [["erp-emp-10", 1], ["erp-emp-7", 1]]  # no relationship twice


def test_merges_and_undos_are_in_the_audit_trail(store):
    conn = connect(users_db_path(store))
    try:
        events = audit.events(conn)
    finally:
        conn.close()
    merges = [e for e in events if e["action"] == "merge" and e["outcome"] == "ok"]
    undos = [e for e in events if e["action"] == "merge.undo" and e["outcome"] == "ok"]
    assert len(merges) == 6 and len(undos) == 4
    assert {e["target"] for e in merges} >= {"dept:sales", "crm-acct-A1", "dept:inside-sales"}
    assert [e for e in events if e["action"] == "merge" and e["outcome"] == "failed"]


@pytest.fixture(scope="module")
def web(store, tmp_path_factory):
    path = tmp_path_factory.mktemp("identity-users") / "users.db"
    users = Users.open(path)
    tokens = {}
    for role in ("admin", "editor", "analyst", "viewer"):
        users.add(role, role, password="correct horse battery")
        tokens[role] = {"authorization": f"Bearer {users.new_token(role)}"}
    users.close()
    app = create_app(Settings.from_env(users_db=path, web_host="127.0.0.1", query_timeout=10),
                     store=store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, tokens


def test_only_admins_and_editors_see_and_make_merges_on_the_web(web, store):
    client, tokens = web
    reads = ["/merges", "/api/merges", "/api/merges/suggestions?label=Department"]
    for role in ("analyst", "viewer"):
        for path in reads:
            assert client.get(path, headers=tokens[role]).status_code == 403, (role, path)
        r = client.post("/api/merges", json={"keep": "dept:finance", "drop": ["dept-finance"]},
                        headers=tokens[role])
        assert r.status_code == 403
    assert store.run("MATCH (d {uid: 'dept-finance'}) RETURN count(d)").rows == [[1]]
    for role in ("admin", "editor"):
        for path in reads:
            assert client.get(path, headers=tokens[role]).status_code == 200, (role, path)
    found = client.get("/api/merges/suggestions?label=Department", headers=tokens["editor"])
    assert {(s["a"]["uid"], s["b"]["uid"]) for s in found.json()} >= {
        ("dept-finance", "dept:finance"), ("dept-operations", "dept:operations")}
    page = client.get("/merges", headers=tokens["editor"]).text
    assert 'data-keep="dept-finance" data-drop="dept:finance"' in page
    assert "Duplicates" in client.get("/", headers=tokens["editor"]).text
    # the kept record's detail panel names the uid merged into it
    detail = client.get("/api/nodes/dept:sales", headers=tokens["viewer"]).json()
    assert detail["aliases"] == ["dept-sales"]
    assert "/merges" not in client.get("/", headers=tokens["viewer"]).text


def test_an_editor_merges_and_undoes_through_the_api(web, store):
    client, tokens = web
    refused = client.post("/api/merges", json={"keep": "dept:finance", "drop": ["crm-acct-A2"]},
                          headers=tokens["editor"])
    assert refused.status_code == 409
    assert "only records of one label merge" in refused.json()["error"]["message"]
    done = client.post("/api/merges", json={"keep": "dept:finance", "drop": ["dept-finance"]},
                       headers=tokens["editor"])
    assert done.status_code == 200, done.text
    merge_id = done.json()["id"]
    assert store.run("MATCH (d {uid: 'dept-finance'}) RETURN count(d)").rows == [[0]]
    listed = client.get("/api/merges", headers=tokens["editor"]).json()
    assert listed[0]["id"] == merge_id and listed[0]["by"] == "editor"
    assert f'data-id="{merge_id}"' in client.get("/merges", headers=tokens["admin"]).text
    assert client.post(f"/api/merges/{merge_id}/undo",
                       headers=tokens["viewer"]).status_code == 403
    undone = client.post(f"/api/merges/{merge_id}/undo", headers=tokens["editor"])
    assert undone.status_code == 200 and undone.json()["restored"] == ["dept-finance"]
    assert store.run("MATCH (d {uid: 'dept-finance'})-[:MEMBER_OF]-(e) "
                     "RETURN e.uid").rows == [["erp-emp-9"]]


def test_the_cli_suggests_merges_refuses_and_undoes(store):
    from typer.testing import CliRunner

    from erm_graph.cli import app

    def erm(*args: str) -> tuple[int, str]:
        done = CliRunner().invoke(app, ["--db", f"embedded:{store.location}", *args])
        return done.exit_code, done.output

    code, out = erm("merge", "suggest", "--label", "Customer", "--json")
    assert code == 0
    assert {(s["a"]["uid"], s["b"]["uid"]) for s in json.loads(out)} == {
        ("crm-acct-A2", "erp-cust-200")}  # ACME is merged already
    code, out = erm("merge", "dept:operations", "crm-acct-A2")
    assert code == 1 and "only records of one label merge" in " ".join(out.split())
    code, out = erm("merge", "crm-acct-A2", "erp-cust-200", "--dry-run")
    assert code == 0 and "Would merge erp-cust-200 into crm-acct-A2" in " ".join(out.split())
    code, out = erm("merge", "crm-acct-A2", "erp-cust-200", "--json")
    assert code == 0 and json.loads(out)["moved"] == {"MANAGES": 1}
    merge_id = json.loads(out)["id"]
    code, out = erm("merge", "list", "--json")
    assert json.loads(out)[0]["id"] == merge_id
    code, out = erm("merge", "undo", merge_id)
    assert code == 0 and "erp-cust-200 restored with 1 relationship" in " ".join(out.split())


def test_merges_and_their_aliases_survive_export_and_import(store, tmp_path):
    from erm_graph.interop import export_graph, import_graph
    from erm_graph.query.merges import alias_table

    export_graph(store, tmp_path / "export")
    other = open_store(f"embedded:{tmp_path / 'other'}")
    try:
        import_graph(other, tmp_path / "export")
        assert list_merges(other) == list_merges(store)
        assert alias_table(other) == alias_table(store)
        assert alias_table(other)["Department"]["dept-sales"] == "dept:sales"
        # and the copy's loads land on the kept record as the original's do
        load(other, CORPUS / "erp" / "erp.yaml")
        assert other.run("MATCH (d {uid: 'dept-sales'}) RETURN count(d)").rows == [[0]]
    finally:
        other.close()
