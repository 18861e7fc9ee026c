"""Check hand-written definitions (relationship maps, mapping files) against their JSON Schema.

The schemas are published in the repository's ``schemas/`` folder so that editors can validate
a file while it is written (``# yaml-language-server: $schema=...``).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from erm_graph.errors import Problem
from erm_graph.resources import shipped_dir

SCHEMAS_DIR = shipped_dir("schemas")
#: lists and mappings inside each other: the documents these schemas describe nest 6 deep, and
#: the validator recurses per level (a document 300 deep raised RecursionError)
MAX_DEPTH = 50


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def schema_problems(data: Any, name: str, where: str) -> list[Problem]:
    """Every place ``data`` breaks the schema ``schemas/<name>``, as problems naming the path."""
    if _depth(data) > MAX_DEPTH:
        return [Problem(where, "(top level)", f"lists and mappings nested at most {MAX_DEPTH} "
                        "deep")]
    problems = []
    for error in sorted(_validator(name).iter_errors(data), key=lambda e: list(e.path)):
        path = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        problems.append(Problem(where, path, _expected(error), error.instance
                                if not isinstance(error.instance, dict | list) else None))
    return problems


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
    return error.message


def _depth(data: Any) -> int:
    """How deep lists and mappings nest in ``data``, counting a shared one (a YAML alias)
    where it is deepest and one inside itself as deeper than MAX_DEPTH. Walked without
    recursion and each container once, so aliases that expand a thousand times cost nothing."""
    height: dict[int, int] = {}
    open_: set[int] = set()  # the containers being walked: the ancestors of the current one
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        item, finished = stack.pop()
        if not isinstance(item, dict | list) or (not finished and id(item) in height):
            continue
        children = [c for c in (item.values() if isinstance(item, dict) else item)
                    if isinstance(c, dict | list)]
        if finished:
            open_.discard(id(item))
            height[id(item)] = 1 + max((height[id(c)] for c in children), default=0)
            if height[id(item)] > MAX_DEPTH:
                return height[id(item)]
            continue
        if id(item) in open_:
            return MAX_DEPTH + 1
        open_.add(id(item))
        stack.append((item, True))
        stack += [(c, False) for c in children]
    return height.get(id(data), 0)
