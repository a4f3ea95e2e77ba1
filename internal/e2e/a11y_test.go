package e2e

import (
	"strings"
	"testing"

	cdp "github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kycdesk/internal/testenv"
)

// activeIs is a JS expression: whether the focused element matches the CSS selector sel.
func activeIs(sel string) string {
	return `(() => { const a = document.activeElement; return !!a && a !== document.body && a.matches(` + jsString(sel) + `) })()`
}

// TestKeyboardReachesTheDecisionAndLandsOnErrors: the first Tab of the case page is "Skip to main
// content", shown when focused, and the second "Skip to decision", which puts the focus on the
// decision panel. A form that comes back refused puts the focus on a summary of its errors, whole
// page (the decision form, the liveness form) or swapped in by htmx (a note), whose links lead to
// the fields.
func TestKeyboardReachesTheDecisionAndLandsOnErrors(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := demoCase(t, app, "demo-1001")
	caseURL := app.URL + "/cases/" + c.ID.String()
	b := testenv.Browser(t)
	do(t, b, cdp.EmulateViewport(1280, 900))
	do(t, b, cdp.Navigate(caseURL))
	signIn(t, b, rev.Email, rev.Password)
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")))

	// Skip links: the first two Tabs, visible when focused.
	do(t, b, cdp.Navigate(caseURL), cdp.WaitVisible(cdp.CSS("#decision-form")), cdp.KeyEvent(kb.Tab))
	poll(t, b, activeIs(`a.skip-link[href="#main"]`), "the first Tab is not the skip link to the main content")
	r := jsRect(t, b, "document.activeElement")
	if r.X < 0 || r.Y < 0 || r.W < 20 || r.H < 10 || r.X+r.W > 1280 {
		t.Errorf("the focused skip link is not on screen: %+v", r)
	}
	if s := evalString(t, b, "document.activeElement.textContent.trim()"); s != "Skip to main content" {
		t.Errorf("the first skip link reads %q", s)
	}
	testenv.Screenshot(t, b, "skip-link")
	do(t, b, cdp.KeyEvent(kb.Tab))
	poll(t, b, activeIs(`a.skip-link[href="#decision"]`), "the second Tab is not the skip link to the decision")
	do(t, b, cdp.KeyEvent(kb.Enter))
	poll(t, b, activeIs("#decision"), "Skip to decision did not put the focus on the decision panel")
	// From there the next Tab is in the decision panel.
	do(t, b, cdp.KeyEvent(kb.Tab))
	poll(t, b, `!!document.activeElement.closest("#decision")`, "Tab after the skip link left the decision panel")

	// The decision refused (no reason): the page comes back with the focus on its errors. The
	// comment an approval with no finished vendor check needs is given, so the reason is the one.
	do(t, b, cdp.SetValue(cdp.CSS("#comment"), "Checked the passport by hand."),
		cdp.Evaluate[cdp.Void](`document.activeElement.blur()`), cdp.KeyEvent("a"), cdp.Click(cdp.CSS("#decide")),
		cdp.WaitVisible(cdp.CSS("#reason-error")))
	poll(t, b, activeIs(`#decision-form .error-summary[role=alert]`), "the refused decision did not put the focus on its errors")
	links := evalStrings(t, b, `[...document.activeElement.querySelectorAll("a")].map(a => a.textContent)`)
	if len(links) != 1 || !strings.HasPrefix(links[0], "Reason: ") {
		t.Fatalf("the summary lists %q", links)
	}
	if !evalBool(t, b, `document.querySelector("#reason").getAttribute("aria-invalid") === "true"`) {
		t.Error("the reason is not marked invalid")
	}
	testenv.Screenshot(t, b, "decision-errors")
	do(t, b, cdp.Click(cdp.CSS("#decision-form .error-summary a")))
	poll(t, b, activeIs("#reason"), "the summary's link did not put the focus on the reason")

	// The document decision, a row of controls whose messages are under it: the same.
	do(t, b, cdp.SetValue(cdp.CSS(`#document-decision-form select[name=outcome]`), "new_image"),
		cdp.Click(cdp.CSS(`#document-decision-form button[type=submit]`)), cdp.WaitVisible(cdp.CSS("#side-error")))
	poll(t, b, activeIs(`#document-decision-form .error-summary[role=alert]`), "the refused document decision did not put the focus on its errors")
	if s := evalString(t, b, `document.activeElement.querySelector("a").textContent`); !strings.HasPrefix(s, "Which image: ") {
		t.Errorf("the document decision's summary lists %q", s)
	}
	testenv.Screenshot(t, b, "document-decision-errors")
	do(t, b, cdp.Click(cdp.CSS("#document-decision-form .error-summary a")))
	poll(t, b, activeIs(`#document-decision-form select[name=side]`), "the summary's link did not put the focus on the side")

	// A note refused by htmx (empty): the focus goes to the errors of the swapped-in form.
	do(t, b, cdp.Click(cdp.CSS("#note-form button[type=submit]")))
	poll(t, b, activeIs(`#note-form .error-summary[role=alert]`), "the refused note did not put the focus on its errors")
	do(t, b, cdp.Click(cdp.CSS("#note-form .error-summary a")))
	poll(t, b, activeIs("#note-body"), "the summary's link did not put the focus on the note")

	// The liveness form refused (nothing chosen): its own alert lists the errors and has the focus.
	_, docID := demoDocument(t, app, "demo-1001")
	do(t, b, cdp.Navigate(caseURL+"/documents/"+docID.String()+"/liveness"), cdp.WaitVisible(cdp.CSS("#liveness-form")),
		cdp.Click(cdp.CSS("#record-verdict")), cdp.WaitVisible(cdp.CSS("#conclusion-error")))
	poll(t, b, activeIs(`#liveness-form [data-error-summary][role=alert]`), "the refused verdict did not put the focus on its errors")
	listed := evalStrings(t, b, `[...document.activeElement.querySelectorAll("a")].map(a => a.textContent)`)
	joined := strings.Join(listed, "\n")
	for _, want := range []string{"Conclusion: ", "Eyes closed: ", "Sunglasses: ", "Face occluded: "} {
		if !strings.Contains(joined, want) {
			t.Errorf("the liveness summary lacks %q:\n%s", want, joined)
		}
	}
	testenv.Screenshot(t, b, "liveness-errors")
	if evalInt(t, b, `document.querySelectorAll("#liveness-form .error-summary").length`) != 0 {
		t.Error("the liveness form has a second error box")
	}
	do(t, b, cdp.Evaluate[cdp.Void](`[...document.activeElement.querySelectorAll("a")].find(a => a.textContent.startsWith("Eyes closed: ")).click()`))
	poll(t, b, activeIs(`input[name=eyes_closed]`), "the summary's link did not put the focus on the eyes-closed choice")
}

