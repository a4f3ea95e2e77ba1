package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdp "github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/checks"
	"kycdesk/internal/db"
	"kycdesk/internal/demo"
	"kycdesk/internal/review"
	"kycdesk/internal/testenv"
)

// demoDocument finds the case and the document of a demo customer ("demo-1001").
func demoDocument(t *testing.T, app *testenv.App, ref string) (uuid.UUID, uuid.UUID) {
	t.Helper()
	var caseID, docID uuid.UUID
	err := app.Pool.QueryRow(context.Background(), `SELECT c.id, d.id FROM cases c JOIN customers cu ON cu.id = c.customer_id
		JOIN documents d ON d.customer_id = cu.id WHERE cu.external_ref = $1`, ref).Scan(&caseID, &docID)
	if err != nil {
		t.Fatalf("demo case %s: %v", ref, err)
	}
	return caseID, docID
}

// runAllChecks runs the default vendors against the simulator on a document and waits for them.
func runAllChecks(t *testing.T, app *testenv.App, caseID, docID uuid.UUID) {
	t.Helper()
	svc := &checks.Service{Pool: app.Pool, River: app.Server.River}
	if _, err := svc.Request(context.Background(), audit.System, nil, "test", caseID, docID, checks.DefaultSet, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := db.New(app.Pool).ListCaseChecks(context.Background(), caseID)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, c := range list {
			if c.State == db.CheckStateDone || c.State == db.CheckStateFailed {
				done++
			}
		}
		if len(list) > 0 && done == len(list) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("checks did not finish: %d of %d", done, len(list))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type rect struct{ X, Y, W, H float64 }

func jsRect(t *testing.T, ctx context.Context, expr string) rect {
	t.Helper()
	r, err := cdp.Run(ctx, cdp.Evaluate[rect](`(() => { const r = (`+expr+`).getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`))
	if err != nil {
		t.Fatalf("rect of %s: %v", expr, err)
	}
	return r
}

func evalBool(t *testing.T, ctx context.Context, js string) bool {
	t.Helper()
	v, err := cdp.Run(ctx, cdp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	v, err := cdp.Run(ctx, cdp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func poll(t *testing.T, ctx context.Context, js, what string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := cdp.Run(pctx, cdp.Poll[bool](js)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// inside reports whether r lies within outer, with a pixel of slack for rounding.
func inside(r, outer rect) bool {
	return r.W > 0 && r.H > 0 && r.X >= outer.X-1 && r.Y >= outer.Y-1 && r.X+r.W <= outer.X+outer.W+1 && r.Y+r.H <= outer.Y+outer.H+1
}

// TestReviewWorkspace is issue 5's walk-through in a real browser, on the demo cases the vendor
// simulator answers: Argos misreads an expiry date (the mismatch is flagged, clicking Argos' value
// draws its box where the value is on the image, and the box follows zoom and rotation), the
// tampered passport's MRZ panel shows the failing check digit, "?" lists the shortcuts, and no
// shortcut fires while the reviewer types a zone.
func TestReviewWorkspace(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	if _, err := demo.EnsureCases(context.Background(), app.Server.CustomerService(), ""); err != nil {
		t.Fatal(err)
	}
	misread, misreadDoc := demoDocument(t, app, "demo-1001")
	tampered, tamperedDoc := demoDocument(t, app, "demo-1003")
	runAllChecks(t, app, misread, misreadDoc)
	runAllChecks(t, app, tampered, tamperedDoc)

	b := testenv.Browser(t)
	do(t, b, cdp.EmulateViewport(1440, 900))
	// From the case page's Review button.
	do(t, b, cdp.Navigate(app.URL+"/cases/"+misread.String()))
	signIn(t, b, rev.Email, rev.Password)
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#release")))
	do(t, b, cdp.Click(cdp.CSS("#doc-"+misreadDoc.String()+" [data-review-link]")), cdp.WaitVisible(cdp.CSS("[data-review-ready]")))
	if loc := location(t, b); loc != app.URL+review.Href(misread.String(), misreadDoc.String()) {
		t.Fatalf("the Review button opened %s", loc)
	}
	poll(t, b, `(() => { const i = document.querySelector(".viewer-frame:not([hidden]) img"); return !!i && i.complete && i.naturalWidth > 0 })()`,
		"the front image did not load")

	// One screen at 1440×900: nothing scrolls.
	if evalBool(t, b, `document.documentElement.scrollHeight > innerHeight + 1 || document.documentElement.scrollWidth > innerWidth + 1 ||
		document.querySelector(".review").getBoundingClientRect().width < innerWidth - 40`) {
		t.Errorf("the workspace scrolls at 1440×900: %s", evalString(t, b, `document.documentElement.scrollWidth + "×" + document.documentElement.scrollHeight`))
	}

	// The mismatch is flagged and says who agrees.
	expiry := `#fields-table tr[data-field="expiry_date"]`
	if !evalBool(t, b, `document.querySelector('`+expiry+`').hasAttribute("data-mismatch")`) {
		t.Fatal("the expiry row is not flagged")
	}
	if s := evalString(t, b, `document.querySelector('`+expiry+` td.agree').textContent`); !strings.Contains(s, "Argos") || !strings.Contains(s, "agree") {
		t.Errorf("agreement of the expiry row: %q", s)
	}

	// Clicking Argos' value draws its box over the image, where the value is printed.
	argos := expiry + ` td[data-source="argos"] button.cell-btn`
	do(t, b, cdp.Click(cdp.CSS(argos)))
	poll(t, b, `document.querySelectorAll(".viewer-frame:not([hidden]) svg.viewer-overlay polygon.viewer-box-mismatch").length === 1`,
		"no box drawn for Argos' expiry date")
	box := `document.querySelector(".viewer-frame:not([hidden]) svg.viewer-overlay polygon.viewer-box")`
	img := `document.querySelector(".viewer-frame:not([hidden]) img.viewer-img")`
	b0, i0 := jsRect(t, b, box), jsRect(t, b, img)
	if !inside(b0, i0) {
		t.Fatalf("box %+v is not on the image %+v", b0, i0)
	}
	// The polygon sits where the corners say, in image pixels scaled to the image on screen.
	ok := evalBool(t, b, `(() => {
		const poly = `+box+`, im = `+img+`, r = im.getBoundingClientRect(), fr = im.closest(".viewer-frame");
		const w = +fr.dataset.width, h = +fr.dataset.height;
		const pts = poly.getAttribute("points").trim().split(/\s+/).map(p => p.split(",").map(Number));
		const xs = pts.map(p => r.x + p[0] * r.width / w), ys = pts.map(p => r.y + p[1] * r.height / h);
		const b = poly.getBoundingClientRect();
		return Math.abs(Math.min(...xs) - b.x) < 3 && Math.abs(Math.min(...ys) - b.y) < 3 &&
			Math.abs(Math.max(...xs) - b.right) < 3 && Math.abs(Math.max(...ys) - b.bottom) < 3;
	})()`)
	if !ok {
		t.Error("the box is not where its corners put it on the image")
	}
	if evalString(t, b, `document.querySelector(".viewer-box-label") ? document.querySelector(".viewer-box-label").textContent : ""`) == "" {
		t.Error("the box has no label")
	}
	// KYCDESK_UPDATE_DOCS=1 rewrites the README's screenshot, static/docs/workspace.png, from this view.
	if os.Getenv("KYCDESK_UPDATE_DOCS") == "1" {
		shot, err := cdp.Run(b, cdp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "static", "docs", "workspace.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Screenshot(t, b, "workspace")

	// Zoom with the keyboard (focus outside the viewer): the box grows with the image and stays on
	// the same spot of it.
	do(t, b, cdp.Focus(cdp.CSS(argos)), cdp.KeyEvent("+"), cdp.KeyEvent("+"))
	poll(t, b, `parseFloat(document.querySelector(".viewer-stage").dataset.zoom) > 1.5`, "+ did not zoom")
	b1, i1 := jsRect(t, b, box), jsRect(t, b, img)
	if b1.W < b0.W*1.4 {
		t.Errorf("the box did not grow with the zoom: %+v → %+v", b0, b1)
	}
	rel := func(r, im rect) (float64, float64) { return (r.X - im.X) / im.W, (r.Y - im.Y) / im.H }
	x0, y0 := rel(b0, i0)
	x1, y1 := rel(b1, i1)
	if d := (x1-x0)*(x1-x0) + (y1-y0)*(y1-y0); d > 0.0001 {
		t.Errorf("the box moved on the image while zooming: (%.3f, %.3f) → (%.3f, %.3f)", x0, y0, x1, y1)
	}
	// Rotate with T: the box turns with the image.
	do(t, b, cdp.KeyEvent("0"), cdp.KeyEvent("t"))
	poll(t, b, `document.querySelector(".viewer-stage").dataset.rotation === "90"`, "t did not rotate")
	b2, i2 := jsRect(t, b, box), jsRect(t, b, img)
	if !inside(b2, i2) || b2.H <= b2.W {
		t.Errorf("after a quarter turn the box %+v should stand upright inside the image %+v", b2, i2)
	}
	do(t, b, cdp.KeyEvent("T")) // turned back (Fit, 0, keeps the rotation)
	poll(t, b, `document.querySelector(".viewer-stage").dataset.rotation === "0"`, "T did not rotate back")

	// Front, back, selfie by kind, and the decision keys announced for the decision panel.
	do(t, b, cdp.Evaluate[cdp.Void](`window.__shortcuts = []; document.addEventListener("kyc:shortcut", e => window.__shortcuts.push(e.detail.key + ":" + e.detail.action))`))
	front := evalString(t, b, `document.querySelector("[data-review]").dataset.frameFront`)
	selfie := evalString(t, b, `document.querySelector("[data-review]").dataset.frameSelfie`)
	do(t, b, cdp.KeyEvent("3"))
	poll(t, b, `document.querySelector(".viewer-stage").dataset.current === "`+selfie+`"`, "3 did not show the selfie")
	do(t, b, cdp.KeyEvent("1"))
	poll(t, b, `document.querySelector(".viewer-stage").dataset.current === "`+front+`"`, "1 did not show the front")
	// The decision panel takes the focus to its reason list after a decision key: leave it, as a
	// reviewer would with Tab, before the next shortcut.
	blur := cdp.Evaluate[cdp.Void](`document.activeElement && document.activeElement.blur()`)
	do(t, b, cdp.KeyEvent("a"), blur, cdp.KeyEvent("r"), blur)
	if got := evalString(t, b, `window.__shortcuts.join(",")`); !strings.Contains(got, "a:approve") || !strings.Contains(got, "r:reject") {
		t.Errorf("decision keys announced: %q", got)
	}
	if evalString(t, b, `document.querySelector(".viewer-stage").dataset.rotation`) != "0" {
		t.Error("r rotated the image instead of being left to the decision panel")
	}

	// P shows the face panel: the selfie beside the portrait cut out of the front by OOTO's box.
	do(t, b, cdp.KeyEvent("p"))
	poll(t, b, `!document.getElementById("panel-face").hidden && document.querySelectorAll("#face-panel .face-crop.is-placed img").length === 2 &&
		[...document.querySelectorAll("#face-panel .face-crop img")].every(i => i.complete && i.naturalWidth > 0)`, "the face panel's images did not load")
	if s := evalString(t, b, `document.getElementById("face-scores").textContent`); !strings.Contains(s, "the same person") {
		t.Errorf("face scores: %q", s)
	}
	// The portrait crop shows the portrait box, scaled up: wider on screen than it is in the stored image's share of the frame.
	if !evalBool(t, b, `(() => { const c = document.getElementById("portrait-crop"), i = c.querySelector("img");
		return i.getBoundingClientRect().width > c.getBoundingClientRect().width * 1.5; })()`) {
		t.Error("the document portrait is not cropped")
	}
	testenv.Screenshot(t, b, "face")
	do(t, b, cdp.KeyEvent("f"))

	// ? opens the overlay that lists every shortcut; Esc closes it.
	do(t, b, cdp.KeyEvent("?"))
	poll(t, b, `document.getElementById("shortcuts").open`, "? did not open the shortcut overlay")
	list := evalString(t, b, `document.getElementById("shortcuts").textContent`)
	for _, s := range []string{"Next document", "Previous document", "Next case", "Front", "Back", "Selfie", "Zoom in", "Zoom out",
		"Rotate", "Approve", "Reject", "Request resubmission", "Escalate"} {
		if !strings.Contains(list, s) {
			t.Errorf("the overlay does not list %q", s)
		}
	}
	testenv.Screenshot(t, b, "shortcuts")
	do(t, b, cdp.KeyEvent(kb.Escape))
	poll(t, b, `!document.getElementById("shortcuts").open`, "Esc did not close the overlay")

	// Typing in the MRZ textarea fires nothing.
	do(t, b, cdp.KeyEvent("m"))
	poll(t, b, `!document.getElementById("panel-mrz").hidden`, "m did not open the MRZ panel")
	do(t, b, cdp.Evaluate[cdp.Void](`window.__shortcuts = []`))
	before := location(t, b)
	do(t, b, cdp.Click(cdp.CSS("#mrz-text")), cdp.SendKeys(cdp.CSS("#mrz-text"), "?n3a]+tf"))
	if got := evalString(t, b, `document.getElementById("mrz-text").value`); got != "?n3a]+tf" {
		t.Errorf("the textarea got %q", got)
	}
	if evalBool(t, b, `document.getElementById("shortcuts").open`) || location(t, b) != before ||
		evalString(t, b, `window.__shortcuts.join(",")`) != "" || evalString(t, b, `document.querySelector(".viewer-stage").dataset.current`) != front ||
		evalString(t, b, `document.querySelector(".viewer-stage").dataset.zoom`) != "1" || !evalBool(t, b, `!document.getElementById("panel-mrz").hidden`) {
		t.Errorf("a shortcut fired while typing: %s", evalString(t, b, `window.__shortcuts.join(",")`))
	}

	// The tampered passport: the MRZ panel shows the failing check digit and the one expected.
	do(t, b, cdp.Navigate(app.URL+review.Href(tampered.String(), tamperedDoc.String())), cdp.WaitVisible(cdp.CSS("[data-review-ready]")))
	do(t, b, cdp.KeyEvent("m"))
	poll(t, b, `!document.getElementById("panel-mrz").hidden`, "m did not open the MRZ panel")
	row := `#mrz-checks tr[data-check="Document number"]`
	if evalString(t, b, `document.querySelector('`+row+`').dataset.ok`) != "false" {
		t.Fatal("the document number's check digit does not fail")
	}
	found := evalString(t, b, `document.querySelector('`+row+` td:nth-child(3)').textContent`)
	expected := evalString(t, b, `document.querySelector('`+row+` td:nth-child(4)').textContent`)
	if len(found) != 1 || len(expected) != 1 || found == expected {
		t.Errorf("found %q, expected %q", found, expected)
	}
	if s := evalString(t, b, `document.getElementById("mrz-verdict").textContent`); s != "check failed" {
		t.Errorf("verdict %q", s)
	}
	// Typing the corrected zone re-parses it in place (htmx), and it passes.
	fixed := evalString(t, b, `(() => { const l = document.querySelector("#mrz-lines").textContent.trim().split("\n"); return l[0] + "\n" + l[1].slice(0, 9) + "`+expected+`" + l[1].slice(10); })()`)
	do(t, b, cdp.Evaluate[cdp.Void](`document.getElementById("mrz-text").value = `+jsString(fixed)),
		cdp.Click(cdp.CSS(".mrz-form button[type=submit]")))
	poll(t, b, `document.getElementById("mrz-verdict").textContent === "all check digits pass"`, "the typed zone was not re-parsed")
	testenv.Screenshot(t, b, "mrz")

	// N takes the next new case from the queue and opens it.
	do(t, b, cdp.Click(cdp.CSS("#tab-fields")), cdp.KeyEvent("n"))
	do(t, b, cdp.WaitVisible(cdp.CSS("#release")))
	if loc := location(t, b); !strings.HasPrefix(loc, app.URL+"/cases/") || strings.Contains(loc, "/review") {
		t.Errorf("n opened %s", loc)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
