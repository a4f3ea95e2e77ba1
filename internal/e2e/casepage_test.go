package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	cdp "github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kycdesk/internal/testenv"
)

// TestNoteOnAColleaguesCaseUpdatesTheTimelineAndKeepsTheFocus: a reviewer on a case a colleague
// holds is offered the note form (the server takes the note), and once the note is added the
// timeline says so at once, with no reload, and the focus is back on the emptied note field
// rather than lost to the page.
func TestNoteOnAColleaguesCaseUpdatesTheTimelineAndKeepsTheFocus(t *testing.T) {
	app := testenv.NewApp(t)
	rev, holder := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	c := demoCase(t, app, "demo-1001")
	if _, err := app.Pool.Exec(context.Background(), "UPDATE cases SET status = 'in_review', assignee_id = $1 WHERE id = $2", holder.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	poll(t, b, `!!document.querySelector("#note-body")`, "a reviewer is not offered the note form on a colleague's case")
	if evalBool(t, b, `document.querySelector("#timeline").textContent.includes("added a note")`) {
		t.Fatal("the timeline speaks of a note before one was added")
	}
	do(t, b, cdp.SendKeys(cdp.CSS("#note-body"), "Same person as on case 12."), cdp.Click(cdp.CSS("#note-form button[type=submit]")))
	poll(t, b, `document.querySelectorAll("#notes .note").length === 1`, "the note was not added")
	poll(t, b, `(() => { const li = document.querySelector("#timeline ol.timeline > li"); return !!li && li.textContent.includes("added a note") })()`,
		"the timeline does not say the note was added until the page is reloaded")
	poll(t, b, activeIs("#note-body"), "the focus did not come back to the note field")
	if v := evalString(t, b, `document.querySelector("#note-body").value`); v != "" {
		t.Errorf("the note field still holds %q", v)
	}
	if s := evalString(t, b, `document.querySelector("#note-added").textContent.trim()`); s != "Note added." {
		t.Errorf("the status after the note reads %q", s)
	}
}

// TestCaseViewerScrollsZoomsAndKeepsEachImage: on the case page the wheel over the image scrolls
// the page, Ctrl+wheel (a pinch) zooms it; each image keeps its rotation and zoom while the
// others are looked at, and Fit keeps the rotation. The controls say what they do to a screen
// reader, and the tabs name the panels they show.
func TestCaseViewerScrollsZoomsAndKeepsEachImage(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	do(t, b, cdp.EmulateViewport(1280, 700), cdp.WaitVisible(cdp.CSS(".viewer-stage")))
	poll(t, b, `(() => { const i = document.querySelector(".viewer-frame:not([hidden]) img"); return !!i && i.complete && i.naturalWidth > 0 })()`,
		"the image did not load")
	stage := `document.querySelector(".viewer-stage")`
	zoom := func() float64 { return num(t, b, `+`+stage+`.dataset.zoom`) }
	rotation := func() string { return evalString(t, b, stage+`.dataset.rotation`) }

	// The wheel over the image scrolls the page and leaves the zoom alone.
	do(t, b, cdp.Evaluate[cdp.Void](`window.scrollTo(0, 0); `+stage+`.scrollIntoView({block: "start"})`))
	r := jsRect(t, b, stage)
	x, y := r.X+r.W/2, r.Y+r.H/2
	y0 := num(t, b, `window.scrollY`)
	do(t, b, cdp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, x, y, func(p *input.DispatchMouseEventParams) { p.DeltaX = 1e-6; p.DeltaY = 150 }))
	poll(t, b, fmt.Sprintf(`window.scrollY > %g`, y0), "the wheel over the image did not scroll the page")
	if z := zoom(); z != 1 {
		t.Fatalf("the wheel alone zoomed the image to %v", z)
	}
	// Ctrl+wheel zooms, and the page stays where it is.
	r = jsRect(t, b, stage)
	y1 := num(t, b, `window.scrollY`)
	do(t, b, cdp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, r.X+r.W/2, r.Y+r.H/2, func(p *input.DispatchMouseEventParams) {
		p.DeltaX = 1e-6
		p.DeltaY = -60
		p.Modifiers = int64(kb.ModifierCtrl)
	}))
	poll(t, b, `+`+stage+`.dataset.zoom > 1`, "Ctrl+wheel did not zoom")
	if y2 := num(t, b, `window.scrollY`); y2 != y1 {
		t.Errorf("Ctrl+wheel scrolled the page from %v to %v", y1, y2)
	}
	if title := evalString(t, b, stage+`.title + " " + document.querySelector('[data-viewer-action="zoom-in"]').title`); !strings.Contains(title, "Ctrl+wheel") {
		t.Errorf("the viewer's tooltips do not say how to zoom with the wheel: %q", title)
	}

	// The front, turned and zoomed, is found so after the selfie; Fit keeps it turned.
	tabs := evalStrings(t, b, `[...document.querySelectorAll(".viewer-tabs [data-viewer-show]")].map(t => t.dataset.viewerShow)`)
	if len(tabs) < 2 {
		t.Fatalf("the demo case shows %d images", len(tabs))
	}
	do(t, b, cdp.Click(cdp.CSS(`[data-viewer-action="rotate-right"]`)))
	z := zoom()
	do(t, b, cdp.Click(cdp.CSS(`[data-viewer-show="`+tabs[len(tabs)-1]+`"]`)))
	if rotation() != "0" || zoom() != 1 {
		t.Fatalf("another image did not start fitted: rotation %s, zoom %v", rotation(), zoom())
	}
	do(t, b, cdp.Click(cdp.CSS(`[data-viewer-show="`+tabs[0]+`"]`)))
	if rotation() != "90" || zoom() != z {
		t.Fatalf("the front came back at rotation %s, zoom %v; left at 90, %v", rotation(), zoom(), z)
	}
	do(t, b, cdp.Click(cdp.CSS(`[data-viewer-action="reset"]`)))
	if rotation() != "90" || zoom() != 1 {
		t.Fatalf("Fit: rotation %s, zoom %v; want 90, fitted", rotation(), zoom())
	}

	// Screen readers: buttons named in words; each tab controls its panel, which it labels, and
	// exactly the shown image's tab is selected.
	names := evalStrings(t, b, `[...document.querySelectorAll(".viewer-toolbar button")].map(b => b.getAttribute("aria-label") || "")`)
	if got := strings.Join(names, ","); got != "Zoom out,Zoom in,Fit,Rotate left,Rotate right" {
		t.Errorf("the viewer's buttons are named %q", got)
	}
	if !evalBool(t, b, `[...document.querySelectorAll(".viewer [role=tab]")].every(t => {
		const p = document.getElementById(t.getAttribute("aria-controls"));
		return !!p && p.getAttribute("role") === "tabpanel" && p.getAttribute("aria-labelledby") === t.id })`) {
		t.Error("a tab does not control a tabpanel labelled by it")
	}
	do(t, b, cdp.Click(cdp.CSS(`[data-viewer-show="`+tabs[1]+`"]`)))
	if sel := evalStrings(t, b, `[...document.querySelectorAll(".viewer [role=tab][aria-selected=true]")].map(t => t.getAttribute("aria-controls"))`); len(sel) != 1 || sel[0] != tabs[1] ||
		evalString(t, b, stage+`.dataset.current`) != tabs[1] {
		t.Errorf("selected tabs %q, shown %q", sel, evalString(t, b, stage+`.dataset.current`))
	}
}

