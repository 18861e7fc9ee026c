// name: relationship-return
// title: Return on relationships
// description: >-
//   Relationships as assets: what was invested in each customer relationship over a period
//   against the value it returned, per customer, per account owner or per segment (`by`).
//   Invested = staff time (the interactions of the customer and its contacts, valued at
//   `hourly_rate` by channel: a visit or event `visit_hours`, a phone call or chat
//   `call_hours`, an email or web contact `email_hours`) + recorded investments
//   (Investment INVESTED_IN the customer or a contact: amount, plus hours at the rate) + its
//   share of campaigns that target it (the campaign's cost split evenly among its targets).
//   Value = purchases + contracts starting + opportunities won in the period.
//   return_ratio = value / invested (none when nothing was invested); net = value - invested.
// access: [sales, marketing, cro]
// audience: [cro, sales]
// read_only: true
// params:
//   since: {type: date, default: '2000-01-01', example: '2026-01-01', help: first day of the period}
//   until: {type: date, default: '2100-01-01', example: '2027-01-01', help: day after the period}
//   by: {type: string, default: party, choices: [party, owner, segment], help: 'one row per customer, account owner or segment'}
//   hourly_rate: {type: number, default: 60, min: 0, help: what an hour of staff time costs}
//   visit_hours: {type: number, default: 3, min: 0}
//   call_hours: {type: number, default: 0.5, min: 0}
//   email_hours: {type: number, default: 0.1, min: 0}
//   limit: {type: integer, default: 50, min: 1}
// chart: {kind: bar, x: name, y: [invested, value], formats: {invested: money, value: money, net: money, time_cost: money, spend: money, campaign_share: money}}
OPTIONAL MATCH (k:Campaign)
WHERE k.start >= $since AND k.start < $until
WITH [x IN collect({uid: k.uid, cost: coalesce(k.cost, 0.0),
                    targets: size([(k)-[:TARGETS]->(target) | target])})
      WHERE x.uid IS NOT NULL] AS campaigns
MATCH (c:Customer)
WITH c, campaigns,
     [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i)
        WHERE i:Interaction AND i.at >= $since AND i.at < $until |
        {uid: i.uid, channel: i.channel, kind: i.kind, amount: coalesce(i.amount, 0.0)}]
       AS touches,
     [(c)<-[:WORKS_FOR*0..1]-()<-[:INVESTED_IN]-(v)
        WHERE v:Investment AND v.at >= $since AND v.at < $until |
        {uid: v.uid, amount: coalesce(v.amount, 0.0), hours: coalesce(v.hours, 0.0)}]
       AS invested,
     [(c)<-[:TARGETS]-(aimed) WHERE aimed:Campaign | aimed.uid] AS targeted,
     [(c)-[:HOLDS]->(x) WHERE x:Contract AND x.start >= $since AND x.start < $until |
        coalesce(x.value, 0.0)] AS contracts,
     [(c)-[:HOLDS]->(w) WHERE w:Opportunity AND w.stage = 'won'
        AND w.close_date >= $since AND w.close_date < $until | coalesce(w.amount, 0.0)] AS won,
     head([(c)<-[:MANAGES]-(e) WHERE e:Employee | e.name]) AS owner
WITH c, owner, contracts, won,
     reduce(h = 0.0, x IN touches | h + CASE
       WHEN x.channel IN ['visit', 'event'] THEN $visit_hours
       WHEN x.channel IN ['phone', 'chat'] THEN $call_hours
       ELSE $email_hours END) AS hours,
     reduce(s = 0.0, x IN touches | s + CASE WHEN x.kind = 'purchase' THEN x.amount
                                          ELSE 0.0 END) AS purchases,
     reduce(s = 0.0, v IN invested | s + v.amount) AS spend,
     reduce(s = 0.0, v IN invested | s + v.hours) AS invested_hours,
     reduce(s = 0.0, k IN campaigns | s + CASE WHEN k.uid IN targeted AND k.targets > 0
                                             THEN k.cost / k.targets ELSE 0.0 END)
       AS campaign_share
WITH CASE $by WHEN 'owner' THEN coalesce(owner, '(no owner)')
              WHEN 'segment' THEN coalesce(c.segment, '(no segment)')
              ELSE c.name END AS name,
     CASE $by WHEN 'party' THEN c.uid ELSE null END AS uid,
     (hours + invested_hours) * $hourly_rate AS time_cost, spend, campaign_share,
     purchases + reduce(s = 0.0, v IN contracts | s + v) + reduce(s = 0.0, v IN won | s + v)
       AS value
WITH name, uid, count(*) AS customers, sum(time_cost) AS time_cost, sum(spend) AS spend,
     sum(campaign_share) AS campaign_share, sum(value) AS value
WITH name, uid, customers, time_cost, spend, campaign_share, value,
     time_cost + spend + campaign_share AS invested
RETURN name,
       uid,
       customers,
       round(invested * 100) / 100.0 AS invested,
       round(time_cost * 100) / 100.0 AS time_cost,
       round(spend * 100) / 100.0 AS spend,
       round(campaign_share * 100) / 100.0 AS campaign_share,
       round(value * 100) / 100.0 AS value,
       round((value - invested) * 100) / 100.0 AS net,
       CASE WHEN invested > 0 THEN round(value / invested * 100) / 100.0 ELSE null END
         AS return_ratio
ORDER BY net DESC, name
LIMIT $limit
