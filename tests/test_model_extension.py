"""The enterprise's own vocabulary (issue 13 item 14): a model extension file adds properties,
choice values, labels and relationship types; loaders, the web form, the generated reference
and the Neo4j linter use it, and it is kept with the data across processes.

Real files, the real embedded engine, real CLI processes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph import load, model
from erm_graph.cli import app
from erm_graph.errors import ErmError, ValidationError
from erm_graph.model.extension import MAX_BYTES, RESERVED_LABELS
from erm_graph.model.reference import data_model_tables
from erm_graph.settings import Settings
from erm_graph.viz.styles import legend

EXTENSION = """\
# the enterprise's own vocabulary
version: 1
description: Acme's sales vocabulary
properties:
  Contact:
    mobile: {type: text, help: mobile phone number}
  Customer:
    credit_limit: {type: money, minimum: 0, help: the most the customer may owe us}
  Party:
    duns: text
choices:
  Interaction:
    kind: [webinar]
  RELATES_TO:
    kind: [resells]
labels:
  Warehouse:
    help: a place where we keep stock
    properties:
      region: {type: choice, values: [north, south], required: true}
      capacity: {type: int, minimum: 0}
relationships:
  STORES:
    help: a warehouse keeps a product
    from: [Warehouse]
    to: [Product]
    properties:
      quantity: {type: int, minimum: 0}
"""

CUSTOMERS = "id,name,credit,duns\nc1,Acme,25000.50,123\nc2,Initech,,\n"
CONTACTS = "id,name,mobile,customer\nk1,Ann,+44 7700 900001,c1\n"
INTERACTIONS = "id,kind,at,customer\ni1,webinar,2026-03-01T10:00:00,c1\n"
PRODUCTS = "id,name,kind\np1,Widget,product\np2,Gadget,product\n"
WAREHOUSES = "id,name,region,capacity,stocks,quantity\nw1,North hub,north,500,p1,40\n"
MAPPING = """\
tables:
  - file: customers.csv
    label: Customer
    key: {column: id}
    properties:
      name: {column: name}
      credit_limit: {column: credit, type: money}
      duns: {column: duns}
  - file: contacts.csv
    label: Contact
    key: {column: id}
    properties:
      name: {column: name}
      mobile: {column: mobile}
    relationships:
      - {type: WORKS_FOR, label: Party, column: customer}
  - file: interactions.csv
    label: Interaction
    key: {column: id}
    properties:
      kind: {column: kind}
      at: {column: at, type: datetime, format: "%Y-%m-%dT%H:%M:%S"}
    relationships:
      - {type: HAD, label: Party, column: customer, direction: in}
  - file: products.csv
    label: Product
    key: {column: id}
    properties:
      name: {column: name}
      kind: {column: kind}
  - file: warehouses.csv
    label: Warehouse
    key: {column: id}
    properties:
      name: {column: name}
      region: {column: region}
      capacity: {column: capacity, type: int}
    relationships:
      - type: STORES
        label: Product
        column: stocks
        properties:
          quantity: {column: quantity, type: int}
