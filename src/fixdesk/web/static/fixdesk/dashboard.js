// The dashboard: draws the charts from the page's JSON block with Chart.js, and keeps the summary live.
// It listens to the same WebSocket as the API (live.js) and, when a repair.* event arrives, fires
// "fixdesk:repair-event" on the body: the summary's hx-trigger has htmx fetch it again.
(function () {
  "use strict";

  function drawCharts() {
    var block = document.getElementById("dashboard-charts");
    if (!block || typeof window.Chart === "undefined") return;
    var data = JSON.parse(block.textContent);
    var locale = document.documentElement.lang || "en";
    var revenueCanvas = document.getElementById("chart-revenue");
    var repairsCanvas = document.getElementById("chart-repairs");
    var format = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" });
    var labels = data.days.map(function (day) {
      return format.format(new Date(day + "T12:00:00"));
    });
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: data.currency });
    new window.Chart(revenueCanvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [{ label: revenueCanvas.getAttribute("data-label"), data: data.revenue.map(Number), tension: 0.3, fill: true }],
      },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } } } },
      },
    });
    new window.Chart(repairsCanvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: repairsCanvas.getAttribute("data-label"), data: data.repairs }] },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function connect() {
    window.fixdeskLive(document.getElementById("live-status"), ["repair.*"], function (frame) {
      if (String(frame.event).indexOf("repair.") === 0) {
        document.body.dispatchEvent(new CustomEvent("fixdesk:repair-event", { detail: frame }));
      }
    });
  }

  function init() {
    drawCharts();
    connect();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
