/* The analysts' Cypher console: an editor with Cypher highlighting and completion from the
   model (CodeMirror 5, vendored: tools/vendor_js.py says why), Ctrl+Enter to run, the
   person's earlier queries kept in this browser, an error marked where it is in the text, and
   Cancel, which stops the query in the engine (POST /api/cypher/runs/{id}/cancel). The
   statement lives in the URL (?q=...) so that a result can be shared. */
"use strict";
(() => {
  const root = document.querySelector("main.console");
  const form = document.getElementById("console-form");
  const status = document.getElementById("status");
  const runButton = document.getElementById("run");
  const cancelButton = document.getElementById("cancel");
  const errorBox = document.getElementById("query-error");
  const historyList = document.getElementById("history");
  erm.tabs(root);

  const HISTORY_KEY = `erm-console-history:${root.dataset.user || "local"}`;
  const HISTORY_MAX = 50;

  const mac = /Mac/.test(navigator.platform);
  const mod = mac ? "Cmd" : "Ctrl";
  const editor = CodeMirror.fromTextArea(document.getElementById("cypher"), {
    mode: "cypher", lineNumbers: true, lineWrapping: true, viewportMargin: Infinity,
    screenReaderLabel: "Cypher query", indentUnit: 2,
    extraKeys: {
      [`${mod}-Enter`]: () => form.requestSubmit(),
      "Ctrl-Space": (cm) => cm.showHint({completeSingle: false}),
      [`${mod}-Up`]: () => recall(+1),
      [`${mod}-Down`]: () => recall(-1),
      "Esc": () => { if (running) cancel(); },
      // Tab leaves the editor, so that a keyboard reaches the buttons (WCAG 2.1.2)
      "Tab": false, "Shift-Tab": false,
    },
  });
  // the hidden input CodeMirror types into is the one a label must name
  document.getElementById("cypher-label").htmlFor = "";
  document.getElementById("cypher-label").addEventListener("click", () => editor.focus());
  editor.getInputField().setAttribute("aria-describedby", "cypher-keys");

  /* -- completion ------------------------------------------------------------------------ */
  erm.api("/api/vocabulary").then((vocabulary) => {
    const hint = ermComplete.source(vocabulary);
    editor.setOption("hintOptions", {hint, completeSingle: false});
    editor.on("inputRead", (cm, change) => {
      const typed = change.text.join("");
      const before = cm.getRange({line: cm.getCursor().line, ch: 0}, cm.getCursor());
      // a `:` or `.` opens the list; so does a letter right after one (the list was closed)
      if (ermComplete.opensBy(typed) || (/^[A-Za-z_]$/.test(typed) && /[:.|][A-Za-z_]$/.test(before))) {
        if (!cm.state.completionActive) cm.showHint({completeSingle: false});
      }
    });
    root.dataset.vocabulary = "1";
  });

  /* -- history: this browser, this user, newest first -------------------------------------- */
  function readHistory() {
    try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { return []; }
  }
  function remember(text) {
    const kept = [text, ...readHistory().filter((q) => q !== text)].slice(0, HISTORY_MAX);
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(kept)); } catch (e) { /* kept for this page */ }
    showHistory();
  }
  function showHistory() {
    const items = readHistory().map((text, i) => erm.el("li", null,
      erm.el("button", {type: "button", class: "history-item", title: "Put it in the editor",
        onclick: () => { at = i; editor.setValue(text); editor.focus(); }},
      text.length > 160 ? text.slice(0, 160) + "…" : text)));
    historyList.replaceChildren(...items);
  }
  let at = -1;  // the place in the history the editor shows (-1: what was being written)
  let draft = "";
  function recall(step) {
    const kept = readHistory();
    if (at === -1) draft = editor.getValue();
    const next = Math.max(-1, Math.min(kept.length - 1, at + step));
    if (next === at) return;
    at = next;
    editor.setValue(at === -1 ? draft : kept[at]);
    editor.setCursor(editor.lineCount(), 0);
    status.textContent = at === -1 ? "your unsent query" : `earlier query ${at + 1} of ${kept.length}`;
  }
  document.getElementById("history-clear").addEventListener("click", () => {
    try { localStorage.removeItem(HISTORY_KEY); } catch (e) { /* nothing kept */ }
    showHistory();
  });
  showHistory();

  /* -- errors at their place ----------------------------------------------------------------- */
  let marks = [];
  function clearError() {
    marks.forEach((m) => m.clear());
    marks = [];
    editor.eachLine((line) => editor.removeLineClass(line, "background", "error-line"));
    errorBox.hidden = true;
    errorBox.replaceChildren();
  }
  function showError(detail) {
    const {message, line, column} = detail;
    errorBox.replaceChildren(erm.el("p", null, message));
    errorBox.hidden = false;
    if (!line || !column) return;
    const l = Math.min(line, editor.lineCount()) - 1;
    const text = editor.getLine(l);
    const ch = Math.min(column - 1, text.length);
    const word = /^[A-Za-z0-9_]+/.exec(text.slice(ch));
    const end = {line: l, ch: ch + (word ? word[0].length : 1)};
    const start = ch < text.length ? {line: l, ch} : {line: l, ch: Math.max(0, ch - 1)};
    marks.push(editor.markText(start, end, {className: "cm-query-error",
      attributes: {title: message, "data-line": String(line), "data-column": String(column)}}));
    editor.addLineClass(l, "background", "error-line");
    errorBox.append(erm.el("button", {type: "button", onclick: () => { editor.focus(); editor.setCursor({line: l, ch}); }},
      `Go to line ${line}, column ${column}`));
  }
  editor.on("change", () => { if (marks.length) clearError(); });

  /* -- running and stopping ------------------------------------------------------------------ */
  let running = null;  // the run id while a query runs
  function newRunId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  async function cancel() {
    if (!running) return;
    cancelButton.disabled = true;
    status.textContent = "stopping…";
    try {
      const answer = await erm.api(`/api/cypher/runs/${running}/cancel`, {method: "POST",
        headers: {"content-type": "application/json"}, body: "{}"});
      if (!answer.stopped) status.textContent = "stopping: the engine ends it at its timeout";
    } catch (error) {
      status.textContent = "";  // it ended meanwhile: its own answer says how
    }
  }
  cancelButton.addEventListener("click", cancel);

  async function run() {
    if (running) return;
    const text = editor.getValue();
    editor.closeHint();
    clearError();
    erm.showError("");
    const id = running = newRunId();
    root.dataset.state = "running";
    runButton.disabled = true;
    cancelButton.disabled = false;
    status.textContent = "running…";
    const started = performance.now();
    remember(text);
    at = -1;
    try {
      const body = await erm.api("/api/cypher", {method: "POST",
        headers: {"content-type": "application/json"}, body: JSON.stringify({query: text, run_id: id})});
      erm.result(root, body);
      status.textContent = `${body.rows.length} row(s) in ${Math.round(performance.now() - started)} ms`;
      root.dataset.state = "done";
    } catch (error) {
      const detail = error.detail || {message: error.message || String(error)};
      if (detail.kind === "cancelled") {
        status.textContent = `stopped after ${Math.round(performance.now() - started)} ms`;
        root.dataset.state = "cancelled";
      } else {
        status.textContent = "";
        showError(detail);
        root.dataset.state = "error";
      }
    } finally {
      running = null;
      runButton.disabled = false;
      cancelButton.disabled = true;
      root.dataset.done = "1";
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    url.searchParams.set("q", editor.getValue());
    history.replaceState(null, "", url);
    run();
  });
  if (new URLSearchParams(location.search).get("q")) run();
})();
