"""Edit a relationship map in the app: a change list applied as one save, which becomes the
map's next revision.

A change list is a list of changes, each a mapping with a ``kind`` (:data:`KINDS`) and its
fields; the web page's edit mode, ``erm map edit MAP --changes FILE`` and :func:`edit_map`
take the same list. Steps are named by uid; a step added earlier in the same list is named by
the ``id`` its ``add_step`` gave it.

The save is all or nothing: every change is checked first against the map as it is (the
steps it names are the map's, the performers, documents, parties and owners exist and are of
the right label, an owner has not left) and the map after all of them against the model, as
a load checks its records; one fault anywhere refuses the whole list, naming the change and
its field, and writes nothing. The save names the version it was made on (``based_on``); when
another save or load made a newer one meanwhile it is refused as a conflict.

What it writes follows the map revisions of :mod:`erm_graph.ingest.revisions`: the map after
the changes is written like a load of it (its records carry the source
``edit:<namespace>.edits#...`` unless a file of the map wrote them), what it no longer has is
retired, and a ``MapRevision`` with action ``edit`` keeps its records, so `erm map restore`
brings back any version, the one before the edit included. A map that no load recorded
(the demo's) gets a first revision of the map as it stood, before the edit's own. The whole
save is one write event (``map.edit``), whose audit record lists each change with its values
before and after.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from erm_graph import model
from erm_graph.errors import ErmError, Problem, ValidationError
from erm_graph.events import WriteKind, writing
from erm_graph.ingest.owners import namespace_of
from erm_graph.ingest.revisions import (
    MapPlan,
    NodeKey,
    Records,
    RelKey,
    apply_plan,
    plan_map,
)
from erm_graph.ingest.writer import dangling, write_batch
from erm_graph.query.governance import has_left
from erm_graph.query.mapedit import labels_of, map_content
from erm_graph.query.maps import resolve_process
from erm_graph.query.revisions import latest_version, revision
from erm_graph.store import GraphStore

#: changes one save takes at most: a change list is typed by a person, and the whole list is
#: checked and held in memory before anything is written
MAX_CHANGES = 500
#: the longest name or label a change may give
MAX_TEXT = 500
#: what a change list file may weigh
MAX_FILE_BYTES = 2_000_000
#: the relationships that attach a component to a step, by the label of the component
ATTACH = {"Department": "PERFORMS", "Employee": "PERFORMS", "Party": "PARTICIPATES_IN"}
DOCUMENT_TIES = ("USES", "PRODUCES")
OWNER = "RESPONSIBLE_FOR"
SUFFIX = ".edits"


class StaleRevision(ErmError):
    """The save was made on a version of the map that is no longer its newest."""

    kind = "conflict"


class ChangeError(ValidationError):
    """Changes of a list that cannot be applied; each problem names its change and field."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        lines = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        self.args = (f"{len(problems)} problem(s) in the change list; nothing was saved:\n"
                     f"{lines}{more}",)


def edit_file(namespace: str) -> str:
    """The name the edits of a map stand under in its records' ``source`` and its history's
    "from file", beside the files that wrote it."""
    return f"{namespace}{SUFFIX}"


@dataclass
class MapEdit:
    """What a save did (or, ``dry_run``, would do): the map, the version it was made on and
    the one written, the changes in words, and the revision's counts."""

    map: str
    process: str
    based_on: int
    version: int | None
    summary: list[str]
    applied: list[dict[str, Any]]
    plan: MapPlan | None = None
    new_steps: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        found = self.plan.as_dict(dry_run=self.version is None) if self.plan else {}
        return {"map": self.map, "process": self.process, "based_on": self.based_on,
                "version": self.version, "summary": self.summary,
                "new_steps": self.new_steps,
                **{k: found.get(k, 0) for k in ("added", "changed", "removed")},
                "changes": found.get("changes", {})}


