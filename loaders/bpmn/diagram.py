"""A BPMN 2.0 file read into plain facts, before anything is mapped to the model
(``loaders/bpmn/__init__.py``).

What every modeler writes differently is settled here, once: the namespace prefix (``bpmn:``,
``bpmn2:``, ``semantic:`` or the default namespace; ElementTree resolves them all), references
written as QNames (``processRef="tns:Process_1"``, as some exporters do for the attributes the
schema types as QNames), names with line breaks and repeated spaces (a modeler wraps long
names), flow nodes nested in sub-processes, and the order of the steps: the order the flow
runs in from the start events, not the order the elements happen to be written in.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

TASKS = {"task", "userTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
         "businessRuleTask", "scriptTask"}
EVENTS = {"startEvent": "start", "endEvent": "end", "intermediateCatchEvent": "event",
          "intermediateThrowEvent": "event", "boundaryEvent": "event",
          "implicitThrowEvent": "event"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
            "complexGateway"}
#: containers of flow nodes, flattened into their process
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
#: the elements of a process or sub-process read elsewhere or that say nothing about the flow
#: (annotations, groups, variables, resource assignments): not worth a note
KNOWN = {"sequenceFlow", "laneSet", "dataObject", "dataObjectReference", "dataStoreReference",
         "textAnnotation", "association", "group", "ioSpecification", "ioBinding", "property",
         "documentation", "extensionElements", "auditing", "monitoring", "supports",
         "resourceRole", "performer", "humanPerformer", "potentialOwner",
         "correlationSubscription", "categoryValue",
         # what an activity holds, when the activity is a sub-process walked as a container
         "incoming", "outgoing", "dataInputAssociation", "dataOutputAssociation",
         "standardLoopCharacteristics", "multiInstanceLoopCharacteristics",
         "completionCondition"}
#: what a boundary or other event reacts to, by its event definition
TRIGGERS = {"messageEventDefinition": "message", "timerEventDefinition": "timer",
            "errorEventDefinition": "error", "escalationEventDefinition": "escalation",
            "signalEventDefinition": "signal", "conditionalEventDefinition": "conditional",
            "compensateEventDefinition": "compensation", "cancelEventDefinition": "cancel",
            "terminateEventDefinition": "terminate", "linkEventDefinition": "link"}
#: readable names of the element kinds whose camel case does not read well split
KIND_NAMES = {"subProcess": "Sub-process", "adHocSubProcess": "Ad-hoc sub-process",
              "intermediateCatchEvent": "Intermediate event",
              "intermediateThrowEvent": "Intermediate event"}


def local(el: Element) -> str:
    """The element's name without its namespace."""
    return el.tag.rsplit("}", 1)[-1]


def bpmn(el: Element, name: str) -> list[Element]:
    """The children of ``el`` called ``name`` in the BPMN namespace."""
    return el.findall(f"{{{NS}}}{name}")


def clean(text: str | None) -> str | None:
    """A name as one line: line breaks, tabs and repeated spaces become one space."""
    return (" ".join(text.split()) or None) if text else None


def step_kind(tag: str) -> str | None:
    """The model's step kind of a BPMN element, None when it is not a flow node."""
    if tag in TASKS:
        return "task"
    if tag in EVENTS:
        return EVENTS[tag]
    if tag in GATEWAYS:
        return "gateway"
    if tag in SUBPROCESSES or tag == "callActivity":
        # a call activity runs another process: a collapsed sub-process, not a task
        return "subprocess"
    return None


def kind_name(tag: str, trigger: str | None = None) -> str:
    """``exclusiveGateway`` -> ``Exclusive gateway``; a timer boundary event -> ``Timer
    boundary event``: how an unnamed element is called, followed by its number."""
    words = KIND_NAMES.get(tag) or re.sub(r"(?<!^)(?=[A-Z])", " ", tag).lower()
    if trigger:
        words = f"{trigger} {words.lower()}"
    return words[:1].upper() + words[1:]


@dataclass
class Node:
    """A flow node: one step of its (top-level) process."""

    id: str
    tag: str
    kind: str
    name: str | None
    process: str
    #: the sub-process it sits in, None at the top of the process
    parent: str | None
    element: Element
    trigger: str | None = None


@dataclass
class Process:
    """A ``<process>`` and everything in it, sub-processes flattened."""

    id: str
    name: str | None
    element: Element
    nodes: list[Node] = field(default_factory=list)
    #: the sequence flows, of the process and of its sub-processes
    flows: list[Element] = field(default_factory=list)
    #: the lane sets, of the process and of its sub-processes
    lane_sets: list[Element] = field(default_factory=list)
    #: data object references, data store references and data objects, in document order
    data: list[Element] = field(default_factory=list)
    #: the process's own inputs and outputs (its ioSpecification)
    io: list[Element] = field(default_factory=list)
    #: BPMN elements this loader does not read, by element name
    unread: Counter[str] = field(default_factory=Counter)


@dataclass
class Pool:
    """A ``<participant>`` of a collaboration."""

    id: str | None
    name: str | None
    #: the id of the process drawn in it, None for a black-box pool
    process: str | None
    element: Element


