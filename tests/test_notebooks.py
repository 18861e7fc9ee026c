"""The analysis notebooks run top to bottom on an existing library, and are stored without outputs.

Each notebook is executed with nbclient in a kernel of this very interpreter (a ``python3``
kernel spec written to a temporary JUPYTER_PATH, so a kernel installed elsewhere on the machine
is never picked up). All three read one temporary library that already holds data (the demo
enterprise of another seed, so that the notebooks' own demo, seed 7, would show if they loaded
it) and must leave it as they found it; with ``ERM_NOTEBOOK_DEMO=1`` a notebook builds a
scratch demo of its own and leaves ``ERM_DB`` alone.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from erm_graph.demo import load_demo
from erm_graph.store import open_store

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: seconds one cell may run; the whole of a notebook takes a few seconds on the small demo
CELL_TIMEOUT = 120
#: the seed of the library the notebooks read: not the demo's default (7), which they would load
LIBRARY_SEED = 11


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01-relationship-map.ipynb", "02-customer-knowledge.ipynb", "03-network-analysis.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    dirty = [i for i, cell in enumerate(book.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert dirty == [], (f"{path.name}: cells {dirty} hold outputs; clear them before "
                         "committing (Jupyter: Edit > Clear All Outputs)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_public_apis_and_reads_erm_db(path):
    book = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    first = next(c.source for c in book.cells if c.cell_type == "code")
    assert 'os.environ.get("ERM_DB")' in first
    assert 'DEMO = os.environ.get("ERM_NOTEBOOK_DEMO") == "1"' in first
    assert "proc-" not in code and "cust-0" not in code, "no uid of the demo: any library"
    assert not re.search(r"^\s*(from|import)\s+\S*\._", code, re.M), "imports a private module"
    assert not re.search(r"import\s+_|\bimport .*\b_[a-z]", code), "imports a private name"
    assert code.rstrip().endswith("store.close()  # the embedded engine stops when its last "
                                  "user closes it")


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory, monkeypatch_module):
    """A kernel spec, and ERM_DB naming a library that already holds data. Yields the open
    library: the kernels share its engine, and the tests read it after each notebook."""
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (erm-graph tests)", "language": "python"}))
    monkeypatch_module.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch_module.delenv("ERM_NOTEBOOK_DEMO", raising=False)
    db = f"embedded:{tmp_path_factory.mktemp('nb') / 'db'}"
    monkeypatch_module.setenv("ERM_DB", db)
    library = open_store(db)
    load_demo(library, "small", seed=LIBRARY_SEED)
    yield library
    library.close()


def fingerprint(store) -> tuple:
    """What a load into ``store`` would change: counts, and every node's uid, name and the
    source that wrote it."""
    nodes = store.run("MATCH (n) RETURN n.uid, n.name, n.source ORDER BY n.uid").rows
    edges = store.run("MATCH ()-[r]->() RETURN count(r)").rows[0][0]
    return len(nodes), edges, hash(repr(nodes))


def execute(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}")
    return book


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_on_the_library_without_loading_the_demo(
        path, kernel_env, tmp_path):
    library = kernel_env
    before = fingerprint(library)
    assert before[0] > 100
    book = execute(path, tmp_path)
    errors = [out for cell in book.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    # every code cell ran, and the ones that end in an expression showed something
    assert all(c.execution_count for c in book.cells if c.cell_type == "code")
    printed = "".join(out.get("text", "") for out in book.cells[1].outputs)
    assert library.location in printed, "the notebook read ERM_DB"
    assert fingerprint(library) == before, "the notebook changed the library"
    assert library.run("MATCH (n {source: 'demo:7'}) RETURN count(n)").rows[0][0] == 0


@pytest.mark.slow
def test_a_notebook_asked_for_the_demo_builds_a_scratch_one_and_leaves_erm_db_alone(
        kernel_env, tmp_path, monkeypatch):
    empty = tmp_path / "untouched"
    monkeypatch.setenv("ERM_DB", f"embedded:{empty}")
    monkeypatch.setenv("ERM_NOTEBOOK_DEMO", "1")
    book = execute(NOTEBOOKS[0], tmp_path)
    printed = "".join(out.get("text", "") for out in book.cells[1].outputs)
    assert "erm-notebook-" in printed and str(empty) not in printed
    assert not empty.exists(), "ERM_DB was not even opened"


@pytest.mark.slow
def test_a_notebook_on_an_empty_library_says_how_to_fill_it(kernel_env, tmp_path, monkeypatch):
    monkeypatch.setenv("ERM_DB", f"embedded:{tmp_path / 'empty'}")
    book = nbformat.read(NOTEBOOKS[1], as_version=4)
    first = next(i for i, c in enumerate(book.cells) if c.cell_type == "code")
    book.cells = book.cells[:first + 1]
    client = NotebookClient(book, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError, match=r"(?s)holds no records.*erm load.*DEMO = True"):
        client.execute()
