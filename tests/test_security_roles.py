"""Access control: the full role matrix, partner scope, logins, CSRF, rate limits, tokens,
the audit trail and `erm serve`'s start-up rules. Real embedded engine, real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from erm_graph.auth import Users
from erm_graph.auth.roles import PERMISSIONS, ROLE_GROUPS, ROLES, allowed
from erm_graph.auth.scope import names_scope
from erm_graph.auth.web import ROUTE_PERMISSIONS, AuthState
from erm_graph.demo import facts
from erm_graph.errors import ConfigError
from erm_graph.query import load_library
from erm_graph.settings import Settings
from erm_graph.web import create_app

KP = facts.KEY_PERSON
#: the app answers only to the names it is served under (erm_graph/web/hosts.py)
LOCAL = "http://127.0.0.1"
PASSWORD = "correct horse battery"


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
    settings = Settings.from_env(users_db=path, web_host="0.0.0.0", web_row_cap=50,
                                 web_max_body=8192, query_timeout=10)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as client:
        yield {"client": client, "tokens": tokens, "users": users, "contact": contact,
               "path": path}
    users.close()


def _as(env, role):
    return {"authorization": f"Bearer {env['tokens'][role]}"} if role != "anonymous" else {}


# (method, route, path, json body or None, roles the route's own rules refuse although the
# permission allows). Whether a role may is not listed here: it is read from the route's
# permission (ROUTE_PERMISSIONS) and the roles holding it (PERMISSIONS), and for a named query
# from the query's header. The partner's own Party is KP.customer.
OUTSIDE_ITS_SCOPE = ("partner",)
PROC = facts.GATEWAY.process
NODE = "/api/nodes/{uid:uid}"
MATRIX = [
    ("GET", "/", "/", None, ()),
    ("GET", "/explore", "/explore", None, ()),
    ("GET", "/queries", "/queries", None, ()),
    ("GET", "/dashboards", "/dashboards", None, ()),
    ("GET", "/dashboard/{name}", "/dashboard/cro", None, ()),
    ("GET", "/api/dashboards/{name}", "/api/dashboards/rnd", None, ()),
    ("GET", "/console", "/console", None, ()),
    ("GET", "/audit", "/audit", None, ()),
    ("GET", "/api/me", "/api/me", None, ()),
    ("GET", "/api/legend", "/api/legend", None, ()),
    ("GET", "/api/search", "/api/search?q=a", None, ()),
    ("GET", NODE, f"/api/nodes/{KP.customer}", None, ()),
    ("GET", NODE + "/neighbors", f"/api/nodes/{KP.customer}/neighbors", None, ()),
    ("GET", NODE + "/neighborhood", f"/api/nodes/{KP.customer}/neighborhood", None, ()),
    ("GET", "/api/path", f"/api/path?a={KP.customer}&b={{contact}}", None, ()),
    ("GET", "/api/summary", "/api/summary", None, ()),
    ("GET", "/api/maps", "/api/maps", None, ()),
    ("GET", "/api/maps/{uid:uid}", f"/api/maps/{PROC}", None, OUTSIDE_ITS_SCOPE),
    ("GET", "/map/{uid:uid}", f"/map/{PROC}", None, OUTSIDE_ITS_SCOPE),
    # drawn by headless Chromium: the SVG takes one run of it, the PNG and PDF two
    ("GET", "/api/maps/{uid:uid}/export", f"/api/maps/{PROC}/export?format=svg", None,
     OUTSIDE_ITS_SCOPE),
    ("GET", NODE, f"/api/nodes/{facts.AT_RISK.customer}", None, OUTSIDE_ITS_SCOPE),
    ("GET", "/api/accounts/{uid:uid}", f"/api/accounts/{KP.customer}", None, ()),
    ("GET", "/api/accounts/{uid:uid}", f"/api/accounts/{facts.AT_RISK.customer}", None,
     OUTSIDE_ITS_SCOPE),
    ("GET", "/account/{uid:uid}", f"/account/{KP.customer}", None, ()),
    ("GET", "/node/{uid:uid}", f"/node/{KP.customer}", None, ()),  # a 303 to the account page
    ("GET", "/api/queries", "/api/queries", None, ()),
    ("GET", "/api/queries/{name}", f"/api/queries/customer-360?uid={KP.customer}", None, ()),
    ("GET", "/api/queries/{name}", "/api/queries/key-person-risk", None, ()),
    ("GET", "/api/queries/{name}", "/api/queries/customer-needs", None, ()),
    ("POST", "/api/cypher", "/api/cypher", {"query": "RETURN 1"}, ()),
    ("POST", "/api/cypher/runs/{run_id}/cancel", "/api/cypher/runs/no-such-run/cancel", None,
     ()),
    ("GET", "/api/vocabulary", "/api/vocabulary", None, ()),
    ("PATCH", NODE, f"/api/nodes/{KP.customer}", {"properties": {"phone": None}}, ()),
    # the session's demo graph is shared read-only: an edit writes the value it already has;
    # a partner edits only its own Party
    ("PATCH", NODE, f"/api/nodes/{facts.AT_RISK.customer}",
     {"properties": {"name": facts.AT_RISK.customer_name}}, OUTSIDE_ITS_SCOPE),
    ("POST", "/api/load", "/api/load", "upload", ()),
    # as above: the CRO owns every map already, and the unowned process stays unowned
    ("POST", NODE + "/owner", "/api/nodes/map-customer/owner", {"employee": "no-such-employee"},
     ()),
    ("DELETE", NODE + "/owner", f"/api/nodes/{min(facts.UNOWNED.processes)}/owner", None, ()),
    ("GET", "/governance", "/governance", None, ()),
    ("GET", "/api/governance", "/api/governance", None, ()),
    ("GET", "/api/audit", "/api/audit", None, ()),
    ("GET", "/api/backup", "/api/backup", None, ()),
    # a partner's scope holds no revision: its history is empty
    ("GET", "/api/maps/{uid:uid}/history", f"/api/maps/{PROC}/history", None, ()),
    ("POST", "/api/maps/{uid:uid}/restore", f"/api/maps/{PROC}/restore", {"version": 1}, ()),
    # an edit made on a version the map does not have: refused (409) before anything is written
    ("POST", "/api/maps/{uid:uid}/edit", f"/api/maps/{PROC}/edit",
     {"based_on": 999, "changes": [{"kind": "rename_step", "step": "x", "name": "y"}]}, ()),
    ("GET", "/merges", "/merges", None, ()),
    ("GET", "/api/merges", "/api/merges", None, ()),
    ("GET", "/api/merges/suggestions", "/api/merges/suggestions?label=Department", None, ()),
    # a dry run reads only (an undo's roles: tests/test_identity_merge.py)
    ("POST", "/api/merges", "/api/merges", {"keep": KP.customer,
                                            "drop": [facts.AT_RISK.customer], "dry_run": True},
     ()),
    ("POST", "/api/merges/{merge_id}/undo", "/api/merges/no-such-merge/undo", None, ()),
    ("GET", "/inbox", "/inbox", None, ()),
    ("GET", "/api/alerts", "/api/alerts", None, ()),
    ("POST", "/api/alerts/{alert_id}/read", "/api/alerts/999999/read", None, ()),
    ("GET", "/maturity", "/maturity", None, ()),
    ("GET", "/api/maturity", "/api/maturity", None, ()),
    # keeping an assessment adds a bookkeeping node to the shared demo: the answers name an
    # unknown question, so the allowed roles get the library's 400 and nothing is written
    ("POST", "/api/maturity", "/api/maturity", {"answers": {"no-such-question": True}}, ()),
    # the demo app has no target plan: the allowed roles get the library's 400, nothing opened
    ("POST", "/api/targets/tasks", "/api/targets/tasks", {}, ()),
    ("GET", "/sales", "/sales?period=2026-Q3", None, ()),
    ("GET", "/api/sales", "/api/sales?period=2026-Q3", None, ()),
    ("GET", "/targets", "/targets", None, ()),
    ("GET", "/api/targets", "/api/targets", None, ()),
    ("GET", "/api/clv", "/api/clv?limit=5", None, ()),
    ("GET", "/api/clv/{uid:uid}", f"/api/clv/{facts.TOP_CUSTOMER.customer}", None, ()),
    ("GET", "/api/strategy/tiles/{name}", "/api/strategy/tiles/maturity-trend", None, ()),
    # saved views: each role saves its own (the module's security file), opens and deletes
    # only what it may (tests/test_saved_views.py): here a view no one saved
    ("GET", "/views", "/views", None, ()),
    ("GET", "/api/views", "/api/views", None, ()),
    ("POST", "/api/views", "/api/views", {"name": "Harbor", "url": f"/explore?focus={KP.customer}"},
     ()),
    ("GET", "/views/{view_id}", "/views/no-such-view", None, ()),
    ("GET", "/api/views/{view_id}", "/api/views/no-such-view", None, ()),
    ("DELETE", "/api/views/{view_id}", "/api/views/no-such-view", None, ()),
    # records by hand and the quick actions: the shared demo graph stays as it is, so each
    # allowed call is one the library refuses (a bogus value, a uid that names nothing)
    ("GET", "/api/forms/{label}", "/api/forms/Case", None, ()),
    ("GET", "/new/{label}", "/new/Case", None, ()),
    ("GET", "/edit/{uid:uid}", f"/edit/{KP.customer}", None, ()),
    ("POST", "/api/records", "/api/records", {"label": "Case", "properties": {"kind": "bogus"}},
     ()),
    ("DELETE", NODE, "/api/nodes/no-such-record", None, ()),
    ("POST", "/api/links", "/api/links", {"start": KP.customer, "type": "ASSIGNED_TO",
                                          "end": KP.customer}, ()),
    ("DELETE", "/api/links", f"/api/links?start={KP.customer}&type=RAISED&end=no-such-case",
     None, ()),
    ("POST", "/api/accounts/{uid:uid}/interactions", f"/api/accounts/{KP.customer}/interactions",
     {"kind": "bogus"}, ()),
    ("POST", "/api/accounts/{uid:uid}/cases", f"/api/accounts/{KP.customer}/cases",
     {"kind": "bogus"}, ()),
    ("POST", "/api/accounts/{uid:uid}/opportunities",
     f"/api/accounts/{KP.customer}/opportunities", {"name": "x", "stage": "bogus"}, ()),
    ("POST", "/api/cases/{uid:uid}/assign", "/api/cases/no-such-case/assign",
     {"assignee": "no-such-employee"}, ()),
    ("POST", "/api/cases/{uid:uid}/escalate", "/api/cases/no-such-case/escalate", {}, ()),
    ("POST", "/api/cases/{uid:uid}/resolve", "/api/cases/no-such-case/resolve",
     {"resolution": "done"}, ()),
    ("POST", "/api/opportunities/{uid:uid}/assign", "/api/opportunities/no-such-deal/assign",
     {"assignee": "no-such-employee"}, ()),
    ("POST", "/api/opportunities/{uid:uid}/advance",
     "/api/opportunities/no-such-deal/advance", {"stage": "won"}, ()),
    # customer service: the knowledge base is read by all (a partner's scope holds no
    # article, nor another party's case); its writes are sent what the library refuses
    ("GET", "/kb", "/kb", None, ()),
    ("GET", "/api/kb/articles", "/api/kb/articles?q=power", None, ()),
    ("GET", "/api/kb/articles/{uid:uid}", f"/api/kb/articles/{facts.SERVICE.article}", None,
     OUTSIDE_ITS_SCOPE),
    ("GET", "/api/cases/{uid:uid}/suggestions",
     f"/api/cases/{facts.SERVICE.breached[0]}/suggestions", None, OUTSIDE_ITS_SCOPE),
    ("POST", "/api/kb/articles", "/api/kb/articles", {"title": " ", "body": "x"}, ()),
    ("POST", "/api/kb/articles/{uid:uid}", "/api/kb/articles/no-such-article",
     {"body": "x"}, ()),
    ("POST", "/api/kb/articles/{uid:uid}/links", "/api/kb/articles/no-such-article/links",
     {"to": "prod-0001"}, ()),
    ("POST", "/api/cases/{uid:uid}/dispatch", "/api/cases/no-such-case/dispatch",
     {"department": "no-such-department"}, ()),
    # the partner portal (a partner's own, bound here to KP.customer) and sharing: officers
    # and editors share; the shared demo graph stays as it is, so a share names no record
    # and a revocation one that is not shared (the library's 404)
    ("GET", "/portal", "/portal", None, ()),
    ("GET", "/api/portal", "/api/portal", None, ()),
    ("GET", "/api/shares", "/api/shares?record=opp-top-001", None, ()),
    ("POST", "/api/shares", "/api/shares", {"record": "no-such-record",
                                            "partner": facts.WARM_PATH.via}, ()),
    ("DELETE", "/api/shares", f"/api/shares?record={KP.customer}&partner={facts.WARM_PATH.via}",
     None, ()),
    # a record shared with another partner: as missing to this one; staff write what it holds
    ("PATCH", NODE, "/api/nodes/opp-top-001", {"properties": {"stage": "won"}},
     OUTSIDE_ITS_SCOPE),
    # time management: an Employee's calendar by uid (staff); bad input for the writes
    ("GET", "/calendar", f"/calendar?who={KP.employee}", None, ()),
    ("GET", "/api/calendar", f"/api/calendar?who={KP.employee}&view=month&day=2026-10-01",
     None, ()),
    ("GET", "/api/tasks", f"/api/tasks?who={KP.employee}", None, ()),
    ("POST", "/api/tasks", "/api/tasks", {"title": "x", "due": "someday"}, ()),
    ("POST", "/api/tasks/{uid:uid}/assign", "/api/tasks/no-such-task/assign",
     {"assignee": "no-such-employee"}, ()),
    ("POST", "/api/tasks/{uid:uid}/done", "/api/tasks/no-such-task/done", None, ()),
    ("POST", "/api/tasks/{uid:uid}/cancel", "/api/tasks/no-such-task/cancel", None, ()),
    ("POST", "/api/appointments", "/api/appointments",
     {"title": "x", "start": "2026-12-01T10:00", "end": "2026-12-01T09:00"}, ()),
    ("POST", "/api/appointments/{uid:uid}/move", "/api/appointments/no-such/move",
     {"start": "2026-12-01T10:00"}, ()),
    ("POST", "/api/appointments/{uid:uid}/cancel", "/api/appointments/no-such/cancel",
     None, ()),
    ("POST", "/api/calendar/import", "/api/calendar/import", "ics", ()),
    # the subscription address: made and revoked for each staff user's own name
    ("POST", "/api/calendar/subscription", "/api/calendar/subscription", None, ()),
    ("DELETE", "/api/calendar/subscription", "/api/calendar/subscription", None, ()),
]
#: routes whose allowed callers get past the role check to the library's own refusal: the
#: shared demo graph is read-only, its maps have no history to restore (a 400), it holds
#: no merge to undo, no alert to mark read, no console query running to be stopped and no
#: saved view to open or delete (a 404), and the records by hand are sent what the model
#: refuses
LIBRARY_REFUSES = {("POST", "/api/nodes/{uid:uid}/owner"),
                   ("POST", "/api/maps/{uid:uid}/restore"),
                   ("POST", "/api/maps/{uid:uid}/edit"),  # a stale version: a 409
                   ("POST", "/api/merges/{merge_id}/undo"),
                   ("POST", "/api/alerts/{alert_id}/read"),  # no such alert: a 404
                   ("POST", "/api/maturity"),  # no such question: a 400
                   ("POST", "/api/targets/tasks"),  # no target plan: a 400
                   ("POST", "/api/cypher/runs/{run_id}/cancel"),  # no such run: a 404
                   ("GET", "/views/{view_id}"), ("GET", "/api/views/{view_id}"),
                   ("DELETE", "/api/views/{view_id}"),
                   ("POST", "/api/records"), ("DELETE", NODE), ("POST", "/api/links"),
                   ("DELETE", "/api/links"),
                   ("POST", "/api/kb/articles"), ("POST", "/api/kb/articles/{uid:uid}"),
                   ("POST", "/api/kb/articles/{uid:uid}/links"),
                   ("POST", "/api/cases/{uid:uid}/dispatch"),
                   *(("POST", f"/api/accounts/{{uid:uid}}/{what}")
                     for what in ("interactions", "cases", "opportunities")),
                   *(("POST", f"/api/cases/{{uid:uid}}/{what}")
                     for what in ("assign", "escalate", "resolve")),
                   *(("POST", f"/api/opportunities/{{uid:uid}}/{what}")
                     for what in ("assign", "advance")),
                   ("POST", "/api/shares"), ("DELETE", "/api/shares"),
                   ("POST", "/api/tasks"), ("POST", "/api/appointments"),
                   ("POST", "/api/calendar/import"),
                   *(("POST", f"/api/tasks/{{uid:uid}}/{what}")
                     for what in ("assign", "done", "cancel")),
                   *(("POST", f"/api/appointments/{{uid:uid}}/{what}")
                     for what in ("move", "cancel"))}


def may_run(role: str, name: str) -> bool:
    """The rule as the docs state it: a role runs a named query when it holds ``query.named``
    or the query's ``access`` lists the role or a group holding it; a partner only when the
    query keeps to its scope as well."""
    query = load_library().get(name)
    listed = any(role == entry or role in ROLE_GROUPS.get(entry, ()) for entry in query.access)
    if role == "partner":
        return listed and names_scope(query.cypher)
    return role in PERMISSIONS["query.named"] or listed


def expected(role: str, method: str, route: str, path: str, refused: tuple[str, ...]) -> bool:
    permission = ROUTE_PERMISSIONS[(method, route)]
    assert permission is not None
    may = allowed(role, permission) and role not in refused
    if route == "/api/queries/{name}":
        may = may and may_run(role, path.split("/")[3].split("?")[0])
    return may


CELLS = [(role, *row) for row in MATRIX for role in (*ROLES, "anonymous")]
UPLOAD = b"flowchart LR\n  a([Start]) --> b[Check] --> c([Done])\n"


@pytest.mark.parametrize(("role", "method", "route", "path", "body", "refused"), CELLS,
                         ids=[f"{c[0]}-{c[1]}-{c[3][:40]}" for c in CELLS])
def test_role_matrix(env, role, method, route, path, body, refused):
    client = env["client"]
    path = path.replace("{contact}", env["contact"])
    kwargs = {"headers": _as(env, role), "follow_redirects": False}
    if body == "ics":  # a file the reader refuses: nothing is written to the shared graph
        kwargs |= {"files": {"file": ("bad.ics", b"not a calendar", "text/calendar")},
                   "data": {"employee": KP.employee}}
    elif body == "upload":
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
    if expected(role, method, route, path, refused) and (method, route) in LIBRARY_REFUSES:
        assert r.status_code not in (401, 403) and r.status_code < 500, \
            (r.status_code, r.text[:300])
    elif expected(role, method, route, path, refused):
        redirect = r.status_code == 303 and not r.headers["location"].startswith("/login")
        assert r.status_code < 300 or redirect, (r.status_code, r.text[:300])
    else:
        assert r.status_code in (403, 404), (r.status_code, r.text[:300])


def test_the_matrix_sees_every_kind_of_answer():
    """A derived matrix must still hold cells of both kinds for each role: no role may do
    everything but the admin, and every role may view."""
    for role in ROLES:
        cells = [expected(role, m, route, path, refused)
                 for m, route, path, _, refused in MATRIX]
        assert any(cells), role
        assert role == "admin" or not all(cells), role


def _example(query) -> dict:
    """The form's values: the declared examples of the required parameters, defaults else."""
    return {k: ",".join(v) if isinstance(v, list) else str(v)
            for k, v in query.example_params().items()}


