"""Refuse ad hoc Cypher that would hang the engine, before it reaches the engine.

FalkorDB 4.16 parses nested expressions in time that doubles with every level, and spends that
time before its per-query timeout starts, on the thread that serves every other request. Lists,
maps, function calls, ``CASE`` in ``CASE`` and prefix operators (``- - -1``, ``NOT NOT``) all
double, so a few dozen levels would keep the engine busy for days, past its own timeout. The
timings per kind and depth are in docs/scaling.md.

:func:`check_cypher` counts those levels together, in one pass over the tokens of the project's
one lexer (:mod:`erm_graph.query.cypher_text`, which skips strings, quoted names and comments),
and refuses more than :data:`MAX_NESTING` (the deepest query of the library nests 5).
Parameter values travel apart and are parsed without the slowdown (even lists nested hundreds
deep), but one nested past Python's recursion limit breaks the client, so
:func:`check_params` bounds them too. Both are linear in their input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erm_graph.errors import UnsupportedQuery
from erm_graph.query.cypher_text import tokens

#: a single statement of at most this many characters
MAX_QUERY_CHARS = 20_000
#: brackets, braces, parentheses, CASE and prefix operators open at once (at this depth the
#: parse still takes milliseconds)
MAX_NESTING = 12
#: lists and maps inside one another in a parameter value
MAX_PARAM_NESTING = 64

_OPEN, _CLOSE, _PREFIX_SIGNS = "([{", ")]}", ("-", "+")
#: words after which an operand comes: an ``end`` there is a name, not the end of a CASE
_BEFORE_OPERAND = frozenset(
    "CASE WHEN THEN ELSE NOT AND OR XOR IN IS WHERE CONTAINS WITH STARTS ENDS RETURN DISTINCT "
    "UNWIND AS MATCH OPTIONAL CREATE MERGE SET DELETE DETACH REMOVE BY SKIP LIMIT ON CALL "
    "YIELD UNION ALL".split())


def check_cypher(text: str) -> None:
    """Raise :class:`UnsupportedQuery` when ``text`` is longer than :data:`MAX_QUERY_CHARS` or
    nests deeper than :data:`MAX_NESTING`; the message says where the limit was passed."""
    if len(text) > MAX_QUERY_CHARS:
        raise UnsupportedQuery(f"the query is {len(text)} characters long; the limit is "
                               f"{MAX_QUERY_CHARS}")
    where = _too_deep(text)
    if where is not None:
        error = UnsupportedQuery(
            f"the query nests deeper than {MAX_NESTING} levels (brackets, braces, parentheses, "
            "CASE and prefix operators such as - and NOT together): the engine's parser takes "
            "twice as long for every level, so such a query is refused")
        error.offset = where  # run_cypher says where, as a line and column of the query
        raise error


def _too_deep(text: str) -> int | None:
    """The offset where the nesting first passes :data:`MAX_NESTING`, or None."""
    carried: list[int] = []  # prefix operators waiting in front of each open bracket
    cases = prefix = in_brackets = 0
    after_operand = dotted = False
    for tok in tokens(text):
        word = tok.upper if tok.kind == "name" and not dotted else ""
        dotted = tok.kind == "op" and tok.text == "."
        if tok.kind == "op":
            if tok.text in _OPEN:
                carried.append(prefix)
                in_brackets += prefix + 1
                prefix, after_operand = 0, False
            elif tok.text in _CLOSE:
                if carried:
                    in_brackets -= carried.pop() + 1
                prefix, after_operand = 0, True
            elif tok.text in _PREFIX_SIGNS:
                prefix, after_operand = prefix + 1, False
            else:
                prefix, after_operand = 0, False
        elif word == "CASE":
            cases, prefix, after_operand = cases + 1, 0, False
        elif word == "END" and after_operand and cases:
            cases, prefix, after_operand = cases - 1, 0, True
        elif word == "NOT":
            prefix, after_operand = prefix + 1, False
        else:  # a name, a string, a number, a parameter
            prefix, after_operand = 0, word not in _BEFORE_OPERAND
        if in_brackets + cases + prefix > MAX_NESTING:
            return tok.start
    return None


def check_params(params: Mapping[str, Any]) -> None:
    """Raise :class:`UnsupportedQuery` when a parameter value nests lists and maps deeper than
    :data:`MAX_PARAM_NESTING`; walked without recursion."""
    pending: list[tuple[Any, int]] = [(v, 1) for v in params.values()]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, list | tuple | dict):
            if depth > MAX_PARAM_NESTING:
                raise UnsupportedQuery(f"a parameter nests lists and maps deeper than "
                                 f"{MAX_PARAM_NESTING} levels")
            inner = value.values() if isinstance(value, dict) else value
            pending.extend((v, depth + 1) for v in inner)
