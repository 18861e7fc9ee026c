/* A dashboard: each tile runs its named query through the JSON API (with the role's rights)
   and draws its chart, or a short table. A tile's "$me" parameters come bound by the server
   to the user's employee; a tile that needs one when the user has none says so instead.
   Every tile's rows are asked for as soon as this script runs, before the chart library
   (loaded after it) is read; the tiles are drawn once it is. The first chart drawn stamps the
   time since the page started (data-first-chart, in ms) for bench/bench_officer.py. */
"use strict";
(() => {
  const root = document.querySelector("main.dashboard");
  if (!root) return;
  const tiles = JSON.parse(document.getElementById("tiles").textContent);
  const TABLE_ROWS = 12;
  const parsed = new Promise((done) => {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", done);
    else done();
  });

  function rows(tile) {
    if (tile.unlinked) return null;  // a "my ..." tile for a user linked to no employee
    if (tile.panel) return erm.api(`/api/strategy/tiles/${encodeURIComponent(tile.panel)}`);
    const params = new URLSearchParams(tile.params);
    params.set("graph", "false");
    return erm.api(`/api/queries/${encodeURIComponent(tile.query)}?${params}`);
  }

  async function show(section, tile, answer) {
    const status = section.querySelector(".status");
    if (answer === null) {
      status.textContent = tile.unlinked;
      status.classList.add("warning", "unlinked");
      section.dataset.done = "1";
      return;
    }
    try {
      const body = await answer;
      await parsed;
      status.textContent = `${body.rows.length} row(s)`;
      if (tile.chart) {
        const box = section.querySelector(".chart");
        const chart = ermCharts.draw(box, tile.chart, body.columns, body.rows);
        chart.on("finished", () => {
          if (!root.dataset.firstChart) root.dataset.firstChart = String(Math.round(performance.now()));
        });
        section.querySelector("a.png").addEventListener("click", (event) => {
          event.currentTarget.href = chart.getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
        });
        // what the chart shows, as text (for a screen reader, and to read a bar's numbers):
        // written when first opened, so a tile of hundreds of rows costs nothing until then
        const details = section.querySelector("details.chart-rows");
        details.addEventListener("toggle", () => {
          if (details.open && !details.querySelector("table")) {
            details.querySelector(".rows").replaceChildren(
              ermFormat.table(body.columns, body.rows, tile.chart.formats || {}));
          }
        });
      } else {
        section.querySelector(".rows").replaceChildren(
          ermFormat.table(body.columns, body.rows.slice(0, TABLE_ROWS), {}, tile.columns));
        if (body.rows.length > TABLE_ROWS) status.textContent += ` (first ${TABLE_ROWS} shown: open the title for all)`;
      }
    } catch (error) {
      status.textContent = error.message;
      status.classList.add("warning");
    }
    section.dataset.done = "1";
  }

  const answers = tiles.map(rows);
  answers.forEach((a) => a && a.catch(() => {}));  // each is read (and its failure shown) by show
  document.getElementById("print").addEventListener("click", () => window.print());
  Promise.all([...root.querySelectorAll(".tile")].map((s) => {
    const i = Number(s.dataset.index);
    return show(s, tiles[i], answers[i]);
  })).then(() => { root.dataset.done = "1"; });
})();
