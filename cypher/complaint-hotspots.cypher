// name: complaint-hotspots
// title: Complaint hotspots
// description: >-
//   Complaint interactions and complaint or warranty cases grouped by product, process step
//   and month over a period, largest piles first. A case counts at the step it is ABOUT;
//   an interaction at the step it happened AT_STEP.
// access: [rnd, marketing, cro]
// audience: [rnd, cro]
// read_only: true
// params:
//   since: {type: date, default: '2000-01-01', example: '2025-01-01', help: first day of the period}
//   until: {type: date, default: '2100-01-01', example: '2026-11-01', help: day after the period}
//   case_kinds: {type: 'list[string]', default: [complaint, warranty], help: case kinds counted}
//   limit: {type: integer, default: 50, min: 1}
// chart: {kind: heatmap, x: month, y: product, value: total, title: Complaints and cases by product and month}
OPTIONAL MATCH (i:Interaction {kind: 'complaint'})-[:ABOUT]->(p:Product)
WHERE i.at >= $since AND i.at < $until
WITH collect(CASE WHEN i IS NULL THEN NULL ELSE {n: i, p: p} END) AS complaints
WITH complaints,
     [(x:Case)-[:ABOUT]->(p:Product)
        WHERE x.kind IN $case_kinds AND x.opened_at >= $since AND x.opened_at < $until |
        {n: x, p: p}] AS cases
UNWIND [r IN complaints | {n: r.n, p: r.p, complaint: 1}] +
       [r IN cases | {n: r.n, p: r.p, complaint: 0}] AS r
WITH r.n AS n, r.p AS p, r.complaint AS complaint
WITH p, complaint,
     CASE complaint WHEN 1 THEN substring(n.at, 0, 7) ELSE substring(n.opened_at, 0, 7) END
       AS month,
     head([(n)-[:AT_STEP]->(at) WHERE complaint = 1 AND at:Step | [at.uid, at.name]] +
          [(n)-[:ABOUT]->(about) WHERE complaint = 0 AND about:Step |
            [about.uid, about.name]]) AS step
WITH p, step, month,
     toInteger(sum(complaint)) AS complaints, toInteger(count(*) - sum(complaint)) AS cases
RETURN p.uid AS product_uid,
       p.name AS product,
       step[0] AS step_uid,
       step[1] AS step,
       month,
       complaints,
       cases,
       complaints + cases AS total
ORDER BY total DESC, product_uid, step_uid, month
LIMIT $limit
