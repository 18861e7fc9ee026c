"""Who is who in the random bulk: uids by index, account owners, staff pools, contacts.

Everything here is a pure function of the :class:`~erm_graph.demo.sizes.Plan`, so a part can
point at a party, contact or employee written by an earlier part without keeping it in memory.
Random parties are numbered after the reserved (planted) ones, which the bulk never touches.
"""

from __future__ import annotations

from functools import cached_property

from erm_graph.demo import library
from erm_graph.demo.sizes import Plan

#: Planted parties per kind (cust-000001..cust-000020, sup-000001, ...), see facts.py.
RESERVED = {"Customer": 20, "Supplier": 1, "Partner": 1, "Financier": 1, "Government": 1}
PREFIX = {"Customer": "cust", "Supplier": "sup", "Partner": "part", "Financier": "fin",
          "Government": "gov"}
OTHER_KINDS = ("Supplier", "Partner", "Financier", "Government")
#: Planted contacts cont-000001..cont-000005.
RESERVED_CONTACTS = 5
#: The department that owns the accounts of each party kind.
ACCOUNT_DEPARTMENT = {"Customer": "dept-sales", "Supplier": "dept-procurement",
                      "Partner": "dept-partners", "Financier": "dept-finance",
                      "Government": "dept-compliance"}


def party_uid(kind: str, k: int) -> str:
    """The uid of random party number ``k`` (from 0) of ``kind``."""
    return f"{PREFIX[kind]}-{RESERVED[kind] + 1 + k:06d}"


def contact_uid(k: int) -> str:
    return f"cont-{RESERVED_CONTACTS + 1 + k:06d}"


class Roster:
    """Index arithmetic over one plan's random parties, contacts and staff."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.counts = {"Customer": plan.customers, "Supplier": plan.suppliers,
                       "Partner": plan.partners, "Financier": plan.financiers,
                       "Government": plan.governments}
        # contacts: the first share work for customers (contact k for customer k), the rest
        # for the other parties in turn
        self.customer_contacts = min(plan.contacts, round(plan.contacts * 0.8))
        self.other_contacts = plan.contacts - self.customer_contacts
        staff: dict[str, list[str]] = {}
        for uid, _, _, _, dept in library.NAMED_STAFF:
            staff.setdefault(dept, []).append(uid)
        for i in range(library.NAMED_COUNT + 1, plan.employees + 1):
            staff.setdefault(library.staff_department(i)[0], []).append(library.employee_uid(i))
        self.staff = staff
        # the key-person and warm-path employees keep their planted accounts only
        keep_out = {"emp-0007", "emp-0012"}
        self.account_owners = {
            kind: [e for e in staff[dept] if e not in keep_out]
            for kind, dept in ACCOUNT_DEPARTMENT.items()}

    @cached_property
    def uids(self) -> dict[str, list[str]]:
        """Per kind, the uids of its random parties by number: made once, as the bulk names
        them millions of times (one string each, not one per mention)."""
        return {kind: [party_uid(kind, k) for k in range(n)] for kind, n in self.counts.items()}

    @cached_property
    def contacts(self) -> list[str]:
        """The uids of the random contacts by number."""
        return [contact_uid(k) for k in range(self.plan.contacts)]

    def other_party(self, k: int) -> tuple[str, str]:
        """(kind, uid) of random non-customer party number ``k``."""
        for kind in OTHER_KINDS:
            if k < self.counts[kind]:
                return kind, self.uids[kind][k]
            k -= self.counts[kind]
        raise IndexError(k)

    def contact_party(self, k: int) -> tuple[str, str]:
        """(kind, uid) of the party random contact ``k`` works for."""
        if k < self.customer_contacts:
            return "Customer", self.uids["Customer"][k % self.plan.customers]
        return self.other_party((k - self.customer_contacts) % self.plan.other_parties)

    def contact_of_customer(self, k: int) -> str | None:
        """A contact of random customer ``k``, if it has one."""
        return self.contacts[k] if k < self.customer_contacts else None

    def contact_of_other(self, k: int) -> str | None:
        """A contact of random non-customer party ``k``, if it has one."""
        return self.contacts[self.customer_contacts + k] if k < self.other_contacts else None

    def account_owner(self, kind: str, k: int) -> str:
        owners = self.account_owners[kind]
        return owners[k % len(owners)]
