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

  // An htmx request the server refused (403, 404, 409, 5xx…) swaps nothing: say so at the top of
  // the page, with the server's own words, instead of leaving the click without an answer.
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail && ev.detail.xhr;
    if (!xhr) return;
    var text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var p = doc.querySelector("main .panel-body p, .panel-body p");
      text = p ? p.textContent.trim() : "";
    } catch (e) { /* keep the generic sentence */ }
    if (!text) text = "The server refused this action (" + xhr.status + ").";
    // A refusal of the role ("Your role (manager) does not allow this…") stays so after a reload;
    // anything else may come of a change made meanwhile (the case given to someone else), which a
    // reload shows.
    if (text.indexOf("Your role (") !== 0) {
      text += document.getElementById("case-status") ? " Reload the page to see the case as it is now." : " Reload the page to see it as it is now.";
    }
    showError(text);
  });
  document.addEventListener("htmx:sendError", function () {
    showError("kycdesk could not be reached: check the connection and try again.");
  });

  function showError(text) {
    var main = document.getElementById("main");
    if (!main) return;
    var box = document.getElementById("action-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "action-error";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    box.scrollIntoView({ block: "nearest" });
  }

  // The case timeline's "Show image views" is remembered in this browser, so that a reviewer who
  // hid the views finds them hidden on the next page (after a claim, an edit, an upload) and in a
  // timeline htmx swaps in (after a note).
  var VIEWS_KEY = "kycdesk.timeline.showViews";

  function storedViews() {
    try {
      return window.localStorage.getItem(VIEWS_KEY);
    } catch (e) {
      return null; // storage refused (a private window's policy): the page's own default holds
    }
  }

  function applyViews() {
    var box = document.getElementById("timeline-show-views");
    var v = storedViews();
    if (box && (v === "0" || v === "1")) box.checked = v === "1";
  }

  document.addEventListener("change", function (ev) {
    if (!ev.target || ev.target.id !== "timeline-show-views") return;
    try {
      window.localStorage.setItem(VIEWS_KEY, ev.target.checked ? "1" : "0");
    } catch (e) { /* not remembered: it still applies to this page */ }
  });
  document.addEventListener("htmx:load", applyViews);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", applyViews);
  else applyViews();

  // The Queue link in the top bar goes back to the view of the queue last shown in this tab (its
  // filters, search, sort and page), not to the bare queue: a reviewer working through a filtered
  // view returns to it from a case. The view is the queue's own address, kept per tab.
  var QUEUE_KEY = "kycdesk.queue.view";

  function rememberQueue(path) {
    var m = /^\/cases(\?[^#]*)?$/.exec(path || "");
    if (!m) return;
    try {
      window.sessionStorage.setItem(QUEUE_KEY, m[1] || "");
    } catch (e) { /* not remembered: the link stays the bare queue */ }
  }

  function applyQueueLink() {
    var view;
    try {
      view = window.sessionStorage.getItem(QUEUE_KEY);
    } catch (e) {
      return;
    }
    if (!view || view.charAt(0) !== "?") return;
    var links = document.querySelectorAll('.nav a[href="/cases"], .nav a[data-queue-link]');
    for (var i = 0; i < links.length; i++) {
      links[i].setAttribute("href", "/cases" + view);
      links[i].setAttribute("data-queue-link", "");
      links[i].title = "Back to the queue as you last saw it";
    }
  }

  rememberQueue(window.location.pathname + window.location.search);
  document.addEventListener("htmx:pushedIntoHistory", function (ev) {
    rememberQueue(ev.detail && ev.detail.path);
    applyQueueLink();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", applyQueueLink);
  else applyQueueLink();

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
