// name: overdue-tasks
// title: Overdue tasks
// description: >-
//   Open tasks past their due time, longest overdue first, with who has them and who answers
//   for what each is about: `owner` is the owner of the component it concerns (RESPONSIBLE_FOR),
//   else the account owner of the party it concerns (MANAGES), else the assignee's line manager
//   (REPORTS_TO). The overdue-task watch rule opens a follow-up task for that owner. `now` is
//   the time to compare with (YYYY-MM-DDTHH:MM:SS, wall clock); a watch pass gives its own
//   time; left out, the engine's clock now.
// access: [staff]
// audience: [officer, sales, cro]
// read_only: true
// params:
//   now: {type: string, example: "2026-10-31T18:00:00", help: "the time to compare with (YYYY-MM-DDTHH:MM:SS)"}
//   assignee: {type: string, help: only the tasks of this employee}
//   limit: {type: integer, default: 500, min: 1}
MATCH (t:Task)
WHERE t.status = 'open' AND t.due < coalesce($now, toString(localdatetime()))
OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(e:Employee)
WITH t, e WHERE $assignee IS NULL OR e.uid = $assignee
OPTIONAL MATCH (t)-[:CONCERNS]->(x)
WITH t, e, x
OPTIONAL MATCH (x)<-[:RESPONSIBLE_FOR]-(o:Employee)
OPTIONAL MATCH (x)<-[:MANAGES]-(m:Employee)
OPTIONAL MATCH (e)-[:REPORTS_TO]->(boss:Employee)
WITH t, e, x, head(collect(coalesce(o, m, boss))) AS owner
RETURN t.uid AS uid,
       t.title AS title,
       t.due AS due,
       t.priority AS priority,
       e.uid AS assignee,
       e.name AS assignee_name,
       x.uid AS about,
       coalesce(x.name, x.summary, x.uid) AS about_name,
       owner.uid AS owner,
       owner.name AS owner_name
ORDER BY due, uid
LIMIT $limit
