/* A named query's rows drawn as the chart its header declares (erm_graph/query/charts.py),
   with Apache ECharts served from this server (static/vendor/echarts). Rows that share an x
   (and series, or heatmap cell) add up, so a query returning one row per product and period
   still draws one point per period. */
"use strict";
const ermCharts = (() => {
  const PALETTE = ["#2f6fab", "#d9822b", "#3a9b5c", "#b84a62", "#7d5ba6", "#8c6d31", "#2a9d9d", "#c1568f"];

  function sums(spec, columns, rows) {
    const at = (c) => columns.indexOf(c);
    const xi = at(spec.x);
    const xs = [];
    const seen = new Set();
    for (const row of rows) {
      const key = String(row[xi] ?? "");
      if (!seen.has(key)) { seen.add(key); xs.push(key); }
    }
    // a line or heatmap reads along time: its x in order; a bar keeps the query's ranking
    if (spec.kind !== "bar" && spec.kind !== "pie") xs.sort();
    return {xs, at, xi};
  }

  function axisFormat(spec, column) {
    const how = (spec.formats || {})[column];
    return (value) => ermFormat.text(value, how);
  }

  function option(spec, columns, rows) {
    const {xs, at, xi} = sums(spec, columns, rows);
    const label = (c) => ermFormat.title(c);
    const base = {color: PALETTE, animation: false, tooltip: {trigger: spec.kind === "bar" || spec.kind === "line" ? "axis" : "item"},
      grid: {containLabel: true, left: 8, right: 16, top: 40, bottom: 8}};
    if (spec.kind === "heatmap") {
      const yi = at(spec.y[0]);
      const vi = at(spec.value);
      const ys = [];
      for (const row of rows) if (!ys.includes(String(row[yi] ?? ""))) ys.push(String(row[yi] ?? ""));
      const cells = new Map();
      for (const row of rows) {
        const key = `${xs.indexOf(String(row[xi] ?? ""))},${ys.indexOf(String(row[yi] ?? ""))}`;
        cells.set(key, (cells.get(key) || 0) + (Number(row[vi]) || 0));
      }
      const data = [...cells].map(([k, v]) => [...k.split(",").map(Number), v]);
      const max = Math.max(1, ...data.map((d) => d[2]));
      return Object.assign(base, {
        tooltip: {position: "top", formatter: (p) => `${ys[p.value[1]]} · ${xs[p.value[0]]}: ${ermFormat.text(p.value[2], (spec.formats || {})[spec.value])}`},
        grid: {containLabel: true, left: 8, right: 16, top: 16, bottom: 56},
        xAxis: {type: "category", data: xs, splitArea: {show: true},
          axisLabel: {interval: xs.length > 12 ? "auto" : 0, rotate: xs.length > 4 ? 40 : 0}},
        yAxis: {type: "category", data: ys, splitArea: {show: true}},
        visualMap: {min: 0, max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
          inRange: {color: ["#f4f7fb", "#9cc3e6", "#2f6fab", "#b84a62"]}},
        series: [{name: label(spec.value), type: "heatmap", data, label: {show: data.length <= 120}}],
      });
    }
    if (spec.kind === "pie") {
      const vi = at(spec.y[0]);
      const totals = new Map(xs.map((x) => [x, 0]));
      for (const row of rows) totals.set(String(row[xi] ?? ""), totals.get(String(row[xi] ?? "")) + (Number(row[vi]) || 0));
      return Object.assign(base, {legend: {type: "scroll", top: 0},
        series: [{name: label(spec.y[0]), type: "pie", radius: ["35%", "70%"],
          data: [...totals].map(([name, value]) => ({name, value}))}]});
    }
    // bar or line: one series per y column, or per value of the series column
    const groups = new Map();
    for (const row of rows) {
      for (const y of spec.y) {
        const name = spec.series ? String(row[at(spec.series)] ?? "") : label(y);
        if (!groups.has(name)) groups.set(name, new Array(xs.length).fill(null));
        const slot = groups.get(name);
        const i = xs.indexOf(String(row[xi] ?? ""));
        slot[i] = (slot[i] || 0) + (Number(row[at(y)]) || 0);
      }
    }
    const valueFormat = axisFormat(spec, spec.y[0]);
    return Object.assign(base, {
      legend: {type: "scroll", top: 0},
      tooltip: {trigger: "axis", valueFormatter: valueFormat},
      xAxis: {type: "category", data: xs, axisLabel: {rotate: xs.length > 8 ? 40 : 0, width: 140, overflow: "truncate"}},
      yAxis: {type: "value", axisLabel: {formatter: (value) => ermFormat.text(value)}},
      dataZoom: xs.length > 30 ? [{type: "slider", bottom: 0}] : [],
      series: [...groups].map(([name, data]) => ({name, type: spec.kind, data, connectNulls: true,
        emphasis: {focus: "series"}})),
    });
  }

  /* Draw `rows` in `container` (which must have a size); returns the ECharts instance. */
  function draw(container, spec, columns, rows) {
    const old = echarts.getInstanceByDom(container);
    if (old) old.dispose();
    const chart = echarts.init(container, null, {renderer: "canvas"});
    chart.on("finished", () => { container.dataset.ready = "1"; });
    const drawn = option(spec, columns, rows);
    if (spec.kind === "heatmap") {
      // a row of the grid needs room for its label: grow the box, never shrink it
      const needed = 20 * drawn.yAxis.data.length + 100;
      if (container.clientHeight < needed) container.style.height = `${needed}px`;
    }
    chart.setOption(drawn);
    if (!container.ermResizes) {
      container.ermResizes = new ResizeObserver(() => {
        const current = echarts.getInstanceByDom(container);
        if (current) current.resize();
      });
      container.ermResizes.observe(container);
    }
    return chart;
  }

  return {draw, option};
})();
