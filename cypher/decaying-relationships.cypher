// name: decaying-relationships
// title: Decaying relationships
// description: >-
//   Preventive maintenance: pairs of one of our employees and a party whose contact is fading
//   before the relationship is lost. For each pair, interactions per month in the last
//   `recent_months` against the `baseline_months` before them (the party's contacts count as
//   the party); a pair shows when it used to meet at least `min_per_month` times a month and
//   has fallen by at least `min_drop`. The next action is the row: that employee gets back in
//   touch, and the account owner (when another) can open the door. The period ends the day
//   before `until` (default: the day after the latest interaction). The watch rule
//   relationship-decay runs it.
// access: [officer, sales, cro]
// audience: [officer, cro]
// read_only: true
// params:
//   until: {type: date, help: day after the period (default the day after the latest interaction)}
//   recent_months: {type: integer, default: 3, min: 1}
//   baseline_months: {type: integer, default: 9, min: 1}
//   min_per_month: {type: number, default: 0.5, min: 0, help: 'fewest interactions a month before, for a pair to count'}
//   min_drop: {type: number, default: 0.5, min: 0, max: 1, help: smallest fall in frequency shown}
//   limit: {type: integer, default: 50, min: 1}
// chart: {kind: bar, x: party, y: [earlier_per_month, recent_per_month]}
OPTIONAL MATCH (latest:Interaction)
WHERE $until IS NULL
WITH coalesce($until, toString(date(substring(max(latest.at), 0, 10)) + duration({days: 1})))
       AS until
WITH until,
     toString(date(until) - duration({months: $recent_months})) AS cut,
     toString(date(until) - duration({months: $recent_months + $baseline_months})) AS start
MATCH (p:Party)<-[:WORKS_FOR*0..1]-(who)-[:HAD]->(i:Interaction)-[:WITH]->(e:Employee)
WHERE i.at >= start AND i.at < until AND (e.left_on IS NULL OR e.left_on > until)
WITH p, e, until,
     count(DISTINCT CASE WHEN i.at >= cut THEN i.uid ELSE null END) AS recent_n,
     count(DISTINCT CASE WHEN i.at < cut THEN i.uid ELSE null END) AS earlier_n,
     max(i.at) AS last_contact
WITH p, e, until, last_contact,
     earlier_n * 1.0 / $baseline_months AS earlier_rate,
     recent_n * 1.0 / $recent_months AS recent_rate
WHERE earlier_rate >= $min_per_month AND earlier_rate > 0
  AND 1 - recent_rate / earlier_rate >= $min_drop
RETURN p.uid AS uid,
       p.name AS party,
       e.uid AS employee_uid,
       e.name AS employee,
       round(earlier_rate * 100) / 100.0 AS earlier_per_month,
       round(recent_rate * 100) / 100.0 AS recent_per_month,
       round((1 - recent_rate / earlier_rate) * 100) / 100.0 AS drop,
       last_contact,
       head([(p)<-[:MANAGES]-(o) WHERE o:Employee | o.name]) AS account_owner,
       until AS period_end
ORDER BY drop DESC, earlier_per_month DESC, uid, employee_uid
LIMIT $limit
