"""`erm model show|check|extend`: the vocabulary in force, and the enterprise's own
extension of it (docs/model-extension.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from erm_graph import model
from erm_graph.cli.root import app, command, console, settings_of
from erm_graph.model.effective import keep
from erm_graph.model.reference import data_model_tables

model_app = typer.Typer(
    help="The data model: its labels, relationship types and properties, and the "
         "enterprise's own extension of it (extra properties, choice values, labels and "
         "relationship types; see docs/model-extension.md).", no_args_is_help=True)
app.add_typer(model_app, name="model")

ExtensionFile = Annotated[Path, typer.Argument(
    help="a model extension (YAML, schemas/model-extension.schema.json)",
    exists=True, dir_okay=False, readable=True)]


@command("show", group=model_app)
def show(
    ctx: typer.Context,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="print the reference tables of docs/data-model.md for this "
                           "library, its extension included")] = False,
) -> None:
    """Show the vocabulary in force for `--db`: the built-in one plus the library's
    extension (ERM_MODEL_EXTENSION, else the one `erm model extend` kept with the data)."""
    vocabulary = model.activate(settings_of(ctx, vocabulary=False))
    if markdown:
        print(data_model_tables(vocabulary))
        return
    extension = vocabulary.extension
    console.print(f"Extension: {extension.path}" if extension else
                  "Extension: none (the built-in vocabulary)", highlight=False, soft_wrap=True)
    added = extension.names() if extension else {}
    labels = Table("label", "properties (+ from the extension)", title="Labels")
    for name, lab in vocabulary.labels.items():
        mark = " +" if name in added.get("labels", ()) else ""
        labels.add_row(f"{name}{mark}", ", ".join(_marked(name, p, added) for p in lab.props))
    console.print(labels)
    types = Table("type", "from", "to", "properties", title="Relationship types")
    for name, rel in vocabulary.relationships.items():
        mark = " +" if name in added.get("relationships", ()) else ""
        types.add_row(f"{name}{mark}", ", ".join(rel.starts), ", ".join(rel.ends),
                      ", ".join(_marked(name, p, added) for p in rel.props))
    console.print(types)


def _marked(owner: str, prop: str, added: dict[str, list[str]]) -> str:
    return f"{prop} +" if f"{owner}.{prop}" in (*added.get("properties", ()),
                                                 *added.get("choices", ())) else prop


@command("check", group=model_app)
def check(path: ExtensionFile) -> None:
    """Check a model extension against its schema and the built-in vocabulary, and say
    what it adds; changes nothing."""
    extension = model.read_extension(path)
    model.extended(extension)
    console.print(f"{path}: a valid model extension", highlight=False, soft_wrap=True)
    for kind, names in extension.names().items():
        if names:
            console.print(f"  {kind}: {', '.join(names)}", highlight=False, soft_wrap=True)


@command("extend", group=model_app)
def extend(ctx: typer.Context, path: ExtensionFile) -> None:
    """Keep a model extension with the embedded library's data (it replaces the one kept
    before), after checking it: every later command, load, web app and export of this
    library uses it. A server's library (Neo4j, FalkorDB) names its extension with
    ERM_MODEL_EXTENSION instead."""
    vocabulary = keep(settings_of(ctx, vocabulary=False), path)
    extension = vocabulary.extension
    assert extension is not None
    console.print(f"Kept the model extension {path} with the data of --db; it adds:",
                  highlight=False, soft_wrap=True)
    for kind, names in extension.names().items():
        if names:
            console.print(f"  {kind}: {', '.join(names)}", highlight=False, soft_wrap=True)
