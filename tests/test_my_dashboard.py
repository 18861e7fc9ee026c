"""The relationship officer's own dashboard: a tile's ``$me`` bound by the server to the
signed-in user's Employee (erm_graph/auth/me.py), the link an admin sets (`erm users link`),
the open-cases query, and the owner filters of the "my ..." queries. Real embedded engine
(the small demo), a real security file, the web app through its HTTP API."""

from __future__ import annotations

from collections import defaultdict

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth import Users
from erm_graph.auth.me import signed_in_employee
from erm_graph.auth.users import Principal
from erm_graph.cli import app as cli_app
from erm_graph.demo import facts
from erm_graph.errors import ErmError
from erm_graph.query import run_query
from erm_graph.settings import Settings
from erm_graph.web import create_app
from erm_graph.web.dashboard_files import DashboardError, load_dashboard

LOCAL = "http://127.0.0.1"
PASSWORD = "correct horse battery"
BOARD = "relationship-officer"


def owners_of_customers_at_risk(store) -> dict[str, set[str]]:
    """Employee uid -> the customers at risk (risk >= 0.3) they manage, read from the
    unfiltered query and the MANAGES relationships, apart from the owner filter under test."""
    at_risk = {r["uid"] for r in run_query(store, "at-risk-customers",
                                           {"min_risk": 0.3, "limit": 100_000}).records()}
    mine: dict[str, set[str]] = defaultdict(set)
    for employee, customer in store.run("MATCH (e:Employee)-[:MANAGES]->(c:Customer) "
                                        "RETURN e.uid, c.uid").rows:
        if customer in at_risk:
            mine[employee].add(customer)
    return mine


@pytest.fixture(scope="module")
def officers(demo_store) -> tuple[str, str]:
    """The two employees with the most customers at risk: two officers with rows to see."""
    ranked = sorted(owners_of_customers_at_risk(demo_store).items(),
                    key=lambda kv: (-len(kv[1]), kv[0]))
    assert len(ranked) >= 2 and ranked[1][1], "the demo has two officers with customers at risk"
    return ranked[0][0], ranked[1][0]


@pytest.fixture(scope="module")
def env(demo_store, officers, tmp_path_factory):
    path = tmp_path_factory.mktemp("me") / "users.db"
    users = Users.open(path)
    tokens = {}
    email = demo_store.run("MATCH (e:Employee {uid: $e}) RETURN e.email",
                           {"e": facts.KEY_PERSON.employee}).rows[0][0]
    for name, role, party in [("root", "admin", None),
                              ("ana", "officer", None), ("ben", "officer", None),
                              ("nolink", "officer", None),
                              # a partner named as an employee's e-mail is still nobody's "me"
                              (email, "partner", facts.KEY_PERSON.customer)]:
        users.add(name, role, password=PASSWORD, party=party)
        tokens[name] = users.new_token(name)
    users.link_employee("ana", officers[0])
    users.link_employee("ben", officers[1])
    settings = Settings.from_env(users_db=path, web_host="0.0.0.0", query_timeout=20)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as client:
        yield {"client": client, "tokens": tokens, "users": users, "partner": email}
    users.close()


def get(env, user: str, path: str, **params):
    return env["client"].get(path, params=params,
                             headers={"authorization": f"Bearer {env['tokens'][user]}"})


def tiles(env, user: str) -> dict[str, dict]:
    body = get(env, user, f"/api/dashboards/{BOARD}").json()
    return {t["query"]: t for t in body["tiles"]} | {"": body}


