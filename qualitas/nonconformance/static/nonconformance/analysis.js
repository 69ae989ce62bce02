// Pareto (bars by weight, line of the cumulative percentage) and the monthly trend, from the
// JSON the page carries in <script id="nc-analysis-data">.
(function () {
  "use strict";
  function draw() {
    const source = document.getElementById("nc-analysis-data");
    if (!source || !window.Chart) return;
    const d = JSON.parse(source.textContent);
    new window.Chart(document.getElementById("nc-pareto"), {
      data: {
        labels: d.labels,
        datasets: [
          { type: "bar", label: d.weight_label, data: d.weights, backgroundColor: "#1f7a8c", yAxisID: "y" },
          { type: "line", label: "Cumulative %", data: d.cumulative, borderColor: "#c62828",
            backgroundColor: "#c62828", yAxisID: "pct", pointRadius: 3 },
        ],
      },
      options: {
        animation: false,
        plugins: {
          title: { display: true, text: "Pareto", align: "start" },
          tooltip: { callbacks: { title: (items) => d.names[items[0].dataIndex] } },
        },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: d.weight_label } },
          pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                 title: { display: true, text: "Cumulative %" } },
        },
      },
    });
    new window.Chart(document.getElementById("nc-trend"), {
      type: "bar",
      data: { labels: d.months, datasets: [{ label: "Nonconformances", data: d.counts, backgroundColor: "#14325c" }] },
      options: { animation: false, plugins: { title: { display: true, text: "Per month", align: "start" },
                 legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    });
    document.body.dataset.chartsDrawn = "true";
  }
  if (document.readyState === "complete") draw();
  else window.addEventListener("load", draw);
})();
