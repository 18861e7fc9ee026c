/* Shared helpers of the explorer pages: API calls, errors, tables, detail panels, networks. */
"use strict";
const erm = (() => {
  const errorBox = document.getElementById("error");

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  /* A uid as the tail of a URL path: each `/`-separated segment encoded, so a loader's
     `camunda-order/Process_Order` stays readable and `#`, `?`, `%`, spaces are safe. */
  function uidPath(uid) {
    return uid.split("/").map(encodeURIComponent).join("/");
  }

  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  async function api(path, options) {
    options = Object.assign({}, options);
    options.headers = Object.assign({"x-csrf-token": csrf}, options.headers || {});
    const response = await fetch(path, options);
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const message = body && body.error ? body.error.message : String(body);
      // the whole error shape too: its kind, and where in a query it is (line, column)
      throw Object.assign(new Error(message), {detail: body && body.error ? body.error : {message}});
    }
    return body;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /* Where a record links to: a party's account page, anything else in the explorer; with no
     labels known, `/node/UID` asks the server which. The one place links are made. */
  function href(uid, labels) {
    if (labels && labels.includes("Party")) return `/account/${uidPath(uid)}`;
    if (labels && labels.length) return `/explore?focus=${encodeURIComponent(uid)}`;
    return `/node/${uidPath(uid)}`;
  }

  function link(uid, name, labels) {
    return el("a", {href: href(uid, labels), "data-uid": uid}, name || uid);
  }

  const isUidColumn = (column) => column === "uid" || /(_uid|\.uid)$/.test(column || "");

  /* A result cell with its records as links: nodes, `{uid, name}` maps, lists of them, and
     the values of uid columns. Anything else is text. */
  function linked(column, value) {
    if (value instanceof Node) return value;
    if (typeof value === "string" && isUidColumn(column)) return link(value, value);
    const one = (v) => (v && typeof v === "object" && typeof v.uid === "string"
      ? link(v.uid, v.name, v._labels || v.labels) : null);
    if (one(value)) return one(value);
    if (Array.isArray(value) && value.length && value.every((v) => one(v) || (typeof v === "string" && isUidColumn(column)))) {
      const span = el("span", {});
      value.forEach((v, i) => span.append(...(i ? [", "] : []), one(v) || link(v, v)));
      return span;
    }
    return cell(value);
  }

  function cell(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "object") {
      if (value._labels) return `(${value._labels.join(":")} ${value.name || value.uid || ""})`;
      if (value._type) return `[:${value._type}]`;
      return JSON.stringify(value);
    }
    return String(value);
  }

  function table(columns, rows) {
    return el("table", {class: "grid"},
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", {}, c)))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...row.map((v, i) => el("td", {}, linked(columns[i], v)))))));
  }

  const BIG = 400;   // above this many nodes: no physics, a sunflower layout (instant)

  function network(container, data, options) {
    const list = data.nodes || [];
    const opts = Object.assign({layout: {improvedLayout: list.length <= 150}}, options || {});
    if (list.length > BIG && list.some((n) => n.x === undefined)) {
      list.forEach((n, i) => {
        const r = 40 * Math.sqrt(i);
        Object.assign(n, {x: r * Math.cos(i * 2.39996), y: r * Math.sin(i * 2.39996)});
      });
      opts.physics = {enabled: false};
    }
    const nodes = new vis.DataSet(list);
    const edges = new vis.DataSet(data.edges || []);
    const net = new vis.Network(container, {nodes, edges}, opts);
    net.once("afterDrawing", () => { container.dataset.ready = "1"; document.body.dataset.ready = "1"; });
    return {net, nodes, edges};
  }

  function kv(obj) {
    return el("table", {}, ...Object.entries(obj || {})
      .filter(([k]) => !["created_at", "updated_at", "content_hash"].includes(k))
      .map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, cell(v)))));
  }

  /* The owner controls of a component: find an employee by name, make them its one owner
     (replacing any other), or leave it unowned. Shown to the roles that may (editors). */
  function ownerForm(uid, label, owners, done) {
    const list = `owner-choices-${Math.random().toString(36).slice(2)}`;
    const input = el("input", {name: "employee", list, placeholder: "employee name or uid",
      "aria-label": "new owner", autocomplete: "off", required: ""});
    const choices = el("datalist", {id: list});
    let asked = "";
    input.addEventListener("input", async () => {
      const q = input.value.trim();
      if (q.length < 2 || q === asked) return;
      asked = q;
      const found = await api(`/api/search?label=Employee&limit=10&q=${encodeURIComponent(q)}`);
      if (asked !== q) return;
      choices.replaceChildren(...found.results.map((r) => el("option", {value: r.uid}, r.name)));
    });
    async function change(method, body) {
      const which = `?label=${encodeURIComponent(label)}`;
      await api(`/api/nodes/${uidPath(uid)}/owner${method === "DELETE" ? which : ""}`, {method, body: body && JSON.stringify(body),
        headers: {"content-type": "application/json"}});
      await done();
    }
    const form = el("form", {class: "owner-form", onsubmit: (event) => {
      event.preventDefault();
      change("POST", {employee: input.value.trim(), label}).catch((e) => showError(e.message));
    }}, input, choices, el("button", {type: "submit"}, owners.length ? "Replace owner" : "Set owner"));
    if (owners.length) {
      form.append(el("button", {type: "button", onclick: () => change("DELETE")
        .catch((e) => showError(e.message))}, "Clear owner"));
    }
    return form;
  }

  /* Where a kind of neighbours (relationship type and label) of a record is loaded: the
     explorer around it, that kind first. */
  function kindHref(uid, type, label) {
    return `/explore?focus=${encodeURIComponent(uid)}&k=${encodeURIComponent(`${type}:${label}`)}`;
  }

  /* The detail panel of one record: open cases first, then its fields (bookkeeping left out
     by the server), the people and places it is tied to, its relationships, its timeline;
     every row a link. `options.onKind(type, label)` loads a kind in place (the explorer). */
  async function detail(panel, uid, fallback, options) {
    if (!uid || uid.startsWith("group:") || uid.startsWith("more:")) {
      panel.replaceChildren(el("h2", {}, fallback ? fallback.label : "Group"),
        kv(fallback && fallback.props ? fallback.props : {}));
      return null;
    }
    panel.replaceChildren(el("p", {class: "muted"}, "Loading…"));
    const d = await api(`/api/nodes/${uidPath(uid)}`);
    const rows = (pairs) => el("table", {class: "fields"}, ...pairs.map(([k, v]) => el("tr", {}, el("th", {scope: "row"}, k), el("td", {}, v))));
    const parts = [el("h2", {}, link(d.uid, d.name, d.labels)), el("p", {class: "muted"}, `${d.labels.join(" · ")} · ${d.uid}`),
      el("p", {}, el("a", {href: `/explore?focus=${encodeURIComponent(d.uid)}`}, "explore around it"),
        ...(document.body.dataset.mayRecords === "1" ? [" · ", el("a", {href: `/edit/${uidPath(d.uid)}`, class: "edit-record"}, "edit, link or remove")] : []))];
    if (d.owners.length === 1) parts.push(el("p", {}, "★ Owner: ", link(d.owners[0].uid, d.owners[0].name, ["Employee"])));
    const today = new Date().toISOString().slice(0, 10);
    for (const o of d.owners.filter((o) => o.left_on && o.left_on <= today)) {
      parts.push(el("p", {class: "warning"}, `⚠ Owner has left: ${o.name} (on ${o.left_on})`));
    }
    if (d.component && d.owners.length !== 1) {
      parts.push(el("p", {class: "warning", id: "owner-warning"}, d.owners.length
        ? `⚠ More than one owner: ${d.owners.map((o) => o.name).join(", ")}` : "⚠ No owner"));
    }
    if (d.component && document.body.dataset.mayOwn === "1") {
      parts.push(ownerForm(d.uid, d.label, d.owners, () => (options && options.onOwner ? options.onOwner(d.uid)
        : detail(panel, uid, fallback, options))));
    }
    if (d.open_cases.length) {
      parts.push(el("h3", {}, `Open cases (${d.open_cases.length})`), table(["case", "status", "sev.", "escalated"],
        d.open_cases.map((c) => [link(c.uid, `${c.kind} ${String(c.opened_at || "").slice(0, 10)}`, ["Case"]),
          c.status, c.severity, c.escalated ? "yes" : ""])));
    }
    if (erm.share && ["Opportunity", "Case", "Party"].some((l) => d.labels.includes(l))) {
      const box = el("div", {class: "share-box"});  // the Share control (share.js), filled below
      parts.push(box);
      erm.share(box, d.uid).catch((error) => showError(error.message));
    }
    if (d.fields.length) {
      parts.push(el("h3", {}, "Details"), rows(d.fields.map((f) => [f.title, f.key === "email" ? el("a", {href: `mailto:${f.value}`}, f.value) : cell(f.value)])));
    }
    if (d.ties.length) {
      // a person's title and email when any tie has them (a contact's employer has neither)
      const extra = ["title", "email", "phone"].filter((k) => d.ties.some((t) => t[k]));
      parts.push(el("h3", {}, "People and places"), table(["tie", "name", ...extra],
        d.ties.map((t) => [t.role, link(t.uid, t.name, t.labels), ...extra.map((k) => t[k])])));
    }
    if (d.relationships.length) {
      const kind = (r) => {
        const a = el("a", {href: kindHref(d.uid, r.type, r.label), "data-kind": `${r.type}:${r.label}`}, `${r.count} ${r.type} · ${r.label}`);
        if (options && options.onKind) a.addEventListener("click", (event) => { event.preventDefault(); options.onKind(r.type, r.label); });
        return a;
      };
      parts.push(el("h3", {}, "Relationships"), table(["kind", "dir"], d.relationships.map((r) => [kind(r), r.direction])));
    }
    if (d.timeline.length) {
      parts.push(el("h3", {}, "Interaction timeline"), table(["at", "kind", "channel", "amount"],
        d.timeline.map((t) => [link(t.uid, String(t.at || "").slice(0, 16), ["Interaction"]), t.kind, t.channel, t.amount])));
    }
    if (d.aliases && d.aliases.length) parts.push(el("p", {class: "aliases"}, "Also known as (merged): ", d.aliases.join(", ")));
    if (Object.keys(d.provenance || {}).length) {
      parts.push(el("details", {class: "provenance"}, el("summary", {}, "Where the record came from"),
        rows(Object.entries(d.provenance).map(([k, v]) => [k.replace("_", " "), cell(v)]))));
    }
    panel.replaceChildren(...parts);
    return d;
  }

  function tabs(root) {
    // each tab scrolls on its own: focusable and named, so a keyboard can scroll it too
    root.querySelectorAll(".tabs button").forEach((button) => {
      const tab = root.querySelector(`#${button.dataset.tab}`);
      if (tab) Object.assign(tab, {tabIndex: 0}).setAttribute("aria-label", `${button.textContent} of the result`);
      if (tab) tab.setAttribute("role", "region");
    });
    root.querySelectorAll(".tabs button").forEach((button) => button.addEventListener("click", () => {
      root.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("on", b === button));
      root.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== button.dataset.tab; });
      if (button.dataset.tab === "graph" && root.ermNet) root.ermNet.fit();
    }));
  }

  /* The rows as a table (``makeTable``: the queries page's, formatted for people) and the
     graph they name. */
  function result(root, body, makeTable) {
    // what the engine may have answered wrongly comes first: the rows are read after it
    const warnings = (body.warnings || []).map((w) => el("p", {class: "warning", role: "note"}, "⚠ " + w));
    root.querySelector("#table").replaceChildren(...warnings,
      el("p", {class: "muted"}, `${body.rows.length} row(s)${body.truncated ? " (cut at the row cap)" : ""}`),
      (makeTable || table)(body.columns, body.rows));
    const container = root.querySelector("#graph");
    const paths = body.graph.paths || [];
    let options = {physics: {stabilization: {iterations: 120}}};
    if (paths.length) {
      // a path reads left to right, each node at its place along the first path through it
      const level = new Map();
      for (const path of paths) path.forEach((uid, i) => { if (!level.has(uid)) level.set(uid, i); });
      body.graph.nodes.forEach((n) => { n.level = level.has(n.id) ? level.get(n.id) : 0; });
      options = {physics: false, layout: {hierarchical: {direction: "LR", levelSeparation: 220, nodeSpacing: 90}}};
    }
    const {net} = network(container, body.graph, options);
    root.ermNet = net;
  }

  /* Type-ahead on a text field: names as you type (debounced), arrows to move, Enter to pick,
     Escape to close; an ARIA combobox. `onPick(result)` gets a search result. */
  function typeahead(input, options) {
    const opts = Object.assign({min: 2, limit: 10, delay: 200}, options);
    const id = `ta-${Math.random().toString(36).slice(2)}`;
    const list = el("ul", {id, role: "listbox", class: "results typeahead", "aria-label": "matches"});
    list.hidden = true;
    Object.entries({role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
      "aria-controls": id, autocomplete: "off"}).forEach(([k, v]) => input.setAttribute(k, v));
    input.after(list);
    let found = [], active = -1, timer = null, asked = "";
    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      active = i;
      [...list.children].forEach((li, j) => { li.classList.toggle("on", j === i); li.setAttribute("aria-selected", String(j === i)); });
      if (i >= 0 && list.children[i]) { input.setAttribute("aria-activedescendant", list.children[i].id); list.children[i].scrollIntoView({block: "nearest"}); }
    }
    function pick(i) { const r = found[i]; close(); if (r) opts.onPick(r); }
    async function lookup() {
      const q = input.value.trim();
      if (q.length < opts.min) { close(); return; }
      asked = q;
      const label = opts.label ? `&label=${encodeURIComponent(opts.label)}` : "";
      const body = await api(`/api/search?limit=${opts.limit}${label}&q=${encodeURIComponent(q)}`);
      if (asked !== q) return;
      found = body.results;
      list.replaceChildren(...found.map((r, i) => el("li", {id: `${id}-${i}`, role: "option", "aria-selected": "false",
        "data-uid": r.uid, onmousedown: (e) => { e.preventDefault(); pick(i); }},
        r.name || r.uid, " ", el("span", {class: "muted small"}, `${r.label} · ${r.uid}`))));
      if (!found.length) list.replaceChildren(el("li", {class: "muted", role: "option", "aria-disabled": "true"}, "nothing found"));
      list.hidden = false; input.setAttribute("aria-expanded", "true"); mark(-1);
    }
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => lookup().catch((e) => showError(e.message)), opts.delay); });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden) return;
        e.preventDefault();
        const n = found.length;
        if (n) mark(e.key === "ArrowDown" ? (active + 1) % n : (active - 1 + n) % n);
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault(); pick(active);
      } else if (e.key === "Escape") close();
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
    return {close, lookup};
  }

  /* The nav's search opens what is picked; a field marked `data-lookup="Party"` (or another
     label) gets the picked record's uid. */
  const navSearch = document.getElementById("nav-search");
  if (navSearch) typeahead(navSearch, {onPick: (r) => { location.href = href(r.uid, r.labels); }});
  document.querySelectorAll("input[data-lookup]").forEach((input) => typeahead(input, {
    label: input.dataset.lookup || undefined,
    onPick: (r) => { input.value = r.uid; input.dispatchEvent(new Event("change", {bubbles: true})); }}));
  /* The page furniture of base.html: the skip link lands on the page's <main>, the Menu
     button folds the nav on a phone, the theme toggle flips dark/light and remembers it
     (theme.js applies it on the next page before it draws). */
  function furniture() {
    const main = document.querySelector("main");
    const skip = document.querySelector("a.skip");
    if (main && skip) {
      main.id = main.id || "main";
      main.tabIndex = -1;
      skip.href = `#${main.id}`;
      skip.addEventListener("click", (event) => { event.preventDefault(); main.focus(); });
    }
    const nav = document.querySelector("nav");
    const menu = document.getElementById("nav-toggle");
    if (nav && menu) {
      menu.addEventListener("click", () => {
        menu.setAttribute("aria-expanded", String(nav.classList.toggle("open")));
      });
    }
    /* the nav's menus: one open at a time; a click elsewhere or Escape closes it */
    const menus = [...document.querySelectorAll("nav details.menu")];
    const closeMenus = (except) => menus.forEach((d) => { if (d !== except) d.open = false; });
    menus.forEach((d) => d.addEventListener("toggle", () => { if (d.open) closeMenus(d); }));
    document.addEventListener("click", (event) => {
      if (!event.target.closest("nav details.menu")) closeMenus(null);
    });
    document.addEventListener("keydown", (event) => {
      const open = menus.find((d) => d.open);
      if (event.key === "Escape" && open) { open.open = false; open.querySelector("summary").focus(); }
    });
    const toggle = document.getElementById("theme-toggle");
    if (toggle) {
      const root = document.documentElement;
      const dark = () => root.dataset.theme === "dark" || (root.dataset.theme !== "light"
        && window.matchMedia("(prefers-color-scheme: dark)").matches);
      const show = () => toggle.setAttribute("aria-pressed", String(dark()));
      toggle.addEventListener("click", () => {
        root.dataset.theme = dark() ? "light" : "dark";
        try { localStorage.setItem("erm-theme", root.dataset.theme); } catch (e) { /* kept for this page */ }
        show();
      });
      show();
    }
  }
  furniture();

  window.addEventListener("unhandledrejection", (event) => {
    showError(event.reason && event.reason.message ? event.reason.message : String(event.reason));
    event.preventDefault();
  });

  return {api, el, cell, table, network, detail, ownerForm, showError, tabs, result, kv, uidPath,
    href, link, linked, typeahead, kindHref};
})();
