// name: customer-360
// title: Customer 360
// description: >-
//   Everything we know about one party on one row: its account owners, contacts, interactions
//   by kind (count and last time), open cases, the products it bought or asked about, its
//   feedback by kind, and the process steps it takes part in.
// roles: [relationship officer, account manager, analyst]
// read_only: true
// params:
//   uid: {type: string, required: true, example: cust-000001, help: the party's uid}
MATCH (c:Party {uid: $uid})
OPTIONAL MATCH (c)<-[:WORKS_FOR*0..1]-(who)-[:HAD]->(i:Interaction)
WITH c, i.kind AS kind, count(i) AS n, max(i.at) AS last
WITH c, toInteger(sum(n)) AS interaction_count,
     collect(CASE WHEN kind IS NULL THEN NULL ELSE {kind: kind, count: n, last: last} END)
       AS interactions
RETURN c.uid AS uid,
       c.name AS name,
       [l IN labels(c) WHERE l <> 'Party'] AS kinds,
       c.segment AS segment,
       c.industry AS industry,
       c.tier AS tier,
       [(c)<-[:MANAGES]-(e:Employee) | {uid: e.uid, name: e.name}] AS account_owners,
       [(c)<-[:WORKS_FOR]-(k:Contact) | {uid: k.uid, name: k.name, title: k.title}] AS contacts,
       interaction_count,
       interactions,
       [(c)<-[:WORKS_FOR*0..1]-()-[:RAISED]->(x:Case)
          WHERE x.status IN ['open', 'in_progress'] |
          {uid: x.uid, kind: x.kind, status: x.status, severity: x.severity,
           opened_at: x.opened_at}] AS open_cases,
       reduce(acc = [], x IN
         [(c)-[:HOLDS]->()-[:ABOUT]->(p:Product) | p.name] +
         [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(:Interaction {kind: 'purchase'})-[:ABOUT]->
            (p:Product) | p.name]
         | CASE WHEN x IN acc THEN acc ELSE acc + x END) AS products,
       [k IN ['need', 'defect', 'idea', 'praise'] |
          {kind: k, count: size([(c)<-[:WORKS_FOR*0..1]-()-[:HAD|RAISED|GAVE]->()<-[:FROM]-
            (f:Feedback {kind: k}) | f])}] AS feedback,
       [(c)-[:PARTICIPATES_IN]->(s:Step) | s.name] AS steps
