"""CRM capability maturity: each area's level from 1 to 5, with the evidence for every
criterion and what would raise it one level.

The model is data (``maturity-model.yaml`` beside this module, documented in
docs/strategy.md): areas, and for each the criteria of levels 2-5, each either a measure of
the library (:mod:`erm_graph.query.maturity`) against a threshold or a question of the
questionnaire. The model is staged, as capability-maturity models are: an area is at level N
when every criterion of levels 2..N is met, so a strong measure cannot hide a missing basic.
An unanswered question counts as not met, and the evidence says it was not answered.

An assessment can be kept (``save``) as an ``Assessment`` node of the graph, with its
answers: the trend is the series of kept assessments, and the next assessment starts from
the last answers.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from erm_graph.errors import ErmError
from erm_graph.events import WriteKind, current_actor, writing
from erm_graph.ingest.untrusted import LoadError
from erm_graph.ingest.yaml_reader import read_spec, read_yaml_file
from erm_graph.query.maturity import MEASURE_NAMES, Measure, assessments, maturity_measures
from erm_graph.store import GraphReader, GraphStore

MODEL_FILE = Path(__file__).parent / "maturity-model.yaml"
LABEL = "Assessment"
#: an answers file larger than this is not a questionnaire, a model file not a model
MAX_ANSWERS_BYTES, MAX_MODEL_BYTES = 16_000, 64_000


class MaturityError(ErmError):
    kind = "maturity"


class CriterionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=2, le=5)
    metric: str | None = None
    at_least: float | None = None
    question: str | None = None
    advice: str

    @model_validator(mode="after")
    def one_kind(self) -> CriterionSpec:
        if (self.metric is None) == (self.question is None):
            raise ValueError("a criterion names a metric (with at_least) or a question")
        if self.metric is not None and self.at_least is None:
            raise ValueError(f"metric {self.metric} needs at_least")
        return self


class AreaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    criteria: list[CriterionSpec] = Field(min_length=1)


class MaturityModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    levels: dict[int, str]
    areas: dict[str, AreaSpec]
    questions: dict[str, str]


def load_maturity_model(path: Path = MODEL_FILE) -> MaturityModel:
    """The maturity model, checked: every metric it names is measured, every question asked."""
    found = read_spec(path, MaturityModel, MAX_MODEL_BYTES)
    for name, area in found.areas.items():
        for c in area.criteria:
            if c.metric is not None and c.metric not in MEASURE_NAMES:
                raise MaturityError(f"{path}: {name}: no measure {c.metric!r}")
            if c.question is not None and c.question not in found.questions:
                raise MaturityError(f"{path}: {name}: no question {c.question!r}")
    return found


@dataclass(frozen=True)
class Evidence:
    """One criterion as assessed: met or not, and why."""

    level: int
    kind: Literal["measure", "question"]
    name: str
    met: bool
    says: str
    advice: str
    value: float | None = None
    at_least: float | None = None
    answer: bool | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class AreaLevel:
    area: str
    title: str
    level: int
    evidence: list[Evidence]

    @property
    def to_next(self) -> list[Evidence]:
        """What raises the area one level: the unmet criteria of the next level."""
        return [e for e in self.evidence if e.level == self.level + 1 and not e.met]

    def as_json(self) -> dict[str, Any]:
        return {"area": self.area, "title": self.title, "level": self.level,
                "evidence": [e.as_json() for e in self.evidence],
                "recommendations": [e.advice for e in self.to_next]}


@dataclass
class Assessment:
    at: str
    areas: list[AreaLevel]
    answers: dict[str, bool]
    measures: dict[str, Measure]
    levels: dict[int, str] = field(default_factory=dict)

    @property
    def overall(self) -> int:
        """The organisation's level: its weakest area's (a chain is as strong as ...)."""
        return min(a.level for a in self.areas)

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "overall": self.overall,
                "areas": [a.as_json() for a in self.areas], "answers": self.answers,
                "measures": {k: m.as_json() for k, m in self.measures.items()},
                "levels": self.levels}


def _measured(c: CriterionSpec, m: Measure) -> Evidence:
    assert c.metric is not None and c.at_least is not None
    met = m.value is not None and m.value >= c.at_least
    shown = "nothing to measure" if m.value is None else f"{m.value:g}"
    return Evidence(c.level, "measure", c.metric, met,
                    f"{m.says}: {shown} ({m.numerator:g} of {m.denominator}); "
                    f"level {c.level} needs at least {c.at_least:g}",
                    c.advice, value=m.value, at_least=c.at_least)


def _answered(c: CriterionSpec, text: str, answers: dict[str, bool]) -> Evidence:
    assert c.question is not None
    answer = answers.get(c.question)
    said = {True: "answered yes", False: "answered no", None: "not answered"}[answer]
    return Evidence(c.level, "question", c.question, answer is True, f"{text} {said}",
                    c.advice, answer=answer)


def assess(store: GraphReader, answers: dict[str, bool] | None = None, *,
           on: str | None = None, spec: MaturityModel | None = None) -> Assessment:
    """The maturity of the library in ``store``; ``answers`` to the questionnaire (question
    id -> yes) default to those of the last kept assessment."""
    spec = spec or load_maturity_model()
    if answers is None:
        kept = assessments(store, limit=1)
        answers = kept[0]["answers"] if kept else {}
    unknown = sorted(set(answers) - set(spec.questions))
    if unknown:
        raise MaturityError(f"no question {', '.join(map(repr, unknown))}; the questions: "
                            f"{', '.join(spec.questions)}")
    measures = maturity_measures(store, on=on)
    areas = []
    for name, area in spec.areas.items():
        evidence = [_measured(c, measures[c.metric]) if c.metric is not None
                    else _answered(c, spec.questions[c.question or ""], answers)
                    for c in sorted(area.criteria, key=lambda c: c.level)]
        level = 1
        while all(e.met for e in evidence if e.level == level + 1) and level < 5:
            level += 1
        areas.append(AreaLevel(name, area.title, level, evidence))
    # to the millisecond: two kept in one second are two points of the trend
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Assessment(at, areas, dict(answers), measures, dict(spec.levels))


def read_answers(path: Path) -> dict[str, bool]:
    """A questionnaire file: ``question: yes|no`` per line (YAML)."""
    where = str(path)
    try:
        raw = read_yaml_file(path, MAX_ANSWERS_BYTES)
    except LoadError as exc:
        raise MaturityError(str(exc)) from None
    if not isinstance(raw, dict) or not all(isinstance(v, bool) for v in raw.values()):
        raise MaturityError(f"{where}: give each question as `question_id: yes` or `no`")
    return {str(k): bool(v) for k, v in raw.items()}


def save(store: GraphStore, found: Assessment) -> str:
    """Keep ``found`` as an Assessment node (an audited write); returns its uid."""
    uid = f"assessment@{found.at}"
    row = {"uid": uid, "name": f"Maturity assessment {found.at[:10]}", "at": found.at,
           "by": current_actor().name, "overall": found.overall,
           "levels": json.dumps({a.area: a.level for a in found.areas}),
           "answers": json.dumps(found.answers),
           "evidence": json.dumps([a.as_json() for a in found.areas], ensure_ascii=False)}
    with writing(WriteKind.ASSESS, uid, store, detail={"overall": found.overall}):
        store.upsert_nodes(LABEL, [row])
    return uid
