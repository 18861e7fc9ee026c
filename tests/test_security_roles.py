"""Access control: the full role matrix, partner scope, logins, CSRF, rate limits, tokens,
the audit trail and `erm serve`'s start-up rules. Real embedded engine, real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from erm_graph.auth import Users
from erm_graph.auth.web import ROUTE_PERMISSIONS, AuthState
from erm_graph.demo import facts
from erm_graph.errors import ConfigError
from erm_graph.web import WebSettings, create_app

KP = facts.KEY_PERSON
#: the app answers only to the names it is served under (erm_graph/web/hosts.py)
LOCAL = "http://127.0.0.1"
PASSWORD = "correct horse battery"
ROLES = ("admin", "editor", "analyst", "viewer", "partner")


@pytest.fixture(scope="module")
def env(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "users.db"
    users = Users.open(path)
    tokens = {}
    for role in ROLES:
        users.add(role, role, password=PASSWORD, party=KP.customer if role == "partner" else None)
        tokens[role] = users.new_token(role)
    contact = demo_store.run("MATCH (c:Contact)-[:WORKS_FOR]->(:Party {uid: $p}) RETURN c.uid "
                             "LIMIT 1", {"p": KP.customer}).rows[0][0]
    settings = WebSettings(db="unused", users_db=str(path), host="0.0.0.0", row_cap=50,
                           max_body_bytes=8192, query_timeout=10)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as client:
        yield {"client": client, "tokens": tokens, "users": users, "contact": contact,
               "path": path}
    users.close()


def _as(env, role):
    return {"authorization": f"Bearer {env['tokens'][role]}"} if role != "anonymous" else {}


# (method, path, json body or None, {role: allowed}); the partner's own Party is KP.customer
ALL = dict.fromkeys(ROLES, True)
ANALYSTS = {"admin": True, "editor": True, "analyst": True, "viewer": False, "partner": False}
EDITORS = {"admin": True, "editor": True, "analyst": False, "viewer": False, "partner": False}
ADMINS = {r: r == "admin" for r in ROLES}
PROC = facts.GATEWAY.process
MATRIX = [
    ("GET", "/", None, ALL),
    ("GET", "/explore", None, ALL),
    ("GET", "/queries", None, ALL),
    ("GET", "/console", None, ANALYSTS),
    ("GET", "/audit", None, ADMINS),
    ("GET", "/api/me", None, ALL),
    ("GET", "/api/legend", None, ALL),
    ("GET", "/api/search?q=a", None, ALL),
    ("GET", f"/api/nodes/{KP.customer}", None, ALL),
    ("GET", f"/api/nodes/{KP.customer}/neighbors", None, ALL),
    ("GET", f"/api/nodes/{KP.customer}/neighborhood", None, ALL),
    ("GET", f"/api/path?a={KP.customer}&b={{contact}}", None, ALL),
    ("GET", "/api/summary", None, ALL),
    ("GET", "/api/maps", None, ALL),
    ("GET", f"/api/maps/{PROC}", None, {**ALL, "partner": False}),
    ("GET", f"/map/{PROC}", None, {**ALL, "partner": False}),
    ("GET", f"/api/nodes/{facts.AT_RISK.customer}", None, {**ALL, "partner": False}),
    ("GET", "/api/queries", None, ALL),
    ("GET", f"/api/queries/customer-360?uid={KP.customer}", None, ANALYSTS),
    ("GET", "/api/queries/key-person-risk", None, ANALYSTS),
    ("POST", "/api/cypher", {"query": "RETURN 1"}, ANALYSTS),
    ("PATCH", f"/api/nodes/{KP.customer}", {"properties": {"phone": None}},
     {**EDITORS, "partner": True}),
    ("PATCH", f"/api/nodes/{facts.AT_RISK.customer}", {"properties": {"name": "x"}}, EDITORS),
    ("POST", "/api/load", "upload", EDITORS),
    ("GET", "/api/audit", None, ADMINS),
]
CELLS = [(role, *row) for row in MATRIX for role in (*ROLES, "anonymous")]
UPLOAD = b"flowchart LR\n  a([Start]) --> b[Check] --> c([Done])\n"


@pytest.mark.parametrize(("role", "method", "path", "body", "expected"), CELLS,
                         ids=[f"{c[0]}-{c[1]}-{c[2][:40]}" for c in CELLS])
def test_role_matrix(env, role, method, path, body, expected):
    client = env["client"]
    path = path.replace("{contact}", env["contact"])
    kwargs = {"headers": _as(env, role), "follow_redirects": False}
    if body == "upload":
        kwargs |= {"files": {"file": ("security-check.mmd", UPLOAD, "text/plain")},
                   "data": {"dry_run": "true"}}
    elif body is not None:
        kwargs["json"] = body
    r = client.request(method, path, **kwargs)
    if role == "anonymous":
        assert r.status_code in (401, 303), (r.status_code, r.text[:200])
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login?next=")
        return
    allowed = expected[role]
    if allowed:
        assert r.status_code < 300, (r.status_code, r.text[:300])
    else:
        assert r.status_code in (403, 404), (r.status_code, r.text[:300])


def _served(routes) -> set[tuple[str, str]]:
    """(method, path) of every route, inside FastAPI's included routers too."""
    found = set()
    for r in routes:
        included = getattr(r, "original_router", None)
        if included is not None:
            found |= _served(included.routes)
        found |= {(m, r.path) for m in getattr(r, "methods", None) or () if m != "HEAD"}
    return found


