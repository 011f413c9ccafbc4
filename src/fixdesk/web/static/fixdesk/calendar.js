// The week calendar (/app/calendar): FullCalendar draws the events of /app/calendar/events; dragging a job
// to another day or hour posts it to its moveUrl. The server checks the booking: a conflict (409) is shown
// above the calendar with "Book it anyway" (the same move with override=1) and "Put it back"; any other
// refusal puts the job back at once and says why.
// Times are the shop's wall-clock times without an offset and the calendar runs in its UTC zone, so the
// browser's own time zone never shifts them; the time of day of a drop is read in that same zone.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function dayOf(moment) {
    return moment.getUTCFullYear() + "-" + pad(moment.getUTCMonth() + 1) + "-" + pad(moment.getUTCDate());
  }

  function clockOf(moment) {
    return pad(moment.getUTCHours()) + ":" + pad(moment.getUTCMinutes());
  }

  function show(templateId, detail) {
    var region = document.getElementById("calendar-alerts");
    var template = document.getElementById(templateId);
    if (!region || !template) return null;
    var alert = template.content.firstElementChild.cloneNode(true);
    var slot = alert.querySelector('[data-slot="detail"]');
    if (slot) slot.textContent = detail || "";
    region.replaceChildren(alert);
    return alert;
  }

  function clear() {
    var region = document.getElementById("calendar-alerts");
    if (region) region.replaceChildren();
  }

  function move(calendar, info, override) {
    var event = info.event;
    var body = new URLSearchParams();
    body.set("date", dayOf(event.start));
    body.set("start", event.allDay ? "" : clockOf(event.start));
    if (override) body.set("override", "1");
    body.set("csrftoken", csrfToken());
    return fetch(event.extendedProps.moveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body,
      credentials: "same-origin",
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return { detail: response.statusText };
          })
          .then(function (answer) {
            return { response: response, answer: answer };
          });
      })
      .then(function (result) {
        var answer = result.answer;
        if (result.response.ok) {
          var when = answer.scheduledDate + (answer.timeWindowStart ? " " + answer.timeWindowStart : "");
          show("calendar-moved", answer.number + " · " + when);
          // The server may have shaped the window (an end kept at the same distance): draw what it stored.
          calendar.refetchEvents();
          return;
        }
        if (result.response.status === 409 && answer.conflicts && !override) {
          var alert = show("calendar-conflict", answer.detail);
          alert.querySelector('[data-action="override"]').addEventListener("click", function () {
            move(calendar, info, true);
          });
          alert.querySelector('[data-action="revert"]').addEventListener("click", function () {
            info.revert();
            clear();
          });
          return;
        }
        info.revert();
        show("calendar-error", answer.detail || answer.title);
      })
      .catch(function (error) {
        info.revert();
        show("calendar-error", String(error));
      });
  }

  function init() {
    var element = document.getElementById("calendar");
    if (!element || !window.FullCalendar) return;
    var narrow = window.matchMedia("(max-width: 767.98px)").matches;
    var canMove = element.getAttribute("data-can-move") === "true";
    var calendar = new window.FullCalendar.Calendar(element, {
      timeZone: "UTC",
      locale: element.getAttribute("data-locale") || "en",
      firstDay: 1,
      initialView: narrow ? "listWeek" : "timeGridWeek",
      initialDate: element.getAttribute("data-week"),
      headerToolbar: { start: "title", center: "", end: "timeGridWeek,listWeek" },
      height: "auto",
      slotMinTime: "06:00",
      slotMaxTime: "21:00",
      scrollTime: "07:00",
      nowIndicator: false,
      allDaySlot: true,
      businessHours: JSON.parse(element.getAttribute("data-business-hours") || "[]"),
      editable: canMove,
      eventDurationEditable: false,
      eventStartEditable: canMove,
      snapDuration: "00:15",
      events: { url: element.getAttribute("data-events-url") },
      eventDrop: function (info) {
        clear();
        move(calendar, info, false);
      },
      eventDidMount: function (info) {
        info.el.setAttribute("data-work-order", info.event.extendedProps.workOrderId);
        info.el.setAttribute(
          "title",
          info.event.extendedProps.number + " · " + info.event.title + (info.event.extendedProps.address ? " · " + info.event.extendedProps.address : "")
        );
      },
    });
    calendar.render();
    element.fixdeskCalendar = calendar;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
