/* Query results for people: human column titles, numbers with thousands separators (money
   and shares as the query's chart header declares them), dates written out, and every uid
   and name a link to its record. Each cell keeps the raw value in data-value, so tests and
   copy-paste see the rows exactly as the API gives them. */
"use strict";
const ermFormat = (() => {
  const LOCALE = document.documentElement.lang || "en";
  const DATE = /^\d{4}-\d{2}-\d{2}$/;
  const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
  const dates = new Intl.DateTimeFormat(LOCALE, {year: "numeric", month: "short", day: "numeric"});
  const money = new Intl.NumberFormat(LOCALE, {minimumFractionDigits: 2, maximumFractionDigits: 2});
  const plain = new Intl.NumberFormat(LOCALE, {maximumFractionDigits: 3});
  const share = new Intl.NumberFormat(LOCALE, {style: "percent", maximumFractionDigits: 1});

  /* `open_pipeline` -> "Open pipeline", `product_uid` -> "Product uid". */
  function title(column) {
    const words = String(column).replace(/[._]+/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function date(text) {
    const [y, m, d] = text.slice(0, 10).split("-").map(Number);
    const day = dates.format(new Date(y, m - 1, d));
    return DATETIME.test(text) ? `${day} ${text.slice(11, 16)}` : day;
  }

  /* The text people read for `value` of a column declared `how` (money, percent, number). */
  function text(value, how) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") {
      if (how === "money") return money.format(value);
      if (how === "percent") return share.format(value);
      return plain.format(value);
    }
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value === "string") return DATE.test(value) || DATETIME.test(value) ? date(value) : value;
    if (Array.isArray(value)) return value.map((v) => text(v, how)).join(", ");
    if (value._labels || value._type) return erm.cell(value);
    if (value.name) return String(value.name);
    return Object.entries(value).map(([k, v]) => `${title(k)}: ${text(v)}`).join(" · ");
  }

  /* The column of uids a column's values link to: `name` -> `uid`, `product` -> `product_uid`,
     a uid column to itself. */
  function uidColumn(columns, column) {
    if (column === "uid" || column.endsWith("_uid")) return column;
    const twin = column === "name" ? "uid" : `${column}_uid`;
    return columns.includes(twin) ? twin : null;
  }

  /* ``only``: the columns shown, in that order (all by default); the others still give the
     shown ones their links (a dashboard tile's `columns:`). */
  function table(columns, rows, formats, only) {
    formats = formats || {};
    const links = columns.map((c) => uidColumn(columns, c));
    const shown = only ? only.map((c) => columns.indexOf(c)).filter((i) => i >= 0) : columns.map((_, i) => i);
    const head = erm.el("tr", {}, ...shown.map((i) => erm.el("th", {"data-column": columns[i], scope: "col"}, title(columns[i]))));
    const body = rows.map((row) => erm.el("tr", {}, ...shown.map((i) => [row[i], i]).map(([value, i]) => {
      const how = formats[columns[i]];
      const td = erm.el("td", {"data-value": erm.cell(value)});
      if (typeof value === "number") td.className = "num";
      const target = links[i] === null ? null : row[columns.indexOf(links[i])];
      if (typeof target === "string" && target && value !== null) {
        td.append(erm.el("a", {href: erm.href(target), "data-uid": target}, text(value, how)));
      } else {
        td.append(text(value, how));
      }
      return td;
    })));
    return erm.el("table", {class: "grid"}, erm.el("thead", {}, head), erm.el("tbody", {}, ...body));
  }

  return {title, text, table};
})();
