// name: survey-sentiment
// title: Survey sentiment
// description: >-
//   Survey response scores (0-10) by what they are about (a product, department or step), the
//   segment of the party that answered (employee for staff surveys), and period: responses,
//   average score and net promoter score (share of 9-10 minus share of 0-6, in percent).
//   Follow one subject down the periods to see the trend.
// access: [marketing, rnd, cro]
// audience: [marketing, rnd]
// read_only: true
// params:
//   period: {type: string, default: quarter, choices: [month, quarter, year]}
//   since: {type: date, default: '2000-01-01', help: first day of the period}
//   until: {type: date, default: '2100-01-01', help: day after the period}
//   audience: {type: string, choices: [customer, employee], help: only surveys of this audience}
// chart: {kind: line, x: period, y: [responses], series: about, title: Responses by period}
MATCH (r:Response)-[:ABOUT]->(subject)
WHERE r.at >= $since AND r.at < $until
WITH r, subject, head([(r)-[:TO]->(v) WHERE v:Survey | v.audience]) AS audience
WHERE $audience IS NULL OR audience = $audience
WITH r, subject,
     head([(r)<-[:GAVE]-(x) WHERE x:Party | x.segment] +
          [(r)<-[:GAVE]-(k)-[:WORKS_FOR]->(employer) WHERE k:Contact AND employer:Party |
             employer.segment] +
          [(r)<-[:GAVE]-(e) WHERE e:Employee | 'employee']) AS segment,
     CASE $period
       WHEN 'month' THEN substring(r.at, 0, 7)
       WHEN 'year' THEN substring(r.at, 0, 4)
       ELSE substring(r.at, 0, 4) + '-Q' +
            toString((toInteger(substring(r.at, 5, 2)) + 2) / 3)
     END AS period
WITH head([l IN labels(subject) WHERE l IN ['Product', 'Department', 'Step']]) AS about,
     subject, segment, period,
     count(r) AS responses, avg(r.score) AS avg_score,
     sum(CASE WHEN r.score >= 9 THEN 1 ELSE 0 END) AS promoters,
     sum(CASE WHEN r.score <= 6 THEN 1 ELSE 0 END) AS detractors
RETURN about,
       subject.uid AS uid,
       subject.name AS name,
       segment,
       period,
       responses,
       round(avg_score * 100) / 100.0 AS avg_score,
       round(100.0 * (promoters - detractors) / responses) AS nps
ORDER BY about, name, segment, period
