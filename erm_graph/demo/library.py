"""The fixed part of the demo enterprise: departments, staff, the process library, products.

This part is the same for every size except for the number of employees. It is written first,
so every later part may point at its departments, employees, steps, documents and products.
Ownership follows the relationship-map rule: the CRO owns every Map, every other component has
exactly one owner, except the planted gaps in :data:`~erm_graph.demo.facts.UNOWNED`.
"""

from __future__ import annotations

from random import Random

from erm_graph.demo import facts, names
from erm_graph.ingest import GraphBatch

# uid, name, parent, head
DEPARTMENTS = (
    ("dept-board", "Executive Board", None, "emp-0017"),
    ("dept-cro", "Office of the CRO", "dept-board", "emp-0001"),
    ("dept-sales", "Sales", "dept-cro", "emp-0002"),
    ("dept-service", "Field Service", "dept-cro", "emp-0016"),
    ("dept-support", "Technical Support", "dept-cro", "emp-0015"),
    ("dept-marketing", "Marketing", "dept-cro", "emp-0013"),
    ("dept-partners", "Partner Management", "dept-cro", "emp-0006"),
    ("dept-procurement", "Procurement", "dept-board", "emp-0003"),
    ("dept-finance", "Finance", "dept-board", "emp-0004"),
    ("dept-compliance", "Compliance", "dept-board", "emp-0005"),
    ("dept-rnd", "Research & Development", "dept-board", "emp-0014"),
)
#: department -> its head
HEADS = {dept: head for dept, _, _, head in DEPARTMENTS}

# uid, name, title, role, department: the named staff the planted facts rest on
NAMED_STAFF = (
    ("emp-0001", facts.CRO.name, "Chief Relationship Officer", "CRO", "dept-cro"),
    ("emp-0002", "Jakob Brenner", "Head of Sales", "head of department", "dept-sales"),
    ("emp-0003", "Mei Watanabe", "Head of Procurement", "head of department",
     "dept-procurement"),
    ("emp-0004", "Lukas Adeyemi", "Chief Financial Officer", "CFO", "dept-finance"),
    ("emp-0005", "Sofia Conti", "Head of Compliance", "head of department", "dept-compliance"),
    ("emp-0006", "Henrik Dahl", "Head of Partnerships", "head of department", "dept-partners"),
    (facts.KEY_PERSON.employee, facts.KEY_PERSON.employee_name, "Account Manager",
     "account manager", "dept-sales"),
    ("emp-0008", "Claire Fontaine", "Key Account Manager", "account manager", "dept-sales"),
    ("emp-0009", "Marek Novotny", "Account Manager", "account manager", "dept-sales"),
    ("emp-0010", "Aisha Bello", "Senior Support Engineer", "support engineer", "dept-support"),
    ("emp-0011", "Pieter de Vries", "Lead Service Technician", "service technician",
     "dept-service"),
    (facts.WARM_PATH.employee, facts.WARM_PATH.employee_name, "Partner Manager",
     "partner manager", "dept-partners"),
    ("emp-0013", "Oliver Grant", "Head of Marketing", "head of department", "dept-marketing"),
    ("emp-0014", "Yuki Hayashi", "Head of R&D", "head of department", "dept-rnd"),
    ("emp-0015", "Samir Khalil", "Head of Support", "head of department", "dept-support"),
    ("emp-0016", "Ingrid Solberg", "Head of Field Service", "head of department",
     "dept-service"),
    ("emp-0017", "Victor Hale", "Chief Executive Officer", "CEO", "dept-board"),
    ("emp-0018", "Nadia Petrenko", "Senior Buyer", "buyer", "dept-procurement"),
    ("emp-0019", "Tomasz Wrona", "Treasurer", "treasurer", "dept-finance"),
    ("emp-0020", "Lea Baumann", "Compliance Officer", "compliance officer", "dept-compliance"),
)
NAMED_COUNT = len(NAMED_STAFF)

# departments the rest of the staff work in, with their role and title
STAFF_DEPARTMENTS = (
    ("dept-sales", "account manager", "Account Manager"),
    ("dept-support", "support engineer", "Support Engineer"),
    ("dept-service", "service technician", "Service Technician"),
    ("dept-sales", "sales representative", "Sales Representative"),
    ("dept-support", "support engineer", "Support Engineer"),
    ("dept-marketing", "marketer", "Marketing Specialist"),
    ("dept-procurement", "buyer", "Buyer"),
    ("dept-finance", "accountant", "Accountant"),
    ("dept-compliance", "compliance officer", "Compliance Officer"),
    ("dept-partners", "partner manager", "Partner Manager"),
    ("dept-rnd", "engineer", "R&D Engineer"),
)