# -- reading a change list ----------------------------------------------------------------------
def read_changes(path: Path) -> list[dict[str, Any]]:
    """The change list in the YAML or JSON file ``path``: a list, or ``{changes: [...]}``."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ErmError(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes; a change list "
                       f"holds at most {MAX_CHANGES} changes")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ErmError(f"{path.name} is not YAML or JSON: {exc}") from None
    if isinstance(data, dict) and "changes" in data:
        data = data["changes"]
    if not isinstance(data, list):
        raise ErmError(f"{path.name}: expected a list of changes (or `changes:` with one)")
    return data


# -- the map being edited ------------------------------------------------------------------------
class Working:
    """The map's records while the changes apply: nodes and relationships by key, the steps
    of the process, and the problems found so far."""

    def __init__(self, records: Records, process: str, files: list[str], known: set[str]):
        self.records = records
        self.process = process
        self.files = files
        self.marks = [f":{name}#" for name in files]
        self.known = known  # uids the store holds (of performers, documents, parties, owners)
        self.refs: dict[str, str] = {}  # an add_step's id -> the new step's uid
        self.problems: list[Problem] = []
        self.summary: list[str] = []
        self.applied: list[dict[str, Any]] = []
        self.labels: dict[str, list[str]] = {}  # the stored records' labels, by uid
        self.left: dict[str, Any] = {}  # the day each employee who left left, by uid
        self.replaced_owners: list[NodeKey] = []

    # steps
    def steps(self) -> dict[str, dict[str, Any]]:
        return {uid: props for (key, uid), (_, props) in self.records.nodes.items()
                if key == "Step"}

    def step(self, where: str, name: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            self.fault(where, name, "the uid of a step of this map (or the id of a step "
                                    "added earlier in the list)", value)
            return None
        uid = self.refs.get(value, value)
        if ("Step", uid) not in self.records.nodes:
            self.fault(where, name, "a step of this map (or the id of a step added earlier "
                                    "in the list)", value)
            return None
        return uid

    def name_of(self, uid: str) -> str:
        return self.records.name(("Step", uid))

    def flows(self, uid: str, outgoing: bool) -> list[RelKey]:
        i = 2 if outgoing else 4
        return [k for k in self.records.rels if k[0] == "NEXT" and k[i] == uid]

    def fault(self, where: str, name: str, expected: str, got: Any = None) -> None:
        self.problems.append(Problem(where, name, expected, _shown(got)))

    def text(self, where: str, change: Mapping[str, Any], name: str, *,
             required: bool = False) -> str | None:
        value = change.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and not required):
            if required:
                self.fault(where, name, "a text, not empty")
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            self.fault(where, name, f"a text of 1 to {MAX_TEXT} characters", value)
            return None
        return value.strip()

    def problems_in(self, where: str) -> bool:
        return any(p.where == where for p in self.problems)

    def done(self, where: str, change: Mapping[str, Any], said: str, target: str,
             before: Any, after: Any) -> None:
        """Keep an applied change: in words for the revision, with its values before and
        after for the audit record."""
        self.summary.append(said)
        self.applied.append({"change": where, "kind": change.get("kind"), "target": target,
                             "before": before, "after": after})

    def source(self, element: str) -> str:
        return f"edit:{self.files[-1]}#{element}"

    def rel(self, key: RelKey, **props: Any) -> None:
        self.records.rels[key] = {**{k: v for k, v in props.items() if v is not None},
                                  "source": self.source(f"{key[0]}:{key[2]}>{key[4]}")}


# -- the changes ------------------------------------------------------------------------------
def _add_step(w: Working, where: str, c: Mapping[str, Any]) -> None:
    name = w.text(where, c, "name", required=True)
    kind = c.get("step_kind") or "task"
    step_kinds = model.label("Step").props["kind"].choices or ()
    if kind not in step_kinds:
        w.fault(where, "step_kind", f"one of {', '.join(step_kinds)}", kind)
    after = w.step(where, "after", c["after"]) if c.get("after") is not None else None
    before = w.step(where, "before", c["before"]) if c.get("before") is not None else None
    if c.get("after") is not None and c.get("before") is not None:
        w.fault(where, "before", "after or before, not both")
    ref = c.get("id")
    if ref is not None and (not isinstance(ref, str) or not ref or len(ref) > 100
                            or ref in w.refs):
        w.fault(where, "id", "a short text naming the new step in later changes, unused "
                             "before in the list", ref)
    if name is None or kind not in step_kinds or w.problems_in(where):
        return
    uid = f"{w.process}/step-{uuid.uuid4().hex[:10]}"
    steps = w.steps()
    anchor = after or before
    order = (int(steps[anchor].get("order") or 0) + (1 if after else 0)) if anchor \
        else 1 + max((int(p.get("order") or 0) for p in steps.values()), default=-1)
    for s_uid, props in steps.items():  # the steps from its place on move one on
        if int(props.get("order") or 0) >= order and anchor:
            props["order"] = int(props.get("order") or 0) + 1
            has = w.records.rels.get(("HAS_STEP", "Process", w.process, "Step", s_uid))
            if has is not None:
                has["order"] = props["order"]
    w.records.nodes[("Step", uid)] = ("Step", {"uid": uid, "name": name, "kind": kind,
                                               "order": order, "source": w.source(uid)})
    w.rel(("HAS_STEP", "Process", w.process, "Step", uid), order=order)
    if after:
        for key in w.flows(after, True):
            props = w.records.rels.pop(key)
            w.records.rels[("NEXT", "Step", uid, "Step", key[4])] = props
        w.rel(("NEXT", "Step", after, "Step", uid))
    elif before:
        for key in w.flows(before, False):
            props = w.records.rels.pop(key)
            w.records.rels[("NEXT", "Step", key[2], "Step", uid)] = props
        w.rel(("NEXT", "Step", uid, "Step", before))
    if isinstance(ref, str):
        w.refs[ref] = uid
    place = f" after {w.name_of(after)}" if after else \
        f" before {w.name_of(before)}" if before else ""
    w.done(where, c, f"add step {name!r}{place}", uid, None, {"name": name, "kind": kind})


def _rename_step(w: Working, where: str, c: Mapping[str, Any]) -> None:
    uid = w.step(where, "step", c.get("step"))
    name = w.text(where, c, "name", required=True)
    if uid is None or name is None:
        return
    props = w.records.nodes[("Step", uid)][1]
    before = props.get("name")
    props["name"] = name
    w.done(where, c, f"rename step {before!r} to {name!r}", uid, {"name": before},
           {"name": name})


def _remove_step(w: Working, where: str, c: Mapping[str, Any]) -> None:
    uid = w.step(where, "step", c.get("step"))
    reconnect = c.get("reconnect", True)
    if not isinstance(reconnect, bool):
        w.fault(where, "reconnect", "true or false", reconnect)
        return
    if uid is None:
        return
    into = [k for k in w.flows(uid, False) if k[2] != uid]
    out = [k for k in w.flows(uid, True) if k[4] != uid]
    name = w.name_of(uid)
    gone = [k for k in w.records.rels if (k[1] == "Step" and k[2] == uid)
            or (k[3] == "Step" and k[4] == uid)]
    before = {"name": name, "relationships": len(gone)}
    for key in gone:
        del w.records.rels[key]
    del w.records.nodes[("Step", uid)]
    joined = 0
    if reconnect:
        for a in into:
            for b in out:
                key = ("NEXT", "Step", a[2], "Step", b[4])
                if key not in w.records.rels:
                    w.rel(key)
                    joined += 1
    w.done(where, c, f"remove step {name!r}" + (f" (its {joined} flow(s) reconnected)"
                                                  if joined else ""), uid, before, None)


def _flow_ends(w: Working, where: str, c: Mapping[str, Any]) -> tuple[str, str] | None:
    a = w.step(where, "from", c.get("from"))
    b = w.step(where, "to", c.get("to"))
    return (a, b) if a and b else None


def _add_flow(w: Working, where: str, c: Mapping[str, Any]) -> None:
    ends = _flow_ends(w, where, c)
    label = w.text(where, c, "label")
    condition = w.text(where, c, "condition")
    if ends is None or w.problems_in(where):
        return
    key = ("NEXT", "Step", ends[0], "Step", ends[1])
    if key in w.records.rels:
        w.fault(where, "to", "a step the flow does not reach already", c.get("to"))
        return
    w.rel(key, label=label, condition=condition)
    w.done(where, c, f"add flow {w.name_of(ends[0])!r} → {w.name_of(ends[1])!r}",
           f"{ends[0]} NEXT {ends[1]}", None, {"label": label, "condition": condition})


def _existing_flow(w: Working, where: str, c: Mapping[str, Any]) -> RelKey | None:
    ends = _flow_ends(w, where, c)
    if ends is None:
        return None
    key = ("NEXT", "Step", ends[0], "Step", ends[1])
    if key not in w.records.rels:
        w.fault(where, "to", "a step the flow from 'from' reaches (there is no such flow)",
                c.get("to"))
        return None
    return key


def _remove_flow(w: Working, where: str, c: Mapping[str, Any]) -> None:
    key = _existing_flow(w, where, c)
    if key is None:
        return
    before = w.records.rels.pop(key)
    w.done(where, c, f"remove flow {w.name_of(key[2])!r} → {w.name_of(key[4])!r}",
           f"{key[2]} NEXT {key[4]}", _plain(before), None)


def _rename_flow(w: Working, where: str, c: Mapping[str, Any]) -> None:
    key = _existing_flow(w, where, c)
    label = w.text(where, c, "label")
    if key is None or w.problems_in(where):
        return
    props = w.records.rels[key]
    before = props.get("label")
    if label is None:
        props.pop("label", None)
    else:
        props["label"] = label
    w.done(where, c, f"label flow {w.name_of(key[2])!r} → {w.name_of(key[4])!r} "
                     f"{label or '(none)'!r}", f"{key[2]} NEXT {key[4]}", {"label": before},
           {"label": label})


def _other(w: Working, where: str, name: str, value: Any, labels: Sequence[str]) -> str | None:
    """The key label of the record ``value`` names, when it is one of ``labels``."""
    if not isinstance(value, str) or not value or value not in w.known:
        w.fault(where, name, f"the uid of a stored {' or '.join(labels)}", value)
        return None
    found = w.labels[value]
    for label in labels:
        if label in found:
            return model.label(label).key_label
    w.fault(where, name, f"a {' or '.join(labels)}, not a {model.primary_label(found)}", value)
    return None


def _assign_performer(w: Working, where: str, c: Mapping[str, Any]) -> None:
    uid = w.step(where, "step", c.get("step"))
    key = _other(w, where, "performer", c.get("performer"), ("Employee", "Department"))
    role = w.text(where, c, "role")
    if uid is None or key is None or w.problems_in(where):
        return
    other = str(c["performer"])
    w.rel(("PERFORMS", key, other, "Step", uid), role=role)
    w.done(where, c, f"{key} {other} performs {w.name_of(uid)!r}", f"{other} PERFORMS {uid}",
           None, {"role": role})


def _add_party(w: Working, where: str, c: Mapping[str, Any]) -> None:
    uid = w.step(where, "step", c.get("step"))
    key = _other(w, where, "party", c.get("party"), ("Party",))
    role = w.text(where, c, "role")
    if uid is None or key is None or w.problems_in(where):
        return
    other = str(c["party"])
    w.rel(("PARTICIPATES_IN", "Party", other, "Step", uid), role=role)
    w.done(where, c, f"party {other} takes part in {w.name_of(uid)!r}",
           f"{other} PARTICIPATES_IN {uid}", None, {"role": role})


def _attach_document(w: Working, where: str, c: Mapping[str, Any]) -> None:
    uid = w.step(where, "step", c.get("step"))
    how = str(c.get("how") or "uses").upper()
    if how not in DOCUMENT_TIES:
        w.fault(where, "how", "uses or produces", c.get("how"))
    doc = c.get("document")
    name = None
    doc_kind = "document"
    doc_kinds = model.label("Document").props["kind"].choices or ()
    if doc is None:  # a new document (or data store) by name
        name = w.text(where, c, "name", required=True)
        doc_kind = c.get("document_kind") or "document"
        if doc_kind not in doc_kinds:
            w.fault(where, "document_kind", f"one of {', '.join(doc_kinds)}", doc_kind)
    else:
        _other(w, where, "document", doc, ("Document",))
    if uid is None or w.problems_in(where):
        return
    if doc is None:
        doc = f"document-{uuid.uuid4().hex[:12]}"
        w.records.nodes[("Document", doc)] = ("Document", {
            "uid": doc, "name": name, "kind": doc_kind, "source": w.source(doc)})
    w.rel((how, "Step", uid, "Document", str(doc)))
    w.done(where, c, f"{w.name_of(uid)!r} {how.lower()} {name or doc!r}",
           f"{uid} {how} {doc}", None, {"document": doc, "name": name})


def _detach(w: Working, where: str, c: Mapping[str, Any]) -> None:
    uid = w.step(where, "step", c.get("step"))
    other = c.get("uid")
    if uid is None:
        return
    found = [k for k in w.records.rels
             if k[0] in (*ATTACH.values(), *DOCUMENT_TIES)
             and ((k[2] == other and k[4] == uid) or (k[2] == uid and k[4] == other))]
    if not found:
        w.fault(where, "uid", f"a performer, document or party of step {w.name_of(uid)!r}",
                other)
        return
    for key in found:
        del w.records.rels[key]
    w.done(where, c, f"detach {other} from {w.name_of(uid)!r}", f"{uid} - {other}",
           {"relationships": [k[0] for k in found]}, None)


def _set_owner(w: Working, where: str, c: Mapping[str, Any]) -> None:
    target = c.get("component")
    target = w.refs.get(target, target) if isinstance(target, str) else target
    keys = [k for k in w.records.nodes if k[1] == target and k[0] in model.COMPONENT_LABELS]
    if not keys:  # a document or department attached to a step, which the map may not own
        keys = [(key, str(target)) for key in ("Document", "Department")
                if any(r[0] in (*ATTACH.values(), *DOCUMENT_TIES)
                       and target in (r[2], r[4]) and key in (r[1], r[3])
                       for r in w.records.rels)]
    if len(keys) > 1 and c.get("label") in model.COMPONENT_LABELS:
        keys = [k for k in keys if k[0] == c.get("label")]
    owner = c.get("owner")
    if not keys:
        w.fault(where, "component", "a map, process, step, document or department of this "
                                    "map", target)
    elif len(keys) > 1:
        w.fault(where, "label", f"which one: {' or '.join(k[0] for k in keys)} (the uid "
                                f"names both)", c.get("label"))
    if _other(w, where, "owner", owner, ("Employee",)) and has_left(
            {"left_on": w.left.get(str(owner))}):
        w.fault(where, "owner", "an employee who is still with us", owner)
    if w.problems_in(where):
        return
    label, uid = keys[0]
    before = [k for k in w.records.rels if k[0] == OWNER and k[3] == label and k[4] == uid]
    for key in before:
        del w.records.rels[key]
    w.rel((OWNER, "Employee", str(owner), label, uid))
    w.replaced_owners.append((label, uid))
    w.done(where, c, f"owner of {label} {w.records.name((label, uid))!r}: {owner}",
           f"{uid} owner", {"owner": [k[2] for k in before] or None}, {"owner": owner})


#: what each kind of change does, by its ``kind``
KINDS: dict[str, Callable[[Working, str, Mapping[str, Any]], None]] = {
    "add_step": _add_step, "rename_step": _rename_step, "remove_step": _remove_step,
    "add_flow": _add_flow, "remove_flow": _remove_flow, "rename_flow": _rename_flow,
    "assign_performer": _assign_performer, "attach_document": _attach_document,
    "add_party": _add_party, "detach": _detach, "set_owner": _set_owner}


# -- the save ------------------------------------------------------------------------------------
def _plain(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != "source"}


def _shown(value: Any) -> Any:
    text = json.dumps(value, ensure_ascii=False, default=str) if value is not None else None
    return text if text is None or len(text) <= 100 else text[:100] + "…"


def _files(store: GraphStore, namespace: str, latest: int | None) -> list[str]:
    """The files the map's records came from, its edits last."""
    names: list[str] = []
    if latest is not None:
        names = [f.strip() for f in str(revision(store, namespace, latest).get(
            "source_file") or "").split(",") if f.strip()]
    return [*[n for n in names if n != edit_file(namespace)], edit_file(namespace)]