def test_every_route_has_a_declared_permission_and_the_matrix_covers_it(env):
    app = env["client"].app
    declared = set(ROUTE_PERMISSIONS)
    routes = {(m, p) for m, p in _served(app.routes)
              if not p.startswith(("/api/openapi", "/api/docs", "/docs/oauth2"))}
    assert len(routes) > 20, "the walk must see the routes of the included routers"
    assert routes <= declared, routes - declared
    covered = {(m, p) for m, p, *_ in MATRIX}
    templates = {(m, p) for m, p in declared if ROUTE_PERMISSIONS[(m, p)] is not None}
    assert len(covered) >= len(templates), "every permissioned route has a matrix row"
    print(f"role matrix: {len(CELLS)} cells")


def test_partner_sees_only_its_scope(env, demo_store):
    from erm_graph.auth.scope import partner_scope

    client, h = env["client"], _as(env, "partner")
    scope = partner_scope(demo_store, KP.customer)
    body = client.get(f"/api/nodes/{KP.customer}/neighborhood", params={"depth": 2},
                      headers=h).json()
    assert {n["id"] for n in body["nodes"]} <= scope and len(body["nodes"]) > 1
    hits = client.get("/api/search", params={"q": facts.AT_RISK.customer}, headers=h).json()
    assert hits["results"] == []
    assert client.get("/api/search", params={"q": KP.customer}, headers=h).json()["results"]
    summary = client.get("/api/summary", headers=h).json()
    assert summary["labels"].get("Customer") == 1
    assert all(m["uid"] in scope for m in summary["maps"])
    r = client.get("/api/path", params={"a": KP.customer, "b": facts.AT_RISK.customer},
                   headers=h)
    assert r.status_code == 404
    detail = client.get(f"/api/nodes/{KP.customer}", headers=h).json()
    assert all(t["uid"] in scope for t in detail["timeline"])
    r = client.patch(f"/api/nodes/{env['contact']}", headers=h,
                     json={"properties": {"uid": "other"}})
    assert r.status_code == 403  # not a contact detail


def test_a_partner_pages_through_every_neighbour_in_its_scope(env, demo_store):
    """The scope is part of the neighbour query: pages are full, and the counts are what the
    partner may see (a filter after the query left pages short and counted nothing)."""
    from erm_graph.auth.scope import partner_scope

    client, h = env["client"], _as(env, "partner")
    scope = partner_scope(demo_store, KP.customer)
    expected = {m for (m,) in demo_store.run(
        "MATCH (:Party {uid: $uid})-[]-(m) RETURN DISTINCT m.uid", {"uid": KP.customer}).rows
        if m in scope}
    assert len(expected) > 3
    seen, offset, pages = [], 0, 0
    while True:
        body = client.get(f"/api/nodes/{KP.customer}/neighbors",
                          params={"limit": 3, "offset": offset}, headers=h).json()
        page = [n["id"] for n in body["nodes"] if n["id"] != KP.customer]
        seen += page
        pages += 1
        assert body["total"] >= len(expected)  # counts what the partner may see, not 0
        if body["next_offset"] >= body["total"]:
            break
        assert len(page) == 3  # a full page while more remain
        offset = body["next_offset"]
    assert set(seen) == expected and pages > 1