# uid, name, category, owner (None = planted gap), map uid
PROCESSES = (
    (facts.GATEWAY.process, facts.GATEWAY.process_name, "customer", "emp-0002", "map-customer"),
    ("proc-procurement", "Procurement", "procurement", "emp-0003", "map-procurement"),
    ("proc-partner", "Partner co-selling", "partner", None, "map-partner"),
    ("proc-financing", "Financing", "financing", "emp-0004", "map-financing"),
    ("proc-compliance", "Regulatory compliance", "compliance", "emp-0005", "map-compliance"),
)

# uid, name, kind, department (performs), owner (None = planted gap), uses, produces
STEPS = {
    "proc-customer": (
        ("step-cr-start", "Enquiry received", "start", None, "emp-0002", (), ()),
        ("step-cr-consultation", "Consultation", "task", "dept-sales", "emp-0002",
         ("doc-cr-crm", "doc-cr-catalogue"), ("doc-cr-quote",)),
        ("step-cr-decide", "Customer decides to buy?", "gateway", "dept-sales", "emp-0002",
         ("doc-cr-quote",), ()),
        ("step-cr-purchase", "Purchase", "task", "dept-sales", "emp-0008",
         ("doc-cr-quote", "doc-cr-crm"), ("doc-cr-order",)),
        ("step-cr-service", "Service delivery", "task", "dept-service", "emp-0016",
         ("doc-cr-order", "doc-cr-manual", "doc-mat-sensors"), ("doc-cr-service-report",)),
        ("step-cr-support", "Technical support", "task", "dept-support", "emp-0015",
         ("doc-cr-tickets", "doc-cr-manual"), ("doc-cr-tickets",)),
        ("step-cr-maintenance", "Maintenance", "task", "dept-service", "emp-0011",
         ("doc-mat-cells", "doc-mat-housings", "doc-cr-manual"), ("doc-cr-service-report",)),
        ("step-cr-end", "Customer retained", "end", None, "emp-0002", (), ()),
        ("step-cr-lost", "Opportunity lost", "end", None, "emp-0002", (), ("doc-cr-crm",)),
    ),
    "proc-procurement": (
        ("step-pr-start", "Demand raised", "start", None, "emp-0003", (), ()),
        ("step-pr-source", "Source suppliers", "task", "dept-procurement", "emp-0018",
         ("doc-pr-suppliers",), ("doc-pr-rfq",)),
        ("step-pr-order", "Place purchase order", "task", "dept-procurement", "emp-0018",
         ("doc-pr-erp", "doc-pr-rfq"), ("doc-pr-po",)),
        ("step-pr-receive", "Goods receipt", "task", "dept-procurement", "emp-0003",
         ("doc-pr-po", "doc-mat-cells", "doc-mat-sensors", "doc-mat-housings"),
         ("doc-pr-erp",)),
        ("step-pr-pay", "Pay supplier", "task", "dept-finance", "emp-0019",
         ("doc-fi-ledger",), ("doc-fi-ledger",)),
        ("step-pr-end", "Order closed", "end", None, "emp-0003", (), ()),
    ),
    "proc-partner": (
        ("step-ps-start", "Partner lead", "start", None, "emp-0006", (), ()),
        ("step-ps-register", "Deal registration", "task", "dept-partners", "emp-0012",
         ("doc-ps-portal",), ("doc-ps-deal",)),
        ("step-ps-pitch", "Joint pitch", "task", "dept-sales", "emp-0006",
         ("doc-ps-deal", "doc-cr-catalogue"), ("doc-cr-quote",)),
        ("step-ps-close", "Close and split revenue", "task", "dept-partners", "emp-0006",
         ("doc-ps-deal",), ("doc-fi-ledger",)),
        ("step-ps-end", "Deal closed", "end", None, "emp-0006", (), ()),
    ),
    "proc-financing": (
        ("step-fi-start", "Funding need", "start", None, "emp-0004", (), ()),
        ("step-fi-apply", "Credit application", "task", "dept-finance", "emp-0019",
         ("doc-fi-ledger",), ("doc-fi-loan",)),
        ("step-fi-drawdown", "Drawdown", "task", "dept-finance", "emp-0019",
         ("doc-fi-loan",), ("doc-fi-ledger",)),
        ("step-fi-covenant", "Covenant reporting", "task", "dept-finance", None,
         ("doc-fi-ledger",), ("doc-fi-covenant",)),
        ("step-fi-end", "Loan repaid", "end", None, "emp-0004", (), ()),
    ),
    "proc-compliance": (
        ("step-rc-start", "New regulation", "start", None, "emp-0005", (), ()),
        ("step-rc-assess", "Assess regulation", "task", "dept-compliance", "emp-0020",
         ("doc-rc-register",), ("doc-rc-register",)),
        ("step-rc-audit", "Internal audit", "subprocess", "dept-compliance", "emp-0005",
         ("doc-rc-audit-log",), ()),
        ("step-rc-audit-sample", "Sample records", "task", "dept-compliance", "emp-0020",
         ("doc-rc-audit-log", "doc-fi-ledger"), ()),
        ("step-rc-audit-review", "Review findings", "task", "dept-compliance", "emp-0005",
         (), ("doc-rc-audit-log",)),
        ("step-rc-report", "File regulatory report", "task", "dept-compliance", None,
         ("doc-rc-audit-log",), ("doc-rc-filing",)),
        ("step-rc-end", "Filed", "end", None, "emp-0005", (), ()),
    ),
}

