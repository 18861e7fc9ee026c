// name: unowned-components
// title: Components without an owner
// description: >-
//   Relationship maps, processes, steps, documents and departments that no employee is
//   RESPONSIBLE_FOR. Every component of the library should have exactly one owner; the CRO
//   assigns one to each row found here (`erm owner set`, or the map's detail panel). Steps
//   show the process they belong to. `erm owner check` lists these with the components that
//   have more than one owner or an owner who has left. `owner` keeps the components of the
//   processes one employee works in (steps they or their department perform, or a party they
//   manage takes part in): the ones a relationship officer can take ownership of (a dashboard
//   tile's `$me`).
// access: [officer, cro]
// audience: [officer, cro]
// read_only: true
// params:
//   owner: {type: string, help: only the components of the processes this employee works in}
OPTIONAL MATCH (me:Employee {uid: $owner})
WITH [(me)-[:PERFORMS]->(:Step)<-[:HAS_STEP]-(p1:Process) | p1.uid] +
     [(me)-[:MEMBER_OF]->(:Department)-[:PERFORMS]->(:Step)<-[:HAS_STEP]-(p2:Process) | p2.uid] +
     [(me)-[:MANAGES]->(:Party)-[:PARTICIPATES_IN]->(:Step)<-[:HAS_STEP]-(p3:Process) | p3.uid]
       AS mine
OPTIONAL MATCH (m:Map) WHERE NOT (m)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH mine, collect(m) AS maps
OPTIONAL MATCH (p:Process) WHERE NOT (p)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH mine, maps, collect(p) AS processes
OPTIONAL MATCH (s:Step) WHERE NOT (s)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH mine, maps, processes, collect(s) AS steps
OPTIONAL MATCH (d:Document) WHERE NOT (d)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH mine, maps, processes, steps, collect(d) AS documents
OPTIONAL MATCH (u:Department) WHERE NOT (u)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH mine, maps, processes, steps, documents, collect(u) AS departments
UNWIND maps + processes + steps + documents + departments AS n
WITH mine, n,
     head([l IN labels(n) WHERE l IN ['Map', 'Process', 'Step', 'Document', 'Department']])
       AS label
WITH n, label,
     CASE WHEN label = 'Process' THEN [n.uid] ELSE [] END +
     [(ps:Process)-[:HAS_STEP]->(n) | ps.uid] +
     [(n)-[:DEPICTS]->(pm:Process) | pm.uid] +
     [(pd:Process)-[:HAS_STEP]->(:Step)-[:USES|PRODUCES]->(n) | pd.uid] +
     [(n)-[:PERFORMS]->(:Step)<-[:HAS_STEP]-(pu:Process) | pu.uid] AS its_processes, mine
WHERE $owner IS NULL OR any(x IN its_processes WHERE x IN mine)
RETURN label,
       n.uid AS uid,
       n.name AS name,
       head([(p:Process)-[:HAS_STEP]->(n) | p.name] +
            [(user:Process)-[:HAS_STEP]->(:Step)-[:USES|PRODUCES]->(n) | user.name]) AS process
ORDER BY label, uid
