"""`erm users add|list|link|remove|token` and `erm audit`: who may use the web app, and what was
done. Users live in the security file beside the data (see docs/security.md)."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from erm_graph.auth import audit
from erm_graph.auth.db import connect, users_db_path
from erm_graph.auth.me import check_employee
from erm_graph.auth.roles import ROLE_TITLES, ROLES
from erm_graph.auth.throttle import LoginThrottle
from erm_graph.auth.users import Users
from erm_graph.cli.root import app, command, console, err_console, opened_store, settings_of
from erm_graph.errors import ErmError

users_app = typer.Typer(help="Users of the web app, their API tokens and the employee each "
                             "staff user is (`erm users link`).", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _users_path(ctx: typer.Context) -> Path:
    """The security file of ``--db`` (or ``ERM_USERS_DB``)."""
    settings = settings_of(ctx)
    return users_db_path(settings.db, settings)


def _users(ctx: typer.Context) -> Users:
    return Users.open(_users_path(ctx))


@command(group=users_app)
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="user name (letters, digits, . _ @ -)")],
    role: Annotated[str, typer.Option(help="one of " + ", ".join(
        f"{r} ({ROLE_TITLES[r]})" if ROLE_TITLES[r].lower() != r else r for r in ROLES)
        + "; what each may do: docs/security.md")],
    party: Annotated[str | None, typer.Option(
        help="a partner's Party uid: it sees only what concerns that Party")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="read the password from standard input (for scripts)")]
    = False,
) -> None:
    """Add a user. The password is asked twice (or read from stdin), never taken as an
    argument, and only its argon2 hash is stored."""
    if role == "partner" and party:
        from erm_graph.query.explore import find_node

        with opened_store(ctx) as store:
            node = find_node(store, party)
        if "Party" not in node.labels:
            raise ErmError(f"{party!r} is a {node.label}, not a Party")
    if password_stdin:
        line = sys.stdin.readline()
        if not line:  # not an empty password: the input ended (or was closed) unread
            raise ErmError("the standard input ended before a password was read from it")
        password = line.rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    users = _users(ctx)
    try:
        users.add(name, role, password=password, party=party)
    finally:
        users.close()
    console.print(f"Added {name} ({role}{', party ' + party if party else ''}) to "
                  f"{users.path}.")


@command(group=users_app)
def list(ctx: typer.Context) -> None:  # noqa: A001  (the command's name)
    """The users, their roles, partners' parties, staff users' employees (`erm users link`)
    and how many API tokens each holds."""
    users = _users(ctx)
    try:
        rows = users.listing()
    finally:
        users.close()
    table = Table("name", "role", "party", "employee", "tokens", "created")
    for r in rows:
        table.add_row(r["name"], r["role"], r["party"] or "", r["employee"] or "",
                      str(r["tokens"]), r["created_at"])
    console.print(table)
    if not rows:
        console.print("No users: `erm serve` on 127.0.0.1 runs as a single local admin.")


@command(group=users_app)
def link(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="user name")],
    employee: Annotated[str | None, typer.Argument(
        help="the Employee's uid (the explorer or `erm query run who-touches` finds it)")]
    = None,
    unlink: Annotated[bool, typer.Option("--unlink", help="remove the user's link instead")]
    = False,
) -> None:
    """Link a staff user to the Employee they are, so their dashboards' "my ..." tiles (my
    customers at risk, my open cases) show their own records and the account page's warm
    paths start from them. Without a link, a user whose name is an Employee's uid or e-mail
    is that Employee; any other user's "my ..." tiles say they are not linked. A partner is
    never linked.

        erm users link ana emp-000042
        erm users link ana --unlink
    """
    if unlink == (employee is not None):
        raise ErmError("give an EMPLOYEE uid to link, or --unlink to remove the link")
    if employee is not None:
        with opened_store(ctx) as store:
            check_employee(store, employee)
    users = _users(ctx)
    try:
        users.link_employee(name, employee)
    finally:
        users.close()
    console.print(f"Linked {name} to employee {employee}." if employee
                  else f"{name} is linked to no employee.")


@command(group=users_app)
def remove(ctx: typer.Context, name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """Remove a user with its API tokens and sessions."""
    users = _users(ctx)
    try:
        users.remove(name)
    finally:
        users.close()
    console.print(f"Removed {name}.")


@command(group=users_app)
def token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="user name")],
    revoke: Annotated[bool, typer.Option("--revoke", help="revoke all of the user's tokens "
                                                          "instead")] = False,
) -> None:
    """Create an API token (shown once; send it as `Authorization: Bearer TOKEN`)."""
    users = _users(ctx)
    try:
        if revoke:
            console.print(f"Revoked {users.revoke_tokens(name)} "
                          f"token(s) of {name}.")
            return
        secret = users.new_token(name)
    finally:
        users.close()
    err_console.print("The token is shown once; only its digest is kept:")
    print(secret)


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@command("audit")
def audit_(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="a date, a time or an age (90m, 12h, 7d)")]
    = None,
    user: Annotated[str | None, typer.Option(help="events by or about this user")] = None,
    action: Annotated[str | None, typer.Option(
        help="events whose action starts with this (load, demo, import, copy, reset, edit, "
             "owner, cypher, query, analytics, login, user, token)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="most events shown")] = 200,
    fmt: Annotated[AuditFormat, typer.Option("--format", "-f")] = AuditFormat.table,
) -> None:
    """The audit trail, newest first: loads, demo loads, imports, copies, resets, edits,
    owner changes, Cypher and named queries run with --write, analytics written back, user
    changes, logins and failed logins."""
    path = _users_path(ctx)
    if not path.exists():
        raise ErmError(f"no audit trail yet at {path} (nothing has been written)")
    conn = connect(path)
    try:
        LoginThrottle().flush(conn)  # blocked login windows that ended are events now
        rows = audit.events(conn, since=since, user=user, action=action, limit=limit)
    finally:
        conn.close()
    if fmt == AuditFormat.json:
        print(json.dumps(rows, indent=2))
    elif fmt == AuditFormat.csv:
        writer = csv.DictWriter(sys.stdout, audit.COLUMNS)
        writer.writeheader()
        writer.writerows([r | {"detail": json.dumps(r["detail"])} for r in rows])
    else:
        table = Table(*audit.COLUMNS[1:])
        for r in rows:
            table.add_row(r["at"][:19], r["actor"], r["action"], r["target"], r["outcome"],
                          r["source"], json.dumps(r["detail"])[:80])
        console.print(table)
