// Starts Swagger UI on the API documentation page (templates/api/docs.html). A file, not an inline
// script, so the page's Content-Security-Policy needs no 'unsafe-inline' (app/security_headers.py).
(function () {
  "use strict";
  var WRITES = ["POST", "PUT", "PATCH", "DELETE"];

  function start() {
    var root = document.getElementById("swagger-ui");
    var csrf = document.querySelector('meta[name="csrf-token"]');
    window.ui = SwaggerUIBundle({
      url: root.dataset.specUrl,
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null, // no request to validator.swagger.io: the page stays on this site
      // A logged-in browser's writes need the CSRF token; a request with a Bearer token does not.
      requestInterceptor: function (request) {
        var method = (request.method || "GET").toUpperCase();
        if (csrf && WRITES.indexOf(method) >= 0 && !request.headers.Authorization) {
          request.headers["X-CSRFToken"] = csrf.content;
        }
        return request;
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
