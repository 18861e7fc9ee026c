// name: similar-customers
// title: Similar customers
// description: >-
//   Customers most like one customer: the Jaccard overlap of the products they bought
//   (purchase interactions of the party and its contacts), plus 0.1 each for the same segment
//   and the same industry.
// access: [officer, sales, marketing]
// audience: [sales, marketing]
// read_only: true
// params:
//   uid: {type: string, required: true, example: cust-000003, help: the customer's uid}
//   limit: {type: integer, default: 10, min: 1}
// chart: {kind: bar, x: name, y: [score]}
MATCH (c:Party {uid: $uid})
WITH c, reduce(acc = [], x IN
       [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i)-[:ABOUT]->(p)
          WHERE i:Interaction AND i.kind = 'purchase'
            AND p:Product | p.uid] | CASE WHEN x IN acc THEN acc ELSE acc + x END) AS mine
UNWIND mine AS product
MATCH (:Product {uid: product})<-[:ABOUT]-(:Interaction {kind: 'purchase'})<-[:HAD]-()
      -[:WORKS_FOR*0..1]->(o:Customer)
WHERE o <> c
WITH c, mine, o, collect(DISTINCT product) AS shared
WITH c, mine, o, shared, reduce(acc = [], x IN
       [(o)<-[:WORKS_FOR*0..1]-()-[:HAD]->(their)-[:ABOUT]->(tp)
          WHERE their:Interaction AND their.kind = 'purchase'
            AND tp:Product | tp.uid] | CASE WHEN x IN acc THEN acc ELSE acc + x END) AS theirs
WITH c, o, shared,
     toFloat(size(shared)) / (size(mine) + size(theirs) - size(shared)) AS jaccard
RETURN o.uid AS uid,
       o.name AS name,
       o.segment AS segment,
       o.industry AS industry,
       shared AS shared_products,
       round(jaccard * 1000) / 1000.0 AS jaccard,
       round((jaccard + CASE WHEN o.segment = c.segment THEN 0.1 ELSE 0.0 END +
              CASE WHEN o.industry = c.industry THEN 0.1 ELSE 0.0 END) * 1000) / 1000.0
         AS score
ORDER BY score DESC, uid
LIMIT $limit
