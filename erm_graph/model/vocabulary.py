"""The ERM vocabulary: node labels, relationship types, and the properties each may carry.

This is the only place labels and relationship types are spelled. Everything that writes Cypher
takes them from here, never from user text, so a label can be interpolated into a query safely
once it has been looked up in :data:`LABELS` or :data:`RELATIONSHIPS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The value forms a property may take. Times are ISO-8601 strings so both engines agree."""

    STR = "string"
    INT = "integer"
    FLOAT = "number"
    BOOL = "boolean"
    DATE = "date (YYYY-MM-DD)"
    DATETIME = "date-time (YYYY-MM-DDTHH:MM:SS)"
    STR_LIST = "list of strings"


@dataclass(frozen=True)
class Prop:
    kind: Kind = Kind.STR
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""


@dataclass(frozen=True)
class Label:
    """A node label; ``key_label`` is the label whose uid index finds it (Party for Customer)."""

    name: str
    help: str
    props: dict[str, Prop] = field(default_factory=dict)
    parent: str | None = None

    @property
    def key_label(self) -> str:
        return self.parent or self.name

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label a node of this kind carries, the key label first."""
        return (self.parent, self.name) if self.parent else (self.name,)


@dataclass(frozen=True)
class Relationship:
    """A relationship type and the (start, end) labels it may join."""

    name: str
    help: str
    starts: tuple[str, ...]
    ends: tuple[str, ...]
    props: dict[str, Prop] = field(default_factory=dict)
    #: both ends must have one key label (of those allowed): REPORTS_TO joins an employee to
    #: an employee and a contact to a contact, never one to the other
    same_ends: bool = False


#: Properties every node has; ``uid`` is the stable key, unique per key label.
COMMON_PROPS: dict[str, Prop] = {
    "uid": Prop(Kind.STR, required=True, help="stable key, unique per label"),
    "name": Prop(Kind.STR, help="display name"),
    "source": Prop(Kind.STR, help="provenance: loader, file and row or element id"),
    "created_at": Prop(Kind.DATETIME, help="set by the store when the node is first written"),
    "updated_at": Prop(Kind.DATETIME, help="set by the store when the node last changed"),
}

#: Properties the store maintains itself; loaders may not set them.
SYSTEM_PROPS = ("created_at", "updated_at", "content_hash")

#: Keys a record may carry that are not properties; nothing stores them.
#: ``_where``: where a relationship came from, for messages, when it has no ``source`` of its
#: own (a mapping row's relationships: the row's node carries it).
#: ``_hash``: a loader's fingerprint of what a node was made from (a mapping row's cells),
#: stored as its content hash: an unchanged row is then known before it is even typed.
WHERE = "_where"
FINGERPRINT = "_hash"
ANNOTATIONS = (WHERE, FINGERPRINT)

NAMED = Prop(Kind.STR, required=True, help="display name")
SOURCE_FILE = Prop(help="name of the file that wrote it: a load of another file into the same "
                        "uids is refused unless it names the map (--map)")
SENTIMENT = Prop(Kind.FLOAT, minimum=-1, maximum=1, help="-1 (angry) .. 1 (delighted)")
#: An employee has left once this date has come (the day itself included); none: still with us.
#: Nobody may be made an owner after it, and the governance view flags what they still own.
LEFT_ON = Prop(Kind.DATE, help="the day the employee left; from then on they own nothing: "
                               "`erm owner check` lists what they still own")
#: an opportunity's stages in the order a sale goes through them (a lead is an opportunity
#: at stage lead); won and lost end it
OPPORTUNITY_STAGES = ("lead", "qualified", "proposal", "won", "lost")
#: a task's life: open until done or cancelled; an appointment is cancelled, never deleted
TASK_STATUSES = ("open", "done", "cancelled")
TASK_PRIORITIES = ("low", "normal", "high", "urgent")
APPOINTMENT_STATUSES = ("confirmed", "cancelled")
PARTY_KINDS = ("Customer", "Supplier", "Partner", "Financier", "Government")
PARTY_PROPS = {
    "name": NAMED,
    "segment": Prop(help="market segment, e.g. enterprise, smb, consumer, public"),
    "industry": Prop(),
    "country": Prop(),
    "tier": Prop(Kind.INT, minimum=1, maximum=3, help="importance, 1 = strategic"),
    "since": Prop(Kind.DATE, help="start of the relationship"),
    "email": Prop(help="contact address for the party as a whole"),
    "phone": Prop(),
    "website": Prop(),
    "address": Prop(help="postal address"),
}

#: What customer service keeps on a case (docs/service.md): the first response, which starts
#: the response target's clock, and every hand-over, so a reassignment keeps its history.
CASE_SERVICE_PROPS = {
    "responded_at": Prop(Kind.DATETIME, help="first response: when the case was first "
                                             "assigned to a person (docs/service.md)"),
    "assignment_history": Prop(Kind.STR_LIST, help="each assignment, oldest first, as "
                                                   "`UID AT BY` (kept by the app's case "
                                                   "actions)"),
}
#: Customer service's own labels (docs/service.md): agreements and the solutions knowledge base.
SERVICE_LABELS = [
    Label("ServiceAgreement", "response and resolution targets for a customer tier (or for "
                              "the customers COVERED_BY it), per case severity", {
        "name": NAMED,
        "tier": Prop(Kind.INT, minimum=1, maximum=3,
                     help="the customer tier it covers (Party.tier); none: any tier"),
        "severity": Prop(Kind.INT, minimum=1, maximum=4,
                         help="the case severity it covers; none: any severity"),
        "response_hours": Prop(Kind.FLOAT, required=True, minimum=0,
                               help="hours from opening to the first response"),
        "resolution_hours": Prop(Kind.FLOAT, required=True, minimum=0,
                                 help="hours from opening to resolution")}),
    Label("Article", "a solution in the knowledge base: a known problem and how to solve it", {
        "name": NAMED, "title": Prop(required=True),
        "body": Prop(required=True, help="the solution, as the support team wrote it"),
        "keywords": Prop(help="symptom words and phrases a case summary would use, "
                              "comma-separated (text, so every import format carries it)"),
        "by": Prop(help="who wrote it (the audit trail's actor)")}),
]

_labels = [
    Label("Party", "an outside counterpart, company or person", PARTY_PROPS),
    Label("Customer", "a party that buys from us", PARTY_PROPS, parent="Party"),
    Label("Supplier", "a party we buy from", PARTY_PROPS, parent="Party"),
    Label("Partner", "a party we sell or build with", PARTY_PROPS, parent="Party"),
    Label("Financier", "a bank or investor", PARTY_PROPS, parent="Party"),
    Label("Government", "an agency or regulator", PARTY_PROPS, parent="Party"),
    Label("Contact", "a person at a party", {
        "name": NAMED, "title": Prop(), "email": Prop(), "phone": Prop(),
        "department": Prop(help="the unit of their party they work in (the party's own org "
                                "chart: erm load --as orgchart --of PARTY)")}),
    Label("Employee", "one of our own staff", {
        "name": NAMED, "title": Prop(), "email": Prop(),
        "role": Prop(help="e.g. CRO, account manager, engineer"),
        "left_on": LEFT_ON}),
    Label("Department", "a unit of the enterprise", {"name": NAMED}),
    Label("Process", "a business or relationship process", {
        "name": NAMED, "category": Prop(help="customer, procurement, partner, financing, ..."),
        "source_file": SOURCE_FILE}),
    Label("Step", "one activity, event or gateway of a process", {
        "name": NAMED,
        "kind": Prop(choices=("task", "event", "start", "end", "gateway", "subprocess"),
                     help="what the flowchart shape was"),
        "order": Prop(Kind.INT, minimum=0, help="position in the flow")}),
    Label("Document", "what a step uses or produces", {
        "name": NAMED,
        "kind": Prop(required=True, choices=("document", "material", "database", "system"))}),
    Label("Map", "a relationship map: a process with its people, documents and parties",
          {"name": NAMED, "source_file": SOURCE_FILE}),
    Label("Product", "what the enterprise sells", {
        "name": NAMED,
        "kind": Prop(required=True, choices=("product", "service", "advertising")),
        "price": Prop(Kind.FLOAT, minimum=0)}),
    Label("Interaction", "one touch between a party or contact and the enterprise", {
        "kind": Prop(required=True, choices=(
            "consultation", "purchase", "service", "support", "maintenance",
            "complaint", "meeting", "call", "email")),
        "at": Prop(Kind.DATETIME, required=True),
        "channel": Prop(choices=("phone", "email", "web", "visit", "chat", "event")),
        "amount": Prop(Kind.FLOAT, help="money moved, in the enterprise currency"),
        "sentiment": SENTIMENT,
        "inbound": Prop(Kind.BOOL, help="true when the party reached out to us"),
        "notes": Prop(help="what was said and agreed, as the employee wrote it")}),
    Label("Case", "a service, warranty or complaint ticket", {
        "kind": Prop(required=True, choices=("service", "warranty", "complaint")),
        "status": Prop(required=True, choices=("open", "in_progress", "resolved", "closed")),
        "severity": Prop(Kind.INT, minimum=1, maximum=4, help="1 = critical"),
        "opened_at": Prop(Kind.DATETIME, required=True),
        "closed_at": Prop(Kind.DATETIME),
        "escalated": Prop(Kind.BOOL),
        "resolution": Prop(),
        "summary": Prop(help="what the customer reported, in a line or two"),
        **CASE_SERVICE_PROPS}),
    Label("Survey", "a customer or employee survey", {
        "name": NAMED, "audience": Prop(choices=("customer", "employee")),
        "sent_at": Prop(Kind.DATE)}),
    Label("Response", "one answer to a survey", {
        "score": Prop(Kind.INT, required=True, minimum=0, maximum=10),
        "at": Prop(Kind.DATETIME, required=True), "text": Prop()}),
    Label("Feedback", "customer knowledge for marketing and R&D", {
        "kind": Prop(required=True, choices=("need", "defect", "idea", "praise")),
        "text": Prop(required=True), "at": Prop(Kind.DATETIME, required=True),
        "score": Prop(Kind.INT, minimum=0, maximum=10)}),
    Label("Opportunity", "a possible sale", {
        "name": NAMED, "stage": Prop(choices=OPPORTUNITY_STAGES),
        "amount": Prop(Kind.FLOAT, minimum=0), "close_date": Prop(Kind.DATE),
        "stage_history": Prop(Kind.STR_LIST, help="each stage it reached, oldest first, as "
                                                  "`STAGE AT BY` (kept by the app's stage "
                                                  "changes: `erm_graph.edit.actions`)"),
        "next_step": Prop(help="what happens next to move it on, in a line")}),
    Label("Campaign", "a marketing campaign", {
        "name": NAMED, "channel": Prop(), "start": Prop(Kind.DATE), "end": Prop(Kind.DATE),
        "cost": Prop(Kind.FLOAT, minimum=0, help="what the campaign cost, shared evenly among "
                                                "the parties it TARGETS as their investment")}),
    Label("Investment", "what the enterprise put into a relationship: a visit's costs, an "
                        "event, a gift, a discount, time (see relationship-return)", {
        "kind": Prop(required=True, choices=("visit", "event", "gift", "discount", "time",
                                             "other")),
        "amount": Prop(Kind.FLOAT, minimum=0, help="money, in the enterprise currency"),
        "hours": Prop(Kind.FLOAT, minimum=0, help="staff time, valued at the query's rate"),
        "at": Prop(Kind.DATETIME, required=True), "note": Prop()}),
    Label("Contract", "a signed agreement", {
        "name": NAMED, "value": Prop(Kind.FLOAT, minimum=0),
        "start": Prop(Kind.DATE), "end": Prop(Kind.DATE)}),
    Label("Territory", "a sales territory: a region, a segment or a list of named accounts, "
                       "its accounts joined by INCLUDES and its reps by COVERS "
                       "(docs/sales.md)", {
        "name": NAMED,
        "kind": Prop(required=True, choices=("region", "segment", "named"),
                     help="how its accounts were chosen: by place, by market segment or "
                          "one by one")}),
    Label("Quota", "what a rep is to sell in a period (docs/sales.md)", {
        "name": NAMED,
        "period": Prop(required=True, help="YYYY, YYYY-QN or YYYY-MM, e.g. 2026-Q3"),
        "amount": Prop(Kind.FLOAT, required=True, minimum=0,
                       help="won revenue credited to the rep, in the enterprise currency")}),
    Label("Task", "a piece of work with a due time, for one employee (erm task)", {
        "title": Prop(required=True, help="what is to be done, in a line"),
        "due": Prop(Kind.DATETIME, required=True, help="when it must be done by"),
        "status": Prop(required=True, choices=TASK_STATUSES),
        "priority": Prop(choices=TASK_PRIORITIES),
        "done_at": Prop(Kind.DATETIME, help="when it was marked done or cancelled"),
        "notes": Prop()}),
    Label("Appointment", "a meeting in people's calendars, from start to end (erm "
                         "appointment)", {
        "title": Prop(required=True, help="what it is, in a line"),
        "start": Prop(Kind.DATETIME, required=True),
        "end": Prop(Kind.DATETIME, required=True),
        "place": Prop(help="a room, an address, a call link"),
        "status": Prop(choices=APPOINTMENT_STATUSES, help="cancelled ones stay, for the record"),
        "ical_uid": Prop(help="the UID (and recurrence date) of the .ics event it was imported "
                              "from: importing the file again adds nothing"),
        "notes": Prop()}),
    Label("MapRevision", "one version of a map loaded from a file: who wrote it, when, from "
                         "which file, what changed, and its records for a restore", {
        "name": NAMED,
        "map": Prop(required=True, help="the map's namespace: the prefix of its uids"),
        "version": Prop(Kind.INT, required=True, minimum=1),
        "at": Prop(Kind.DATETIME, required=True, help="when it was written"),
        "by": Prop(required=True, help="who wrote it (the audit trail's actor)"),
        "action": Prop(required=True, choices=("load", "restore", "edit")),
        "source_file": Prop(help="name of the file its records came from"),
        "restored_from": Prop(Kind.INT, minimum=1, help="the version a restore brought back"),
        "based_on": Prop(Kind.INT, minimum=0, help="the version an edit in the app was made "
                                                   "on (0: the map had no history)"),
        "summary": Prop(help="an edit's change list in words, one change a line"),
        "added": Prop(Kind.INT, minimum=0), "changed": Prop(Kind.INT, minimum=0),
        "removed": Prop(Kind.INT, minimum=0),
        "changes": Prop(required=True, help="JSON: the records added, changed and removed, "
                                            "by name, per label and relationship type"),
        "records": Prop(required=True, help="JSON: every record the file defined at this "
                                            "version, which a restore writes back")}),
    Label("Merge", "bookkeeping: one `erm merge` of duplicate records into one, its aliases "
                   "and what its undo restores (see One identity across sources)", {
        "label": Prop(required=True, help="the label of the merged records"),
        "keep": Prop(required=True, help="uid of the record kept"),
        "dropped": Prop(Kind.STR_LIST, required=True,
                        help="uids of the records merged into it: aliases that later loads "
                             "of their sources land on, while the merge is not undone"),
        "at": Prop(Kind.DATETIME, required=True),
        "by": Prop(help="who merged (the audit trail's actor)"),
        "record": Prop(required=True, help="JSON: the dropped records' properties and "
                                           "relationships, what the merge changed on the "
                                           "kept one, the property conflicts"),
        "undone_at": Prop(Kind.DATETIME, help="set by `erm merge undo`"),
        "undone_by": Prop()}),
    Label("Assessment", "bookkeeping: one kept CRM maturity assessment (`erm assess --save`), "
                        "the trend's points (see docs/strategy.md)", {
        "name": NAMED,
        "at": Prop(Kind.DATETIME, required=True),
        "by": Prop(help="who kept it (the audit trail's actor)"),
        "overall": Prop(Kind.INT, required=True, minimum=1, maximum=5,
                        help="the weakest area's level"),
        "levels": Prop(required=True, help="JSON: area -> level 1-5"),
        "answers": Prop(required=True, help="JSON: question -> the questionnaire's answer"),
        "evidence": Prop(required=True, help="JSON: every criterion, met or not, and why")}),
    *SERVICE_LABELS,
]

def _by_name(things: list[Any], what: str) -> dict[str, Any]:
    """Name -> definition; a name declared twice is a mistake (the later one would silently
    replace the earlier), so the model refuses to build."""
    named: dict[str, Any] = {}
    for thing in things:
        if thing.name in named:
            raise ValueError(f"the model declares the {what} {thing.name} twice")
        named[thing.name] = thing
    return named


LABELS: dict[str, Label] = _by_name(_labels, "label")
#: Labels the app writes for itself, never a loader: the record of each `erm merge` (its undo
#: and the aliases loads resolve), each map revision and each kept maturity assessment.
#: Exported, backed up and restored with the graph; not mapped.
BOOKKEEPING_LABELS: tuple[str, ...] = ("MapRevision", "Merge", "Assessment")
#: Labels that carry a uid index of their own (key labels); Customer etc. are found via Party.
KEY_LABELS: tuple[str, ...] = tuple(lab.name for lab in _labels if lab.parent is None)

_PARTY_OR_CONTACT = ("Party", "Contact")
#: what may be shared with a partner (SHARED_WITH): a customer (any party), an opportunity,
#: a case; see docs/partners.md
SHAREABLE_LABELS: tuple[str, ...] = ("Party", "Opportunity", "Case")
#: The components of relationship maps: each must have exactly one responsible employee
#: (RESPONSIBLE_FOR). The governance view, partner scope and the unowned-components query
#: all read this one list (cypher/unowned-components.cypher spells it too, checked by a test).
#: Products, contracts and campaigns are not on a map: a contract is answered for by its
#: party's account owner (MANAGES), so they are left out (docs/data-model.md, "Owners").
COMPONENT_LABELS: tuple[str, ...] = ("Map", "Process", "Step", "Document", "Department")

SERVICE_RELATIONSHIPS = [
    Relationship("COVERED_BY", "a customer's own service agreement, ahead of its tier's",
                 ("Party",), ("ServiceAgreement",)),
    Relationship("APPLIES_TO", "the product or step a knowledge-base article is about",
                 ("Article",), ("Product", "Step")),
    Relationship("SOLVES", "an article used to resolve a case", ("Article",), ("Case",)),
]

_relationships = [
    Relationship("WORKS_FOR", "a contact works for a party", ("Contact",), ("Party",)),
    Relationship("MEMBER_OF", "an employee belongs to a department", ("Employee",),
                 ("Department",)),
    Relationship("PART_OF", "a department sits inside another", ("Department",),
                 ("Department",)),
    Relationship("REPORTS_TO", "a person's line manager (an org chart's lines): an employee's "
                 "is an employee, a contact's a contact (their party's org chart)",
                 ("Employee", "Contact"), ("Employee", "Contact"), same_ends=True),
    Relationship("HAS_STEP", "a process contains a step", ("Process",), ("Step",),
                 {"order": Prop(Kind.INT, minimum=0)}),
    Relationship("SUBPROCESS_OF", "a flattened sub-process step belongs to its parent step",
                 ("Step",), ("Step",)),
    Relationship("NEXT", "the flow from one step to the next", ("Step",), ("Step",),
                 {"label": Prop(), "condition": Prop()}),
    Relationship("PERFORMS", "who carries out a step (above the flow)",
                 ("Department", "Employee"), ("Step",), {"role": Prop()}),
    Relationship("USES", "what a step needs (below the flow)", ("Step",), ("Document",)),
    Relationship("PRODUCES", "what a step creates (below the flow)", ("Step",), ("Document",)),
    Relationship("PARTICIPATES_IN", "an outside party takes part in a step (around the flow)",
                 ("Party",), ("Step",), {"role": Prop()}),
    Relationship("RESPONSIBLE_FOR", "the one owner of a component", ("Employee",),
                 COMPONENT_LABELS, {
                     "set_at": Prop(Kind.DATETIME, help="when the owner was set by hand (erm "
                                                        "owner set, the web app): a load "
                                                        "never replaces such an owner"),
                     "set_by": Prop(help="who set the owner by hand")}),
    Relationship("DEPICTS", "a relationship map shows a process", ("Map",), ("Process",)),
    Relationship("MANAGES", "the account owner of a party", ("Employee",), ("Party",)),
    Relationship("RELATES_TO", "a tie between two parties", ("Party",), ("Party",),
                 {"kind": Prop(choices=("subsidiary", "supplies", "finances", "regulates",
                                        "partners", "refers"))}),
    Relationship("HAD", "a party or contact had an interaction", _PARTY_OR_CONTACT,
                 ("Interaction",)),
    Relationship("WITH", "the employee on our side of an interaction", ("Interaction",),
                 ("Employee",)),
    Relationship("AT_STEP", "the process step an interaction belongs to", ("Interaction",),
                 ("Step",)),
    Relationship("ABOUT", "what a record concerns",
                 ("Interaction", "Case", "Response", "Feedback", "Opportunity", "Contract",
                  "Campaign"),
                 ("Product", "Step", "Department")),
    Relationship("RAISED", "a party opened a case", _PARTY_OR_CONTACT, ("Case",)),
    Relationship("ASSIGNED_TO", "who handles a case, or works an opportunity or a lead (an "
                 "opportunity at stage lead), or does a task", ("Case", "Opportunity", "Task"),
                 ("Employee", "Department")),
    Relationship("TO", "a response answers a survey", ("Response",), ("Survey",)),
    Relationship("GAVE", "who answered", ("Party", "Contact", "Employee"), ("Response",)),
    Relationship("FROM", "where a piece of feedback came from", ("Feedback",),
                 ("Interaction", "Case", "Response")),
    Relationship("HOLDS", "a party's opportunities and contracts", ("Party",),
                 ("Opportunity", "Contract")),
    Relationship("TARGETS", "a campaign aims at a party", ("Campaign",), ("Party",)),
    Relationship("INVESTED_IN", "the relationship an investment went into", ("Investment",),
                 _PARTY_OR_CONTACT),
    Relationship("MADE_BY", "who made an investment", ("Investment",), ("Employee",)),
    Relationship("SUPPLIES", "a supplier provides a product or material", ("Party",),
                 ("Product", "Document")),
    Relationship("COVERS", "a sales rep works a territory", ("Employee",), ("Territory",)),
    Relationship("INCLUDES", "an account of a territory", ("Territory",), ("Party",)),
    Relationship("QUOTA_OF", "whose quota it is", ("Quota",), ("Employee",)),
    Relationship("GENERATED", "a campaign produced an interaction (a response) or an "
                 "opportunity", ("Campaign",), ("Interaction", "Opportunity")),
    Relationship("SHARED_WITH", "a customer, opportunity or case shared with a partner, who "
                 "then sees it in its portal (written by `erm share`, removed by `erm unshare`)",
                 SHAREABLE_LABELS, ("Party",),
                 {"at": Prop(Kind.DATETIME, help="when it was shared"),
                  "by": Prop(help="who shared it (the audit trail's actor)")}),
    Relationship("CONCERNS", "what a task or appointment is about: a party, contact, case, "
                 "opportunity, step or product", ("Task", "Appointment"),
                 ("Party", "Contact", "Case", "Opportunity", "Step", "Product")),
    Relationship("ATTENDS", "an employee or contact in an appointment",
                 ("Employee", "Contact"), ("Appointment",),
                 {"role": Prop(choices=("organiser", "attendee"))}),
    Relationship("KNOWS", "derived by analytics: how well an employee knows a party",
                 ("Employee",), _PARTY_OR_CONTACT,
                 {"strength": Prop(Kind.FLOAT, minimum=0, maximum=1),
                  "evidence": Prop(help="the inputs the strength was computed from"),
                  "strength_series": Prop(Kind.STR_LIST, help=(
                      "the strength over time, one \"YYYY-MM-DD=score\" per day it was "
                      "computed for, oldest first"))}),
    *SERVICE_RELATIONSHIPS,
]

RELATIONSHIPS: dict[str, Relationship] = _by_name(_relationships, "relationship type")
