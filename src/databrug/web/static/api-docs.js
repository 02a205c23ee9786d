// The provider API's reference at /api/docs: Swagger UI (static/vendor/) over the broker's own OpenAPI
// document. An external script, so that the page runs under the broker's CSP (script-src 'self').
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    deepLinking: true,
    validatorUrl: null, // the badge would load an image from another site (img-src 'self')
    persistAuthorization: false, // an access token stays in this page's memory only
    showExtensions: true,
  });
})();
