// kycdesk: a form that comes back with errors (a 422, as a whole page or swapped in by htmx) gets a
// summary at its top (role=alert) listing each message as a link to its field, and the focus moves
// to that summary, so a keyboard or screen reader user lands on what to correct instead of on
// <body>. It works for every form: fields name their message with aria-invalid and
// aria-describedby (web/view.go's invalid), messages are web's fieldError (class "error"); a
// message no field names links to the first control beside it, or to itself.
//
// A form may already say that nothing was saved in an alert of its own: marked data-error-summary
// (inside the form, or anywhere with the form's id as value), that alert takes the list instead
// of a second box.
//
// An htmx answer that refreshes something else than its form (the queue's filters refresh the
// results) leaves the form as it was: its alert names each refused field instead, an item with
// data-field (the field's name) and data-message. The field is marked here as web marks it on a
// whole page, and listed with the others, linked; the form is not swapped, as the reader may be
// typing in one of its fields.
(function () {
  "use strict";

  var CONTROL = "input:not([type=hidden]), select, textarea";
  var pending = [];

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  function clean(s) {
    return String(s || "").replace(/\s+/g, " ").trim().replace(/:$/, "");
  }

  // labelOf names a field for the list: a radio or a checkbox among several by its group's legend
  // (its own label is one choice of the group; no legend, no name), anything else by its label.
  function labelOf(field) {
    if (!field) return "";
    if (field.type === "radio" || field.type === "checkbox") {
      var fs = field.closest("fieldset");
      var legend = fs && fs.querySelector("legend");
      if (legend) return clean(legend.textContent);
      var group = field.form && field.name ? field.form.querySelectorAll('input[name="' + field.name + '"]').length : 1;
      if (field.type === "radio" || group > 1) return "";
    }
    if (field.labels && field.labels.length) return clean(field.labels[0].textContent);
    return clean(field.getAttribute("aria-label"));
  }

  // target is where a link to field goes: for a radio, the group's checked one (else the first).
  function target(field) {
    if (field && field.type === "radio" && field.form && field.name) {
      var checked = field.form.querySelector('input[type=radio][name="' + field.name + '"]:checked');
      if (checked) return checked;
    }
    return field;
  }

  // entries are a form's messages with the field each belongs to, in the order of the page.
  function entries(form) {
    var out = [], seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.getAttribute("aria-invalid") !== "true") return;
      (el.getAttribute("aria-describedby") || "").split(/\s+/).forEach(function (id) {
        var msg = byId(id);
        if (!msg || !msg.classList.contains("error") || seen[id]) return;
        seen[id] = true;
        out.push({ msg: msg, field: target(el) });
      });
    });
    form.querySelectorAll(".error[id]").forEach(function (msg) {
      if (seen[msg.id]) return;
      seen[msg.id] = true;
      var box = msg.closest(".field, fieldset");
      var field = box && form.contains(box) ? box.querySelector(CONTROL) : null;
      out.push({ msg: msg, field: target(field) });
    });
    out.sort(function (a, b) {
      return a.msg.compareDocumentPosition(b.msg) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    return out;
  }

  function hostOf(form) {
    var host = form.querySelector("[data-error-summary]");
    if (!host && form.id) host = document.querySelector('[data-error-summary="' + form.id + '"]');
    return host;
  }

  // summarize puts the list at the top of form and returns the box the focus goes to, or null
  // when the form has no error.
  function summarize(form) {
    var list = entries(form);
    if (!list.length) return null;
    form.setAttribute("data-errors-listed", "");
    var box = hostOf(form);
    if (box) {
      var old = box.querySelector(".error-summary-list");
      if (old) old.remove();
    } else {
      box = document.createElement("div");
      box.className = "error-summary";
      var title = document.createElement("p");
      title.className = "error-summary-title";
      title.textContent = list.length === 1 ? "One problem to correct:" : list.length + " problems to correct:";
      box.appendChild(title);
      form.insertBefore(box, form.firstChild);
    }
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    var ul = document.createElement("ul");
    ul.className = "error-summary-list";
    list.forEach(function (e) {
      var a = document.createElement("a");
      var to = e.field && e.field.id ? e.field : e.msg;
      a.href = "#" + to.id;
      a.setAttribute("data-error-link", "");
      var label = labelOf(e.field), text = clean(e.msg.textContent);
      a.textContent = label && label.toLowerCase() !== text.toLowerCase() ? label + ": " + text : text;
      if (!e.field || !e.field.id) a._kycTarget = e.field || e.msg;
      var li = document.createElement("li");
      li.appendChild(a);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  }

  function formsIn(scope) {
    var forms = [];
    if (scope.nodeType !== 1 && scope.nodeType !== 9) return forms;
    if (scope.matches && scope.matches("form")) forms.push(scope);
    scope.querySelectorAll("form").forEach(function (f) { forms.push(f); });
    var inForm = scope.closest && scope.closest("form");
    if (inForm) forms.push(inForm);
    return forms;
  }

  // controlsNamed are the controls of form named name that a reader fills in.
  function controlsNamed(form, name) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name === name && el.matches(CONTROL);
    });
  }

  // markFromAlerts marks the fields an alert in scope names (li[data-field][data-message]) as web's
  // invalid and fieldError do, takes those items out of the alert (it lists them again, linked),
  // and returns the forms it marked.
  function markFromAlerts(scope) {
    var forms = [];
    if (!scope.querySelectorAll) return forms;
    scope.querySelectorAll("[data-error-summary] li[data-field][data-message]").forEach(function (li) {
      var host = li.closest("[data-error-summary]");
      var form = host.closest("form") || byId(host.getAttribute("data-error-summary"));
      if (!form || !form.matches("form")) return;
      var name = li.getAttribute("data-field");
      var fields = controlsNamed(form, name);
      var box = fields.length ? fields[0].closest(".field") : null;
      if (!box || !form.contains(box)) return; // no field to mark: the item stays as it is
      var id = name + "-error"; // web's errorID
      var msg = byId(id);
      if (!msg) {
        msg = document.createElement("div");
        msg.className = "error";
        msg.id = id;
        msg.setAttribute("data-error-for", name);
        box.appendChild(msg);
      }
      msg.textContent = li.getAttribute("data-message");
      box.classList.add("has-error");
      fields.forEach(function (el) {
        el.setAttribute("aria-invalid", "true");
        var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
        if (ids.indexOf(id) < 0) ids.push(id);
        el.setAttribute("aria-describedby", ids.join(" "));
      });
      var list = li.parentNode;
      li.remove();
      if (list && list.matches("ul, ol") && !list.children.length) list.remove();
      form.removeAttribute("data-errors-listed"); // to list again, with this field
      if (forms.indexOf(form) < 0) forms.push(form);
    });
    return forms;
  }

  // process lists the errors of every form in scope that came with some, once per form, and
  // those of the fields an alert in scope names. The focus goes to the list, except where a form
  // refreshing something else as it changes (data-errors-clear) was marked from an answer: the
  // reader is at work in the form (one field refused, they moved on to the next), and the alert
  // says it (role=alert).
  function process(scope) {
    var found = false;
    var marked = markFromAlerts(scope);
    var forms = formsIn(scope);
    marked.forEach(function (form) {
      if (forms.indexOf(form) < 0) forms.push(form);
    });
    forms.forEach(function (form) {
      if (form.hasAttribute("data-errors-listed")) return;
      var box = summarize(form);
      if (box) {
        if (marked.indexOf(form) < 0 || !form.hasAttribute("data-errors-clear")) pending.push(box);
        found = true;
      }
    });
    if (found || !scope.querySelectorAll) return;
    // A message outside any form (a refused claim): it takes the focus itself.
    scope.querySelectorAll(".error[id]").forEach(function (msg) {
      if (msg.closest("form") || msg.hasAttribute("data-error-seen")) return;
      msg.setAttribute("data-error-seen", "");
      if (document.querySelector('[aria-describedby~="' + msg.id + '"]')) return;
      msg.tabIndex = -1;
      msg.setAttribute("role", "alert");
      pending.push(msg);
    });
  }

  // flush moves the focus to the first summary made, unless the reader is busy elsewhere (a panel
  // that refreshes itself must not take the focus from what the reader is doing).
  function flush() {
    var box = null;
    for (var i = 0; i < pending.length && !box; i++) {
      if (pending[i].isConnected) box = pending[i];
    }
    pending = [];
    if (!box) return;
    var active = document.activeElement;
    var form = box.closest("form");
    if (active && active !== document.body && !(form && form.contains(active)) && !box.contains(active)) return;
    box.focus();
  }

  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-error-link]");
    if (!a) return;
    var to = a._kycTarget || byId(a.getAttribute("href").slice(1));
    if (!to) return;
    ev.preventDefault();
    if (!to.matches(CONTROL + ", button, a[href], [tabindex]")) to.tabIndex = -1;
    var around = to.closest(".field") || to;
    around.scrollIntoView({ block: "nearest" });
    to.focus({ preventScroll: true });
  });

  function onLoad(scope) {
    process(scope);
    // After htmx has settled the swap (and put back the focus it keeps across swaps).
    setTimeout(flush, 0);
  }

  // clear takes back the messages of a form whose values were accepted since: its field messages,
  // their marks and the list of them.
  function clear(form) {
    form.querySelectorAll(".error[data-error-for]").forEach(function (msg) {
      form.querySelectorAll('[aria-describedby~="' + msg.id + '"]').forEach(function (el) {
        var ids = el.getAttribute("aria-describedby").split(/\s+/).filter(function (id) { return id && id !== msg.id; });
        if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
        else el.removeAttribute("aria-describedby");
        el.removeAttribute("aria-invalid");
      });
      msg.remove();
    });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    var host = hostOf(form);
    var list = host && host.querySelector(".error-summary-list");
    if (list) list.remove();
    var own = form.querySelector(".error-summary");
    if (own) own.remove();
    form.removeAttribute("data-errors-listed");
  }

  // A form marked data-errors-clear that refreshes something else (the queue's filters refresh the
  // results) keeps its messages until a request from it is answered and swapped (2xx, or a 422
  // that htmx swaps): then they are stale. A refusal brings its own in its alert, marked when it
  // settles (htmx:load), after this.
  document.addEventListener("htmx:afterRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    var form = elt && elt.closest ? elt.closest("form[data-errors-clear]") : null;
    if (form && form.isConnected && ev.detail.successful) clear(form);
  });

  document.addEventListener("htmx:load", function (ev) { onLoad(ev.target); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { onLoad(document); });
  else onLoad(document);
})();
