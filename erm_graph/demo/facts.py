"""The facts planted in the demo enterprise, as plain constants.

The demo generator (:func:`erm_graph.demo.generate`) plants each fact below identically for
every size and seed: the uids, names and relationships here hold for ``small``, ``medium`` and
``large`` alike, and the random bulk never touches the records they rest on. Counts that must
stand out against the bulk (the complaint spike, the need cluster) grow with the size and are
given here as a minimum. Queries, notebooks, the web explorer and the tests find these facts
in the loaded demo; each docstring says what the fact means and which query should find it.

All demo records carry ``source = "demo:<seed>"``. Interaction times lie between
:data:`PERIOD_START` and :data:`PERIOD_END`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: First and last day of the demo's activity (interactions, cases, responses, feedback).
PERIOD_START = "2025-01-01"
PERIOD_END = "2026-10-31"


@dataclass(frozen=True)
class KeyPersonRisk:
    """A customer that exactly one employee relates to.

    Only ``employee`` MANAGES ``customer``, and every Interaction the customer (or one of its
    contacts) HAD is WITH ``employee``; its cases are ASSIGNED_TO ``employee`` too. Found by a
    key-person query: customers whose distinct employees, via MANAGES or
    ``(c)-[:HAD]->(:Interaction)-[:WITH]->(e)``, number exactly one.
    """

    customer: str = "cust-000001"
    customer_name: str = "Harbor & Finch Logistics"
    employee: str = "emp-0007"
    employee_name: str = "Tomas Lindqvist"
    #: interactions the customer and its contacts had (all WITH ``employee``)
    interactions: int = 24


@dataclass(frozen=True)
class ComplaintSpike:
    """One product with many complaints at one process step in one month.

    ``product`` has at least ``min_interactions`` Interactions of kind ``complaint`` that are
    AT_STEP ``step`` (technical support) with ``at`` in ``month``, and at least ``min_cases``
    complaint Cases ABOUT both ``product`` and ``step`` opened in that month. No other
    (product, step, month) cell comes near it. Found by grouping complaint interactions by
    product, step and ``substring(i.at, 0, 7)`` and ordering by count.
    """

    product: str = "prod-0003"
    product_name: str = "Aurora Smart Thermostat"
    step: str = "step-cr-support"
    month: str = "2026-03"
    min_interactions: int = 40
    min_cases: int = 12


@dataclass(frozen=True)
class UnownedComponents:
    """Relationship-map components with no owner.

    ``uids`` (a Process, Steps and a Document) have no incoming RESPONSIBLE_FOR; every other
    Map, Process, Step, Document and Department has exactly one. Found by
    ``MATCH (n) WHERE (n:Process OR n:Step OR n:Document) AND NOT ()-[:RESPONSIBLE_FOR]->(n)``.
    """

    uids: frozenset[str] = frozenset({
        "proc-partner", "step-rc-report", "step-fi-covenant", "doc-rc-audit-log"})
    steps: frozenset[str] = frozenset({"step-rc-report", "step-fi-covenant"})
    documents: frozenset[str] = frozenset({"doc-rc-audit-log"})
    processes: frozenset[str] = frozenset({"proc-partner"})


@dataclass(frozen=True)
class WarmPath:
    """An outside party none of our employees is tied to, reachable through a partner.

    ``target`` has no MANAGES, no interactions, no cases, no contacts and takes part in no
    step; its only relationship is ``(via)-[:RELATES_TO {kind: "refers"}]->(target)``. The
    one employee tied to ``via`` is ``employee``, who MANAGES it and is WITH on its
    interactions. Found by a warm-introduction query, e.g. ``allShortestPaths`` from employees
    to ``target``; the expected chain is :attr:`chain` (``employee -> via -> target``).
    """

    employee: str = "emp-0012"
    employee_name: str = "Priya Raman"
    via: str = "part-000001"
    via_name: str = "Bridgeway Consulting"
    target: str = "cust-000004"
    target_name: str = "Northwind Aerospace"
    chain: tuple[str, ...] = ("emp-0012", "part-000001", "cust-000004")
    relationships: tuple[str, ...] = ("MANAGES", "RELATES_TO")


@dataclass(frozen=True)
class SupplierDependency:
    """A product and a material that rest on one supplier.

    ``supplier`` is the only party that SUPPLIES ``product`` and the only one that SUPPLIES the
    material Document ``material``, which ``step`` USES. Every other product and material has
    at least two suppliers. Found by counting distinct suppliers per Product/Document and
    keeping those with exactly one.
    """

    supplier: str = "sup-000001"
    supplier_name: str = "Voltaic Cells GmbH"
    product: str = "prod-0005"
    product_name: str = "Voltaic Home Battery"
    material: str = "doc-mat-cells"
    step: str = "step-cr-maintenance"


@dataclass(frozen=True)
class AtRiskCustomer:
    """A customer drifting away: fewer touches, open complaints, low scores.

    ``customer`` had ``monthly_interactions[month]`` interactions per month (falling to none in
    the last three months of the period), raised ``open_complaints`` complaint Cases that are
    still ``open`` or ``in_progress``, and gave survey Responses with the scores in
    ``survey_scores``. Found by a churn-risk query comparing recent to earlier interaction
    counts, open complaint cases and average response score.
    """

    customer: str = "cust-000002"
    customer_name: str = "Meridian Retail Group"
    last_interaction_month: str = "2026-07"
    open_complaints: int = 3
    survey_scores: tuple[int, ...] = (2, 3, 1)
    #: interactions per month; months not listed have none
    monthly_interactions: tuple[tuple[str, int], ...] = (
        ("2025-01", 6), ("2025-02", 6), ("2025-03", 5), ("2025-04", 6), ("2025-05", 5),
        ("2025-06", 5), ("2025-07", 6), ("2025-08", 5), ("2025-09", 5), ("2025-10", 4),
        ("2025-11", 5), ("2025-12", 4), ("2026-01", 4), ("2026-02", 3), ("2026-03", 3),
        ("2026-04", 2), ("2026-05", 2), ("2026-06", 1), ("2026-07", 1))


@dataclass(frozen=True)
class CustomerNeeds:
    """Customer needs for R&D: ``need`` Feedback concentrated on one product in one segment.

    At least ``min_feedback`` Feedback of kind ``need`` are ABOUT ``product`` and come (FROM an
    Interaction, Case or Response) from customers of ``segment``; no other (product, segment)
    pair has half as many. The planted customers are :attr:`customers`. Found by grouping need
    feedback by product and the segment of the party behind its source.
    """

    product: str = "prod-0008"
    product_name: str = "Nimbus Field Service App"
    segment: str = "smb"
    min_feedback: int = 24
    customers: tuple[str, ...] = tuple(f"cust-{i:06d}" for i in range(10, 18))


@dataclass(frozen=True)
class TopLifetimeValue:
    """The customer with the largest purchase total (sum of ``amount`` on purchase interactions).

    ``total`` is exact; the next customer is far behind. Found by
    ``MATCH (c:Customer)-[:HAD]->(i:Interaction {kind: "purchase"}) RETURN c, sum(i.amount)``.
    """

    customer: str = "cust-000003"
    customer_name: str = "Atlas Manufacturing AG"
    purchases: int = 30
    total: float = 4_650_000.0


@dataclass(frozen=True)
class RelationshipInvestment:
    """What the CRO invested in the top customer's relationship in 2026: a hospitality event
    and a gift (``Investment`` nodes INVESTED_IN the customer, MADE_BY the CRO). The
    relationship-return query over 2026 counts exactly ``spend_2026`` as its ``spend``."""

    customer: str = "cust-000003"
    employee: str = "emp-0001"
    investments: tuple[tuple[str, str, float, str], ...] = (
        ("inv-0001", "event", 12_000.0, "2026-03-10T18:00:00"),
        ("inv-0002", "gift", 800.0, "2026-06-01T10:00:00"))
    spend_2026: float = 12_800.0


@dataclass(frozen=True)
class ChiefRelationshipOfficer:
    """The CRO: ``role = "CRO"``, owns (RESPONSIBLE_FOR) every Map of the library."""

    employee: str = "emp-0001"
    name: str = "Elena Marquez"
    role: str = "CRO"
    department: str = "dept-cro"


@dataclass(frozen=True)
class GatewayProcess:
    """A process with a gateway and two labelled branches.

    In ``process``, the gateway Step ``gateway`` (kind ``gateway``) has two NEXT flows:
    ``label = "yes"`` to ``yes_step`` and ``label = "no"`` to ``no_step``. Its steps, in order,
    are :attr:`steps`. Found by ``MATCH (g:Step {kind: "gateway"})-[n:NEXT]->(s)``.
    """

    process: str = "proc-customer"
    process_name: str = "Customer relationship"
    gateway: str = "step-cr-decide"
    yes_step: str = "step-cr-purchase"
    no_step: str = "step-cr-lost"
    steps: tuple[str, ...] = (
        "step-cr-start", "step-cr-consultation", "step-cr-decide", "step-cr-purchase",
        "step-cr-service", "step-cr-support", "step-cr-maintenance", "step-cr-end",
        "step-cr-lost")


@dataclass(frozen=True)
class ServiceTargets:
    """Customer service (docs/service.md): ``customer`` (tier 2) raised three service cases
    about ``product``, each ASSIGNED_TO the service department: ``breached`` are still open
    past their tier's targets at the end of the period (the first, severity 1, never
    responded to), ``solved`` was resolved in time and ``article`` SOLVES it. The top
    customer is COVERED_BY its own agreement ``own_agreement``. A case opened about
    ``product`` with "no power" in its summary is offered ``article`` first. Found by
    service-targets, the breached-service-target watch rule and `erm case suggest`."""

    customer: str = "cust-000006"
    product: str = "prod-0001"
    breached: tuple[str, ...] = ("case-svc-001", "case-svc-002")
    solved: str = "case-svc-003"
    article: str = "kb-0001"
    article_title: str = "Smart meter has no power"
    own_agreement: str = "sla-premium"


@dataclass(frozen=True)
class RepeatBuyers:
    """A cohort of web-shop customers whose buying follows a known customer-base model, so a
    forecast of their future can be checked against what they went on to do.

    ``customers`` Customers of segment ``segment`` (uids ``cust-c00001`` on) each make a first
    purchase in 2025, then buy again as the BG/NBD model has it (time in months): a customer
    buys at rate lambda ~ Gamma(shape ``r``, rate ``alpha``) while active, and after each
    repeat purchase stops for good with probability p ~ Beta(``a``, ``b``). Each purchase's
    amount follows the Gamma-Gamma model: the customer's nu ~ Gamma(shape ``spend_q``, rate
    ``spend_gamma``), each amount ~ Gamma(shape ``spend_p``, rate nu). Their purchases after
    ``cutoff`` are the hold-out: ``erm clv --calibrate`` fits on the history before it and
    compares. Each purchase is WITH a random sales employee, never the account owner alone.
    """

    segment: str = "online"
    customers: int = 120
    cutoff: str = "2026-03-01"
    r: float = 2.0
    alpha: float = 5.0
    a: float = 1.0
    b: float = 6.0
    spend_p: float = 6.0
    spend_q: float = 4.0
    spend_gamma: float = 300.0


@dataclass(frozen=True)
class Agenda:
    """Tasks and appointments, with an overdue list and one double booking.

    ``employee`` (a key account manager) is booked into both ``double_booked`` appointments,
    which overlap on ``day``; no other two demo appointments overlap. The ``overdue`` tasks
    are open and due before ``now`` (the demo's "now": its period's last evening), assigned to
    ``employee``. Found by the overdue-tasks query with ``now`` and by the calendar's conflicts
    (:mod:`erm_graph.query.agenda`).
    """

    employee: str = "emp-0008"
    employee_name: str = "Claire Fontaine"
    double_booked: tuple[str, str] = ("appt-000001", "appt-000002")
    day: str = "2026-10-29"
    overdue: tuple[str, ...] = ("task-000001", "task-000002", "task-000003")
    now: str = "2026-10-31T18:00:00"


KEY_PERSON = KeyPersonRisk()
COMPLAINT_SPIKE = ComplaintSpike()
UNOWNED = UnownedComponents()
WARM_PATH = WarmPath()
SUPPLIER_DEPENDENCY = SupplierDependency()
AT_RISK = AtRiskCustomer()
CUSTOMER_NEEDS = CustomerNeeds()
TOP_CUSTOMER = TopLifetimeValue()
INVESTMENT = RelationshipInvestment()
CRO = ChiefRelationshipOfficer()
GATEWAY = GatewayProcess()
SERVICE = ServiceTargets()
REPEAT_BUYERS = RepeatBuyers()
AGENDA = Agenda()

#: Every planted fact by name, for tests and the demo page.
FACTS: dict[str, object] = {
    "key_person": KEY_PERSON,
    "complaint_spike": COMPLAINT_SPIKE,
    "unowned": UNOWNED,
    "warm_path": WARM_PATH,
    "supplier_dependency": SUPPLIER_DEPENDENCY,
    "at_risk": AT_RISK,
    "customer_needs": CUSTOMER_NEEDS,
    "top_customer": TOP_CUSTOMER,
    "investment": INVESTMENT,
    "cro": CRO,
    "gateway": GATEWAY,
    "repeat_buyers": REPEAT_BUYERS,
    "agenda": AGENDA,
}
