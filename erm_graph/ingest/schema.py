"""Check hand-written definitions (relationship maps, mapping files) against their JSON Schema.

The schemas are published in the repository's ``schemas/`` folder so that editors can validate
a file while it is written (``# yaml-language-server: $schema=...``).
"""

from __future__ import annotations

import json
from functools import cache
from itertools import islice
from typing import Any

from erm_graph.errors import Problem
from erm_graph.resources import shipped_dir

SCHEMAS_DIR = shipped_dir("schemas")
#: schema breaks reported (and looked for) in one document
MAX_PROBLEMS = 100


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def schema_problems(data: Any, name: str, where: str) -> list[Problem]:
    """The places ``data`` breaks the schema ``schemas/<name>`` (the first
    :data:`MAX_PROBLEMS` found: the validator stops there), as problems naming the path.

    The validator's work is bounded by what it walks: documents come through
    :mod:`erm_graph.ingest.yaml_reader`, which caps their nesting and expanded size.
    """
    problems = []
    found = islice(_validator(name).iter_errors(data), MAX_PROBLEMS)
    for error in sorted(found, key=_place):
        path = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        problems.append(Problem(where, path, _expected(error), error.instance
                                if not isinstance(error.instance, dict | list) else None))
    return problems


def _place(error: Any) -> list[tuple[int, int, str]]:
    """Sort key of an error's path: list positions by number, keys by name (a path may
    hold both at one depth, which plain lists cannot compare)."""
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.path]


def _expected(error: Any) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "additionalProperties":
        return f"only the documented fields ({error.message})"
    if error.validator == "enum":
        return "one of " + ", ".join(map(str, error.validator_value))
    if error.validator == "oneOf":
        return "one of the documented forms"
    if error.validator == "type":
        return f"a {error.validator_value}"
    if error.validator in ("maxProperties", "maxItems"):  # never the whole instance
        return f"at most {error.validator_value} entries"
    if error.validator == "pattern":  # a name: what the schema says it is made of
        said = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"{said} (matching {error.validator_value})" if said else \
            f"text matching {error.validator_value}"
    return error.message

