"""`FlowchartBuilder`: the one way every flowchart loader turns shapes into the model.

Tables, YAML maps, BPMN, draw.io and Mermaid all describe the same things: processes with
steps and flows, who performs each step (departments above the flow, people), what it uses and
produces (documents below), the outside parties around it, and owners. The builder gives them
the same uids, provenance and relationship shapes, so one process drawn in two tools loads the
same way.

uids are derived from the source, never random: a step is ``<namespace>/<process id>/<element
id>``, where the namespace is ``--map NAME`` or the file's stem (``LoadContext.namespace``); a
process and its map record the file that wrote them (``source_file``), and a load of another
file into the same namespace is refused unless the map is named (``erm_graph.ingest.owners``).
Departments, documents and parties are shared across processes and files, so theirs come from
their names.
"""

from __future__ import annotations

from typing import Any

from erm_graph.ingest.contract import LoaderResult, slug

STEP_KINDS = ("task", "event", "start", "end", "gateway", "subprocess")
#: what a flowchart writes (the builder's methods below): the labels whose uids lie under its
#: map's namespace, the labels it shares with other files (uids from names), and the
#: relationship types; a reload looks there for what the file no longer has
#: (:mod:`erm_graph.ingest.revisions`)
OWN_LABELS = ("Map", "Process", "Step")
SHARED_LABELS = ("Department", "Document", "Party", "Employee")
TYPES = ("DEPICTS", "HAS_STEP", "NEXT", "SUBPROCESS_OF", "PERFORMS", "USES", "PRODUCES",
         "PARTICIPATES_IN", "RESPONSIBLE_FOR", "PART_OF", "MEMBER_OF")
#: departments one inside another (lanes in lanes): deeper is refused, which also bounds the
#: walk up the parents that keeps them free of cycles (a chain of n walked n times: n * n)
MAX_NESTING = 100