"""


@pytest.fixture
def extension_file(tmp_path) -> Path:
    path = tmp_path / "acme-model.yaml"
    path.write_text(EXTENSION)
    return path


@pytest.fixture
def acme(extension_file) -> model.Vocabulary:
    return model.extended(model.read_extension(extension_file))


def write_sales_export(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in (("customers", CUSTOMERS), ("contacts", CONTACTS),
                       ("interactions", INTERACTIONS), ("products", PRODUCTS),
                       ("warehouses", WAREHOUSES)):
        (folder / f"{name}.csv").write_text(text)
    mapping = folder / "sales.yaml"
    mapping.write_text(MAPPING)
    return mapping


def refused(text: str, tmp_path: Path) -> str:
    path = tmp_path / "bad-model.yaml"
    path.write_text(text)
    with pytest.raises(ErmError) as caught:
        model.extended(model.read_extension(path))
    return str(caught.value)


# -- the vocabulary ------------------------------------------------------------------------------
def test_the_extension_adds_to_the_built_in_vocabulary(acme):
    assert acme.labels["Customer"].props["credit_limit"].kind is model.Kind.FLOAT
    assert "duns" in acme.labels["Supplier"].props  # on Party: every party kind
    assert "webinar" in acme.labels["Interaction"].props["kind"].choices
    assert acme.relationships["RELATES_TO"].props["kind"].choices[-1] == "resells"
    assert acme.relationships["STORES"].starts == ("Warehouse",)
    assert "Warehouse" in acme.key_labels
    assert acme.problems() == [] and model.built_in().problems() == []
    # the built-in vocabulary is untouched
    assert "credit_limit" not in model.built_in().labels["Customer"].props
    assert "webinar" not in model.vocabulary.LABELS["Interaction"].props["kind"].choices


def test_known_properties_include_the_extension(acme):
    assert "credit_limit" not in model.known_properties("Customer")
    with model.using(acme):
        assert {"credit_limit", "duns", "name", "uid", "tier"} <= model.known_properties(
            "Customer")
        assert {"mobile", "phone"} <= model.known_properties("Contact")
        assert {"region", "capacity", "name"} <= model.known_properties("Warehouse")
        assert "Warehouse" in model.LABELS and "STORES" in model.RELATIONSHIPS
        assert "Warehouse" in model.KEY_LABELS
        assert model.known_properties("STORES") == {"quantity"}
        assert legend()[-1]["label"] == "Warehouse"  # the explorer's legend
        assert "condition" in model.known_properties("NEXT")
    assert "Warehouse" not in model.LABELS
    assert model.known_properties("Nothing") == set()


def test_the_store_labels_an_extension_may_not_take_are_the_stores_own():
    from erm_graph.ingest.journal import PENDING_LOAD
    from erm_graph.store.load_lock import LOAD_LOCK

    assert set(RESERVED_LABELS) == {PENDING_LOAD, LOAD_LOCK}


# -- hostile and mistaken files ------------------------------------------------------------------
def test_a_built_in_cannot_be_redefined(tmp_path):
    message = refused("""\
labels:
  Customer: {help: our own kind of customer}
  CONTACT: {help: shouting}
relationships:
  WORKS_FOR: {help: again, from: [Contact], to: [Party]}
properties:
  Contact:
    phone: text
  Customer:
    industry: int
choices:
  Interaction:
    kind: [call]
  Customer:
    tier: [gold]
""", tmp_path)
    assert "bad-model.yaml line 2: field 'labels/Customer'" in message
    assert "Customer is built in" in message
    assert "line 3: field 'labels/CONTACT'" in message and "Contact is built in" in message
    assert "line 5: field 'relationships/WORKS_FOR'" in message
    assert "line 8: field 'properties/Contact/phone'" in message
    assert "does not redefine a built-in one" in message
    assert "line 10: field 'properties/Customer/industry'" in message
    assert "line 13: field 'choices/Interaction/kind'" in message and "'call'" in message
    assert "line 15: field 'choices/Customer/tier'" in message
    assert "a built-in choice property of Customer" in message


def test_names_that_are_not_identifiers_are_refused(tmp_path):
    message = refused("""\
labels:
  "Foo`) DETACH DELETE": {help: an injection}
relationships:
  "KNOWS]->() DELETE x//": {help: another, from: [Party], to: [Party]}
properties:
  Contact:
    "phone` = 1 //": text
""", tmp_path)
    assert "bad-model.yaml" in message
    assert "Foo`) DETACH DELETE" in message and "CamelCase" in message
    assert "KNOWS]->() DELETE x//" in message
    assert "phone` = 1 //" in message
    for reserved in RESERVED_LABELS:  # the store's own bookkeeping labels
        assert "is built in" in refused(f"labels:\n  {reserved}: {{help: mine}}\n", tmp_path)


def test_unknown_labels_and_misplaced_declarations_are_named(tmp_path):
    message = refused("""\
labels:
  Warehouse:
    help: a place
    properties:
      uid: int
      size: {type: text, minimum: 3}
      kind: {type: choice}
relationships:
  STORES: {help: keeps, from: [Warehous], to: [Product]}
properties:
  Warehouse:
    region: text
  Client:
    vip: bool
