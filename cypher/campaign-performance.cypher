// name: campaign-performance
// title: Campaign performance
// description: >-
//   What each campaign produced against what it cost: the responses (interactions it
//   GENERATED), the opportunities it GENERATED, how many of them were won and their revenue.
//   return_ratio = (won revenue - cost) / cost; none when the campaign cost nothing (or its
//   cost is not known), since a return on nothing spent is not a number.
// access: [marketing, sales, officer, cro]
// audience: [marketing]
// read_only: true
// params:
//   since: {type: date, default: '2000-01-01', example: '2026-01-01', help: campaigns starting on or after}
//   until: {type: date, default: '2100-01-01', help: campaigns starting before}
//   limit: {type: integer, default: 50, min: 1}
// chart: {kind: bar, x: campaign, y: [cost, won_revenue], formats: {cost: money, won_revenue: money}, title: Campaign cost and won revenue}
MATCH (c:Campaign)
WHERE coalesce(c.start, '2000-01-01') >= $since AND coalesce(c.start, '2000-01-01') < $until
WITH c,
     size([(c)-[:GENERATED]->(i:Interaction) | i]) AS responses,
     [(c)-[:GENERATED]->(o:Opportunity) | o] AS deals
WITH c, responses, size(deals) AS opportunities,
     [d IN deals WHERE d.stage = 'won'] AS won
WITH c, responses, opportunities, size(won) AS won_deals,
     reduce(total = 0.0, d IN won | total + coalesce(d.amount, 0.0)) AS revenue
RETURN c.uid AS uid,
       c.name AS campaign,
       c.channel AS channel,
       c.start AS start,
       responses,
       opportunities,
       won_deals,
       round(revenue * 100) / 100.0 AS won_revenue,
       c.cost AS cost,
       CASE WHEN coalesce(c.cost, 0.0) > 0
            THEN round((revenue - c.cost) / c.cost * 100) / 100.0
            ELSE null END AS return_ratio
ORDER BY won_revenue DESC, uid
LIMIT $limit
