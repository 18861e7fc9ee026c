// name: lifetime-value
// title: Customer lifetime value
// description: >-
//   Customers ranked by lifetime value, with its components so the figure explains itself:
//   purchase revenue (the party's and its contacts' purchase interactions), the value of its
//   contracts, the amounts of its won opportunities, open pipeline (opportunities not yet won
//   or lost, not counted in the value), purchases, first and last purchase, and months active.
//   value = purchase revenue + contract value + won opportunities. Each record counts once,
//   as what it is: a deal kept both as a won opportunity and as its contract counts twice, so
//   record a sale in one of them (a CRM export's closed deals are won opportunities).
// access: [sales, marketing, cro]
// audience: [sales, cro]
// read_only: true
// params:
//   segment: {type: string, help: only customers of this segment (all when absent)}
//   limit: {type: integer, default: 25, min: 1}
//   uid: {type: string, help: only this customer (the account page's value)}
// chart: {kind: bar, x: name, y: [purchase_revenue, contract_value, won_value], formats: {value: money, purchase_revenue: money, contract_value: money, won_value: money, open_pipeline: money}}
MATCH (c:Customer)
WHERE ($segment IS NULL OR c.segment = $segment) AND ($uid IS NULL OR c.uid = $uid)
WITH c, [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i)
          WHERE i:Interaction AND i.kind = 'purchase' | i] AS buys,
     [(c)-[:HOLDS]->(k) WHERE k:Contract | coalesce(k.value, 0.0)] AS contracts,
     [(c)-[:HOLDS]->(w) WHERE w:Opportunity AND w.stage = 'won' |
        coalesce(w.amount, 0.0)] AS won,
     [(c)-[:HOLDS]->(o) WHERE o:Opportunity AND NOT o.stage IN ['won', 'lost'] |
        coalesce(o.amount, 0.0)] AS pipeline
WITH c, buys, contracts, pipeline,
     reduce(s = 0.0, i IN buys | s + coalesce(i.amount, 0.0)) AS revenue,
     reduce(s = 0.0, v IN contracts | s + v) AS contract_value,
     reduce(s = 0.0, v IN won | s + v) AS won_value
WHERE revenue + contract_value + won_value > 0
WITH c, buys, revenue, contract_value, won_value, pipeline,
     reduce(s = [], i IN buys | CASE WHEN substring(i.at, 0, 7) IN s THEN s
                                   ELSE s + substring(i.at, 0, 7) END) AS months
RETURN c.uid AS uid,
       c.name AS name,
       c.segment AS segment,
       round((revenue + contract_value + won_value) * 100) / 100.0 AS value,
       round(revenue * 100) / 100.0 AS purchase_revenue,
       round(contract_value * 100) / 100.0 AS contract_value,
       round(won_value * 100) / 100.0 AS won_value,
       round(reduce(s = 0.0, v IN pipeline | s + v) * 100) / 100.0 AS open_pipeline,
       size(buys) AS purchases,
       reduce(m = NULL, i IN buys | CASE WHEN m IS NULL OR i.at < m THEN i.at ELSE m END)
         AS first_purchase,
       reduce(m = NULL, i IN buys | CASE WHEN m IS NULL OR i.at > m THEN i.at ELSE m END)
         AS last_purchase,
       size(months) AS active_months
ORDER BY value DESC, uid
LIMIT $limit
