// The repair page's small behaviours, without inline script (the pages' CSP allows files only):
// copy the tracking link, print the receipt, confirm destructive actions in a <dialog>, and upload a
// photo by dropping it on the drop zone (the file input stays the keyboard and no-script way), and keep
// the status, quotes, lines and timeline live.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // A confirmation <dialog>, built once; resolves with true when the person confirms.
  function confirmDialog(message) {
    return new Promise(function (resolve) {
      var dialog = document.getElementById("confirm-dialog");
      if (!dialog) {
        dialog = document.createElement("dialog");
        dialog.id = "confirm-dialog";
        dialog.className = "confirm-dialog card";
        dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
        dialog.innerHTML =
          '<form method="dialog" class="card-body">' +
          '<p id="confirm-dialog-text" class="mb-3"></p>' +
          '<div class="d-flex gap-2 justify-content-end">' +
          '<button value="cancel" class="btn"></button>' +
          '<button value="confirm" class="btn btn-danger"></button>' +
          "</div></form>";
        document.body.appendChild(dialog);
      }
      var lang = document.documentElement.lang;
      dialog.querySelector("#confirm-dialog-text").textContent = message;
      dialog.querySelector('button[value="cancel"]').textContent = lang === "pt" ? "Voltar" : "Go back";
      dialog.querySelector('button[value="confirm"]').textContent = lang === "pt" ? "Confirmar" : "Confirm";
      dialog.addEventListener(
        "close",
        function () {
          resolve(dialog.returnValue === "confirm");
        },
        { once: true }
      );
      dialog.returnValue = "";
      dialog.showModal();
    });
  }

  // Plain forms with data-confirm (or a submit button with data-confirm, optionally only when the form's
  // status select has the value data-confirm-when-value) ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirmed === "yes") {
      delete form.dataset.confirmed;
      return;
    }
    var message = form.getAttribute("data-confirm");
    var button = form.querySelector("[data-confirm]");
    if (!message && button) {
      var when = button.getAttribute("data-confirm-when-value");
      var select = form.querySelector("select[name=status]");
      if (!when || (select && select.value === when)) message = button.getAttribute("data-confirm");
    }
    // htmx forms confirm through hx-confirm (htmx's own prompt before its request).
    if (!message || form.hasAttribute("hx-post")) return;
    event.preventDefault();
    confirmDialog(message).then(function (confirmed) {
      if (confirmed) {
        form.dataset.confirmed = "yes";
        form.requestSubmit();
      }
    });
  });

  // htmx's confirmation through the same dialog instead of the browser's prompt.
  document.addEventListener("htmx:confirm", function (event) {
    if (!event.detail.question) return;
    event.preventDefault();
    confirmDialog(event.detail.question).then(function (confirmed) {
      if (confirmed) event.detail.issueRequest(true);
    });
  });

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.querySelector(copy.getAttribute("data-copy"));
      if (!field) return;
      field.select();
      var done = function () {
        copy.setAttribute("aria-label", copy.getAttribute("data-copied"));
        copy.classList.add("btn-success");
      };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, done);
      else done();
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });

  // Drag and drop onto the upload form's area: the dropped file becomes the input's file and the form is
  // submitted as if chosen by hand.
  function setUpDropzone(form) {
    var area = form.querySelector("[data-dropzone-area]");
    var input = form.querySelector('input[type="file"]');
    if (!area || !input) return;
    ["dragenter", "dragover"].forEach(function (name) {
      area.addEventListener(name, function (event) {
        event.preventDefault();
        area.classList.add("dropzone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      area.addEventListener(name, function () {
        area.classList.remove("dropzone-active");
      });
    });
    area.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      form.requestSubmit();
    });
  }

  // Live: when the repair changes elsewhere (the customer approves a quote in the portal, a colleague
  // moves it on), the sections showing its state are fetched again and swapped in, except a section the
  // person is typing in. The page listens to the API's WebSocket (live.js).
  var LIVE_SECTIONS = ["heading-status", "status", "quotes", "timeline", "lines"];

  // One refresh at a time; events arriving meanwhile ask for one more afterwards (a quote's approval
  // sends two: the quote's and the repair's).
  var refreshing = false;
  var refreshAgain = false;

  function refreshSections(live) {
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    window
      .fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        LIVE_SECTIONS.forEach(function (id) {
          var current = document.getElementById(id);
          var replacement = fresh.getElementById(id);
          if (!current || !replacement || current.contains(document.activeElement)) return;
          current.replaceWith(replacement);
          if (window.htmx) window.htmx.process(replacement);
        });
        var badge = document.getElementById("heading-status");
        if (badge) live.textContent = badge.textContent.trim();
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (refreshAgain) {
          refreshAgain = false;
          refreshSections(live);
        }
      });
  }

  function connectLive() {
    var live = document.getElementById("live-status");
    if (!live) return;
    var repairId = live.getAttribute("data-repair");
    window.fixdeskLive(live, ["repair.*", "quote.*"], function (frame) {
      if (!frame.data) return;
      var about = String(frame.event).indexOf("quote.") === 0 ? frame.data.repairId : frame.data.id;
      if (about === repairId) refreshSections(live);
    });
  }

  function init() {
    document.querySelectorAll("[data-dropzone]").forEach(setUpDropzone);
    connectLive();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  window.fixdeskCsrfToken = csrfToken;
})();
