// The sales dashboard: draws revenue (online and in store) and visitors from the page's JSON block with
// Chart.js, and lists new orders and customers as they arrive over the WebSocket (live.js). Loaded as a
// file: the pages' CSP forbids inline code.
(function () {
  "use strict";

  function drawCharts() {
    var block = document.getElementById("sales-charts");
    if (!block || typeof window.Chart === "undefined") return;
    var data = JSON.parse(block.textContent);
    var locale = document.documentElement.lang || "en";
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: data.currency });
    var revenue = document.getElementById("chart-sales-revenue");
    var dayOfMonth = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" });
    if (revenue) {
      new window.Chart(revenue, {
        type: "bar",
        data: {
          // A month's days come as YYYY-MM-DD: shown as the reader's "Dec 1".
          labels: data.revenue.labels.map(function (label) {
            return /^\d{4}-\d{2}-\d{2}$/.test(label) ? dayOfMonth.format(new Date(label + "T12:00:00")) : label;
          }),
          datasets: [
            { label: revenue.getAttribute("data-online"), data: data.revenue.online.map(Number) },
            { label: revenue.getAttribute("data-offline"), data: data.revenue.offline.map(Number) },
          ],
        },
        options: {
          maintainAspectRatio: false,
          scales: {
            x: { stacked: true },
            y: { stacked: true, beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } } },
          },
        },
      });
    }
    var visitors = document.getElementById("chart-sales-visitors");
    if (visitors) {
      var weekday = new Intl.DateTimeFormat(locale, { weekday: "short" });
      new window.Chart(visitors, {
        type: "line",
        data: {
          labels: data.visitors.labels.map(function (day) { return weekday.format(new Date(day + "T12:00:00")); }),
          datasets: [
            { label: visitors.getAttribute("data-loyal"), data: data.visitors.loyal, tension: 0.3 },
            { label: visitors.getAttribute("data-new"), data: data.visitors["new"], tension: 0.3 },
            { label: visitors.getAttribute("data-unique"), data: data.visitors.unique, tension: 0.3 },
          ],
        },
        options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
  }

  function listen() {
    var feed = document.getElementById("live-feed");
    if (!feed || !window.fixdeskLive) return;
    var locale = document.documentElement.lang || "en";
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: feed.getAttribute("data-currency") });
    window.fixdeskLive(feed, ["order.created", "customer.created"], function (frame) {
      var data = frame.data || {};
      var item = document.createElement("li");
      item.className = "list-group-item";
      var title = document.createElement("div");
      title.className = "fw-bold";
      var link = document.createElement("a");
      var detail = document.createElement("div");
      detail.className = "small text-secondary";
      if (frame.event === "order.created") {
        item.setAttribute("data-live-order", data.id);
        title.textContent = feed.getAttribute("data-order-label") + " ";
        link.href = "/app/orders/" + data.id;
        link.textContent = data.orderNumber;
        detail.textContent = (data.customerName || "") + " · " + money.format(Number(data.totalAmount));
      } else {
        item.setAttribute("data-live-customer", data.id);
        title.textContent = feed.getAttribute("data-customer-label") + " ";
        link.href = "/app/customers/" + data.id;
        link.textContent = (data.firstName || "") + " " + (data.lastName || "");
        detail.textContent = data.email || data.phone || "";
      }
      title.appendChild(link);
      item.appendChild(title);
      item.appendChild(detail);
      var placeholder = feed.querySelector("[data-placeholder]");
      if (placeholder) placeholder.remove();
      feed.insertBefore(item, feed.firstChild);
      while (feed.children.length > 10) feed.removeChild(feed.lastChild);
    });
  }

  function init() {
    drawCharts();
    listen();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
