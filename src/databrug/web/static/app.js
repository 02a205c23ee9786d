// Makes the phone pages an installable app: registers the service worker (static files only).
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(function () { /* works without */ });
  }
})();
