// The receivables page: draws revenue invoiced and collected per month (the page's JSON block) with
// Chart.js. Loaded as a file: the pages' CSP forbids inline code.
(function () {
  "use strict";

  function draw() {
    var block = document.getElementById("receivables-chart");
    var canvas = document.getElementById("chart-receivables");
    if (!block || !canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(block.textContent);
    var locale = document.documentElement.lang || "en";
    var monthName = new Intl.DateTimeFormat(locale, { month: "short", year: "2-digit" });
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: data.currency });
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.months.map(function (day) {
          return monthName.format(new Date(day + "T12:00:00"));
        }),
        datasets: [
          { label: canvas.getAttribute("data-invoiced"), data: data.invoiced.map(Number) },
          { label: canvas.getAttribute("data-collected"), data: data.collected.map(Number) },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } } } },
      },
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
