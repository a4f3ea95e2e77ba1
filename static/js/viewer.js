// kycdesk document image viewer: one image at a time, fitted to the stage, with zoom, pan and
// rotation. The image and its SVG overlay sit in one transformed container, so boxes drawn in the
// image's own pixel coordinates stay on the image at any zoom, rotation or pan. Runs under the
// strict CSP: no inline style or script; positions are set through the CSSOM.
//
// State is mirrored on the .viewer-stage as data-zoom (1 = fit), data-rotation, data-pan-x,
// data-pan-y and data-current, and window.kycViewer lets other scripts drive the viewer.
//
// Each image keeps its own view (zoom, pan, rotation) for the page's life: going to the selfie and
// back finds the front as it was left. Fit (0) fits the image again and keeps its rotation: a
// document turned upright stays upright. The wheel scrolls the page as it does anywhere else;
// Ctrl+wheel (⌘+wheel on a Mac, and a trackpad's pinch, which browsers send as Ctrl+wheel) zooms.
(function () {
  "use strict";

  var STEP = 1.25; // one zoom step for the buttons and the +/- keys
  var MIN_ZOOM = 0.25;
  var MAX_ZOOM = 32;
  var PAN_STEP = 40; // CSS px per arrow key press; Shift moves four times as far
  var PAD = 12; // room between the fitted image and the stage edge, so the edges stay visible
  var KEEP = 48; // px of the image that panning always leaves on the stage, so it cannot be lost
  var SVGNS = "http://www.w3.org/2000/svg";

  var states = new WeakMap(); // viewer root element → its state
  var resizer = typeof ResizeObserver === "function" ? new ResizeObserver(onResize) : null;

  function onResize(entries) {
    entries.forEach(function (e) {
      if (!e.target.isConnected) {
        resizer.unobserve(e.target);
        return;
      }
      var root = e.target.closest("[data-viewer]");
      var st = root && states.get(root);
      if (st) render(st);
    });
  }

  function clamp(v, lo, hi) {
    return Math.min(hi, Math.max(lo, v));
  }

  function round(v, places) {
    var m = Math.pow(10, places);
    return Math.round(v * m) / m;
  }

  // isTyping tells whether a key event belongs to a field the user types in, where our shortcuts
  // must never steal a key.
  function isTyping(el) {
    if (!el || el.nodeType !== 1) return false;
    if (el.isContentEditable) return true;
    return !!el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])");
  }

  // ---- frames ------------------------------------------------------------------------------

  // prepare moves the img and the overlay of a frame into one container that carries the
  // transform, once per frame. A frame without an image (a PDF) stays as the server drew it.
  function prepare(frame) {
    var canvas = frame.querySelector(":scope > .viewer-canvas");
    if (canvas) return canvas;
    var img = frame.querySelector(":scope > img.viewer-img");
    if (!img) return null;
    canvas = document.createElement("div");
    canvas.className = "viewer-canvas";
    frame.insertBefore(canvas, img);
    canvas.appendChild(img);
    var svg = frame.querySelector(":scope > svg.viewer-overlay");
    if (svg) canvas.appendChild(svg);
    img.draggable = false;
    return canvas;
  }

  // naturalSize is the image's size in its own pixels: what the server said, or what the browser
  // found once the image loaded when the server did not know.
  function naturalSize(frame) {
    var w = parseFloat(frame.getAttribute("data-width"));
    var h = parseFloat(frame.getAttribute("data-height"));
    if (w > 0 && h > 0) return { w: w, h: h };
    var img = frame.querySelector("img.viewer-img");
    if (img && img.naturalWidth > 0 && img.naturalHeight > 0) {
      return { w: img.naturalWidth, h: img.naturalHeight };
    }
    return null;
  }

  // load starts fetching a frame's image the first time it is shown, so the other images of a
  // case cost nothing until the reviewer asks for them.
  function load(st, frame) {
    var img = frame.querySelector("img.viewer-img");
    if (!img || img.hasAttribute("src")) return;
    var src = img.getAttribute("data-src");
    if (!src) return;
    frame.classList.add("is-loading");
    var done = function (ok) {
      frame.classList.remove("is-loading");
      frame.classList.toggle("is-broken", !ok);
      if (ok) {
        var svg = frame.querySelector("svg.viewer-overlay");
        if (svg && !svg.getAttribute("viewBox") && img.naturalWidth > 0) {
          svg.setAttribute("viewBox", "0 0 " + img.naturalWidth + " " + img.naturalHeight);
        }
      }
      if (st.frame === frame) render(st);
    };
    img.addEventListener("load", function () { done(true); }, { once: true });
    img.addEventListener("error", function () { done(false); }, { once: true });
    img.decoding = "async";
    img.setAttribute("src", src);
  }

  function frameById(st, id) {
    if (!id) return null;
    for (var i = 0; i < st.frames.length; i++) {
      if (st.frames[i].id === id) return st.frames[i];
    }
    return null;
  }

  // ---- geometry ----------------------------------------------------------------------------

  // fitScale is the scale at which the whole image, turned by rot, fits the stage.
  function fitScale(st, size, rot) {
    var quarter = rot % 180 !== 0;
    var bw = quarter ? size.h : size.w;
    var bh = quarter ? size.w : size.h;
    var sw = Math.max(st.stage.clientWidth - 2 * PAD, 1);
    var sh = Math.max(st.stage.clientHeight - 2 * PAD, 1);
    return Math.min(sw / bw, sh / bh);
  }

  // rotatePoint turns (x, y) by deg clockwise on screen (CSS's rotate direction), exactly for
  // quarter turns so boxes land on whole pixels.
  function rotatePoint(x, y, deg) {
    switch (((deg % 360) + 360) % 360) {
      case 0: return { x: x, y: y };
      case 90: return { x: -y, y: x };
      case 180: return { x: -x, y: -y };
      case 270: return { x: y, y: -x };
    }
    var r = deg * Math.PI / 180;
    return { x: x * Math.cos(r) - y * Math.sin(r), y: x * Math.sin(r) + y * Math.cos(r) };
  }

  // toStage maps a point in image pixels to stage coordinates (CSS px from the stage's top left),
  // the same mapping as the CSS transform of the canvas.
  function toStage(st, size, scale, x, y) {
    var p = rotatePoint((x - size.w / 2) * scale, (y - size.h / 2) * scale, st.rot);
    return { x: st.stage.clientWidth / 2 + st.panX + p.x, y: st.stage.clientHeight / 2 + st.panY + p.y };
  }

  // clampPan keeps at least a strip of the image on the stage, so a reviewer cannot fling it away.
  function clampPan(st, iw, ih) {
    var sw = st.stage.clientWidth, sh = st.stage.clientHeight;
    var limX = Math.max(0, (sw + iw) / 2 - Math.min(KEEP, iw));
    var limY = Math.max(0, (sh + ih) / 2 - Math.min(KEEP, ih));
    st.panX = clamp(st.panX, -limX, limX);
    st.panY = clamp(st.panY, -limY, limY);
  }

  // ---- drawing -----------------------------------------------------------------------------

  function publish(st) {
    var s = st.stage;
    s.setAttribute("data-zoom", String(round(st.zoom, 4)));
    s.setAttribute("data-rotation", String(st.rot));
    s.setAttribute("data-pan-x", String(round(st.panX, 2)));
    s.setAttribute("data-pan-y", String(round(st.panY, 2)));
    s.setAttribute("data-current", st.frame ? st.frame.id : "");
    // Written only on change: this runs on every pointer move while panning.
    var label = Math.round(st.zoom * 100) + "%";
    if (st.zoomLabel && st.zoomLabel.textContent !== label) st.zoomLabel.textContent = label;
    var still = !st.frame || !st.frame.querySelector(".viewer-canvas");
    st.actions.forEach(function (b) {
      var a = b.getAttribute("data-viewer-action");
      var off = still ||
        (a === "zoom-in" && st.zoom >= MAX_ZOOM - 1e-9) ||
        (a === "zoom-out" && st.zoom <= MIN_ZOOM + 1e-9);
      if (b.disabled !== off) b.disabled = off;
    });
  }

  function render(st) {
    var frame = st.frame;
    var canvas = frame && frame.querySelector(".viewer-canvas");
    var size = frame && naturalSize(frame);
    if (!canvas || !size || st.stage.clientWidth === 0) {
      if (st.labelsFor !== frame) buildLabels(st);
      st.layer.hidden = true;
      publish(st);
      return;
    }
    st.layer.hidden = false;
    var scale = fitScale(st, size, st.rot) * st.zoom;
    var quarter = st.rot % 180 !== 0;
    clampPan(st, (quarter ? size.h : size.w) * scale, (quarter ? size.w : size.h) * scale);
    var cx = st.stage.clientWidth / 2 + st.panX;
    var cy = st.stage.clientHeight / 2 + st.panY;
    canvas.style.width = size.w + "px";
    canvas.style.height = size.h + "px";
    canvas.style.transform = "translate(" + cx + "px," + cy + "px) rotate(" + st.rot + "deg) scale(" +
      scale + ") translate(" + (-size.w / 2) + "px," + (-size.h / 2) + "px)";
    // One screen pixel in the overlay's units, so box outlines stay 2 px wide at any zoom.
    canvas.style.setProperty("--viewer-px", (1 / scale) + "px");
    frame.classList.toggle("is-pixelated", scale >= 3);
    st.scale = scale;
    placeLabels(st, size, scale);
    publish(st);
  }

  // placeLabels keeps the label chips of the shown frame's boxes outside the transform, so they
  // stay upright and legible, and puts each on the top left of its box as it is seen now.
  function placeLabels(st, size, scale) {
    if (st.labelsFor !== st.frame || st.labelsDirty) buildLabels(st);
    var sw = st.stage.clientWidth, sh = st.stage.clientHeight;
    st.labels.forEach(function (l) {
      var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      l.points.forEach(function (q) {
        var p = toStage(st, size, scale, q.x, q.y);
        minX = Math.min(minX, p.x);
        minY = Math.min(minY, p.y);
        maxX = Math.max(maxX, p.x);
        maxY = Math.max(maxY, p.y);
      });
      l.chip.hidden = maxX < 0 || maxY < 0 || minX > sw || minY > sh;
      if (l.chip.hidden) return;
      // Above the box when there is room, else just inside its top; kept on the stage while
      // part of the box is.
      var above = minY >= 22;
      var x = Math.max(minX - 1, 0);
      var y = above ? minY : Math.max(minY, 0);
      l.chip.style.transform = "translate(" + round(x, 2) + "px," + round(y, 2) + "px)" +
        (above ? " translateY(-100%)" : "");
    });
  }

  function buildLabels(st) {
    st.layer.textContent = "";
    st.labels = [];
    st.labelsFor = st.frame;
    st.labelsDirty = false;
    if (!st.frame) return;
    var polys = st.frame.querySelectorAll("svg.viewer-overlay .viewer-box[data-label]");
    Array.prototype.forEach.call(polys, function (poly) {
      var label = poly.getAttribute("data-label");
      var points = parsePoints(poly.getAttribute("points"));
      if (!label || points.length === 0) return;
      var chip = document.createElement("span");
      chip.className = "viewer-box-label";
      var kind = poly.getAttribute("data-kind");
      if (kind) chip.classList.add("viewer-box-" + kind);
      chip.textContent = label;
      st.layer.appendChild(chip);
      st.labels.push({ chip: chip, points: points });
    });
  }

  function parsePoints(s) {
    var nums = String(s || "").trim().split(/[\s,]+/).map(Number);
    var pts = [];
    for (var i = 0; i + 1 < nums.length; i += 2) {
      if (isFinite(nums[i]) && isFinite(nums[i + 1])) pts.push({ x: nums[i], y: nums[i + 1] });
    }
    return pts;
  }

  // ---- actions -----------------------------------------------------------------------------

  // fit fits the image to the stage again, centred, in the rotation it has.
  function fit(st) {
    st.zoom = 1;
    st.panX = 0;
    st.panY = 0;
    render(st);
  }

  // keep remembers the shown image's view, for when it is shown again.
  function keep(st) {
    if (st.frame) st.views[st.frame.id] = { zoom: st.zoom, rot: st.rot, panX: st.panX, panY: st.panY };
  }

  function show(st, id) {
    var frame = frameById(st, id);
    if (!frame) return false;
    keep(st);
    st.frames.forEach(function (f) { f.hidden = f !== frame; });
    st.tabs.forEach(function (t) {
      var on = t.getAttribute("data-viewer-show") === id;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
    });
    if (st.original) {
      var href = frame.getAttribute("data-original");
      if (href) {
        st.original.setAttribute("href", href);
        st.original.hidden = false;
      } else {
        st.original.hidden = true;
      }
    }
    var was = st.frame;
    st.frame = frame;
    prepare(frame);
    load(st, frame);
    if (was !== frame) {
      var v = st.views[frame.id] || { zoom: 1, rot: 0, panX: 0, panY: 0 };
      st.zoom = v.zoom;
      st.rot = v.rot;
      st.panX = v.panX;
      st.panY = v.panY;
    }
    render(st);
    return true;
  }

  // zoomTo sets the zoom and keeps the image point under (px, py), in stage coordinates, where
  // it is; without a point it keeps the stage centre.
  function zoomTo(st, zoom, px, py) {
    if (!st.frame || !st.frame.querySelector(".viewer-canvas")) return;
    zoom = clamp(zoom, MIN_ZOOM, MAX_ZOOM);
    if (Math.abs(zoom - 1) < 1e-6) zoom = 1;
    var cx = st.stage.clientWidth / 2, cy = st.stage.clientHeight / 2;
    if (typeof px !== "number") { px = cx; py = cy; }
    var ratio = zoom / st.zoom;
    st.panX = (px - cx) - (px - cx - st.panX) * ratio;
    st.panY = (py - cy) - (py - cy - st.panY) * ratio;
    st.zoom = zoom;
    render(st);
  }

  // rotate turns by quarter turns and turns the pan with the image, so the part of the image in
  // the middle of the stage stays there.
  function rotate(st, deg) {
    if (!st.frame || !st.frame.querySelector(".viewer-canvas")) return;
    var quarters = Math.round(deg / 90);
    if (!quarters) return;
    var next = (((st.rot + quarters * 90) % 360) + 360) % 360;
    var size = naturalSize(st.frame);
    if (size && st.stage.clientWidth > 0) {
      var ratio = fitScale(st, size, next) / fitScale(st, size, st.rot);
      var p = rotatePoint(st.panX, st.panY, quarters * 90);
      st.panX = p.x * ratio;
      st.panY = p.y * ratio;
    }
    st.rot = next;
    render(st);
  }

  function pan(st, dx, dy) {
    if (!st.frame || !st.frame.querySelector(".viewer-canvas")) return;
    st.panX += dx;
    st.panY += dy;
    render(st);
  }

  function act(st, name) {
    switch (name) {
      case "zoom-in": zoomTo(st, st.zoom * STEP); break;
      case "zoom-out": zoomTo(st, st.zoom / STEP); break;
      case "reset": fit(st); break;
      case "rotate-left": rotate(st, -90); break;
      case "rotate-right": rotate(st, 90); break;
    }
  }

  // ---- events ------------------------------------------------------------------------------

  function stagePoint(st, ev) {
    var r = st.stage.getBoundingClientRect();
    return { x: ev.clientX - r.left - st.stage.clientLeft, y: ev.clientY - r.top - st.stage.clientTop };
  }

  function onKey(st, ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev.target)) return;
    var onStage = ev.target === st.stage;
    var tab = ev.target.closest && ev.target.closest("[data-viewer-show]");
    var step = ev.shiftKey ? PAN_STEP * 4 : PAN_STEP;
    switch (ev.key) {
      case "+": case "=": act(st, "zoom-in"); break;
      case "-": case "_": act(st, "zoom-out"); break;
      case "0": act(st, "reset"); break;
      case "r": case "R": rotate(st, ev.shiftKey ? -90 : 90); break;
      // Arrows move the view over the image, as scrolling would: right shows more of the right.
      case "ArrowLeft":
      case "ArrowRight":
        if (tab) {
          moveTab(st, tab, ev.key === "ArrowRight" ? 1 : -1);
          break;
        }
        if (!onStage) return;
        pan(st, ev.key === "ArrowRight" ? -step : step, 0);
        break;
      case "ArrowUp":
      case "ArrowDown":
        if (!onStage) return;
        pan(st, 0, ev.key === "ArrowDown" ? -step : step);
        break;
      default:
        // 1…9 pick an image by its place in the tabs.
        if (/^[1-9]$/.test(ev.key) && st.tabs[+ev.key - 1]) {
          show(st, st.tabs[+ev.key - 1].getAttribute("data-viewer-show"));
          break;
        }
        return;
    }
    ev.preventDefault();
  }

  function moveTab(st, tab, dir) {
    var i = st.tabs.indexOf(tab);
    if (i < 0) return;
    var next = st.tabs[(i + dir + st.tabs.length) % st.tabs.length];
    show(st, next.getAttribute("data-viewer-show"));
    next.focus();
  }

  function endDrag(st, ev) {
    if (!st.drag || (ev && ev.pointerId !== st.drag.id)) return;
    if (st.stage.hasPointerCapture && st.stage.hasPointerCapture(st.drag.id)) {
      st.stage.releasePointerCapture(st.drag.id);
    }
    st.drag = null;
    st.stage.classList.remove("is-panning");
  }

  function bind(st) {
    var root = st.root, stage = st.stage;
    root.addEventListener("click", function (ev) {
      var tab = ev.target.closest("[data-viewer-show]");
      var btn = !tab && ev.target.closest("[data-viewer-action]");
      if (tab && root.contains(tab)) show(st, tab.getAttribute("data-viewer-show"));
      else if (btn && root.contains(btn)) act(st, btn.getAttribute("data-viewer-action"));
      else return;
      // The viewer's keys (r rotates) go where the focus is. Safari, and Firefox on macOS, leave
      // the focus where it was when a button is clicked: without this, r after a click on a tab or
      // on the rotate button would go to the page (the decision panel's r, reject).
      if (!root.contains(document.activeElement)) stage.focus({ preventScroll: true });
    });
    root.addEventListener("keydown", function (ev) { onKey(st, ev); });

    stage.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0 || !st.frame || !st.frame.querySelector(".viewer-canvas")) return;
      if (ev.target.closest("a, button")) return;
      stage.focus({ preventScroll: true });
      ev.preventDefault();
      stage.setPointerCapture(ev.pointerId);
      st.drag = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, panX: st.panX, panY: st.panY };
      stage.classList.add("is-panning");
    });
    stage.addEventListener("pointermove", function (ev) {
      if (!st.drag || ev.pointerId !== st.drag.id) return;
      st.panX = st.drag.panX + ev.clientX - st.drag.x;
      st.panY = st.drag.panY + ev.clientY - st.drag.y;
      render(st);
    });
    stage.addEventListener("pointerup", function (ev) { endDrag(st, ev); });
    stage.addEventListener("pointercancel", function (ev) { endDrag(st, ev); });
    stage.addEventListener("lostpointercapture", function (ev) { endDrag(st, ev); });
    stage.addEventListener("dragstart", function (ev) { ev.preventDefault(); });

    // Ctrl+wheel (or ⌘+wheel) zooms around the pointer; the wheel alone is left to the page,
    // which scrolls, so a reviewer scrolling past the image is not caught by it. A trackpad pinch
    // arrives as Ctrl+wheel with small deltas, so it gets a stronger factor than a mouse wheel's
    // notches.
    stage.addEventListener("wheel", function (ev) {
      if (!(ev.ctrlKey || ev.metaKey) || !st.frame || !st.frame.querySelector(".viewer-canvas")) return;
      ev.preventDefault();
      var dy = ev.deltaY * (ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? stage.clientHeight : 1);
      var factor = Math.exp(-clamp(dy, -300, 300) * (ev.ctrlKey ? 0.01 : 0.002));
      var p = stagePoint(st, ev);
      zoomTo(st, st.zoom * factor, p.x, p.y);
    }, { passive: false });

    stage.addEventListener("dblclick", function (ev) {
      if (st.zoom > 1.001) {
        fit(st);
      } else {
        var p = stagePoint(st, ev);
        zoomTo(st, 2, p.x, p.y);
      }
    });
  }

  // ---- setup -------------------------------------------------------------------------------

  function init(root) {
    if (states.has(root)) return states.get(root);
    var stage = root.querySelector(".viewer-stage");
    if (!stage) return null;
    var layer = document.createElement("div");
    layer.className = "viewer-labels";
    layer.setAttribute("aria-hidden", "true");
    stage.appendChild(layer);
    var st = {
      root: root,
      stage: stage,
      layer: layer,
      tabs: Array.prototype.slice.call(root.querySelectorAll("[data-viewer-show]")),
      actions: Array.prototype.slice.call(root.querySelectorAll("[data-viewer-action]")),
      frames: Array.prototype.slice.call(stage.querySelectorAll(".viewer-frame")),
      zoomLabel: root.querySelector("[data-viewer-zoom]"),
      original: root.querySelector("[data-viewer-original]"),
      frame: null,
      zoom: 1, rot: 0, panX: 0, panY: 0, scale: 1,
      views: {}, // frame id → the view it was left with
      drag: null,
      labels: [], labelsFor: null, labelsDirty: true
    };
    states.set(root, st);
    root.setAttribute("data-viewer-ready", "");
    st.frames.forEach(prepare);
    st.tabs.forEach(function (t) {
      var id = t.getAttribute("data-viewer-show");
      if (id) t.setAttribute("aria-controls", id);
    });
    bind(st);
    if (resizer) resizer.observe(stage);

    var first = null;
    st.tabs.some(function (t) {
      if (t.getAttribute("aria-selected") === "true") first = t.getAttribute("data-viewer-show");
      return first;
    });
    if (!frameById(st, first)) {
      var visible = st.frames.filter(function (f) { return !f.hidden; })[0] || st.frames[0];
      first = visible && visible.id;
    }
    if (first) show(st, first);
    else publish(st);
    return st;
  }

  function initAll(scope) {
    if (!scope || !scope.querySelectorAll) return;
    if (scope.matches && scope.matches("[data-viewer]")) init(scope);
    Array.prototype.forEach.call(scope.querySelectorAll("[data-viewer]"), init);
  }

  // stateFor finds the viewer an API call means: the one holding root (or inside it), else the
  // one holding the frame with frameId, else the first on the page.
  function stateFor(root, frameId) {
    var el = null;
    if (root && root.nodeType === 1) {
      el = root.closest("[data-viewer]") || root.querySelector("[data-viewer]");
    }
    if (!el && frameId) {
      var f = document.getElementById(frameId);
      el = f && f.closest("[data-viewer]");
    }
    if (!el) el = document.querySelector("[data-viewer]");
    return el ? init(el) : null;
  }

  function cleanKind(kind) {
    var k = String(kind || "field").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
    return k || "field";
  }

  function point(p) {
    if (Array.isArray(p)) return { x: Number(p[0]), y: Number(p[1]) };
    return p ? { x: Number(p.x), y: Number(p.y) } : { x: NaN, y: NaN };
  }

  window.kycViewer = {
    // show selects the image frame with this id, in the view it was left with (fitted, the first
    // time).
    show: function (frameId, root) {
      var st = stateFor(root, frameId);
      return st ? show(st, frameId) : false;
    },
    // zoomBy multiplies the zoom (1 = fit) by factor, around the stage centre.
    zoomBy: function (factor, root) {
      var st = stateFor(root);
      if (st && factor > 0 && isFinite(factor)) zoomTo(st, st.zoom * factor);
    },
    // rotate turns the image by deg, rounded to quarter turns; positive is clockwise.
    rotate: function (deg, root) {
      var st = stateFor(root);
      if (st && isFinite(deg)) rotate(st, deg);
    },
    // reset fits the image again, centred, keeping its rotation.
    reset: function (root) {
      var st = stateFor(root);
      if (st) fit(st);
    },
    // drawBox outlines a region given by its corners in image pixels on that frame, with an
    // optional label, and shows the frame. It returns the polygon, or null when the frame is
    // unknown or the corners are not numbers.
    drawBox: function (frameId, corners, label, kind, root) {
      var st = stateFor(root, frameId);
      var frame = st && frameById(st, frameId);
      var svg = frame && frame.querySelector("svg.viewer-overlay");
      if (!svg || !Array.isArray(corners) || corners.length < 3) return null;
      var pts = corners.map(point);
      if (pts.some(function (p) { return !isFinite(p.x) || !isFinite(p.y); })) return null;
      if (st.frame !== frame) show(st, frameId);
      var k = cleanKind(kind);
      var poly = document.createElementNS(SVGNS, "polygon");
      poly.setAttribute("points", pts.map(function (p) { return p.x + "," + p.y; }).join(" "));
      poly.setAttribute("class", "viewer-box viewer-box-" + k);
      poly.setAttribute("data-kind", k);
      if (label) {
        poly.setAttribute("data-label", String(label));
        var title = document.createElementNS(SVGNS, "title");
        title.textContent = String(label);
        poly.appendChild(title);
      }
      svg.appendChild(poly);
      st.labelsDirty = true;
      render(st);
      return poly;
    },
    // clearBoxes removes every box and label from every frame of the viewer.
    clearBoxes: function (root) {
      var st = stateFor(root);
      if (!st) return;
      Array.prototype.forEach.call(st.stage.querySelectorAll("svg.viewer-overlay .viewer-box"), function (b) {
        b.remove();
      });
      st.labelsDirty = true;
      render(st);
    }
  };

  document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  // htmx announces swapped-in content (and its own start) with htmx:load on the new element.
  document.addEventListener("htmx:load", function (ev) { initAll(ev.target); });
  // A viewer swapped out by htmx stops being watched for resizes (htmx cleans up each element).
  document.addEventListener("htmx:beforeCleanupElement", function (ev) {
    var el = ev.target;
    if (resizer && el && el.matches && el.matches(".viewer-stage")) resizer.unobserve(el);
  });
  if (document.readyState !== "loading") initAll(document);
})();