def test_login_session_csrf_and_logout(env):
    client = env["client"]
    client.cookies.clear()
    page = client.get("/login")
    assert page.status_code == 200 and 'name="csrf"' in page.text
    csrf = client.cookies.get("erm_csrf")
    set_cookie = page.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    r = client.post("/login", data={"username": "viewer", "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 403, "a login form without its CSRF token is refused"
    r = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf": csrf,
                                    "next": "//evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/", "no open redirect"
    cookie = r.headers["set-cookie"]
    assert "erm_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in \
        cookie.lower() and "Secure" not in cookie
    assert client.get("/api/me").json()["role"] == "viewer"
    # a form post with the session but without the token: refused
    r = client.post("/api/load", files={"file": ("a.csv", UPLOAD, "text/csv")})
    assert r.status_code == 403
    r = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/me").status_code == 401
    client.cookies.clear()


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(env):
    """Believed only from ERM_TRUSTED_PROXIES (test_security_auth.py tests a trusted one)."""
    client = env["client"]
    client.cookies.clear()
    client.get("/login")
    r = client.post("/login", data={"username": "analyst", "password": PASSWORD,
                                    "csrf": client.cookies.get("erm_csrf")},
                    headers={"x-forwarded-proto": "https"}, follow_redirects=False)
    assert r.status_code == 303 and "Secure" not in r.headers["set-cookie"]
    client.cookies.clear()


def test_login_rate_limit_per_user_and_ip(env):
    client = env["client"]
    client.cookies.clear()
    client.get("/login")
    csrf = client.cookies.get("erm_csrf")
    codes = [client.post("/login", data={"username": "editor", "password": f"wrong{i}",
                                         "csrf": csrf}).status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    r = client.post("/login", data={"username": "editor", "password": PASSWORD, "csrf": csrf})
    assert r.status_code == 429, "even the right password waits out the minute"
    events = client.get("/api/audit", params={"action": "login"},
                        headers=_as(env, "admin")).json()
    assert sum(e["action"] == "login.failed" for e in events) >= 5
    assert all(PASSWORD not in str(e) and "wrong" not in str(e) for e in events)
    client.cookies.clear()


def test_bad_tokens_are_401(env):
    for value in ("Bearer nope", "Bearer erm_000000000000_x", "Basic YWRtaW46YWRtaW4=",
                  "Bearer " + env["tokens"]["admin"][:-1] + "X"):
        r = env["client"].get("/api/me", headers={"authorization": value})
        assert r.status_code in (401, 429), "refused (429 once the IP has failed 5 times)"


def test_audit_is_append_only_and_records_writes(env):
    conn = sqlite3.connect(env["path"])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit")
    actions = {a for (a,) in conn.execute("SELECT action FROM audit")}
    assert {"user.add", "token.add"} <= actions
    secrets = [t for (t,) in conn.execute("SELECT detail FROM audit")]
    assert not any(PASSWORD in d or "erm_" in d for d in secrets)
    conn.close()


def test_serve_rules(tmp_path):
    state = AuthState(tmp_path / "users.db", local_ok=True)
    assert state.single_user()
    with pytest.raises(ConfigError, match="no admin user"):
        AuthState(tmp_path / "users.db", local_ok=False).check_startup("0.0.0.0")
    users = Users.open(tmp_path / "users.db")
    users.add("v", "viewer", password=PASSWORD)
    with pytest.raises(ConfigError, match="no admin user"):
        AuthState(tmp_path / "users.db", local_ok=False).check_startup("0.0.0.0")
    users.add("a", "admin", password=PASSWORD)
    AuthState(tmp_path / "users.db", local_ok=False).check_startup("0.0.0.0")
    assert not AuthState(tmp_path / "users.db", local_ok=True).single_user()
    users.close()