// TestDocumentDecisionOffersTheChosenDocumentsSides: the document decision's side list holds the
// sides of the document chosen, and no other (an option merely hidden still shows in some
// browsers' native lists): no back for a passport, a back for a national ID, as the choice
// changes.
func TestDocumentDecisionOffersTheChosenDocumentsSides(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := demoCase(t, app, "demo-1001") // a passport
	if _, err := app.Pool.Exec(context.Background(), `INSERT INTO documents (customer_id, type, issuing_country, number)
		VALUES ($1, 'national_id', 'DNK', 'ID998877')`, c.CustomerID); err != nil {
		t.Fatal(err)
	}
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#document-decision-form")))
	sides := func() string {
		return evalString(t, b, `[...document.querySelectorAll('#document-decision-form select[name=side] option')].map(o => o.value).join(",")`)
	}
	docs := evalStrings(t, b, `[...document.querySelectorAll('#document-decision-form select[name=document] option')].map(o => o.textContent.trim())`)
	if len(docs) != 2 || !strings.Contains(docs[0], "Passport") || !strings.Contains(docs[1], "National ID") {
		t.Fatalf("documents offered: %q", docs)
	}
	if got := sides(); got != ",front,selfie" {
		t.Fatalf("sides for the passport: %q", got)
	}
	choose := func(i int) {
		do(t, b, cdp.Evaluate[cdp.Void](fmt.Sprintf(`(() => { const s = document.querySelector('#document-decision-form select[name=document]'); s.selectedIndex = %d;
			s.dispatchEvent(new Event("change", {bubbles: true})) })()`, i)))
	}
	choose(1)
	if got := sides(); got != ",front,back,selfie" {
		t.Fatalf("sides for the national ID: %q", got)
	}
	do(t, b, cdp.SetValue(cdp.CSS(`#document-decision-form select[name=side]`), "back"))
	choose(0)
	if got, v := sides(), evalString(t, b, `document.querySelector('#document-decision-form select[name=side]').value`); got != ",front,selfie" || v != "" {
		t.Fatalf("back to the passport: sides %q, chosen %q", got, v)
	}
}