class FlowchartBuilder:
    """Collects one source's processes into ``result.batch``, each record once."""

    def __init__(self, result: LoaderResult):
        self.result = result
        self.batch = result.batch
        self._nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self._rels: set[tuple[str, ...]] = set()
        self._parents: dict[str, str] = {}
        self._order: dict[str, int] = {}

    # -- uids -------------------------------------------------------------------------------
    def process_uid(self, process_id: str) -> str:
        return f"{self.result.namespace}/{process_id}"

    def step_uid(self, process_id: str, step_id: str) -> str:
        return f"{self.result.namespace}/{process_id}/{step_id}"

    # -- nodes ------------------------------------------------------------------------------
    def _node(self, label: str, uid: str, element: object, **props: Any) -> str:
        key = (label, uid)
        if key in self._nodes:
            return uid
        row = {"uid": uid, **{k: v for k, v in props.items() if v not in (None, "")},
               "source": self.result.ref(element)}
        self._nodes[key] = row
        self.batch.add_node(label, row)
        self.result.rows += 1
        return uid

    def process(self, process_id: str, name: str | None, element: object,
                category: str | None = None) -> str:
        """A process and the relationship map that depicts it."""
        uid = self.process_uid(process_id)
        title = (name or process_id).strip()
        # the file that wrote them owns their uids (see erm_graph.ingest.owners)
        self._node("Process", uid, element, name=title, category=category,
                   source_file=self.result.name)
        self._node("Map", uid, element, name=f"{title} map", source_file=self.result.name)
        self._rel("DEPICTS", "Map", uid, "Process", uid, element)
        return uid

    def step(self, process_id: str, step_id: str, name: str | None, kind: str,
             element: object, **extra: Any) -> str:
        uid = self.step_uid(process_id, step_id)
        if (("Step", uid)) in self._nodes:
            self.result.reject("Step", element, "id", "unique within the process", step_id)
            return uid
        order = self._order.get(process_id, 0)
        self._order[process_id] = order + 1
        label = (name or "").strip() or step_id
        self._node("Step", uid, element, name=label, kind=kind, order=order, **extra)
        self._rel("HAS_STEP", "Process", self.process_uid(process_id), "Step", uid, element,
                  order=order)
        return uid

    def department(self, name: str, element: object, parent: str | None = None) -> str:
        uid = f"dept:{slug(name)}"
        self._node("Department", uid, element, name=name.strip())
        if parent:
            parent_uid = self.department(parent, element)
            outer = self._outer(parent_uid)
            if uid in outer:
                self.result.reject("PART_OF", element, "parent",
                                   "a department that is not inside this one (no cycles)",
                                   parent)
            elif len(outer) >= MAX_NESTING:
                self.result.reject("PART_OF", element, "parent", f"at most {MAX_NESTING} "
                                   "departments one inside another", parent)
            else:
                self._parents[uid] = parent_uid
                self._rel("PART_OF", "Department", uid, "Department", parent_uid, element)
        return uid

    def _outer(self, uid: str) -> list[str]:
        """``uid`` and the departments it is inside, nearest first: at most MAX_NESTING (no
        cycle can form, as a parent that would make one is refused)."""
        chain = [uid]
        while len(chain) < MAX_NESTING and (uid := self._parents.get(uid, "")):
            chain.append(uid)
        return chain

    def document(self, name: str, kind: str, element: object) -> str:
        uid = f"doc:{slug(name)}"
        self._node("Document", uid, element, name=name.strip(), kind=kind)
        return uid

    def party(self, name: str, element: object, kind: str | None = None,
              uid: str | None = None) -> tuple[str, str]:
        """An outside party; ``kind`` (Customer, Supplier, ...) when the source says it."""
        label = kind if kind else "Party"
        uid = uid or f"party:{slug(name)}"
        self._node(label, uid, element, name=name.strip())
        return label, uid

    def employee(self, uid: str, element: object, name: str | None = None,
                 department: str | None = None, **props: Any) -> str:
        """An employee known by uid; made here only when the source gives a name too."""
        if name:
            self._node("Employee", uid, element, name=name.strip(), **props)
        if department:
            dept = self.department(department, element)
            self._rel("MEMBER_OF", "Employee", uid, "Department", dept, element)
        return uid

    def contact(self, uid: str, element: object, name: str, party: str, **props: Any) -> str:
        """A person at the party ``party`` (a uid), who works for it (``WORKS_FOR``)."""
        self._node("Contact", uid, element, name=name.strip(), **props)
        self._rel("WORKS_FOR", "Contact", uid, "Party", party, element)
        return uid

    # -- relationships ----------------------------------------------------------------------
    def _rel(self, rel_type: str, start_label: str, start: str, end_label: str, end: str,
             element: object, **props: Any) -> None:
        key = (rel_type, start_label, start, end_label, end)
        if key in self._rels:
            return
        self._rels.add(key)
        self.batch.add_relationship(rel_type, start_label, start, end_label, end,
                                    **{k: v for k, v in props.items() if v not in (None, "")},
                                    source=self.result.ref(element))

    def flow(self, process_id: str, from_id: str, to_id: str, element: object,
             label: str | None = None, condition: str | None = None) -> None:
        self._rel("NEXT", "Step", self.step_uid(process_id, from_id), "Step",
                  self.step_uid(process_id, to_id), element, label=_clean(label),
                  condition=_clean(condition))
        self.result.rows += 1

    def link(self, from_uid: str, to_uid: str, element: object,
             label: str | None = None) -> None:
        """A NEXT between steps known by uid: a flow that continues in another process (a
        drawing's page continued on the next through a reference shape)."""
        self._rel("NEXT", "Step", from_uid, "Step", to_uid, element, label=_clean(label))
        self.result.rows += 1

    def performs(self, department: str, step_uid: str, element: object,
                 role: str | None = None) -> None:
        dept = self.department(department, element)
        self._rel("PERFORMS", "Department", dept, "Step", step_uid, element, role=role)

    def employee_performs(self, employee_uid: str, step_uid: str, element: object,
                          role: str | None = None) -> None:
        self._rel("PERFORMS", "Employee", employee_uid, "Step", step_uid, element, role=role)

    def uses(self, step_uid: str, document_uid: str, element: object) -> None:
        self._rel("USES", "Step", step_uid, "Document", document_uid, element)

    def produces(self, step_uid: str, document_uid: str, element: object) -> None:
        self._rel("PRODUCES", "Step", step_uid, "Document", document_uid, element)

    def participates(self, party: tuple[str, str], step_uid: str, element: object,
                     role: str | None = None) -> None:
        label, uid = party
        self._rel("PARTICIPATES_IN", label, uid, "Step", step_uid, element, role=_clean(role))

    def reports_to(self, person_uid: str, manager_uid: str, element: object,
                   label: str = "Employee") -> None:
        """``label``: Employee (our own org chart) or Contact (a party's): both ends are one."""
        self._rel("REPORTS_TO", label, person_uid, label, manager_uid, element)

    def subprocess_of(self, child_uid: str, parent_uid: str, element: object) -> None:
        self._rel("SUBPROCESS_OF", "Step", child_uid, "Step", parent_uid, element)

    def owner(self, employee_uid: str, label: str, uid: str, element: object) -> None:
        self._rel("RESPONSIBLE_FOR", "Employee", employee_uid, label, uid, element)

    def has_step(self, uid: str) -> bool:
        return ("Step", uid) in self._nodes


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None
