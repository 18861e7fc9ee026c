"""Find pattern comprehensions that introduce the same variable name twice in one statement.

FalkorDB 4.16 confuses such variables: in
``RETURN [(d:Department)-[:PERFORMS]->(s) | d.name], [(s)-[:USES]->(d:Document) | d.name]``
the second list comes back empty, and ``head([(s)<-[:RESPONSIBLE_FOR]-(o) | ...])`` after
another comprehension over ``o`` gives null: wrong answers without an error
(``docs/queries.md``, "Engine traps"). The query library refuses a file where one name is
introduced by two pattern comprehensions, wherever they stand in the statement.

The check is a single pass over the tokens (comments and strings understood), so it is
linear in the statement's length. It keeps the variables in scope as clauses bind them
(MATCH patterns, ``AS`` aliases, ``WITH`` projections, list-comprehension and ``reduce``
variables): a comprehension variable that is already in scope is a reference to the outer
node, not a new one, and may appear in any number of comprehensions.
"""

from __future__ import annotations

from dataclasses import dataclass

from erm_graph.query.cypher_text import Token, brackets, position, tokens

#: a variable is a plain or a backtick-quoted name
_NAMES = ("name", "quoted")
_PATTERN_CLAUSES = {"MATCH", "MERGE", "CREATE"}
_CLAUSES = {"MATCH", "OPTIONAL", "WITH", "RETURN", "UNWIND", "WHERE", "ORDER", "SKIP", "LIMIT",
            "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "UNION", "CALL", "FOREACH",
            "ON", "YIELD"}
_ITERATORS = {"REDUCE", "ANY", "ALL", "NONE", "SINGLE", "FILTER", "EXTRACT"}


@dataclass(frozen=True)
class Reuse:
    """``name`` introduced by two pattern comprehensions, at ``first`` and ``second``."""

    name: str
    first: tuple[int, int]
    second: tuple[int, int]

    def shifted(self, lines: int) -> Reuse:
        """The same reuse with line numbers counted ``lines`` further (the file's header)."""
        return Reuse(self.name, (self.first[0] + lines, self.first[1]),
                     (self.second[0] + lines, self.second[1]))

    def __str__(self) -> str:
        return (f"variable `{self.name}` is introduced by two pattern comprehensions (line "
                f"{self.first[0]} column {self.first[1]}, and line {self.second[0]} column "
                f"{self.second[1]}): FalkorDB then returns empty lists or nulls for the second; "
                "give each comprehension its own names")


def reused_variables(cypher: str) -> list[Reuse]:
    """Every variable name a second pattern comprehension introduces again, in order."""
    found = _Scanner(list(tokens(cypher))).run()
    return [Reuse(name, position(cypher, a), position(cypher, b)) for name, a, b in found]


