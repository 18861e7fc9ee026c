// name: complaint-spike
// title: Complaint spikes
// description: >-
//   Products with more complaints (complaint interactions and complaint or warranty cases
//   about them) in the last `recent_days` than `factor` times their usual count for a period
//   that long, the usual being the average over the `baseline_days` before. A product with
//   no complaints before spikes at `min_complaints`. The period ends the day before `until`
//   (default: the day after the latest interaction). The watch rule complaint-spike runs it.
// access: [officer, rnd, marketing, cro]
// audience: [rnd, cro]
// read_only: true
// params:
//   until: {type: date, example: '2026-03-31', help: day after the period (default the day after the latest interaction)}
//   recent_days: {type: integer, default: 30, min: 1}
//   baseline_days: {type: integer, default: 180, min: 1}
//   factor: {type: number, default: 2.0, min: 1}
//   min_complaints: {type: integer, default: 2, min: 1}
// chart: {kind: bar, x: product, y: [recent, usual]}
OPTIONAL MATCH (latest:Interaction)
WHERE $until IS NULL
WITH coalesce($until, toString(date(substring(max(latest.at), 0, 10)) + duration({days: 1})))
       AS until
WITH until,
     toString(date(until) - duration({days: $recent_days})) AS cut,
     toString(date(until) - duration({days: $recent_days + $baseline_days})) AS start
MATCH (p:Product)
WITH p, until, cut,
     [(i)-[:ABOUT]->(p) WHERE i:Interaction AND i.kind = 'complaint' AND i.at >= start
        AND i.at < until | i.at] +
     [(x)-[:ABOUT]->(p) WHERE x:Case AND x.kind IN ['complaint', 'warranty']
        AND x.opened_at >= start AND x.opened_at < until | x.opened_at] AS times
WITH p, until, size([t IN times WHERE t >= cut]) AS recent,
     size([t IN times WHERE t < cut]) * 1.0 * $recent_days / $baseline_days AS usual
WHERE recent >= $min_complaints AND recent >= $factor * usual
RETURN p.uid AS uid,
       p.name AS product,
       recent,
       round(usual * 10) / 10.0 AS usual,
       until AS period_end
ORDER BY recent DESC, uid
