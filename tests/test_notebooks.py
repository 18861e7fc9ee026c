"""The analysis notebooks run top to bottom on the embedded demo, and are stored without outputs.

Each notebook is executed with nbclient in a kernel of this very interpreter (a ``python3``
kernel spec written to a temporary JUPYTER_PATH, so a kernel installed elsewhere on the machine
is never picked up). All three share one temporary database: the first loads the demo, the
others find it loaded (``load_demo`` is idempotent).
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

from erm_graph.store import open_store

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: seconds one cell may run; the whole of a notebook takes a few seconds on the small demo
CELL_TIMEOUT = 120


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
def test_notebook_uses_public_apis_and_the_demo(path):
    book = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    first = next(c.source for c in book.cells if c.cell_type == "code")
    assert 'os.environ.get("ERM_DB")' in first and 'load_demo(store, "small")' in first
    assert not re.search(r"^\s*(from|import)\s+\S*\._", code, re.M), "imports a private module"
    assert not re.search(r"import\s+_|\bimport .*\b_[a-z]", code), "imports a private name"
    assert code.rstrip().endswith("store.close()  # the embedded engine stops when its last "
                                  "user closes it")


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory, monkeypatch_module):
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (erm-graph tests)", "language": "python"}))
    monkeypatch_module.setenv("JUPYTER_PATH", str(jupyter))
    db = f"embedded:{tmp_path_factory.mktemp('nb') / 'db'}"
    monkeypatch_module.setenv("ERM_DB", db)
    yield jupyter
    # a notebook that failed before its last cell left the engine running: the last user to
    # close it stops it
    open_store(db).close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, kernel_env, tmp_path):
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}")
    errors = [out for cell in book.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    # every code cell ran, and the ones that end in an expression showed something
    assert all(c.execution_count for c in book.cells if c.cell_type == "code")
