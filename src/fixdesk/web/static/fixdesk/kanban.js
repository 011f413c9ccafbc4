// The kanban board: drag a card onto another column to move the repair. Only the columns the lifecycle
// allows next (the card's data-allowed) accept the drop; the server checks again and a refusal (409) is
// shown above the board. Cards a person may not change are not draggable.
(function () {
  "use strict";

  var dragged = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function allowed(card, column) {
    return (card.getAttribute("data-allowed") || "").split(" ").indexOf(column.getAttribute("data-column")) >= 0;
  }

  function clearTargets(board) {
    board.querySelectorAll(".kanban-column").forEach(function (column) {
      column.classList.remove("kanban-target", "kanban-over");
    });
  }

  function showProblem(html) {
    var region = document.getElementById("board-alerts");
    if (region) region.innerHTML = html;
  }

  function move(card, column) {
    var body = new URLSearchParams();
    body.set("status", column.getAttribute("data-column"));
    body.set("notify", "on");
    body.set("csrftoken", csrfToken());
    return fetch(card.getAttribute("data-action"), {
      method: "POST",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok) {
        var list = column.querySelector(".kanban-cards");
        var empty = list.querySelector(".kanban-empty");
        if (empty) empty.remove();
        list.insertBefore(card, list.firstChild);
        card.setAttribute("data-status", column.getAttribute("data-column"));
        // The card's next states are the new column's: reload the board quietly for them.
        window.location.reload();
        return;
      }
      return response.text().then(showProblem);
    });
  }

  function init() {
    var board = document.querySelector("[data-kanban]");
    if (!board) return;
    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest(".kanban-card[draggable=true]");
      if (!card) return;
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-repair"));
      board.querySelectorAll(".kanban-column").forEach(function (column) {
        if (allowed(card, column)) column.classList.add("kanban-target");
      });
    });
    board.addEventListener("dragend", function () {
      dragged = null;
      clearTargets(board);
    });
    board.addEventListener("dragover", function (event) {
      var column = event.target.closest(".kanban-column");
      if (!dragged || !column || !allowed(dragged, column)) return;
      event.preventDefault();
      column.classList.add("kanban-over");
    });
    board.addEventListener("dragleave", function (event) {
      var column = event.target.closest(".kanban-column");
      if (column && !column.contains(event.relatedTarget)) column.classList.remove("kanban-over");
    });
    board.addEventListener("drop", function (event) {
      var column = event.target.closest(".kanban-column");
      if (!dragged || !column || !allowed(dragged, column)) return;
      event.preventDefault();
      var card = dragged;
      clearTargets(board);
      move(card, column);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