class _Scanner:
    def __init__(self, toks: list[Token]):
        self.toks = toks
        self.close, self.depth = brackets(toks)
        self.introduced: dict[str, int] = {}
        self.reuses: list[tuple[str, int, int]] = []

    def run(self) -> list[tuple[str, int, int]]:
        scope: set[str] = set()
        after_with: set[str] | None = None  # the scope once the current WITH is projected
        clause = ""
        i = 0
        while i < len(self.toks):
            tok = self.toks[i]
            if tok.kind in _NAMES and tok.upper in _CLAUSES and self.depth[i] == 0:
                if after_with is not None:
                    scope, after_with = after_with, None
                if tok.upper == "WITH":
                    after_with = self._with_scope(i, scope)
                clause = tok.upper if tok.upper != "OPTIONAL" else clause
                i += 1
            elif clause in _PATTERN_CLAUSES:
                if tok.kind in _NAMES and (self.toks[i - 1].text in "([" or self._at(i + 1, "=")):
                    scope.add(tok.variable)
                i += 1
            else:
                if tok.upper == "AS" and i + 1 < len(self.toks):
                    scope.add(self.toks[i + 1].variable)
                    if after_with is not None:
                        after_with.add(self.toks[i + 1].variable)
                i = self._expression(i, scope)
        return self.reuses

    def _expression(self, i: int, scope: set[str]) -> int:
        """Look at token ``i`` inside an expression; return the next index to look at."""
        tok = self.toks[i]
        if tok.text == "[" and i in self.close:
            return self._bracket(i, scope)
        if tok.text == "(" and i in self.close and i > 0 and self.toks[i - 1].upper in _ITERATORS:
            end = self.close[i]
            inner = scope | self._iterator_variables(i + 1, end)
            self._walk(i + 1, end, inner)
            return end + 1
        return i + 1

    def _bracket(self, i: int, scope: set[str]) -> int:
        end = self.close[i]
        start = i + 1
        if self._at(start + 1, "=") and self.toks[start].kind in _NAMES:
            start += 2  # a named path: [p = (a)-->(b) | ...]
        if self._at(start, "(") and self._is_pattern(start, end):
            pattern_end = self._find("WHERE", start, self._find("|", start, end))
            new = {}
            for name, offset in self._pattern_names(i + 1, pattern_end):
                if name not in scope and name not in new:
                    new[name] = offset
            for name, offset in new.items():
                if name in self.introduced:
                    self.reuses.append((name, self.introduced[name], offset))
                else:
                    self.introduced[name] = offset
            self._walk(pattern_end, end, scope | set(new))
            return end + 1
        if self.toks[start].kind in _NAMES and self._at(start + 1, "IN"):
            self._walk(start + 2, end, scope | {self.toks[start].variable})
            return end + 1
        self._walk(i + 1, end, scope)
        return end + 1

    def _walk(self, i: int, end: int, scope: set[str]) -> None:
        while i < end:
            i = self._expression(i, scope)

    def _at(self, i: int, text: str) -> bool:
        return i < len(self.toks) and self.toks[i].upper == text

    def _is_pattern(self, start: int, end: int) -> bool:
        """``(`` at ``start`` opens a node pattern: a relationship follows its ``)``."""
        after = self.close.get(start, end) + 1
        return after < end and self.toks[after].text in ("-", "<-", "->", "<")

    def _find(self, text: str, start: int, end: int) -> int:
        """The first ``text`` token between ``start`` and ``end`` outside nested brackets
        (``end`` when there is none)."""
        i = start
        while i < end:
            if self.toks[i].upper == text:
                return i
            i = self.close.get(i, i) + 1
        return end

    def _pattern_names(self, start: int, end: int) -> list[tuple[str, int]]:
        names = []
        for j in range(start, end):
            tok = self.toks[j]
            if tok.kind not in _NAMES or j == 0:
                continue
            before = self.toks[j - 1].text
            if before in ("(", "[") or self._at(j + 1, "="):
                names.append((tok.variable, tok.start))
        return names

    def _iterator_variables(self, start: int, end: int) -> set[str]:
        """``acc`` and ``x`` of ``reduce(acc = 0, x IN xs | ...)``, ``x`` of ``any(x IN ...)``."""
        found = set()
        j = start
        while j < end:  # nested brackets are skipped: each token is looked at once
            if self.toks[j].kind in _NAMES and (self._at(j + 1, "IN") or self._at(j + 1, "=")):
                found.add(self.toks[j].variable)
            j = self.close.get(j, j) + 1
        return found

    def _with_scope(self, i: int, scope: set[str]) -> set[str]:
        """The variables a ``WITH`` at ``i`` keeps: bare names and ``AS`` aliases."""
        kept: set[str] = set()
        j = item_start = i + 1
        while True:
            tok = self.toks[j] if j < len(self.toks) else None
            if tok is None or tok.text == "," or (
                    tok.kind in _NAMES and tok.upper in _CLAUSES and self.depth[j] == 0):
                item = [t for t in self.toks[item_start:j] if t.upper != "DISTINCT"]
                if len(item) == 1 and item[0].text == "*":
                    kept |= scope
                elif len(item) == 1 and item[0].kind in _NAMES:
                    kept.add(item[0].variable)
                elif len(item) >= 2 and item[-2].upper == "AS":
                    kept.add(item[-1].variable)
                if tok is None or tok.text != ",":
                    return kept
                item_start = j + 1
            j = self.close.get(j, j) + 1
