// Each source shows its own progress while the phone waits for the answer: the tapped source (or, for
// "fetch everything", every source not yet fetched) says it is busy and its buttons pause. Without
// JavaScript the page simply reloads with the result.
(function () {
  "use strict";
  var list = document.querySelector("[data-testid=source-list]");
  if (!list) { return; }
  var busy = list.dataset.busy;
  function markBusy(item) {
    var status = item.querySelector(".status");
    if (status && item.dataset.status !== "done") {
      status.textContent = busy;
      status.className = "status fetching";
      item.setAttribute("aria-busy", "true");
    }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute("action") || "";
    if (action === "/app/fetch-all") {
      Array.prototype.forEach.call(list.querySelectorAll("li[data-source]"), markBusy);
    } else if (/\/fetch$/.test(action)) {
      markBusy(form.closest("li[data-source]"));
    } else {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("form button"), function (b) { b.disabled = true; });
  });
})();
