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
      throw new Error(message);
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
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...row.map((v) => el("td", {}, cell(v)))))));
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

  async function detail(panel, uid, fallback) {
    if (!uid || uid.startsWith("group:") || uid.startsWith("more:")) {
      panel.replaceChildren(el("h2", {}, fallback ? fallback.label : "Group"),
        kv(fallback && fallback.props ? fallback.props : {}));
      return null;
    }
    panel.replaceChildren(el("p", {class: "muted"}, "Loading…"));
    const d = await api(`/api/nodes/${uidPath(uid)}`);
    const parts = [el("h2", {}, d.name), el("p", {class: "muted"}, `${d.labels.join(" · ")} · ${d.uid}`),
      el("p", {}, el("a", {href: `/explore?focus=${encodeURIComponent(d.uid)}`}, "explore around it")),
      kv(d.properties)];
    if (d.owners.length) parts.push(el("p", {}, "★ Owner: ", d.owners.map((o) => o.name).join(", ")));
    if (d.account_owners.length) parts.push(el("p", {}, "Account owner: ", d.account_owners.map((o) => o.name).join(", ")));
    if (d.relationships.length) {
      parts.push(el("h3", {}, "Relationships"), table(["type", "dir", "label", "count"],
        d.relationships.map((r) => [r.type, r.direction, r.label, r.count])));
    }
    if (d.timeline.length) {
      parts.push(el("h3", {}, "Interaction timeline"), table(["at", "kind", "channel", "amount"],
        d.timeline.map((t) => [String(t.at || "").slice(0, 16), t.kind, t.channel, t.amount])));
    }
    if (d.open_cases.length) {
      parts.push(el("h3", {}, "Open cases"), table(["case", "kind", "status", "sev."],
        d.open_cases.map((c) => [c.uid, c.kind, c.status, c.severity])));
    }
    panel.replaceChildren(...parts);
    return d;
  }

  function tabs(root) {
    root.querySelectorAll(".tabs button").forEach((button) => button.addEventListener("click", () => {
      root.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("on", b === button));
      root.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== button.dataset.tab; });
      if (button.dataset.tab === "graph" && root.ermNet) root.ermNet.fit();
    }));
  }

  function result(root, body) {
    // what the engine may have answered wrongly comes first: the rows are read after it
    const warnings = (body.warnings || []).map((w) => el("p", {class: "warning", role: "note"}, "⚠ " + w));
    root.querySelector("#table").replaceChildren(...warnings,
      el("p", {class: "muted"}, `${body.rows.length} row(s)${body.truncated ? " (cut at the row cap)" : ""}`),
      table(body.columns, body.rows));
    const container = root.querySelector("#graph");
    const {net} = network(container, body.graph, {physics: {stabilization: {iterations: 120}}});
    root.ermNet = net;
  }

  window.addEventListener("unhandledrejection", (event) => {
    showError(event.reason && event.reason.message ? event.reason.message : String(event.reason));
    event.preventDefault();
  });

  return {api, el, table, network, detail, showError, tabs, result, kv, uidPath};
})();
