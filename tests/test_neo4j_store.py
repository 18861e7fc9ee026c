"""The Neo4j engine without a server: its schema Cypher passes Neo4j's linter, its errors map
to the project's, and an unreachable server is a clear error. The live side is in
tests/test_neo4j_live.py (ERM_TEST_NEO4J_URL)."""

from __future__ import annotations

import shutil

import pytest
from neo4j.exceptions import Neo4jError

from erm_graph import model
from erm_graph.errors import (
    ConfigError,
    QueryError,
    QueryTimeout,
    ReadOnlyError,
    StoreError,
    UniqueViolation,
)
from erm_graph.store import load_lock, open_store
from erm_graph.store import neo4j_store as engine
from tests.test_cypher_lint import TOOL, lint


def server_error(code: str, message: str = "boom") -> Neo4jError:
    return Neo4jError._hydrate_neo4j(code=code, message=message)


def test_every_label_gets_a_uid_constraint_or_index():
    statements = engine.schema_statements()
    for name in model.LABELS:
        assert any(f"erm_uid_{name} " in s for s in statements), name
    constraints = [s for s in statements if "CONSTRAINT" in s]
    assert len(constraints) == len(model.KEY_LABELS)


def test_the_fulltext_index_covers_every_named_key_label():
    labels = engine.fulltext_labels()
    assert {"Party", "Contact", "Employee", "Department", "Process", "Step", "Document",
            "Product"} <= set(labels)
    assert "Customer" not in labels  # a Customer is a Party: covered through it
    assert "Interaction" not in labels  # no name
    fulltext = engine.schema_statements()[-1]
    assert fulltext.startswith(f"CREATE FULLTEXT INDEX {engine.FULLTEXT_INDEX} IF NOT EXISTS")
    assert "ON EACH [n.name]" in fulltext


@pytest.mark.skipif(shutil.which("node") is None or not (TOOL / "node_modules").is_dir(),
                    reason="needs node and tools/cypher-lint/node_modules: run "
                           "`bash tests/setup.sh`")
@pytest.mark.slow
def test_the_engine_cypher_passes_the_neo4j_linter():
    statements = [(s, {}) for s in engine.schema_statements()]
    statements += [(engine.FULLTEXT_LABELS_QUERY, {"name": engine.FULLTEXT_INDEX}),
                   (engine.FULLTEXT_DROP, {}),
                   (engine.AWAIT_INDEXES, {"seconds": engine.INDEX_WAIT_SECONDS}),
                   (engine.LOAD_LOCK_CONSTRAINT, {})]
    lease = {"token": "t", "owner": "pid 1 on host", "ms": 60000}
    statements += [(text, lease) for text in (load_lock._TAKE, load_lock._RENEW,
                                              load_lock._RELEASE, load_lock._HOLDER)]
    problems = lint([{"file": f"statement {i}", "text": text, "parameters": params}
                     for i, (text, params) in enumerate(statements)], store_marks=True)
    assert not problems, "\n".join(f"{p['file']}: {p['message']}" for p in problems)


@pytest.mark.parametrize(("code", "expected"), [
    ("Neo.ClientError.Statement.AccessMode", ReadOnlyError),
    ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", QueryTimeout),
    ("Neo.ClientError.Statement.SyntaxError", QueryError),
    ("Neo.ClientError.Schema.ConstraintValidationFailed", UniqueViolation),
    ("Neo.ClientError.Security.Forbidden", StoreError),
    ("Neo.TransientError.Transaction.DeadlockDetected", StoreError),
])
def test_driver_errors_become_the_projects(code, expected):
    error = engine.translate(server_error(code), "bolt://db:7687")
    assert type(error) is expected


def test_an_unreachable_server_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("ERM_NEO4J_PASSWORD", "secret-not-shown")
    with pytest.raises(StoreError) as caught:
        open_store("bolt://127.0.0.1:9")
    assert "cannot reach Neo4j at bolt://127.0.0.1:9" in str(caught.value)
    assert "secret-not-shown" not in str(caught.value)


def test_a_password_in_the_url_is_refused():
    with pytest.raises(ConfigError, match="ERM_NEO4J_PASSWORD"):
        open_store("neo4j+s://neo4j:hunter2@example.databases.neo4j.io")
