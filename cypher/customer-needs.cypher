// name: customer-needs
// title: Customer needs for R&D
// description: >-
//   Feedback of the chosen kinds (need, idea, defect) by product and by the segment of the
//   party it came from (through the interaction, case or survey response it was taken FROM),
//   with how many distinct parties said it and a few of their words. Largest clusters first.
// access: [rnd, marketing]
// audience: [rnd]
// read_only: true
// params:
//   kinds: {type: 'list[string]', default: [need, idea, defect], help: feedback kinds}
//   since: {type: date, default: '2000-01-01', help: first day of the period}
//   until: {type: date, default: '2100-01-01', help: day after the period}
//   limit: {type: integer, default: 50, min: 1}
// chart: {kind: heatmap, x: segment, y: product, value: feedback, title: Feedback by product and segment}
MATCH (f:Feedback)-[:ABOUT]->(p:Product)
WHERE f.kind IN $kinds AND f.at >= $since AND f.at < $until
WITH f, p, head([(f)-[:FROM]->()<-[:HAD|RAISED|GAVE]-(x) WHERE x:Party | x] +
                [(f)-[:FROM]->()<-[:HAD|RAISED|GAVE]-(k)-[:WORKS_FOR]->(employer)
                   WHERE k:Contact AND employer:Party | employer]) AS party
WITH p, f.kind AS kind, party.segment AS segment, count(f) AS feedback,
     count(DISTINCT party) AS parties, collect(f.text) AS texts, avg(f.score) AS avg_score
RETURN p.uid AS product_uid,
       p.name AS product,
       p.kind AS domain,
       kind,
       segment,
       feedback,
       parties,
       avg_score,
       texts[0..3] AS examples
ORDER BY feedback DESC, product_uid, kind, segment
LIMIT $limit
