"""Alerts that open work (issue 14 item 7): watch rules as files, passes that fire each
condition once and clear it, an inbox per user, mail through a real SMTP server (aiosmtpd,
started here) and webhooks to a real HTTP server, on the embedded engine.

A library with components nobody owns comes from a real corpus file; the
``unowned-component`` rule then fires for them, clears when an owner is set and fires again
when the owner is cleared.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth import Users, audit
from erm_graph.auth import alerts as inbox
from erm_graph.auth.db import connect
from erm_graph.cli import app as cli
from erm_graph.demo import facts
from erm_graph.ingest.component_owners import clear_owner, set_owner
from erm_graph.ingest.load import load
from erm_graph.settings import Secret, Settings
from erm_graph.watch import RuleError, load_rules, run_rules
from erm_graph.watch.rules import read_rule
from erm_graph.watch.runner import due
from erm_graph.watch.schedule import start
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"
#: a step of the corpus map that nobody owns until a test says so
CHECK = "onboarding/onboarding/check"
PASSWORD = "correct horse battery"


def rule_file(folder: Path, name: str, **fields) -> Path:
    spec = {"title": "Unowned", "query": "unowned-components", "key": ["label", "uid"],
            "message": "{label} {name} has no owner", "notify": {"roles": ["cro"]}, **fields}
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps(spec))  # JSON is YAML
    return path


@pytest.fixture
def library(store):
    load(store, [CORPUS / "onboarding.yaml"])
    return store


@pytest.fixture
def security(tmp_path):
    conn = connect(tmp_path / "users.db")
    yield conn
    conn.close()


def unowned_rule(tmp_path, **fields):
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    return read_rule(rule_file(folder, "unowned", **fields))


def open_alerts(conn, rule="unowned") -> dict[str, int]:
    return {a["key"]: a["id"] for a in inbox.inbox(conn, "x", "admin")
            if a["rule"] == rule}


# -- firing once, clearing, firing again ------------------------------------------------------
def test_a_condition_fires_once_clears_and_fires_again(library, security, tmp_path):
    rule = unowned_rule(tmp_path)
    unowned = {f"{label}\x1f{uid}" for label, uid in library.run(
        "MATCH (n) WHERE (n:Step OR n:Process OR n:Map OR n:Document OR n:Department) "
        "AND NOT (n)<-[:RESPONSIBLE_FOR]-(:Employee) "
        "RETURN [l IN labels(n) WHERE l IN ['Map', 'Process', 'Step', 'Document', "
        "'Department']][0], n.uid").rows}
    assert f"Step\x1f{CHECK}" in unowned

    (first,) = run_rules(library, [rule], security)
    assert first.error is None and first.conditions == len(unowned) == len(first.fired)
    assert set(open_alerts(security)) == unowned
    (again,) = run_rules(library, [rule], security)
    assert again.fired == [] and again.cleared == 0, "a condition already alerted stays quiet"

    set_owner(library, CHECK, "emp-ann")
    (owned,) = run_rules(library, [rule], security)
    assert owned.fired == [] and owned.cleared == 1
    assert f"Step\x1f{CHECK}" not in open_alerts(security)

    clear_owner(library, CHECK)
    (back,) = run_rules(library, [rule], security)
    assert len(back.fired) == 1
    fired = inbox.alerts(security, back.fired)[0]
    assert fired["key"] == f"Step\x1f{CHECK}" and fired["message"].endswith("has no owner")
    assert fired["row"]["uid"] == CHECK
    every = inbox.inbox(security, "x", "admin", include_cleared=True)
    assert sum(a["key"] == f"Step\x1f{CHECK}" for a in every) == 2, "the old one cleared"
    trail = audit.events(security, action="watch.fire")
    assert [len(e["detail"]["fired"]) for e in reversed(trail)] == [len(unowned), 0, 1]


def test_two_passes_at_once_fire_each_condition_once(demo_store, tmp_path):
    """`erm watch run` from cron and another pass at the same moment: the second insert of an
    open condition is ignored, so the conditions are alerted once in all."""
    env = {**os.environ, "ERM_USERS_DB": str(tmp_path / "users.db")}
    erm = [sys.executable, "-c", "from erm_graph.cli import main; main()",
           "--db", f"embedded:{demo_store.location}", "watch", "run", "-f", "json"]
    runs = [subprocess.Popen(erm, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), [o[1].decode()[-2000:] for o in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    conditions = {r["rule"]: r["conditions"] for r in reports[0]}
    fired = {rule: sum(r["new_alerts"] for report in reports for r in report
                       if r["rule"] == rule) for rule in conditions}
    assert fired == conditions and sum(fired.values()) > 0
    conn = connect(tmp_path / "users.db")
    try:
        alerts = inbox.inbox(conn, "x", "admin")
    finally:
        conn.close()
    assert len(alerts) == sum(conditions.values())
    at_risk = [a for a in alerts if a["rule"] == "customer-at-risk"]
    assert facts.AT_RISK.customer in {a["row"]["uid"] for a in at_risk}


# -- the shipped rules and the rule files ----------------------------------------------------
def test_every_shipped_rule_runs_on_the_demo(demo_store, security):
    rules = load_rules()
    assert {r.name for r in rules} >= {"customer-at-risk", "unowned-component",
                                       "key-person-risk", "complaint-spike"}
    outcomes = run_rules(demo_store, rules, security)
    assert [o.error for o in outcomes] == [None] * len(rules)
    unowned = next(o for o in outcomes if o.rule == "unowned-component")
    keys = {a["row"]["uid"] for a in inbox.alerts(security, unowned.fired)}
    assert set(facts.UNOWNED.processes) <= keys


def test_a_complaint_spike_fires_for_its_product_only(store, security, tmp_path):
    """Complaints about one product jump in the last 30 days; the other's stay usual."""
    days = [(datetime(2026, 6, 1) - timedelta(days=d)).isoformat() for d in
            (1, 3, 5, 8, 13, 60, 100)]
    store.run("CREATE (:Product {uid: 'p-hot', name: 'Hot'}), "
              "(:Product {uid: 'p-calm', name: 'Calm'})", read_only=False)
    for uid, at_days in (("p-hot", days), ("p-calm", [days[0], days[5], days[6]] * 2)):
        store.run("MATCH (p:Product {uid: $p}) UNWIND range(0, size($at) - 1) AS i "
                  "CREATE (:Interaction {uid: $p + '-' + toString(i), kind: 'complaint', "
                  "at: $at[i]})-[:ABOUT]->(p)", {"p": uid, "at": at_days}, read_only=False)
    rule = read_rule(rule_file(tmp_path, "spike", query="complaint-spike", key=["uid"],
                               message="{product}: {recent} in 30 days, usually {usual}",
                               params={"until": "2026-06-01", "min_complaints": 3}))
    (outcome,) = run_rules(store, [rule], security)
    assert [a["message"] for a in inbox.alerts(security, outcome.fired)] == [
        "Hot: 5 in 30 days, usually 0.3"]


