// name: cross-sell
// title: Cross-sell suggestions
// description: >-
//   Products a customer has neither bought nor contracted that its most similar customers
//   (by the Jaccard overlap of bought products, as in similar-customers) did buy. Each
//   suggestion's score is the summed similarity of the peers who bought it.
// access: [officer, sales, marketing]
// audience: [sales]
// read_only: true
// params:
//   uid: {type: string, required: true, example: cust-000003, help: the customer's uid}
//   peers: {type: integer, default: 25, min: 1, help: how many similar customers to ask}
//   limit: {type: integer, default: 5, min: 1}
// chart: {kind: bar, x: product, y: [score]}
MATCH (c:Party {uid: $uid})
WITH c, reduce(acc = [], x IN
       [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i)-[:ABOUT]->(p)
          WHERE i:Interaction AND i.kind = 'purchase'
            AND p:Product | p.uid] | CASE WHEN x IN acc THEN acc ELSE acc + x END) AS mine
WITH c, mine, mine + [(c)-[:HOLDS]->(k)-[:ABOUT]->(held) WHERE k:Contract AND held:Product |
                       held.uid]
       AS owned
UNWIND mine AS product
MATCH (:Product {uid: product})<-[:ABOUT]-(:Interaction {kind: 'purchase'})<-[:HAD]-()
      -[:WORKS_FOR*0..1]->(o:Customer)
WHERE o <> c
WITH c, mine, owned, o, collect(DISTINCT product) AS shared
WITH c, mine, owned, o, shared, reduce(acc = [], x IN
       [(o)<-[:WORKS_FOR*0..1]-()-[:HAD]->(their)-[:ABOUT]->(tp)
          WHERE their:Interaction AND their.kind = 'purchase'
            AND tp:Product | tp.uid] | CASE WHEN x IN acc THEN acc ELSE acc + x END) AS theirs
WITH owned, o, theirs,
     toFloat(size(shared)) / (size(mine) + size(theirs) - size(shared)) AS similarity
ORDER BY similarity DESC, o.uid
LIMIT $peers
UNWIND theirs AS product
WITH owned, product, similarity, o
WHERE NOT product IN owned
MATCH (p:Product {uid: product})
RETURN p.uid AS product_uid,
       p.name AS product,
       p.kind AS domain,
       count(o) AS peers_who_bought,
       round(sum(similarity) * 1000) / 1000.0 AS score
ORDER BY score DESC, product_uid
LIMIT $limit
