package e2e

import (
	"context"
	"strings"
	"testing"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/db"
	"kycdesk/internal/demo"
	"kycdesk/internal/testenv"
)

// TestKeyboardDecisionThroughFourEyes: a reviewer decides a case with the keyboard (no vendor
// check has run: the approval says why in its comment); the expired document sends the approval
// to a second review; a manager confirms it in another browser.
func TestKeyboardDecisionThroughFourEyes(t *testing.T) {
	app := testenv.NewApp(t)
	rev, mgr := app.CreateUser(t, "reviewer"), app.CreateUser(t, "manager")
	b, caseURL := openDemoCase(t, app, rev, "demo-1006") // the expired document
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")))
	// "a" chooses approve and narrows the reasons; typing in a field does not.
	do(t, b, cdp.Click(cdp.CSS("#note-body")), cdp.SendKeys(cdp.CSS("#note-body"), "a"))
	if on, _ := cdp.Run(b, cdp.Evaluate[bool](`document.querySelector('input[name=outcome][value=approve]').checked`)); on {
		t.Fatal("a key typed in the note chose an outcome")
	}
	do(t, b, cdp.Evaluate[cdp.Void](`document.activeElement.blur()`), cdp.KeyEvent("a"))
	if on, _ := cdp.Run(b, cdp.Evaluate[bool](`document.querySelector('input[name=outcome][value=approve]').checked && document.activeElement.id === "reason"`)); !on {
		t.Fatal("the a key did not choose approve and focus the reason")
	}
	hidden, _ := cdp.Run(b, cdp.Evaluate[bool](`document.querySelector('#reason optgroup[data-outcome=reject]').hidden`))
	if !hidden {
		t.Error("reasons of other outcomes stay offered")
	}
	first, _ := cdp.Run(b, cdp.Evaluate[string](`document.querySelector('#reason optgroup[data-outcome=approve] option').value`))
	do(t, b, cdp.SetValue(cdp.CSS("#reason"), first), cdp.SendKeys(cdp.CSS("#comment"), "Checked the passport by hand; the renewal is under way."),
		cdp.Click(cdp.CSS("#decide")), cdp.WaitVisible(cdp.CSS("#pending-decision")))
	if s, _ := cdp.Run(b, cdp.Text(cdp.CSS("#case-status"))); strings.TrimSpace(s) != "Pending second review" {
		t.Fatalf("status: %q", s)
	}
	if n, _ := cdp.Run(b, cdp.Evaluate[int](`document.querySelectorAll("#confirm-decision").length`)); n != 0 {
		t.Fatal("the maker is offered to confirm")
	}

	m := testenv.Browser(t)
	do(t, m, cdp.Navigate(caseURL))
	signIn(t, m, mgr.Email, mgr.Password)
	do(t, m, cdp.WaitVisible(cdp.CSS("#confirm-decision")))
	flags, _ := cdp.Run(m, cdp.Text(cdp.CSS("#decision-flags")))
	if !strings.Contains(flags, "expired") {
		t.Errorf("flags shown to the checker: %q", flags)
	}
	do(t, m, cdp.Click(cdp.CSS("#confirm-decision")), cdp.WaitVisible(cdp.CSS(".flash-ok")))
	if s, _ := cdp.Run(m, cdp.Text(cdp.CSS("#case-status"))); strings.TrimSpace(s) != "Approved" {
		t.Fatalf("status after confirmation: %q", s)
	}
	testenv.Screenshot(t, m, "approved")
}

// TestRefusedActionIsShown: an htmx action the server refuses (the case was given to someone else
// meanwhile) says so on the page instead of doing nothing.
func TestRefusedActionIsShown(t *testing.T) {
	app := testenv.NewApp(t)
	rev, other := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	ctx := context.Background()
	c := demoCase(t, app, "demo-1001")
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(app.URL+"/cases/"+c.ID.String()))
	signIn(t, b, rev.Email, rev.Password)
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")))
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET assignee_id = $1 WHERE id = $2", other.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	do(t, b, cdp.Click(cdp.CSS(`form[hx-post$="/checks"] button[type=submit]`)))
	msg, err := cdp.Run(b, cdp.Poll[string](`(() => { const e = document.querySelector("#action-error"); return e ? e.textContent : "" })()`))
	if err != nil || !strings.Contains(msg, "someone else") || !strings.HasSuffix(msg, " Reload the page to see the case as it is now.") {
		t.Fatalf("refusal shown: %q %v", msg, err)
	}
}

// demoCase makes the demo cases and returns the open case of the one with external reference ref.
func demoCase(t *testing.T, app *testenv.App, ref string) db.Case {
	t.Helper()
	ctx := context.Background()
	if _, err := demo.EnsureCases(ctx, app.Server.CustomerService(), ""); err != nil {
		t.Fatal(err)
	}
	cust, err := db.New(app.Pool).GetCustomerByExternalRef(ctx, &ref)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.New(app.Pool).GetOpenCaseForCustomer(ctx, cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openDemoCase opens the demo case ref in a new browser signed in as u; it returns the browser
// and the case page's address.
func openDemoCase(t *testing.T, app *testenv.App, u testenv.User, ref string) (context.Context, string) {
	t.Helper()
	caseURL := app.URL + "/cases/" + demoCase(t, app, ref).ID.String()
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(caseURL))
	signIn(t, b, u.Email, u.Password)
	return b, caseURL
}

// TestDocumentReasonsFollowTheOutcome: the document decision offers only the reasons of the
// outcome chosen (a reason of another outcome was refused with a 422), and a reason that no
// longer fits gives way to one that does, so that the decision is recorded as chosen.
func TestDocumentReasonsFollowTheOutcome(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#document-decision-form")))
	const form = `document.querySelector("#document-decision-form")`
	// offered lists the outcomes whose reasons are offered; chosen is the outcome of the reason chosen.
	offered := func() string {
		return evalString(t, b, `[...`+form+`.querySelectorAll("select[name=reason] optgroup")].filter(g => !g.hidden && !g.disabled).map(g => g.dataset.outcome).join(",")`)
	}
	chosen := func() string {
		return evalString(t, b, `(() => { const o = `+form+`.querySelector("select[name=reason]").selectedOptions[0]; return o ? o.parentNode.dataset.outcome || "" : "" })()`)
	}
	if got := offered(); got != "accept" {
		t.Errorf("reasons offered for accept: %q", got)
	}
	if got := chosen(); got != "accept" {
		t.Errorf("reason chosen for accept is of %q", got)
	}
	// The reviewer chooses reject: the accept reason chosen gives way to a reject reason.
	do(t, b, cdp.Evaluate[cdp.Void](`(() => { const s = `+form+`.querySelector("select[name=outcome]"); s.value = "reject"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`))
	if got := offered(); got != "reject" {
		t.Errorf("reasons offered for reject: %q", got)
	}
	if got := chosen(); got != "reject" {
		t.Fatalf("reason chosen for reject is of %q", got)
	}
	do(t, b, cdp.SetValue(cdp.CSS(`#document-decision-form select[name=side]`), "front"),
		cdp.Click(cdp.CSS(`#document-decision-form button[type=submit]`)), cdp.WaitVisible(cdp.CSS(".flash-ok")))
	if n := evalString(t, b, `String(document.querySelectorAll("#doc_reason-error").length)`); n != "0" {
		t.Error("the reason chosen was refused")
	}
}
