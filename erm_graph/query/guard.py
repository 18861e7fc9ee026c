"""Refuse ad hoc Cypher that would hang the engine, before it reaches the engine.

FalkorDB 4.16 parses nested expressions in time that doubles with every level, and spends that
time before its per-query timeout starts, on the thread that serves every other request.
Measured on the embedded engine (2 cores), ``RETURN`` of an expression nested N deep:

=========================  =======  ========  ========  ========  ========
nesting                    N = 10   N = 12    N = 14    N = 16    N = 18
=========================  =======  ========  ========  ========  ========
lists ``[[[1]]]``          1.7 ms   6.3 ms    25 ms     0.10 s    0.40 s
maps ``{a:{a:1}}``                                      0.10 s    0.39 s
function calls ``abs(``    3.7 ms             44 ms               0.70 s
``CASE`` in ``CASE``       3.7 ms             48 ms               0.70 s
``- - -1``, ``NOT NOT``    4.9 ms             67 ms               1.1 s
=========================  =======  ========  ========  ========  ========

and so on, doubling: lists 19 deep took 0.95 s, 22 minus signs 17.7 s; 40 levels would take
days (the issue saw the engine busy for over 10 minutes, past its own timeout).

:func:`check_cypher` counts those levels together, in one pass over the tokens of the project's
one lexer (:mod:`erm_graph.query.cypher_text`, which skips strings, quoted names and comments),
and refuses more than :data:`MAX_NESTING` (the deepest query of the library nests 5).
Parameter values travel apart and are parsed without the slowdown (lists nested 200 deep:
3 ms), but one nested past Python's recursion limit breaks the client, so
:func:`check_params` bounds them too. Both are linear in their input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erm_graph.errors import UnsupportedQuery
from erm_graph.query.cypher_text import position, tokens

#: a single statement of at most this many characters
MAX_QUERY_CHARS = 20_000
#: brackets, braces, parentheses, CASE and prefix operators open at once (12: ~6 ms to parse)
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
        line, column = position(text, where)
        raise UnsupportedQuery(f"the query nests deeper than {MAX_NESTING} levels (brackets, "
                               f"braces, parentheses, CASE and prefix operators such as - and "
                               f"NOT together) at line {line}, column {column}: the engine's "
                               "parser takes twice as long for every level, so such a query is "
                               "refused")


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
