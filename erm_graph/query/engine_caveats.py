"""What the embedded engine (FalkorDB 4.16) answers wrongly, said before anyone trusts it.

An analyst's ad hoc query goes to the engine as written; where the openCypher TCK shows that
the engine gives silently wrong rows for a shape of query, the ad hoc path either mends the
text (:func:`mend`: proven by the TCK to give the right rows) or attaches a warning that names
the limitation and the portable way to write the query (:func:`warnings_for`,
:func:`result_warnings`). ``docs/conformance.md`` counts what is left: no read scenario of the
TCK may come back wrong without one of these. Named queries do not pass through here: they
are written around the traps (``docs/queries.md``) and tested column by column.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from erm_graph.query.cypher_text import (
    Token,
    brackets,
    decode_string,
    encode_string,
    tokens,
)

CLAUSES = ("MATCH", "OPTIONAL", "WITH", "RETURN", "UNWIND", "WHERE", "ORDER", "SKIP", "LIMIT",
           "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "UNION", "CALL", "FOREACH",
           "YIELD", "ON")
WRITES = ("CREATE", "MERGE", "SET", "DELETE", "REMOVE")
TEMPORAL = ("DATE", "LOCALTIME", "LOCALDATETIME", "TIME", "DATETIME", "DURATION")
PLAIN_TEMPORAL_KEYS = {"year", "month", "day", "hour", "minute", "second"}
#: accessors of temporal values this engine answers wrongly or not at all
TEMPORAL_ACCESSORS = {"QUARTER", "WEEK", "WEEKYEAR", "ORDINALDAY", "WEEKDAY", "DAYOFQUARTER",
                      "MILLISECOND", "MICROSECOND", "NANOSECOND", "TIMEZONE", "OFFSET",
                      "EPOCHMILLIS", "EPOCHSECONDS"}
COMPARISONS = ("=", "<>", "<", ">", "<=", ">=")
ARITHMETIC = ("*", "/", "%", "+", "-")
OPEN, CLOSE = "([{", ")]}"

MESSAGES = {
    "shared-relationship": (
        "one pattern here has {n} relationships: on this engine one relationship can fill two "
        "of its slots, and paths whose middle is not used are counted once per pair of ends. "
        "Name every relationship, add WHERE r1 <> r2 for each pair, and return or count the "
        "variables themselves."),
    "var-length-variable": (
        "a variable-length relationship variable ({name}) holds a path or a single "
        "relationship on this engine, not the list Cypher defines: bind the path "
        "(p = (a)-[*..]->(b)) and use relationships(p)."),
    "rebound-relationship": (
        "the relationship variable {name} is already bound: this engine ignores the binding "
        "in a later MATCH and matches every relationship. Write "
        "MATCH ()-[{name}_again]->() WHERE {name}_again = {name}."),
    "integer-sum": (
        "sum() returns a float on this engine even when every value is an integer: wrap it "
        "in toInteger() when the values are integers."),
    "power-precedence": (
        "^ combined with other arithmetic without parentheses is evaluated in another order "
        "on this engine (it binds ^ to the right and more loosely): add parentheses."),
    "in-precedence": (
        "IN next to list + without parentheses binds more tightly than + on this engine: "
        "write ([1] + [2]) IN list."),
    "comparison-chain": (
        "a chain of comparisons (a < b = c) is not read as a < b AND b = c on this engine: "
        "write the AND out."),
    "pattern-comprehension": (
        "a pattern comprehension drops null values from its list on this engine (Cypher "
        "keeps them), and one nested in a list comprehension can see the wrong outer "
        "variable: use coalesce() in its projection, and MATCH ... collect() instead of "
        "nesting."),
    "long-number": (
        "the literal {text} has more than 15 significant digits: this engine keeps 15; pass "
        "the exact value as a parameter or as a string."),
    "float-to-string": (
        "toString() of a float gives six decimals on this engine (2.3 -> '2.300000'): "
        "format the number in the client, or compare numbers instead of their text."),
    "temporal": (
        "temporal values on this engine lose sub-second precision, ignore week, ordinal, "
        "quarter and time-zone fields, do not support duration arithmetic, and sort and "
        "compare dates before 1970 wrongly: keep times as ISO-8601 strings or epoch "
        "milliseconds (as erm-graph's own data does)."),
    "write-then-filter": (
        "WHERE, SKIP or LIMIT after a write clause: this engine can apply the filter before "
        "the write or skip the write (LIMIT 0). Write first, then read in a second query."),
    "merge-per-row": (
        "MERGE after other clauses runs once per incoming row, and this engine does not "
        "always match what an earlier row of the same query created (the TCK's Match8 [2], "
        "Merge5 [14]): check the counts with a separate read."),
    "pattern-expression": (
        "exists(pattern) or CASE WHEN pattern outside a WHERE is true on this engine even "
        "when nothing matches: write size([(a)-[:R]->(b) | b]) > 0 instead."),
    "uid-upper-bound": (
        "an upper bound on uid (n.uid < x, n.uid <= x, x > n.uid) is not held by this "
        "engine's uid index when the node has its label: it returns nodes past the bound. "
        "Compare n.uid + '' instead, which the index does not answer."),
    "nan-order": (
        "NaN sorts between numbers on this engine, not after them as Cypher defines: filter "
        "out NaN (WHERE x = x) before ORDER BY."),
}


def _warning(code: str, **fields: str) -> str:
    return f"{code}: " + MESSAGES[code].format(**fields)


def _segments(toks: Sequence[Token]) -> Iterable[list[Token]]:
    """Runs of tokens at one bracket depth, cut at commas and clause or boolean keywords:
    the operands an operator can combine without parentheses."""
    stack: list[list[Token]] = [[]]
    for tok in toks:
        if tok.kind == "op" and tok.text in OPEN:
            stack.append([])
        elif tok.kind == "op" and tok.text in CLOSE:
            if len(stack) > 1:
                yield stack.pop()
        elif (tok.kind == "op" and tok.text in (",", "|")) or tok.is_word(
                *CLAUSES, "AND", "OR", "XOR", "NOT", "AS", "THEN", "ELSE", "WHEN", "CASE",
                "END", "BY"):
            yield stack[-1]
            stack[-1] = []
        else:
            stack[-1].append(tok)
    yield from stack


def _ops(segment: list[Token], names: tuple[str, ...]) -> list[Token]:
    return [t for t in segment if t.kind == "op" and t.text in names]


def _with_depth(toks: Sequence[Token]) -> Iterable[tuple[int, Token]]:
    """Each token with its bracket depth (an opening bracket already counts itself)."""
    depth = 0
    for tok in toks:
        if tok.kind == "op" and tok.text in OPEN:
            depth += 1
        elif tok.kind == "op" and tok.text in CLOSE:
            depth -= 1
        yield depth, tok


def _clauses(toks: Sequence[Token]) -> list[tuple[str, list[Token]]]:
    """The statement cut at clause keywords of depth 0: (keyword, tokens after it)."""
    out: list[tuple[str, list[Token]]] = []
    for depth, tok in _with_depth(toks):
        if depth == 0 and tok.is_word(*CLAUSES):
            word = tok.upper
            if out and out[-1][0] == "OPTIONAL" and word == "MATCH" and not out[-1][1]:
                out[-1] = ("OPTIONAL MATCH", [])
                continue
            if out and out[-1][0] in ("ORDER", "DETACH") and not out[-1][1]:
                out[-1] = (out[-1][0] + " " + word, [])
                continue
            out.append((word, []))
        elif out:
            out[-1][1].append(tok)
    return out


def _pattern_parts(body: list[Token]) -> list[list[Token]]:
    """A MATCH clause's pattern parts (cut at depth-0 commas)."""
    parts: list[list[Token]] = [[]]
    for depth, tok in _with_depth(body):
        if depth == 0 and tok.kind == "op" and tok.text == ",":
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


