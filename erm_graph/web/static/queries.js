/* Named queries: the generated form's values live in the URL; chart, table, graph and CSV
   download. Party and employee fields look names up as you type (/api/search). */
"use strict";
(() => {
  const form = document.getElementById("query-form");
  if (!form) return;
  const root = document.querySelector("main.queries");
  const csv = document.getElementById("csv");
  const specNode = document.getElementById("chart-spec");
  const spec = specNode ? JSON.parse(specNode.textContent) : null;
  erm.tabs(root);

  function query() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (key !== "name" && value !== "") params.set(key, value);
    return params;
  }
  function sync() {
    const params = query();
    csv.href = `/api/queries/${encodeURIComponent(form.dataset.name)}?${params}&format=csv`;
    params.set("name", form.dataset.name);
    history.replaceState(null, "", `/queries?${params}`);
  }
  async function run() {
    erm.showError("");
    sync();
    try {
      const body = await erm.api(`/api/queries/${encodeURIComponent(form.dataset.name)}?${query()}`);
      erm.result(root, body, (columns, rows) => ermFormat.table(columns, rows, spec ? spec.formats : {}));
      if (spec) ermCharts.draw(root.querySelector("#chart"), spec, body.columns, body.rows);
      root.dataset.done = "1";
    } catch (error) {
      erm.showError(error.message);
    }
  }
  // look-up fields (data-lookup) get common.js's type-ahead: a name picked gives its uid
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  form.addEventListener("change", sync);
  sync();
  if ([...new URLSearchParams(location.search).keys()].some((k) => k !== "name") || form.checkValidity()) run();
})();
