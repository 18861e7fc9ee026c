// name: relationship-map
// title: Relationship map of a process
// description: >-
//   One row per step of a process, in flow order: where the flow goes next (with branch
//   labels), the departments and people above it, the documents, materials, databases and
//   systems below it (used or produced), the outside parties around it, and the owner of the
//   step; the process, its owner and the maps that depict it repeat on every row.
// roles: [relationship officer, process owner, CRO, analyst]
// read_only: true
// params:
//   uid: {type: string, required: true, example: proc-customer, help: the process's uid}
MATCH (proc:Process {uid: $uid})-[h:HAS_STEP]->(s:Step)
RETURN proc.name AS process,
       head([(proc)<-[:RESPONSIBLE_FOR]-(po:Employee) | po.name]) AS process_owner,
       [(m:Map)-[:DEPICTS]->(proc) | m.name] AS maps,
       coalesce(h.order, s.order) AS order,
       s.uid AS step_uid,
       s.name AS step,
       s.kind AS kind,
       [(s)-[n:NEXT]->(t:Step) | {to: t.uid, label: n.label}] AS next,
       [(dept:Department)-[:PERFORMS]->(s) | dept.name] AS departments,
       [(e:Employee)-[:PERFORMS]->(s) | e.name] AS people,
       [(s)-[:USES]->(used:Document) | {uid: used.uid, name: used.name, kind: used.kind,
                                        how: 'uses'}] +
       [(s)-[:PRODUCES]->(made:Document) | {uid: made.uid, name: made.name, kind: made.kind,
                                            how: 'produces'}] AS documents,
       [(p:Party)-[r:PARTICIPATES_IN]->(s) | {uid: p.uid, name: p.name, role: r.role}]
         AS parties,
       head([(s)<-[:RESPONSIBLE_FOR]-(so:Employee) | so.name]) AS owner
ORDER BY order, step_uid