""", tmp_path)
    assert "line 5: field 'labels/Warehouse/properties/uid'" in message
    assert "line 6: field 'labels/Warehouse/properties/size/minimum'" in message
    assert "line 7: field 'labels/Warehouse/properties/kind/values'" in message
    assert "line 9: field 'relationships/STORES/from'" in message and "'Warehous'" in message
    assert "line 11: field 'properties/Warehouse'" in message and "new in this file" in message
    assert "line 13: field 'properties/Client'" in message


def test_a_file_that_is_too_large_or_not_yaml_is_refused(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text("labels:\n" + "".join(f"  L{i}: {{help: {'x' * 100}}}\n"
                                         for i in range(MAX_BYTES // 100)))
    with pytest.raises(ErmError, match=r"huge.yaml: field '\(whole file\)': expected at most "
                                       r"256 KB, got '[\d,]+ bytes'"):
        model.read_extension(huge)
    many = tmp_path / "many.yaml"
    many.write_text("labels:\n" + "".join(f"  L{i}: {{help: x}}\n" for i in range(201)))
    with pytest.raises(ValidationError, match="many.yaml.*field 'labels'.*at most 200 entries"):
        model.read_extension(many)
    broken = tmp_path / "broken.yaml"
    broken.write_text("labels: [\n")
    with pytest.raises(ErmError, match=r"broken.yaml.*not valid YAML"):
        model.read_extension(broken)
    assert "the model extension is refused" in refused("labels: {Foo: {}}\n", tmp_path)


# -- loaders -------------------------------------------------------------------------------------
def test_a_mapping_loads_the_extension_properties_labels_and_types(store, tmp_path, acme):
    mapping = write_sales_export(tmp_path / "export")
    with pytest.raises(ValidationError, match="Warehouse"):  # without it: not in the model
        load(store, mapping)
    with model.using(acme):
        report = load(store, mapping)
    assert report.total("created") > 0
    rows = store.run("MATCH (c:Customer) RETURN c.uid, c.credit_limit, c.duns "
                     "ORDER BY c.uid").rows
    assert rows == [["c1", 25000.5, "123"], ["c2", None, None]]
    assert store.run("MATCH (k:Contact)-[:WORKS_FOR]->(:Customer {uid: 'c1'}) "
                     "RETURN k.mobile").rows == [["+44 7700 900001"]]
    assert store.run("MATCH (:Customer {uid: 'c1'})-[:HAD]->(i:Interaction) "
                     "RETURN i.kind").rows == [["webinar"]]
    assert store.run("MATCH (w:Warehouse)-[s:STORES]->(p:Product) "
                     "RETURN w.uid, w.region, w.capacity, s.quantity, p.uid").rows == [
        ["w1", "north", 500, 40, "p1"]]
    # the uid index of the new label is made like a built-in one's
    assert store.run("MATCH (w:Warehouse {uid: 'w1'}) RETURN w.name").rows == [["North hub"]]


def test_the_extension_checks_values_like_the_built_in_model(store, tmp_path, acme):
    mapping = write_sales_export(tmp_path / "export")
    (mapping.parent / "customers.csv").write_text("id,name,credit,duns\nc1,Acme,-5,1\n")
    (mapping.parent / "warehouses.csv").write_text(
        "id,name,region,capacity,stocks,quantity\nw1,Hub,east,1,p1,1\n")
    with model.using(acme), pytest.raises(ValidationError) as caught:
        load(store, mapping)
    message = str(caught.value)
    assert "'credit_limit'" in message and ">= 0" in message
    assert "'region'" in message and "one of north, south" in message
    assert store.run("MATCH (n) RETURN count(n)").rows == [[0]]  # nothing half-written


def test_a_web_upload_is_read_with_the_extension(store, tmp_path, acme):
    """The upload's loader runs in a fresh process: the vocabulary in force goes along."""
    from erm_graph.ingest.worker import read_in_child

    mapping = write_sales_export(tmp_path / "export")
    with pytest.raises(ValidationError, match="Warehouse"):
        read_in_child([mapping], "auto", _options(), time_limit=60)
    with model.using(acme):
        results, _ = read_in_child([mapping], "auto", _options(), time_limit=60)
    stored = {label: rows for result in results for label, rows in result.batch.nodes.items()}
    assert stored["Warehouse"][0]["region"] == "north"
    assert stored["Customer"][0]["credit_limit"] == 25000.5


