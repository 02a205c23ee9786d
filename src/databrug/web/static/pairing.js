// The phone's code page waits for the computer to confirm the code, then moves on by itself.
(function () {
  "use strict";
  var waiting = document.getElementById("waiting");
  if (!waiting || !window.fetch) { return; }
  function check() {
    fetch(waiting.dataset.poll, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) { location.assign(response.url); } else { setTimeout(check, 2000); }
      })
      .catch(function () { setTimeout(check, 4000); });
  }
  setTimeout(check, 2000);
})();