def _records(store: GraphStore, process: str, marks: list[str], files: list[str]
             ) -> tuple[Records, Records]:
    """The map as stored, every record of it marked as the map's (by a file or an edit):
    an unmarked one (the demo's, one entered by hand) is taken in as an edit's. Also the
    records taken in, whose new source the save writes."""
    own, attached, rels = map_content(store, process, marks)
    found, taken = Records(), Records()
    element = f"edit:{files[-1]}#"

    def mark(props: dict[str, Any], name: str, key: Any) -> dict[str, Any]:
        clean = {k: v for k, v in props.items() if v is not None
                 and k not in model.SYSTEM_PROPS and k not in model.ANNOTATIONS}
        if not any(m in str(clean.get("source") or "") for m in marks):
            clean["source"] = f"{element}{name}"
            if len(key) == 2:
                taken.nodes[key] = ("", clean)
            else:
                taken.rels[key] = clean
        return clean

    for labels, props in own:
        label = model.primary_label(labels)
        key = (model.label(label).key_label, props["uid"])
        found.nodes[key] = (label, mark(props, props["uid"], key))
    for labels, props in attached:  # only those the map's files or edits wrote
        label = model.primary_label(labels)
        key = (model.label(label).key_label, props["uid"])
        found.nodes[key] = (label, mark(props, props["uid"], key))
    for rel_type, a, start, b, end, props in rels:
        rel: RelKey = (rel_type, model.label(model.primary_label(a)).key_label, start,
                       model.label(model.primary_label(b)).key_label, end)
        found.rels[rel] = mark(props, f"{rel_type}:{start}>{end}", rel)
    return found, taken


