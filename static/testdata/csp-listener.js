// Test-only: records Content-Security-Policy violations, so the browser tests fail on any.
(function () {
  "use strict";
  window.cspViolations = [];
  document.addEventListener("securitypolicyviolation", function (ev) {
    var v = ev.violatedDirective + " blocked " + (ev.blockedURI || "inline") + " at " + ev.sourceFile + ":" + ev.lineNumber;
    window.cspViolations.push(v);
    console.error("CSP violation: " + v);
  });
})();
