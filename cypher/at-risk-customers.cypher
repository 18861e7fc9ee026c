// name: at-risk-customers
// title: Customers at risk
// description: >-
//   Customers drifting away, scored 0-1 from three signals that each show in the row:
//   falling interaction frequency (the last `recent_months` against the `baseline_months`
//   before them, weighted by how much history there is), open complaint cases, and low survey
//   scores. risk = 0.4 * drop + 0.3 * min(open complaints, 3) / 3 + 0.3 * (10 - avg score) / 10.
//   The period ends the day before `until` (default: the day after the latest interaction).
//   `owner` keeps the customers one employee manages (their account owner).
// access: [officer, sales, cro]
// audience: [officer, cro]
// read_only: true
// params:
//   until: {type: date, help: day after the period (default the day after the latest interaction)}
//   recent_months: {type: integer, default: 3, min: 1}
//   baseline_months: {type: integer, default: 9, min: 1}
//   min_risk: {type: number, default: 0.5, min: 0, max: 1, help: smallest risk shown}
//   limit: {type: integer, default: 50, min: 1}
//   uid: {type: string, help: only this customer (the account page's risk)}
//   owner: {type: string, help: only the customers this employee manages (a dashboard tile's $me)}
// chart: {kind: bar, x: name, y: [risk], formats: {risk: percent, drop: percent}}
OPTIONAL MATCH (latest:Interaction)
WHERE $until IS NULL
WITH coalesce($until, toString(date(substring(max(latest.at), 0, 10)) + duration({days: 1})))
       AS until
WITH until,
     toString(date(until) - duration({months: $recent_months})) AS cut,
     toString(date(until) - duration({months: $recent_months + $baseline_months})) AS start
MATCH (c:Customer)
WHERE $uid IS NULL OR c.uid = $uid
WITH c, until, cut, start, [(c)<-[:MANAGES]-(o:Employee) | o.uid] AS managers
WHERE $owner IS NULL OR $owner IN managers
WITH c, until, cut, start,
     [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i:Interaction) WHERE i.at >= start AND i.at < until
        | i.at] AS times,
     [(c)<-[:WORKS_FOR*0..1]-()-[:RAISED]->(x:Case {kind: 'complaint'})
        WHERE x.status IN ['open', 'in_progress'] | x.uid] AS open_complaints,
     [(c)<-[:WORKS_FOR*0..1]-()-[:GAVE]->(r:Response) | r.score] AS scores
WITH c, until, open_complaints, scores,
     size([t IN times WHERE t >= cut]) AS recent,
     size([t IN times WHERE t < cut]) AS earlier,
     CASE WHEN size(scores) = 0 THEN NULL
          ELSE toFloat(reduce(s = 0, x IN scores | s + x)) / size(scores) END AS avg_score
WITH c, until, open_complaints, avg_score, recent, earlier,
     toFloat(recent) / $recent_months AS recent_rate,
     toFloat(earlier) / $baseline_months AS earlier_rate
WITH c, until, open_complaints, avg_score, recent_rate, earlier_rate,
     CASE WHEN earlier_rate = 0 OR recent_rate >= earlier_rate THEN 0.0
          ELSE (1.0 - recent_rate / earlier_rate) *
               CASE WHEN earlier >= 6 THEN 1.0 ELSE earlier / 6.0 END END AS drop
WITH c, until, open_complaints, avg_score, recent_rate, earlier_rate, drop,
     0.4 * drop +
     0.3 * CASE WHEN size(open_complaints) > 3 THEN 1.0 ELSE size(open_complaints) / 3.0 END +
     0.3 * CASE WHEN avg_score IS NULL THEN 0.0 ELSE (10.0 - avg_score) / 10.0 END AS risk
WHERE risk >= $min_risk
RETURN c.uid AS uid,
       c.name AS name,
       c.segment AS segment,
       round(risk * 1000) / 1000.0 AS risk,
       round(earlier_rate * 100) / 100.0 AS earlier_per_month,
       round(recent_rate * 100) / 100.0 AS recent_per_month,
       round(drop * 100) / 100.0 AS drop,
       size(open_complaints) AS open_complaints,
       round(avg_score * 10) / 10.0 AS avg_score,
       head([(c)<-[:MANAGES]-(e:Employee) | e.name]) AS account_owner,
       until AS period_end
ORDER BY risk DESC, uid
LIMIT $limit