def _prepare(store: GraphStore, uid: str, changes: Sequence[Any], based_on: int | None
             ) -> tuple[Working, Records, Records, str, int | None]:
    process = resolve_process(store, uid).uid
    namespace = namespace_of(process)
    latest = latest_version(store, namespace)
    if (based_on or 0) != (latest or 0):
        raise StaleRevision(
            f"the map {namespace!r} changed since this edit began: it was made on version "
            f"{based_on or 0} and the map is at version {latest or 0} now; nothing was "
            f"saved. Reload the map, look at what changed, and make the edit again")
    if not isinstance(changes, Sequence) or isinstance(changes, str | bytes):
        raise ErmError("the changes must be a list")
    if not changes:
        raise ErmError("nothing to save: the change list is empty")
    if len(changes) > MAX_CHANGES:
        raise ErmError(f"{len(changes):,} changes in one save; at most {MAX_CHANGES} are "
                       f"taken: save them in parts")
    files = _files(store, namespace, latest)
    marks = [f":{name}#" for name in files]
    old, taken = _records(store, process, marks, files)
    names = {str(c.get(f)) for c in changes if isinstance(c, Mapping)
             for f in ("performer", "party", "document", "owner") if c.get(f) is not None}
    found = labels_of(store, names)
    w = Working(copy.deepcopy(old), process, files, set(found))
    w.labels = {u: labels for u, (labels, _) in found.items()}
    w.left = {u: left for u, (_, left) in found.items() if left}
    for i, change in enumerate(changes, 1):
        kind = change.get("kind") if isinstance(change, Mapping) else None
        where = f"change {i} ({kind})" if isinstance(kind, str) and len(kind) < 40 \
            else f"change {i}"
        if not isinstance(kind, str) or kind not in KINDS:
            w.fault(where, "kind", f"one of {', '.join(KINDS)}", kind)
            continue
        assert isinstance(change, Mapping)
        try:
            KINDS[kind](w, where, change)
        except TypeError:  # a field of the wrong shape (a list where a uid goes)
            w.fault(where, "kind", f"the fields of {kind} (docs/editing.md)", change)
    if w.problems:
        raise ChangeError(w.problems)
    return w, old, taken, namespace, latest


