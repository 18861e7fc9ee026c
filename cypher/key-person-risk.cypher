// name: key-person-risk
// title: Key-person risk
// description: >-
//   Parties that only one of our employees relates to (as account owner, in interactions with
//   the party or its contacts, or on its cases): if that person leaves, the relationship goes
//   with them. Largest exposure first (interactions, then purchase revenue).
// access: [officer, cro]
// audience: [cro, officer]
// read_only: true
// params:
//   kind:
//     type: string
//     choices: [Customer, Supplier, Partner, Financier, Government]
//     help: only parties of this kind (all parties when absent)
//   min_interactions: {type: integer, default: 1, min: 0, help: ignore parties with fewer interactions}
//   limit: {type: integer, default: 100, min: 1}
// chart: {kind: bar, x: name, y: [interactions], formats: {revenue: money}}
MATCH (p:Party)
WHERE $kind IS NULL OR $kind IN labels(p)
WITH p, [(p)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i) WHERE i:Interaction | i] AS interactions
WHERE size(interactions) >= $min_interactions
WITH p, interactions,
     [(p)<-[:MANAGES]-(e) WHERE e:Employee | e.uid] +
     [(p)<-[:WORKS_FOR*0..1]-()-[:HAD]->(had)-[:WITH]->(met)
        WHERE had:Interaction AND met:Employee | met.uid] +
     [(p)<-[:WORKS_FOR*0..1]-()-[:RAISED]->(x)-[:ASSIGNED_TO]->(handler)
        WHERE x:Case AND handler:Employee | handler.uid] AS touches
WITH p, interactions, reduce(acc = [], u IN touches |
       CASE WHEN u IS NULL OR u IN acc THEN acc ELSE acc + u END) AS people
WHERE size(people) = 1
MATCH (e:Employee {uid: people[0]})
RETURN p.uid AS uid,
       p.name AS name,
       [l IN labels(p) WHERE l <> 'Party'] AS kinds,
       e.uid AS employee_uid,
       e.name AS employee,
       size(interactions) AS interactions,
       reduce(total = 0.0, i IN interactions |
         total + CASE WHEN i.kind = 'purchase' THEN coalesce(i.amount, 0.0) ELSE 0.0 END)
         AS revenue
ORDER BY interactions DESC, revenue DESC, uid
LIMIT $limit
