"""`erm view list|save|delete`: the saved views of the web app (explorer, map and query views
with a note), kept in the security file beside the users (see docs/security.md)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from erm_graph.auth.saved_views import SavedViews
from erm_graph.auth.users import LOCAL_ADMIN, Principal, Users
from erm_graph.cli.root import app, command, console
from erm_graph.cli.users import _users_path
from erm_graph.errors import ErmError

view_app = typer.Typer(help="Saved views of the web app: named explorer, map and query views "
                            "with a note, shared with the owner's team (its role).",
                       no_args_is_help=True)
app.add_typer(view_app, name="view")

User = Annotated[str | None, typer.Option(
    "--user", help="act as this user of the web app (its role is its team); default: the "
                   "local admin that `erm serve` on 127.0.0.1 with no users runs as")]


def _opened(ctx: typer.Context, user: str | None) -> tuple[SavedViews, Principal]:
    path = _users_path(ctx)
    views = SavedViews.open(path)
    if user is None or user == LOCAL_ADMIN.name:
        return views, LOCAL_ADMIN
    found = Users(views.conn, path).get(user)
    if found is None:
        views.close()
        raise ErmError(f"no user {user!r}; see `erm users list`")
    return views, found


@command("list", group=view_app)
def list_views(ctx: typer.Context, user: User = None,
               as_json: Annotated[bool, typer.Option("--json", help="JSON, one object per view "
                                                                    "in a list")] = False) -> None:
    """The views USER may open (theirs, their team's; an admin: every view), theirs first."""
    views, principal = _opened(ctx, user)
    try:
        found = views.visible(principal)
    finally:
        views.close()
    if as_json:
        print(json.dumps([v.as_dict() for v in found], indent=2))
        return
    table = Table("id", "name", "kind", "owner", "shared", "url", "note")
    for v in found:
        table.add_row(v.id, v.name, v.kind, v.owner, v.shared if v.shared == "private"
                      else f"team {v.team}", v.url, v.note)
    console.print(table)
    if not found:
        console.print("No saved views: save one with `erm view save NAME URL` or the web "
                      "app's Save view button.")


@command(group=view_app)
def save(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="what people call the view")],
    url: Annotated[str, typer.Argument(help="the page's path and query, as in the browser: "
                                            "'/explore?focus=cust-000002', '/map/UID', "
                                            "'/queries?name=customer-360&uid=cust-000002'")],
    note: Annotated[str, typer.Option(help="why it is worth opening again")] = "",
    private: Annotated[bool, typer.Option("--private", help="only USER (and admins) see it, "
                                                            "not USER's team")] = False,
    user: User = None,
) -> None:
    """Save a view as USER's (a view of theirs with the same name is replaced)."""
    views, principal = _opened(ctx, user)
    try:
        view = views.save(principal, name, url, note=note,
                          shared="private" if private else "team")
    finally:
        views.close()
    console.print(f"Saved {view.name!r} ({view.kind}) as /views/{view.id}, "
                  f"{'private' if private else 'shared with team ' + view.team}.")


@command(group=view_app)
def delete(ctx: typer.Context,
           view_id: Annotated[str, typer.Argument(help="the view's id (`erm view list`)")],
           user: User = None) -> None:
    """Delete a view; only its owner may."""
    views, principal = _opened(ctx, user)
    try:
        view = views.delete(principal, view_id)
    finally:
        views.close()
    console.print(f"Deleted {view.name!r}.")
