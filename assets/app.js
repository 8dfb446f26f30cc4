// Voelgoed's few lines of script beside htmx: keep live tables short, and say plainly
// when live numbers are stale because the server cannot be reached.
(function () {
  "use strict";

  // Tables marked data-keep-rows="N" keep only their newest N rows, each row once: a
  // stream that opens again from its page's place may resend rows already shown, and
  // the copy on top (where it arrived last) stays.
  function trimTables() {
    document.querySelectorAll("[data-keep-rows]").forEach(function (body) {
      var seen = {};
      for (var i = 0; i < body.rows.length; ) {
        var id = body.rows[i].getAttribute("data-scan-id");
        if (id && seen[id]) {
          body.deleteRow(i);
        } else {
          if (id) seen[id] = true;
          i++;
        }
      }
      var keep = Number(body.getAttribute("data-keep-rows"));
      while (body.rows.length > keep) body.deleteRow(-1);
    });
  }
  document.addEventListener("htmx:sseMessage", trimTables);
  document.addEventListener("htmx:afterSettle", trimTables);

  // A live area (sse-connect) says in its [data-connection] element whether it is live.
  function show(event, live) {
    var area = event.target.closest ? event.target.closest("[sse-connect]") : null;
    if (!area) return;
    if (live) {
      area.removeAttribute("data-stale-since");
    } else if (!area.hasAttribute("data-stale-since")) {
      var now = new Date();
      var time = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      area.setAttribute("data-stale-since", time);
    }
    area.querySelectorAll("[data-connection]").forEach(function (el) {
      el.textContent = live
        ? "Live"
        : "Connection lost since " + area.getAttribute("data-stale-since") + ": numbers are not current";
      el.classList.toggle("stale", !live);
    });
  }
  document.addEventListener("htmx:sseOpen", function (e) { show(e, true); });
  document.addEventListener("htmx:sseError", function (e) { show(e, false); });
})();

// The flash area (#flash) says why an htmx request was refused; the next request that
// succeeds empties it.
document.addEventListener("htmx:afterRequest", function (e) {
  var flash = document.getElementById("flash");
  if (flash && e.detail.successful && e.detail.target !== flash) flash.textContent = "";
});
