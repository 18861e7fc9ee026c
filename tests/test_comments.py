"""Comments and docstrings keep the rule and the reason; measured figures live in docs/.

A timing, a throughput or a "1.5x slower" written beside the code goes stale as soon as the
engine, the machine or the code changes, and nothing checks it. The figures behind the
code's choices are in docs/scaling.md ("Why the code does what it does: measured figures")
and in the output of bench/, where they can be measured again. This test reads every comment
(tokenize) and docstring (ast) of the folders below and fails on a measured figure.

Scope: the folders swept for issue 17; the others are added when they are swept too.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
SWEPT = ["erm_graph", "loaders"]

_NUMBER = r"(?<![\w.])\d[\d,]*(?:\.\d+)?"
#: a measured figure: a time, a size, a rate, or a ratio of speeds
FIGURE = re.compile(
    rf"{_NUMBER}\s?(?:ms|µs|s|secs?|seconds?|minutes?|hours?|[KMG]i?B)\b(?!-)"
    rf"|{_NUMBER}\s?k?\s?(?:rows|nodes|edges|records)\s?(?:/\s?s|per second)\b"
    rf"|{_NUMBER}\s?(?:x|×|times)\s+(?:slower|faster)\b"
    rf"|{_NUMBER}\s?%\s+(?:slower|faster|less|more)\b"
    rf"|\btook\s+(?:about\s+|some\s+|over\s+)?\d",
    re.IGNORECASE)
#: history: what the code was, rather than what it is and why
HISTORY = re.compile(r"\b(?:earlier session|before issue\s+\d+|an earlier form|used before)\b",
                     re.IGNORECASE)

#: (file, text on the line, why it is a rule and not a measurement)
ALLOWED = [
    ("erm_graph/ingest/contract.py", "first 4 KB",
     "the length of the head a loader's detect() is shown: a rule"),
    ("erm_graph/ingest/tabular.py", "first 4 KB",
     "the window the CSV delimiter is sniffed from (text[:4096]): a rule"),
]


def _texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every comment and every docstring line of a module."""
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                first = node.body[0].lineno
                for offset, line in enumerate(doc.splitlines()):
                    yield first + offset, line


def _allowed(rel: str, line: str) -> bool:
    return any(rel == file and text in line for file, text, _ in ALLOWED)


def figures_in(paths: list[Path], root: Path = ROOT) -> list[str]:
    """``file:line: text`` of each comment or docstring line with a figure or history."""
    found = []
    for path in paths:
        rel = path.relative_to(root).as_posix()
        for line_no, line in _texts(path):
            if (FIGURE.search(line) or HISTORY.search(line)) and not _allowed(rel, line):
                found.append(f"{rel}:{line_no}: {line.strip()}")
    return found


def _modules() -> list[Path]:
    return sorted(p for folder in SWEPT for p in (ROOT / folder).rglob("*.py"))


def test_no_measured_figures_in_comments_or_docstrings() -> None:
    assert figures_in(_modules()) == []


def test_the_pattern_finds_figures_and_lets_rules_through(tmp_path: Path) -> None:
    measured = ['"""Properties in the pattern: 200k nodes 1.2 s against 2.2 s."""',
                "# made loads 1.5x slower on the engine",
                "# about 155k rows/s on two cores",
                "# server peak RSS 153 MB",
                "# 20% faster than a SET",
                "# a 20,000-digit cell took 6 s",
                "# an earlier form indexed two lists"]
    rules = ['"""Longest a write may run (see TIMEOUT_MAX_MS); uids are 1-64 characters."""',
             "# expand from the side with more distinct uids in the batch",
             "# ``2024-03-02 00:00:00`` reads as a date; ages like 90m, 12h, 7d",
             "# chunks of CHUNK_ROWS rows, three quarters of them keyed"]
    for i, line in enumerate(measured + rules):
        (tmp_path / f"m{i}.py").write_text(line + "\n", encoding="utf-8")
    flagged = {f.split(":")[0] for f in figures_in(sorted(tmp_path.glob("*.py")), tmp_path)}
    assert flagged == {f"m{i}.py" for i in range(len(measured))}

