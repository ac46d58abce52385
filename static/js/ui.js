// Small behaviours the server-rendered pages share; a file, since the CSP allows no inline script.
// Nothing here is needed for a page to work: without JavaScript, forms post and pages reload.
(function () {
  "use strict";

  // A button with data-dismiss="<id>" empties that element: a toast, or the player bar (which
  // stops Spotify's frame with it).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (!button) return;
    var target = document.getElementById(button.dataset.dismiss);
    if (target) target.replaceChildren();
  });

  // A newer toast replaces the last; Escape dismisses it, when focus is inside it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var toasts = document.getElementById("toasts");
    if (toasts && toasts.contains(document.activeElement)) toasts.replaceChildren();
  });
})();
