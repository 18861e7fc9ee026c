// name: pipeline-by-territory
// title: Pipeline by territory
// description: >-
//   Opportunities by the territory whose account holds them (Territory INCLUDES the party
//   that HOLDS the opportunity) and stage, with the reps who cover the territory. A party in
//   two territories (a named account inside a region) counts for each.
// access: [sales, officer, marketing, cro]
// audience: [sales]
// read_only: true
// params:
//   stages: {type: "list[string]", default: [lead, qualified, proposal, won, lost], help: the stages to show}
// chart: {kind: bar, x: territory, y: [amount], series: stage, formats: {amount: money}, title: Pipeline by territory}
MATCH (t:Territory)-[:INCLUDES]->(:Party)-[:HOLDS]->(o:Opportunity)
WHERE o.stage IN $stages
WITH t, o.stage AS stage, count(o) AS deals, sum(coalesce(o.amount, 0.0)) AS amount
RETURN t.uid AS territory_uid,
       t.name AS territory,
       t.kind AS kind,
       [(t)<-[:COVERS]-(r:Employee) | r.name] AS reps,
       stage,
       deals,
       round(amount * 100) / 100.0 AS amount
ORDER BY territory, territory_uid, stage
