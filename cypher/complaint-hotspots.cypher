// name: complaint-hotspots
// title: Complaint hotspots
// description: >-
//   Complaint interactions and complaint or warranty cases grouped by product, process step
//   and month over a period, largest piles first. A case counts at the step it is ABOUT;
//   an interaction at the step it happened AT_STEP.
// roles: [quality, product manager, CRO, analyst]
// read_only: true
// params:
//   since: {type: date, default: '2000-01-01', example: '2025-01-01', help: first day of the period}
//   until: {type: date, default: '2100-01-01', example: '2026-11-01', help: day after the period}
//   case_kinds: {type: 'list[string]', default: [complaint, warranty], help: case kinds counted}
//   limit: {type: integer, default: 50, min: 1}
OPTIONAL MATCH (i:Interaction {kind: 'complaint'})-[:ABOUT]->(p:Product)
WHERE i.at >= $since AND i.at < $until
WITH collect(CASE WHEN i IS NULL THEN NULL ELSE
       {product: [p.uid, p.name], step: head([(i)-[:AT_STEP]->(s:Step) | [s.uid, s.name]]),
        month: substring(i.at, 0, 7), complaint: 1} END) AS complaints
OPTIONAL MATCH (x:Case)-[:ABOUT]->(p:Product)
WHERE x.kind IN $case_kinds AND x.opened_at >= $since AND x.opened_at < $until
WITH complaints, collect(CASE WHEN x IS NULL THEN NULL ELSE
       {product: [p.uid, p.name], step: head([(x)-[:ABOUT]->(s:Step) | [s.uid, s.name]]),
        month: substring(x.opened_at, 0, 7), complaint: 0} END) AS cases
UNWIND complaints + cases AS r
WITH r.product AS product, r.step AS step, r.month AS month,
     toInteger(sum(r.complaint)) AS complaints, toInteger(count(*) - sum(r.complaint)) AS cases
RETURN product[0] AS product_uid,
       product[1] AS product,
       step[0] AS step_uid,
       step[1] AS step,
       month,
       complaints,
       cases,
       complaints + cases AS total
ORDER BY total DESC, product_uid, step_uid, month
LIMIT $limit
