/* Completion for the console's editor (CodeMirror 5's show-hint): what fits where the cursor
   is, from the model the server answers (/api/vocabulary, the library's extension included).
     (n:Cu|      labels          -[r:MA|   relationship types (also after | in a type list)
     n.na|       properties: those of n's label when the query gives n one, else all
     anything else, asked with Ctrl+Space: Cypher's keywords and functions, then labels */
"use strict";
const ermComplete = (() => {
  const KEYWORDS = ["MATCH", "OPTIONAL MATCH", "WHERE", "RETURN", "WITH", "UNWIND", "ORDER BY",
    "SKIP", "LIMIT", "DISTINCT", "AS", "AND", "OR", "NOT", "XOR", "IN", "IS NULL", "IS NOT NULL",
    "STARTS WITH", "ENDS WITH", "CONTAINS", "CASE", "WHEN", "THEN", "ELSE", "END", "UNION",
    "ASC", "DESC", "CALL", "YIELD"];
  const FUNCTIONS = ["count(", "collect(", "sum(", "avg(", "min(", "max(", "size(", "labels(",
    "type(", "keys(", "properties(", "coalesce(", "toLower(", "toUpper(", "toString(",
    "toInteger(", "toFloat(", "date(", "split(", "substring(", "replace(", "trim(", "head(",
    "last(", "nodes(", "relationships(", "length(", "startNode(", "endNode(", "exists(",
    "range(", "reduce(", "any(", "all(", "none(", "single(", "allShortestPaths("];

  /* The label a variable is given in the query (`(c:Customer`), if any. */
  function labelOf(text, variable) {
    const found = new RegExp(`[(,]\\s*${variable}\\s*:\\s*([A-Za-z_][A-Za-z0-9_]*)`).exec(text);
    return found ? found[1] : null;
  }

  /* Inside a relationship's brackets: the last [ before the cursor is not closed yet. */
  function inBrackets(before) {
    return before.lastIndexOf("[") > before.lastIndexOf("]") &&
      before.lastIndexOf("[") > before.lastIndexOf("(");
  }

  function item(text, kind, help) {
    return {text, displayText: help ? `${text} — ${kind}: ${help}` : `${text} — ${kind}`,
      className: `hint-${kind}`};
  }

  /* The hint source for show-hint: {list, from, to} for the word at the cursor. */
  function source(vocabulary) {
    const labels = vocabulary.labels.map((l) => item(l.name, "label", l.help));
    const types = vocabulary.relationships.map((r) => item(r.name, "relationship",
      `${r.from.join("|")} → ${r.to.join("|")}`));
    const byLabel = new Map(vocabulary.labels.map((l) => [l.name, l.properties]));
    const allProps = vocabulary.properties.map((p) => item(p, "property"));
    return (cm) => {
      const cursor = cm.getCursor();
      const before = cm.getRange({line: 0, ch: 0}, cursor);
      const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
      const typed = word ? word[0] : "";
      const start = before.length - typed.length;
      const sign = before.slice(0, start).replace(/\s+$/, "").slice(-1);
      let list;
      if (sign === ":" || (sign === "|" && inBrackets(before.slice(0, start)))) {
        list = inBrackets(before.slice(0, start)) ? types : labels;
      } else if (sign === "." && /([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*$/.test(before.slice(0, start))) {
        const variable = /([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*$/.exec(before.slice(0, start))[1];
        const label = labelOf(cm.getValue(), variable);
        list = label && byLabel.has(label)
          ? byLabel.get(label).map((p) => item(p.name, "property", p.help || p.type)) : allProps;
      } else {
        list = [...KEYWORDS.map((k) => item(k, "keyword")), ...FUNCTIONS.map((f) => item(f, "function")), ...labels];
      }
      const lower = typed.toLowerCase();
      const matches = list.filter((c) => c.text.toLowerCase().startsWith(lower));
      return {list: matches, from: {line: cursor.line, ch: cursor.ch - typed.length}, to: cursor};
    };
  }

  /* Whether typing `typed` should open the list by itself: after a `:` (label or type) or a
     `.` after a variable (property). */
  function opensBy(typed) {
    return typed === ":" || typed === ".";
  }

  return {source, opensBy, labelOf};
})();
