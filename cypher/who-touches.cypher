// name: who-touches
// title: Who touches a party
// description: >-
//   The departments and employees that touch one party, and how: as account owner, in
//   interactions with the party or its contacts (with the steps they happened at), on the
//   cases it raised, or by performing a process step the party takes part in. One row per
//   person or department and way of touching, most touches first.
// access: [officer, sales, cro]
// audience: [officer]
// read_only: true
// params:
//   uid: {type: string, required: true, example: cust-000001, help: the party's uid}
// chart: {kind: bar, x: name, y: [times]}
MATCH (c:Party {uid: $uid})
WITH [(c)<-[:MANAGES]-(e) WHERE e:Employee |
        {who: e, touch: 'account owner', item: NULL}] +
     [(c)<-[:WORKS_FOR*0..1]-()-[:HAD]->(i)-[:WITH]->(met)
        WHERE i:Interaction AND met:Employee |
        {who: met, touch: 'interactions', item: i}] +
     [(c)<-[:WORKS_FOR*0..1]-()-[:RAISED]->(x)-[:ASSIGNED_TO]->(a) WHERE x:Case |
        {who: a, touch: 'cases', item: x}] +
     [(c)-[:PARTICIPATES_IN]->(s)<-[:PERFORMS]-(performer) WHERE s:Step |
        {who: performer, touch: 'process step', item: s}] AS touches
UNWIND touches AS t
WITH t.who AS who, t.touch AS touch, t.item AS item
WITH who, touch, coalesce(item.at, item.opened_at) AS at,
     CASE WHEN touch = 'process step' THEN item.name
          ELSE head([(item)-[:AT_STEP|ABOUT]->(at:Step) | at.name]) END AS step
WITH who, touch, count(*) AS times, collect(DISTINCT step) AS steps, max(at) AS last
RETURN who.uid AS uid,
       who.name AS name,
       head([l IN labels(who) WHERE l IN ['Employee', 'Department']]) AS label,
       head([(who)-[:MEMBER_OF]->(d:Department) | d.name] + [who.name]) AS department,
       touch,
       times,
       steps,
       last
ORDER BY times DESC, uid, touch
