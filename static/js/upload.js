// kycdesk upload form: drag and drop onto each image's dropzone, a list of the chosen files with
// plain-words warnings (advisory: the server decides), upload progress while htmx sends the form,
// and no slot for an image the chosen document type does not have (a passport's back). Works
// under the strict CSP (no inline script or style).
(function () {
  "use strict";

  var TYPE_NAMES = {
    "image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF", "image/heic": "HEIC",
    "image/webp": "WebP", "image/tiff": "TIFF", "image/gif": "GIF"
  };
  // A file the operating system gave no type keeps its extension's, for the advisory check.
  var EXT_TYPES = {
    jpg: "image/jpeg", jpeg: "image/jpeg", jpe: "image/jpeg", png: "image/png", pdf: "application/pdf",
    heic: "image/heic", webp: "image/webp", tif: "image/tiff", tiff: "image/tiff", gif: "image/gif"
  };

  var notes = new WeakMap(); // input → what the last drop left out, shown with the next listing
  var uploads = new WeakMap(); // form → { max: highest percent shown, disabled: buttons we disabled }

  function hasFiles(ev) {
    var dt = ev.dataTransfer;
    return !!dt && Array.prototype.indexOf.call(dt.types || [], "Files") >= 0;
  }

  function formatBytes(n) {
    if (n < 1024) return n + (n === 1 ? " byte" : " bytes");
    if (n < 1024 * 1024) return Math.max(1, Math.round(n / 1024)) + " KB";
    var mb = n / (1024 * 1024);
    return (mb < 10 ? mb.toFixed(1).replace(/\.0$/, "") : String(Math.round(mb))) + " MB";
  }

  function acceptList(input) {
    return (input.getAttribute("accept") || "").split(",").map(function (s) {
      return s.trim().toLowerCase();
    }).filter(Boolean);
  }

  function extension(name) {
    var m = /\.([a-z0-9]+)$/i.exec(name || "");
    return m ? m[1].toLowerCase() : "";
  }

  function accepted(file, list) {
    if (list.length === 0) return true;
    var ext = extension(file.name);
    var type = (file.type || EXT_TYPES[ext] || "").toLowerCase();
    return list.some(function (a) {
      if (a.charAt(0) === ".") return ext === a.slice(1);
      if (/\/\*$/.test(a)) return type.indexOf(a.slice(0, -1)) === 0;
      return type === a;
    });
  }

  // describe names the accepted types the way a person would: "JPEG, PNG or PDF".
  function describe(list) {
    var names = [];
    list.forEach(function (a) {
      var n = TYPE_NAMES[a] || (a.charAt(0) === "." ? a.slice(1).toUpperCase() : a);
      if (names.indexOf(n) < 0) names.push(n);
    });
    if (names.length <= 1) return names.join("");
    return names.slice(0, -1).join(", ") + " or " + names[names.length - 1];
  }

  function problems(file, input) {
    var out = [];
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    if (max > 0 && file.size > max) {
      out.push("This file is " + formatBytes(file.size) + "; the limit is " + formatBytes(max) + ".");
    }
    var list = acceptList(input);
    if (!accepted(file, list)) {
      out.push("This does not look like a " + describe(list) + " file.");
    }
    if (file.size === 0) out.push("This file is empty.");
    return out;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function listFiles(zone, input) {
    var ul = zone.querySelector("[data-dropzone-files]");
    var flagged = false;
    if (ul) ul.textContent = "";
    Array.prototype.forEach.call(input.files || [], function (f) {
      var issues = problems(f, input);
      if (issues.length) flagged = true;
      if (!ul) return;
      var li = el("li", issues.length ? "is-flagged" : "");
      li.appendChild(el("span", "dropzone-file-name", f.name));
      li.appendChild(el("span", "dropzone-file-size", formatBytes(f.size)));
      issues.forEach(function (p) { li.appendChild(el("span", "dropzone-file-problem", p)); });
      ul.appendChild(li);
    });
    var note = notes.get(input);
    notes.delete(input);
    if (note && ul) ul.appendChild(el("li", "dropzone-note", note));
    zone.classList.toggle("has-warning", flagged || !!note);
  }

  function initZone(zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input || zone.hasAttribute("data-dropzone-ready")) return;
    zone.setAttribute("data-dropzone-ready", "");
    var over = function (ev) {
      if (!hasFiles(ev) || input.disabled) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragover");
    };
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", function (ev) {
      if (ev.relatedTarget && zone.contains(ev.relatedTarget)) return;
      zone.classList.remove("is-dragover");
    });
    zone.addEventListener("drop", function (ev) {
      zone.classList.remove("is-dragover");
      if (!hasFiles(ev) || input.disabled) return;
      ev.preventDefault();
      var files = Array.prototype.slice.call(ev.dataTransfer.files || []);
      if (files.length === 0) return;
      if (!input.multiple && files.length > 1) {
        var left = files.length - 1;
        notes.set(input, "Only one file goes here: kept " + files[0].name + " and left out " + left +
          (left === 1 ? " other." : " others."));
        files = files.slice(0, 1);
      }
      var dt = new DataTransfer();
      files.forEach(function (f) { dt.items.add(f); });
      input.files = dt.files;
      // Tell other listeners, as a choice in the file dialog would; our own lists the files.
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    input.addEventListener("change", function () { listFiles(zone, input); });
    if (input.files && input.files.length) listFiles(zone, input);
  }

  // ---- image slots the chosen document type does not have ----------------------------------

  // A dropzone marked data-not-for="passport" is hidden, and its input disabled so nothing chosen
  // there is sent, while the form's type is one of those types (a passport has no back); a file
  // chosen before comes back with the slot when the type changes. A slot the server refused stays
  // in sight with its message until the type is changed.
  function syncSlots(form, typeChanged) {
    var type = form.querySelector("select[name=type]");
    if (!type) return;
    Array.prototype.forEach.call(form.querySelectorAll("[data-dropzone][data-not-for]"), function (zone) {
      var off = zone.getAttribute("data-not-for").split(/\s+/).indexOf(type.value) >= 0;
      if (off && !typeChanged && zone.classList.contains("has-error")) off = false;
      zone.hidden = off;
      var input = zone.querySelector("input[type=file]");
      if (input) input.disabled = off;
    });
    // A side's picker offers PDFs only for the types the server takes one for.
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file][data-pdf-for]"), function (input) {
      var pdf = input.getAttribute("data-pdf-for").split(/\s+/).indexOf(type.value) >= 0;
      input.setAttribute("accept", "image/jpeg,image/png" + (pdf ? ",application/pdf" : ""));
    });
  }

  function initSlots(form) {
    if (!form.hasAttribute("data-slots-ready")) {
      form.setAttribute("data-slots-ready", "");
      form.addEventListener("change", function (ev) {
        if (ev.target.matches && ev.target.matches("select[name=type]")) syncSlots(form, true);
      });
    }
    syncSlots(form, false);
  }

  function init(scope) {
    if (!scope || !scope.querySelectorAll) return;
    var forms = Array.prototype.slice.call(scope.querySelectorAll("[data-upload]"));
    if (scope.matches && scope.matches("[data-upload]")) forms.unshift(scope);
    forms.forEach(function (form) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-dropzone]"), initZone);
      initSlots(form);
    });
  }

  // ---- progress while htmx sends the form --------------------------------------------------

  function uploadForm(ev) {
    var elt = (ev.detail && ev.detail.elt) || ev.target;
    return elt && elt.matches && elt.matches("[data-upload]") ? elt : null;
  }

  // serverMessage is the reason an error page the server answered gives (its first paragraph, as
  // app.js reads it for the alert at the top), "" when there is none.
  function serverMessage(xhr) {
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var p = doc.querySelector("main .panel-body p, .panel-body p");
      return p ? p.textContent.trim() : "";
    } catch (e) {
      return "";
    }
  }

  function setStatus(form, text) {
    var s = form.querySelector("[data-upload-status]");
    if (s) s.textContent = text;
  }

  document.addEventListener("htmx:beforeSend", function (ev) {
    var form = uploadForm(ev);
    if (!form) return;
    var bar = form.querySelector("[data-upload-progress]");
    if (bar) {
      bar.value = 0;
      bar.hidden = false;
    }
    var disabled = [];
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]"), function (b) {
      if (!b.disabled) {
        b.disabled = true;
        disabled.push(b);
      }
    });
    uploads.set(form, { max: 0, disabled: disabled });
    form.classList.add("is-uploading");
    form.setAttribute("aria-busy", "true");
    setStatus(form, "Uploading…");
  });

  // htmx reports the upload's progress and then the answer's download under the same event
  // name; the bar only moves forward, so the answer never makes it jump back.
  document.addEventListener("htmx:xhr:progress", function (ev) {
    var form = uploadForm(ev);
    var up = form && uploads.get(form);
    var d = ev.detail || {};
    if (!up || !d.lengthComputable || !(d.total > 0)) return;
    var pct = Math.min(100, Math.floor(d.loaded * 100 / d.total));
    if (pct <= up.max && up.max > 0) return;
    up.max = pct;
    var bar = form.querySelector("[data-upload-progress]");
    if (bar) bar.value = pct;
    setStatus(form, pct >= 100 ? "Uploaded, waiting for the server…" : "Uploading… " + pct + "%");
  });

  document.addEventListener("htmx:afterRequest", function (ev) {
    var form = uploadForm(ev);
    var up = form && uploads.get(form);
    if (!up) return;
    uploads.delete(form);
    var bar = form.querySelector("[data-upload-progress]");
    if (bar) bar.hidden = true;
    up.disabled.forEach(function (b) { b.disabled = false; });
    form.classList.remove("is-uploading");
    form.removeAttribute("aria-busy");
    var xhr = ev.detail && ev.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status >= 200 && status < 300) {
      setStatus(form, "Uploaded.");
    } else if (status === 422) {
      // The server sent the form back with its errors; htmx shows that one instead.
      setStatus(form, "");
    } else if (status === 0) {
      setStatus(form, "The upload did not reach the server. Check the connection and try again.");
    } else if (status === 403 || status === 409 || status === 413) {
      // Refused as the case stands (someone else holds it, it was decided or sent to its second
      // review) or as sent (too large in all): sending it again cannot help, so say the server's
      // reason, as the alert at the top of the page does, and suggest no retry.
      var why = serverMessage(xhr);
      setStatus(form, "Nothing was stored: " + (why || "the server refused the upload (" + status + ").") +
        (status === 413 ? "" : " Reload the page to see the case as it is now."));
    } else {
      setStatus(form, "The upload failed (the server answered " + status + "). Please try again.");
    }
  });

  // A file dropped next to a dropzone would make the browser open it and lose the form, so
  // drops outside the dropzones do nothing while the page has one.
  function guard(ev) {
    if (!hasFiles(ev) || (ev.target.closest && ev.target.closest("[data-dropzone]"))) return;
    if (!document.querySelector("[data-dropzone]")) return;
    ev.preventDefault();
    if (ev.type === "dragover") ev.dataTransfer.dropEffect = "none";
  }
  document.addEventListener("dragover", guard);
  document.addEventListener("drop", guard);

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });
  if (document.readyState !== "loading") init(document);
})();
