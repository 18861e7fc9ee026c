// name: customer-360
// title: Customer 360
// description: >-
//   Everything we know about one party on one row: its account owners, contacts, interactions
//   by kind (count and last time), open cases, the products it bought or asked about, its
//   feedback by kind, and the process steps it takes part in.
// access: [staff]
// audience: [officer, sales]
// read_only: true
// params:
//   uid: {type: string, required: true, example: cust-000001, help: the party's uid}
MATCH (c:Party {uid: $uid})
WITH c,
     [(c)-[:HAD]->(i) WHERE i:Interaction | i] +
     [(c)<-[:WORKS_FOR]-(:Contact)-[:HAD]->(ci) WHERE ci:Interaction | ci] AS touches,
     [(c)-[:HAD|RAISED|GAVE]->()<-[:FROM]-(f) WHERE f:Feedback | f.kind] +
     [(c)<-[:WORKS_FOR]-(:Contact)-[:HAD|RAISED|GAVE]->()<-[:FROM]-(cf) WHERE cf:Feedback |
        cf.kind] AS feedback_kinds
WITH c, touches, feedback_kinds,
     reduce(acc = [], i IN touches | CASE WHEN i.kind IN acc THEN acc ELSE acc + i.kind END)
       AS touch_kinds
RETURN c.uid AS uid,
       c.name AS name,
       [l IN labels(c) WHERE l <> 'Party'] AS kinds,
       c.segment AS segment,
       c.industry AS industry,
       c.tier AS tier,
       [(c)<-[:MANAGES]-(e:Employee) | {uid: e.uid, name: e.name}] AS account_owners,
       [(c)<-[:WORKS_FOR]-(k:Contact) | {uid: k.uid, name: k.name, title: k.title}] AS contacts,
       size(touches) AS interaction_count,
       [k IN touch_kinds | {kind: k, count: size([i IN touches WHERE i.kind = k]),
                            last: reduce(m = NULL, i IN touches |
                              CASE WHEN i.kind = k AND (m IS NULL OR i.at > m) THEN i.at
                                   ELSE m END)}] AS interactions,
       [(c)-[:RAISED]->(x) WHERE x:Case AND x.status IN ['open', 'in_progress'] |
          {uid: x.uid, kind: x.kind, status: x.status, severity: x.severity,
           opened_at: x.opened_at}] +
       [(c)<-[:WORKS_FOR]-(:Contact)-[:RAISED]->(cx)
          WHERE cx:Case AND cx.status IN ['open', 'in_progress'] |
          {uid: cx.uid, kind: cx.kind, status: cx.status, severity: cx.severity,
           opened_at: cx.opened_at}] AS open_cases,
       reduce(acc = [], x IN
         [(c)-[:HOLDS]->()-[:ABOUT]->(held) WHERE held:Product | held.name] +
         [(c)-[:HAD]->(buy)-[:ABOUT]->(bought)
            WHERE buy:Interaction AND buy.kind = 'purchase' AND bought:Product |
            bought.name] +
         [(c)<-[:WORKS_FOR]-(:Contact)-[:HAD]->(cbuy)-[:ABOUT]->(cbought)
            WHERE cbuy:Interaction AND cbuy.kind = 'purchase' AND cbought:Product |
            cbought.name]
         | CASE WHEN x IN acc THEN acc ELSE acc + x END) AS products,
       [k IN ['need', 'defect', 'idea', 'praise'] |
          {kind: k, count: size([x IN feedback_kinds WHERE x = k])}] AS feedback,
       [(c)-[:PARTICIPATES_IN]->(s) WHERE s:Step | s.name] AS steps
