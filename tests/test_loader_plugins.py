"""Loaders from outside the package: a plugin folder (ERM_LOADERS_PATH) and a pip entry point.

Both are real: the folder plugin is a file the registry imports from its path, and the entry
point is a ``*.dist-info/entry_points.txt`` on ``sys.path``, which is all ``importlib.metadata``
reads, exactly as for a distribution pip installed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.ingest import LoadError, LoadOptions, registry

ROOT = Path(__file__).resolve().parents[1]
#: the plugin docs/loaders.md shows, with the pyproject.toml that pip-installs it
EXAMPLE = ROOT / "docs" / "examples" / "steplist"

#: a loader reading one step name per line into a process whose steps follow one another
STEPLIST = '''
from erm_graph.ingest import LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.flowchart import FlowchartBuilder


class StepList:
    format = "{fmt}"
    extensions = (".steps",)
    description = "one step name per line"
    priority = 50

    def detect(self, path, head: bytes, options: LoadOptions) -> bool:
        return path.suffix == ".steps"

    def read(self, source, ctx: LoadContext) -> LoaderResult:
        result = ctx.result(source)
        builder = FlowchartBuilder(result)
        builder.process("list", source.stem, None)
        names = [line.strip() for line in ctx.text(source).splitlines() if line.strip()]
        for n, name in enumerate(names):
            builder.step("list", f"s{{n}}", name, "task", n + 1)
            if n:
                builder.flow("list", f"s{{n - 1}}", f"s{{n}}", n + 1)
        return result


LOADER = StepList()
'''

#: the same loader as written for the contract before LoaderResult: a module of names and a
#: load(source) that filled the Source it was handed
OLD_STYLE = '''
FORMAT = "steplist-old"
EXTENSIONS = (".steps",)
DESCRIPTION = "one step name per line"


def detect(path, head, options):
    return path.suffix == ".steps"


def load(source):
    source.note("never called")
'''


def steps_file(folder: Path) -> Path:
    path = folder / "onboard.steps"
    path.write_text("Call the customer\nOpen the account\nSend the welcome pack\n")
    return path


def count(store, cypher: str) -> int:
    return store.run(cypher, {}).rows[0][0]


def test_folder_plugin_loads_a_file(store, tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "steplist.py").write_text(STEPLIST.format(fmt="steplist-folder"))
    (plugins / "_helper.py").write_text("raise RuntimeError('skipped: starts with _')\n")
    monkeypatch.setenv("ERM_LOADERS_PATH", str(plugins))

    path = steps_file(tmp_path)
    assert registry.detect(path, LoadOptions()).format == "steplist-folder"
    report = load(store, path)
    assert report.labels["Step"].created == 3
    assert count(store, "MATCH (:Step)-[r:NEXT]->(:Step) RETURN count(r)") == 2
    assert count(store, "MATCH (s:Step {name: 'Open the account'}) RETURN count(s)") == 1


def test_folder_plugin_may_not_replace_a_builtin(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text(STEPLIST.format(fmt="bpmn"))
    monkeypatch.setenv("ERM_LOADERS_PATH", str(tmp_path))
    with pytest.raises(LoadError) as refused:
        registry.get("steplist")
    message = str(refused.value)
    assert "'bpmn'" in message and "built-in erm_graph.loaders.bpmn" in message
    assert str(tmp_path / "mine.py") in message


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Installs a loader distribution into a folder on sys.path; returns a writer of its module."""
    site = tmp_path / "site"
    dist_info = site / "erm_steplist-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: erm-steplist\n"
                                        "Version: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[erm_graph.loaders]\nsteplist = erm_test_steplist_loader\n")
    monkeypatch.syspath_prepend(str(site))
    yield lambda text: (site / "erm_test_steplist_loader.py").write_text(text)
    sys.modules.pop("erm_test_steplist_loader", None)


def test_entry_point_loader_loads_a_file(store, tmp_path, installed):
    installed(STEPLIST.format(fmt="steplist-pip"))
    assert type(registry.get("steplist-pip")).__module__ == "erm_test_steplist_loader"
    report = load(store, steps_file(tmp_path))
    assert report.labels["Step"].created == 3
    assert count(store, "MATCH (:Step)-[r:NEXT]->(:Step) RETURN count(r)") == 2


def test_broken_entry_point_is_named(installed):
    installed("raise ImportError('needs a library that is not installed')\n")
    with pytest.raises(LoadError) as refused:
        registry.loaders()
    message = str(refused.value)
    assert "steplist = erm_test_steplist_loader (distribution erm-steplist)" in message
    assert "needs a library that is not installed" in message


def test_entry_point_may_name_the_loader_object(store, tmp_path, installed):
    dist_info = next((tmp_path / "site").glob("*.dist-info"))
    (dist_info / "entry_points.txt").write_text(
        "[erm_graph.loaders]\nsteplist = erm_test_steplist_loader:LOADER\n")
    installed(STEPLIST.format(fmt="steplist-object"))
    report = load(store, steps_file(tmp_path))
    assert report.labels["Step"].created == 3


def test_old_style_plugin_is_refused_with_how_to_port_it(tmp_path, monkeypatch):
    (tmp_path / "old.py").write_text(OLD_STYLE)
    monkeypatch.setenv("ERM_LOADERS_PATH", str(tmp_path))
    with pytest.raises(LoadError) as refused:
        registry.loaders()
    message = str(refused.value)
    assert str(tmp_path / "old.py") in message
    assert "old contract" in message and "read(source, ctx)" in message
    assert "LoaderResult" in message and "LOADER" in message


def test_the_documented_example_loads_from_a_plugin_folder(store, monkeypatch):
    monkeypatch.setenv("ERM_LOADERS_PATH", str(EXAMPLE))
    report = load(store, EXAMPLE / "onboarding.steps")
    assert report.labels["Step"].created == 3
    assert count(store, "MATCH (:Step)-[r:NEXT]->(:Step) RETURN count(r)") == 2


def test_the_documented_example_installs_through_its_entry_point(store, tmp_path, monkeypatch):
    """What pip makes of docs/examples/steplist/pyproject.toml: the module on sys.path and a
    dist-info whose entry point is the one the pyproject declares."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    (name, target), = project["project"]["entry-points"][registry.ENTRY_POINT_GROUP].items()
    dist_info = tmp_path / "site" / "erm_steplist-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: erm-steplist\n"
                                        "Version: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\n{name} = {target}\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(EXAMPLE))
    try:
        assert type(registry.get("steplist")).__module__ == "erm_steplist"
        assert load(store, EXAMPLE / "onboarding.steps").labels["Step"].created == 3
    finally:
        sys.modules.pop("erm_steplist", None)


def test_docs_show_the_example_as_it_is():
    text = (ROOT / "docs" / "loaders.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert (EXAMPLE / "erm_steplist.py").read_text(encoding="utf-8") in blocks
    assert (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8") in \
        re.findall(r"```toml\n(.*?)```", text, re.S)
