package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/testenv"
)

// TestDecisionPanelFollowsTheChecks: a reviewer runs OOTO on the demo case whose selfie shows
// somebody else and starts typing the decision's comment meanwhile. Before, the hint says that
// approving needs a comment as no vendor check has finished. When OOTO's negative result comes
// in, the decision panel shows its flag and the hint names it, without a reload, and what the
// reviewer typed is still there, focus and all.
func TestDecisionPanelFollowsTheChecks(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	b, _ := openDemoCase(t, app, rev, "demo-1004") // FaceMismatch: OOTO's face match fails
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")), cdp.WaitVisible(cdp.CSS(".run-checks")))
	// The case is risk-flagged (a flag of its own); nothing of OOTO's yet, and the hint says no
	// vendor check has finished (naming the vendors expected, OOTO among them).
	if evalBool(t, b, `(document.querySelector("#decision-flags")?.textContent || "").includes("OOTO")`) {
		t.Fatal("OOTO's flag before any check ran")
	}
	if hint := text(t, b, "#negative-hint"); !strings.Contains(hint, "no vendor check has finished") || strings.Contains(hint, "negative") {
		t.Fatalf("the hint before any check ran: %q", hint)
	}
	// Only OOTO, so the test waits for one vendor; the page is marked to tell a reload.
	do(t, b, cdp.Evaluate[cdp.Void](`window.__samePage = true;
		document.querySelectorAll(".run-checks input[name=vendor]").forEach(i => { i.checked = i.value === "ooto" })`),
		cdp.Click(cdp.CSS(".run-checks button[type=submit]")))
	do(t, b, cdp.Click(cdp.CSS("#comment")), cdp.SendKeys(cdp.CSS("#comment"), "Typed while the checks run"))

	pctx, cancel := context.WithTimeout(b, 90*time.Second)
	defer cancel()
	if _, err := cdp.Run(pctx, cdp.Poll[bool](`(document.querySelector("#negative-hint")?.textContent || "").includes("result is negative")`)); err != nil {
		states, _ := cdp.Run(b, cdp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-check]")].map(r => r.dataset.vendor + ":" + r.dataset.state)`))
		t.Fatalf("the hint did not come: %v (checks %v)", err, states)
	}
	if hint := text(t, b, "#negative-hint"); !strings.Contains(hint, "OOTO") || !strings.Contains(hint, "comment") || strings.Contains(hint, "no vendor check has finished") {
		t.Errorf("hint: %q", hint)
	}
	if flags := text(t, b, "#decision-flags"); !strings.Contains(flags, "OOTO") {
		t.Errorf("flags: %q", flags)
	}
	if !evalBool(t, b, `window.__samePage === true`) {
		t.Fatal("the page was reloaded")
	}
	if got := evalString(t, b, `document.querySelector("#comment").value`); got != "Typed while the checks run" {
		t.Errorf("the comment typed: %q", got)
	}
	if !evalBool(t, b, `document.activeElement && document.activeElement.id === "comment"`) {
		t.Error("the comment lost the focus")
	}
	testenv.Screenshot(t, b, "decision-follows-checks")
}
