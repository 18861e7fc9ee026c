"""Exactly one responsible person per component (issue 20 item 8).

Real corpus files are loaded (a YAML map and a folder of tables), then owners are set, cleared,
replaced by loads and checked by the governance view, through the Python API, the CLI and the
web app, on the embedded engine. A test that needs an empty library gets one (the shared
engine emptied per test); the web app's role checks share one library for the module.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth import Users, audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.cli import app as cli
from erm_graph.errors import ErmError, ValidationError
from erm_graph.ingest.batch import GraphBatch
from erm_graph.ingest.component_owners import clear_owner, set_owner
from erm_graph.ingest.load import load
from erm_graph.ingest.writer import write_batch
from erm_graph.query.explore import NotFound
from erm_graph.query.governance import governance
from erm_graph.query.maps import component_owners
from erm_graph.query.subgraph import GNode
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"
ONBOARDING = CORPUS / "onboarding.yaml"
TABLE = CORPUS / "table"
#: the corpus's components: onboarding.yaml and the table folder
CHECK, OPEN = "onboarding/onboarding/check", "onboarding/onboarding/open"
COMPLAINTS, TRIAGE = "table/complaints", "table/complaints/triage"
#: who owns what after loading both (the files say so)
LOADED = {("Map", "onboarding/onboarding"): ["emp-cro"],
          ("Process", "onboarding/onboarding"): ["emp-cro"],
          ("Step", OPEN): ["emp-ann"], ("Process", COMPLAINTS): ["emp-care"],
          ("Step", TRIAGE): ["emp-care"]}
COMPONENTS = "n:Map OR n:Process OR n:Step OR n:Document OR n:Department"


def owners(store, uid: str, label: str = "Step") -> list[str]:
    return [e for (e,) in store.run(f"MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(:{label} "
                                    f"{{uid: $uid}}) RETURN e.uid ORDER BY e.uid",
                                    {"uid": uid}).rows]


def all_owners(store) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for label, uid, e in store.run(
            f"MATCH (e:Employee)-[:RESPONSIBLE_FOR]->(n) WHERE {COMPONENTS} "
            f"RETURN [l IN labels(n) WHERE l IN ['Map', 'Process', 'Step', 'Document', "
            f"'Department']][0], n.uid, e.uid ORDER BY e.uid").rows:
        found.setdefault((label, uid), []).append(e)
    return found


def trail(store, action: str) -> list[dict]:
    conn = connect(users_db_path(store))
    try:
        return audit.events(conn, action=action)
    finally:
        conn.close()


@pytest.fixture
def library(store):
    load(store, [ONBOARDING, TABLE])
    assert all_owners(store) == LOADED
    return store


# -- the Python API ----------------------------------------------------------------------------
def test_setting_an_owner_twice_leaves_one_and_the_trail_says_before_and_after(library):
    first = set_owner(library, CHECK, "emp-ann")
    second = set_owner(library, CHECK, "emp-cro")
    assert owners(library, CHECK) == ["emp-cro"]
    assert [o["uid"] for o in first.before] == [] and first.after == "emp-ann"
    assert [o["uid"] for o in second.before] == ["emp-ann"] and second.after == "emp-cro"
    events = trail(library, "owner.set")[:2]  # newest first
    assert [(e["target"], e["outcome"], e["detail"]["before"], e["detail"]["after"])
            for e in events] == [(CHECK, "ok", ["emp-ann"], "emp-cro"),
                                 (CHECK, "ok", [], "emp-ann")]
    assert events[0]["detail"]["label"] == "Step"
    # a loaded owner is replaced too, and the one set by hand says when and by whom
    set_owner(library, OPEN, "emp-care")
    assert owners(library, OPEN) == ["emp-care"]
    (props,) = library.run("MATCH (:Employee)-[r:RESPONSIBLE_FOR]->(:Step {uid: $uid}) "
                           "RETURN properties(r)", {"uid": OPEN}).rows[0]
    assert props["set_at"] and props["set_by"].startswith("os:")


def test_clearing_leaves_the_component_unowned(library):
    change = clear_owner(library, TRIAGE)
    assert owners(library, TRIAGE) == [] and [o["uid"] for o in change.before] == ["emp-care"]
    assert TRIAGE in {r["uid"] for r in governance(library).unowned}
    event = trail(library, "owner.clear")[0]
    assert (event["target"], event["detail"]["before"], event["detail"]["after"]) == \
        (TRIAGE, ["emp-care"], None)


def test_both_ends_are_checked_by_the_model(library):
    before = all_owners(library)
    party = library.run("MATCH (p:Party) RETURN p.uid LIMIT 1").rows[0][0]
    with pytest.raises(ErmError, match="which has no owner"):
        set_owner(library, party, "emp-ann")  # a Customer is not a component
    with pytest.raises(ErmError, match="not an Employee"):
        set_owner(library, CHECK, "dept:sales")
    with pytest.raises(NotFound):
        set_owner(library, CHECK, "emp-nobody")
    with pytest.raises(NotFound):
        set_owner(library, "no/such/step", "emp-ann")
    # the map and the process it depicts share a uid: say which
    with pytest.raises(ErmError, match="names a Map and a Process; say which by its label too"):
        set_owner(library, "onboarding/onboarding", "emp-ann")
    with pytest.raises(ErmError, match="'Contract' is not a component label"):
        set_owner(library, CHECK, "emp-ann", label="Contract")
    library.upsert_nodes("Employee", [{"uid": "emp-care", "name": "Carla Care",
                                       "left_on": "2020-01-31"}])
    with pytest.raises(ErmError, match="left on 2020-01-31"):
        set_owner(library, CHECK, "emp-care")
    assert all_owners(library) == before
    assert trail(library, "owner.set") == []  # refused before the write began
    set_owner(library, "onboarding/onboarding", "emp-ann", label="Process")
    assert owners(library, "onboarding/onboarding", "Process") == ["emp-ann"]
    assert owners(library, "onboarding/onboarding", "Map") == ["emp-cro"]


# -- the governance view -----------------------------------------------------------------------
def test_governance_lists_each_kind_exactly(library):
    # a library damaged before the rule: a second owner written past it, straight to the store
    library.upsert_relationships("RESPONSIBLE_FOR", "Employee", "Process",
                                 [{"start": "emp-ann", "end": COMPLAINTS}])
    library.upsert_nodes("Employee", [{"uid": "emp-care", "name": "Carla Care",
                                       "left_on": "2024-06-30"}])
    found = governance(library, on="2026-01-01")
    every = {(label, uid) for label, uid in library.run(
        f"MATCH (n) WHERE {COMPONENTS} RETURN [l IN labels(n) WHERE l IN ['Map', 'Process', "
        f"'Step', 'Document', 'Department']][0], n.uid").rows}
    assert {(r["label"], r["uid"]) for r in found.unowned} == {
        (label, uid) for label, uid in every if (label, uid) not in LOADED}
    assert len(found.unowned) == len(every) - len(LOADED) == 17
    assert [(r["label"], r["uid"], [o["uid"] for o in r["owners"]]) for r in found.shared] == \
        [("Process", COMPLAINTS, ["emp-ann", "emp-care"])]
    assert [(r["label"], r["uid"]) for r in found.departed] == \
        [("Process", COMPLAINTS), ("Step", TRIAGE)]
    assert found.departed[1]["owners"] == [{"uid": "emp-care", "name": "Carla Care",
                                            "left_on": "2024-06-30"}]
    assert found.totals == {"unowned": 17, "shared": 1, "departed": 2}
    # the map shows both owners on the process
    assert component_owners(library, [GNode(COMPLAINTS, ["Process"])]) == \
        {COMPLAINTS: "Ann Archer + Carla Care"}
    # before the leaving date the employee has not left
    assert governance(library, on="2024-06-29").departed == []
    with pytest.raises(ErmError, match="YYYY-MM-DD"):
        governance(library, on="30/06/2024")
    # setting the owner mends both
    set_owner(library, COMPLAINTS, "emp-cro", label="Process")
    set_owner(library, TRIAGE, "emp-ann")
    after = governance(library, on="2026-01-01")
    assert (after.shared, after.departed) == ([], [])


def test_the_cli_sets_clears_and_checks(library, tmp_path):
    """`erm owner ...` on the same library, in process (the store fixture's server stays up)."""
    runner = CliRunner()
    db = ["--db", f"embedded:{library.location}"] if library.engine == "embedded" else []

    def erm(*args: str, code: int = 0) -> str:
        done = runner.invoke(cli, [*db, "owner", *args])
        assert done.exit_code == code, done.output
        return done.output

    assert "Step onboarding/onboarding/check: owner nobody -> emp-ann" in erm(
        "set", CHECK, "emp-ann")
    assert "owner emp-ann -> emp-cro" in erm("set", CHECK, "emp-cro")
    assert owners(library, CHECK) == ["emp-cro"]
    assert "owner emp-cro -> nobody" in erm("clear", CHECK)
    assert "names a Map and a Process" in erm("set", "onboarding/onboarding", "emp-ann", code=1)
    erm("set", "onboarding/onboarding", "emp-ann", "--label", "Map")
    library.upsert_nodes("Employee", [{"uid": "emp-ann", "name": "Ann Archer",
                                       "left_on": "2025-01-01"}])
    data = json.loads(erm("check", "--json", "--on", "2026-01-01"))
    assert {r["uid"] for r in data["departed"]} == {"onboarding/onboarding", OPEN}
    assert CHECK in {r["uid"] for r in data["unowned"]}
    text = erm("check", "--strict", code=2)
    assert "Owner has left (2)" in text and "No owner" in text
    assert "left on 2025-01-01" in erm("set", CHECK, "emp-ann", code=1)


# -- loads follow the same rule ----------------------------------------------------------------
def changed_owner(tmp_path: Path, owner: str) -> Path:
    """onboarding.yaml with another owner of its step `open` (the same file name: a revision)."""
    path = tmp_path / "onboarding.yaml"
    path.write_text(ONBOARDING.read_text().replace("    owner: emp-ann", f"    owner: {owner}"))
    return path


def test_a_load_replaces_a_loaded_owner_and_keeps_one_set_by_hand(library, tmp_path):
    revised = changed_owner(tmp_path, "emp-cro")
    planned = load(library, revised, dry_run=True)
    assert owners(library, OPEN) == ["emp-ann"]  # a dry run writes nothing ...
    replaced = f"Step '{OPEN}': owner emp-ann replaced by emp-cro"
    assert any(replaced in note for note in planned.notes)  # ... and says what would change
    report = load(library, revised)
    assert owners(library, OPEN) == ["emp-cro"]
    assert any(replaced in note for note in report.notes)
    # set by hand, then the file (naming another) is loaded again: the hand's choice stays
    set_owner(library, OPEN, "emp-care")
    again = load(library, revised)
    assert owners(library, OPEN) == ["emp-care"]
    kept = [n for n in again.notes if OPEN in n]
    assert len(kept) == 1 and "keeps its owner emp-care" in kept[0]
    assert f"erm owner set {OPEN} emp-cro" in kept[0]
    assert all_owners(library)[("Step", OPEN)] == ["emp-care"]


def two_owner_tables(tmp_path: Path) -> Path:
    """The corpus's tables with a second owner for the step `triage`."""
    folder = tmp_path / "table"
    folder.mkdir()
    for csv in TABLE.iterdir():
        (folder / csv.name).write_text(csv.read_text())
    with (folder / "owners.csv").open("a") as f:
        f.write("emp-ann,Ann Archer,step,complaints,triage\n")
    return folder


def test_a_load_that_gives_one_component_two_owners_is_refused(store, tmp_path):
    folder = two_owner_tables(tmp_path)
    with pytest.raises(ValidationError, match="one owner per component.*emp-care"):
        load(store, folder)
    assert store.run("MATCH (n) RETURN count(n)").rows[0][0] == 0  # nothing written


def test_skipping_errors_writes_the_first_owner_and_reports_the_second(store, tmp_path):
    folder = two_owner_tables(tmp_path)
    report = load(store, folder, on_error="skip")
    assert owners(store, TRIAGE) == ["emp-care"]
    assert [(p.where, p.got) for p in report.rejected] == [("table:table#owners.csv:4",
                                                            "emp-ann")]


def test_a_batch_written_without_the_loads_checks_keeps_the_rule(store):
    """The writer checks again what the load's checks took out (the demo and other callers
    of write_batch skip them)."""
    batch = GraphBatch()
    batch.add_node("Step", {"uid": "s1", "name": "Intake"})
    for uid, name in (("e1", "Ann"), ("e2", "Bo")):
        batch.add_node("Employee", {"uid": uid, "name": name})
        batch.add_relationship("RESPONSIBLE_FOR", "Employee", uid, "Step", "s1")
    with pytest.raises(ValidationError, match="one owner per component"):
        write_batch(store, batch, check=False)
    assert store.run("MATCH (n) RETURN count(n)").rows[0][0] == 0


# -- the web app -------------------------------------------------------------------------------
ROLES = ("admin", "editor", "analyst", "viewer", "partner")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """One library and app for the module's web tests, a token per role."""
    folder = tmp_path_factory.mktemp("owners-web")
    store = open_store(f"embedded:{folder / 'db'}")
    load(store, [ONBOARDING, TABLE])
    party = store.run("MATCH (p:Party) RETURN p.uid LIMIT 1").rows[0][0]
    users = Users.open(folder / "users.db")
    tokens = {}
    for role in ROLES:
        users.add(role, role, password="correct horse battery",
                  party=party if role == "partner" else None)
        tokens[role] = {"authorization": f"Bearer {users.new_token(role)}"}
    users.close()
    app = create_app(Settings.from_env(users_db=folder / "users.db", web_host="127.0.0.1",
                                       query_timeout=10), store=store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, store, tokens
    store.close()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_at_the_owner_routes(web, role):
    client, store, tokens = web
    may_write = role in ("admin", "editor")
    set_ = client.post(f"/api/nodes/{TRIAGE}/owner", json={"employee": "emp-ann"},
                       headers=tokens[role])
    cleared = client.delete(f"/api/nodes/{CHECK}/owner", headers=tokens[role])
    if may_write:
        assert set_.status_code == 200, set_.text
        assert set_.json()["after"] == "emp-ann" and owners(store, TRIAGE) == ["emp-ann"]
        assert cleared.status_code == 200 and owners(store, CHECK) == []
    else:
        assert (set_.status_code, cleared.status_code) == (403, 403), (set_.text, cleared.text)
        assert set_.json()["error"]["kind"] == "forbidden"
    read = client.get("/api/governance", headers=tokens[role])
    page = client.get("/governance", headers=tokens[role])
    if role == "partner":  # who has left is ours to know
        assert (read.status_code, page.status_code) == (403, 403)
    else:
        assert read.status_code == 200 and CHECK in {r["uid"] for r in read.json()["unowned"]}
        assert page.status_code == 200 and 'id="unowned"' in page.text
        assert ('class="fix"' in page.text) == may_write  # the owner forms: editors only
        home = client.get("/", headers=tokens[role]).text
        assert ('href="/governance"' in home) == (role != "partner")


def test_the_web_refuses_a_bad_owner_with_its_reason(web):
    client, store, tokens = web
    before = owners(store, OPEN)
    refused = client.post(f"/api/nodes/{OPEN}/owner", json={"employee": "dept:sales"},
                          headers=tokens["editor"])
    assert refused.status_code == 400 and "not an Employee" in refused.json()["error"]["message"]
    missing = client.post("/api/nodes/no/such/owner", json={"employee": "emp-ann"},
                          headers=tokens["editor"])
    assert missing.status_code == 404
    shared = client.post("/api/nodes/onboarding/onboarding/owner",
                         json={"employee": "emp-ann", "label": "Map"}, headers=tokens["editor"])
    assert shared.status_code == 200 and owners(store, "onboarding/onboarding", "Map") == \
        ["emp-ann"]
    assert owners(store, OPEN) == before
    detail = client.get(f"/api/nodes/{OPEN}", headers=tokens["viewer"]).json()
    assert detail["component"] is True and [o["uid"] for o in detail["owners"]] == before
    assert detail["owners"][0]["left_on"] is None  # the panel flags an owner who has left
