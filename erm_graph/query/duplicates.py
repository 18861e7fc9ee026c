"""Likely duplicates: records of one label that different sources name differently
(``dept:sales`` and ``dept-sales``; "Acme Corp" and "ACME Corporation"), scored and explained.

Names are compared by `rapidfuzz <https://github.com/rapidfuzz/RapidFuzz>`_ after
:func:`normalise` (case, accents, punctuation, and the words that say what kind of record it is
rather than which one: legal forms like Corp or GmbH, "department"). Comparing every pair of a
label is quadratic, so pairs are only formed inside *blocks*: records that share a normalised
name word (or its first four letters), a normalised uid or an email. A word shared by more than
:data:`BLOCK_CAP` records ("services") tells them apart from nothing and forms no block. What
comes back is bounded: the best ``limit`` pairs per label.

Each suggestion says why (``reasons``), so a person can judge it before ``erm merge``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from rapidfuzz import fuzz, process

from erm_graph import model
from erm_graph.errors import ErmError
from erm_graph.store import GraphReader

#: Labels whose records different sources name: where duplicates are looked for by default.
#: Parties are compared within their kind (a Customer with Customers), since only records of
#: one label may be merged.
DEDUP_LABELS: tuple[str, ...] = ("Department", "Document", "Employee", "Contact", "Party",
                                 *model.PARTY_KINDS, "Product", "Process")

#: words that name the form of a company, not the company
LEGAL_FORMS = frozenset({
    "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "gmbh",
    "ag", "sa", "sas", "sarl", "bv", "nv", "srl", "spa", "co", "company", "kg", "oy", "ab",
    "pty", "the"})
#: words that name the kind of a unit or a record, not which one
KIND_WORDS: dict[str, frozenset[str]] = {
    "Department": frozenset({"dept", "department", "departement", "division", "team", "unit",
                             "the"}),
    "Document": frozenset({"the", "doc", "document"}),
}
#: a name word shared by more records than this forms no block (it tells nothing apart)
BLOCK_CAP = 200
#: letters of a name word's start that form a block of their own
PREFIX = 4
#: records read per label at most; above it the label is compared in part and says so
READ_CAP = 100_000
_PUNCT = re.compile(r"[^\w]+")
_UID_PREFIX = re.compile(r"^[a-z]+[:/_-]")


@dataclass
class Suggestion:
    """Two records of one label that are likely one: ``score`` 0-100 and why."""

    label: str
    a: dict[str, Any]
    b: dict[str, Any]
    score: int
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "a": self.a, "b": self.b, "score": self.score,
                "reasons": self.reasons}


def normalise(text: str | None, label: str = "") -> str:
    """A name as it is compared: lower case, no accents, punctuation as spaces, without the
    words that say what kind of record it is (Corp, GmbH, Department)."""
    if not text:
        return ""
    plain = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    noise = KIND_WORDS.get(label, frozenset()) | (
        LEGAL_FORMS if label in ("Party", *model.PARTY_KINDS, "Contact") else frozenset())
    words = [w for w in _PUNCT.sub(" ", plain).replace("_", " ").split() if w not in noise]
    return " ".join(words)


def normalise_uid(uid: str) -> str:
    """A uid without case and punctuation: ``dept:sales``, ``dept-sales`` and ``Dept_Sales``
    are one."""
    return " ".join(_PUNCT.sub(" ", uid.casefold()).replace("_", " ").split())


def _blocks(records: list[dict[str, Any]]) -> Iterable[tuple[str, list[int]]]:
    """Groups of record indexes worth comparing, each with what its records share: ``word``
    (a name word: its names are compared), ``uid``, ``uid-tail`` or ``email`` (its records
    are alike already). See the module docstring."""
    keys: dict[tuple[str, str], list[int]] = defaultdict(list)
    size = PREFIX
    for i, rec in enumerate(records):
        words = set(rec["norm"].split())
        for word in words:
            if len(word) > 1:
                keys[("word", word)].append(i)
        # a word's first letters too: a typo further on ("Nordik") still meets its twin
        for prefix in {w[:size] for w in words if len(w) > size}:
            keys[("word", prefix + "*")].append(i)
        keys[("uid", rec["uid_norm"])].append(i)
        bare = _UID_PREFIX.sub("", rec["uid_norm"].replace(" ", "-"))
        keys[("uid-tail", bare)].append(i)
        if rec["email"]:
            keys[("email", rec["email"])].append(i)
    cap = BLOCK_CAP
    for (kind, _), members in keys.items():
        if 1 < len(members) <= cap or (kind != "word" and len(members) > 1):
            yield kind, members[:cap]


def _candidates(records: list[dict[str, Any]], min_score: int) -> set[tuple[int, int]]:
    """Pairs (i < j) worth scoring: inside a name-word block, those whose names score
    ``min_score`` or more (compared in C, a block at a time: a block of people who share a
    first name holds thousands of pairs); inside the other blocks, all."""
    import numpy  # here, not at the top: every `erm` command imports this module

    found: set[tuple[int, int]] = set()
    for kind, members in _blocks(records):
        if kind != "word":
            found.update(combinations(sorted(members), 2))
            continue
        names = [records[i]["norm"] for i in members]
        scores = process.cdist(names, names, scorer=fuzz.token_sort_ratio,
                               score_cutoff=min_score)
        for a, b in zip(*numpy.nonzero(numpy.triu(scores, 1)), strict=True):
            i, j = members[a], members[b]
            found.add((i, j) if i < j else (j, i))
    return found


def score_pair(a: dict[str, Any], b: dict[str, Any]) -> tuple[int, list[str]]:
    """The score of two records (as :func:`_records` makes them) and its reasons."""
    reasons = []
    score = 0
    if a["norm"] and b["norm"]:
        score = round(fuzz.token_sort_ratio(a["norm"], b["norm"]))
        if a["norm"] == b["norm"]:
            reasons.append(f"same name once normalised: {a['norm']!r}")
        elif score:
            reasons.append(f"names {score}% alike ({a['name']!r} / {b['name']!r})")
    if a["uid_norm"] == b["uid_norm"]:
        score = max(score, 95)
        reasons.append(f"same uid but for case and punctuation ({a['uid']!r} / {b['uid']!r})")
    if a["email"] and a["email"] == b["email"]:
        score = max(score, 97)
        reasons.append(f"same email {a['email']!r}")
    return score, reasons


def _records(rows: list[list[Any]], label: str) -> list[dict[str, Any]]:
    return [{"uid": uid, "name": name, "norm": normalise(name, label),
             "uid_norm": normalise_uid(str(uid)),
             "email": str(email).strip().casefold() if email else ""}
            for uid, name, email in rows]


def _check_label(label: str) -> str:
    spec = model.LABELS.get(label)
    if spec is None or "name" not in spec.props or label == "Merge":
        named = [n for n, lab in model.LABELS.items() if "name" in lab.props]
        raise ErmError(f"cannot look for duplicates of {label!r}: choose a label whose "
                       f"records have names ({', '.join(named)})")
    return label


def suggest_duplicates(store: GraphReader, label: str | None = None, *,
                       min_score: int = 80, limit: int = 50) -> list[Suggestion]:
    """Likely duplicate pairs per label, best first: at most ``limit`` per label, each scoring
    ``min_score`` or more.

    ``label`` (default: every label of :data:`DEDUP_LABELS`) is a model label; a Party label
    (``Party``) looks only at parties of no kind, a kind (``Customer``) at that kind.

    >>> suggest_duplicates(store, "Department")[0].reasons      # doctest: +SKIP
    ['same name once normalised: 'sales'', "same uid but for case and punctuation ..."]
    """
    labels = [_check_label(label)] if label else list(DEDUP_LABELS)
    found: list[Suggestion] = []
    for lab in labels:
        spec = model.LABELS[lab]
        email = "n.email" if "email" in spec.props else "null"
        # a plain Party is one of no kind: a Customer is compared with Customers
        only = (" WHERE " + " AND ".join(f"NOT n:{k}" for k in model.PARTY_KINDS)
                if lab == "Party" else "")
        rows = store.run(f"MATCH (n:{lab}){only} RETURN n.uid, n.name, {email} "
                         f"ORDER BY n.uid LIMIT {READ_CAP}").rows
        records = _records(rows, lab)
        pairs: list[Suggestion] = []
        for i, j in _candidates(records, min_score):
            score, reasons = score_pair(records[i], records[j])
            if score >= min_score:
                a, b = records[i], records[j]
                pairs.append(Suggestion(lab, {"uid": a["uid"], "name": a["name"]},
                                        {"uid": b["uid"], "name": b["name"]}, score, reasons))
        pairs.sort(key=lambda s: (-s.score, s.a["uid"], s.b["uid"]))
        found += pairs[:limit]
    return found