@pytest.mark.parametrize(("fields", "says"), [
    ({"query": "no-such-query"}, "no-such-query"),
    ({"params": {"bogus": 1}}, "bogus"),
    ({"key": ["nope"]}, "nope, which query 'unowned-components' does not return"),
    ({"message": "{missing} x"}, "missing"),
    ({"schedule": "every day"}, "is not a cron line"),
    ({"notify": {"roles": ["partner"]}}, "partner is not a staff role"),
    ({"notify": {"webhooks": ["file:///etc/passwd"]}}, "notify.webhooks.0"),
    ({"extra": 1}, "extra"),
], ids=["query", "param", "key", "message", "schedule", "role", "webhook", "field"])
def test_a_bad_rule_file_is_refused_naming_file_and_fault(tmp_path, fields, says):
    path = rule_file(tmp_path, "bad", **fields)
    with pytest.raises(RuleError) as caught:
        read_rule(path)
    assert str(path) in str(caught.value) and says in str(caught.value)


def test_an_oversized_or_hostile_rule_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("title: x\n" + "# pad\n" * 10_000)
    with pytest.raises(RuleError, match="larger than"):
        read_rule(big)
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)))
    with pytest.raises(RuleError, match="laughs.yaml"):
        read_rule(laughs)


def test_the_admins_folder_adds_and_replaces_rules(tmp_path):
    rule_file(tmp_path, "unowned-component", title="Ours", schedule="*/5 * * * *")
    rule_file(tmp_path, "extra")
    rules = {r.name: r for r in load_rules(tmp_path)}
    assert rules["unowned-component"].title == "Ours" and "extra" in rules
    assert "customer-at-risk" in rules
    with pytest.raises(RuleError, match="no watch rule 'nope'"):
        load_rules(tmp_path, ["nope"])


