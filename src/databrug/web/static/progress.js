// Live progress on the computer page: server-sent events, with polling as the fallback. No personal data.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var lastState = null;
  function reloadOn(state, scanned) {
    var onQr = location.pathname === "/c/qr";
    if (onQr && (scanned || (state && state !== "created" && state !== "opened"))) { location.reload(); return true; }
    if (!onQr && lastState !== null && state !== lastState) { location.reload(); return true; }
    lastState = state;
    return false;
  }
  function poll() {
    fetch(live.dataset.status, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (s) { if (!reloadOn(s.state, s.scanned)) { setTimeout(poll, 3000); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (window.EventSource) {
    var source = new EventSource(live.dataset.events);
    source.onmessage = function () {};
    ["pairing.scanned", "session.paired", "subject.authenticated", "source.started", "source.completed",
     "source.failed", "source.skipped", "partner.required", "session.review", "session.consented",
     "session.delivered", "session.acknowledged", "session.cancelled", "session.expired", "session.failed"]
      .forEach(function (type) {
        source.addEventListener(type, function (e) {
          var data = JSON.parse(e.data);
          reloadOn(data.state, type === "pairing.scanned");
        });
      });
    source.onerror = function () { source.close(); poll(); };
  } else {
    poll();
  }
})();
