// Draws a characteristic's live control chart(s) with Chart.js from the JSON the page
// carries in <script id="live-chart-data">. Points that break a rule are red and their
// tooltip names the rule; the x axis names each point's lot.
(function () {
  "use strict";
  const TITLES = {
    xbar: "X̄", R: "Range", S: "Standard deviation", individuals: "Individuals",
    moving_range: "Moving range", p: "Fraction nonconforming", c: "Defects", u: "Defects per unit",
  };

  function flags(chart) {
    const byPoint = {};
    Object.entries(chart.violations || {}).forEach(([rule, points]) => {
      points.forEach((i) => { (byPoint[i] = byPoint[i] || []).push(rule); });
    });
    return byPoint;
  }

  function series(values, n) {
    return Array.isArray(values) ? values : Array.from({ length: n }, () => values);
  }

  function draw(container, chart, labels, spec, first) {
    const canvas = document.createElement("canvas");
    const title = TITLES[chart.kind] || chart.kind;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title + " chart");
    canvas.height = 90;
    container.appendChild(canvas);
    const n = chart.statistic.length;
    const byPoint = flags(chart);
    const colors = chart.statistic.map((_, i) => (byPoint[i] ? "#d32f2f" : "#14325c"));
    const sizes = chart.statistic.map((_, i) => (byPoint[i] ? 5 : 2));
    const line = (label, data, color, dash) => ({
      label, data, borderColor: color, borderWidth: 1.5, borderDash: dash || [],
      pointRadius: 0, stepped: "middle", fill: false,
    });
    const datasets = [
      {
        label: title, data: chart.statistic, borderColor: "#14325c", borderWidth: 1.2,
        pointBackgroundColor: colors, pointBorderColor: colors, pointRadius: sizes,
      },
      line("UCL", series(chart.ucl, n), "#c62828", [6, 4]),
      line("Centre", series(chart.center, n), "#2e7d32"),
      line("LCL", series(chart.lcl, n), "#c62828", [6, 4]),
    ];
    if (first && spec.kind === "variable" && labels.length && chart.kind === "individuals") {
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
          title: { display: true, text: title, align: "start" },
          legend: { labels: { boxWidth: 14, font: { size: 11 } } },
          tooltip: {
            callbacks: {
              afterLabel: (item) => (item.datasetIndex === 0 && byPoint[item.dataIndex]
                ? "Signal: " + byPoint[item.dataIndex].join(", ") : ""),
            },
          },
        },
        scales: { x: { title: { display: true, text: "Lot" } } },
      },
    });
  }

  function start() {
    const source = document.getElementById("live-chart-data");
    const container = document.getElementById("live-charts");
    if (!source || !container || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    const labels = (data.points || []).map((p, i) => p.lot_number || String(i + 1));
    (data.charts || []).forEach((chart, i) => draw(container, chart, labels, data.characteristic, i === 0));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