def _check(store: GraphStore, records: Records) -> None:
    """The map after the changes, checked by the model as a load checks its records."""
    batch = records.batch()
    problems = batch.problems() + dangling(store, batch)
    if problems:
        raise ValidationError(problems)


def edit_map(store: GraphStore, uid: str, changes: Sequence[Any], *,
             based_on: int | None, dry_run: bool = False) -> MapEdit:
    """Apply ``changes`` to the map of ``uid`` (a map, its process or a step) as one save,
    made on version ``based_on`` of the map (None or 0: it had no history); the map's next
    version is the result. ``dry_run``: check and say what would change, write nothing.

    >>> edit_map(store, "proc-customer", [{"kind": "rename_step",
    ...          "step": "step-cr-start", "name": "Enquiry in"}], based_on=0)  # doctest: +SKIP
    """
    with store.load_lock():
        w, old, taken, namespace, latest = _prepare(store, uid, changes, based_on)
        _check(store, w.records)
        result = MapEdit(namespace, w.process, latest or 0, None, w.summary, w.applied,
                         new_steps=dict(w.refs))
        if dry_run:
            result.plan = plan_map(store, namespace, w.files, w.records.batch(), old=old)
            return result
        detail = {"map": namespace, "process": w.process, "based_on": latest or 0,
                  "changes": w.applied}
        with writing(WriteKind.MAP_EDIT, namespace, store, detail=detail) as done:
            if latest is None:  # the map as it stood, so a restore can bring it back
                first = MapPlan(namespace, w.files, old, None)
                apply_plan(store, first, action="edit", based_on=0,
                           summary="the map as it stood before its first edit")
            _adopt(store, taken)
            _clear_owners(store, w.replaced_owners)
            batch = w.records.batch()
            plan = plan_map(store, namespace, w.files, batch, old=old)
            write_batch(store, batch, locked=True)
            version = apply_plan(store, plan, action="edit", based_on=plan.previous,
                                 summary="\n".join(w.summary))
            result.plan, result.version = plan, version
            done.detail.update({"new_version": version, **plan.counts})
    return result


