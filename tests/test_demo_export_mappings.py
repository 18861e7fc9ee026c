"""The shipped mapping re-imports the demo's own neo4j-csv export through the mapping loader.

``loaders/mappings/demo-export/demo-export.yaml`` is generated from the model by
``tools/gen_mappings.py`` (written by ``tools/gen_docs.py``, whose test fails when it is
stale). The demo store is exported with the project's own exporter and loaded into an empty
store with ``erm_graph.load(..., mapping=...)``: the counts per label and type
and every property of every node and relationship must come back, and a second load must
change nothing. Only what the loader owns may differ: ``source`` (its own provenance) and the
store's timestamps and hash.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from erm_graph import load, model
from erm_graph.interop import export_graph
from erm_graph.model.vocabulary import COMMON_PROPS, Kind

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "loaders" / "mappings" / "demo-export" / "demo-export.yaml"
#: What a load may set differently from the exported store.
OWNED_BY_LOADER = {"source", *model.SYSTEM_PROPS}
#: Columns of the export that are not properties to map.
SPECIAL_COLUMNS = {":LABEL", ":TYPE", "source", *model.SYSTEM_PROPS}

def doc() -> dict:
    return yaml.safe_load(MAPPING.read_text(encoding="utf-8"))


def csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return fh.readline().rstrip("\r\n").split(",")


@pytest.fixture(scope="module")
def export(demo_store, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo-export") / "export"
    verification = export_graph(demo_store, folder, "neo4j-csv")
    assert verification.ok, verification.as_dict()
    return folder


def without_owned(props: dict) -> dict:
    return {k: v for k, v in props.items() if k not in OWNED_BY_LOADER}


def nodes(store, label: str) -> dict[str, dict]:
    rows = store.run(f"MATCH (n:`{model.label(label).name}`) RETURN properties(n)").rows
    return {r[0]["uid"]: r[0] for r in rows}


def relationships(store, rel_type: str) -> Counter:
    rows = store.run(f"MATCH (a)-[r:`{model.relationship(rel_type).name}`]->(b) "
                     "RETURN a.uid, b.uid, properties(r)").rows
    return Counter((a, b, tuple(sorted(without_owned(p).items()))) for a, b, p in rows)


def assert_same_nodes(target, demo_store, labels) -> None:
    for label in labels:
        expected, got = nodes(demo_store, label), nodes(target, label)
        assert sorted(got) == sorted(expected), label
        for uid, props in expected.items():
            assert without_owned(got[uid]) == without_owned(props), f"{label} {uid}"
            assert got[uid]["source"].startswith("mapping:nodes_"), got[uid]["source"]


# -- the generated file --------------------------------------------------------------------------
def test_mapping_covers_every_label_type_and_property_of_the_model():
    mapping = doc()
    tables = {t["label"]: t for t in mapping["tables"]}
    # the app's own bookkeeping (merges) is never loaded
    assert set(tables) == set(model.KEY_LABELS) - set(model.BOOKKEEPING_LABELS)
    for lab in model.LABELS.values():
        if lab.name in model.BOOKKEEPING_LABELS:
            continue
        table = tables[lab.key_label]
        if lab.parent:
            assert table["label_column"]["column"] == ":LABEL", lab.name
        # a list (stage_history) is not mapped: the mapping format has no list type
        lists = {n for n, p in lab.props.items() if p.kind is Kind.STR_LIST}
        declared = {*COMMON_PROPS, *lab.props} - {"uid"} - OWNED_BY_LOADER - lists
        assert set(table["properties"]) == declared, lab.name
    pairs = {(r["type"], r["start"]["label"], r["end"]["label"])
             for r in mapping["relationships"]}
    for rel in model.RELATIONSHIPS.values():
        for start in rel.starts:
            for end in rel.ends:
                key = (rel.name, model.LABELS[start].key_label, model.LABELS[end].key_label)
                # REPORTS_TO joins one label to itself: no table for the pairs it refuses
                assert (key in pairs) is (not rel.same_ends or key[1] == key[2]), key
    for table in mapping["relationships"]:
        rel_props = model.RELATIONSHIPS[table["type"]].props
        assert set(table.get("properties", {})) == {
            n for n, p in rel_props.items() if p.kind is not Kind.STR_LIST}


def test_every_file_and_column_of_the_demo_export_has_a_table(export):
    mapping = doc()
    by_file = {t["file"]: t for t in [*mapping["tables"], *mapping["relationships"]]}
    files = sorted(p.name for p in export.glob("*.csv"))
    assert files and set(files) <= set(by_file), sorted(set(files) - set(by_file))
    for name in files:
        table = by_file[name]
        specs = table.get("properties", {}).values()
        used = {spec["column"] for spec in specs}
        used |= {table[k]["column"] for k in ("key", "start", "end") if k in table}
        optional = {spec["column"] for spec in specs if spec.get("optional")}
        header = set(csv_header(export / name)) - SPECIAL_COLUMNS
        assert header <= used, f"{name}: columns the mapping leaves out: {header - used}"
        assert used - header <= optional, f"{name}: columns missing: {used - header - optional}"


# -- loading -------------------------------------------------------------------------------------
def test_node_files_alone_reimport_and_a_second_load_skips_every_row(store, export,
                                                                    demo_store):
    """Only the node files: each node comes back under its own label (``:LABEL`` Party;Customer
    is a Customer, counted as one), and a second load finds every row unchanged by its
    fingerprint, per label, before typing a cell."""
    files = sorted(export.glob("nodes_*.csv"))
    report = load(store, files, mapping=MAPPING)
    assert report.rejected == []
    expected, _ = demo_store.counts()
    got, _ = store.counts()
    assert got == expected
    own = dict(expected)  # nodes per most specific label: a Customer is not also a Party here
    for lab in model.LABELS.values():
        if lab.parent:
            own[lab.parent] -= expected[lab.name]
    own = {k: v for k, v in own.items() if v}
    assert {k: c.created for k, c in report.labels.items() if c.created} == own
    assert_same_nodes(store, demo_store, list(model.LABELS))
    again = load(store, files, mapping=MAPPING)
    assert again.total("created") == 0 and again.total("updated") == 0
    assert {k: c.unchanged for k, c in again.labels.items() if c.unchanged} == own


@pytest.mark.slow
def test_demo_export_round_trips_through_the_shipped_mapping(store, export, demo_store):
    report = load(store, export, mapping=MAPPING)
    assert report.rejected == []
    expected_labels, expected_types = demo_store.counts()
    got_labels, got_types = store.counts()
    assert got_labels == expected_labels
    assert got_types == expected_types
    assert_same_nodes(store, demo_store, list(model.LABELS))
    for rel_type in model.RELATIONSHIPS:
        assert relationships(store, rel_type) == relationships(demo_store, rel_type), rel_type
    again = load(store, export, mapping=MAPPING)
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.total("unchanged") == (sum(expected_labels[k] for k in model.KEY_LABELS)
                                        + sum(expected_types.values()))