@dataclass(frozen=True)
class _Rel:
    variable: str | None
    types: tuple[str, ...]
    variable_length: bool


def _relationships(part: list[Token]) -> list[_Rel]:
    """A pattern part's relationships: variable (None when unnamed), types, and whether the
    length varies."""
    rels: list[_Rel] = []
    close, _ = brackets(part)
    for i, (depth, tok) in enumerate(_with_depth(part)):
        if tok.kind != "op":
            continue
        if tok.text == "[" and depth == 1:
            inside = part[i + 1:close[i]]
            name = inside[0].text if inside and inside[0].kind == "name" else None
            types = tuple(t.text for j, t in enumerate(inside)
                          if j and inside[j - 1].text in (":", "|") and t.kind != "op")
            rels.append(_Rel(name, types, any(t.text == "*" for t in inside)))
        elif depth == 0 and tok.text in ("-", "->", "<-") and i + 1 < len(part) and \
                part[i + 1].text in ("-", "->"):
            rels.append(_Rel(None, (), False))  # a bare arrow: -->, <--, --, <-->
    return rels


def _middle_nodes(part: list[Token]) -> list[str | None]:
    """The variables of a part's node patterns between its first and last (None: unnamed)."""
    nodes: list[str | None] = []
    for i, (depth, tok) in enumerate(_with_depth(part)):
        if tok.text == "(" and depth == 1 and tok.kind == "op":
            nxt = part[i + 1] if i + 1 < len(part) else None
            nodes.append(nxt.text if nxt is not None and nxt.kind == "name" else None)
    return nodes[1:-1]