def _adopt(store: GraphStore, records: Records) -> None:
    """Write the source of the records the map took in (an unchanged record is not written
    by the load that follows, so its source is set here)."""
    by_key: dict[str, list[dict[str, str]]] = {}
    for (key, uid), (_, props) in records.nodes.items():
        by_key.setdefault(key, []).append({"uid": uid, "source": props["source"]})
    for key, rows in by_key.items():
        store.run(f"UNWIND $rows AS r MATCH (n:{model.label(key).key_label} {{uid: r.uid}}) "
                  f"SET n.source = r.source", {"rows": rows}, read_only=False)
    by_type: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for (rel_type, s_key, start, e_key, end), props in records.rels.items():
        by_type.setdefault((rel_type, s_key, e_key), []).append(
            {"s": start, "e": end, "source": props["source"]})
    for (rel_type, s_key, e_key), rows in by_type.items():
        store.run(f"UNWIND $rows AS r MATCH (a:{model.label(s_key).key_label} {{uid: r.s}})"
                  f"-[x:{model.relationship(rel_type).name}]->(b) WHERE b.uid = r.e "
                  f"WITH x, b, r WHERE b:{model.label(e_key).key_label} "
                  f"SET x.source = r.source", {"rows": rows}, read_only=False)


def _clear_owners(store: GraphStore, components: list[NodeKey]) -> None:
    """Delete the owners of the components whose owner a change sets, before the new one is
    written: an owner set by hand would otherwise keep its place against the save."""
    for label, uid in components:
        store.run(f"MATCH (:Employee)-[x:{OWNER}]->(c:{model.label(label).key_label} "
                  f"{{uid: $uid}}) DELETE x", {"uid": uid}, read_only=False)
