// name: journey-documents
// title: Documents along a party's journey
// description: >-
//   The documents, materials, databases and systems along one party's journey: every step it
//   takes part in or had an interaction at, in process order, with what the step uses or
//   produces and who owns each document.
// access: [officer, rnd, cro]
// audience: [officer]
// read_only: true
// params:
//   uid: {type: string, required: true, example: cust-000002, help: the party's uid}
//   kind:
//     type: string
//     choices: [document, material, database, system]
//     help: only documents of this kind (all kinds when absent)
MATCH (c:Party {uid: $uid})
WITH c, [(c)-[:PARTICIPATES_IN]->(s) WHERE s:Step | s] +
        [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i)-[:AT_STEP]->(at)
           WHERE i:Interaction AND at:Step | at] AS steps
UNWIND steps AS s
WITH DISTINCT s
MATCH (s)-[r:USES|PRODUCES]->(d:Document)
WHERE $kind IS NULL OR d.kind = $kind
RETURN head([(proc:Process)-[:HAS_STEP]->(s) | proc.name]) AS process,
       s.order AS order,
       s.name AS step,
       toLower(type(r)) AS how,
       d.uid AS uid,
       d.name AS document,
       d.kind AS kind,
       head([(d)<-[:RESPONSIBLE_FOR]-(o:Employee) | o.name]) AS owner
ORDER BY process, order, step, how, document