def run_tile(env, user: str, tile: dict) -> list[dict]:
    answer = get(env, user, f"/api/queries/{tile['query']}", graph="false", **tile["params"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return [dict(zip(body["columns"], row, strict=True)) for row in body["rows"]]


def test_each_officer_s_tiles_are_bound_to_their_own_employee(env, demo_store, officers):
    expected = owners_of_customers_at_risk(demo_store)
    for user, employee in zip(("ana", "ben"), officers, strict=True):
        mine = tiles(env, user)
        assert mine[""]["me"]["uid"] == employee
        for query in ("at-risk-customers", "open-cases", "unowned-components"):
            assert mine[query]["params"]["owner"] == employee and "unlinked" not in mine[query]
        # the tile's limit (15) may cut the list: the rows are the first of this officer's
        shown = {r["uid"] for r in run_tile(env, user, mine["at-risk-customers"])}
        assert shown and shown <= expected[employee]
        assert len(shown) == min(15, len(expected[employee]))
        # open cases: every row is one of this officer's parties' or assigned to them
        for row in run_tile(env, user, mine["open-cases"]):
            managers = {u for (u,) in demo_store.run(
                "MATCH (e:Employee)-[:MANAGES]->(:Party {uid: $p}) RETURN e.uid",
                {"p": row["customer_uid"]}).rows}
            handlers = {u for (u,) in demo_store.run(
                "MATCH (:Case {uid: $c})-[:ASSIGNED_TO]->(a) RETURN a.uid",
                {"c": row["uid"]}).rows}
            assert employee in managers | handlers, row
    # and the two see different customers
    a = {r["uid"] for r in run_tile(env, "ana", tiles(env, "ana")["at-risk-customers"])}
    b = {r["uid"] for r in run_tile(env, "ben", tiles(env, "ben")["at-risk-customers"])}
    assert not a & b


def test_a_user_with_no_employee_gets_no_one_s_rows_and_is_told_why(env):
    mine = tiles(env, "nolink")
    assert mine[""]["me"] is None
    for query in ("at-risk-customers", "open-cases", "unowned-components"):
        assert "owner" not in mine[query]["params"]
        assert "erm users link nolink EMPLOYEE_UID" in mine[query]["unlinked"]
    assert "unlinked" not in mine["key-person-risk"]  # not a "my" tile: runs as before
    page = get(env, "nolink", f"/dashboard/{BOARD}")
    assert page.status_code == 200 and "linked to no employee" in page.text


def test_a_partner_is_never_anyone_s_me(env, demo_store):
    partner = env["partner"]
    # named as an employee's e-mail, which makes a staff user that employee: not a partner
    assert signed_in_employee(demo_store, Principal(partner, "officer")) is not None
    assert signed_in_employee(demo_store, Principal(partner, "partner", "x")) is None
    assert signed_in_employee(
        demo_store, Principal(partner, "partner", "x", employee="emp-0001")) is None
    with pytest.raises(ErmError, match="partner"):
        env["users"].link_employee(partner, "emp-0001")
    mine = tiles(env, partner)
    assert mine[""]["me"] is None
    assert all("owner" not in t["params"] for q, t in mine.items() if q)
    # nor can it ask for an officer's rows by naming them itself: the queries are not its
    for query in ("at-risk-customers", "open-cases"):
        answer = get(env, partner, f"/api/queries/{query}", owner=facts.KEY_PERSON.employee)
        assert answer.status_code == 403


def test_links_are_kept_listed_and_audited_and_a_link_to_a_gone_employee_is_none(
        demo_store, tmp_path):
    users = Users.open(tmp_path / "users.db")
    users.add("cleo", "officer", password=PASSWORD)
    users.link_employee("cleo", "emp-0001")
    assert users.get("cleo").employee == "emp-0001"
    assert {r["name"]: r["employee"] for r in users.listing()}["cleo"] == "emp-0001"
    assert signed_in_employee(demo_store, users.get("cleo"))["uid"] == "emp-0001"
    users.link_employee("cleo", None)
    assert users.get("cleo").employee is None
    actions = [r[0] for r in users.conn.execute("SELECT action FROM audit WHERE target = 'cleo'")]
    assert actions.count("user.link") == 2
    assert signed_in_employee(demo_store, Principal("x", "officer", employee="emp-nobody")) is None
    with pytest.raises(ErmError, match="no user 'dan'"):
        users.link_employee("dan", "emp-0001")
    users.close()


def test_erm_users_link_checks_the_employee(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("ERM_USERS_DB", str(tmp_path / "users.db"))
    users = Users.open(tmp_path / "users.db")
    users.add("dora", "officer", password=PASSWORD)
    users.close()
    runner = CliRunner()
    db = f"embedded:{demo_store.location}"
    done = runner.invoke(cli_app, ["--db", db, "users", "link", "dora", "emp-0002"])
    assert done.exit_code == 0, done.output
    assert "Linked dora to employee emp-0002" in done.output
    wrong = runner.invoke(cli_app, ["--db", db, "users", "link", "dora",
                                    facts.KEY_PERSON.customer])
    assert wrong.exit_code != 0 and "not an Employee" in wrong.output
    listed = runner.invoke(cli_app, ["--db", db, "users", "list"])
    assert "emp-0002" in listed.output
    gone = runner.invoke(cli_app, ["--db", db, "users", "link", "dora", "--unlink"])
    assert gone.exit_code == 0 and "linked to no employee" in gone.output


def test_me_fits_a_string_parameter_only(tmp_path):
    (tmp_path / "mine.yaml").write_text("title: Mine\ntiles:\n  - query: open-cases\n"
                                        "    params: {limit: $me}\n")
    with pytest.raises(DashboardError, match=r"tiles\[0\].*'limit'.*string parameter only"):
        load_dashboard("mine", tmp_path)
    (tmp_path / "mine.yaml").write_text("title: Mine\ntiles:\n  - query: open-cases\n"
                                        "    params: {owner: $me, limit: 5}\n")
    tile = load_dashboard("mine", tmp_path).tiles[0]
    assert tile.mine == ("owner",)
    assert tile.for_user("emp-0003", "x")["params"] == {"owner": "emp-0003", "limit": "5"}


def test_open_cases_ages_and_targets(demo_store):
    rows = run_query(demo_store, "open-cases", {"limit": 100_000}).records()
    statuses = dict(demo_store.run("MATCH (x:Case) RETURN x.uid, x.status").rows)
    open_ = {u for u, s in statuses.items() if s in ("open", "in_progress")}
    assert {r["uid"] for r in rows} == open_
    targets = {1: 2, 2: 5, 3: 10, 4: 20, None: 20}
    for r in rows:
        assert r["target_days"] == targets[r["severity"]]
        assert r["past_target"] == (r["age_days"] > r["target_days"])
        assert r["age_days"] >= 0 and r["customer_uid"]
    # past target first; as_of moves every age by the same days
    flags = [r["past_target"] for r in rows]
    assert flags == sorted(flags, reverse=True)
    later = {r["uid"]: r["age_days"] for r in run_query(
        demo_store, "open-cases", {"limit": 100_000, "as_of": "2030-01-01"}).records()}
    earlier = {r["uid"]: r["age_days"] for r in run_query(
        demo_store, "open-cases", {"limit": 100_000, "as_of": "2029-12-22"}).records()}
    assert all(later[u] - earlier[u] == 10 for u in later)
    late = run_query(demo_store, "open-cases", {"limit": 100_000,
                                                "past_target_only": True}).records()
    assert {r["uid"] for r in late} == {r["uid"] for r in rows if r["past_target"]}


def test_a_security_file_from_before_links_gains_the_column(tmp_path):
    import sqlite3

    path = tmp_path / "old-users.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, party TEXT, "
                "password_hash TEXT NOT NULL, created_at TEXT NOT NULL)")
    old.execute("INSERT INTO users VALUES ('olga', 'officer', NULL, 'x', '2026-01-01')")
    old.commit()
    old.close()
    users = Users.open(path)
    assert users.get("olga") == Principal("olga", "officer")
    users.link_employee("olga", "emp-0009")
    assert users.get("olga").employee == "emp-0009"
    users.close()
