// Counts this browser as a visitor of the shop's pages (the sales dashboard's visitor figures): a random id
// kept in this browser's storage is sent to POST /api/v1/visits, at most once a day per tab session. The
// server keeps only a keyed hash of it, never an IP address. The script tag's data-source names the area
// (portal, website); a shop's own website may load this file from Fixdesk's origin (with that origin allowed
// by FIXDESK_CORS_ORIGINS).
(function () {
  "use strict";
  var script = document.currentScript;
  var source = (script && script.dataset.source) || "website";
  var endpoint = new URL("/api/v1/visits", script ? script.src : window.location.href).toString();
  var key = "fixdesk.visitor";
  var visitor;
  var today = new Date().toISOString().slice(0, 10);
  try {
    visitor = window.localStorage.getItem(key);
    if (!visitor) {
      visitor = window.crypto.randomUUID();
      window.localStorage.setItem(key, visitor);
    }
    if (window.sessionStorage.getItem(key + ".counted") === today) {
      return;
    }
    window.sessionStorage.setItem(key + ".counted", today);
  } catch (error) {
    return; // storage refused (private mode): not counted rather than counted on every page
  }
  window
    .fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ visitorId: visitor, source: source }),
      credentials: "omit",
      keepalive: true,
    })
    .catch(function () {});
})();
