"""`erm share`, `erm unshare`, `erm shares list`: what a partner sees beyond its own records
(:mod:`erm_graph.edit.sharing`), each share and revocation audited."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from erm_graph.cli.edit import JsonOption, said
from erm_graph.cli.root import app, command, console, opened_store
from erm_graph.edit import sharing
from erm_graph.query.shares import shares

shares_app = typer.Typer(
    help="The records shared with partners: `erm shares list [--partner P] [--record R]`. "
         "Share with `erm share RECORD --with PARTNER`, revoke with `erm unshare`.",
    no_args_is_help=True)
app.add_typer(shares_app, name="shares")

Record = Annotated[str, typer.Argument(help="uid of a customer (party), opportunity or case")]
With = Annotated[str, typer.Option("--with", help="uid of the partner's Party")]
LabelOption = Annotated[str | None, typer.Option(
    help="the record's label, when a uid is used under two labels")]


@command("share")
def share(ctx: typer.Context, record: Record, partner: With, label: LabelOption = None,
          as_json: JsonOption = False) -> None:
    """Share RECORD with a partner: its users see it in their portal, in search and on every
    page, and may update its working fields (docs/partners.md). Audited as `share`.

    Example: `erm share opp-top-001 --with part-000001`
    """
    with opened_store(ctx) as store:
        said(sharing.share(store, record, partner, label=label), as_json)


@command("unshare")
def unshare(ctx: typer.Context, record: Record, partner: With, label: LabelOption = None,
            as_json: JsonOption = False) -> None:
    """Revoke the share of RECORD with a partner: gone from its next request. Audited as
    `unshare`."""
    with opened_store(ctx) as store:
        said(sharing.unshare(store, record, partner, label=label), as_json)


@command("list", group=shares_app)
def list_(
    ctx: typer.Context,
    partner: Annotated[str | None, typer.Option(help="only those shared with this Party")]
    = None,
    record: Annotated[str | None, typer.Option(help="only the shares of this record")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the shares as JSON")] = False,
) -> None:
    """The shares standing now, newest first (revoked ones are in `erm audit --action
    unshare`)."""
    with opened_store(ctx) as store:
        rows = shares(store, record=record, partner=partner)
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    if not rows:
        console.print("Nothing is shared" + (f" with {partner}" if partner else "")
                      + (f" of {record}" if record else "") + ".")
        return
    table = Table("record", "label", "name", "partner", "shared at", "by",
                  title=f"Shares ({len(rows)})")
    for r in rows:
        table.add_row(r["uid"], r["label"], r["name"], f"{r['partner_name']} ({r['partner']})",
                      str(r["at"] or ""), str(r["by"] or ""))
    console.print(table)
