"""Two different files never write the same uids unless the person loading says so.

Real corpus files copied to names that used to collide: the namespace was the file name up to
its first dot, so ``order.v1.bpmn`` and ``order.v2.bpmn`` wrote one process that held the
steps of both. Now the namespace is the whole stem, and files whose stems still give one
namespace are refused with the way to name the map (CLI, Python API and web upload).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erm_graph.ingest.load import load
from erm_graph.ingest.owners import MapTaken
from erm_graph.settings import Settings
from erm_graph.web import create_app

CORPUS = Path(__file__).parent / "corpus"
BPMN = CORPUS / "camunda_order.bpmn"
DRAWIO = CORPUS / "orders.drawio"


def copy(source: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, folder / name))


def steps_per_process(store) -> dict[str, int]:
    return dict(store.run("MATCH (p:Process)-[:HAS_STEP]->(s:Step) "
                          "RETURN p.uid, count(s) ORDER BY p.uid").rows)


def owners(store) -> dict[str, str]:
    return dict(store.run("MATCH (m:Map) RETURN m.uid, m.source_file ORDER BY m.uid").rows)


@pytest.mark.parametrize("names", [("order.v1.bpmn", "order.v2.bpmn"),
                                   ("A.1.0.bpmn", "A.2.0.bpmn")])
def test_versions_named_after_the_first_dot_are_two_maps(store, tmp_path, names):
    """The reported case: each version is its own map, with only its own steps."""
    alone = load(store, copy(BPMN, tmp_path, "alone.bpmn"))
    per_map = steps_per_process(store)["alone/Process_Order"]
    store.clear()
    first, second = (copy(BPMN, tmp_path, name) for name in names)
    load(store, first)
    report = load(store, second)
    assert report.labels["Step"].created == alone.labels["Step"].created  # none shared
    stems = [name.rsplit(".", 1)[0].lower().replace(".", "-") for name in names]
    assert steps_per_process(store) == {f"{stem}/Process_Order": per_map for stem in stems}
    assert owners(store) == {f"{stem}/Process_Order": name
                             for stem, name in zip(stems, names, strict=True)}


def test_another_file_into_a_taken_map_is_refused(store, tmp_path):
    """``orders.bpmn`` after ``orders.drawio``: both stems are ``orders``."""
    load(store, copy(DRAWIO, tmp_path, "orders.drawio"))
    before = (steps_per_process(store), owners(store))
    with pytest.raises(MapTaken) as refused:
        load(store, copy(BPMN, tmp_path, "orders.bpmn"))
    message = str(refused.value)
    assert "orders.bpmn" in message and "orders.drawio wrote" in message
    assert "--map orders" in message and "--map orders-bpmn" in message
    assert (steps_per_process(store), owners(store)) == before  # nothing written
    with pytest.raises(MapTaken):  # a dry run says so too
        load(store, tmp_path / "orders.bpmn", dry_run=True)


def test_names_that_slug_alike_are_refused_in_one_load(store, tmp_path):
    """Two files of one load with one namespace: refused before anything is written."""
    paths = [copy(BPMN, tmp_path, "Order Process.bpmn"),
             copy(BPMN, tmp_path, "order-process.bpmn")]
    with pytest.raises(MapTaken, match="Order Process.bpmn wrote"):
        load(store, paths)
    assert owners(store) == {}


def test_naming_the_map_lets_the_user_decide(store, tmp_path):
    """``map_name`` says which map a file writes: a map of its own, or the taken one."""
    load(store, copy(DRAWIO, tmp_path, "orders.drawio"))
    load(store, copy(BPMN, tmp_path, "orders.bpmn"), map_name="orders-bpmn")
    assert owners(store)["orders-bpmn/Process_Order"] == "orders.bpmn"
    # the same diagram on purpose: the person loading said so, the file is now its source
    load(store, tmp_path / "orders.bpmn", map_name="orders")
    assert owners(store)["orders/Process_Order"] == "orders.bpmn"


def test_the_same_file_again_is_the_same_map(store, tmp_path):
    """Reloading a file changes nothing, from its folder or another (same name, same source);
    a compound ending counts as one (``orders.drawio.xml`` is the map ``orders``)."""
    load(store, copy(DRAWIO, tmp_path, "orders.drawio"))
    again = load(store, copy(DRAWIO, tmp_path / "elsewhere", "orders.drawio"))
    assert again.total("created") == again.total("updated") == 0
    assert again.total("unchanged") > 0
    with pytest.raises(MapTaken, match="orders.drawio wrote"):
        load(store, copy(DRAWIO, tmp_path, "orders.drawio.xml"))


def test_cli_refuses_and_names_the_option(store_url, tmp_path):
    def erm(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from erm_graph.cli import main; main()",
                               "--db", store_url, "load", *args], capture_output=True,
                              text=True, timeout=120, check=False,
                              env={**os.environ, "COLUMNS": "400"})  # one line per message

    assert erm(str(copy(DRAWIO, tmp_path, "orders.drawio"))).returncode == 0
    refused = erm(str(copy(BPMN, tmp_path, "orders.bpmn")))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "orders.drawio wrote" in refused.stderr and "--map orders-bpmn" in refused.stderr
    assert erm(str(tmp_path / "orders.bpmn"), "--map", "orders-bpmn").returncode == 0


def test_web_upload_refuses_and_takes_a_map_name(store, tmp_path):
    settings = Settings.from_env(users_db=tmp_path / "u.db", query_timeout=10)
    with TestClient(create_app(settings, store=store),
                    base_url="http://127.0.0.1") as client:
        client.get("/")
        client.headers["x-csrf-token"] = client.cookies.get("erm_csrf")
        sent = client.post("/api/load", files={"file": ("orders.drawio", DRAWIO.read_bytes())})
        assert sent.status_code == 200, sent.text
        refused = client.post("/api/load", files={"file": ("orders.bpmn", BPMN.read_bytes())})
        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["kind"] == "conflict" and "orders.drawio wrote" in error["message"]
        named = client.post("/api/load", files={"file": ("orders.bpmn", BPMN.read_bytes())},
                            data={"map": "orders-bpmn"})
        assert named.status_code == 200, named.text
    assert owners(store)["orders-bpmn/Process_Order"] == "orders.bpmn"