// TestHiddenImageViewsStayHidden: a reviewer who hides the image views on the timeline finds them
// hidden after a reload, after a note (the timeline swapped in by htmx) and after a claim.
func TestHiddenImageViewsStayHidden(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	b, caseURL := openDemoCase(t, app, rev, "demo-1001")
	poll(t, b, `(() => { const i = document.querySelector(".viewer-frame:not([hidden]) img"); return !!i && i.complete && i.naturalWidth > 0 })()`,
		"the image did not load")
	do(t, b, cdp.Navigate(caseURL)) // the look at the image, audited, is on the timeline now
	poll(t, b, `!!document.querySelector("#timeline-show-views")`, "no views on the timeline")
	hidden := `(() => { const box = document.querySelector("#timeline-show-views"); return !!box && !box.checked &&
		![...document.querySelectorAll("#timeline .timeline-view")].some(li => li.checkVisibility()) })()`
	if evalBool(t, b, hidden) {
		t.Fatal("the views start hidden")
	}
	do(t, b, cdp.Click(cdp.CSS("#timeline-show-views")))
	poll(t, b, hidden, "unticking did not hide the views")
	do(t, b, cdp.Navigate(caseURL))
	poll(t, b, hidden, "the views are shown again after a reload")
	do(t, b, cdp.SendKeys(cdp.CSS("#note-body"), "Checked."), cdp.Click(cdp.CSS("#note-form button[type=submit]")))
	poll(t, b, `document.querySelector("#timeline").textContent.includes("added a note")`, "the note is not on the timeline")
	poll(t, b, hidden, "the views are shown again in the timeline swapped in after a note")
	do(t, b, cdp.Click(cdp.CSS("#claim")), cdp.WaitVisible(cdp.CSS("#release")))
	poll(t, b, hidden, "the views are shown again after a claim")
	// Shown again, they stay shown.
	do(t, b, cdp.Click(cdp.CSS("#timeline-show-views")), cdp.Navigate(caseURL))
	poll(t, b, `document.querySelector("#timeline-show-views").checked`, "ticked again, the views did not stay shown")
}