class Diagram:
    """Everything of one ``<definitions>`` the loader maps: processes, pools, message flows,
    messages and data stores, and every element by its id."""

    def __init__(self, root: Element):
        self.ids: dict[str, Element] = {el.get("id", ""): el for el in root.iter()
                                        if el.get("id")}
        self.messages = {m.get("id"): clean(m.get("name")) for m in bpmn(root, "message")}
        self.stores = [el for el in bpmn(root, "dataStore") if el.get("id")]
        self.pools: list[Pool] = []
        self.message_flows: list[Element] = []
        for collaboration in bpmn(root, "collaboration"):
            for part in bpmn(collaboration, "participant"):
                self.pools.append(Pool(part.get("id"), clean(part.get("name")),
                                       self.resolve(part.get("processRef")), part))
            self.message_flows += bpmn(collaboration, "messageFlow")
        self.unnamed_processes: list[Element] = []
        self.processes: dict[str, Process] = {}
        self.nodes: dict[str, Node] = {}
        #: flow nodes whose id an earlier one has: no flow can tell them apart
        self.duplicates: list[Node] = []
        for el in bpmn(root, "process"):
            pid = el.get("id")
            if not pid:
                self.unnamed_processes.append(el)
                continue
            process = Process(pid, clean(el.get("name")), el)
            for spec in bpmn(el, "ioSpecification"):
                process.io += bpmn(spec, "dataInput") + bpmn(spec, "dataOutput")
            self._walk(process, el, parent=None)
            self.processes[pid] = process

    def _walk(self, process: Process, container: Element, parent: str | None) -> None:
        """Collect the flow nodes, flows, lanes and data of ``container`` and, one level down
        each time, of the sub-processes in it (XML depth is bounded by the parser)."""
        for el in container:
            if not el.tag.startswith(f"{{{NS}}}"):
                continue  # a vendor's extension
            tag = local(el)
            kind = step_kind(tag)
            if kind is not None:
                node = Node(el.get("id", ""), tag, kind, clean(el.get("name")), process.id,
                            parent, el, _trigger(el))
                if node.id in self.nodes:
                    self.duplicates.append(node)
                else:
                    process.nodes.append(node)
                    if node.id:
                        self.nodes[node.id] = node
                if tag in SUBPROCESSES:
                    self._walk(process, el, parent=node.id or None)
            elif tag == "sequenceFlow":
                process.flows.append(el)
            elif tag == "laneSet":
                process.lane_sets.append(el)
            elif tag in ("dataObjectReference", "dataStoreReference", "dataObject"):
                process.data.append(el)
            elif tag not in KNOWN:
                process.unread[tag] += 1

    def resolve(self, ref: str | None) -> str | None:
        """The id ``ref`` names, as written or as a QName whose prefix is left off
        (``tns:Task_1``); None when the file holds no such element."""
        ref = (ref or "").strip()
        if not ref:
            return None
        if ref in self.ids:
            return ref
        _, _, bare = ref.rpartition(":")
        return bare if bare in self.ids else None

    def refs(self, el: Element, name: str) -> list[str]:
        """The texts of ``el``'s ``<sourceRef>``/``<targetRef>``-like children, stripped."""
        return [(ref.text or "").strip() for ref in bpmn(el, name)]


def _trigger(el: Element) -> str | None:
    for child in el:
        trigger = TRIGGERS.get(local(child))
        if trigger:
            return trigger
    return None


def flow_order(nodes: list[Node], edges: dict[str, list[str]]) -> list[Node]:
    """``nodes`` in the order the flow runs: from the start events, each branch before the
    next, a join after every branch that meets in it (the reverse postorder of a depth-first
    walk, a topological order once the loops' back edges are left out), then whatever no
    start reaches, in document order.

    ``edges`` gives each node's successors in the order they should be walked: its sequence
    flows, then what follows from its sub-process and its boundary events. Linear in nodes
    and edges, iterative (no recursion limit).
    """
    by_id = {n.id: n for n in nodes}
    entered = Counter(t for targets in edges.values() for t in targets)
    starts = [n.id for n in nodes if n.parent is None and n.kind == "start"]
    sources = [n.id for n in nodes if not entered[n.id] and n.kind != "start"]
    seen: set[str] = set()
    order: list[str] = _reverse_postorder(starts + sources, edges, seen)
    for node in nodes:  # loops no start reaches
        if node.id not in seen:
            order += _reverse_postorder([node.id], edges, seen)
    return [by_id[i] for i in order if i in by_id]


def _reverse_postorder(roots: Iterable[str], edges: dict[str, list[str]],
                       seen: set[str]) -> list[str]:
    done: list[str] = []
    # the walk takes the last root and the last successor first: reversed at the end, the
    # first comes first
    for root in reversed(list(roots)):
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(reversed(edges.get(root, ()))))]
        while stack:
            node, successors = stack[-1]
            for nxt in successors:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, iter(reversed(edges.get(nxt, ())))))
                    break
            else:
                stack.pop()
                done.append(node)
    return done[::-1]


def enter_sub_processes(nodes: list[Node], edges: dict[str, list[str]]) -> None:
    """A sub-process leads into the steps inside it that nothing else leads to (its start
    events, event sub-processes), before the steps after it."""
    entered = {t for targets in edges.values() for t in targets}
    inner: defaultdict[str, list[str]] = defaultdict(list)
    for node in sorted(nodes, key=lambda n: n.kind != "start"):
        if node.parent and node.id not in entered:
            inner[node.parent].append(node.id)
    for parent, first in inner.items():
        edges[parent] = first + edges.get(parent, [])
