// Live progress on the computer pages: server-sent events, with polling as the fallback. The events carry
// states and counts only, never personal data. On the QR page a scan moves on to the code confirmation,
// and the QR code is renewed (by reloading the page) shortly before its token expires.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var onQr = location.pathname === "/c/qr";
  var lastState = live.dataset.state || null;
  var seq = parseInt(live.dataset.seq || "0", 10);
  var finals = ["delivered", "acknowledged", "cancelled", "expired", "failed"];

  var counts = document.getElementById("counts");
  function showCounts(c) {
    if (!counts || !c) { return; }
    counts.textContent = counts.dataset.template.replace("{done}", c.done).replace("{records}", c.records);
  }
  function changed(state, scanned) {
    if (onQr) { return scanned || (state && state !== "created" && state !== "opened"); }
    return state && state !== lastState; // a new step: reload for its words; counts change in place
  }
  var renewal = null;
  var replaced = false;
  // Another tab showing this session's QR page issued a newer code: this one no longer works. Say so
  // (and stop renewing, which would in turn break the other tab's code) instead of failing silently.
  function showReplaced() {
    replaced = true;
    if (renewal) { clearTimeout(renewal); }
    var notice = document.getElementById("replaced");
    var layout = document.querySelector(".qr-layout");
    if (layout) { layout.hidden = true; }
    live.hidden = true;
    if (notice) { notice.hidden = false; }
  }
  function handle(state, scanned, c, pairing) {
    if (replaced) { return true; }
    if (changed(state, scanned)) { location.reload(); return true; }
    if (onQr && pairing && live.dataset.pairing && pairing !== live.dataset.pairing) { showReplaced(); return true; }
    showCounts(c);
    return false;
  }
  function check(then) {
    fetch(live.dataset.status, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) { then(handle(s.state, s.scanned, s.counts, s.pairing)); })
      .catch(function () { then(null); });
  }
  function poll() {
    check(function (done) { if (!done) { setTimeout(poll, done === null ? 5000 : 3000); } });
  }
  if (onQr && live.dataset.renewAfter) {
    renewal = setTimeout(function () { location.reload(); }, parseInt(live.dataset.renewAfter, 10) * 1000);
  }
  if (onQr) {
    // A new code in another tab sends no event: look when this tab is shown again, and every few seconds.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { check(function () {}); }
    });
    (function watchPairing() {
      check(function (done) { if (!done) { setTimeout(watchPairing, 4000); } });
    })();
  }
  if (!onQr && finals.indexOf(lastState) >= 0) { return; }
  if (window.EventSource) {
    var source = new EventSource(live.dataset.events + "?after=" + seq);
    var types = ["pairing.scanned", "pairing.reset", "session.paired", "subject.authenticated", "source.started",
      "source.completed", "source.failed", "source.skipped", "partner.required", "session.review",
      "session.consented", "session.delivered", "session.acknowledged", "session.cancelled",
      "session.expired", "session.failed"];
    types.forEach(function (type) {
      source.addEventListener(type, function (e) {
        var data = {};
        try { data = JSON.parse(e.data); } catch (err) { /* keep going */ }
        if (handle(data.state, type === "pairing.scanned", data.counts)) { source.close(); }
      });
    });
    // A broker that stops for a restart ends the stream with "reconnect": the browser then reconnects (with
    // Last-Event-ID, through the balancer to another broker). Any other end or failure: poll instead.
    var reconnecting = false;
    source.addEventListener("reconnect", function () { reconnecting = true; });
    source.onopen = function () { reconnecting = false; };
    source.onerror = function () {
      if (reconnecting && source.readyState === EventSource.CONNECTING) { reconnecting = false; return; }
      source.close(); poll();
    };
  } else {
    poll();
  }
})();
