"""BPMN 2.0 XML from any modeler (Camunda, bpmn.io, Signavio, Bizagi, ARIS, ...).

- every process of ours -> Process (+ its Map); tasks of every kind, events, gateways -> Step
  (``kind`` task/start/end/event/gateway/subprocess, the BPMN element name kept in
  ``bpmn_type``); a call activity runs another process, so it is a ``subprocess`` step
- sub-processes are flattened into their process: the sub-process is a Step of kind
  ``subprocess`` and each inner step is ``SUBPROCESS_OF`` it
- steps are ordered (``order``) as the flow runs from the start events, not as the file lists
  them; an unnamed step is called by its kind and a number ("Exclusive gateway 2")
- sequence flows -> NEXT with the flow's name (``label``) and condition; a boundary event ->
  NEXT from the activity it is attached to (``attachedToRef``), labelled with what it reacts to,
  so an exception path starts from the step it interrupts
- lanes (nested too) -> Department performing the steps in them (the innermost lane that lists
  a step), ``PART_OF`` the outer lane
- pools: which are ours is decided by :func:`.pools.our_pools` (``--our-pool``, else the pool with
  the most steps); every other pool, black box or with a process of its own, is an outside
  Party, which ``PARTICIPATES_IN`` the steps of ours its message flows touch (``role``: "sends
  purchase order", "receives invoice")
- data object references, data objects, data stores (and their references) and the process's
  own inputs and outputs -> Document (kind document, or database for stores); a data input
  association is USES, an output association PRODUCES

A file its modeler accepts loads: what cannot be mapped (a flow to an id the file does not hold,
a message flow between two outside parties, a lane with no steps, two flows between the same
steps...) is loaded as far as it means something and named in the report's notes. Only what
no modeler writes (a step or a process without an id, one id on two steps) is rejected. Vendor
extensions and the diagram interchange section are ignored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import Element

from erm_graph.errors import listed, shown
from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.untrusted import LoadError

from .diagram import (
    NS,
    Diagram,
    Node,
    Pool,
    Process,
    bpmn,
    clean,
    enter_sub_processes,
    flow_order,
    kind_name,
    local,
)
from .pools import our_pools

#: a participation of a party in a step, by (party label, party uid) and step uid
Participation = tuple[tuple[str, str], str]
#: the first message flow of a participation, and the roles of all of them
Roles = tuple[str, list[str]]


class BPMN:
    format = "bpmn"
    extensions = (".bpmn", ".bpmn2", ".bpmn20.xml", ".xml")
    description = "BPMN 2.0 XML"
    priority = 50

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        return path.is_file() and NS.encode() in head

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        root = ctx.xml(source)
        if local(root) != "definitions" or not root.tag.startswith(f"{{{NS}}}"):
            raise LoadError(f"{source}: not BPMN 2.0: the root element is "
                            f"{shown(local(root))}, expected 'definitions' in namespace {NS}")
        result = ctx.result(source)
        _Mapping(result, Diagram(root), ctx.options.our_pools).run()
        return result


LOADER = BPMN()


class _Mapping:
    """One file's diagram mapped onto the model through a :class:`FlowchartBuilder`."""

    def __init__(self, result: LoaderResult, diagram: Diagram, our_pools: tuple[str, ...]):
        self.result = result
        self.build = FlowchartBuilder(result)
        self.d = diagram
        self.wanted = our_pools
        #: element id -> step uid, for the steps of our processes
        self.steps: dict[str, str] = {}
        #: element id -> document uid
        self.docs: dict[str, str] = {}
        #: unnamed data objects, inputs, outputs and stores no reference stands for, by id:
        #: (kind, title, what); each becomes a Document when a step uses or produces it (an
        #: unnamed one nothing links to is the variable behind a removed reference, not a
        #: document anyone drew)
        self.unnamed: dict[str, tuple[str, str, str]] = {}
        #: pool or element id -> the outside party it stands for
        self.parties: dict[str, tuple[str, str]] = {}
        #: our pools' ids -> their names, for message flows drawn to a pool's border
        self.our_pools: dict[str, str] = {}
        #: process id -> the pool it is drawn in
        self.pool_of = {p.process: p for p in reversed(diagram.pools) if p.process}
        self.numbers: Counter[tuple[str, str]] = Counter()
        #: what was left out or merged, by reason: one note per reason
        self.noted: defaultdict[str, list[str]] = defaultdict(list)

    def run(self) -> None:
        for _ in self.d.unnamed_processes:
            self.result.reject("Process", "process", "id", "an id attribute on <process>")
        for node in self.d.duplicates:
            self.result.reject("Step", node.id, "id", "an id no other element of the file has "
                               "(a flow to it could mean either)", node.id)
        ours = self._sides()
        for process in ours:
            self._process(process)
        self._stores()
        for process in ours:
            self._associations(process)
        participations: dict[Participation, Roles] = {}
        for flow in self.d.message_flows:
            self._message(flow, participations)
        for (party, step), (fid, roles) in participations.items():
            # the store keeps one PARTICIPATES_IN between a party and a step: all its roles
            self.build.participates(party, step, fid, "; ".join(dict.fromkeys(roles)))
        for reason, items in self.noted.items():
            self.result.note(f"{reason}: {listed(items)}")
        if not self.steps:
            self.result.note("no process with steps: loaded the pools as parties only"
                             if self.d.pools else "no process with steps: nothing to load")

    def _note(self, reason: str, item: str) -> None:
        self.noted[reason].append(item)

    def _number(self, scope: str, kind: str) -> int:
        self.numbers[(scope, kind)] += 1
        return self.numbers[(scope, kind)]

    # -- pools ----------------------------------------------------------------------------------
    def _sides(self) -> list[Process]:
        """Our processes; every other pool becomes an outside party (``self.parties``)."""
        d = self.d
        chosen = our_pools(d, self.wanted, self.result)
        for pool in chosen:
            if pool.id:
                self.our_pools[pool.id] = self._pool_name(pool)
        in_pools = {p.process for p in d.pools if p.process}
        ours_ids = {p.process for p in chosen if p.process}
        ours = [p for pid, p in d.processes.items() if pid not in in_pools or pid in ours_ids]
        taken = {id(p) for p in chosen}
        for pool in d.pools:
            if id(pool) not in taken:
                self._party(pool)
        kept = []
        for process in ours:
            if process.nodes:
                kept.append(process)
            else:
                self._note("processes with no steps, not loaded", process.id)
        return kept

    def _pool_name(self, pool: Pool) -> str:
        process = self.d.processes.get(pool.process or "")
        return (pool.name or (process.name if process else None)
                or f"Pool {self._number('', 'pool')} ({self.result.name})")

    def _party(self, pool: Pool) -> None:
        if not pool.id and not pool.name:
            self._note("pools with neither an id nor a name, skipped (nothing can refer to "
                       "them)", "<participant>")
            return
        name = self._pool_name(pool)
        party = self.build.party(name, pool.id or name)
        if pool.id:
            self.parties[pool.id] = party
        process = self.d.processes.get(pool.process or "")
        if process and process.nodes:
            # what the outside party does is its own business: its steps are not ours, but a
            # message flow drawn to one of them comes from (or goes to) the party
            for node in process.nodes:
                if node.id:
                    self.parties.setdefault(node.id, party)
            self._note("outside pools whose own process is not loaded (its message flows "
                       "to our steps are their participations)",
                       f"{name} ({len(process.nodes)} steps)")

    # -- a process ------------------------------------------------------------------------------
    def _process(self, process: Process) -> None:
        pool = self.pool_of.get(process.id)
        title = (process.name or (pool.name if pool else None)
                 or f"Process {self._number('', 'process')} ({self.result.name})")
        self.build.process(process.id, title, process.id)
        nodes = []
        for node in process.nodes:
            if node.id:
                nodes.append(node)
            else:
                self.result.reject("Step", f"{process.id}/{node.tag}", "id",
                                   f"an id attribute on <{node.tag}>")
        pairs, edges = self._sequence_flows(process)
        boundaries = self._boundaries(process, nodes, edges)
        enter_sub_processes(nodes, edges)
        for node in flow_order(nodes, edges):
            kind = kind_name(node.tag, node.trigger)
            name = node.name or f"{kind} {self._number(process.id, kind)}"
            self.steps[node.id] = self.build.step(process.id, node.id, name, node.kind,
                                                  node.id, bpmn_type=node.tag)
        for node in nodes:
            if node.parent in self.steps:
                self.build.subprocess_of(self.steps[node.id], self.steps[node.parent], node.id)
        for (src, dst), flows in pairs.items():
            self._flow(process, src, dst, flows)
        for activity, event, label in boundaries:
            self.build.flow(process.id, activity, event, event, label)
        self._lanes(process, title)
        self._documents(process, title)
        for tag, n in process.unread.items():
            self._note("elements this loader does not read, skipped", f"{n} <{tag}>")

    def _sequence_flows(self, process: Process
                        ) -> tuple[dict[tuple[str, str], list[Element]], dict[str, list[str]]]:
        """The sequence flows that join two steps of ``process``, by the pair they join, and
        each step's successors; the others are noted."""
        pairs: dict[tuple[str, str], list[Element]] = {}
        edges: dict[str, list[str]] = defaultdict(list)
        for flow in process.flows:
            fid = flow.get("id") or "sequenceFlow"
            ends = flow.get("sourceRef"), flow.get("targetRef")
            if not ends[0] or not ends[1]:
                self._note("sequence flows without a sourceRef or targetRef, skipped", fid)
                continue
            src, dst = (self.d.resolve(e) for e in ends)
            if src is None or dst is None:
                self._note("sequence flows to or from an id this file does not hold, skipped",
                           f"{fid} (to {ends[1]})" if dst is None else f"{fid} (from {ends[0]})")
                continue
            a, b = self.d.nodes.get(src), self.d.nodes.get(dst)
            if a is None or b is None:
                tag = local(self.d.ids[src if a is None else dst])
                self._note("sequence flows to or from what is not a step, skipped",
                           f"{fid} (a <{tag}>)")
                continue
            if a.process != process.id or b.process != process.id:
                self._note("sequence flows from one process into another, skipped (pools are "
                           "joined by message flows)", fid)
                continue
            if (src, dst) not in pairs:
                pairs[(src, dst)] = []
                edges[src].append(dst)
            pairs[(src, dst)].append(flow)
        return pairs, edges

    def _flow(self, process: Process, src: str, dst: str, flows: list[Element]) -> None:
        """One NEXT for every flow between the same two steps (the store keeps one
        relationship of a type between two nodes), with all their labels."""
        labels = [clean(f.get("name")) for f in flows]
        conditions = [clean(c.text) for f in flows
                      if (c := f.find(f"{{{NS}}}conditionExpression")) is not None]
        fid = flows[0].get("id") or "sequenceFlow"
        self.build.flow(process.id, src, dst, fid, _joined(labels), _joined(conditions))
        if len(flows) > 1:
            self._note("sequence flows between the same two steps, loaded as one flow with "
                       "their labels", "+".join(f.get("id") or "?" for f in flows))

    def _boundaries(self, process: Process, nodes: list[Node], edges: dict[str, list[str]]
                    ) -> list[tuple[str, str, str]]:
        """(activity, boundary event, label) of each attached boundary event, each also an
        edge after the activity's own flows."""
        found = []
        for node in nodes:
            if node.tag != "boundaryEvent":
                continue
            activity = self.d.resolve(node.element.get("attachedToRef"))
            host = self.d.nodes.get(activity or "")
            if host is None or host.process != process.id or host is node:
                self._note("boundary events attached to no activity of their process (loaded "
                           "without a flow into them)", node.id)
                continue
            interrupting = node.element.get("cancelActivity", "true").strip() != "false"
            label = (node.trigger or "boundary event") + ("" if interrupting
                                                         else " (non-interrupting)")
            edges[host.id].append(node.id)
            found.append((host.id, node.id, label))
        return found

    # -- lanes ----------------------------------------------------------------------------------
    def _lanes(self, process: Process, title: str) -> None:
        """Departments from the lanes; a step is performed by the innermost lane listing it
        (a modeler lists a step in the outer lanes too), else by its sub-process's lane."""
        performer: dict[str, tuple[int, str, str]] = {}
        empty: list[str] = []
        for lane_set in process.lane_sets:
            self._lane_set(process, lane_set, title, None, 0, performer, empty)
        for node in process.nodes:  # a sub-process before what is in it
            if node.id in self.steps and node.id not in performer and node.parent in performer:
                # a modeler lists a sub-process in its lane, and what is inside it nowhere
                performer[node.id] = performer[node.parent]
        for node_id, (_, department, lane_id) in performer.items():
            self.build.performs(department, self.steps[node_id], lane_id)
        for name in empty:
            self._note("lanes with no steps, loaded as departments that perform none", name)

    def _lane_set(self, process: Process, lane_set: Element, title: str, parent: str | None,
                  depth: int, performer: dict[str, tuple[int, str, str]], empty: list[str]
                  ) -> bool:
        """Walk one lane set (depth bounded by the parser's); True when a lane in it holds a
        step."""
        held = False
        for lane in bpmn(lane_set, "lane"):
            name = clean(lane.get("name")) or \
                f"Lane {self._number(process.id, 'lane')} ({title})"
            lane_id = lane.get("id") or name
            self.build.department(name, lane_id, parent=parent)
            mine = False
            for ref in self.d.refs(lane, "flowNodeRef"):
                node_id = self.d.resolve(ref)
                if node_id is None:
                    self._note("lanes listing an id this file does not hold", f"{lane_id} "
                               f"({ref})")
                elif node_id in self.steps and self.d.nodes[node_id].process == process.id:
                    mine = True
                    if performer.get(node_id, (-1,))[0] < depth:
                        performer[node_id] = (depth, name, lane_id)
            for child in bpmn(lane, "childLaneSet"):
                mine |= self._lane_set(process, child, title, name, depth + 1, performer,
                                       empty)
            if not mine:
                empty.append(name)
            held |= mine
        return held

    # -- data -----------------------------------------------------------------------------------
    def _documents(self, process: Process, title: str) -> None:
        """A Document for each data object reference, data store reference, data object no
        reference shows, and input or output of the process itself."""
        for el in process.data:
            tag, eid, name = local(el), el.get("id"), clean(el.get("name"))
            if not eid and not name:
                self._note("data elements with neither an id nor a name, skipped (nothing "
                           "can refer to them)", f"<{tag}>")
                continue
            if tag == "dataObject":
                continue  # below, unless a reference stands for it
            target = self.d.resolve(el.get("dataObjectRef") or el.get("dataStoreRef"))
            behind = self.d.ids.get(target or "")
            store = tag == "dataStoreReference"
            name = name or (clean(behind.get("name")) if behind is not None else None)
            uid = self._document(name, "database" if store else "document", eid or name or "",
                                 title, "Data store" if store else "Data object")
            if eid:
                self.docs[eid] = uid
            if target:
                self.docs.setdefault(target, uid)
        for el in process.data + process.io:
            eid = el.get("id")
            if local(el) in ("dataObject", "dataInput", "dataOutput") and eid and \
                    eid not in self.docs:
                self._declare(eid, clean(el.get("name")), "document", title,
                              kind_name(local(el)))

    def _stores(self) -> None:
        """The file's data stores that no reference of ours stands for (a data association
        may name the store itself)."""
        for store in self.d.stores:
            sid = store.get("id", "")
            if sid not in self.docs:
                self._declare(sid, clean(store.get("name")), "database", self.result.name,
                              "Data store")

    def _declare(self, eid: str, name: str | None, kind: str, title: str, what: str) -> None:
        """A named data element is a Document now; an unnamed one when a step links it."""
        if name:
            self.docs[eid] = self._document(name, kind, eid, title, what)
        else:
            self.unnamed[eid] = (kind, title, what)

    def _document(self, name: str | None, kind: str, element: str, title: str, what: str
                  ) -> str:
        """The document's uid; an unnamed one is called ``what``, a number and ``title``."""
        return self.build.document(name or f"{what} {self._number(title, what)} ({title})",
                                   kind, element)

    def _associations(self, process: Process) -> None:
        """USES from data input associations, PRODUCES from output ones, for every step
        (activities, and events that carry data)."""
        for node in process.nodes:
            if node.id not in self.steps:
                continue
            step = self.steps[node.id]
            for assoc in bpmn(node.element, "dataInputAssociation"):
                self._associate(assoc, "sourceRef", step, self.build.uses)
            for assoc in bpmn(node.element, "dataOutputAssociation"):
                self._associate(assoc, "targetRef", step, self.build.produces)

    def _associate(self, assoc: Element, end: str, step: str,
                   how: Callable[[str, str, object], None]) -> None:
        aid = assoc.get("id") or "dataAssociation"
        refs = [r for r in self.d.refs(assoc, end) if r]
        if not refs:
            self._note(f"data associations without a {end}, skipped", aid)
        for ref in refs:
            target = self.d.resolve(ref)
            if target in self.unnamed:
                kind, title, what = self.unnamed.pop(target)
                self.docs[target] = self._document(None, kind, target, title, what)
            if target in self.docs:
                how(step, self.docs[target], assoc.get("id") or target)
            elif target is None:
                self._note("data associations with an id this file does not hold, skipped",
                           f"{aid} ({ref})")
            else:
                self._note("data associations with what is not a data object or store (a "
                           "variable, an activity's own input), skipped",
                           f"{aid} (a <{local(self.d.ids[target])}>)")

    # -- message flows --------------------------------------------------------------------------
    def _message(self, flow: Element, participations: dict[Participation, Roles]) -> None:
        fid = flow.get("id") or "messageFlow"
        refs = flow.get("sourceRef"), flow.get("targetRef")
        if not refs[0] or not refs[1]:
            self._note("message flows without a sourceRef or targetRef, skipped", fid)
            return
        ends = [self.d.resolve(r) for r in refs]
        if None in ends:
            missing = refs[1] if ends[0] else refs[0]
            self._note("message flows to or from an id this file does not hold, skipped",
                       f"{fid} ({missing})")
            return
        src, dst = (e or "" for e in ends)
        ref = self.d.resolve(flow.get("messageRef"))
        what = clean(flow.get("name")) or (self.d.messages.get(ref) if ref else None) \
            or "a message"
        if src in self.parties and dst in self.steps:
            participations.setdefault((self.parties[src], self.steps[dst]), (fid, []))[1]\
                .append(f"sends {what}")
        elif dst in self.parties and src in self.steps:
            participations.setdefault((self.parties[dst], self.steps[src]), (fid, []))[1]\
                .append(f"receives {what}")
        elif src in self.parties and dst in self.parties:
            self._note("message flows between two outside parties, skipped (no step of "
                       "ours)", fid)
        elif {src, dst} & self.parties.keys() and {src, dst} & self.our_pools.keys():
            self._note("message flows between an outside party and our pool as a whole, not "
                       "one of its steps: the party takes part in no step", fid)
        elif all(e in self.steps or e in self.our_pools for e in (src, dst)):
            self._note("message flows inside our enterprise (between pools taken as ours), "
                       "not a participation: name our pools with --our-pool", fid)
        else:
            other = next(e for e in (src, dst) if e not in self.steps and e not in self.parties
                         and e not in self.our_pools)
            self._note("message flows joining what is not a pool or a step, skipped",
                       f"{fid} (a <{local(self.d.ids[other])}>)")


def _joined(texts: list[str | None]) -> str | None:
    return " | ".join(dict.fromkeys(t for t in texts if t)) or None
