/* Relationship map page: the picture (mapdraw.js: ELK positions, an SVG drawing), its legend,
   zoom and export buttons, the "+N more" lists, and a click on a component for its details.
   Below the map, the same steps as a list in flow order (what a screen reader, a keyboard and
   a phone read). The map opens at a readable zoom (the smallest text at least 12 px): the
   whole map when it fits at that zoom, else its first steps, the rest a scroll away. */
"use strict";
(async () => {
  const {el} = erm;
  const page = document.getElementById("map-page");
  const panel = document.getElementById("detail");
  const container = document.getElementById("graph");
  const params = new URLSearchParams(location.search);
  const data = await erm.api(`/api/maps/${erm.uidPath(page.dataset.uid)}`);
  const geo = await ermMapDraw.layout(data);
  const byId = new Map(data.nodes.map((n) => [n.id, n]));
  for (const n of data.nodes) {  // the drawn place of each node, its centre, for whoever reads the data
    const p = geo.nodes.get(n.id);
    if (p) Object.assign(n, {x: p.x + p.w / 2, y: p.y + p.h / 2});
  }
  const svg = ermMapDraw.render(data, geo);
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", `Relationship map of ${data.process.name}`);
  container.replaceChildren(svg);
  const legend = document.getElementById("map-legend");
  legend.append(ermMapDraw.legendHtml(data));
  if (matchMedia("(max-width: 700px)").matches) legend.open = false;  // a phone: the map first

  /* ---- zoom: the SVG's size, the page scrolls the box ---- */
  let scale = 1;
  function zoom(to, keep) {
    const before = {x: container.scrollLeft + container.clientWidth / 2, y: container.scrollTop + container.clientHeight / 2};
    const ratio = to / scale;
    scale = to;
    svg.setAttribute("width", geo.box.w * scale);
    svg.setAttribute("height", geo.box.h * scale);
    container.dataset.scale = String(scale);
    if (keep) {
      container.scrollLeft = before.x * ratio - container.clientWidth / 2;
      container.scrollTop = before.y * ratio - container.clientHeight / 2;
    }
  }
  const fitScale = () => Math.min(container.clientWidth / geo.box.w, container.clientHeight / geo.box.h);
  function opening() {
    zoom(Math.max(ermMapDraw.READABLE, Math.min(1, fitScale())));
    // too big to show whole: its first step a third of the way in, what performs it above,
    // the parties of the early steps at the left; the rest a scroll away
    const first = data.nodes.filter((n) => n.band === "flow").sort((a, b) => a.x - b.x)[0];
    if (!first) return;
    const leftmost = Math.min(first.x, ...[...geo.nodes.values()].filter((p) => p.x < first.x).map((p) => p.x));
    const onFirst = (first.x - geo.box.x) * scale - container.clientWidth / 3;
    const narrow = container.clientWidth < 700;  // a phone: the first step, not the parties
    container.scrollLeft = Math.max(0, narrow ? onFirst : Math.min(onFirst, (leftmost - geo.box.x - 10) * scale));
    container.scrollTop = Math.max(0, (first.y - geo.box.y) * scale - container.clientHeight * 0.55);
  }
  document.getElementById("zoom-in").addEventListener("click", () => zoom(Math.min(3, scale * 1.25), true));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(Math.max(0.2, scale / 1.25), true));
  document.getElementById("zoom-fit").addEventListener("click", () => zoom(Math.min(1, fitScale())));
  container.addEventListener("keydown", (event) => {
    if (event.target !== container) return;
    if (event.key === "+" || event.key === "=") zoom(Math.min(3, scale * 1.25), true);
    else if (event.key === "-") zoom(Math.max(0.2, scale / 1.25), true);
  });

  /* ---- export: SVG and PNG made here, from the drawing itself; PDF by the server ---- */
  const fileName = (data.process.name || "map").replace(/[^\w.-]+/g, "-").replace(/^-|-$/g, "") || "map";
  function download(blob, name) {
    const a = el("a", {href: URL.createObjectURL(blob), download: name});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
  const title = `Relationship map: ${data.process.name}`;
  document.getElementById("export-svg").addEventListener("click", async () => {
    const text = await ermMapDraw.standalone(data, geo, title);
    download(new Blob([text], {type: "image/svg+xml"}), `${fileName}.svg`);
  });
  document.getElementById("export-png").addEventListener("click", async () => {
    try {
      download(await ermMapDraw.png(await ermMapDraw.standalone(data, geo, title)), `${fileName}.png`);
    } catch (error) { erm.showError(error.message); }
  });

  // the PDF is printed by the server's headless Chromium; its refusal (none installed) is
  // shown as any other error, not saved as a file
  const pdf = document.getElementById("export-pdf");
  pdf.addEventListener("click", async () => {
    pdf.disabled = true;
    pdf.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`/api/maps/${erm.uidPath(page.dataset.uid)}/export?format=pdf`);
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        throw new Error(body && body.error ? body.error.message : `the PDF failed (${response.status})`);
      }
      download(await response.blob(), `${fileName}.pdf`);
    } catch (error) {
      erm.showError(error.message);
    } finally {
      pdf.disabled = false;
      pdf.removeAttribute("aria-busy");
    }
  });

  /* ---- details and the "+N more" lists ---- */
  async function select(uid) {
    const node = byId.get(uid);
    if (!node) return;
    for (const g of svg.querySelectorAll(".map-node.selected")) g.classList.remove("selected");
    const drawn = svg.querySelector(`.map-node[data-uid="${CSS.escape(uid)}"]`);
    if (drawn) drawn.classList.add("selected");
    if (uid.startsWith("more:")) { more(node); return; }
    if (window.ermMapEdit && ermMapEdit.active()) { ermMapEdit.picked(node); return; }  // edit mode: a click fills the form
    const url = new URL(location.href);
    url.searchParams.set("select", uid);
    history.replaceState(null, "", url);
    await erm.detail(panel, uid, {label: node.name, props: {name: node.name}},
      {onOwner: () => location.reload()});  // the map redraws its ★ and ⚠ marks
  }

  const dialog = document.getElementById("more-dialog");
  const search = document.getElementById("more-search");
  const list = document.getElementById("more-list");
  let shown = [];
  function fillMore() {
    const q = search.value.trim().toLowerCase();
    const rows = shown.filter((m) => !q || [m.name, m.label, ...m.steps].join(" ").toLowerCase().includes(q));
    list.replaceChildren(...rows.map((m) => el("li", {"data-uid": m.uid}, erm.link(m.uid, m.name, m.labels),
      " ", el("span", {class: "muted small"}, `${m.label} · ${m.activity} interaction(s) · ${m.steps.join(", ") || "no step"}`))));
    document.getElementById("more-count").textContent = `${rows.length} of ${shown.length}`;
  }
  function more(node) {
    shown = node.members || [];
    document.getElementById("more-title").textContent = `${node.name} on this map`;
    search.value = "";
    fillMore();
    dialog.showModal();
    search.focus();
  }
  search.addEventListener("input", fillMore);
  document.getElementById("more-close").addEventListener("click", () => dialog.close());

  svg.addEventListener("click", (event) => {
    const g = event.target.closest(".map-node");
    if (g) select(g.dataset.uid).catch((e) => erm.showError(e.message));
  });
  // the "+N more" boxes are buttons a keyboard reaches (the rest is in the list of steps)
  for (const g of svg.querySelectorAll(".map-node[data-uid^='more:']")) {
    const node = byId.get(g.dataset.uid);
    Object.entries({tabindex: "0", role: "button", "aria-label": `${node.name}: open the searchable list`})
      .forEach(([k, v]) => g.setAttribute(k, v));
    g.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); more(node); }
    });
  }

  /* The steps in flow order (left to right, then top to bottom) with what each one touches,
     read from the map's own nodes and links so the list and the picture never disagree. */
  function stepList() {
    const steps = data.nodes.filter((n) => n.band === "flow").sort((a, b) => a.x - b.x || a.y - b.y);
    const around = new Map(steps.map((s) => [s.id, {performer: [], document: [], party: []}]));
    for (const e of data.edges) {
      for (const [step, other] of [[e.from, e.to], [e.to, e.from]]) {
        const near = around.get(step);
        const node = byId.get(other);
        if (near && node && near[node.band] && !near[node.band].includes(node)) near[node.band].push(node);
      }
    }
    const names = (items) => items.map((n) => n.name).join(", ") || "none";
    return steps.map((s) => {
      const near = around.get(s.id);
      const owner = s.owner === undefined ? null : (s.owner || "⚠ no owner");
      return el("li", {"data-uid": s.id},
        el("button", {type: "button", class: "step", onclick: () => select(s.id)
          .then(() => panel.focus()).catch((e) => erm.showError(e.message))}, s.name),
        el("dl", {},
          el("dt", {}, "Performed by"), el("dd", {}, names(near.performer)),
          el("dt", {}, "Documents"), el("dd", {}, names(near.document)),
          el("dt", {}, "Parties"), el("dd", {}, names(near.party)),
          owner === null ? null : el("dt", {}, "Owner"), owner === null ? null : el("dd", {}, owner)));
    });
  }
  document.getElementById("steps").replaceChildren(...stepList());
  panel.tabIndex = -1;

  const historyBox = document.getElementById("map-history");
  if (historyBox && location.hash === "#map-history") historyBox.open = true;  // a shared link
  for (const button of document.querySelectorAll("#map-history button.restore")) {
    button.addEventListener("click", async () => {
      const version = Number(button.dataset.version);
      if (!confirm(`Bring version ${version} back as the map's newest version?`)) return;
      try {
        await erm.api(`/api/maps/${erm.uidPath(page.dataset.uid)}/restore`, {
          method: "POST", headers: {"content-type": "application/json"},
          body: JSON.stringify({version})});
        location.reload();
      } catch (error) { erm.showError(error.message); }
    });
  }
  opening();
  if (window.ermMapEdit) ermMapEdit.start({data, page, panel, select});
  /* What the browser tests (and a console) read: the data, the geometry, the zoom. */
  window.ermMap = {data, geometry: geo, svg, select, zoom, scale: () => scale,
    text: (uid) => { const g = svg.querySelector(`.map-node[data-uid="${CSS.escape(uid)}"]`); return g ? g.textContent : null; }};
  container.dataset.ready = "1";
  document.body.dataset.ready = "1";
  if (params.get("select")) await select(params.get("select"));
})().catch((error) => erm.showError(error.message));
