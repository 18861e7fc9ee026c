"""Interop round trips on the real engine: export -> import, GraphML, copy, and the loaders."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from erm_graph import load
from erm_graph.cli import app
from erm_graph.errors import ErmError
from erm_graph.ingest import LoadError, LoadOptions, registry
from erm_graph.interop import copy_graph, export_graph, import_graph, tally_store
from erm_graph.store import open_store


@pytest.mark.parametrize("fmt", ["neo4j-csv", "graphml"])
def test_demo_round_trip_is_lossless(demo_store, store, tmp_path, fmt):
    exported = export_graph(demo_store, tmp_path / "out", fmt)
    assert exported.ok, exported.mismatches
    imported = import_graph(store, tmp_path / "out")
    assert imported.ok, (imported.mismatches, imported.problems)
    # independently of the verification: the engines' own counts and the checksums agree
    assert store.counts() == demo_store.counts()
    assert tally_store(store)[0].as_dict() == tally_store(demo_store)[0].as_dict()
    stamps = "MATCH (n:Customer) RETURN n.uid, n.created_at, n.content_hash ORDER BY n.uid"
    assert store.run(stamps).rows == demo_store.run(stamps).rows


def test_copy_between_stores_is_lossless(demo_store, store):
    result = copy_graph(demo_store, store)
    assert result.ok and sum(r.target_count for r in result.rows) > 5000


def test_changed_file_fails_verification_and_nonempty_target_is_refused(demo_store, store,
                                                                         tmp_path):
    export_graph(demo_store, tmp_path / "out")
    path = tmp_path / "out" / "nodes_Product.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # a product that relationships point to is gone
    with pytest.raises(ErmError, match="not in the files"):  # nothing written
        import_graph(store, tmp_path / "out")
    path.write_text("".join(lines).replace("demo:", "edited:", 1))
    result = import_graph(store, tmp_path / "out")
    assert not result.ok and [r.name for r in result.mismatches] == ["Product"]
    with pytest.raises(ErmError, match="not empty"):
        import_graph(store, tmp_path / "out")


def test_cli_export_import_prints_verification_and_exits_nonzero_on_mismatch(tmp_path):
    runner = CliRunner()
    src, dst = f"embedded:{tmp_path / 'a'}", f"embedded:{tmp_path / 'b'}"
    (tmp_path / "m.mmd").write_text("flowchart LR\n  A[Start] --> B{Ok?}\n  B -->|yes| C[Done]\n")
    assert runner.invoke(app, ["--db", src, "load", str(tmp_path / "m.mmd")]).exit_code == 0
    done = runner.invoke(app, ["--db", src, "export", str(tmp_path / "x"), "-f", "graphml"])
    assert done.exit_code == 0, done.output
    assert "Lossless" in done.output and "Step" in done.output
    graph = tmp_path / "x" / "graph.graphml"
    graph.write_text(graph.read_text().replace(">Done<", ">Finished<"))
    done = runner.invoke(app, ["--db", dst, "import", str(tmp_path / "x")])
    assert done.exit_code == 2 and "MISMATCH" in done.output


NODES = """\
personId:ID(People),:LABEL,name,tier:int,since:date,tags:string[],score:float,vip:boolean,x:IGNORE
p1,Party;Customer,Acme,1,2020-01-31,a;b,0.5,true,zzz
p2,Employee,Ann,,,,,,
"""
RELS = """\
:START_ID(People),:END_ID(People),:TYPE,since:IGNORE
p2,p1,MANAGES,
"""


def test_neo4j_csv_folder_loads_typed_values_through_erm_load(store, tmp_path):
    (tmp_path / "n.csv").write_text(NODES)
    (tmp_path / "r.csv").write_text(RELS)
    assert registry.detect(tmp_path, LoadOptions()).format == "neo4j-csv"
    report = load(store, tmp_path)
    assert report.labels["Customer"].created == 1 and report.types["MANAGES"].created == 1
    row = store.run("MATCH (e:Employee {uid:'p2'})-[:MANAGES]->(c:Customer) "
                    "RETURN c.uid, c.personId, c.tier, c.since, c.tags, c.score, c.vip, "
                    "c.source, c.x").rows
    assert row == [["p1", "p1", 1, "2020-01-31", ["a", "b"], 0.5, True, "neo4j-csv:n.csv#2",
                    None]]
    assert load(store, tmp_path).total("unchanged") == 3


def test_neo4j_csv_rejects_unknown_labels_types_and_bad_values_naming_file_row_column(
        store, tmp_path):
    (tmp_path / "n.csv").write_text(NODES.replace("Party;Customer", "Alien").replace(
        "p2,Employee,Ann,,", "p2,Employee,Ann,high,"))
    (tmp_path / "r.csv").write_text(RELS.replace("MANAGES", "LIKES"))
    with pytest.raises(ErmError) as info:
        load(store, tmp_path)
    text = str(info.value)
    assert "neo4j-csv:n.csv#2: field ':LABEL'" in text and "'Alien'" in text
    assert "neo4j-csv:n.csv#3: field 'tier:int': expected an integer" in text
    assert "neo4j-csv:r.csv#2: field ':TYPE'" in text and "'LIKES'" in text
    assert store.counts()[0]["Employee"] == 0
    (tmp_path / "n.csv").write_text("id,name\n1,x\n")
    with pytest.raises(LoadError, match="cannot tell its format"):
        load(store, tmp_path / "n.csv")


def test_graphml_written_by_networkx_loads(store, tmp_path):
    graph = nx.DiGraph()
    graph.add_node("d1", labels=":Department", name="Sales")
    graph.add_node("e1", label="Employee", name="Bo", uid="emp-1")
    graph.add_edge("e1", "d1", label="MEMBER_OF")
    nx.write_graphml(graph, tmp_path / "g.graphml")
    report = load(store, tmp_path / "g.graphml")
    assert report.types["MEMBER_OF"].created == 1
    assert store.run("MATCH (:Employee {uid:'emp-1'})-[:MEMBER_OF]->(d:Department) "
                     "RETURN d.uid, d.name").rows == [["d1", "Sales"]]


def test_hostile_graphml_is_refused(store, tmp_path):
    (tmp_path / "bad.graphml").write_text(
        '<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
        '<node id="&b;"/></graph></graphml>')
    with pytest.raises(LoadError, match="hostile XML"):
        load(store, tmp_path / "bad.graphml")
    assert sum(store.counts()[0].values()) == 0


def test_open_store_of_export_folder_is_not_needed(tmp_path):
    # the exported folder is self-describing: the manifest names format, files and tallies
    s = open_store(f"embedded:{tmp_path / 'db'}")
    try:
        export_graph(s, tmp_path / "empty")
        assert (tmp_path / "empty" / "manifest.json").is_file()
    finally:
        s.close()


def test_every_command_that_writes_the_graph_leaves_an_audit_event(tmp_path):
    """A shared deployment's audit trail names every write, not only loads and edits."""
    runner = CliRunner()
    src, dst = f"embedded:{tmp_path / 'a'}", f"embedded:{tmp_path / 'b'}"
    steps = [["--db", src, "demo", "--size", "300"],
             ["--db", src, "export", str(tmp_path / "x")],
             ["--db", dst, "import", str(tmp_path / "x")],
             ["--db", dst, "reset", "--yes"],
             ["--db", src, "copy", "--to", dst]]
    for args in steps:
        done = runner.invoke(app, args)
        assert done.exit_code == 0, (args, done.output)
    for db, expected in ((src, ["demo"]), (dst, ["copy", "reset", "import"])):
        done = runner.invoke(app, ["--db", db, "audit", "--format", "json"])
        assert done.exit_code == 0, done.output
        events = json.loads(done.output)
        assert [e["action"] for e in events] == expected, events
        assert all(e["outcome"] == "ok" for e in events)