def _cannot_mislead(parts: list[list[Token]], rels: list[_Rel], later: set[str]) -> bool:
    """A multi-hop MATCH the engine answers right: no relationship can fill two slots (one
    type each, all different, fixed length) and no path collapses to its ends (every middle
    node, or a path variable, is used after the pattern)."""
    types = [r.types for r in rels]
    if any(len(t) != 1 or r.variable_length for t, r in zip(types, rels, strict=True)):
        return False
    if len({t[0] for t in types}) != len(types):
        return False
    for part in parts:
        path = part[0].text if len(part) > 1 and part[1].text == "=" else None
        if path in later:
            continue
        if any(node is None or node not in later for node in _middle_nodes(part)):
            return False
    return True


def _constrained(where: list[Token], a: str, b: str) -> bool:
    for i in range(1, len(where) - 1):
        if where[i].text == "<>" and {where[i - 1].text, where[i + 1].text} == {a, b}:
            return True
    return False


def _pattern_warnings(clauses: list[tuple[str, list[Token]]]) -> list[str]:
    found: list[str] = []
    bound: set[str] = set()
    for index, (word, body) in enumerate(clauses):
        if word in ("MATCH", "OPTIONAL MATCH"):
            where = clauses[index + 1][1] if index + 1 < len(clauses) and \
                clauses[index + 1][0] == "WHERE" else []
            parts = _pattern_parts(body)
            rels = [r for part in parts for r in _relationships(part)]
            named = [r.variable for r in rels if r.variable]
            later = {t.text for _, rest in clauses[index + 1:] for t in rest if t.kind == "name"}
            pairs_ok = len(named) == len(rels) and all(
                _constrained(where, a, b) for i, a in enumerate(named) for b in named[i + 1:])
            if len(rels) >= 2 and not pairs_ok and not _cannot_mislead(parts, rels, later):
                found.append(_warning("shared-relationship", n=str(len(rels))))
            for name in named:
                if name in bound:
                    found.append(_warning("rebound-relationship", name=name))
        if word in ("MATCH", "OPTIONAL MATCH", "MERGE", "CREATE"):
            bound.update(t.text for i, t in enumerate(body)
                         if t.kind == "name" and i and body[i - 1].text in ("(", "["))
        if word in ("WITH", "UNWIND", "RETURN"):
            bound.update(body[i + 1].text for i, t in enumerate(body[:-1]) if t.is_word("AS"))
    return found


def _var_length(toks: Sequence[Token]) -> list[str]:
    found = []
    for i, tok in enumerate(toks):
        if tok.text != "[" or i + 1 >= len(toks) or toks[i + 1].kind != "name":
            continue
        if i == 0 or toks[i - 1].text not in ("-", "<-"):
            continue
        j = i + 2
        while j < len(toks) and toks[j].text != "]":
            if toks[j].text == "*":
                found.append(_warning("var-length-variable", name=toks[i + 1].text))
                break
            j += 1
    return found


def _expression_warnings(toks: Sequence[Token]) -> list[str]:
    codes: list[str] = []
    for seg in _segments(toks):
        powers = _ops(seg, ("^",))
        if powers and (len(powers) > 1 or _ops(seg, ARITHMETIC)):
            codes.append("power-precedence")
        ins = [t for t in seg if t.is_word("IN")]
        if ins and _ops(seg, ("+",)):
            codes.append("in-precedence")
        if len(_ops(seg, COMPARISONS)) > 1:
            codes.append("comparison-chain")
    for i, tok in enumerate(toks):
        nxt = toks[i + 1].text if i + 1 < len(toks) else ""
        if tok.is_word("SUM") and nxt == "(":
            codes.append("integer-sum")
        elif tok.is_word("TOSTRING") and nxt == "(":
            codes.append("float-to-string")
        elif tok.text == "[" and nxt == "(":
            codes.append("pattern-comprehension")
        elif tok.is_word("EXISTS", "WHEN") and _pattern_follows(toks, i + 1):
            codes.append("pattern-expression")
        elif tok.is_word(*TEMPORAL) and nxt in ("(", ".") and _unusual_temporal(toks, i):
            codes.append("temporal")
        elif tok.text == "." and i + 1 < len(toks) and toks[i + 1].is_word(*TEMPORAL_ACCESSORS):
            codes.append("temporal")
        elif _uid_upper_bound(toks, i):
            codes.append("uid-upper-bound")
    found = [_warning(code) for code in dict.fromkeys(codes)]
    found += [_warning("long-number", text=t.text) for t in toks
              if t.kind == "number" and _significant_digits(t.text) > 15]
    return found


