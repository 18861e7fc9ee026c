// name: service-targets
// title: Service targets
// description: >-
//   Each case against the response and resolution targets of its service agreement: the
//   agreement the raising party is COVERED_BY, else the one for the party's tier, the one
//   for the case's severity ahead of one for any severity (docs/service.md). The first
//   response is `responded_at` (the case's first assignment to a person), else its closing;
//   a target is breached when the response or resolution came, or `as_of` is, later than
//   the due time (exactly on time is not a breach). Times are read as UTC. `as_of` defaults
//   to now. Cases with no agreement are left out. The watch rule breached-service-target
//   runs it with `breached_only` and `open_only`.
// access: [officer, sales, cro]
// audience: [officer, cro]
// read_only: true
// params:
//   as_of: {type: string, example: '2026-03-31T12:00:00', help: 'the moment open cases are measured at, UTC (default now)'}
//   case: {type: string, help: only this case (its uid)}
//   open_only: {type: boolean, default: false, help: only cases still open or in progress}
//   breached_only: {type: boolean, default: false, help: only cases that missed a target}
//   limit: {type: integer, default: 200, min: 1}
OPTIONAL MATCH (agreement:ServiceAgreement)
WITH collect(agreement) AS agreements
MATCH (x:Case)
WHERE ($case IS NULL OR x.uid = $case)
  AND (NOT $open_only OR x.status IN ['open', 'in_progress'])
OPTIONAL MATCH (x)<-[:RAISED]-(raiser)
OPTIONAL MATCH (raiser)-[:WORKS_FOR]->(employer)
OPTIONAL MATCH (raiser)-[:COVERED_BY]->(own)
OPTIONAL MATCH (employer)-[:COVERED_BY]->(employer_own)
WITH agreements, x,
     head(collect(DISTINCT CASE WHEN raiser:Party THEN raiser END) +
          collect(DISTINCT CASE WHEN raiser:Contact THEN employer END)) AS party,
     collect(DISTINCT CASE WHEN raiser:Party THEN own END) +
     collect(DISTINCT CASE WHEN raiser:Contact THEN employer_own END) AS owned
WITH x, party,
     CASE WHEN size(owned) > 0 THEN owned
          ELSE [a IN agreements WHERE a.tier IS NULL OR a.tier = party.tier] END AS fit
WITH x, party,
     head([f1 IN fit WHERE f1.severity = x.severity AND f1.tier IS NOT NULL] +
          [f2 IN fit WHERE f2.severity = x.severity] +
          [f3 IN fit WHERE f3.severity IS NULL AND f3.tier IS NOT NULL] +
          [f4 IN fit WHERE f4.severity IS NULL]) AS sa
WHERE sa IS NOT NULL
WITH x, party, sa,
     [t IN [x.opened_at, coalesce(x.responded_at, x.closed_at),
            CASE WHEN x.status IN ['resolved', 'closed'] THEN x.closed_at END,
            coalesce($as_of, '1970-01-01T00:00:00')] |
       CASE WHEN t IS NULL THEN null ELSE
         [d IN [date(substring(t, 0, 10))] |
           ((d.year - 1) * 365 + (d.year - 1) / 4 - (d.year - 1) / 100 + (d.year - 1) / 400 +
            d.ordinalDay - 719163) * 86400 +
           coalesce(toInteger(substring(t, 11, 2)), 0) * 3600 +
           coalesce(toInteger(substring(t, 14, 2)), 0) * 60 +
           coalesce(toInteger(substring(t, 17, 2)), 0)][0] END] AS s
WITH x, party, sa, s[0] AS opened, s[1] AS responded, s[2] AS resolved,
     CASE WHEN $as_of IS NULL THEN timestamp() / 1000 ELSE s[3] END AS now
WITH x, party, sa, opened, responded, resolved, now,
     opened + toInteger(sa.response_hours * 3600) AS response_due,
     opened + toInteger(sa.resolution_hours * 3600) AS resolution_due
WITH x, party, sa, responded, resolved, response_due, resolution_due,
     coalesce(responded, now) - response_due AS response_over,
     coalesce(resolved, now) - resolution_due AS resolution_over
WITH x, party, sa, responded, resolved, response_due, resolution_due, response_over,
     resolution_over, response_over > 0 AS response_breached,
     resolution_over > 0 AS resolution_breached
WHERE NOT $breached_only OR response_breached OR resolution_breached
RETURN x.uid AS uid,
       coalesce(x.summary, x.name) AS case,
       party.uid AS customer_uid,
       party.name AS customer,
       party.tier AS tier,
       x.severity AS severity,
       x.status AS status,
       sa.uid AS agreement_uid,
       sa.name AS agreement,
       x.opened_at AS opened_at,
       response_due AS response_due_s,
       resolution_due AS resolution_due_s,
       responded IS NOT NULL AS responded,
       resolved IS NOT NULL AS resolved,
       response_breached,
       resolution_breached,
       CASE WHEN resolution_breached THEN 'resolution' WHEN response_breached THEN 'response'
       END AS target,
       CASE WHEN resolution_breached THEN round(resolution_over / 360.0) / 10.0
            WHEN response_breached THEN round(response_over / 360.0) / 10.0 END AS over_hours
ORDER BY resolution_breached DESC, response_breached DESC, coalesce(x.severity, 5), uid
LIMIT $limit
