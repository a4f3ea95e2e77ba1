// kycdesk review workspace: field boxes on the image, the side panels, the portrait crops and the
// keyboard. Runs under the strict CSP (no inline script or style; positions are set through the
// CSSOM) and drives the image viewer only through window.kycViewer.
//
// Keyboard: every shortcut is listed in the overlay that "?" opens (web/review.templ keeps the
// list). Nothing fires while the reviewer types in a field; in a list (a <select>, where letters
// choose an option) only "?" does, and Escape is the decision panel's (back to the page). The
// decision keys (a, r, s, e) are not handled here: they are announced as a "kyc:shortcut" event on
// the document, with detail {key, action}, for the decision panel to act on; every other shortcut
// is announced the same way after it ran.
(function () {
  "use strict";

  var ZOOM = 1.25;
  var DECISIONS = { a: "approve", r: "reject", s: "request_resubmission", e: "escalate" };

  function workspace() {
    return document.querySelector("[data-review]");
  }

  function viewerRoot(ws) {
    return ws && ws.querySelector("[data-viewer]");
  }

  // isTyping tells whether a key event belongs to a field the user types in.
  function isTyping(el) {
    if (!el || el.nodeType !== 1) return false;
    if (el.isContentEditable) return true;
    return !!el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])");
  }

  // helpFromList: "?" pressed in a list (a <select>: the reasons, where a decision key puts the
  // focus). Letters and digits choose an option there, but no option starts with "?", so the list
  // of shortcuts still opens. In text fields "?" is a character and nothing fires.
  function helpFromList(ev) {
    return ev.key === "?" && ev.target && ev.target.nodeType === 1 && !!ev.target.closest("select");
  }

  function announce(key, action) {
    document.dispatchEvent(new CustomEvent("kyc:shortcut", { bubbles: true, detail: { key: key, action: action } }));
  }

  // ---- boxes -------------------------------------------------------------------------------

  function parseBox(s) {
    try {
      var v = JSON.parse(s);
      return Array.isArray(v) ? v : null;
    } catch (e) {
      return null;
    }
  }

  function drawCells(ws, cells) {
    var viewer = window.kycViewer, root = viewerRoot(ws);
    if (!viewer || !root) return;
    viewer.clearBoxes(root);
    ws.querySelectorAll(".is-drawn").forEach(function (el) { el.classList.remove("is-drawn"); });
    var drawn = 0;
    cells.forEach(function (btn) {
      var corners = parseBox(btn.getAttribute("data-box"));
      if (!corners) return;
      if (viewer.drawBox(btn.getAttribute("data-frame"), corners, btn.getAttribute("data-label"),
        btn.getAttribute("data-kind"), root)) {
        btn.classList.add("is-drawn");
        drawn++;
      }
    });
    ws.setAttribute("data-boxes", String(drawn));
  }

  function clearBoxes(ws) {
    var root = viewerRoot(ws);
    if (window.kycViewer && root) window.kycViewer.clearBoxes(root);
    ws.querySelectorAll(".is-drawn").forEach(function (el) { el.classList.remove("is-drawn"); });
    ws.setAttribute("data-boxes", "0");
  }

  // ---- panels ------------------------------------------------------------------------------

  function showTab(ws, name, focus) {
    var tab = ws.querySelector('[data-review-tab="' + name + '"]');
    if (!tab) return;
    ws.querySelectorAll("[data-review-tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (focus) tab.focus();
    if (window.history && history.replaceState) {
      var url = new URL(location.href);
      url.searchParams.set("tab", name);
      history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    }
    cropAll(ws);
  }

  // ---- portrait and selfie crops -----------------------------------------------------------

  // crop fits an image, or the part of it data-box names ("x,y,w,h" in the image's stored pixels),
  // into its frame. The display image may be smaller than the stored one: sizes are computed from
  // the stored size, so the box lands right whatever the display resolution.
  function crop(el) {
    var img = el.querySelector("img");
    if (!img) {
      img = document.createElement("img");
      img.alt = el.getAttribute("data-alt") || "";
      img.decoding = "async";
      img.draggable = false;
      img.addEventListener("load", function () { place(el, img); });
      img.setAttribute("src", el.getAttribute("data-src"));
      el.appendChild(img);
    }
    place(el, img);
  }

  // place sizes the crop's window to the part shown, fitted into the frame around it, and moves
  // the image so that part fills the window.
  function place(el, img) {
    var W = parseFloat(el.getAttribute("data-width")) || img.naturalWidth;
    var H = parseFloat(el.getAttribute("data-height")) || img.naturalHeight;
    var frame = el.parentElement;
    var cw = frame ? frame.clientWidth : 0, ch = frame ? frame.clientHeight : 0;
    if (!(W > 0 && H > 0 && cw > 0 && ch > 0)) return;
    var box = String(el.getAttribute("data-box") || "").split(",").map(Number);
    var x = 0, y = 0, w = W, h = H;
    if (box.length === 4 && box.every(isFinite) && box[2] > 0 && box[3] > 0) {
      x = box[0]; y = box[1]; w = box[2]; h = box[3];
    }
    var scale = Math.min(cw / w, ch / h);
    el.style.width = (w * scale) + "px";
    el.style.height = (h * scale) + "px";
    img.style.width = (W * scale) + "px";
    img.style.height = (H * scale) + "px";
    img.style.left = (-x * scale) + "px";
    img.style.top = (-y * scale) + "px";
    el.classList.add("is-placed");
  }

  function cropAll(scope) {
    (scope || document).querySelectorAll("[data-crop]").forEach(function (el) {
      if (el.offsetParent !== null) crop(el);
    });
  }

  // ---- keyboard ----------------------------------------------------------------------------

  function dialog() {
    return document.getElementById("shortcuts");
  }

  function toggleHelp(open) {
    var d = dialog();
    if (!d) return;
    if (open === undefined) open = !d.open;
    if (open && !d.open) {
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
    } else if (!open && d.open) {
      if (typeof d.close === "function") d.close();
      else d.removeAttribute("open");
    }
  }

  function showSide(ws, side) {
    var id = ws.getAttribute("data-frame-" + side);
    if (id && window.kycViewer) window.kycViewer.show(id, viewerRoot(ws));
    return !!id;
  }

  // moveField focuses the next or previous row of the field table: its first box, else its name.
  function moveField(ws, dir) {
    var rows = Array.prototype.slice.call(ws.querySelectorAll("#fields-table tbody tr"));
    if (!rows.length) return;
    showTab(ws, "fields");
    var current = document.activeElement && document.activeElement.closest && document.activeElement.closest("#fields-table tbody tr");
    var i = rows.indexOf(current);
    i = i < 0 ? (dir > 0 ? 0 : rows.length - 1) : (i + dir + rows.length) % rows.length;
    var row = rows[i];
    var target = row.querySelector(".cell-btn") || row.querySelector(".field-btn");
    if (target) {
      target.focus();
    } else {
      row.tabIndex = -1;
      row.focus();
      clearBoxes(ws);
    }
    row.scrollIntoView({ block: "nearest" });
  }

  // Capture phase, before the viewer's own keys: in the workspace "r" is reject (the viewer
  // would rotate), and 1/2/3 are front/back/selfie by kind (the viewer counts tabs).
  function onKeyCapture(ev) {
    var ws = workspace();
    if (!ws || ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev.target)) return;
    var d = dialog();
    if (d && d.open) return;
    var key = ev.key;
    if (key === "r" || key === "R") {
      ev.preventDefault();
      ev.stopPropagation();
      if (key === "r") announce("r", DECISIONS.r);
      return;
    }
    if (key === "1" || key === "2" || key === "3") {
      ev.preventDefault();
      ev.stopPropagation();
      var side = { 1: "front", 2: "back", 3: "selfie" }[key];
      if (showSide(ws, side)) announce(key, "show-" + side);
    }
  }

  function onKey(ev) {
    var ws = workspace();
    if (!ws || ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || (isTyping(ev.target) && !helpFromList(ev))) return;
    var d = dialog();
    if (d && d.open) {
      if (ev.key === "?") {
        toggleHelp(false);
        ev.preventDefault();
      }
      return;
    }
    var viewer = window.kycViewer, root = viewerRoot(ws), action = null;
    switch (ev.key) {
      case "?": toggleHelp(true); action = "help"; break;
      case "]": if (ws.getAttribute("data-next")) { location.assign(ws.getAttribute("data-next")); action = "next-document"; } break;
      case "[": if (ws.getAttribute("data-prev")) { location.assign(ws.getAttribute("data-prev")); action = "previous-document"; } break;
      case "n": case "N": {
        var form = document.getElementById("next-case-form");
        if (form) {
          if (typeof form.requestSubmit === "function") form.requestSubmit();
          else form.submit();
          action = "next-case";
        }
        break;
      }
      case "+": case "=": if (viewer && root) { viewer.zoomBy(ZOOM, root); action = "zoom-in"; } break;
      case "-": case "_": if (viewer && root) { viewer.zoomBy(1 / ZOOM, root); action = "zoom-out"; } break;
      case "0": if (viewer && root) { viewer.reset(root); action = "reset"; } break;
      case "t": if (viewer && root) { viewer.rotate(90, root); action = "rotate-right"; } break;
      case "T": if (viewer && root) { viewer.rotate(-90, root); action = "rotate-left"; } break;
      case "f": case "F": showTab(ws, "fields", true); action = "fields"; break;
      case "m": case "M": showTab(ws, "mrz", true); action = "mrz"; break;
      case "p": case "P": showTab(ws, "face", true); action = "face"; break;
      case "j": case "J": moveField(ws, 1); action = "next-field"; break;
      case "k": case "K": moveField(ws, -1); action = "previous-field"; break;
      case "Escape": clearBoxes(ws); action = "clear-boxes"; break;
      case "a": case "s": case "e":
        announce(ev.key, DECISIONS[ev.key]);
        ev.preventDefault();
        return;
      default:
        return;
    }
    if (action) {
      ev.preventDefault();
      announce(ev.key, action);
    }
  }

  // ---- setup -------------------------------------------------------------------------------

  function bind() {
    document.addEventListener("keydown", onKeyCapture, true);
    document.addEventListener("keydown", onKey);
    document.addEventListener("click", function (ev) {
      var ws = workspace();
      if (!ws || !ws.contains(ev.target)) return;
      var tab = ev.target.closest("[data-review-tab]");
      if (tab) {
        ev.preventDefault();
        showTab(ws, tab.getAttribute("data-review-tab"));
        return;
      }
      var go = ev.target.closest("[data-review-goto]");
      if (go) {
        ev.preventDefault();
        showTab(ws, go.getAttribute("data-review-goto"));
        return;
      }
      if (ev.target.closest("[data-review-help]")) {
        toggleHelp(true);
        return;
      }
      if (ev.target.closest("[data-review-help-close]")) {
        toggleHelp(false);
        return;
      }
      var rowBtn = ev.target.closest("[data-row-boxes]");
      if (rowBtn) {
        drawCells(ws, Array.prototype.slice.call(rowBtn.closest("tr").querySelectorAll(".cell-btn[data-box]")));
        return;
      }
      var cell = ev.target.closest(".cell-btn[data-box]");
      if (cell) drawCells(ws, [cell]);
    });
    // Focus draws too, so moving through the table with Tab or J/K shows where each value is.
    document.addEventListener("focusin", function (ev) {
      var ws = workspace();
      if (!ws || !ev.target.closest) return;
      var cell = ev.target.closest(".cell-btn[data-box]");
      if (cell && ws.contains(cell)) {
        drawCells(ws, [cell]);
        return;
      }
      var rowBtn = ev.target.closest("[data-row-boxes]");
      if (rowBtn && ws.contains(rowBtn)) {
        drawCells(ws, Array.prototype.slice.call(rowBtn.closest("tr").querySelectorAll(".cell-btn[data-box]")));
      }
    });
    // The backdrop of the overlay closes it.
    document.addEventListener("click", function (ev) {
      var d = dialog();
      if (d && d.open && ev.target === d) toggleHelp(false);
    });
    window.addEventListener("resize", function () { cropAll(workspace()); });
  }

  function init(scope) {
    var ws = workspace();
    if (!ws) return;
    if (!ws.hasAttribute("data-review-ready")) {
      ws.setAttribute("data-review-ready", "");
      ws.setAttribute("data-boxes", "0");
      ws.querySelectorAll("[data-review-tab]").forEach(function (t) {
        t.tabIndex = t.getAttribute("aria-selected") === "true" ? 0 : -1;
      });
    }
    cropAll(scope && scope.querySelectorAll ? scope : ws);
  }

  bind();
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });
  if (document.readyState !== "loading") init(document);
})();
