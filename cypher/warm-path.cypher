// name: warm-path
// title: Warm path to a party
// description: >-
//   The shortest chains from our employees to a target party for a warm introduction: an
//   employee who manages or KNOWS someone, then ties between parties (RELATES_TO, in either
//   direction) and contacts (WORKS_FOR), up to three ties long. Shortest first, then the
//   strongest (the product of KNOWS strengths; 1 for other ties). When nothing is found,
//   `erm analyze warm-path` searches wider through interactions too.
// access: [officer, sales, cro]
// audience: [officer, sales]
// read_only: true
// params:
//   target: {type: string, required: true, example: cust-000004, help: uid of the party to reach}
//   limit: {type: integer, default: 5, min: 1}
//   employee: {type: string, help: only chains from this employee's uid (the signed-in user)}
MATCH (t:Party {uid: $target})
MATCH p = (t)-[:RELATES_TO|WORKS_FOR*0..3]-(x)<-[:MANAGES|KNOWS]-(e:Employee)
WHERE $employee IS NULL OR e.uid = $employee
WITH e, p, length(p) AS hops,
     reduce(s = 1.0, r IN relationships(p) | s * coalesce(r.strength, 1.0)) AS strength
RETURN e.uid AS employee_uid,
       e.name AS employee,
       hops,
       round(strength * 1000) / 1000.0 AS strength,
       reverse([n IN nodes(p) | n.uid]) AS chain,
       reverse([n IN nodes(p) | n.name]) AS names,
       reverse([r IN relationships(p) | type(r)]) AS relationships
ORDER BY hops, strength DESC, employee_uid
LIMIT $limit