# start, end, label: the flows between steps
FLOWS = (
    ("step-cr-start", "step-cr-consultation", None),
    ("step-cr-consultation", "step-cr-decide", None),
    (facts.GATEWAY.gateway, facts.GATEWAY.yes_step, "yes"),
    (facts.GATEWAY.gateway, facts.GATEWAY.no_step, "no"),
    ("step-cr-purchase", "step-cr-service", None),
    ("step-cr-service", "step-cr-support", None),
    ("step-cr-support", "step-cr-maintenance", None),
    ("step-cr-maintenance", "step-cr-end", None),
    ("step-pr-start", "step-pr-source", None),
    ("step-pr-source", "step-pr-order", None),
    ("step-pr-order", "step-pr-receive", None),
    ("step-pr-receive", "step-pr-pay", None),
    ("step-pr-pay", "step-pr-end", None),
    ("step-ps-start", "step-ps-register", None),
    ("step-ps-register", "step-ps-pitch", None),
    ("step-ps-pitch", "step-ps-close", None),
    ("step-ps-close", "step-ps-end", None),
    ("step-fi-start", "step-fi-apply", None),
    ("step-fi-apply", "step-fi-drawdown", None),
    ("step-fi-drawdown", "step-fi-covenant", None),
    ("step-fi-covenant", "step-fi-end", None),
    ("step-rc-start", "step-rc-assess", None),
    ("step-rc-assess", "step-rc-audit", None),
    ("step-rc-audit-sample", "step-rc-audit-review", None),
    ("step-rc-audit", "step-rc-report", None),
    ("step-rc-report", "step-rc-end", None),
)
SUBSTEPS = (("step-rc-audit-sample", "step-rc-audit"), ("step-rc-audit-review", "step-rc-audit"))

# uid, name, kind, owner (None = planted gap)
DOCUMENTS = (
    ("doc-cr-crm", "CRM", "system", "emp-0002"),
    ("doc-cr-catalogue", "Product catalogue", "document", "emp-0013"),
    ("doc-cr-quote", "Quote", "document", "emp-0008"),
    ("doc-cr-order", "Sales order", "document", "emp-0008"),
    ("doc-cr-manual", "Service manual", "document", "emp-0016"),
    ("doc-cr-service-report", "Service report", "document", "emp-0011"),
    ("doc-cr-tickets", "Ticket database", "database", "emp-0015"),
    (facts.SUPPLIER_DEPENDENCY.material, "Battery cells", "material", "emp-0003"),
    ("doc-mat-sensors", "Sensor modules", "material", "emp-0003"),
    ("doc-mat-housings", "Device housings", "material", "emp-0018"),
    ("doc-pr-erp", "ERP", "system", "emp-0003"),
    ("doc-pr-suppliers", "Supplier master data", "database", "emp-0018"),
    ("doc-pr-rfq", "Request for quotation", "document", "emp-0018"),
    ("doc-pr-po", "Purchase order", "document", "emp-0018"),
    ("doc-ps-portal", "Partner portal", "system", "emp-0012"),
    ("doc-ps-deal", "Deal registration", "document", "emp-0012"),
    ("doc-fi-ledger", "General ledger", "database", "emp-0019"),
    ("doc-fi-loan", "Loan agreement", "document", "emp-0004"),
    ("doc-fi-covenant", "Covenant report", "document", "emp-0019"),
    ("doc-rc-register", "Regulation register", "database", "emp-0020"),
    ("doc-rc-audit-log", "Audit log", "database", None),
    ("doc-rc-filing", "Regulatory filing", "document", "emp-0005"),
)
MATERIALS = tuple(uid for uid, _, kind, _ in DOCUMENTS if kind == "material")

