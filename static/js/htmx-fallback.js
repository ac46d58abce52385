// htmx from this site when the pinned CDN copy didn't load (offline, blocked, proxy).
//
// base.html loads this right after the CDN tag, both `defer`, so it runs once the CDN script has
// run or failed. It is a file, not an inline script: the CSP allows no inline script.
(function () {
  "use strict";
  if (window.htmx) return;
  var script = document.createElement("script");
  script.src = document.currentScript.dataset.htmx;
  script.onload = function () {
    // A script added now runs after DOMContentLoaded, and htmx 2 starts on that event (or when
    // readyState is already "complete", which the load event this script delays can't reach
    // first). Replay the event on the document only, so htmx starts exactly as from the CDN.
    if (document.readyState !== "loading") {
      document.dispatchEvent(new Event("DOMContentLoaded"));
    }
  };
  document.head.appendChild(script);
})();