@pytest.mark.parametrize("name", sorted(q.name for q in load_library() if q.read_only))
def test_each_named_query_as_each_role(env, name):
    """Allowed iff the header's access lists the role (or a group holding it) or the role
    holds query.named; the list each role sees holds exactly what it may run, and every role
    that may run a query gets the same rows."""
    client, query = env["client"], load_library().get(name)
    answers = {}
    for role in ROLES:
        r = client.get(f"/api/queries/{name}", params=_example(query), headers=_as(env, role))
        listed = {q["name"] for q in client.get("/api/queries", headers=_as(env, role)).json()}
        if may_run(role, name):
            assert r.status_code == 200, (role, r.status_code, r.text[:300])
            assert name in listed, role
            answers[role] = r.json()["rows"]
        else:
            assert r.status_code == 403, (role, r.status_code, r.text[:300])
            assert "access" in r.json()["error"]["message"], role
            assert name not in listed, role
    assert set(PERMISSIONS["query.named"]) <= set(answers)
    assert query.audience and set(query.audience) & set(ROLES) <= set(answers), \
        "the query's audience may run it"
    staff = {role: rows for role, rows in answers.items() if role != "partner"}
    assert len({repr(rows) for rows in staff.values()}) == 1, "the role does not change rows"


NAV = {"/console": "query.cypher", "/audit": "audit.read", "/governance": "governance",
       "/queries": "query.list", "/explore": "view", "/sales": "sales"}