# uid, name, kind, price
PRODUCTS = (
    ("prod-0001", "Aurora Smart Meter", "product", 189.0),
    ("prod-0002", "Aurora Gateway Hub", "product", 349.0),
    (facts.COMPLAINT_SPIKE.product, facts.COMPLAINT_SPIKE.product_name, "product", 249.0),
    ("prod-0004", "Solis Heat Pump", "product", 11900.0),
    (facts.SUPPLIER_DEPENDENCY.product, facts.SUPPLIER_DEPENDENCY.product_name, "product",
     7400.0),
    ("prod-0006", "Solis Solar Kit", "product", 9800.0),
    ("prod-0007", "Installation service", "service", 890.0),
    (facts.CUSTOMER_NEEDS.product, facts.CUSTOMER_NEEDS.product_name, "service", 45.0),
    ("prod-0009", "Maintenance plan Basic", "service", 240.0),
    ("prod-0010", "Maintenance plan Premium", "service", 690.0),
    ("prod-0011", "Energy consulting", "service", 1500.0),
    ("prod-0012", "Extended warranty", "service", 390.0),
    ("prod-0013", "Fleet monitoring platform", "service", 24000.0),
    ("prod-0014", "Industrial battery rack", "product", 21500.0),
    ("prod-0015", "EV wall charger", "product", 1190.0),
    ("prod-0016", "Sponsored listing", "advertising", 600.0),
    ("prod-0017", "Trade fair package", "advertising", 8500.0),
    ("prod-0018", "Co-branded newsletter", "advertising", 1200.0),
    ("prod-0019", "Spare parts kit", "product", 95.0),
    ("prod-0020", "Training workshop", "service", 2200.0),
)
PRODUCT_UIDS = tuple(p[0] for p in PRODUCTS)
PRICES = {p[0]: p[3] for p in PRODUCTS}

# uid, name, audience, sent_at
SURVEYS = (
    ("surv-0001", "Customer satisfaction 2025", "customer", "2025-06-02"),
    ("surv-0002", "Support experience", "customer", "2025-11-03"),
    ("surv-0003", "Customer satisfaction 2026", "customer", "2026-06-01"),
    ("surv-0004", "Employee engagement 2025", "employee", "2025-09-15"),
    ("surv-0005", "Employee engagement 2026", "employee", "2026-09-14"),
)
CUSTOMER_SURVEYS = tuple(s[0] for s in SURVEYS if s[2] == "customer")
EMPLOYEE_SURVEYS = tuple(s[0] for s in SURVEYS if s[2] == "employee")

#: the process each outside party kind takes part in, and the steps it takes part in
PARTY_STEPS = {
    "Customer": ("step-cr-consultation", "step-cr-purchase", "step-cr-service",
                 "step-cr-support", "step-cr-maintenance"),
    "Supplier": ("step-pr-source", "step-pr-order", "step-pr-receive", "step-pr-pay"),
    "Partner": ("step-ps-register", "step-ps-pitch", "step-ps-close"),
    "Financier": ("step-fi-apply", "step-fi-drawdown"),
    "Government": ("step-rc-assess", "step-rc-audit-review"),
}
STEP_NAMES = {s[0]: s[1] for steps in STEPS.values() for s in steps}
#: the steps each staff department performs
DEPARTMENT_STEPS = {
    dept: tuple(s[0] for steps in STEPS.values() for s in steps if s[3] == dept)
    for dept, _, _ in STAFF_DEPARTMENTS}


def employee_uid(i: int) -> str:
    return f"emp-{i:04d}"


def staff_department(i: int) -> tuple[str, str, str]:
    """(department, role, title) of employee number ``i`` (beyond the named staff)."""
    return STAFF_DEPARTMENTS[i % len(STAFF_DEPARTMENTS)]


