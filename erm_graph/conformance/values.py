"""Cypher values as the openCypher TCK writes them, and engine answers in the same form.

Both sides are turned into one canonical, hashable form so that a result table compares as a
multiset (or a sequence, for ``in order``) with type-exact equality: ``1`` and ``1.0`` differ,
since an integer sum answered as a float is one of the wrong answers the TCK exists to catch.

Canonical forms: ``("null",)``, ``("bool", b)``, ``("int", i)``, ``("float", f)`` (NaN as the
string ``"NaN"``), ``("str", s)``, ``("list", (...))``, ``("map", ((k, v), ...))`` sorted by key,
``("node", labels, props)``, ``("rel", type, props)`` and ``("path", (node, (rel, dir), node,
...))`` where ``dir`` is ``">"`` or ``"<"`` as the relationship points along the path.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from erm_graph.errors import ErmError
from erm_graph.query.cypher_text import CypherSyntaxError, string_at

Canon = tuple[Any, ...]



class ValueSyntaxError(ErmError):
    """A TCK value this parser cannot read (a runner defect, reported with the text)."""


def _canon_float(value: float) -> Canon:
    return ("float", "NaN" if math.isnan(value) else value)


def _props(items: dict[str, Canon]) -> tuple[tuple[str, Canon], ...]:
    # a null property does not exist in Cypher
    return tuple(sorted((k, v) for k, v in items.items() if v != ("null",)))


class _Reader:
    """A recursive-descent reader over one TCK cell; depth is bounded by the cell's length."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ValueSyntaxError:
        return ValueSyntaxError(f"TCK value {self.text!r}: {what} at {self.pos}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, token: str) -> bool:
        self.skip()
        return self.text.startswith(token, self.pos)

    def take(self, token: str) -> None:
        if not self.peek(token):
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def value(self) -> Canon:
        self.skip()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.fail("value missing")
        ch = text[pos]
        if ch == "'":
            return ("str", self.string())
        if ch == "[":
            if self._is_relationship():
                return self.relationship()
            return ("list", self.sequence("[", "]"))
        if ch == "{":
            return ("map", self.mapping())
        if ch == "(":
            return self.node()
        if ch == "<":
            return self.path()
        return self.scalar()

    def _is_relationship(self) -> bool:
        rest = self.text[self.pos + 1:].lstrip()
        return rest.startswith(":")

    def string(self) -> str:
        """A TCK string is a Cypher string literal: backslash escapes are decoded."""
        try:
            value, self.pos = string_at(self.text, self.pos)
        except CypherSyntaxError:
            raise self.fail("unterminated string") from None
        return value

    def scalar(self) -> Canon:
        text = self.text
        end = self.pos
        while end < len(text) and text[end] not in ",]}) \t":
            end += 1
        word = text[self.pos:end]
        self.pos = end
        if word == "null":
            return ("null",)
        if word in ("true", "false"):
            return ("bool", word == "true")
        if word in ("NaN", "Inf", "-Inf"):
            return _canon_float({"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}[word])
        try:
            return ("int", int(word, 0) if word.lower().startswith(("0x", "-0x", "0o", "-0o"))
                    else int(word))
        except ValueError:
            pass
        try:
            return _canon_float(float(word))
        except ValueError:
            raise self.fail(f"unknown word {word!r}") from None

    def sequence(self, open_: str, close: str) -> tuple[Canon, ...]:
        self.take(open_)
        items: list[Canon] = []
        if self.peek(close):
            self.pos += 1
            return ()
        while True:
            items.append(self.value())
            if self.peek(","):
                self.pos += 1
                continue
            self.take(close)
            return tuple(items)

    def key(self) -> str:
        self.skip()
        if self.peek("`"):
            end = self.text.index("`", self.pos + 1)
            word = self.text[self.pos + 1:end]
            self.pos = end + 1
            return word
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum()
                                             or self.text[self.pos] == "_"):
            self.pos += 1
        if start == self.pos:
            raise self.fail("key expected")
        return self.text[start:self.pos]

    def mapping(self) -> tuple[tuple[str, Canon], ...]:
        return tuple(sorted(self._entries().items()))

    def _entries(self) -> dict[str, Canon]:
        self.take("{")
        entries: dict[str, Canon] = {}
        if self.peek("}"):
            self.pos += 1
            return entries
        while True:
            name = self.key()
            self.take(":")
            entries[name] = self.value()
            if self.peek(","):
                self.pos += 1
                continue
            self.take("}")
            return entries

    def _labels(self) -> list[str]:
        names = []
        while self.peek(":"):
            self.pos += 1
            names.append(self.key())
        return names

    def node(self) -> Canon:
        self.take("(")
        labels = self._labels()
        props = self._entries() if self.peek("{") else {}
        self.take(")")
        return ("node", tuple(sorted(labels)), _props(props))

    def relationship(self) -> Canon:
        self.take("[")
        types = self._labels()
        props = self._entries() if self.peek("{") else {}
        self.take("]")
        return ("rel", types[0] if types else "", _props(props))

    def path(self) -> Canon:
        self.take("<")
        parts: list[Any] = [self.node()]
        while not self.peek(">"):
            if self.peek("<-"):
                self.pos += 2
                rel = self.relationship()
                self.take("-")
                parts += [(rel, "<"), self.node()]
            else:
                self.take("-")
                rel = self.relationship()
                self.take("->")
                parts += [(rel, ">"), self.node()]
        self.take(">")
        return ("path", tuple(parts))


def parse(text: str) -> Canon:
    """One TCK cell as a canonical value."""
    reader = _Reader(text.strip())
    value = reader.value()
    reader.skip()
    if reader.pos != len(reader.text):
        raise reader.fail("trailing text")
    return value


def canon(value: Any) -> Canon:
    """An engine answer, as the store returns it, in canonical form."""
    from erm_graph.store.values import GraphNode, GraphPath, GraphRelationship

    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return _canon_float(value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, GraphNode):
        return ("node", tuple(sorted(value.labels)), _props(
            {k: canon(v) for k, v in value.properties.items()}))
    if isinstance(value, GraphRelationship):
        return ("rel", value.type, _props({k: canon(v) for k, v in value.properties.items()}))
    if isinstance(value, GraphPath):
        return _canon_path(value)
    if isinstance(value, list | tuple):
        return ("list", tuple(canon(v) for v in value))
    if isinstance(value, dict):
        return ("map", tuple(sorted((k, canon(v)) for k, v in value.items())))
    if isinstance(value, dt.date | dt.time):
        return ("str", temporal_text(value))  # the TCK writes temporal values as strings
    if type(value).__name__ == "relativedelta":  # the FalkorDB client's durations
        return ("str", duration_text(value))
    return ("str", str(value))


def duration_text(value: Any) -> str:
    """A duration as Cypher prints it: ``P1Y2M3DT4H5M6.5S``, ``PT0S`` when empty."""
    months = value.years * 12 + value.months
    date = "".join(f"{n}{unit}" for n, unit in ((months // 12, "Y"), (months % 12, "M"),
                                               (value.days, "D")) if n)
    seconds = value.seconds + value.microseconds / 1e6
    clock = "".join(f"{n}{unit}" for n, unit in ((value.hours, "H"), (value.minutes, "M"))
                    if n)
    if seconds:
        clock += (f"{seconds:g}" if value.microseconds else str(value.seconds)) + "S"
    if not date and not clock:
        return "PT0S"
    return "P" + date + ("T" + clock if clock else "")


def temporal_text(value: dt.date | dt.time) -> str:
    """A temporal value as Cypher prints it: ``10:35``, ``12:30:14.5``, ``1984-10-11T12:31``."""
    if isinstance(value, dt.datetime):
        # FalkorDB has local date-times only; its client hands them over marked UTC
        return f"{value.date().isoformat()}T{_clock(value.time())}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return _clock(value)


def _clock(value: dt.time) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def _canon_path(path: Any) -> Canon:
    nodes, rels = path.nodes, path.relationships
    parts: list[Any] = [canon(nodes[0])]
    for i, rel in enumerate(rels):
        forward = rel.start == nodes[i].id
        parts += [(canon(rel), ">" if forward else "<"), canon(nodes[i + 1])]
    return ("path", tuple(parts))


def unordered_lists(value: Canon) -> Canon:
    """The value with every list sorted, for ``ignoring element order for lists``."""
    kind = value[0]
    if kind == "list":
        return ("list", tuple(sorted((unordered_lists(v) for v in value[1]), key=repr)))
    if kind == "map":
        return ("map", tuple((k, unordered_lists(v)) for k, v in value[1]))
    return value
