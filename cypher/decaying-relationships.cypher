// name: decaying-relationships
// title: Decaying relationships
// description: >-
//   Preventive maintenance: pairs of one of our employees and a party whose contact is fading
//   before the relationship is lost. For each pair, interactions per month in the last
//   `recent_months` against the `baseline_months` before them (the party's contacts count as
//   the party); a pair shows when it used to meet at least `min_per_month` times a month and
//   has fallen by at least `min_drop`. The next action is the row: that employee gets back in
//   touch, and the account owner (when another) can open the door. The period ends the day
//   before `until` (default: the day after the latest interaction). The strength columns
//   read the pair's KNOWS strength series (`erm analyze strength --write`, one sample per
//   day computed): its samples up to the period's end, the first of the window and the
//   latest. next_action says who should contact whom, through the warm path: the colleague
//   with the strongest KNOWS tie to the party or one of its contacts, else the account owner.
//   The watch rule relationship-decay runs it.
// access: [officer, sales, cro]
// audience: [officer, cro]
// read_only: true
// params:
//   until: {type: date, help: day after the period (default the day after the latest interaction)}
//   recent_months: {type: integer, default: 3, min: 1}
//   baseline_months: {type: integer, default: 9, min: 1}
//   min_per_month: {type: number, default: 0.5, min: 0, help: 'fewest interactions a month before, for a pair to count'}
//   min_drop: {type: number, default: 0.5, min: 0, max: 1, help: smallest fall in frequency shown}
//   min_strength_fall: {type: number, default: 0, min: 0, max: 1, help: 'smallest fall of the KNOWS strength over its series (first sample to latest) for a pair that has two samples or more; pairs without a series are judged on frequency alone'}
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
WITH p, e, until, last_contact, earlier_rate, recent_rate,
     head([(p)<-[:MANAGES]-(mgr) WHERE mgr:Employee | mgr.name]) AS owner,
     [s IN coalesce(head([(e)-[own:KNOWS]->(p) | own.strength_series]), [])
        WHERE substring(s, 0, 10) < until] AS series,
     [(p)<-[:WORKS_FOR*0..1]-(x)<-[k:KNOWS]-(o:Employee)
        WHERE o <> e AND k.strength IS NOT NULL AND (o.left_on IS NULL OR o.left_on > until)
        | [k.strength, o.name, x.name]] AS ties
WITH p, e, until, last_contact, earlier_rate, recent_rate, owner, series, ties,
     CASE WHEN size(series) = 0 THEN null
          ELSE round(toFloat(substring(series[0], 11)) * 10000) / 10000.0 END AS first_score,
     CASE WHEN size(series) = 0 THEN null
          ELSE round(toFloat(substring(series[-1], 11)) * 10000) / 10000.0 END AS now_score
WHERE size(series) < 2 OR first_score - now_score >= $min_strength_fall
WITH p, e, until, last_contact, earlier_rate, recent_rate, owner, series, first_score,
     now_score,
     reduce(best = null, t IN ties |
            CASE WHEN best IS NULL OR t[0] > best[0] THEN t ELSE best END) AS via
RETURN p.uid AS uid,
       p.name AS party,
       e.uid AS employee_uid,
       e.name AS employee,
       round(earlier_rate * 100) / 100.0 AS earlier_per_month,
       round(recent_rate * 100) / 100.0 AS recent_per_month,
       round((1 - recent_rate / earlier_rate) * 100) / 100.0 AS drop,
       last_contact,
       owner AS account_owner,
       until AS period_end,
       series AS strength_series,
       first_score AS strength_first,
       now_score AS strength_now,
       via[1] AS warm_path_via,
       via[2] AS warm_path_knows,
       via[0] AS warm_path_strength,
       e.name + ': get back in touch with ' + p.name +
         CASE WHEN via IS NOT NULL
              THEN ', through ' + via[1] + ', who knows ' + via[2] + ' (tie strength ' +
                   toString(toInteger(round(via[0] * 100))) + '%)'
              WHEN owner IS NOT NULL AND owner <> e.name
              THEN ', with ' + owner + ' (account owner) opening the door'
              ELSE '' END AS next_action
ORDER BY drop DESC, earlier_per_month DESC, uid, employee_uid
LIMIT $limit