def test_a_rule_is_due_when_its_schedule_has_come_round(tmp_path):
    rule = unowned_rule(tmp_path, schedule="0 7 * * *")
    now = datetime(2026, 12, 2, 9, 0).astimezone()
    assert due(rule, None, now)
    assert not due(rule, (now - timedelta(hours=1)).isoformat(), now)  # ran at 8, next at 7
    assert due(rule, (now - timedelta(hours=3)).isoformat(), now)  # ran at 6: 7 came round


def test_serve_schedules_every_rule(tmp_path):
    scheduler = start(Settings.from_env(watch_rules=tmp_path), tmp_path / "users.db")
    try:
        rule_names = {job.id for job in scheduler.get_jobs()}
        assert rule_names == {r.name for r in load_rules()}
        assert all(job.next_run_time is not None for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=False)


# -- telling people: mail and webhooks -------------------------------------------------------
class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    box = Mailbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        box.logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.password.decode() == "s3cret-pw")

    controller = Controller(box, hostname="127.0.0.1", port=free_port(),
                            authenticator=authenticate, auth_require_tls=False)
    controller.start()
    yield box, controller.port
    controller.stop()


def mail_settings(port: int, **more) -> Settings:
    return Settings.from_env(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
                             smtp_user="erm", smtp_password=Secret("s3cret-pw"), **more)


def test_alerts_are_mailed_once_through_a_real_smtp_server(library, security, tmp_path, smtp):
    box, port = smtp
    rule = unowned_rule(tmp_path, notify={"roles": ["cro"], "emails": ["cro@example.com"]})
    (first,) = run_rules(library, [rule], security, settings=mail_settings(port))
    assert first.failures == [] and first.delivered == 1
    assert box.logins == ["erm"]
    ((to, text),) = box.messages
    assert to == ["cro@example.com"]
    assert "Subject: [erm-graph] Unowned:" in text and f"{len(first.fired) - 1} more" in text
    assert "s3cret-pw" not in text
    run_rules(library, [rule], security, settings=mail_settings(port))
    assert len(box.messages) == 1, "nothing new: no second mail"


def test_a_mail_that_fails_is_sent_by_the_next_pass(library, security, tmp_path, smtp):
    box, port = smtp
    rule = unowned_rule(tmp_path, notify={"emails": ["cro@example.com"]})
    down = free_port()
    (failed,) = run_rules(library, [rule], security, settings=mail_settings(down))
    assert failed.fired and failed.delivered == 0
    (problem,) = failed.failures
    assert f"127.0.0.1:{down}" in problem and "s3cret-pw" not in problem
    assert open_alerts(security), "the alerts are in the inbox all the same"
    (later,) = run_rules(library, [rule], security, settings=mail_settings(port))
    assert later.fired == [] and later.delivered == 1
    assert f"{len(failed.fired)} new alerts" in box.messages[0][1]
    run_rules(library, [rule], security, settings=mail_settings(port))
    assert len(box.messages) == 1


def test_the_cli_exits_2_and_never_prints_the_password_when_mail_fails(library, store_url,
                                                                       tmp_path):
    rule_file(tmp_path, "unowned", notify={"emails": ["cro@example.com"]})
    env = {"ERM_WATCH_RULES": str(tmp_path), "ERM_SMTP_HOST": "127.0.0.1",
           "ERM_SMTP_PORT": str(free_port()), "ERM_SMTP_TLS": "none",
           "ERM_SMTP_USER": "erm", "ERM_SMTP_PASSWORD": "s3cret-pw"}
    result = CliRunner().invoke(cli, ["--db", store_url, "watch", "run", "unowned", "-f", "json"],
                                env=env)
    assert result.exit_code == 2, result.output
    (outcome,) = json.loads(result.output)
    assert "cannot reach" in outcome["problems"] and "s3cret-pw" not in result.output