def _options():
    from erm_graph.ingest.contract import LoadOptions

    return LoadOptions()


# -- the web form --------------------------------------------------------------------------------
def test_the_web_edit_form_takes_extension_properties(store, tmp_path, extension_file):
    from erm_graph.auth import Users
    from erm_graph.web import create_app

    store.upsert_nodes("Customer", [{"uid": "c1", "name": "Acme"}])
    users = Users.open(tmp_path / "users.db")
    users.add("ed", "editor", password="correct horse battery")
    token = users.new_token("ed")
    users.close()
    auth = {"authorization": f"Bearer {token}"}
    settings = Settings.from_env(users_db=tmp_path / "users.db", web_host="127.0.0.1")
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        plain = client.patch("/api/nodes/c1", json={"properties": {"credit_limit": 900.0}},
                             headers=auth)
        assert plain.status_code == 400 and "cannot edit credit_limit" in plain.text
    settings = settings.replace(model_extension=extension_file)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        done = client.patch("/api/nodes/c1", json={"properties": {"credit_limit": 900.0}},
                            headers=auth)
        assert done.status_code == 200, done.text
        bad = client.patch("/api/nodes/c1", json={"properties": {"credit_limit": -1}},
                           headers=auth)
        assert bad.status_code == 400 and "'credit_limit'" in bad.text and ">= 0" in bad.text
    assert store.run("MATCH (c:Customer {uid: 'c1'}) RETURN c.credit_limit").rows == [[900.0]]


# -- the generated reference and the Neo4j linter ------------------------------------------------
def test_the_generated_reference_shows_the_extension(acme):
    built_in = data_model_tables(model.built_in())
    text = data_model_tables(acme)
    assert "Warehouse" not in built_in and "credit_limit" not in built_in
    assert "Extended by the model extension" in text and "Acme's sales vocabulary" in text
    assert "| `Warehouse` |  | `Warehouse` | a place where we keep stock |" in text
    assert "| `STORES` | `Warehouse` | `Product` | `quantity` (integer 0..) |" in text
    assert "| `credit_limit` | number 0.. |" in text
    assert "`webinar`" in text and "`north`, `south`" in text


def test_the_neo4j_linter_knows_the_extension(acme):
    from tests.test_cypher_lint import TOOL, lint

    if not (TOOL / "node_modules").is_dir():
        pytest.skip("needs tools/cypher-lint/node_modules: run `bash tests/setup.sh`")
    statement = [{"file": "stock", "parameters": {"uid": "w1"}, "text":
                  "MATCH (w:Warehouse {uid: $uid})-[s:STORES]->(p:Product) "
                  "MATCH (c:Customer) WHERE c.credit_limit > s.quantity "
                  "RETURN w.region, w.capacity, p.name, c.duns"}]
    unknown = " ".join(p["message"] for p in lint(statement))
    assert "Warehouse" in unknown and "credit_limit" in unknown
    with model.using(acme):
        assert lint(statement) == []


def test_new_labels_get_their_schema_on_neo4j(acme):
    from erm_graph.store.neo4j_store import fulltext_labels, schema_statements

    with model.using(acme):
        statements = schema_statements()
        assert "Warehouse" in fulltext_labels()  # every new label may have a name
    assert ("CREATE CONSTRAINT erm_uid_Warehouse IF NOT EXISTS FOR (n:Warehouse) "
            "REQUIRE n.uid IS UNIQUE") in statements
    assert "Warehouse" not in "".join(schema_statements())


