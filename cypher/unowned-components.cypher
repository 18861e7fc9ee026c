// name: unowned-components
// title: Components without an owner
// description: >-
//   Relationship maps, processes, steps, documents and departments that no employee is
//   RESPONSIBLE_FOR. Every component of the library should have exactly one owner; the CRO
//   assigns one to each row found here. Steps show the process they belong to.
// roles: [CRO, process owner]
// read_only: true
OPTIONAL MATCH (m:Map) WHERE NOT (m)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH collect(m) AS maps
OPTIONAL MATCH (p:Process) WHERE NOT (p)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH maps, collect(p) AS processes
OPTIONAL MATCH (s:Step) WHERE NOT (s)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH maps, processes, collect(s) AS steps
OPTIONAL MATCH (d:Document) WHERE NOT (d)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH maps, processes, steps, collect(d) AS documents
OPTIONAL MATCH (u:Department) WHERE NOT (u)<-[:RESPONSIBLE_FOR]-(:Employee)
WITH maps, processes, steps, documents, collect(u) AS departments
UNWIND maps + processes + steps + documents + departments AS n
WITH n, head([l IN labels(n) WHERE l IN ['Map', 'Process', 'Step', 'Document', 'Department']])
       AS label
RETURN label,
       n.uid AS uid,
       n.name AS name,
       head([(p:Process)-[:HAS_STEP]->(n) | p.name] +
            [(user:Process)-[:HAS_STEP]->(:Step)-[:USES|PRODUCES]->(n) | user.name]) AS process
ORDER BY label, uid
