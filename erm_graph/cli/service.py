"""`erm article add|edit|search|show|link`, `erm case suggest|dispatch|targets`: customer
service on the command line (docs/service.md): the solutions knowledge base, dispatch and
service targets. Writes are checked by the model and audited with before and after."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from erm_graph.cli.actions import case_app
from erm_graph.cli.edit import JsonOption, said
from erm_graph.cli.output import Format, FormatOption, show
from erm_graph.cli.root import app, command, opened_store
from erm_graph.edit import service as edit_service
from erm_graph.query import service as reads
from erm_graph.store import QueryResult

article_app = typer.Typer(
    help="The solutions knowledge base: `erm article add TITLE BODY --keywords ... --about "
         "PRODUCT`, `search WORDS`, `show ARTICLE`, `link ARTICLE PRODUCT|STEP|CASE`. "
         "`erm case suggest CASE` offers articles for a case. Audited (`erm audit --action "
         "article`).",
    no_args_is_help=True)
app.add_typer(article_app, name="article")

Keywords = Annotated[str | None, typer.Option(
    help="symptom words, comma-separated (\"no power, reset\")")]


def _table(rows: list[dict[str, Any]], columns: list[str], fmt: Format) -> None:
    show(QueryResult(columns, [[_cell(r.get(c)) for c in columns] for r in rows]), fmt)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v.get("name") or v.get("uid")) if isinstance(v, dict) else str(v)
                         for v in value)
    return value


@command("add", group=article_app)
def article_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="the problem, as a customer would put it")],
    body: Annotated[str, typer.Argument(help="the solution")],
    keywords: Keywords = None,
    about: Annotated[list[str] | None, typer.Option(
        help="uid of a Product or Step it applies to (repeat)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write an article. Audited as `article.add`.

    Example: `erm article add "Widget will not start" "Hold the reset button" --keywords "no power,
    reset" --about prod-0001`
    """
    with opened_store(ctx) as store:
        said(edit_service.add_article(store, title, body, keywords=keywords,
                                      about=about or []), as_json)


@command("edit", group=article_app)
def article_edit(ctx: typer.Context, article: str,
                 title: Annotated[str | None, typer.Option()] = None,
                 body: Annotated[str | None, typer.Option()] = None,
                 keywords: Keywords = None, as_json: JsonOption = False) -> None:
    """Change ARTICLE's title, body or keywords. Audited as `article.edit`."""
    with opened_store(ctx) as store:
        said(edit_service.edit_article(store, article, title=title, body=body,
                                       keywords=keywords), as_json)


@command("link", group=article_app)
def article_link(
    ctx: typer.Context, article: str,
    to: Annotated[str, typer.Argument(help="uid of a Product or Step it applies to, or a Case "
                                           "it solved")],
    remove: Annotated[bool, typer.Option("--remove", help="remove that link")] = False,
    as_json: JsonOption = False,
) -> None:
    """Link ARTICLE to what it applies to or solved. Audited as `article.link`."""
    with opened_store(ctx) as store:
        said(edit_service.link_article(store, article, to, unlink=remove), as_json)


@command("search", group=article_app)
def article_search(ctx: typer.Context,
                   words: Annotated[str, typer.Argument(help="words to look for")] = "",
                   limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
                   fmt: FormatOption = Format.table) -> None:
    """Articles holding WORDS (in title, body or keywords), those holding most first."""
    with opened_store(ctx) as store:
        rows = reads.search_articles(store, words, limit=limit)
    _table(rows, ["uid", "title", "keywords", "about", "hits"], fmt)


@command("show", group=article_app)
def article_show(ctx: typer.Context, article: str, fmt: FormatOption = Format.table) -> None:
    """One article whole, what it applies to and the cases it solved."""
    with opened_store(ctx) as store:
        row = reads.article(store, article)
    _table([row], ["uid", "title", "body", "keywords", "about", "solved", "updated_at"], fmt)


@command("suggest", group=case_app)
def case_suggest(ctx: typer.Context, case: str,
                 limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
                 fmt: FormatOption = Format.table) -> None:
    """Knowledge-base articles for CASE: same product or step first, then keywords found in
    its summary."""
    with opened_store(ctx) as store:
        rows = reads.suggest_articles(store, case, limit=limit)
    _table(rows, ["uid", "title", "score", "same_topic", "keyword_hits", "about"], fmt)


@command("dispatch", group=case_app)
def case_dispatch(ctx: typer.Context, case: str,
                  department: Annotated[str, typer.Argument(help="uid of a Department")],
                  as_json: JsonOption = False) -> None:
    """Assign CASE to the member of DEPARTMENT with the fewest open cases. Audited as
    `case.assign`."""
    with opened_store(ctx) as store:
        said(edit_service.dispatch_case(store, case, department), as_json)


@command("targets", group=case_app)
def case_targets(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Argument(help="one case (default: every case)")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="measure at this moment, YYYY-MM-DDTHH:MM:SS UTC [default: now]")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only open cases")] = False,
    breached: Annotated[bool, typer.Option("--breached", help="only breached cases")] = False,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    fmt: FormatOption = Format.table,
) -> None:
    """Cases against their service agreements: due times and breaches (docs/service.md)."""
    with opened_store(ctx) as store:
        rows = reads.service_targets(store, as_of=as_of, case=case, open_only=open_only,
                                     breached_only=breached, limit=limit)
    _table(rows, ["uid", "customer", "severity", "status", "agreement", "opened_at",
                  "response_due", "response_breached", "resolution_due",
                  "resolution_breached"], fmt)
