// kycdesk reports: the queue's export downloads with their progress, and case selection for the
// ZIP of case reports. Without this script the export links are plain downloads and the form a
// plain post: everything still works, only without progress.
(function () {
  "use strict";

  function fmtBytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(0) + " kB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function fmtInt(n) {
    return n.toLocaleString("en-GB");
  }

  // filename reads the name the server gave the download.
  function filename(res, fallback) {
    var cd = res.headers.get("Content-Disposition") || "";
    var m = /filename="([^"]+)"/.exec(cd);
    return m ? m[1] : fallback;
  }

  function show(box, text, state, value, max) {
    box.hidden = false;
    box.classList.toggle("is-done", state === "done");
    box.classList.toggle("is-error", state === "error");
    box.textContent = "";
    if (state === "running") {
      var bar = document.createElement("progress");
      if (max > 0) {
        bar.max = max;
        bar.value = Math.min(value, max);
      }
      box.appendChild(bar);
    }
    var span = document.createElement("span");
    span.textContent = text;
    box.appendChild(span);
  }

  // save hands the received bytes to the browser as a download.
  function save(parts, type, name) {
    var url = URL.createObjectURL(new Blob(parts, { type: type }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  var running = false;

  // download fetches an export, counting bytes and (for CSV) rows as they arrive.
  function download(link) {
    // The progress box is looked up at each update: htmx may swap the queue's results (and the
    // box with them) while a download runs.
    function box() { return document.getElementById("export-progress") || document.createElement("div"); }
    if (running) return;
    running = true;
    var isCSV = /\.csv(\?|$)/.test(link.getAttribute("href"));
    var total = 0;
    var rows = -1; // the header line is not a case
    var bytes = 0;
    var inQuote = false;
    var started = Date.now();
    function progress() {
      var text;
      if (bytes === 0) {
        text = isCSV ? "Starting the export…" : "Preparing the workbook (rows are written first, then the file is sent)…";
      } else if (isCSV) {
        text = fmtInt(Math.max(rows, 0)) + (total ? " of " + fmtInt(total) : "") + " cases, " + fmtBytes(bytes) + " received";
      } else {
        text = fmtBytes(bytes) + " received" + (total ? " (" + fmtInt(total) + " cases)" : "");
      }
      show(box(), text, "running", isCSV ? Math.max(rows, 0) : 0, isCSV ? total : 0);
    }
    progress();
    var timer = setInterval(progress, 250);
    var parts = [];
    fetch(link.href, { credentials: "same-origin" }).then(function (res) {
      if (res.status === 422) {
        // A refused filter: the error page lists each field's message; say them.
        return res.text().then(function (html) {
          var items = new DOMParser().parseFromString(html, "text/html").querySelectorAll("#error-fields li");
          var said = Array.prototype.map.call(items, function (li) { return li.textContent.trim(); }).join(" ");
          throw new Error("the filters were refused" + (said ? ": " + said.replace(/\.$/, "") : " (check them)"));
        });
      }
      if (!res.ok) {
        throw new Error("the server answered " + res.status + (res.status === 403 ? " (not allowed)" : ""));
      }
      // The server counts the cases first and says how many are coming.
      var n = parseInt(res.headers.get("X-Export-Rows") || "", 10);
      if (n >= 0) total = n;
      var type = res.headers.get("Content-Type") || "application/octet-stream";
      var name = filename(res, isCSV ? "cases.csv" : "cases.xlsx");
      var reader = res.body.getReader();
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) return;
          var chunk = step.value;
          parts.push(chunk);
          bytes += chunk.length;
          if (isCSV) {
            for (var i = 0; i < chunk.length; i++) {
              var c = chunk[i];
              if (c === 34) inQuote = !inQuote; // "
              else if (c === 10 && !inQuote) rows++; // a record ends
            }
          }
          return pump();
        });
      }
      return pump().then(function () {
        save(parts, type, name);
        var secs = ((Date.now() - started) / 1000).toFixed(1);
        show(box(), "Downloaded " + name + ": " + (isCSV ? fmtInt(Math.max(rows, 0)) + " cases, " : "") + fmtBytes(bytes) + " in " + secs + " s.", "done");
        box().setAttribute("data-done", name);
      });
    }).catch(function (err) {
      show(box(), "The export failed: " + (err && err.message ? err.message : "the connection was lost") + ". Nothing was saved.", "error");
    }).then(function () {
      clearInterval(timer);
      running = false;
    });
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest("a[data-export]");
    if (!link || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    if (!window.fetch || !window.ReadableStream) return; // a plain download then
    ev.preventDefault();
    download(link);
  });

  // Selection for the ZIP of case reports.
  function selected() {
    return document.querySelectorAll("input[data-select]:checked");
  }

  function updateSelection() {
    var btn = document.querySelector("[data-selected-count]");
    if (!btn) return;
    var n = selected().length;
    btn.textContent = n ? "Reports of the " + n + " selected case" + (n === 1 ? "" : "s") + " (ZIP)" : "Reports of the selected cases (ZIP)";
    var all = document.querySelector("input[data-select-all]");
    var boxes = document.querySelectorAll("input[data-select]");
    if (all) all.checked = boxes.length > 0 && n === boxes.length;
  }

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.matches && t.matches("input[data-select-all]")) {
      var boxes = document.querySelectorAll("input[data-select]");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = t.checked;
      updateSelection();
    } else if (t.matches && t.matches("input[data-select]")) {
      updateSelection();
    }
  });

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-export-form]")) return;
    if (selected().length === 0) {
      ev.preventDefault();
      var box = document.getElementById("export-progress");
      if (box) show(box, "Select the cases whose reports you want first.", "error");
    }
  });

  // The queue's results are swapped in by htmx: the selection starts again with them.
  document.addEventListener("htmx:afterSwap", updateSelection);
})();
