"""A draw.io page read as an org chart: people and departments with their reporting lines.

A box showing a person (a picture, or a name over a title: ``Ana Lopez<br>Head of Sales``) is
an Employee (``uid`` ``emp:<name>``, ``title`` from the lines under the name); any other
box, and any container with boxes inside (a swimlane, a group with a label), is a
Department. Lines join a boss above to a report below: the upper box of the two is the boss
(side by side, the line's source). So

- a person reports to (``REPORTS_TO``) the nearest person above them, through department
  boxes in between (CEO -> Sales -> Head of Sales: the head reports to the CEO); a person
  drawn inside a department with no line of their own, to the department's boss;
- a person is a member (``MEMBER_OF``) of the container they are drawn in, else of the
  nearest department above them (everyone under "Sales" is in Sales);
- a department is part of (``PART_OF``) the container it is drawn in, else of the nearest
  department above it.

Departments share their uid (``dept:<name>``) with the lanes of the process maps, so an org
chart gives those lanes their place in the organisation.

**A party's org chart** (``--as orgchart --of PARTY``: a customer's, a supplier's internal
structure, for contact management): the people are Contacts who work for that party
(``WORKS_FOR``), uid ``contact:<party>/<name>`` (one party's Ana Lopez is not another's), with
the same reporting lines (``REPORTS_TO`` joins contact to contact) and the department they are
in, and their title, as properties: the party's departments are not ours, so no Department is
made. The party must exist already (the load checks it before reading).
"""

from __future__ import annotations

from collections.abc import Callable

from erm_graph.ingest.contract import slug
from erm_graph.ingest.flowchart import MAX_NESTING, FlowchartBuilder

from . import styles
from .kind import looks_like_person
from .page import Page


def contact_uid(party: str, name: str) -> str:
    """A contact's uid from a party's org chart: the party's uid, then the name as a slug."""
    return f"contact:{party}/{slug(name)}"


def load_orgchart(build: FlowchartBuilder, page: Page, party: str | None = None) -> None:
    """The page as our own Employees and Departments, or (``party``, a uid) as that party's
    Contacts."""
    children: set[str] = {p for c in page.vertices if (p := page.parent(c))}
    units = {c for c in page.vertices if c in children and page.text(c)
             and (styles.is_lane(page.styles[c]) or page.styles[c].get("container") == "1"
                  or page.styles[c].get("shape") == "group")}
    boxes = []
    for cid in page.vertices:
        style = page.styles[cid]
        if cid in units:
            continue
        if style.get("shape") in ("text", "edgeLabel") or not (
                page.text(cid) or looks_like_person(page, cid)):
            page.skip(styles.kind_name(style) if page.text(cid) else "unlabelled shape", cid)
            continue
        boxes.append(cid)
    people = {b for b in boxes if looks_like_person(page, b) and page.lines(b)}
    for b in boxes:
        if b not in people and not page.text(b):
            page.skip("picture without a name", b)
    departments = {b for b in boxes if b not in people and page.text(b)} | units
    bosses: dict[str, list[str]] = {}
    top = _tops(page)
    drawn = people | departments
    for e in page.edges:
        if e.source in drawn and e.target in drawn:
            boss, report = (e.target, e.source) if top(e.target) < top(e.source) else (
                e.source, e.target)
            bosses.setdefault(report, []).append(boss)
        else:
            page.skip("line not joining two boxes", e.id)
    names = {d: page.text(d) for d in departments}
    uids = {p: contact_uid(party, page.lines(p)[0]) if party else f"emp:{slug(page.lines(p)[0])}"
            for p in people}

    found_at: dict[int, dict[str, str | None]] = {id(people): {}, id(departments): {}}

    def at_or_above(cid: str, wanted: set[str]) -> str | None:
        """``cid`` if it is one of ``wanted``, else the nearest one up its first boss's line,
        at most MAX_NESTING up; each box's answer is kept, so a page costs its boxes once."""
        known = found_at[id(wanted)]
        path: dict[str, None] = {}
        box: str | None = cid
        found = None
        while box is not None and box not in path and len(path) < MAX_NESTING:
            if box in known:
                found = known[box]
                break
            if box in wanted:
                found = box
                break
            path[box] = None
            box = next(iter(bosses.get(box, ())), None)
        known.update(dict.fromkeys(path, found))
        return found

    def above(cid: str, wanted: set[str]) -> str | None:
        boss = next(iter(bosses.get(cid, ())), None)
        return at_or_above(boss, wanted) if boss else None

    def unit(cid: str) -> str | None:
        parent = page.parent(cid)
        return parent if parent in units else above(cid, departments)

    order = {cid: n for n, cid in enumerate(page.vertices)}
    if not party:
        for d in sorted(departments, key=order.__getitem__):
            outer = unit(d)
            build.department(names[d], d, parent=names[outer] if outer else None)
    for p in sorted(people, key=order.__getitem__):
        name, *title = page.lines(p)
        dept = unit(p)
        if party:
            build.contact(uids[p], p, name=name, party=party,
                          department=" ".join(names[dept].split()) if dept else None,
                          title=", ".join(title) or None)
        else:
            build.employee(uids[p], p, name=name, department=names[dept] if dept else None,
                           title=", ".join(title) or None)
        # drawn inside a department with no line of their own: its boss is theirs
        parent = page.parent(p)
        for boss in bosses.get(p) or ([parent] if parent in units else []):
            manager = at_or_above(boss, people)
            if manager:
                build.reports_to(uids[p], uids[manager], p,
                                 label="Contact" if party else "Employee")


def _tops(page: Page) -> Callable[[str], float]:
    """``top(cid)``: how far down the page a cell's top edge is, containers' offsets added."""
    known: dict[str, float] = {}

    def own(cid: str) -> float:
        geometry = page.cells[cid].find("mxGeometry") if cid in page.cells else None
        try:
            return float(geometry.get("y", 0)) if geometry is not None else 0.0
        except ValueError:
            return 0.0

    def top(cid: str) -> float:
        if cid in known:
            return known[cid]
        chain, parent = [cid], page.parent(cid)
        while (parent and parent in page.styles and parent not in known
               and parent not in chain and len(chain) < MAX_NESTING):
            chain.append(parent)
            parent = page.parent(parent)
        base = known.get(parent or "", 0.0)
        for c in reversed(chain):
            base = known[c] = base + own(c)
        return base

    return top
