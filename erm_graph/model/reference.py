"""The data model's reference as markdown: the tables of docs/data-model.md, and what
``erm model show --markdown`` prints for a library whose vocabulary is extended.

One renderer for both, so an enterprise's own reference reads like the built-in one.
"""

from __future__ import annotations

from erm_graph.model.effective import Vocabulary
from erm_graph.model.vocabulary import COMMON_PROPS, SYSTEM_PROPS, Kind, Prop


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def prop_type(prop: Prop) -> str:
    bits = [prop.kind.value]
    if prop.minimum is not None or prop.maximum is not None:
        low = "" if prop.minimum is None else f"{prop.minimum:g}"
        high = "" if prop.maximum is None else f"{prop.maximum:g}"
        bits.append(f"{low}..{high}")
    return " ".join(bits)


def rel_prop(prop: Prop) -> str:
    """A relationship property's type, and its allowed values when it has a list of them."""
    if not prop.choices:
        return prop_type(prop)
    return f"{prop_type(prop)}: one of " + ", ".join(f"`{c}`" for c in prop.choices)


def prop_table(props: dict[str, Prop]) -> list[str]:
    lines = ["| property | type | required | allowed values | meaning |",
             "|---|---|---|---|---|"]
    for name, prop in props.items():
        choices = ", ".join(f"`{c}`" for c in prop.choices)
        lines.append(f"| `{name}` | {cell(prop_type(prop))} | {'yes' if prop.required else ''} "
                     f"| {choices} | {cell(prop.help)} |")
    return lines


def extension_summary(vocabulary: Vocabulary) -> list[str]:
    """What the extension adds, as a list; nothing for the built-in vocabulary."""
    extension = vocabulary.extension
    if extension is None:
        return []
    out = [f"Extended by the model extension `{extension.path}`"
           + (f": {cell(extension.description)}" if extension.description else "."), ""]
    for kind, names in extension.names().items():
        if names:
            out.append(f"- {kind}: {', '.join(f'`{n}`' for n in names)}")
    return [*out, ""]


def data_model_tables(vocabulary: Vocabulary) -> str:
    """The labels, relationship types and properties of ``vocabulary`` as markdown tables."""
    out = [*extension_summary(vocabulary),
           "### Properties of every node", "", *prop_table(COMMON_PROPS), "",
           "The store also keeps `content_hash` (for change detection: a digest of a node's "
           "label and properties, or its loader's fingerprint of the row it came from; a "
           "relationship has one when it has properties) on what it writes; loaders may not set "
           f"{', '.join(f'`{p}`' for p in SYSTEM_PROPS)}.", "",
           "### Node labels", "",
           "| label | carried with | uid found through | what it is |", "|---|---|---|---|"]
    for lab in vocabulary.labels.values():
        out.append(f"| `{lab.name}` | {f'`{lab.parent}`' if lab.parent else ''} | "
                   f"`{lab.key_label}` | {cell(lab.help)} |")
    out += ["", "### Relationship types", "",
            "| type | from | to | properties | what it means |", "|---|---|---|---|---|"]
    for rel in vocabulary.relationships.values():
        props = ", ".join(f"`{n}` ({rel_prop(p)})" for n, p in rel.props.items())
        out.append(f"| `{rel.name}` | {', '.join(f'`{s}`' for s in rel.starts)} | "
                   f"{', '.join(f'`{e}`' for e in rel.ends)} | {props} | {cell(rel.help)} |")
    out += ["", "### Properties per label", ""]
    seen: dict[tuple[tuple[str, str], ...], str] = {}
    for lab in vocabulary.labels.values():
        specific = {k: v for k, v in lab.props.items() if k not in COMMON_PROPS
                    or v != COMMON_PROPS[k]}
        out.append(f"#### `{lab.name}`")
        out.append("")
        key = tuple(sorted((k, repr(v)) for k, v in specific.items()))
        if key in seen:
            out += [f"The same properties as `{seen[key]}`.", ""]
            continue
        seen[key] = lab.name
        out += [*prop_table(specific), ""]
    kinds = ", ".join(f"`{k.value}`" for k in Kind)
    out += [f"Types: {kinds}. Dates and times are ISO-8601 strings, so that both engines "
            "compare and sort them alike."]
    return "\n".join(out)