// TestShortcutsFromTheReasons: a decision key puts the focus on the reasons; there letters choose
// a reason, but "?" still opens the list of shortcuts and Escape gives the focus back to where it
// was, after which the shortcuts work again. In text fields no key acts.
func TestShortcutsFromTheReasons(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := demoCase(t, app, "demo-1001")
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(app.URL+"/cases/"+c.ID.String()))
	signIn(t, b, rev.Email, rev.Password)
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")))
	chosen := func() string {
		return evalString(t, b, `(() => { const o = document.querySelector('#decision-form input[name=outcome]:checked'); return o ? o.value : "" })()`)
	}

	// Case page: from a link, r puts the focus on the reasons; Escape gives it back to the link,
	// and the next decision key acts.
	do(t, b, cdp.Evaluate[cdp.Void](`document.getElementById("edit-customer").focus()`), cdp.KeyEvent("r"))
	poll(t, b, activeIs("#reason"), "r did not put the focus on the reasons")
	do(t, b, cdp.KeyEvent(kb.Escape))
	poll(t, b, activeIs("#edit-customer"), "Escape in the reasons did not give the focus back")
	do(t, b, cdp.KeyEvent("e"))
	if o := chosen(); o != "escalate" {
		t.Errorf("after Escape, e chose %q", o)
	}

	// The workspace: r, then ? opens the list of shortcuts from the reasons.
	do(t, b, cdp.Click(cdp.CSS("[data-review-link]")), cdp.WaitVisible(cdp.CSS("[data-review-ready]")), cdp.WaitVisible(cdp.CSS("#decision-form")))
	do(t, b, cdp.Evaluate[cdp.Void](`document.activeElement && document.activeElement.blur()`), cdp.KeyEvent("r"))
	poll(t, b, activeIs("#reason"), "r did not put the focus on the workspace's reasons")
	// In the list, t is a letter for the list: the image does not turn.
	do(t, b, cdp.KeyEvent("t"))
	if rot := evalString(t, b, `document.querySelector(".viewer-stage").dataset.rotation || "0"`); rot != "0" {
		t.Errorf("t in the reasons rotated the image to %s", rot)
	}
	do(t, b, cdp.KeyEvent("?"))
	poll(t, b, `document.getElementById("shortcuts").open`, "? in the reasons did not open the list of shortcuts")
	do(t, b, cdp.KeyEvent("?"))
	poll(t, b, `!document.getElementById("shortcuts").open`, "? did not close the list of shortcuts")
	poll(t, b, activeIs("#reason"), "closing the list of shortcuts did not give the focus back to the reasons")
	// Escape leaves the reasons (the focus was nowhere before: the decision panel takes it) and the
	// workspace's shortcuts work again.
	do(t, b, cdp.KeyEvent(kb.Escape))
	poll(t, b, activeIs("#decision"), "Escape in the reasons did not give the focus back to the page")
	do(t, b, cdp.KeyEvent("t"))
	poll(t, b, `document.querySelector(".viewer-stage").dataset.rotation === "90"`, "t after Escape did not rotate")
	if o := chosen(); o != "reject" {
		t.Errorf("the outcome changed to %q", o)
	}
	// A text field keeps every key, ? included.
	do(t, b, cdp.Click(cdp.CSS("#comment")), cdp.KeyEvent("?"))
	if evalBool(t, b, `document.getElementById("shortcuts").open`) {
		t.Error("? typed in the comment opened the list of shortcuts")
	}
	if v := evalString(t, b, `document.getElementById("comment").value`); v != "?" {
		t.Errorf("the comment reads %q", v)
	}
}
