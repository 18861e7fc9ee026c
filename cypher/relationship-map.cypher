// name: relationship-map
// title: Relationship map of a process
// description: >-
//   One row per step of a process, in flow order: where the flow goes next (with branch
//   labels), the departments and people above it, the documents, materials, databases and
//   systems below it (used or produced), the outside parties around it, the owner of the
//   step and, for a step of a sub-process, the step it belongs to (parent); the process, its
//   owner and the maps that depict it repeat on every row. The app's map page is drawn from
//   these rows. For a partner it keeps to the partner's scope.
// access: [staff]
// audience: [officer, cro]
// read_only: true
// params:
//   uid: {type: string, required: true, example: proc-customer, help: the process's uid}
MATCH (proc:Process {uid: $uid})-[h:HAS_STEP]->(s:Step)
RETURN proc.uid AS process_uid,
       proc.name AS process,
       head([(proc)<-[:RESPONSIBLE_FOR]-(po:Employee) | po.name]) AS process_owner,
       [(m:Map)-[:DEPICTS]->(proc) WHERE $scope IS NULL OR m.uid IN $scope
        | {uid: m.uid, name: m.name}] AS maps,
       coalesce(h.order, s.order) AS order,
       s.uid AS step_uid,
       s.name AS step,
       s.kind AS kind,
       head([(s)-[:SUBPROCESS_OF]->(ps:Step) WHERE $scope IS NULL OR ps.uid IN $scope
             | ps.uid]) AS parent,
       [(s)-[n:NEXT]->(t:Step) WHERE $scope IS NULL OR t.uid IN $scope
        | {to: t.uid, label: n.label}] AS next,
       [(dept:Department)-[dr:PERFORMS]->(s) WHERE $scope IS NULL OR dept.uid IN $scope
        | {uid: dept.uid, name: dept.name, role: dr.role}] AS departments,
       [(e:Employee)-[er:PERFORMS]->(s) WHERE $scope IS NULL OR e.uid IN $scope
        | {uid: e.uid, name: e.name, role: er.role}] AS people,
       [(s)-[:USES]->(used:Document) WHERE $scope IS NULL OR used.uid IN $scope
        | {uid: used.uid, name: used.name, kind: used.kind, how: 'uses'}] +
       [(s)-[:PRODUCES]->(made:Document) WHERE $scope IS NULL OR made.uid IN $scope
        | {uid: made.uid, name: made.name, kind: made.kind, how: 'produces'}] AS documents,
       [(p:Party)-[r:PARTICIPATES_IN]->(s) WHERE $scope IS NULL OR p.uid IN $scope
        | {uid: p.uid, name: p.name, labels: labels(p), role: r.role}]
         AS parties,
       head([(s)<-[:RESPONSIBLE_FOR]-(so:Employee) | so.name]) AS owner
ORDER BY order, step_uid
