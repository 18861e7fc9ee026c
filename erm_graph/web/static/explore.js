/* The network explorer. Its whole view lives in the URL:
 *   focus=UID depth=N      the neighbourhood loaded first
 *   x=UID (repeated)       each expansion, in order (a uid twice = its second page)
 *   k=TYPE:LABEL[:UID]     a kind of neighbours loaded from "around the centre" or a detail
 *                          panel (repeated: each a next page of that kind; no UID: the centre)
 *   hide=LABEL, hidet=TYPE filters;  size=degree|pagerank|strength;  hops=N around sel=UID
 *   path=A,B               the highlighted shortest path;  q=TEXT  the search box
 *   max=N                  most nodes the first neighbourhood loads (the server caps it too)
 */
"use strict";
(() => {
  const page = document.getElementById("explore-page");
  const caps = JSON.parse(page.dataset.caps);
  const container = document.getElementById("graph");
  const panel = document.getElementById("detail");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const PAGE = Math.min(25, caps.neighbor_cap);
  const BIG = 400;               // above this many nodes: a radial layout instead of physics

  const nodes = new vis.DataSet();
  const edges = new vis.DataSet();
  const state = {focus: null, depth: 1, expanded: [], kinds: [], hide: new Set(), hidet: new Set(),
                 size: "", hops: null, sel: null, path: null, q: "", max: null};
  const pages = new Map();       // uid -> neighbours loaded so far
  let groups = [];               // the centre's neighbours counted by kind (the server's order)
  let pathEdges = new Set();
  let pathNodes = new Set();
  let pathFrom = null;
  let near = null;               // uids within `hops` of `sel`, or null

  const nodeView = new vis.DataView(nodes, {filter: (n) =>
    !(n.labels || [n.category]).some((l) => state.hide.has(l)) && (near === null || near.has(n.id) || n.id.startsWith("more:"))});
  const edgeView = new vis.DataView(edges, {filter: (e) => !state.hidet.has(e.type)});
  const net = new vis.Network(container, {nodes: nodeView, edges: edgeView}, {
    layout: {improvedLayout: false},
    physics: {solver: "forceAtlas2Based", stabilization: {iterations: 120, updateInterval: 40},
              forceAtlas2Based: {gravitationalConstant: -60, springLength: 110}},
    interaction: {hover: true, tooltipDelay: 150, hideEdgesOnDrag: true},
    edges: {smooth: false, arrows: {to: {scaleFactor: 0.5}}},
    nodes: {font: {size: 12}, scaling: {min: 8, max: 42, label: {enabled: false}}},
  });
  window.ermExplorer = {net, nodes, edges, state};
  net.on("afterDrawing", () => { document.body.dataset.ready = "1"; });

  // -- URL state -----------------------------------------------------------------------------
  function readState() {
    const p = new URLSearchParams(location.search);
    state.focus = p.get("focus");
    state.depth = Number(p.get("depth") || 1);
    state.expanded = p.getAll("x");
    state.kinds = p.getAll("k");
    state.hide = new Set(p.getAll("hide"));
    state.hidet = new Set(p.getAll("hidet"));
    state.size = p.get("size") || "";
    state.hops = p.get("hops") ? Number(p.get("hops")) : null;
    state.sel = p.get("sel");
    state.path = p.get("path") ? p.get("path").split(",") : null;
    state.q = p.get("q") || "";
    state.max = p.get("max") ? Number(p.get("max")) : null;
  }
  function writeState() {
    const p = new URLSearchParams();
    if (state.focus) p.set("focus", state.focus);
    if (state.depth !== 1) p.set("depth", state.depth);
    state.expanded.forEach((u) => p.append("x", u));
    state.kinds.forEach((k) => p.append("k", k));
    state.hide.forEach((l) => p.append("hide", l));
    state.hidet.forEach((t) => p.append("hidet", t));
    if (state.size) p.set("size", state.size);
    if (state.hops !== null) p.set("hops", state.hops);
    if (state.sel) p.set("sel", state.sel);
    if (state.path) p.set("path", state.path.join(","));
    if (state.q && !state.focus) p.set("q", state.q);
    if (state.max) p.set("max", state.max);
    history.replaceState(null, "", `/explore?${p}`);
  }

  // -- loading ---------------------------------------------------------------------------------
  function busy(on) {
    document.body.dataset.busy = on ? "1" : "0";
    status.textContent = on ? "loading…" : `${nodes.length} nodes · ${edges.length} relationships`;
  }
  function filterQuery() {
    // the server leaves out what the filters hide, so pages are full and counts count only
    // what can be seen
    const p = new URLSearchParams();
    if (state.hide.size) p.set("hide", [...state.hide].join(","));
    if (state.hidet.size) p.set("hidet", [...state.hidet].join(","));
    return p;
  }
  function add(data) {
    // one update per DataSet: a vis-network redraw per node would be quadratic
    const fresh = data.nodes.filter((n) => !nodes.get(n.id));
    const moreNodes = [];
    const moreEdges = [];
    const gone = [];
    for (const [uid, count] of Object.entries(data.more || {})) {
      const id = `more:${uid}`;
      if (count > 0) {
        moreNodes.push({id, label: `+${count} more`, title: `${count} more neighbours: double-click to load ${PAGE} more`,
                        shape: "box", category: "more", of: uid, color: {background: "#ffffff", border: "#888888"},
                        shapeProperties: {borderDashes: [4, 3]}, font: {color: "#555555"}});
        moreEdges.push({id: `${id}|more`, from: uid, to: id, dashes: true, color: "#bbbbbb", type: "more"});
      } else if (count < 0) {
        // more neighbours, not counted: a dashed border says so; double-click loads them
        const node = fresh.find((n) => n.id === uid) || nodes.get(uid);
        if (node) Object.assign(node, {shapeProperties: {borderDashes: [4, 3]}, borderWidth: 2,
                                       title: `${node.title || ""}\n(more neighbours: double-click)`});
        if (node && !fresh.includes(node)) moreNodes.push(node);
      } else if (nodes.get(id)) {
        gone.push(id);
      }
    }
    nodes.update(fresh.concat(moreNodes));
    edges.update(data.edges.filter((e) => !edges.get(e.id)).concat(moreEdges));
    if (gone.length) { nodes.remove(gone); edges.remove(gone.map((id) => `${id}|more`)); }
    applySize();
  }
  /* How many neighbours of `uid` of one kind are drawn. */
  function shownOf(uid, type, label) {
    const seen = new Set();
    for (const e of edges.get()) {
      if (e.type !== type || (e.from !== uid && e.to !== uid)) continue;
      const other = nodes.get(e.from === uid ? e.to : e.from);
      if (other && other.category === label) seen.add(other.id);
    }
    return seen.size;
  }
  /* "Around the centre": every neighbour of the centre by kind, the most important kind
     first (the server's order), each count a button that loads the next page of its kind. */
  function showGroups() {
    const box = document.getElementById("groups");
    if (!groups.length) { box.replaceChildren(erm.el("p", {class: "muted"}, "No neighbours pass the filters.")); return; }
    box.replaceChildren(erm.el("table", {class: "grid"},
      erm.el("thead", {}, erm.el("tr", {}, erm.el("th", {}, "kind"), erm.el("th", {}, "shown"))),
      erm.el("tbody", {}, ...groups.map((g) => {
        const shown = shownOf(state.focus, g.type, g.label);
        const button = erm.el("button", {type: "button", class: "kind", "data-kind": `${g.type}:${g.label}`,
          title: `load ${Math.min(PAGE, g.count - shown)} more ${g.label} (${g.type})`,
          onclick: () => loadKind(state.focus, g.type, g.label).catch((e) => erm.showError(e.message))},
          `${g.count} ${g.label}`, g.open ? ` (${g.open} open)` : "", erm.el("span", {class: "muted small"}, ` ${g.type}`));
        if (shown >= g.count) button.disabled = true;
        return erm.el("tr", {}, erm.el("td", {}, button), erm.el("td", {}, `${shown}`));
      }))));
  }
  /* The next page of one kind of `uid`'s neighbours, the most important first. Those drawn
     came from pages of the same order (the server's), so they are the first of their kind:
     the next page starts after them. */
  async function loadKind(uid, type, label, record = true) {
    const p = filterQuery();
    p.set("types", type);
    p.set("labels", label);
    p.set("limit", PAGE);
    p.set("offset", shownOf(uid, type, label));
    busy(true);
    try {
      const data = await erm.api(`/api/nodes/${erm.uidPath(uid)}/neighbors?${p}`);
      delete data.more[uid];   // what is left of this kind, not of all its neighbours
      add(data);
      if (uid === state.focus) recount();
      if (record) { state.kinds.push(uid === state.focus ? `${type}:${label}` : `${type}:${label}:${uid}`); writeState(); }
      fitSoon();
    } finally { busy(false); }
  }
  /* The centre's "+N more" after loads by kind: all its neighbours less those drawn. */
  function recount() {
    const total = groups.reduce((n, g) => n + g.count, 0);
    const drawn = new Set();
    for (const e of edges.get()) {
      if (e.type === "more") continue;
      if (e.from === state.focus) drawn.add(e.to); else if (e.to === state.focus) drawn.add(e.from);
    }
    add({nodes: [], edges: [], more: {[state.focus]: Math.max(0, total - drawn.size)}});
    showGroups();
  }
  let fitting = false;
  function fitSoon() {
    // fitted once the layout settles: the whole view on the screen, whatever was added
    if (fitting) return;
    fitting = true;
    net.once("stabilized", () => { fitting = false; net.fit({animation: false}); });
    setTimeout(() => { if (fitting) { fitting = false; net.fit({animation: false}); } }, 3000);
  }
  function radial(rootId) {
    // rings by hop distance, each node near its parent's angle: instant, readable, no physics
    const adj = new Map();
    for (const e of edges.get()) {
      if (!adj.has(e.from)) adj.set(e.from, []);
      if (!adj.has(e.to)) adj.set(e.to, []);
      adj.get(e.from).push(e.to); adj.get(e.to).push(e.from);
    }
    const angle = new Map([[rootId, 0]]);
    const rings = [[rootId]];
    while (true) {
      const next = [];
      for (const u of rings[rings.length - 1]) {
        for (const v of adj.get(u) || []) if (!angle.has(v)) { angle.set(v, angle.get(u)); next.push(v); }
      }
      if (!next.length) break;
      next.sort((a, b) => angle.get(a) - angle.get(b));
      next.forEach((v, i) => angle.set(v, (2 * Math.PI * i) / next.length));
      rings.push(next);
    }
    const update = [];
    rings.forEach((ring, depth) => ring.forEach((id) => {
      const r = depth * Math.max(260, ring.length * 9 / Math.PI);
      update.push({id, x: r * Math.cos(angle.get(id)), y: r * Math.sin(angle.get(id))});
    }));
    nodes.update(update);
  }
  async function expand(uid, record = true) {
    const offset = pages.get(uid) || 0;
    const p = filterQuery();
    p.set("limit", PAGE);
    p.set("offset", offset);
    busy(true);
    try {
      const data = await erm.api(`/api/nodes/${erm.uidPath(uid)}/neighbors?${p}`);
      pages.set(uid, data.next_offset);
      add(data);
      if (uid === state.focus) recount();
      if (record) { state.expanded.push(uid); writeState(); }
      fitSoon();
    } finally { busy(false); }
  }
  async function focus(uid, record = true) {
    nodes.clear(); edges.clear(); pages.clear(); pathEdges = new Set(); pathNodes = new Set();
    document.getElementById("path-box").hidden = true;
    if (record) { state.focus = uid; state.expanded = []; state.kinds = []; state.path = null; state.sel = uid; state.q = ""; writeState(); }
    const p = filterQuery();
    p.set("depth", state.depth);
    p.set("per_node", PAGE);
    p.set("max_nodes", Math.min(state.max || caps.node_cap, caps.node_cap));
    busy(true);
    try {
      const data = await erm.api(`/api/nodes/${erm.uidPath(uid)}/neighborhood?${p}`);
      // the centre's first page is loaded in order; nodes further out got an unordered
      // sample, so their expansion starts again at the first page (duplicates merge)
      pages.set(uid, PAGE);
      add(data);
      groups = (data.groups || []).filter((g) => g.of === uid);
      showGroups();
      if (nodes.length > BIG) { net.setOptions({physics: {enabled: false}}); radial(uid); net.fit(); } else fitSoon();
    } finally { busy(false); }
    if (record) await select(uid);
  }
  async function showPath(a, b, record = true) {
    busy(true);
    try {
      const data = await erm.api(`/api/path?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
      if (!data.edges.length) { erm.showError(`No path of at most 6 hops between ${a} and ${b}.`); return; }
      add(data);
      pathEdges = new Set(data.edges.map((e) => e.id));
      pathNodes = new Set(data.nodes.map((n) => n.id));
      // each hop named along the path, and listed with what it means: why it exists
      edges.update(data.edges.map((e) => ({id: e.id, color: {color: "#d62728"}, width: 4, label: e.type,
                                            font: {align: "top", size: 13, strokeWidth: 3}})));
      showHops(data.hops || []);
      nodes.update(data.nodes.map((n) => ({id: n.id, borderWidth: 4, color: {border: "#d62728", background: nodes.get(n.id).color.background}})));
      if (record) { state.path = [a, b]; writeState(); }
      net.fit({nodes: [...pathNodes], animation: false});
    } finally { busy(false); }
  }

  function showHops(hops) {
    const box = document.getElementById("path-box");
    document.getElementById("path-hops").replaceChildren(...hops.map((h) => erm.el("li", {},
      erm.link(h.from, nodes.get(h.from) ? nodes.get(h.from).label : h.from, (nodes.get(h.from) || {}).labels),
      erm.el("strong", {}, h.forward ? ` —${h.type}→ ` : ` ←${h.type}— `),
      erm.link(h.to, nodes.get(h.to) ? nodes.get(h.to).label : h.to, (nodes.get(h.to) || {}).labels),
      h.why ? erm.el("span", {class: "muted small"}, `: ${h.why}`) : null)));
    box.hidden = !hops.length;
    if (hops.length) box.open = true;
  }

  // -- metrics, focus hops ------------------------------------------------------------------
  function metric(kind) {
    const ids = nodes.getIds().filter((id) => !id.startsWith("more:"));
    const score = new Map(ids.map((id) => [id, 0]));
    const real = edges.get().filter((e) => e.type !== "more");
    if (kind === "degree" || kind === "strength") {
      for (const e of real) {
        const w = kind === "strength" ? (typeof e.value === "number" ? e.value : 1) : 1;
        score.set(e.from, (score.get(e.from) || 0) + w);
        score.set(e.to, (score.get(e.to) || 0) + w);
      }
    } else if (kind === "pagerank") {
      const n = ids.length || 1;
      const deg = new Map(ids.map((id) => [id, 0]));
      real.forEach((e) => { deg.set(e.from, deg.get(e.from) + 1); deg.set(e.to, deg.get(e.to) + 1); });
      let rank = new Map(ids.map((id) => [id, 1 / n]));
      for (let i = 0; i < 30; i++) {
        const next = new Map(ids.map((id) => [id, 0.15 / n]));
        for (const e of real) {   // undirected: rank flows both ways
          next.set(e.to, next.get(e.to) + 0.85 * rank.get(e.from) / deg.get(e.from));
          next.set(e.from, next.get(e.from) + 0.85 * rank.get(e.to) / deg.get(e.to));
        }
        rank = next;
      }
      return rank;
    }
    return score;
  }
  function applySize() {
    const ids = nodes.getIds().filter((id) => !id.startsWith("more:"));
    if (!state.size) { nodes.update(ids.map((id) => ({id, value: undefined}))); return; }
    const score = metric(state.size);
    nodes.update(ids.map((id) => ({id, value: (score.get(id) || 0) + 0.01})));
  }
  function applyHops() {
    if (state.hops === null || !state.sel || !nodes.get(state.sel)) { near = null; }
    else {
      near = new Set([state.sel]);
      let frontier = [state.sel];
      const adj = new Map();
      for (const e of edges.get()) {
        if (!adj.has(e.from)) adj.set(e.from, []);
        if (!adj.has(e.to)) adj.set(e.to, []);
        adj.get(e.from).push(e.to); adj.get(e.to).push(e.from);
      }
      for (let h = 0; h < state.hops; h++) {
        const next = [];
        for (const u of frontier) for (const v of adj.get(u) || []) if (!near.has(v)) { near.add(v); next.push(v); }
        frontier = next;
      }
    }
    nodeView.refresh();
  }

  // -- events ---------------------------------------------------------------------------------
  async function select(uid) {
    state.sel = uid;
    writeState();
    net.selectNodes([uid]);
    applyHops();
    const node = nodes.get(uid);
    await erm.detail(panel, uid, node ? {label: node.label, props: {of: node.of}} : null,
      {onKind: (type, label) => loadKind(uid, type, label).catch((e) => erm.showError(e.message))});
  }
  net.on("click", (event) => { if (event.nodes.length) select(event.nodes[0]).catch((e) => erm.showError(e.message)); });
  net.on("doubleClick", (event) => {
    if (!event.nodes.length) return;
    const id = event.nodes[0];
    const target = id.startsWith("more:") ? nodes.get(id).of : id;
    expand(target).catch((e) => erm.showError(e.message));
  });
  document.getElementById("search").addEventListener("submit", async (event) => {
    event.preventDefault();
    await runSearch(document.getElementById("q").value);
  });
  async function runSearch(text) {
    erm.showError("");
    state.q = text;
    const body = await erm.api(`/api/search?q=${encodeURIComponent(text)}`);
    // each result a button, the first one focused: a keyboard goes on with Tab and Enter
    results.replaceChildren(...body.results.map((r) => erm.el("li", {
      "data-uid": r.uid, onclick: () => { results.hidden = true; focus(r.uid).catch((e) => erm.showError(e.message)); },
    }, erm.el("button", {type: "button"}, `${r.name} `,
      erm.el("span", {class: "muted small"}, `${r.label} · ${r.uid}`)))));
    if (!body.results.length) results.replaceChildren(erm.el("li", {class: "muted"}, "nothing found"));
    results.hidden = false;
    const first = results.querySelector("button");
    if (first) first.focus();
  }
  document.getElementById("size").addEventListener("change", (event) => {
    state.size = event.target.value; writeState(); applySize();
  });
  document.getElementById("hops").addEventListener("change", (event) => {
    state.hops = event.target.value === "" ? null : Number(event.target.value); writeState(); applyHops();
  });
  document.querySelectorAll("#label-filters input, #type-filters input").forEach((input) =>
    input.addEventListener("change", () => {
      const set = input.name === "label" ? state.hide : state.hidet;
      if (input.checked) set.delete(input.value); else set.add(input.value);
      writeState(); nodeView.refresh(); edgeView.refresh();
      // loaded again with the filters: full pages of what shows, counts of what shows
      if (state.focus) replay().catch((e) => erm.showError(e.message));
    }));
  document.getElementById("path-from").addEventListener("click", () => {
    pathFrom = state.sel;
    status.textContent = pathFrom ? `path from ${pathFrom}: select the other end, then “Path to”` : "select a node first";
  });
  document.getElementById("path-to").addEventListener("click", () => {
    if (pathFrom && state.sel && pathFrom !== state.sel) showPath(pathFrom, state.sel).catch((e) => erm.showError(e.message));
  });
  document.getElementById("clear").addEventListener("click", () => { location.href = "/explore"; });

  // -- start: replay the URL ------------------------------------------------------------------
  async function replay() {
    await focus(state.focus, false);
    for (const uid of state.expanded) await expand(uid, false);
    for (const k of state.kinds) {
      const [type, label, ...rest] = k.split(":");
      await loadKind(rest.length ? rest.join(":") : state.focus, type, label, false);
    }
    if (state.path) await showPath(state.path[0], state.path[1], false);
    await select(state.sel || state.focus);  // the centre's details until another is chosen
  }
  (async () => {
    readState();
    document.getElementById("size").value = state.size;
    document.getElementById("hops").value = state.hops === null ? "" : state.hops;
    document.querySelectorAll("#label-filters input").forEach((i) => { i.checked = !state.hide.has(i.value); });
    document.querySelectorAll("#type-filters input").forEach((i) => { i.checked = !state.hidet.has(i.value); });
    document.getElementById("q").value = state.q;
    if (state.focus) {
      await replay();
    } else if (state.q) {
      await runSearch(state.q);
    }
    busy(false);
    document.body.dataset.loaded = "1";
  })().catch((error) => { erm.showError(error.message); document.body.dataset.loaded = "1"; });
})();
