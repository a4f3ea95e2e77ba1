// Decision panel: keyboard shortcuts (a approve, r reject, s request resubmission, e escalate)
// and reasons narrowed to the chosen outcome, in the case decision and the document decision.
// Works with the review workspace, which sends the same keys as "kyc:shortcut" events.
//
// The decision keys are page-wide, so they take only a key nobody else took: not one typed in a
// field, not one a focused widget already handled (the image viewer rotates with r while it has
// the focus, and says so with preventDefault: its listener runs first, on the way up), and not one
// pressed while a dialog is open over the page.
//
// A decision key puts the focus on the reasons, a <select>: there letters and digits choose a
// reason, as in any list, so the page's shortcuts wait; Escape gives the focus back to where it
// was (else to the decision panel), and the shortcuts work again. (In the workspace "?" still
// opens the list of shortcuts from the reasons: static/js/review.js.)
(function () {
  "use strict";

  var keys = { a: "approve", r: "reject", s: "request_resubmission", e: "escalate" };
  // returnTo is where the focus was when a decision key moved it to the reasons.
  var returnTo = null;

  function typing(el) {
    if (!el || el.nodeType !== 1) return false;
    if (el.isContentEditable) return true;
    return !!el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])");
  }

  // dialogOpen: a dialog (the workspace's list of shortcuts) covers the page, so the decision
  // panel under it is not the reviewer's to change by keyboard.
  function dialogOpen() {
    return !!document.querySelector("dialog[open]");
  }

  // narrow offers only the reasons of the chosen outcome: the case decision's (radios) and the
  // document decision's (a select). A reason that no longer fits is let go: for the empty choice
  // where the list has one ("Choose a reason"), else for the first reason that fits, as a select
  // with no empty choice shows one anyway.
  function narrow(form) {
    var chosen = form.querySelector('input[name="outcome"]:checked, select[name="outcome"]');
    var select = form.querySelector('select[name="reason"]');
    if (!select) return;
    var outcome = chosen ? chosen.value : "";
    var keep = false;
    var first = null;
    select.querySelectorAll("optgroup").forEach(function (g) {
      var show = !outcome || g.getAttribute("data-outcome") === outcome;
      g.hidden = !show;
      g.disabled = !show;
      if (show && !first) first = g.querySelector("option");
      if (show && select.selectedOptions[0] && select.selectedOptions[0].parentNode === g) keep = true;
    });
    if (keep) return;
    select.value = select.querySelector('option[value=""]') || !first ? "" : first.value;
  }

  function choose(outcome) {
    var form = document.getElementById("decision-form");
    if (!form) return false;
    var radio = form.querySelector('input[name="outcome"][value="' + outcome + '"]');
    if (!radio) return false;
    radio.checked = true;
    narrow(form);
    var reason = form.querySelector('select[name="reason"]');
    if (reason) {
      if (document.activeElement !== reason) returnTo = document.activeElement;
      reason.focus();
    }
    return true;
  }

  // leaveReasons gives the focus back to the page: where it was before the decision key, or the
  // decision panel when that was nowhere (the page itself) or is gone.
  function leaveReasons(reason) {
    var back = returnTo;
    returnTo = null;
    if (!back || back === document.body || back === document.documentElement || !back.isConnected || back === reason) {
      back = document.getElementById("decision");
    }
    if (back && typeof back.focus === "function") back.focus();
    if (document.activeElement === reason) reason.blur();
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && !ev.defaultPrevented && !dialogOpen() && ev.target && ev.target.matches &&
      ev.target.matches('#decision-form select[name="reason"]')) {
      ev.preventDefault();
      leaveReasons(ev.target);
      return;
    }
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target) || dialogOpen()) return;
    var outcome = keys[ev.key];
    if (outcome && choose(outcome)) ev.preventDefault();
  });

  // Once the reviewer has gone elsewhere (a dialog over the page aside), Escape in the reasons
  // has nowhere older to go back to than the decision panel.
  document.addEventListener("focusin", function (ev) {
    var t = ev.target;
    if (returnTo && t && t.closest && !t.closest('#decision-form select[name="reason"], dialog')) returnTo = null;
  });

  document.addEventListener("kyc:shortcut", function (ev) {
    if (dialogOpen()) return;
    var outcome = ev.detail && keys[ev.detail.key];
    if (outcome) choose(outcome);
  });

  // sides offers, in the document decision's side list, only the sides the chosen document has
  // (data-sides: a passport has no back; the server refuses it too). The options are made anew
  // rather than hidden: a hidden option still shows in some browsers' native lists.
  function sides(form) {
    var doc = form.querySelector("[data-document-select]");
    var list = form.querySelector("[data-side-select]");
    if (!doc || !list) return;
    var chosen = doc.options[doc.selectedIndex];
    var want = chosen ? (chosen.getAttribute("data-sides") || "").split(/\s+/).filter(Boolean) : [];
    var have = Array.prototype.slice.call(list.options, 1).map(function (o) { return o.value; });
    if (want.join(" ") === have.join(" ")) return;
    var keep = list.value;
    while (list.options.length > 1) list.remove(1);
    want.forEach(function (side) {
      var o = document.createElement("option");
      o.value = side;
      o.textContent = side;
      list.add(o);
    });
    list.value = want.indexOf(keep) >= 0 ? keep : "";
  }

  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.name === "outcome" && ev.target.form &&
      (ev.target.form.id === "decision-form" || ev.target.form.id === "document-decision-form")) {
      narrow(ev.target.form);
    }
    if (ev.target && ev.target.hasAttribute && ev.target.hasAttribute("data-document-select")) {
      sides(ev.target.form);
    }
  });

  function init() {
    var form = document.getElementById("decision-form");
    if (form) narrow(form);
    var docForm = document.getElementById("document-decision-form");
    if (docForm) {
      narrow(docForm);
      sides(docForm);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:load", init);
})();
