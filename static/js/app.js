// kycdesk's own script: small behaviours that work under the strict CSP (no inline script).
(function () {
  "use strict";

  // Forms and buttons with data-confirm ask before submitting (plain forms; htmx uses hx-confirm).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  }, true);

  // Select the text of a one-time secret when clicked, and offer to copy it.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.textContent.trim();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(function () {
        btn.textContent = "Copied";
      });
    }
  });
})();