@pytest.mark.parametrize("role", ROLES)
def test_the_nav_offers_only_what_the_role_may_use(env, role):
    html = env["client"].get("/", headers=_as(env, role)).text
    nav = html[html.index("<nav"):html.index("</nav>")]
    for link, permission in NAV.items():
        assert (f'href="{link}"' in nav) == allowed(role, permission), (role, link)


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
    covered = {(m, route) for m, route, *_ in MATRIX}
    permissioned = {(m, p) for m, p in declared if ROUTE_PERMISSIONS[(m, p)] is not None}
    assert covered == permissioned, ("every permissioned route has a matrix row",
                                     permissioned ^ covered)
    print(f"role matrix: {len(CELLS)} cells")


def test_partner_sees_only_its_scope(env, demo_store):
    from erm_graph.query.partner_scope import partner_scope

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
    # its Party takes part in no Step, so no map is in its scope (a partner's own maps:
    # test_security_scope.py::test_partner_sees_and_opens_its_own_maps)
    assert summary["maps"] == []
    r = client.get("/api/path", params={"a": KP.customer, "b": facts.AT_RISK.customer},
                   headers=h)
    assert r.status_code == 404
    detail = client.get(f"/api/nodes/{KP.customer}", headers=h).json()
    assert detail["timeline"] and all(t["uid"] in scope for t in detail["timeline"])
    r = client.patch(f"/api/nodes/{env['contact']}", headers=h,
                     json={"properties": {"uid": "other"}})
    assert r.status_code == 403  # not a contact detail


def test_a_partner_pages_through_every_neighbour_in_its_scope(env, demo_store):
    """The scope is part of the neighbour query: pages are full, and the counts are what the
    partner may see (a filter after the query left pages short and counted nothing)."""
    from erm_graph.query.partner_scope import partner_scope

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
