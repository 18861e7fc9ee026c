"""Customer service in the demo: service agreements for each customer tier (and one customer's
own), knowledge-base articles for the products and the service steps, and the planted
service cases (facts.SERVICE): open ones past their targets, and one resolved with the
article that solved it."""

from __future__ import annotations

from datetime import datetime, timedelta

from erm_graph.demo import facts
from erm_graph.ingest import GraphBatch

SVC = facts.SERVICE

# tier, severity (None: any), response hours, resolution hours
AGREEMENTS = (
    (1, 1, 1, 8), (1, 2, 2, 24), (1, None, 4, 72),
    (2, 1, 2, 24), (2, 2, 4, 48), (2, None, 8, 120),
    (3, 1, 4, 48), (3, 2, 8, 96), (3, None, 24, 240),
    (None, None, 24, 240),
)
# uid, title, keywords, the product or step it applies to, body
ARTICLES = (
    (SVC.article, SVC.article_title, ("no power", "blank display", "dead"),
     SVC.product, "Hold the reset button for ten seconds; if the display stays blank, check "
                  "the fuse in the meter cabinet and replace the meter if it is intact."),
    ("kb-0002", "Smart meter readings not transmitted", ("no readings", "offline", "sync"),
     "prod-0001", "Re-pair the meter with its gateway from the hub's app (Devices > Pair)."),
    ("kb-0003", "Gateway hub keeps dropping Wi-Fi", ("wifi", "disconnects", "offline"),
     "prod-0002", "Move the hub away from the heat pump's inverter or set a fixed 2.4 GHz "
                  "channel."),
    ("kb-0004", "Heat pump shows error E04", ("e04", "error", "no heat"),
     "prod-0004", "E04 is low water pressure: top up the heating circuit to 1.5 bar."),
    ("kb-0005", "Heat pump is noisy at night", ("noise", "loud", "vibration"),
     "prod-0004", "Switch on night mode and check the anti-vibration mounts."),
    ("kb-0006", "Solar kit yields less than expected", ("low yield", "output", "shade"),
     "prod-0006", "Compare the inverter's string currents; clean the panels or re-plan "
                  "shaded strings."),
    ("kb-0007", "EV charger does not start charging", ("not charging", "no power", "rfid"),
     "prod-0015", "Check that the RFID card is registered and the charger's breaker is on."),
    ("kb-0008", "Battery rack alarm: cell imbalance", ("alarm", "imbalance", "battery"),
     "prod-0014", "Run a balancing cycle from the rack's service menu; call support if it "
                  "returns."),
    ("kb-0009", "Booking a maintenance visit", ("appointment", "visit", "reschedule"),
     "step-cr-maintenance", "Offer the next free slot of the region's technician; confirm "
                            "by e-mail."),
    ("kb-0010", "Escalating a technical support case", ("escalate", "urgent", "critical"),
     "step-cr-support", "Severity 1 goes to the head of support at once; note what was "
                        "tried."),
)


def _at(end: datetime, hours: float) -> str:
    return (end - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S")


def build(source: str) -> GraphBatch:
    b = GraphBatch()
    for tier, severity, response, resolution in AGREEMENTS:
        uid = f"sla-{tier or 'any'}-{severity or 'any'}"
        name = (f"Tier {tier}" if tier else "Standard") + (
            f", severity {severity}" if severity else "")
        row = {"uid": uid, "name": name, "response_hours": float(response),
               "resolution_hours": float(resolution), "source": source}
        row |= {"tier": tier} if tier else {}
        row |= {"severity": severity} if severity else {}
        b.add_node("ServiceAgreement", row)
    b.add_node("ServiceAgreement", {"uid": SVC.own_agreement, "name": "Premium 24/7",
                                    "response_hours": 0.5, "resolution_hours": 4.0,
                                    "source": source})
    b.add_relationship("COVERED_BY", "Party", facts.TOP_CUSTOMER.customer, "ServiceAgreement",
                       SVC.own_agreement)
    end = datetime.fromisoformat(f"{facts.PERIOD_END}T17:00:00")
    for uid, title, keywords, about, body in ARTICLES:
        b.add_node("Article", {"uid": uid, "name": title, "title": title, "body": body,
                               "keywords": ", ".join(keywords), "by": "demo",
                               "source": source})
        b.add_relationship("APPLIES_TO", "Article", uid,
                           "Step" if about.startswith("step-") else "Product", about)
    # the planted cases: two open past their targets, one resolved in time by the article
    for uid, severity, opened, responded, closed, summary in (
            (SVC.breached[0], 1, _at(end, 30), None, None, "Meter dead, display blank"),
            (SVC.breached[1], 2, _at(end, 100), _at(end, 99), None,
             "Readings not sent since Monday"),
            (SVC.solved, 2, _at(end, 200), _at(end, 199), _at(end, 190),
             "No power on the smart meter")):
        row = {"uid": uid, "name": f"service {SVC.product}", "kind": "service",
               "status": "resolved" if closed else ("in_progress" if responded else "open"),
               "severity": severity, "opened_at": opened, "summary": summary,
               "escalated": False, "source": source}
        row |= {"responded_at": responded} if responded else {}
        row |= {"closed_at": closed, "resolution": "reset the meter"} if closed else {}
        b.add_node("Case", row)
        b.add_relationship("RAISED", "Party", SVC.customer, "Case", uid)
        b.add_relationship("ABOUT", "Case", uid, "Product", SVC.product)
        b.add_relationship("ASSIGNED_TO", "Case", uid, "Department", "dept-service")
    b.add_relationship("SOLVES", "Article", SVC.article, "Case", SVC.solved)
    return b