def manager(uid: str, dept: str) -> str | None:
    """Whom an employee of ``dept`` reports to: its head, or for the head the head of the
    department above (the board's head reports to no one)."""
    if HEADS[dept] != uid:
        return HEADS[dept]
    parent = next(p for d, _, p, _ in DEPARTMENTS if d == dept)
    return HEADS[parent] if parent else None


def build(employees: int, source: str, rng: Random) -> GraphBatch:
    """The library part: departments, ``employees`` staff and their reporting lines,
    processes, maps, products, surveys."""
    b = GraphBatch()
    for uid, name, parent, head in DEPARTMENTS:
        b.add_node("Department", {"uid": uid, "name": name, "source": source})
        if parent:
            b.add_relationship("PART_OF", "Department", uid, "Department", parent)
        b.add_relationship("RESPONSIBLE_FOR", "Employee", head, "Department", uid)
    for uid, name, title, role, dept in NAMED_STAFF:
        b.add_node("Employee", {"uid": uid, "name": name, "title": title, "role": role,
                                "email": names.email(name, "erm-demo.example"),
                                "source": source})
        b.add_relationship("MEMBER_OF", "Employee", uid, "Department", dept)
        if boss := manager(uid, dept):
            b.add_relationship("REPORTS_TO", "Employee", uid, "Employee", boss)
    for i in range(NAMED_COUNT + 1, employees + 1):
        uid, name = employee_uid(i), names.person(rng)
        dept, role, title = staff_department(i)
        b.add_node("Employee", {"uid": uid, "name": name, "title": title, "role": role,
                                "email": names.email(f"{name} {i}", "erm-demo.example"),
                                "source": source})
        b.add_relationship("MEMBER_OF", "Employee", uid, "Department", dept)
        b.add_relationship("REPORTS_TO", "Employee", uid, "Employee", HEADS[dept])
        performs = DEPARTMENT_STEPS[dept]
        if performs:
            b.add_relationship("PERFORMS", "Employee", uid, "Step", performs[i % len(performs)],
                               role=role)
    for uid, name, kind, owner in DOCUMENTS:
        b.add_node("Document", {"uid": uid, "name": name, "kind": kind, "source": source})
        if owner:
            b.add_relationship("RESPONSIBLE_FOR", "Employee", owner, "Document", uid)
    for proc, name, category, owner, map_uid in PROCESSES:
        b.add_node("Process", {"uid": proc, "name": name, "category": category,
                               "source": source})
        b.add_node("Map", {"uid": map_uid, "name": f"Relationship map: {name}",
                           "source": source})
        b.add_relationship("DEPICTS", "Map", map_uid, "Process", proc)
        b.add_relationship("RESPONSIBLE_FOR", "Employee", facts.CRO.employee, "Map", map_uid)
        if owner:
            b.add_relationship("RESPONSIBLE_FOR", "Employee", owner, "Process", proc)
        for order, (uid, sname, kind, sdept, sowner, uses, produces) in enumerate(STEPS[proc]):
            b.add_node("Step", {"uid": uid, "name": sname, "kind": kind, "order": order,
                                "source": source})
            b.add_relationship("HAS_STEP", "Process", proc, "Step", uid, order=order)
            if sdept:
                b.add_relationship("PERFORMS", "Department", sdept, "Step", uid)
            if sowner:
                b.add_relationship("RESPONSIBLE_FOR", "Employee", sowner, "Step", uid)
                if kind not in ("start", "end"):
                    b.add_relationship("PERFORMS", "Employee", sowner, "Step", uid,
                                       role="lead")
            for doc in uses:
                b.add_relationship("USES", "Step", uid, "Document", doc)
            for doc in produces:
                b.add_relationship("PRODUCES", "Step", uid, "Document", doc)
    for start, end, label in FLOWS:
        props = {"label": label} if label else {}
        b.add_relationship("NEXT", "Step", start, "Step", end, **props)
    for child, parent in SUBSTEPS:
        b.add_relationship("SUBPROCESS_OF", "Step", child, "Step", parent)
    for uid, name, kind, price in PRODUCTS:
        b.add_node("Product", {"uid": uid, "name": name, "kind": kind, "price": price,
                               "source": source})
    for uid, name, audience, sent_at in SURVEYS:
        b.add_node("Survey", {"uid": uid, "name": name, "audience": audience,
                              "sent_at": sent_at, "source": source})
    return b
