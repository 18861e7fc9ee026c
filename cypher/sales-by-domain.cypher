// name: sales-by-domain
// title: Sales by domain
// description: >-
//   Revenue from purchase interactions by domain (product, service, advertising), product and
//   period. A purchase about several products is split evenly among them, so the rows add up
//   to the total revenue.
// access: [sales, marketing, cro]
// audience: [sales]
// read_only: true
// params:
//   period: {type: string, default: quarter, choices: [month, quarter, year]}
//   since: {type: date, default: '2000-01-01', example: '2025-01-01', help: first day of the period}
//   until: {type: date, default: '2100-01-01', help: day after the period}
// chart: {kind: line, x: period, y: [revenue], series: domain, formats: {revenue: money}, title: Revenue by domain}
MATCH (i:Interaction {kind: 'purchase'})
WHERE i.at >= $since AND i.at < $until AND i.amount IS NOT NULL
WITH i, [(i)-[:ABOUT]->(p:Product) | p] AS products
WHERE size(products) > 0
UNWIND products AS p
WITH p, i.amount / size(products) AS share, i,
     CASE $period
       WHEN 'month' THEN substring(i.at, 0, 7)
       WHEN 'year' THEN substring(i.at, 0, 4)
       ELSE substring(i.at, 0, 4) + '-Q' +
            toString((toInteger(substring(i.at, 5, 2)) + 2) / 3)
     END AS period
RETURN p.kind AS domain,
       p.uid AS product_uid,
       p.name AS product,
       period,
       round(sum(share) * 100) / 100.0 AS revenue,
       count(DISTINCT i) AS purchases
ORDER BY domain, product, period
