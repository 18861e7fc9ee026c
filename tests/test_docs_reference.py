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


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_relative_links_resolve(doc):
    text = read(doc)
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (DOCS / target).resolve().exists(), f"{doc} links to missing {target}"


def test_readme_ends_with_the_documentation_links():
    section = README.split("## Documentation", 1)
    assert len(section) == 2, "README.md needs a `## Documentation` section"
    linked = set(re.findall(r"\]\((docs/[^)#]+)", section[1]))
    on_disk = {f"docs/{p.name}" for p in DOCS.glob("*.md")}
    assert on_disk <= linked, f"not linked from README: {sorted(on_disk - linked)}"
    for target in linked:
        assert (ROOT / target).exists(), target
