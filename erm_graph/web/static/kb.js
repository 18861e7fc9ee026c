/* The knowledge base page: search articles (GET /api/kb/articles), read one, and, for the roles
   that work accounts, write or change one (POST /api/kb/articles[/UID], audited there).
   `?article=UID` opens that article, `?q=words` runs that search. */
"use strict";
(() => {
  const root = document.getElementById("kb-page");
  if (!root) return;
  const {api, el, uidPath, typeahead, showError, link} = erm;
  const status = document.getElementById("kb-status");
  const results = document.getElementById("kb-results");
  const box = document.getElementById("kb-article");
  const q = document.getElementById("kb-q");
  const editor = document.getElementById("kb-editor");
  const json = (body) => ({method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  let current = null;

  async function search(words) {
    showError("");
    try {
      const found = await api(`/api/kb/articles?q=${encodeURIComponent(words)}`);
      results.replaceChildren(...found.rows.map((a) => el("li", {"data-article": a.uid},
        el("a", {href: `/kb?article=${encodeURIComponent(a.uid)}`, onclick: (event) => { event.preventDefault(); show(a.uid); }}, a.title),
        " ", el("span", {class: "muted small"}, (a.about || []).map((t) => t.name).join(", ")),
        el("div", {class: "small"}, a.excerpt))));
      status.textContent = found.rows.length ? `${found.rows.length} article(s)` : (words ? "No article holds those words." : "No articles yet.");
    } catch (error) { showError(error.message); }
    root.dataset.done = "1";
  }

  async function show(uid) {
    showError("");
    try {
      const a = await api(`/api/kb/articles/${uidPath(uid)}`);
      current = a;
      const list = (items, labels) => items.length ? el("ul", {}, ...items.map((t) => el("li", {}, link(t.uid, t.name, labels)))) : el("p", {class: "muted"}, "none");
      box.replaceChildren(el("h3", {id: "kb-article-title"}, a.title),
        el("p", {class: "muted small"}, `${a.uid}; keywords: ${(a.keywords || []).join(", ") || "none"}; updated ${String(a.updated_at || "").slice(0, 16)}`),
        el("div", {id: "kb-article-body", class: "kb-body"}, a.body),
        el("h4", {}, "Applies to"), list(a.about, undefined),
        el("h4", {}, "Cases it solved"), list(a.solved, ["Case"]),
        editor ? el("button", {type: "button", id: "kb-edit", onclick: () => edit(a)}, "Change this article") : null);
    } catch (error) { showError(error.message); }
  }

  function edit(a) {
    document.getElementById("kb-editor-box").open = true;
    document.getElementById("kb-edit-uid").value = a ? a.uid : "";
    document.getElementById("kb-title").value = a ? a.title : "";
    document.getElementById("kb-body").value = a ? a.body : "";
    document.getElementById("kb-keywords").value = a ? (a.keywords || []).join(", ") : "";
    document.getElementById("kb-about").value = "";
    document.getElementById("kb-about").dataset.uid = "";
  }

  if (editor) {
    const about = document.getElementById("kb-about");
    typeahead(about, {label: "Product", onPick: (r) => { about.value = r.name || r.uid; about.dataset.uid = r.uid; }});
    about.addEventListener("input", () => { about.dataset.uid = ""; });
    document.getElementById("kb-new").addEventListener("click", () => edit(null));
    editor.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError("");
      const uid = document.getElementById("kb-edit-uid").value;
      const body = {title: document.getElementById("kb-title").value, body: document.getElementById("kb-body").value,
        keywords: document.getElementById("kb-keywords").value};
      const product = about.dataset.uid || about.value.trim();
      try {
        const done = uid ? await api(`/api/kb/articles/${uidPath(uid)}`, json(body))
          : await api("/api/kb/articles", json({...body, about: product ? [product] : []}));
        if (uid && product) await api(`/api/kb/articles/${uidPath(uid)}/links`, json({to: product}));
        status.textContent = uid ? `Saved ${done.uid}.` : `Wrote ${done.uid}.`;
        await search(q.value);
        await show(done.uid);
      } catch (error) { showError(error.message); }
    });
  }

  document.getElementById("kb-search").addEventListener("submit", (event) => { event.preventDefault(); search(q.value); });
  const params = new URLSearchParams(location.search);
  q.value = params.get("q") || "";
  search(q.value);
  if (params.get("article")) show(params.get("article"));
})();
