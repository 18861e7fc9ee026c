// name: pipeline-by-rep
// title: Pipeline by rep
// description: >-
//   Opportunities by the rep who works them (ASSIGNED_TO an employee) and stage: how many and
//   what they are worth. Open stages are lead, qualified and proposal; won and lost are shown
//   too so a rep's whole pipeline reads in one table. An opportunity worked by two reps counts
//   for each; one that nobody works is left out (see open-cases for the unassigned).
// access: [sales, officer, marketing, cro]
// audience: [sales]
// read_only: true
// params:
//   stages: {type: "list[string]", default: [lead, qualified, proposal, won, lost], help: the stages to show}
// chart: {kind: bar, x: rep, y: [amount], series: stage, formats: {amount: money}, title: Pipeline by rep}
MATCH (o:Opportunity)-[:ASSIGNED_TO]->(e:Employee)
WHERE o.stage IN $stages
RETURN e.uid AS rep_uid,
       e.name AS rep,
       o.stage AS stage,
       count(o) AS deals,
       round(sum(coalesce(o.amount, 0.0)) * 100) / 100.0 AS amount
ORDER BY rep, rep_uid, stage
