"""Typed values from the text of a spreadsheet cell, and value normalisation.

Each converter takes the cell's text and returns the typed value or raises ``ValueError`` with
the expected form, which the loader turns into a rejected row naming file, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

Converter = Callable[[str], Any]

_MONEY = re.compile(r"^\(?-?[^\d\-(]{0,4}\s*-?[\d,]*\.?\d+\s*[^\d]{0,4}\)?$")
_NOT_DIGIT = re.compile(r"[^\d.]")
#: the common form ($1,100.04, -5, $-3.50), read in one step; anything else takes the long way
_PLAIN_MONEY = re.compile(r"\$?(-?)([\d,]*\.?\d+)")
#: longest text read as an amount: the two patterns above backtrack over a long run of digits
#: (a long run of digits took seconds), and no amount is longer
MONEY_CHARS = 64
TRUE = {"true", "yes", "y", "1", "t", "x", "on"}
FALSE = {"false", "no", "n", "0", "f", "off", ""}


def to_int(text: str) -> int:
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise ValueError("an integer such as 42") from None


def to_float(text: str) -> float:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise ValueError("a number such as 3.5") from None


def to_money(text: str) -> float:
    """``"$1,100.04 "``, ``"-€3.50"``, ``"(12.00)"`` (negative), ``"1 100,04 EUR"`` is not."""
    value = text.strip()
    if len(value) > MONEY_CHARS:
        raise ValueError(f"an amount such as $1,100.04 (at most {MONEY_CHARS} characters)")
    plain = _PLAIN_MONEY.fullmatch(value)
    if plain:
        amount = float(plain[2].replace(",", ""))
        return -amount if plain[1] else amount
    if not _MONEY.match(value):
        raise ValueError("an amount such as $1,100.04")
    negative = value.startswith("(") and value.endswith(")") or "-" in value
    digits = _NOT_DIGIT.sub("", value)
    try:
        amount = float(digits)
    except ValueError:
        raise ValueError("an amount such as $1,100.04") from None
    return -amount if negative else amount


def to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError("a boolean: true/false, yes/no, 1/0")


_NUMERIC_CODES = {"%Y": r"(\d{4})", "%m": r"(\d{1,2})", "%d": r"(\d{1,2})",
                  "%H": r"(\d{1,2})", "%M": r"(\d{1,2})", "%S": r"(\d{1,2})"}
_FIELDS = ("%Y", "%m", "%d", "%H", "%M", "%S")


def _fast_form(pattern: str) -> tuple[re.Pattern[str], list[int]] | None:
    """A regex and field order for patterns of numeric codes and literal text, else None."""
    regex, order = "", []
    for part in re.split(r"(%.)", pattern):
        if part.startswith("%") and len(part) == 2:
            if part not in _NUMERIC_CODES or _FIELDS.index(part) in order:
                return None
            order.append(_FIELDS.index(part))
            regex += _NUMERIC_CODES[part]
        else:
            regex += re.escape(part)
    if not {0, 1, 2} <= set(order):
        return None
    return re.compile(regex + "$"), order


def date_parser(fmt: str, with_time: bool = False) -> Converter:
    """A converter from ``fmt`` (strftime codes, or dd-mm-yyyy style) to an ISO string.

    Patterns of numeric fields and literal text (``%Y-%m-%d %H:%M:%S``, ``dd-mm-yyyy``) are
    read by one precompiled regex and checked by the ``datetime`` constructor, several times
    faster than ``strptime``; anything the fast path does not take goes through ``strptime``,
    so results and errors are the same.
    """
    pattern = to_strftime(fmt)
    example = datetime(2024, 3, 31, 14, 5, 0).strftime(pattern)
    out = "%Y-%m-%dT%H:%M:%S" if with_time else "%Y-%m-%d"
    fast = _fast_form(pattern)

    def slow(text: str) -> str:
        try:
            moment = datetime.strptime(text.strip(), pattern)
        except ValueError:
            raise ValueError(f"a date in the form {fmt} (e.g. {example})") from None
        return moment.strftime(out)

    if fast is None:
        return slow
    match_form, order = fast

    def convert(text: str) -> str:
        m = match_form.match(text.strip())
        if m is None:
            return slow(text)
        parts = [0, 1, 1, 0, 0, 0]
        for index, value in zip(order, m.groups(), strict=True):
            parts[index] = int(value)
        y, mo, d, h, mi, sec = parts
        try:
            datetime(y, mo, d, h, mi, sec)
        except ValueError:
            return slow(text)
        if with_time:
            return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}"
        return f"{y:04d}-{mo:02d}-{d:02d}"

    return convert


def to_strftime(fmt: str) -> str:
    """``dd-mm-yyyy HH:MM`` -> ``%d-%m-%Y %H:%M``; strftime patterns pass through."""
    if "%" in fmt:
        return fmt
    out = fmt
    for token, code in (("yyyy", "%Y"), ("yy", "%y"), ("dd", "%d"), ("HH", "%H"),
                        ("MM", "%m"), ("mm", "%m"), ("SS", "%S"), ("ss", "%S")):
        out = out.replace(token, code)
    # minutes follow hours: "%H:%m" came from HH:MM
    return out.replace("%H:%m", "%H:%M").replace("%M:%m", "%M:%S")


CONVERTERS: dict[str, Converter] = {"string": str, "int": to_int, "float": to_float,
                                    "money": to_money, "bool": to_bool}


def normaliser(steps: list[str], aliases: Mapping[str, str] | None = None) -> Converter:
    """trim / lower / upper / title, then a table of aliases (matched case-insensitively)."""
    table = {k.strip().lower(): v for k, v in (aliases or {}).items()}
    funcs: dict[str, Callable[[str], str]] = {
        "trim": str.strip, "lower": str.lower, "upper": str.upper, "title": str.title,
        "collapse": lambda s: " ".join(s.split())}
    chosen = [funcs[s] for s in steps]
    if not table and len(chosen) <= 1:  # the usual "trim": str.strip itself, no wrapper
        return chosen[0] if chosen else str

    def convert(text: str) -> str:
        for func in chosen:
            text = func(text)
        return table.get(text.strip().lower(), text) if table else text

    return convert
