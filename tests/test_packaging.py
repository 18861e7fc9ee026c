"""The folders at the repository root (loaders/, cypher/, schemas/) install as sub-packages.

pyproject.toml maps ``erm_graph.loaders``, ``erm_graph.cypher`` and ``erm_graph.schemas`` to
them with ``package-dir``; the wheel test builds and installs a real wheel and loads files with
it from outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from erm_graph.resources import shipped_dir

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MAPPED = {"erm_graph.loaders": "loaders", "erm_graph.cypher": "cypher",
          "erm_graph.schemas": "schemas"}


def test_every_package_is_listed():
    """A mapped folder hides from packages.find, so the list is by hand: nothing may be missed."""
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "erm_graph").rglob("__init__.py")}
    for package, folder in MAPPED.items():  # their sub-packages (loaders/mapping/) too
        found |= {".".join((package, *p.parent.relative_to(ROOT / folder).parts))
                  for p in (ROOT / folder).rglob("__init__.py")}
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == found | set(MAPPED)
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == MAPPED


def test_shipped_folders_are_the_root_folders_without_links():
    for package, folder in MAPPED.items():
        assert shipped_dir(package.split(".")[1]) == ROOT / folder
        assert not any(p.is_symlink() for p in (ROOT / folder).rglob("*")), folder
    assert not any(p.is_symlink() for p in (ROOT / "erm_graph").rglob("*"))


@pytest.mark.slow
def test_wheel_loads_files_outside_the_checkout(tmp_path):
    """Build the wheel, install it alone in a scratch venv (the dependencies come from this
    venv's site-packages through a .pth line) and load corpus files from another folder."""
    wheels, venv, work = tmp_path / "whl", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    # built from a copy: setuptools builds in the tree, and a stale build/ would leak into it
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".*", "build", "dist", "*.egg-info", "__pycache__", "node_modules", "tools", "tests",
        "bench", "notebooks", "data", "test-artifacts"))
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", wheels, src], check=True,
                   capture_output=True, timeout=240)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index",
                    *wheels.glob("erm_graph-*.whl")], check=True, capture_output=True,
                   timeout=120)
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    # a plain path line: this venv's editable-install hook (a .pth of its own) is not run
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERM_", "PYTHON"))}
    env["ERM_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    where = run(str(python), "-c", "import erm_graph.loaders.bpmn as b, erm_graph.resources as r;"
                "print(b.__file__); print(r.shipped_dir('cypher'))")
    assert str(ROOT) not in where and where.count(str(site)) == 2, where
    erm, db = str(venv / "bin" / "erm"), f"embedded:{tmp_path / 'db'}"
    run(erm, "--db", db, "load", str(CORPUS / "camunda_order.bpmn"), str(CORPUS / "support.mmd"))
    run(erm, "--db", db, "load", str(CORPUS / "crm" / "crm.yaml"))  # mapping: schemas/
    assert "customer-360" in run(erm, "--db", db, "query", "list")  # cypher/
    assert '"n": 0' not in run(erm, "--db", db, "cypher", "MATCH (s:Step) RETURN count(s) AS n",
                               "-f", "json")
