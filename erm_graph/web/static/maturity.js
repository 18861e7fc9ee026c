/* The maturity page: a radar of the level per area, the trend of kept assessments, and the
   questionnaire, which keeps a new assessment and reloads. */
"use strict";
(() => {
  const found = JSON.parse(document.getElementById("maturity").textContent);
  const text = getComputedStyle(document.body).color;

  function chart(id, option) {
    const box = document.getElementById(id);
    if (!box) return;
    const drawn = echarts.init(box, null, {renderer: "canvas"});
    drawn.on("finished", () => { box.dataset.ready = "1"; });
    drawn.setOption({textStyle: {color: text}, animation: false, ...option});
    new ResizeObserver(() => drawn.resize()).observe(box);
  }

  chart("radar", {
    radar: {indicator: found.areas.map((a) => ({name: a.title, max: 5, min: 0})), radius: "65%",
            axisName: {color: text}},
    series: [{type: "radar", data: [{value: found.areas.map((a) => a.level), name: "level",
                                     areaStyle: {opacity: 0.25}}]}],
    tooltip: {},
  });
  const history = [...found.history].reverse();  // oldest first
  const areas = found.areas.map((a) => [a.area, a.title]);
  chart("trend", {
    tooltip: {trigger: "axis"},
    legend: {textStyle: {color: text}, type: "scroll"},
    xAxis: {type: "category", data: history.map((h) => h.at.slice(0, 10))},
    yAxis: {type: "value", min: 1, max: 5, interval: 1},
    series: [{name: "overall", type: "line", data: history.map((h) => h.overall), lineStyle: {width: 3}},
             ...areas.map(([area, title]) => ({name: title, type: "line",
                                               data: history.map((h) => h.levels[area] ?? null)}))],
  });

  const form = document.getElementById("questionnaire");
  if (form) form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = {};
    for (const input of form.querySelectorAll("input[type=radio]:checked")) answers[input.name] = input.value === "yes";
    try {
      const kept = await erm.api("/api/maturity", {method: "POST", headers: {"content-type": "application/json"},
                                                   body: JSON.stringify({answers})});
      document.getElementById("kept").textContent = `Kept: level ${kept.overall} overall.`;
      window.location.reload();
    } catch (error) {
      erm.showError(error.message);
    }
  });
  document.body.dataset.ready = "1";
})();
