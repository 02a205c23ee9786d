// Databrug app service worker. It caches only the app's static files (styles, scripts, icons) so the app
// opens fast from the home screen. Pages, personal data and API answers are never cached: every request
// outside /static/ goes to the network untouched.
"use strict";
var CACHE = "databrug-static-v1";
var STATIC = [
  "/static/databrug.css",
  "/static/app.js",
  "/static/scan.js",
  "/static/progress.js",
  "/static/vendor/zxing-library-0.23.0.min.js",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(STATIC); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/static/") !== 0) {
    return; // not ours to answer: the network handles it, nothing is stored
  }
  event.respondWith(caches.match(event.request).then(function (hit) {
    return hit || fetch(event.request);
  }));
});