class Hooks(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []
    answer = 200

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["content-length"]))
        Hooks.received.append((self.path, json.loads(body)))
        self.send_response(Hooks.answer)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), Hooks)
    Hooks.received, Hooks.answer = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_webhooks_get_one_post_per_pass_and_keep_their_secret(library, security, tmp_path,
                                                              webhook):
    url = f"{webhook}/hooks/T0-secret-token"
    rule = unowned_rule(tmp_path, notify={"webhooks": [url]})
    Hooks.answer = 500
    (refused,) = run_rules(library, [rule], security)
    assert refused.failures and "secret-token" not in refused.failures[0]
    assert "answered 500" in refused.failures[0]
    Hooks.answer = 200
    (sent,) = run_rules(library, [rule], security)
    assert sent.delivered == 1
    path, body = Hooks.received[-1]
    assert path == "/hooks/T0-secret-token" and body["rule_title"] == "Unowned"
    assert len(body["alerts"]) == len(refused.fired)
    assert {a["row"]["uid"] for a in body["alerts"]} >= {CHECK}


# -- the inbox: who sees what ----------------------------------------------------------------
@pytest.fixture
def inbox_app(library, tmp_path):
    path = tmp_path / "web-users.db"
    users = Users.open(path)
    tokens = {}
    for name, role in (("olga", "officer"), ("carl", "cro"), ("ed", "editor"),
                       ("pat", "partner"), ("root", "admin")):
        users.add(name, role, password=PASSWORD,
                  party=facts.KEY_PERSON.customer if role == "partner" else None)
        tokens[name] = users.new_token(name)
    rule = unowned_rule(tmp_path, notify={"roles": ["cro"], "users": ["ed"]})
    run_rules(library, [rule], users.conn)
    settings = Settings.from_env(users_db=path, web_host="0.0.0.0")
    with TestClient(create_app(settings, store=library), base_url="http://127.0.0.1") as client:
        yield client, tokens
    users.close()


def test_the_inbox_shows_each_user_the_alerts_told_to_its_role_or_name(inbox_app):
    client, tokens = inbox_app

    def mine(name):
        r = client.get("/api/alerts", headers={"authorization": f"Bearer {tokens[name]}"})
        return r.status_code, r.json()

    status, carl = mine("carl")
    assert status == 200 and carl and all(a["read"] is False for a in carl)
    assert mine("ed")[1] == carl, "named in the rule"
    assert mine("root")[1] == carl, "admins see every alert"
    assert mine("olga") == (200, []), "officers are not told by this rule"
    assert mine("pat")[0] == 403, "a partner has no inbox"

    first = carl[0]["id"]
    as_olga = {"authorization": f"Bearer {tokens['olga']}"}
    assert client.post(f"/api/alerts/{first}/read", headers=as_olga).status_code == 404
    as_carl = {"authorization": f"Bearer {tokens['carl']}"}
    assert client.post(f"/api/alerts/{first}/read", headers=as_carl).status_code == 200
    assert next(a for a in mine("carl")[1] if a["id"] == first)["read"] is True
    assert next(a for a in mine("ed")[1] if a["id"] == first)["read"] is False
    page = client.get("/inbox", headers=as_carl)
    assert page.status_code == 200 and "has no owner" in page.text


def test_the_demos_planted_spike_is_the_spike_found(demo_store):
    from erm_graph.query import run_query

    rows = run_query(demo_store, "complaint-spike",
                     {"until": f"{facts.COMPLAINT_SPIKE.month}-31"}).records()
    assert rows and rows[0]["uid"] == facts.COMPLAINT_SPIKE.product
    assert rows[0]["recent"] >= facts.COMPLAINT_SPIKE.min_interactions
