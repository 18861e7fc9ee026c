// name: open-cases
// title: Open cases
// description: >-
//   Cases still open or in progress, those past their target first, then by severity and age:
//   the party that raised each (a contact's case counts for its party), the party's account
//   owner, who handles the case, its age in days and whether it is past its target. The
//   targets by severity: 1 (critical) 2 days, 2 5 days, 3 10 days, 4 or none 20 days. Age runs
//   to `as_of` (default the day after the latest interaction, as at-risk-customers counts, so
//   a library loaded from an export reads as of its export). `owner` keeps the cases of the
//   parties that employee manages and the cases assigned to them (a dashboard tile's `$me`:
//   the signed-in officer's own).
// access: [officer, sales, cro]
// audience: [officer, cro]
// read_only: true
// params:
//   owner: {type: string, help: only this employee's cases (their parties' and those assigned to them)}
//   as_of: {type: date, help: the day ages are counted to (default the day after the latest interaction)}
//   past_target_only: {type: boolean, default: false, help: only the cases past their target}
//   limit: {type: integer, default: 50, min: 1}
OPTIONAL MATCH (latest:Interaction)
WHERE $as_of IS NULL
WITH date(coalesce($as_of, toString(date(substring(max(latest.at), 0, 10)) +
                                     duration({days: 1})))) AS as_of
MATCH (x:Case)
WHERE x.status IN ['open', 'in_progress']
WITH as_of, x,
     head([(x)<-[:RAISED]-(pp:Party) | pp] +
          [(x)<-[:RAISED]-(:Contact)-[:WORKS_FOR]->(pc:Party) | pc]) AS party,
     [(x)-[:ASSIGNED_TO]->(a) | a] AS assignees
WITH as_of, x, party, assignees,
     [(party)<-[:MANAGES]-(o:Employee) | o] AS owners
WHERE $owner IS NULL OR $owner IN [o IN owners | o.uid] OR $owner IN [a IN assignees | a.uid]
WITH as_of, x, party, assignees, owners, date(substring(x.opened_at, 0, 10)) AS opened,
     CASE x.severity WHEN 1 THEN 2 WHEN 2 THEN 5 WHEN 3 THEN 10 ELSE 20 END AS target_days
WITH as_of, x, party, assignees, owners, opened, target_days,
     (as_of.year - 1) * 365 + (as_of.year - 1) / 4 - (as_of.year - 1) / 100 +
       (as_of.year - 1) / 400 + as_of.ordinalDay -
     ((opened.year - 1) * 365 + (opened.year - 1) / 4 - (opened.year - 1) / 100 +
       (opened.year - 1) / 400 + opened.ordinalDay) AS age_days
WITH x, party, assignees, owners, target_days, age_days, age_days > target_days AS past_target
WHERE NOT $past_target_only OR past_target
RETURN x.uid AS uid,
       x.name AS name,
       party.uid AS customer_uid,
       party.name AS customer,
       x.severity AS severity,
       age_days,
       past_target,
       head([o IN owners | o.uid]) AS account_owner_uid,
       head([o IN owners | o.name]) AS account_owner,
       [a IN assignees | a.name] AS assigned_to,
       x.kind AS kind,
       x.status AS status,
       x.opened_at AS opened_at,
       target_days
ORDER BY past_target DESC, coalesce(x.severity, 5), age_days DESC, uid
LIMIT $limit