# -- kept with the data --------------------------------------------------------------------------
def erm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`erm` in a process of its own, as a user runs it."""
    return subprocess.run([sys.executable, "-c", "from erm_graph.cli import main; main()",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                          check=False)


def test_the_extension_kept_with_the_data_survives_a_restart(tmp_path, extension_file):
    db = f"embedded:{tmp_path / 'library'}"
    mapping = write_sales_export(tmp_path / "export")
    kept = erm("--db", db, "model", "extend", str(extension_file), cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "labels: Warehouse" in kept.stdout
    assert (tmp_path / "library" / "model-extension.yaml").read_text() == EXTENSION
    extension_file.unlink()  # the copy with the data is what counts now
    shown = erm("--db", db, "model", "show", "--markdown", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "credit_limit" in shown.stdout and "`Warehouse`" in shown.stdout
    loaded = erm("--db", db, "load", str(mapping), cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    counted = erm("--db", db, "cypher", "MATCH (w:Warehouse)-[:STORES]->(p) RETURN p.uid",
                  "--format", "csv", cwd=tmp_path)
    assert counted.stdout.split() == ["p.uid", "p1"], counted.stderr
    # another library keeps its own vocabulary
    other = erm("--db", f"embedded:{tmp_path / 'other'}", "model", "show", cwd=tmp_path)
    assert "Extension: none" in other.stdout and "Warehouse" not in other.stdout


def test_extend_refuses_a_bad_file_and_changes_nothing(tmp_path, extension_file):
    runner = CliRunner()
    db = f"embedded:{tmp_path / 'library'}"
    assert runner.invoke(app, ["--db", db, "model", "extend", str(extension_file)]
                         ).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("labels:\n  Customer: {help: again}\n")
    done = runner.invoke(app, ["--db", db, "model", "extend", str(bad)])
    assert done.exit_code == 1 and "Customer is built in" in " ".join(done.output.split())
    assert (tmp_path / "library" / "model-extension.yaml").read_text() == EXTENSION
    checked = runner.invoke(app, ["model", "check", str(bad)])
    assert checked.exit_code == 1 and "bad.yaml line 2" in " ".join(checked.output.split())
    assert "a valid model extension" in runner.invoke(
        app, ["model", "check", str(extension_file)]).output


def test_a_server_library_names_its_extension_by_the_setting(tmp_path, extension_file,
                                                              monkeypatch):
    runner = CliRunner()
    done = runner.invoke(app, ["--db", "bolt://localhost:7687", "model", "extend",
                               str(extension_file)])
    assert done.exit_code == 1 and "ERM_MODEL_EXTENSION" in done.output
    monkeypatch.setenv("ERM_MODEL_EXTENSION", str(extension_file))
    shown = runner.invoke(app, ["--db", "bolt://localhost:7687", "model", "show"])
    assert shown.exit_code == 0 and "Warehouse +" in shown.output
    monkeypatch.setenv("ERM_MODEL_EXTENSION", str(tmp_path / "missing.yaml"))
    with pytest.raises(ErmError, match="missing.yaml"):
        model.activate(Settings.from_env())


def test_the_documented_example_is_a_valid_extension(tmp_path):
    """docs/model-extension.md's worked example is the file its readers copy."""
    text = (Path(__file__).parent.parent / "docs" / "model-extension.md").read_text()
    example = text.split("## A worked example", 1)[1].split("```yaml\n", 1)[1].split("```")[0]
    path = tmp_path / "acme-model.yaml"
    path.write_text(example)
    vocabulary = model.extended(model.read_extension(path))
    assert {"Warehouse", "STORES"} <= {*vocabulary.labels, *vocabulary.relationships}


def test_a_backup_carries_the_extension_to_the_restored_library(tmp_path, extension_file):
    runner = CliRunner()
    a, b = f"embedded:{tmp_path / 'a'}", f"embedded:{tmp_path / 'b'}"
    mapping = write_sales_export(tmp_path / "export")
    for db, *args in ((a, "model", "extend", str(extension_file)), (a, "load", str(mapping)),
                      (a, "backup", str(tmp_path / "a.erm")),
                      (b, "restore", str(tmp_path / "a.erm"))):
        done = runner.invoke(app, ["--db", db, *args])
        assert done.exit_code == 0, (args, done.output)
    assert (tmp_path / "b" / "model-extension.yaml").read_text() == EXTENSION
    done = runner.invoke(app, ["--db", b, "cypher", "--format", "csv",
                               "MATCH (w:Warehouse)-[s:STORES]->() RETURN w.region, s.quantity"])
    assert done.output.split() == ["w.region,s.quantity", "north,40"], done.output
