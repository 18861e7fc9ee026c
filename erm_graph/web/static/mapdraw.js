/* The relationship map's picture, shared by the map page (map.js) and its exports (the page's
   PNG/SVG buttons, `erm viz map -o map.png|svg|pdf` and /api/maps/UID/export, which load this
   same file in headless Chromium: erm_graph/viz/export.py).

   Why our own SVG and not vis-network: a map must leave the page as a file for slides and
   print. An SVG drawing is that file already (the SVG export is the page's own element, the
   PDF keeps text as text and lines as vectors, the PNG is the same SVG rasterised); its text
   is real text at a known size, so "readable at the default zoom" is a number we can hold;
   and its colours come from CSS variables, so dark mode is the stylesheet's job. vis-network
   paints a canvas: exports would need a second renderer, and labels shrink with the fit.

   Where things go (ELK, elkjs' layered algorithm, computes the positions):
   - the flow runs left to right in the middle: a layered graph with ports (flow enters a step
     on its west side and leaves on its east), orthogonal arrows, the steps of a sub-process
     drawn inside their parent step;
   - above it the performers: one box per department with its people inside (ELK's box
     packing), each box over the steps it performs; people without a department on the map
     in a box named after theirs;
   - below it the documents, materials, databases and systems, each under its steps;
   - the parties at the left and right, their links routed in a channel of their own under
     the flow and entering a step from below: a party's line never runs along a flow arrow
     (it is dashed orange, ends in a dot, and no segment of it lies on a flow segment's line).
*/
"use strict";
const ermMapDraw = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const FONT = 14;          // names
  const SMALL = 13;         // owner lines, edge labels: the smallest text drawn
  const LINE = 18;
  const PAD = 8;
  const ICON = 16;
  const FAMILY = "'DejaVu Sans', Verdana, Arial, sans-serif";
  const GAP = 24;           // between boxes in a band
  const BAND = 80;          // between a band and the flow
  /* The smallest zoom the page opens at: the smallest text (13 px) stays above 12 px. */
  const READABLE = 0.95;

  /* How each kind of link is drawn; the legend is made from this table too. */
  const LINKS = {
    NEXT: {name: "Flow: the next step", stroke: "var(--map-flow, #333333)", width: 2.5, end: "arrow"},
    PERFORMS: {name: "Performs the step", stroke: "#4e79a7", width: 1.3},
    USES: {name: "Step uses it", stroke: "#7a7a7a", width: 1.3, dash: "2 4"},
    PRODUCES: {name: "Step produces it", stroke: "#7a7a7a", width: 1.3, dash: "7 4", end: "open"},
    PARTICIPATES_IN: {name: "Party takes part in the step", stroke: "#d35f00", width: 1.6,
      dash: "9 4 2 4", end: "dot"},
    DEPICTS: {name: "Map depicts the process", stroke: "#8c8c8c", width: 1, dash: "4 4"},
  };
  const STEP_SHAPES = {gateway: "diamond", start: "circle", end: "circle", event: "circle"};
  const DOCUMENT_SHAPES = {database: "database", system: "hexagon", material: "triangle"};
  const SHAPES = {Employee: "diamond", Department: "square", Process: "ellipse", Map: "ellipse",
    Step: "square", Document: "page"};

  function shapeOf(node) {
    if (node.category === "Step") return STEP_SHAPES[node.kind] || "square";
    if (node.category === "Document") return DOCUMENT_SHAPES[node.kind] || "page";
    return SHAPES[node.category] || "circle";
  }
  const colorOf = (node) => (node.color && node.color.background) || "#cccccc";

  let ctx = null;
  function textWidth(text, size, bold) {
    ctx = ctx || document.createElement("canvas").getContext("2d");
    ctx.font = `${bold ? "bold " : ""}${size}px ${FAMILY}`;
    return ctx.measureText(text).width;
  }

  /* What a node's box says: its name, then its owner (★) or the missing owner (⚠). */
  function lines(node) {
    const out = [{text: node.name || node.label || node.id, size: FONT, bold: node.band === "flow"}];
    if (node.owner !== undefined) {
      out.push({text: node.owner ? `★ ${node.owner}` : "⚠ no owner", size: SMALL,
        warn: !node.owner});
    }
    return out;
  }

  function measure(node) {
    const text = lines(node);
    const w = Math.max(...text.map((t) => textWidth(t.text, t.size, t.bold)));
    return {width: Math.ceil(w + ICON + 6 + 2 * PAD), height: text.length * LINE + 2 * PAD - 2};
  }

  /* ---- layout ------------------------------------------------------------------------- */
  const elk = () => new ELK();  // elk.bundled.js: no web worker, no bundler
  const ROOT = {"elk.json.shapeCoords": "ROOT", "elk.json.edgeCoords": "ROOT"};

  /* The flow: steps left to right, sub-process steps inside their parent step. */
  async function flowLayout(steps, edges) {
    const ids = new Set(steps.map((s) => s.id));
    const holder = new Map(steps.map((s) => [s.id, ids.has(s.parent) && s.parent !== s.id ? s.parent : null]));
    const elkNode = new Map();
    for (const s of steps) {
      const size = measure(s);
      elkNode.set(s.id, {id: s.id, width: size.width, height: size.height, children: [],
        ports: [{id: `${s.id}:in`, layoutOptions: {"elk.port.side": "WEST"}},
                {id: `${s.id}:out`, layoutOptions: {"elk.port.side": "EAST"}}],
        layoutOptions: {"elk.portConstraints": "FIXED_SIDE"}});
    }
    const top = [];
    for (const s of steps) {
      const parent = holder.get(s.id);
      (parent ? elkNode.get(parent).children : top).push(elkNode.get(s.id));
    }
    for (const n of elkNode.values()) {
      if (!n.children.length) continue;
      // a parent step is a box around its own steps, its name on top
      Object.assign(n.layoutOptions, {"elk.padding": `[top=${n.height + 8},left=14,bottom=14,right=14]`,
        "elk.algorithm": "layered", "elk.direction": "RIGHT", "elk.nodeSize.constraints": "MINIMUM_SIZE",
        "elk.nodeSize.minimum": `(${n.width},${n.height})`});
      delete n.width; delete n.height;
    }
    const flow = edges.filter((e) => e.type === "NEXT" && ids.has(e.from) && ids.has(e.to));
    const graph = {id: "flow", layoutOptions: Object.assign({
      "elk.algorithm": "layered", "elk.direction": "RIGHT", "elk.edgeRouting": "ORTHOGONAL",
      "elk.hierarchyHandling": "INCLUDE_CHILDREN", "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.nodeNode": "36", "elk.spacing.edgeNode": "18", "elk.spacing.edgeEdge": "12",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.edgeLabels.inline": "true"}, ROOT),
    children: top,
    edges: flow.map((e) => ({id: e.id, sources: [`${e.from}:out`], targets: [`${e.to}:in`],
      labels: e.label ? [{text: e.label, width: textWidth(e.label, SMALL) + 6, height: LINE}] : []}))};
    const done = await elk().layout(graph);
    const boxes = new Map();
    (function walk(list) {
      for (const n of list || []) {
        boxes.set(n.id, {x: n.x, y: n.y, w: n.width, h: n.height, parent: holder.get(n.id),
          holds: (n.children || []).length > 0});
        walk(n.children);
      }
    })(done.children);
    const routes = (done.edges || []).map((e) => ({id: e.id,
      points: (e.sections || []).flatMap((s) => [s.startPoint, ...(s.bendPoints || []), s.endPoint])
        .map((p) => [p.x, p.y]),
      label: (e.labels || [])[0]}));
    return {boxes, routes, width: done.width, height: done.height};
  }

  /* x positions near the wanted centres, boxes at least GAP apart, order kept. */
  function spread(items) {
    items.sort((a, b) => a.want - b.want || a.id.localeCompare(b.id));
    let right = -Infinity;
    for (const it of items) { it.x = Math.max(it.want - it.w / 2, right + GAP); right = it.x + it.w; }
    return items;
  }

  /* The performers' band: each department a box with its people inside (ELK box packing). */
  async function performerBoxes(performers, byId) {
    const groups = new Map();
    for (const n of performers) {
      const more = n.id.startsWith("more:");
      const key = n.category === "Department" ? n.id : (n.department || (more ? "more" : "none"));
      if (!groups.has(key)) groups.set(key, {id: key, head: null, people: [], more, name: more ? "" : "No department"});
      const g = groups.get(key);
      if (n.category === "Department") g.head = n;
      else { g.people.push(n); if (n.department_name) g.name = n.department_name; }
    }
    const children = [...groups.values()].map((g) => {
      const head = g.head ? measure(g.head) : {width: textWidth(g.name, FONT, true) + 2 * PAD, height: g.name ? LINE + PAD : 0};
      return {id: `box:${g.id}`, layoutOptions: {"elk.algorithm": "box", "elk.aspectRatio": "4",
        "elk.spacing.nodeNode": "10", "elk.padding": `[top=${head.height + 10},left=10,bottom=10,right=10]`,
        "elk.nodeSize.constraints": "MINIMUM_SIZE", "elk.nodeSize.minimum": `(${head.width + 20},${head.height + 20})`},
      children: g.people.sort((a, b) => (b.activity || 0) - (a.activity || 0) || a.name.localeCompare(b.name))
        .map((p) => Object.assign({id: p.id}, measure(p)))};
    });
    const done = await elk().layout({id: "performers", children,
      layoutOptions: Object.assign({"elk.algorithm": "box", "elk.spacing.nodeNode": `${GAP}`}, ROOT)});
    return [...groups.values()].map((g) => {
      const box = done.children.find((c) => c.id === `box:${g.id}`);
      return {id: g.id, head: g.head, more: g.more, name: g.head ? g.head.name : g.name, w: box.width, h: box.height,
        inside: (box.children || []).map((c) => ({node: byId.get(c.id), dx: c.x - box.x, dy: c.y - box.y, w: c.width, h: c.height})),
        members: [g.head, ...g.people].filter(Boolean)};
    });
  }

  /* Everything's place: {nodes: id -> {x, y, w, h}, groups, links: [{type, points}], width, height}. */
  async function layout(data) {
    const byId = new Map(data.nodes.map((n) => [n.id, n]));
    const band = (b) => data.nodes.filter((n) => n.band === b);
    const steps = band("flow");
    const flow = await flowLayout(steps, data.edges);
    const stepsOf = new Map();
    for (const e of data.edges) {
      for (const [a, b] of [[e.from, e.to], [e.to, e.from]]) {
        if (flow.boxes.has(b) && !flow.boxes.has(a)) (stepsOf.get(a) || stepsOf.set(a, []).get(a)).push(b);
      }
    }
    const centreOf = (id) => { const b = flow.boxes.get(id); return b.x + b.w / 2; };
    const want = (ids) => (ids.length ? ids.reduce((s, id) => s + centreOf(id), 0) / ids.length : flow.width / 2);
    const pos = new Map();
    const groups = [];
    const sized = (n) => { const m = measure(n); return {id: n.id, want: want(stepsOf.get(n.id) || []), w: m.width, h: m.height}; };

    const boxes = await performerBoxes(band("performer"), byId);
    spread(boxes.map((b) => Object.assign(b, {want: want(b.members.flatMap((m) => stepsOf.get(m.id) || []))})));
    const perfH = Math.max(0, ...boxes.map((b) => b.h));
    for (const b of boxes) {
      b.y = perfH - b.h;
      if (!b.more) groups.push({id: b.id, name: b.name, x: b.x, y: b.y, w: b.w, h: b.h, node: b.head ? b.head.id : null});
      if (b.head) pos.set(b.head.id, {x: b.x, y: b.y, w: b.w, h: b.h, box: true});
      // a person's links leave from the bottom of their department's box, not across the
      // people drawn under them
      for (const c of b.inside) pos.set(c.node.id, {x: b.x + c.dx, y: b.y + c.dy, w: c.w, h: c.h, bottom: b.y + b.h});
    }
    const flowY = perfH + BAND;
    for (const [id, b] of flow.boxes) pos.set(id, {x: b.x, y: b.y + flowY, w: b.w, h: b.h, holds: b.holds});
    const flowBottom = flowY + flow.height;

    // the parties: half on each side, those of the early steps on the left
    const parties = band("party").map((n) => sized(n))
      .sort((a, b) => (a.id.startsWith("more:") - b.id.startsWith("more:")) || a.want - b.want || a.id.localeCompare(b.id));
    const half = Math.ceil(parties.filter((p) => !p.id.startsWith("more:")).length / 2);
    const sides = {left: parties.slice(0, half), right: parties.slice(half)};
    const linked = parties.filter((p) => (stepsOf.get(p.id) || []).length);
    const channelTop = flowBottom + 18;
    const channelBottom = channelTop + linked.length * 7;
    const docY = channelBottom + BAND;
    const docs = spread(band("document").map((n) => sized(n)));
    for (const d of docs) pos.set(d.id, {x: d.x, y: docY, w: d.w, h: d.h});
    const docBottom = docs.length ? docY + Math.max(...docs.map((d) => d.h)) : channelBottom;

    const xs = [...pos.values()].map((p) => [p.x, p.x + p.w]).flat();
    const left = Math.min(0, ...xs), right = Math.max(flow.width, ...xs);
    const busGap = 30 + linked.length * 7;
    const flowLevels = flow.routes.flatMap((r) => r.points.slice(1).filter((q, i) => q[1] === r.points[i][1])
      .map((q) => q[1] + flowY));
    const links = [];
    let lane = 0;
    for (const [side, list] of Object.entries(sides)) {
      const colW = Math.max(0, ...list.map((p) => p.w));
      const x0 = side === "left" ? left - busGap - colW : right + busGap;
      const total = list.reduce((s, p) => s + p.h + 10, -10);
      let y = Math.max(0, flowY + flow.height / 2 - total / 2);
      list.forEach((p, i) => {
        const x = side === "left" ? x0 + colW - p.w : x0;
        pos.set(p.id, {x, y, w: p.w, h: p.h});
        const to = stepsOf.get(p.id) || [];
        if (to.length) {
          // stub out of the party's inner side, down (or up) a bus beside the flow, along a
          // channel under the flow, and up into each step's bottom, right of its middle
          const stubX = side === "left" ? x + p.w : x;
          // never level with a flow arrow: a stub there would read as the flow going on
          const level = flowLevels.find((fy) => Math.abs(fy - (y + p.h / 2)) < 6);
          const stubY = level === undefined ? y + p.h / 2 : level + (level > y + p.h / 2 ? -8 : 8);
          const busX = side === "left" ? stubX + 14 + i * 7 : stubX - 14 - i * 7;
          const cy = channelTop + lane * 7;
          lane += 1;
          for (const step of to) {
            const b = pos.get(step);
            const portX = b.x + b.w * 0.62 + ((lane * 5) % Math.max(1, b.w * 0.3));
            links.push({type: "PARTICIPATES_IN", from: p.id, to: step,
              points: [[stubX, stubY], [busX, stubY], [busX, cy], [portX, cy], [portX, b.y + b.h]]});
          }
        }
        y += p.h + 10;
      });
    }
    // the process and the maps that depict it: a title row over everything
    let px = left;
    for (const n of band("process")) {
      const size = measure(n);
      pos.set(n.id, {x: px, y: -size.height - 40, w: size.width, h: size.height});
      px += size.width + 60;
    }
    for (const r of flow.routes) {
      const e = data.edges.find((x) => x.id === r.id);
      links.push({type: "NEXT", from: e.from, to: e.to, points: r.points.map(([x, y]) => [x, y + flowY]),
        label: r.label && e.label ? {text: e.label, x: r.label.x, y: r.label.y + flowY} : null});
    }
    for (const e of data.edges) {
      const a = pos.get(e.from), b = pos.get(e.to);
      if (!a || !b || e.type === "NEXT" || e.type === "PARTICIPATES_IN") continue;
      if (e.type === "PERFORMS") {
        links.push({type: e.type, from: e.from, to: e.to, points: [[a.x + a.w / 2, a.bottom || a.y + a.h], [b.x + b.w / 2, b.y]]});
      } else if (e.type === "USES" || e.type === "PRODUCES") {
        links.push({type: e.type, from: e.from, to: e.to, points: [[a.x + a.w * 0.4, a.y + a.h], [b.x + b.w / 2, b.y]]});
      } else {
        links.push({type: e.type, from: e.from, to: e.to, points: [[a.x + a.w, a.y + a.h / 2], [b.x, b.y + b.h / 2]]});
      }
    }
    const all = [...pos.values()];
    const minX = Math.min(...all.map((p) => p.x)) - 20, minY = Math.min(...all.map((p) => p.y)) - 20;
    const maxX = Math.max(...all.map((p) => p.x + p.w)) + 20;
    const maxY = Math.max(docBottom, ...all.map((p) => p.y + p.h)) + 20;
    return {nodes: pos, groups, links, box: {x: minX, y: minY, w: maxX - minX, h: maxY - minY}};
  }

  /* ---- drawing ------------------------------------------------------------------------ */
  /* Colours given as `var(--map-x, fallback)`: on the page a style (the theme's variable;
     presentation attributes take no var()), in a file its fallback, a plain colour every SVG
     reader knows. */
  let forFile = false;
  const THEMED = /^var\(--[\w-]+, *([^)]+)\)$/;
  function svgEl(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      const themed = typeof v === "string" && v.match(THEMED);
      if (themed && forFile) node.setAttribute(k, themed[1]);
      else if (themed) node.style.setProperty(k, v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }

  /* A kind's mark, ICON px wide, its top left at (x, y). */
  function icon(shape, color, x, y, s = ICON) {
    const c = {fill: color, stroke: "var(--map-line, #333333)", "stroke-width": 1};
    const h = s / 2;
    switch (shape) {
      case "diamond": return svgEl("polygon", Object.assign({points: `${x + h},${y} ${x + s},${y + h} ${x + h},${y + s} ${x},${y + h}`}, c));
      case "circle": return svgEl("circle", Object.assign({cx: x + h, cy: y + h, r: h}, c));
      case "ellipse": return svgEl("ellipse", Object.assign({cx: x + h, cy: y + h, rx: h, ry: h * 0.65}, c));
      case "hexagon": return svgEl("polygon", Object.assign({points: [0, 1, 2, 3, 4, 5].map((i) => `${x + h + h * Math.cos(i * Math.PI / 3)},${y + h + h * Math.sin(i * Math.PI / 3)}`).join(" ")}, c));
      case "triangle": return svgEl("polygon", Object.assign({points: `${x},${y + 2} ${x + s},${y + 2} ${x + h},${y + s}`}, c));
      case "database": return svgEl("g", {}, svgEl("rect", Object.assign({x, y: y + 2, width: s, height: s - 4, rx: 1}, c)),
        svgEl("ellipse", Object.assign({cx: x + h, cy: y + 3, rx: h, ry: 3}, c)));
      case "page": return svgEl("polygon", Object.assign({points: `${x + 2},${y} ${x + s - 5},${y} ${x + s - 2},${y + 3} ${x + s - 2},${y + s} ${x + 2},${y + s}`}, c));
      default: return svgEl("rect", Object.assign({x, y, width: s, height: s, rx: 2}, c));
    }
  }

  function markers() {
    return svgEl("defs", {},
      svgEl("marker", {id: "m-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"},
        svgEl("path", {d: "M0,0 L10,5 L0,10 z", fill: LINKS.NEXT.stroke})),
      svgEl("marker", {id: "m-open", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto"},
        svgEl("path", {d: "M0,0 L10,5 L0,10", fill: "none", stroke: LINKS.PRODUCES.stroke, "stroke-width": 1.5})),
      svgEl("marker", {id: "m-dot", viewBox: "0 0 10 10", refX: 5, refY: 5, markerWidth: 6, markerHeight: 6},
        svgEl("circle", {cx: 5, cy: 5, r: 4, fill: LINKS.PARTICIPATES_IN.stroke})));
  }

  function linkPath(link) {
    const style = LINKS[link.type] || LINKS.DEPICTS;
    const end = {arrow: "url(#m-arrow)", open: "url(#m-open)", dot: "url(#m-dot)"}[style.end];
    return svgEl("polyline", {points: link.points.map((p) => p.join(",")).join(" "), fill: "none",
      stroke: style.stroke, "stroke-width": style.width, "stroke-dasharray": style.dash || null,
      "marker-end": end || null, "data-type": link.type, "data-from": link.from, "data-to": link.to});
  }

  function nodeBox(node, p) {
    const text = lines(node);
    const unowned = node.owner === null;
    const step = node.band === "flow";
    const g = svgEl("g", {class: `map-node band-${node.band}`, "data-uid": node.id,
      transform: `translate(${p.x},${p.y})`});
    g.append(svgEl("title", {}, `${node.category}: ${node.name || node.id}`));
    if (!p.box) {
      g.append(svgEl("rect", {width: p.w, height: p.h, rx: step ? 6 : 4,
        fill: step ? "var(--map-step, #d9eeec)" : "var(--map-chip, #ffffff)",
        stroke: unowned ? "#d62728" : (step ? "#3d8c86" : "var(--map-border, #9aa5b1)"),
        "stroke-width": unowned ? 3 : (step ? 1.5 : 1), "stroke-dasharray": unowned ? "6 4" : null}));
    }
    const headH = text.length * LINE + 2 * PAD - 2;
    g.append(icon(shapeOf(node), colorOf(node), PAD, p.box || p.holds ? PAD + 1 : (p.h - ICON) / 2 - (text.length - 1) * LINE / 2));
    text.forEach((t, i) => {
      g.append(svgEl("text", {x: PAD + ICON + 6, y: PAD + i * LINE + t.size, "font-size": t.size,
        "font-weight": t.bold ? "bold" : null, fill: t.warn ? "var(--map-warn, #b3261e)" : "var(--map-text, #1f2328)"},
      t.text));
    });
    if (p.holds) g.append(svgEl("line", {x1: 0, x2: p.w, y1: headH, y2: headH, stroke: "#3d8c86", "stroke-dasharray": "3 3"}));
    return g;
  }

  function groupBox(group, node) {
    const unowned = node && node.owner === null;
    return svgEl("rect", {x: group.x, y: group.y, width: group.w, height: group.h, rx: 8,
      class: "map-group", "data-group": group.id,
      fill: "var(--map-group, #eef3f8)", stroke: unowned ? "#d62728" : "#2b5d8a",
      "stroke-width": unowned ? 3 : 1.2, "stroke-dasharray": unowned ? "6 4" : (node ? null : "5 3")});
  }

  /* The map as one <svg> in canvas units (1 unit = 1 px at zoom 1). */
  function render(data, geo, options) {
    const opts = Object.assign({legend: false}, options);
    forFile = Boolean(opts.background);  // a file's drawing: plain colours (see svgEl)
    try { return drawing(data, geo, opts); } finally { forFile = false; }
  }

  function drawing(data, geo, opts) {
    const byId = new Map(data.nodes.map((n) => [n.id, n]));
    const {box} = geo;
    let height = box.h;
    const legendGroup = opts.legend ? legendSvg(data, box.x + 10, box.y + box.h) : null;
    if (legendGroup) height += legendGroup.height + 10;
    const svg = svgEl("svg", {viewBox: `${box.x} ${box.y} ${box.w} ${height}`,
      width: box.w, height, "font-family": FAMILY, class: "map-svg"});
    svg.append(markers());
    if (opts.background) svg.append(svgEl("rect", {x: box.x, y: box.y, width: box.w, height, fill: opts.background}));
    if (opts.title) svg.append(svgEl("title", {}, opts.title));
    const groups = svgEl("g", {class: "map-groups"});
    for (const grp of geo.groups) {
      const node = grp.node ? byId.get(grp.node) : null;
      groups.append(groupBox(grp, node));
      if (!node && grp.name) {
        groups.append(svgEl("text", {x: grp.x + 10, y: grp.y + PAD + FONT, "font-size": FONT, "font-weight": "bold",
          fill: "var(--map-text, #1f2328)"}, grp.name));
      }
    }
    const links = svgEl("g", {class: "map-links"});
    for (const l of geo.links) links.append(linkPath(l));
    const labels = svgEl("g", {class: "map-edge-labels"});
    for (const l of geo.links) {
      if (!l.label) continue;
      labels.append(svgEl("text", {x: l.label.x + 3, y: l.label.y + SMALL, "font-size": SMALL,
        fill: "var(--map-text, #1f2328)"}, l.label.text));
    }
    const nodes = svgEl("g", {class: "map-nodes"});
    // parent steps first, so the steps inside them are drawn on top
    const order = [...geo.nodes.entries()].sort((a, b) => (b[1].holds ? 1 : 0) - (a[1].holds ? 1 : 0));
    for (const [id, p] of order) {
      const node = byId.get(id);
      if (node) nodes.append(nodeBox(node, p));
    }
    svg.append(groups, links, nodes, labels);
    if (legendGroup) svg.append(legendGroup.g);
    return svg;
  }

  /* ---- legend: one list of what the map holds, drawn as HTML on the page, SVG in exports */
  function legendItems(data) {
    const kinds = new Map();  // one entry per look: a label's shape and colour, its kinds named
    for (const n of data.nodes) {
      const key = `${n.category}:${shapeOf(n)}:${colorOf(n)}`;
      if (!kinds.has(key)) kinds.set(key, {kind: "node", shape: shapeOf(n), color: colorOf(n), label: n.category, subs: new Set()});
      const sub = n.category === "Step" || n.category === "Document" ? (n.kind || "") : "";
      if (sub && sub !== "task" && sub !== "document") kinds.get(key).subs.add(sub);
    }
    for (const k of kinds.values()) k.text = k.subs.size ? `${k.label} (${[...k.subs].sort().join(", ")})` : k.label;
    const types = new Set(data.edges.map((e) => e.type));
    if (data.nodes.some((n) => n.band === "party")) types.add("PARTICIPATES_IN");
    const lines = Object.entries(LINKS).filter(([t]) => types.has(t))
      .map(([t, s]) => ({kind: "line", type: t, style: s, text: s.name}));
    const marks = [{kind: "mark", text: "★ owner of the component"}];
    if (data.nodes.some((n) => n.owner === null)) marks.push({kind: "mark", warn: true, text: "⚠ no owner (red dashed border)"});
    return [...[...kinds.values()].sort((a, b) => a.text.localeCompare(b.text)), ...lines, ...marks];
  }

  function swatch(item) {
    const svg = svgEl("svg", {width: 34, height: 16, viewBox: "0 0 34 16", "aria-hidden": "true", focusable: "false"});
    if (item.kind === "node") svg.append(icon(item.shape, item.color, 9, 0));
    else if (item.kind === "line") svg.append(linkPath({type: item.type, points: [[2, 8], [30, 8]]}));
    return svg;
  }

  /* The legend as an HTML list (readable by a screen reader; the swatches are decoration). */
  function legendHtml(data) {
    const ul = document.createElement("ul");
    ul.className = "map-legend-list";
    for (const item of legendItems(data)) {
      const li = document.createElement("li");
      li.dataset.kind = item.kind;
      if (item.type) li.dataset.type = item.type;
      if (item.kind !== "mark") li.append(swatch(item));
      const span = document.createElement("span");
      span.textContent = item.text;
      if (item.warn) span.className = "warning-text";
      li.append(span);
      ul.append(li);
    }
    // the swatches use the markers of a drawn map: give the list its own copy
    const defs = svgEl("svg", {width: 0, height: 0, "aria-hidden": "true", focusable: "false", class: "map-defs"}, markers());
    ul.prepend(defs);
    return ul;
  }

  function legendSvg(data, x, y) {
    const g = svgEl("g", {class: "map-legend", transform: `translate(${x},${y})`});
    g.append(svgEl("text", {x: 0, y: FONT, "font-size": FONT, "font-weight": "bold", fill: "var(--map-text, #1f2328)"}, "Legend"));
    let cx = 0, cy = LINE + 6;
    for (const item of legendItems(data)) {
      const w = 40 + textWidth(item.text, SMALL) + 24;
      if (cx + w > 1100 && cx > 0) { cx = 0; cy += LINE + 4; }
      const row = svgEl("g", {transform: `translate(${cx},${cy})`});
      if (item.kind === "node") row.append(icon(item.shape, item.color, 9, 0));
      else if (item.kind === "line") row.append(linkPath({type: item.type, points: [[2, 8], [30, 8]]}));
      row.append(svgEl("text", {x: item.kind === "mark" ? 0 : 38, y: 12, "font-size": SMALL,
        fill: item.warn ? "var(--map-warn, #b3261e)" : "var(--map-text, #1f2328)"}, item.text));
      g.append(row);
      cx += w;
    }
    return {g, height: cy + LINE + 10};
  }

  /* The drawing as a standalone SVG file's text: light colours, a white page, the legend. */
  async function standalone(data, geo, title) {
    const svg = render(data, geo, {legend: true, background: "#ffffff", title});
    return new XMLSerializer().serializeToString(svg);
  }

  /* The standalone SVG rasterised at `scale` (2: sharp on slides), as a PNG blob; a map too
     big for that is drawn smaller, its longest side PNG_MAX pixels (a canvas's limit is near
     32 767, many viewers' near 16 384). */
  const PNG_MAX = 16000;
  function png(svgText, wanted = 2) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const scale = Math.min(wanted, PNG_MAX / img.width, PNG_MAX / img.height);
        const canvas = document.createElement("canvas");
        canvas.width = Math.ceil(img.width * scale);
        canvas.height = Math.ceil(img.height * scale);
        const c = canvas.getContext("2d");
        c.scale(scale, scale);
        c.drawImage(img, 0, 0);
        canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the PNG could not be made"))), "image/png");
      };
      img.onerror = () => reject(new Error("the SVG could not be drawn into a PNG"));
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
    });
  }

  /* The page headless Chromium loads for an export (erm_graph/viz/export.py): the map with
     its legend on white, the page the map's size (for the PDF), the SVG's text and size left
     in the DOM for `--dump-dom` to read; a failure is left there too, to be reported. */
  function exportPage(data, title) {
    (async () => {
      const geo = await layout(data);
      const svg = render(data, geo, {legend: true, background: "#ffffff", title});
      document.getElementById("map").append(svg);
      document.getElementById("svg-source").textContent = new XMLSerializer().serializeToString(svg);
      const w = Math.ceil(Number(svg.getAttribute("width")));
      const h = Math.ceil(Number(svg.getAttribute("height")));
      document.body.dataset.size = `${w}x${h}`;  // the map's own size: the SVG file's
      // a map too big for a PNG or a PDF page is drawn smaller for them (`#zoom=` by export.py)
      const zoom = Number((location.hash.match(/zoom=([\d.]+)/) || [])[1]) || 1;
      svg.setAttribute("width", w * zoom);
      svg.setAttribute("height", h * zoom);
      const page = document.createElement("style");
      page.textContent = `@page { size: ${Math.ceil(w * zoom)}px ${Math.ceil(h * zoom)}px; margin: 0; }`;
      document.head.append(page);
    })().catch((error) => { document.body.dataset.error = String((error && error.stack) || error); });
  }

  return {layout, render, legendHtml, standalone, png, exportPage, READABLE, SMALL, LINKS};
})();
