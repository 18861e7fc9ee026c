// Lints Cypher with Neo4j's official linter (lintCypherQuery from @neo4j-cypher/language-support).
// Reads JSON on stdin: {schema: {labels, relationshipTypes, propertyKeys, procedures?},
// queries: [{file, text, parameters}]}. Writes JSON on stdout: one entry per diagnostic,
// {file, line, column, severity: "error"|"warning"|..., message}. Neo4j's built-in functions
// and procedures come from the package's own Neo4j 5 signature list, so unknown functions show.
import { readFileSync } from 'node:fs';
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };
const input = JSON.parse(readFileSync(0, 'utf8'));
const builtins = testData.mockSchema;
const out = [];
for (const query of input.queries) {
  const schema = {
    labels: input.schema.labels,
    relationshipTypes: input.schema.relationshipTypes,
    propertyKeys: input.schema.propertyKeys,
    functions: builtins.functions,
    procedures: { ...builtins.procedures, ...(input.schema.procedures || {}) },
    parameters: query.parameters,
  };
  for (const d of lintCypherQuery(query.text, schema).diagnostics) {
    out.push({
      file: query.file,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      severity: SEVERITY[d.severity] || String(d.severity),
      message: d.message,
    });
  }
}
process.stdout.write(JSON.stringify(out));
