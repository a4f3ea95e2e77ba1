package e2e

import (
	"testing"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/testenv"
)

// TestRKeyRotatesInTheViewerAndRejectsElsewhere: on the case page R is the viewer's (rotate) while
// the viewer has the focus, and the decision panel's (reject) anywhere else; one key press never
// does both. A click on the viewer's buttons leaves R with the viewer even where a browser does not
// focus a clicked button (Safari). In the review workspace R is reject even on the image (T
// rotates), and no decision key acts behind the open list of shortcuts.
func TestRKeyRotatesInTheViewerAndRejectsElsewhere(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#decision-form")))

	rotation := func() string { return evalString(t, b, `document.querySelector(".viewer-stage").dataset.rotation`) }
	chosen := func() string {
		return evalString(t, b, `(() => { const o = document.querySelector('#decision-form input[name=outcome]:checked'); return o ? o.value : "" })()`)
	}
	blur := cdp.Evaluate[cdp.Void](`document.activeElement && document.activeElement.blur()`)

	// The viewer has the focus: R rotates, and the decision stays unchosen.
	do(t, b, cdp.Click(cdp.CSS(".viewer-stage")), cdp.KeyEvent("r"))
	poll(t, b, `document.querySelector(".viewer-stage").dataset.rotation === "90"`, "r on the focused viewer did not rotate")
	if o := chosen(); o != "" {
		t.Fatalf("r on the focused viewer also chose %q", o)
	}
	// Shift+R rotates back.
	do(t, b, cdp.KeyEvent("R"))
	if r, o := rotation(), chosen(); r != "0" || o != "" {
		t.Fatalf("Shift+R on the viewer: rotation %s, outcome %q", r, o)
	}
	// The rotate button clicked without taking the focus, as Safari does: R stays the viewer's.
	do(t, b, blur, cdp.Evaluate[cdp.Void](`document.querySelector('[data-viewer-action="rotate-right"]').click()`), cdp.KeyEvent("r"))
	if r, o := rotation(), chosen(); r != "180" || o != "" {
		t.Fatalf("r after a click on the rotate button: rotation %s, outcome %q", r, o)
	}

	// Anywhere else R is reject, and the image stays as it was.
	do(t, b, blur, cdp.KeyEvent("r"))
	if r, o := rotation(), chosen(); r != "180" || o != "reject" {
		t.Fatalf("r outside the viewer: rotation %s, outcome %q", r, o)
	}
	if id := evalString(t, b, `document.activeElement.id`); id != "reason" {
		t.Errorf("after r the focus is on %q, want the reasons", id)
	}
	// Typed in a field, it is a letter.
	do(t, b, cdp.Click(cdp.CSS("#note-body")), cdp.KeyEvent("a"))
	if o := chosen(); o != "reject" {
		t.Errorf("a typed in the note changed the outcome to %q", o)
	}

	// The review workspace: R is reject on the image too, and nothing is decided behind the list of
	// shortcuts.
	do(t, b, blur, cdp.Click(cdp.CSS("[data-review-link]")), cdp.WaitVisible(cdp.CSS("[data-review-ready]")), cdp.WaitVisible(cdp.CSS("#decision-form")))
	do(t, b, cdp.Click(cdp.CSS(".viewer-stage")), cdp.KeyEvent("r"))
	if r, o := rotation(), chosen(); r != "0" || o != "reject" {
		t.Fatalf("r on the workspace's image: rotation %s, outcome %q", r, o)
	}
	do(t, b, blur, cdp.KeyEvent("?"))
	poll(t, b, `document.getElementById("shortcuts").open`, "? did not open the list of shortcuts")
	do(t, b, cdp.KeyEvent("a"), cdp.KeyEvent("e"))
	if o := chosen(); o != "reject" {
		t.Errorf("a decision key behind the list of shortcuts chose %q", o)
	}
}
