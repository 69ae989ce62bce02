// Draws an SPC study's control charts and capability histogram with Chart.js, from the JSON
// the page carries in <script id="spc-data">. Points that break a rule are red, and their
// tooltip names the rule.
(function () {
  "use strict";
  const RULES = {
    nelson1: "beyond a control limit", nelson2: "run on one side of the centre",
    nelson3: "trend up or down", nelson4: "alternating up and down",
    nelson5: "2 of 3 beyond 2 sigma", nelson6: "4 of 5 beyond 1 sigma",
    nelson7: "15 in a row within 1 sigma", nelson8: "8 in a row outside 1 sigma",
    we1: "beyond a control limit", we2: "2 of 3 beyond 2 sigma",
    we3: "4 of 5 beyond 1 sigma", we4: "run on one side of the centre",
  };

  function flags(chart) {
    const byPoint = {};
    Object.entries(chart.violations || {}).forEach(([rule, points]) => {
      points.forEach((i) => { (byPoint[i] = byPoint[i] || []).push(RULES[rule] || rule); });
    });
    return byPoint;
  }

  function series(values, n) {
    return Array.isArray(values) ? values : Array.from({ length: n }, () => values);
  }

  function drawChart(container, chart, spec) {
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", chart.title + " chart");
    canvas.height = 90;
    container.appendChild(canvas);
    const n = chart.statistic.length;
    const labels = Array.from({ length: n }, (_, i) => i + 1);
    const byPoint = flags(chart);
    const pointColors = chart.statistic.map((_, i) => (byPoint[i] ? "#d32f2f" : "#14325c"));
    const pointSizes = chart.statistic.map((_, i) => (byPoint[i] ? 5 : 2.5));
    const line = (label, data, color, dash) => ({
      label, data, borderColor: color, borderWidth: 1.5, borderDash: dash || [],
      pointRadius: 0, stepped: "middle", fill: false,
    });
    const datasets = [
      {
        label: chart.title, data: chart.statistic, borderColor: "#14325c", borderWidth: 1.2,
        pointBackgroundColor: pointColors, pointBorderColor: pointColors, pointRadius: pointSizes,
      },
      line("UCL", series(chart.ucl, n), "#c62828", [6, 4]),
      line("Centre", series(chart.center, n), "#2e7d32"),
      line("LCL", series(chart.lcl, n), "#c62828", [6, 4]),
    ];
    if (spec.first) {
      if (spec.usl !== null) datasets.push(line("USL", series(spec.usl, n), "#6a1b9a", [2, 3]));
      if (spec.lsl !== null) datasets.push(line("LSL", series(spec.lsl, n), "#6a1b9a", [2, 3]));
    }
    new window.Chart(canvas, {
      type: "line",
      data: { labels, datasets },
      options: {
        animation: false,
        interaction: { mode: "nearest", intersect: false },
        plugins: {
          title: { display: true, text: chart.title, align: "start" },
          legend: { labels: { boxWidth: 14, font: { size: 11 } } },
          tooltip: {
            callbacks: {
              afterLabel: (item) => (item.datasetIndex === 0 && byPoint[item.dataIndex]
                ? "Signal: " + byPoint[item.dataIndex].join("; ") : ""),
            },
          },
        },
        scales: { x: { title: { display: true, text: "Sample" } } },
      },
    });
  }

  function drawHistogram(canvas, data) {
    const h = data.histogram;
    const mids = h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
    const scatter = (label, xs, ys, color, dash) => ({
      type: "line", label, data: xs.map((x, i) => ({ x, y: ys[i] })), borderColor: color,
      borderDash: dash || [], pointRadius: 0, borderWidth: 1.5, parsing: false,
    });
    // The percentile method fits no distribution: no curve. Box-Cox and Johnson fits are
    // drawn in data units; a null is where the fitted distribution has no density.
    const fitted = (h.curve_within || []).filter((y) => y !== null);
    const top = Math.max(...h.counts, ...fitted) * 1.1;
    const label = h.curve_label || "Normal";
    const vertical = (label, x, color) => (x === null ? null : {
      type: "line", label, data: [{ x, y: 0 }, { x, y: top }], borderColor: color,
      borderWidth: 1.5, pointRadius: 0, parsing: false,
    });
    const datasets = [
      { type: "bar", label: "Measurements", data: mids.map((x, i) => ({ x, y: h.counts[i] })),
        backgroundColor: "rgba(31, 122, 140, 0.45)", borderColor: "#1f7a8c", borderWidth: 1,
        barPercentage: 1, categoryPercentage: 1, parsing: false },
      h.curve_within ? scatter(label + " (within)", h.curve_x, h.curve_within, "#c62828") : null,
      h.curve_overall
        ? scatter(label + " (overall)", h.curve_x, h.curve_overall, "#2e7d32", [5, 4]) : null,
      vertical("LSL", data.lsl, "#6a1b9a"),
      vertical("USL", data.usl, "#6a1b9a"),
    ].filter(Boolean);
    new window.Chart(canvas, {
      data: { datasets },
      options: {
        animation: false,
        plugins: { title: { display: true, text: "Capability", align: "start" },
                   legend: { labels: { boxWidth: 14, font: { size: 11 } } } },
        scales: { x: { type: "linear", title: { display: true, text: data.unit || "" } },
                  y: { beginAtZero: true, title: { display: true, text: "Count" } } },
      },
    });
  }

  function draw() {
    const source = document.getElementById("spc-data");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    const container = document.getElementById("spc-charts");
    data.charts.forEach((chart, k) => drawChart(container, chart, {
      first: k === 0, lsl: data.lsl, usl: data.usl,
    }));
    const histogram = document.getElementById("spc-histogram");
    if (histogram && data.histogram) drawHistogram(histogram, data);
    container.dataset.drawn = "true";
  }

  if (document.readyState === "complete") draw();
  else window.addEventListener("load", draw);
})();
