"""What a target-relationship plan is checked against: for each party, its account owner, its
last interaction overall and per channel, the departments that know it, its strongest KNOWS
and the products it holds (:mod:`erm_graph.strategy.targets` compares them with the plan).

The party's contacts count as the party (their interactions are its interactions); a
department knows a party when one of its members owns the account or met the party in an
interaction; a product is held when the party bought it (a purchase interaction about it) or
holds a contract about it.

Every pattern comprehension names its own variables: the embedded engine mixes up two that
reuse a name (docs/queries.md), and on a large library the statement then runs for minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from erm_graph import model
from erm_graph.store import GraphReader

#: the party properties a plan's segment may match on
SEGMENT_KEYS = ("segment", "industry", "country", "tier")

_FACTS = """
MATCH (p:Party) WHERE p.uid IN $uids
RETURN p.uid, p.name, [l IN labels(p) WHERE l <> 'Party'],
       [(p)<-[:MANAGES]-(o:Employee) | {uid: o.uid, name: o.name, role: o.role}],
       [(p)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i:Interaction) | [i.uid, i.at, i.channel, i.kind]],
       [(p)<-[:MANAGES]-(m:Employee)-[:MEMBER_OF]->(md:Department) | md.name] +
       [(p)<-[:WORKS_FOR*0..1]-()-[:HAD]->(:Interaction)-[:WITH]->(w:Employee)
          -[:MEMBER_OF]->(wd:Department) | wd.name],
       [(p)<-[k:KNOWS]-(:Employee) | k.strength],
       [(p)<-[:WORKS_FOR*0..1]-()-[:HAD]->(b:Interaction)-[:ABOUT]->(x:Product)
          WHERE b.kind = 'purchase' | x.uid] +
       [(p)-[:HOLDS]->(:Contract)-[:ABOUT]->(y:Product) | y.uid]
"""


@dataclass
class PartyFacts:
    uid: str
    name: str
    kinds: list[str]
    owners: list[dict[str, Any]]
    #: interaction uid -> (at, channel, kind), each interaction once
    interactions: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    departments: set[str] = field(default_factory=set)
    strength: float | None = None
    products: set[str] = field(default_factory=set)

    def last_contact(self, channel: str | None = None) -> str | None:
        times = [at for at, ch, _ in self.interactions.values() if channel in (None, ch)]
        return max(times) if times else None


def party_facts(store: GraphReader, uids: list[str]) -> dict[str, PartyFacts]:
    """The facts of the parties ``uids`` (those that exist), by uid."""
    found = {}
    for uid, name, kinds, owners, touches, departments, strengths, products in store.run(
            _FACTS, {"uids": uids}).rows:
        owners = list({o["uid"]: o for o in owners}.values())
        facts = PartyFacts(uid, name, sorted(kinds), owners,
                           {i: (str(at), ch, kind) for i, at, ch, kind in touches},
                           set(departments), max(strengths) if strengths else None,
                           set(products))
        found[uid] = facts
    return found


def segment_members(store: GraphReader, kind: str, match: dict[str, Any]) -> list[str]:
    """The uids of the parties of ``kind`` (a party label) whose properties equal ``match``
    (keys from :data:`SEGMENT_KEYS`; the caller checked both)."""
    if kind not in model.PARTY_KINDS and kind != "Party":
        raise ValueError(f"{kind!r} is not a kind of party")
    rows = store.run(f"MATCH (p:{kind}) RETURN p.uid, " + ", ".join(
        f"p.{key}" for key in SEGMENT_KEYS) + " ORDER BY p.uid").rows
    return [uid for uid, *values in rows
            if all(dict(zip(SEGMENT_KEYS, values, strict=True)).get(k) == v
                   for k, v in match.items())]


def parties_named(store: GraphReader, names: list[str]) -> dict[str, str]:
    """lower-cased name -> uid of the parties with one of ``names`` (case-insensitive)."""
    rows = store.run("MATCH (p:Party) WHERE toLower(p.name) IN $names RETURN p.name, p.uid",
                     {"names": [n.lower() for n in names]}).rows
    return {str(name).lower(): uid for name, uid in rows}
