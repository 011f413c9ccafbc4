// Live events for pages: window.fixdeskLive(element, events, onEvent) opens the API's WebSocket at the
// element's data-live-endpoint (authenticated by the browser's session), subscribes to the event
// patterns (["repair.*"]), calls onEvent(frame) once per event id, and reconnects with a growing delay
// if the socket drops (not after 4401/4403: not signed in or not allowed).
(function () {
  "use strict";

  window.fixdeskLive = function (element, events, onEvent) {
    if (!element || !window.WebSocket) return;
    var delay = 1000;
    var seen = {};
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + element.getAttribute("data-live-endpoint");

    function connect() {
      var socket = new WebSocket(url);
      socket.addEventListener("open", function () {
        delay = 1000;
        socket.send(JSON.stringify({ type: "subscribe", events: events }));
      });
      socket.addEventListener("message", function (message) {
        var frame;
        try {
          frame = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        if (frame.type !== "event" || seen[frame.id]) return;
        seen[frame.id] = true;
        onEvent(frame);
      });
      socket.addEventListener("close", function (event) {
        if (event.code === 4401 || event.code === 4403) return;
        window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    connect();
  };
})();