def _uid_upper_bound(toks: Sequence[Token], i: int) -> bool:
    """Whether ``toks[i]`` is ``<`` or ``<=`` after ``.uid``, or ``>`` or ``>=`` before
    ``x.uid``: an upper bound the engine's uid index answers past
    (tests/test_engine_string_bounds.py)."""
    tok = toks[i]
    if tok.kind != "op":
        return False
    if tok.text in ("<", "<="):
        return i >= 2 and toks[i - 2].text == "." and toks[i - 1].text == "uid"
    if tok.text in (">", ">="):
        return i + 3 < len(toks) and toks[i + 2].text == "." and toks[i + 3].text == "uid"
    return False


def _pattern_follows(toks: Sequence[Token], i: int) -> bool:
    """Whether a pattern starts at ``toks[i]`` (``(a)-`` or ``(a)<-``), or inside the call
    parentheses opening there (``exists((a)-...)``)."""
    if i < len(toks) and toks[i].text == "(" and i + 1 < len(toks) and toks[i + 1].text == "(":
        i += 1
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == "(":
            depth += 1
        elif toks[j].text == ")":
            depth -= 1
            if depth == 0:
                return j + 1 < len(toks) and toks[j + 1].text.startswith(("-", "<"))
        if depth <= 0:
            return False
    return False


def _unusual_temporal(toks: Sequence[Token], i: int) -> bool:
    """A temporal call beyond plain calendar fields or an ISO date/time text."""
    if toks[i].is_word("DURATION") or toks[i + 1].text == ".":
        return True
    arg = toks[i + 2] if i + 2 < len(toks) else None
    if arg is None or arg.text == ")":
        return True  # the current time: a time zone is implied
    if arg.kind == "string":
        text = decode_string(arg.text)
        return "." in text or "W" in text or "+" in text or "Z" in text or "[" in text \
            or len(text.split("T")[0].split("-")) != 3
    if arg.text == "{":
        depth, j, keys = 0, i + 2, set()
        while j < len(toks):
            t = toks[j]
            if t.text in OPEN:
                depth += 1
            elif t.text in CLOSE:
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and t.kind == "name" and toks[j + 1].text == ":":
                keys.add(t.text)
            j += 1
        return not keys <= PLAIN_TEMPORAL_KEYS
    return True


def _significant_digits(number: str) -> int:
    mantissa = number.lower().split("e")[0]
    if mantissa.startswith("0x"):
        return 0
    return len(mantissa.replace(".", "").lstrip("0"))


def _write_warnings(clauses: list[tuple[str, list[Token]]]) -> list[str]:
    found, written, reading = [], False, False
    for word, _ in clauses:
        first = word.split()[0]
        if first == "MERGE" and reading:
            found.append(_warning("merge-per-row"))
        if first in WRITES or word == "DETACH DELETE":
            written = True
        elif written and first in ("WHERE", "SKIP", "LIMIT"):
            found.append(_warning("write-then-filter"))
        reading = reading or first in ("MATCH", "OPTIONAL", "UNWIND", "WITH")
    return found


def mend(text: str) -> str:
    """The query with what this engine misreads written the way it reads correctly: string
    literals with ``\\u`` escapes are sent with the characters themselves."""
    out, last = [], 0
    for tok in tokens(text):
        if tok.kind == "string" and "\\u" in tok.text.lower():
            out += [text[last:tok.start], encode_string(decode_string(tok.text))]
            last = tok.start + len(tok.text)
    return "".join(out) + text[last:] if out else text


def warnings_for(text: str) -> list[str]:
    """Warnings for the shapes of ``text`` this engine may answer wrongly."""
    toks = list(tokens(text))
    clauses = _clauses(toks)
    found = _pattern_warnings(clauses) + _var_length(toks) + _expression_warnings(toks) + \
        _write_warnings(clauses)
    return list(dict.fromkeys(found))


def _walk(value: Any, test: Callable[[Any], bool]) -> bool:
    if test(value):
        return True
    if isinstance(value, dict):
        return any(_walk(v, test) for v in value.values())
    if isinstance(value, list):
        return any(_walk(v, test) for v in value)
    return False


def result_warnings(text: str, rows: list[list[Any]], found: list[str]) -> list[str]:
    """Warnings that only the answer shows: temporal values under an ordering, a comparison
    or arithmetic (the values sorted wrongly may be the ones a LIMIT cut away), NaN under an
    ordering."""
    words = {t.upper for t in tokens(text) if t.kind in ("name", "op")}
    ordering = bool(words & {"ORDER", "<", ">", "<=", ">=", "MIN", "MAX"})
    extra = []
    temporal = _warning("temporal")
    if temporal not in found and (ordering or words & {"+", "-"}) and _walk(rows, _temporal):
        extra.append(temporal)
    if ordering and _walk(rows, lambda v: isinstance(v, float) and math.isnan(v)):
        extra.append(_warning("nan-order"))
    return extra


def _temporal(value: Any) -> bool:
    return isinstance(value, dt.date | dt.time) or type(value).__name__ == "relativedelta"
