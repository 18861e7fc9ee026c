"""Cypher text as tokens: the one lexer for every check made on query text before it runs.

It reads a statement once, left to right (linear in its length), and knows what a reader of the
text must know not to be fooled: string literals with escapes, backtick-quoted names, ``//`` and
``/* */`` comments, numbers, parameters and multi-character operators. It is not a parser:
callers look at token sequences (a clause keyword, a pattern's brackets) and at depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from erm_graph.errors import ErmError

#: kinds: "name" (identifier or keyword), "quoted" (`name`), "string", "number", "param",
#: "op" (punctuation and operators)
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`(?:[^`]|``)*`)
  | (?P<number>0[xX][0-9a-fA-F]+|0o[0-7]+|(?:\d+\.\d+|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<param>\$(?:\w+|`[^`]*`))
  | (?P<name>[^\W\d]\w*)
  | (?P<unclosed>/\*|'|"|`)
  | (?P<op><>|<=|>=|=~|\+=|->|<-|\.\.|::|[-+*/%^=<>(){}\[\],.:;|!?&])
""", re.VERBOSE | re.DOTALL)


class CypherSyntaxError(ErmError):
    """Text the lexer cannot read (an unterminated string or comment, a stray character)."""

    kind = "syntax"
    #: where the lexer stopped, as an offset in the statement
    offset: int | None = None

    def __init__(self, message: str, offset: int | None = None):
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int  # offset in the statement

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "name" else self.text

    @property
    def variable(self) -> str:
        """The name as Cypher binds it: a quoted name without its backticks."""
        return self.text[1:-1].replace("``", "`") if self.kind == "quoted" else self.text

    def is_word(self, *words: str) -> bool:
        return self.kind == "name" and self.text.upper() in words


def tokens(text: str) -> Iterator[Token]:
    """The statement's tokens without spaces and comments. Every branch of the pattern
    consumes at least one character and none can match a prefix of another's text in more
    than one way, so the scan is linear."""
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            raise CypherSyntaxError(f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup or ""  # every alternative of _TOKEN is a named group
        if kind == "unclosed":
            raise CypherSyntaxError(f"{match.group()[:20]} is never closed", pos)
        if kind not in ("space", "comment"):
            yield Token(kind, match.group(), pos)
        pos = match.end()


def brackets(toks: list[Token]) -> tuple[dict[int, int], list[int]]:
    """Index of each opening bracket -> index of its closing one (unclosed: the end), and each
    token's bracket depth (an opening bracket has the depth outside it)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[int] = []
    close: dict[int, int] = {}
    depth: list[int] = []
    for i, tok in enumerate(toks):
        if tok.kind == "op" and tok.text in pairs.values() and stack \
                and pairs[toks[stack[-1]].text] == tok.text:
            close[stack.pop()] = i
        depth.append(len(stack))
        if tok.kind == "op" and tok.text in pairs:
            stack.append(i)
    for i in stack:
        close[i] = len(toks)
    return close, depth


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column) of ``offset`` in ``text``, both counted from 1."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def string_at(text: str, pos: int) -> tuple[str, int]:
    """The value of the string literal that starts at ``pos``, and the offset after it."""
    match = _TOKEN.match(text, pos)
    if match is None or match.lastgroup != "string":
        raise CypherSyntaxError(f"no closed string literal at offset {pos}")
    return decode_string(match.group()), match.end()


def decode_string(literal: str) -> str:
    """The value of a string literal token (quotes removed, escapes decoded)."""
    body, out, i = literal[1:-1], [], 0
    simple = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            code = body[i + 1]
            if code in "uU":
                width = 4 if code == "u" else 8
                digits = body[i + 2:i + 2 + width]
                if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                    out.append(chr(int(digits, 16)))
                    i += 2 + width
                    continue
            out.append(simple.get(code, code))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def encode_string(value: str) -> str:
    """A single-quoted literal for ``value`` that every engine reads back the same."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'"
