/* Named queries: the generated form's values live in the URL; table, graph and CSV download. */
"use strict";
(() => {
  const form = document.getElementById("query-form");
  if (!form) return;
  const root = document.querySelector("main.queries");
  const csv = document.getElementById("csv");
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
      erm.result(root, body);
      root.dataset.done = "1";
    } catch (error) {
      erm.showError(error.message);
    }
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  form.addEventListener("change", sync);
  sync();
  if ([...new URLSearchParams(location.search).keys()].some((k) => k !== "name") || form.checkValidity()) run();
})();
