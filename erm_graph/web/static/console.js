/* Read-only Cypher console: the statement lives in the URL (?q=...) so a result can be shared. */
"use strict";
(() => {
  const root = document.querySelector("main.console");
  const form = document.getElementById("console-form");
  const text = document.getElementById("cypher");
  const status = document.getElementById("status");
  erm.tabs(root);

  async function run() {
    erm.showError("");
    status.textContent = "running…";
    const started = performance.now();
    try {
      const body = await erm.api("/api/cypher", {method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({query: text.value})});
      erm.result(root, body);
      status.textContent = `${body.rows.length} row(s) in ${Math.round(performance.now() - started)} ms`;
      root.dataset.done = "1";
    } catch (error) {
      status.textContent = "";
      erm.showError(error.message);
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    url.searchParams.set("q", text.value);
    history.replaceState(null, "", url);
    run();
  });
  if (new URLSearchParams(location.search).get("q")) run();
})();
