"""BPMN 2.0 XML from any modeler (Camunda, bpmn.io, Signavio, ...).

- every process -> Process (+ its Map); tasks of every kind, events, gateways -> Step (``kind``
  task/start/end/event/gateway/subprocess, the BPMN element name kept in ``bpmn_type``)
- sub-processes are flattened into their process: the sub-process is a Step of kind
  ``subprocess`` and each inner step is ``SUBPROCESS_OF`` it
- sequence flows -> NEXT with the flow's name (``label``) and condition
- lanes (nested too) -> Department performing the steps in them, ``PART_OF`` the outer lane
- pools: a participant whose process has steps is the enterprise; an empty (black box) pool is
  an outside Party, which ``PARTICIPATES_IN`` the steps its message flows touch
- data objects and data stores -> Document (kind document / database) with USES (input
  association) and PRODUCES (output association)

Vendor extensions and the diagram interchange section are ignored; a file may hold several
processes or only a collaboration.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from erm_graph.errors import shown
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.source import LoadError, LoadOptions, Source

FORMAT = "bpmn"
EXTENSIONS = (".bpmn", ".bpmn2", ".bpmn20.xml", ".xml")
DESCRIPTION = "BPMN 2.0 XML"
NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

TASKS = {"task", "userTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
         "businessRuleTask", "scriptTask", "callActivity"}
EVENTS = {"startEvent": "start", "endEvent": "end", "intermediateCatchEvent": "event",
          "intermediateThrowEvent": "event", "boundaryEvent": "event"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
            "complexGateway"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}


def detect(path: Path, head: bytes, options: LoadOptions) -> bool:
    return path.is_file() and NS.encode() in head


def _local(el: Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _bpmn(el: Element, name: str) -> list[Element]:
    return el.findall(f"{{{NS}}}{name}")


def _kind(tag: str) -> str | None:
    if tag in TASKS:
        return "task"
    if tag in EVENTS:
        return EVENTS[tag]
    if tag in GATEWAYS:
        return "gateway"
    if tag in SUBPROCESSES:
        return "subprocess"
    return None


def load(source: Source) -> None:
    root = source.xml()
    if _local(root) != "definitions" or not root.tag.startswith(f"{{{NS}}}"):
        raise LoadError(f"{source.path}: not BPMN 2.0: the root element is {shown(_local(root))}, "
                        f"expected 'definitions' in namespace {NS}")
    build = FlowchartBuilder(source)
    processes = {p.get("id"): p for p in _bpmn(root, "process")}
    pools = {}
    for collab in _bpmn(root, "collaboration"):
        for part in _bpmn(collab, "participant"):
            pools[part.get("id")] = part
    names = {p.get("processRef"): p.get("name") for p in pools.values() if p.get("processRef")}
    steps: dict[str, tuple[str, str]] = {}  # element id -> (process id, step uid)
    for pid, proc in processes.items():
        if not pid:
            source.reject("Process", "process", "id", "an id attribute on <process>")
            continue
        if not _has_steps(proc):
            continue
        build.process(pid, proc.get("name") or names.get(pid), pid)
        _walk(build, source, pid, proc, steps, parent=None)
        for lane_set in _bpmn(proc, "laneSet"):
            _lanes(build, lane_set, steps, parent=None)
    parties = {}
    for pool_id, pool in pools.items():
        ref = pool.get("processRef")
        if ref and ref in processes and _has_steps(processes[ref]):
            continue  # our own enterprise's pool
        name = pool.get("name") or pool_id
        parties[pool_id] = build.party(name, pool_id)
        if ref in processes:  # an outside party's elements count as that party
            for el in processes[ref].iter():
                if el.get("id"):
                    parties[el.get("id")] = parties[pool_id]
    for collab in _bpmn(root, "collaboration"):
        for flow in _bpmn(collab, "messageFlow"):
            _message(build, source, flow, steps, parties)
    if not steps:
        source.note("no process with steps: loaded the pools as parties only")


def _has_steps(proc: Element) -> bool:
    return any(_kind(_local(el)) for el in proc)


def _walk(build: FlowchartBuilder, source: Source, pid: str, container: Element,
          steps: dict[str, tuple[str, str]], parent: str | None) -> None:
    docs: dict[str, str] = {}
    objects = {o.get("id"): o.get("name") for o in _bpmn(container, "dataObject")}
    for el in container:
        tag = _local(el)
        if tag in ("dataObjectReference", "dataStoreReference"):
            name = el.get("name") or objects.get(el.get("dataObjectRef")) or el.get("id")
            kind = "database" if tag == "dataStoreReference" else "document"
            docs[el.get("id", "")] = build.document(name, kind, el.get("id"))
    for el in container:
        tag = _local(el)
        kind = _kind(tag)
        if kind is None:
            continue
        sid = el.get("id")
        if not sid:
            source.reject("Step", f"{pid}/{tag}", "id", f"an id attribute on <{tag}>")
            continue
        uid = build.step(pid, sid, el.get("name"), kind, sid, bpmn_type=tag)
        steps[sid] = (pid, uid)
        if parent:
            build.subprocess_of(uid, parent, sid)
        if kind == "subprocess":
            _walk(build, source, pid, el, steps, parent=uid)
    for el in container:
        if _local(el) in TASKS | SUBPROCESSES and el.get("id") in steps:
            uid = steps[el.get("id")][1]
            for assoc in _bpmn(el, "dataInputAssociation"):
                for ref in _bpmn(assoc, "sourceRef"):
                    _link(build, source, docs, ref.text, uid, assoc, build.uses)
            for assoc in _bpmn(el, "dataOutputAssociation"):
                for ref in _bpmn(assoc, "targetRef"):
                    _link(build, source, docs, ref.text, uid, assoc, build.produces)
    for flow in _bpmn(container, "sequenceFlow"):
        fid, src, dst = flow.get("id") or "sequenceFlow", flow.get("sourceRef"), \
            flow.get("targetRef")
        if not src or not dst:
            source.reject("NEXT", fid, "sourceRef" if not src else "targetRef",
                          "the id of a flow node of the process")
            continue
        condition = flow.find(f"{{{NS}}}conditionExpression")
        build.flow(pid, src, dst, fid, flow.get("name"),
                   condition.text if condition is not None else None)


def _link(build, source, docs, ref, step_uid, assoc, how) -> None:
    ref = (ref or "").strip()
    if ref in docs:
        how(step_uid, docs[ref], assoc.get("id") or ref)
    else:
        source.reject("USES", assoc.get("id") or ref, "sourceRef/targetRef",
                      "the id of a dataObjectReference or dataStoreReference", ref)


def _lanes(build: FlowchartBuilder, lane_set: Element, steps: dict[str, tuple[str, str]],
           parent: str | None) -> None:
    for lane in _bpmn(lane_set, "lane"):
        name = lane.get("name") or lane.get("id") or "lane"
        build.department(name, lane.get("id"), parent=parent)
        for ref in _bpmn(lane, "flowNodeRef"):
            node = (ref.text or "").strip()
            if node in steps:
                build.performs(name, steps[node][1], lane.get("id"))
        for child in _bpmn(lane, "childLaneSet"):
            _lanes(build, child, steps, parent=name)


def _message(build: FlowchartBuilder, source: Source, flow: Element,
             steps: dict[str, tuple[str, str]], parties: dict) -> None:
    src, dst = flow.get("sourceRef"), flow.get("targetRef")
    name = flow.get("name")
    if src in parties and dst in steps:
        build.participates(parties[src], steps[dst][1], flow.get("id"),
                           f"sends {name}" if name else "sender")
    elif dst in parties and src in steps:
        build.participates(parties[dst], steps[src][1], flow.get("id"),
                           f"receives {name}" if name else "receiver")
    else:
        source.note(f"message flow {flow.get('id')} does not join an outside pool to a step "
                    "of ours: skipped")
