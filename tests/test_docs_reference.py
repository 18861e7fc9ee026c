"""The reference docs follow the code: the data model, the query library, the links."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from erm_graph import model
from erm_graph.query import load_library
from erm_graph.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_generated_docs_are_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_docs.py"), "--check"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr +
                                  "\nrun `python tools/gen_docs.py` and commit the result")


def test_every_label_and_relationship_type_is_in_the_data_model():
    text = read("data-model.md")
    missing = [f"label {name}" for name in model.LABELS if f"`{name}`" not in text]
    missing += [f"type {name}" for name in model.RELATIONSHIPS if f"`{name}`" not in text]
    for lab in model.LABELS.values():
        missing += [f"{lab.name}.{prop}" for prop in lab.props if f"`{prop}`" not in text]
    assert missing == []


def test_every_allowed_value_of_every_choice_property_is_in_the_data_model():
    """A CRM user reads what a stage, a kind or a status may be in the data model: each
    value in the row of its property (a label's table) or of its relationship type."""
    text = read("data-model.md")
    sections = dict(re.findall(r"\n#### `(\w+)`\n(.*?)(?=\n#### |\Z)", text, re.S))
    rows = {m[0]: m[1] for m in re.findall(r"\n\| `([A-Z_]+)` \|(.*)", text)}
    missing = []
    for lab in model.LABELS.values():
        section = sections[lab.name]
        if section.startswith("\nThe same properties as"):
            section = sections[re.search(r"`(\w+)`", section)[1]]
        for name, prop in lab.props.items():
            row = re.search(rf"\n\| `{name}` \|(.*)", section)
            missing += [f"{lab.name}.{name}={c}" for c in prop.choices
                        if not row or f"`{c}`" not in row[1]]
    for rel in model.RELATIONSHIPS.values():
        missing += [f"{rel.name}.{name}={c}" for name, prop in rel.props.items()
                    for c in prop.choices if f"`{c}`" not in rows[rel.name]]
    assert missing == []


def test_every_named_query_has_a_reference_entry():
    text = read("query-reference.md")
    for query in load_library():
        assert f"\n## {query.name}\n" in text
        for param in query.params:
            assert f"| `{param}` |" in text, f"{query.name}: parameter {param}"


def test_deployment_names_every_database_setting_and_url_form():
    text = read("deployment.md")
    for setting in SETTINGS:
        if setting.env.startswith(("ERM_NEO4J", "ERM_DB")) or setting.env == "ERM_QUERY_TIMEOUT":
            assert f"`{setting.env}`" in text, setting.env
    for url in ("bolt://", "neo4j://", "neo4j+s://", "falkordb://"):
        assert url in text
    assert "docker compose up -d" in text and "--profile falkordb" in text


def test_scaling_says_what_changes():
    text = read("scaling.md")
    assert "URL" in text and "ERM_DB" in text
    assert "deployment.md" in text


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (lower case, punctuation but
    hyphens dropped, spaces as hyphens, a repeated one numbered -1, -2...), and its own
    ``<a id=...>`` / ``<a name=...>``."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    found: set[str] = set(re.findall(r"<a (?:id|name)=\"([^\"]+)\"", text))
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", text, re.M):
        heading = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(f"{slug}-{n}" if n else slug)
    return found


def test_anchors_are_made_as_github_makes_them(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# The data model\n## Owners: one responsible person per component\n"
                    "#### `Party`\n## Why not the `vsdx` library?\n## Notes\n## Notes\n"
                    "```\n# not a heading\n```\n<a id=\"kept\"></a>\n")
    assert anchors(page) == {"the-data-model", "owners-one-responsible-person-per-component",
                             "party", "why-not-the-vsdx-library", "notes", "notes-1", "kept"}


MARKDOWN = sorted([*(f"docs/{p.name}" for p in DOCS.glob("*.md")), "README.md"])


@pytest.mark.parametrize("doc", MARKDOWN)
def test_relative_links_resolve(doc):
    """Every relative link names a file that exists, and an anchor that file (or this one,
    for ``#anchor``) has."""
    path = ROOT / doc
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        linked = (path.parent / target).resolve() if target else path
        assert linked.exists(), f"{doc} links to missing {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), \
                f"{doc} links to {target or doc}#{anchor}, a heading it does not have"


def test_readme_ends_with_the_documentation_links():
    section = README.split("## Documentation", 1)
    assert len(section) == 2, "README.md needs a `## Documentation` section"
    linked = set(re.findall(r"\]\((docs/[^)#]+)", section[1]))
    on_disk = {f"docs/{p.name}" for p in DOCS.glob("*.md")}
    assert on_disk <= linked, f"not linked from README: {sorted(on_disk - linked)}"
    for target in linked:
        assert (ROOT / target).exists(), target
