"""The test corpus, file by file, as a person would load it: loaded cleanly, loaded with notes,
or refused, per format (issue 13's closing figures). docs/loaders.md "The test corpus, file by
file" holds the table this test makes, between its markers; the test fails when the two differ,
so the doc cannot go stale. After a loader or the corpus changes, write the table again with
``ERM_WRITE_CORPUS_TABLE=1 pytest tests/test_corpus_outcomes.py`` and read the diff.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.errors import ErmError
from tests import vsdx_files

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
DOC = ROOT / "docs" / "loaders.md"
pytestmark = pytest.mark.slow  # some 30 loads, the Visio attacks among them

START, END = "<!-- corpus-outcomes: start -->", "<!-- corpus-outcomes: end -->"


def corpus(folder: Path) -> Iterator[tuple[str, str, list[Path]]]:
    """(format, where its files come from, the files): every file the tests ship or write."""
    yield ("BPMN", "`tests/corpus/*.bpmn`, `tests/corpus/bpmn/`",
           sorted([*CORPUS.glob("*.bpmn"), *CORPUS.glob("bpmn/*.bpmn")]))
    yield ("draw.io", "`tests/corpus/*.drawio`, `tests/corpus/drawio/`",
           sorted([*CORPUS.glob("*.drawio"), *CORPUS.glob("drawio/*.drawio")]))
    good = vsdx_files.corpus(folder)
    bad = {name: path for name, (path, _) in vsdx_files.hostile(folder).items()}
    yield ("Visio", "`tests/vsdx_files.py`: 3 drawings and 11 hostile packages",
           [*good.values(), *bad.values()])
    yield "Mermaid", "`tests/corpus/*.mmd`", sorted(CORPUS.glob("*.mmd"))
    yield "YAML map", "`tests/corpus/*.yaml`", sorted(CORPUS.glob("*.yaml"))
    yield "table", "`tests/corpus/table/` (one folder)", [CORPUS / "table"]
    yield "mapping", "`tests/corpus/crm/`, `tests/corpus/erp/`", [CORPUS / "crm" / "crm.yaml",
                                                                   CORPUS / "erp" / "erp.yaml"]


def outcome(store, path: Path) -> str:
    store.clear()
    try:
        report = load(store, path)
    except ErmError:
        return "refused"
    return "with notes" if report.notes else "cleanly"


def table(store, folder: Path) -> str:
    lines = ["| format | files | loaded cleanly | loaded with notes | refused | from |",
             "|---|---:|---:|---:|---:|---|"]
    for fmt, where, paths in corpus(folder):
        found = {path.name: outcome(store, path) for path in paths}
        counts = [sum(o == kind for o in found.values())
                  for kind in ("cleanly", "with notes", "refused")]
        lines.append(f"| {fmt} | {len(paths)} | {counts[0]} | {counts[1]} | {counts[2]} "
                     f"| {where} |")
    return "\n".join(lines)


def test_the_doc_holds_the_corpus_outcomes_as_they_are(store, tmp_path):
    made = table(store, tmp_path)
    text = DOC.read_text(encoding="utf-8")
    found = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert found, f"docs/loaders.md needs the markers {START} ... {END}"
    if os.environ.get("ERM_WRITE_CORPUS_TABLE") and found[1] != made:
        DOC.write_text(text.replace(found[1], made), encoding="utf-8")
        return
    assert found[1] == made, ("the corpus loads otherwise than docs/loaders.md says: "
                              "ERM_WRITE_CORPUS_TABLE=1 pytest tests/test_corpus_outcomes.py "
                              "writes the table\n" + made)
