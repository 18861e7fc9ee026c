// name: supplier-dependency
// title: Single-supplier dependencies
// description: >-
//   Products and materials (or other documents) that exactly one supplier SUPPLIES, with the
//   process steps that use them: if that supplier fails, those steps and sales stop.
// access: [rnd, cro]
// audience: [cro]
// read_only: true
MATCH (s:Party)-[:SUPPLIES]->(item)
WITH item, collect(s) AS suppliers
WHERE size(suppliers) = 1
RETURN head([l IN labels(item) WHERE l IN ['Product', 'Document']]) AS label,
       item.uid AS uid,
       item.name AS name,
       item.kind AS kind,
       suppliers[0].uid AS supplier_uid,
       suppliers[0].name AS supplier,
       [(item)<-[:USES|PRODUCES]-(step:Step) | step.uid] AS steps
ORDER BY label, uid
