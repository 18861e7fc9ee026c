"""A merge keeps one owner per component (issue 20 item 8; docs/data-model.md, "Owners: one
responsible person per component").

The flowchart (orders.drawio) says ``dept:sales``, the ERP export (tests/corpus/erp) says
``dept-sales``: two records of one department, each given an owner by hand. Merging them keeps
the kept record's owner, does not move the other (the answer says whom) and the undo gives it
back; a kept record with no owner takes the dropped one's.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from erm_graph import load
from erm_graph.cli import app
from erm_graph.identity import merge_nodes, undo_merge
from erm_graph.ingest.component_owners import set_owner
from erm_graph.query.governance import governance

CORPUS = Path(__file__).parent / "corpus"


def owners(store) -> list[list[str]]:
    return sorted(store.run("MATCH (e:Employee)-[r:RESPONSIBLE_FOR]->(d:Department) "
                            "WHERE d.uid IN ['dept:sales', 'dept-sales'] "
                            "RETURN d.uid, e.uid, r.set_by").rows)


def two_owned_departments(store) -> None:
    load(store, [CORPUS / "orders.drawio", CORPUS / "erp" / "erp.yaml"])
    store.upsert_nodes("Employee", [{"uid": "emp-ana", "name": "Ana Ito"},
                                    {"uid": "emp-bo", "name": "Bo Berg"}])
    set_owner(store, "dept:sales", "emp-ana")
    set_owner(store, "dept-sales", "emp-bo")


def test_merging_two_owned_departments_keeps_the_kept_owner_and_undo_restores_the_other(store):
    two_owned_departments(store)
    before = owners(store)
    assert [(d, e) for d, e, _ in before] == [("dept-sales", "emp-bo"), ("dept:sales", "emp-ana")]
    done = merge_nodes(store, "dept:sales", ["dept-sales"])
    assert owners(store) == [["dept:sales", "emp-ana", before[1][2]]]
    assert "RESPONSIBLE_FOR" not in done["moved"]
    assert done["owners_not_moved"] == [{"record": "dept-sales", "owner": "emp-bo"}]
    assert done["notes"] == [
        "Department dept-sales's owner emp-bo was not moved: dept:sales keeps its one owner "
        "emp-ana; undoing the merge gives dept-sales back with emp-bo"]
    found = governance(store)
    assert not [c for c in found.shared if c["uid"] == "dept:sales"]
    assert undo_merge(store, done["id"])["restored"] == ["dept-sales"]
    assert owners(store) == before


def test_a_kept_department_without_an_owner_takes_the_dropped_one(store):
    load(store, [CORPUS / "orders.drawio", CORPUS / "erp" / "erp.yaml"])
    store.upsert_nodes("Employee", [{"uid": "emp-bo", "name": "Bo Berg"}])
    set_owner(store, "dept-sales", "emp-bo")
    done = merge_nodes(store, "dept:sales", ["dept-sales"])
    assert done["moved"]["RESPONSIBLE_FOR"] == 1 and done["notes"] == []
    assert [(d, e) for d, e, _ in owners(store)] == [("dept:sales", "emp-bo")]


def test_the_cli_says_which_owner_was_not_moved(store, store_url):
    two_owned_departments(store)
    done = CliRunner().invoke(app, ["--db", store_url, "merge",
                                    "dept:sales", "dept-sales"])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "dept-sales's owner emp-bo was not moved: dept:sales keeps its one owner emp-ana" \
        in said
    merge_id = json.loads(CliRunner().invoke(app, ["--db", store_url,
                                                   "merge", "list", "--json"]).output)[0]["id"]
    assert CliRunner().invoke(app, ["--db", store_url, "merge", "undo",
                                    merge_id]).exit_code == 0
    assert [(d, e) for d, e, _ in owners(store)] == [("dept-sales", "emp-bo"),
                                                     ("dept:sales", "emp-ana")]
