"""Saved views: the library (who sees, who deletes, what a view may point at), the JSON API and
its link as users of one team and of another, the audit trail, and `erm view`. A real SQLite
security file, the web app on the demo graph."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erm_graph.auth import Users, audit
from erm_graph.auth.db import connect
from erm_graph.auth.roles import Forbidden
from erm_graph.auth.saved_views import SavedViews, ViewNotFound, check_url
from erm_graph.auth.users import LOCAL_ADMIN
from erm_graph.cli import app as cli_app
from erm_graph.demo import facts
from erm_graph.errors import ErmError
from erm_graph.settings import Settings
from erm_graph.web import create_app

RISK, KP = facts.AT_RISK, facts.KEY_PERSON
LOCAL = "http://127.0.0.1"
PASSWORD = "a long test password"
#: user -> (role, party): two officers (one team), an R&D user, an admin, two partners
PEOPLE = {"olga": ("officer", None), "otto": ("officer", None), "rita": ("rnd", None),
          "ada": ("admin", None), "pia": ("partner", KP.customer),
          "paul": ("partner", RISK.customer)}


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "users.db"
    users = Users.open(path)
    for name, (role, party) in PEOPLE.items():
        users.add(name, role, password=PASSWORD, party=party)
    found = {name: users.get(name) for name in PEOPLE}
    users.close()
    views = SavedViews.open(path)
    yield views, found, path
    views.close()


def test_a_team_view_is_seen_by_the_team_and_admins_only(people):
    views, who, _ = people
    shared = views.save(who["olga"], "Meridian",
                         f"/explore?focus={RISK.customer}&k=HAD:Interaction",
                         note="three open complaints")
    private = views.save(who["olga"], "Draft", "/queries?name=customer-360", shared="private")
    assert shared.kind == "explore" and private.kind == "query"
    assert shared.params == {"focus": [RISK.customer], "k": ["HAD:Interaction"]}
    assert [v.name for v in views.visible(who["olga"])] == ["Draft", "Meridian"]
    assert [v.id for v in views.visible(who["otto"])] == [shared.id]
    assert views.get(who["otto"], shared.id).url == shared.url
    for outsider in ("rita", "pia"):
        assert views.visible(who[outsider]) == []
        with pytest.raises(ViewNotFound):
            views.get(who[outsider], shared.id)
    with pytest.raises(ViewNotFound):
        views.get(who["otto"], private.id)
    assert {v.id for v in views.visible(who["ada"])} == {shared.id, private.id}
    assert {v.id for v in views.visible(LOCAL_ADMIN)} == {shared.id, private.id}


def test_partners_of_two_parties_are_two_teams(people):
    views, who, path = people
    users = Users.open(path)
    users.add("pat", "partner", password=PASSWORD, party=KP.customer)
    pat = users.get("pat")
    users.close()
    view = views.save(who["pia"], "Ours", f"/explore?focus={KP.customer}")
    assert [v.id for v in views.visible(pat)] == [view.id]
    assert views.visible(who["paul"]) == []


def test_only_the_owner_deletes(people):
    views, who, _ = people
    view = views.save(who["olga"], "Meridian", f"/explore?focus={RISK.customer}")
    for other in ("otto", "ada"):
        with pytest.raises(Forbidden, match="only its owner"):
            views.delete(who[other], view.id)
    with pytest.raises(ViewNotFound):
        views.delete(who["rita"], view.id)
    assert views.delete(who["olga"], view.id).id == view.id
    assert views.visible(who["ada"]) == []


def test_saving_a_name_again_replaces_the_view(people):
    views, who, _ = people
    first = views.save(who["olga"], "Meridian", "/explore?focus=a")
    second = views.save(who["olga"], "Meridian", "/explore?focus=b")
    assert [v.url for v in views.visible(who["olga"])] == ["/explore?focus=b"]
    assert first.id != second.id
    # another user may use the same name
    views.save(who["otto"], "Meridian", "/explore?focus=c")
    assert len(views.visible(who["ada"])) == 2


@pytest.mark.parametrize("url", ["https://evil.example/explore", "//evil.example/explore",
                                 "/\\evil.example", "explore?focus=x", "/login?next=/",
                                 "/map/", "/api/views", "/views/abc", "/explore" + "x" * 4000,
                                 "javascript:alert(1)"])
def test_a_view_points_only_at_the_explorer_a_map_or_the_queries(url):
    with pytest.raises(ErmError, match="url"):
        check_url(url)


@pytest.mark.parametrize(("url", "kind"), [("/explore", "explore"),
                                           ("/map/camunda-order/Process_Order", "map"),
                                           ("/queries?name=churn-risk", "query")])
def test_the_kind_of_a_view_is_its_page(url, kind):
    assert check_url(url) == kind


def test_bad_names_notes_and_sharing_are_refused(people):
    views, who, _ = people
    for kwargs, word in [({"name": " "}, "name"), ({"name": "x" * 121}, "name"),
                         ({"note": "x" * 2001}, "note"), ({"shared": "everyone"}, "shared")]:
        args = {"name": "ok", "note": "", "shared": "team"} | kwargs
        with pytest.raises(ErmError, match=word):
            views.save(who["olga"], args["name"], "/explore", note=args["note"],
                       shared=args["shared"])
    assert views.visible(who["ada"]) == []


def test_saves_and_deletes_are_audited_with_their_actor(people):
    views, who, path = people
    view = views.save(who["olga"], "Meridian", "/explore?focus=x")
    views.delete(who["olga"], view.id)
    conn = connect(path)
    try:
        events = audit.events(conn, action="view")
    finally:
        conn.close()
    assert [(e["action"], e["target"], e["outcome"]) for e in events] == [
        ("view.delete", view.id, "ok"), ("view.save", view.id, "ok")]
    assert events[1]["detail"]["url"] == "/explore?focus=x"


# -- the web app -------------------------------------------------------------------------------
@pytest.fixture
def web(demo_store, people):
    _, _, path = people
    users = Users.open(path)
    tokens = {name: users.new_token(name) for name in PEOPLE}
    users.close()
    settings = Settings.from_env(users_db=path, web_host="0.0.0.0", query_timeout=10)
    with TestClient(create_app(settings, store=demo_store), base_url=LOCAL) as client:

        def call(method, url, who, **kwargs):
            headers = {"authorization": f"Bearer {tokens[who]}"}
            return client.request(method, url, headers=headers, follow_redirects=False,
                                  **kwargs)

        yield call, path


def test_the_api_saves_lists_opens_and_deletes(web):
    call, path = web
    body = {"name": "Meridian", "url": f"/explore?focus={RISK.customer}", "note": "complaints"}
    r = call("POST", "/api/views", "olga", json=body)
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["owner"] == "olga" and view["team"] == "officer" and view["shared"] == "team"
    assert view["link"] == f"/views/{view['id']}"

    listed = call("GET", "/api/views", "otto").json()
    assert listed["team"] == "officer"
    assert [(v["id"], v["mine"]) for v in listed["views"]] == [(view["id"], False)]
    assert call("GET", "/api/views", "rita").json()["views"] == []
    assert call("GET", f"/api/views/{view['id']}", "otto").json()["url"] == body["url"]

    opened = call("GET", view["link"], "otto")
    assert opened.status_code == 303 and opened.headers["location"] == body["url"]
    for outsider in ("rita", "pia"):
        assert call("GET", view["link"], outsider).status_code == 404
        assert call("GET", f"/api/views/{view['id']}", outsider).status_code == 404

    assert call("DELETE", f"/api/views/{view['id']}", "otto").status_code == 403
    assert call("DELETE", f"/api/views/{view['id']}", "ada").status_code == 403
    assert call("DELETE", f"/api/views/{view['id']}", "olga").status_code == 200
    assert call("GET", view["link"], "olga").status_code == 404

    conn = connect(path)
    try:
        trail = [(e["action"], e["actor"]) for e in audit.events(conn, action="view")]
    finally:
        conn.close()
    assert trail == [("view.delete", "olga"), ("view.save", "olga")]


def test_the_api_refuses_what_is_not_a_view(web):
    call, _ = web
    for body in [{"name": "x", "url": "https://evil.example/"},
                 {"name": "x", "url": "/explore", "shared": "world"},
                 {"name": "", "url": "/explore"}]:
        r = call("POST", "/api/views", "olga", json=body)
        assert r.status_code in (400, 422), r.text
        assert r.json()["error"]["message"]
    assert call("GET", "/api/views/..%2Fx", "olga").status_code in (404, 422)


def test_the_saved_views_page_lists_mine_and_my_team_s(web):
    call, _ = web
    call("POST", "/api/views", "olga", json={"name": "Meridian risk", "url": "/explore"})
    call("POST", "/api/views", "rita", json={"name": "Thermostat spike", "url": "/queries"})
    page = call("GET", "/views", "otto").text
    assert "Meridian risk" in page and "Thermostat spike" not in page
    admin = call("GET", "/views", "ada").text
    assert "Meridian risk" in admin and "Thermostat spike" in admin


# -- the CLI -----------------------------------------------------------------------------------
def test_erm_view_saves_lists_and_deletes(people, monkeypatch):
    _, _, path = people
    monkeypatch.setenv("ERM_USERS_DB", str(path))
    runner = CliRunner()

    def erm(*args):
        done = runner.invoke(cli_app, ["view", *args])
        return done.exit_code, done.output

    code, out = erm("save", "Meridian", f"/explore?focus={RISK.customer}", "--user", "olga",
                    "--note", "for Monday")
    assert code == 0 and "shared with team officer" in out, out
    code, out = erm("list", "--user", "otto", "--json")
    (view,) = json.loads(out)
    assert view["owner"] == "olga" and view["note"] == "for Monday"
    code, out = erm("list", "--user", "rita", "--json")
    assert json.loads(out) == []
    code, out = erm("delete", view["id"], "--user", "otto")
    assert code != 0 and "only its owner" in out
    code, out = erm("save", "x", "https://evil.example/", "--user", "olga")
    assert code != 0 and "url" in out
    code, out = erm("list", "--user", "nobody")
    assert code != 0 and "no user 'nobody'" in out
    assert erm("delete", view["id"], "--user", "olga")[0] == 0
    assert json.loads(erm("list", "--json")[1]) == []
