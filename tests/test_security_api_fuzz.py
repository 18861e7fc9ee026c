"""The API fuzzed from its own OpenAPI spec, the way an attacker with each role would probe it.

Schemathesis reads the app's OpenAPI spec (the document ``/api/openapi.json`` serves) and sends
to the app, served on loopback by uvicorn (real HTTP, real ``Host`` headers), for every
operation and every role (admin, editor, analyst, viewer, partner, and an anonymous caller),
the spec's boundary cases (its coverage phase:
missing and out-of-range values, wrong types, methods the path does not serve) and a bounded
number of generated ones, valid and invalid. Every answer must be no 5xx and exactly what the
spec says: a declared status, its content type and its schema (the one error shape for errors).

Writes (PATCH of nodes, uploads) go to a throwaway embedded library in a temporary folder,
loaded with the demo for this module: never the developer's data directory.
"""

from __future__ import annotations

import collections
import time
from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from erm_graph.auth import Users
from erm_graph.demo import facts, load_demo
from erm_graph.settings import Settings
from erm_graph.store import open_store
from erm_graph.web import create_app

pytestmark = pytest.mark.slow

ROLES = ("admin", "editor", "analyst", "viewer", "partner", "anonymous")
#: generated cases per operation and role on top of the boundary cases: enough to reach every
#: operation's parameters while all six roles stay within the budget (docs/testing.md)
MAX_EXAMPLES = 12
#: the module's time budget: an operation whose turn comes later is skipped (and counted)
BUDGET_SECONDS = 110
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection,
          unsupported_method]

#: what every role's run saw: role -> status -> count, and the failures
SEEN: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
FAILURES: dict[str, dict[str, str]] = collections.defaultdict(dict)
SKIPPED: collections.Counter = collections.Counter()


@pytest.fixture(scope="module")
def served(tmp_path_factory, serve_app):
    """The app on a loopback port over a throwaway demo library, and a token per role."""
    folder = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ERM_DATA_DIR", str(folder / "data"))  # nothing reaches the user's data
        store = open_store(f"embedded:{folder / 'db'}")
        load_demo(store, "small", seed=7)
        users = Users.open(folder / "users.db")
        tokens = {role: None for role in ROLES}
        for role in ROLES[:-1]:
            users.add(role, role, password="correct horse battery",
                      party=facts.KEY_PERSON.customer if role == "partner" else None)
            tokens[role] = users.new_token(role)
        settings = Settings.from_env(users_db=folder / "users.db", web_host="127.0.0.1",
                                     query_timeout=10, web_row_cap=200)
        try:
            yield {"url": serve_app(create_app(settings, store=store)), "tokens": tokens,
                   "started": time.monotonic()}
        finally:
            users.close()
            store.close()


#: the spec, read from the app itself (the same document /api/openapi.json serves)
SPEC = schemathesis.openapi.from_dict(
    create_app(Settings.from_env(users_db=Path("unused.db"), web_host="127.0.0.1")).openapi(),
    config=schemathesis.Config.from_dict({
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "mode": "all"},
        "phases": {"stateful": {"enabled": False}},
        # an invalid request may be refused for its size (413) as well as for its content
        "checks": {"negative_data_rejection": {"expected-statuses": [
            400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]}}}))


@pytest.mark.parametrize("role", ROLES)
@SPEC.parametrize()
def test_api_answers_only_what_its_spec_says(case, role, served):
    if time.monotonic() - served["started"] > BUDGET_SECONDS:
        SKIPPED[role] += 1
        pytest.skip(f"the fuzz run is past its {BUDGET_SECONDS} s budget")
    token = served["tokens"][role]
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = case.call(base_url=served["url"], headers=headers, timeout=30)
    SEEN[role][response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except BaseException as exc:
        checks = [line.strip() for line in str(exc).splitlines() if line.startswith("- ")]
        FAILURES[role].setdefault(case.operation.label, f"{response.status_code}: "
                                  f"{'; '.join(checks)} {response.text[:200]}")
        raise


def test_the_fuzzed_spec_is_the_served_one(served):
    import httpx

    assert httpx.get(served["url"] + "/api/openapi.json", timeout=30).json() == SPEC.raw_schema


def test_fuzz_counts(served):
    """Runs after the fuzz (file order): the counts the issue asks for, printed with -s."""
    for role in ROLES:
        seen = SEEN.get(role, collections.Counter())
        print(f"fuzz {role}: {sum(seen.values())} requests, "
              f"{sum(n for s, n in seen.items() if s >= 500)} 5xx, "
              f"{len(FAILURES.get(role, {}))} failing operations, "
              f"{SKIPPED[role]} skipped for time; "
              f"statuses {dict(sorted(seen.items()))}")
        for operation, failure in FAILURES.get(role, {}).items():
            print(f"    {operation} -> {failure[:300]}")
    assert all(sum(SEEN[r].values()) > 0 for r in ROLES), "every role was fuzzed"
