package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/testenv"
)

// TestTimelineFoldsImageViews: a reviewer looks at each image of a case (every look is audited),
// adds a note and comes back: the timeline shows the note and one line for the looks, which opens
// to each of them, and the views can be hidden while every other event stays.
func TestTimelineFoldsImageViews(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	b, _ := openDemoCase(t, app, rev, "demo-1001")
	do(t, b, cdp.WaitVisible(cdp.CSS(".viewer-stage")))
	tabs := evalInt(t, b, `document.querySelectorAll(".viewer-tabs [data-viewer-show]").length`)
	if tabs < 2 {
		t.Fatalf("the demo case shows %d images", tabs)
	}
	// Each image, in turn: the viewer loads its display image, which is audited.
	for i := 1; i <= tabs; i++ {
		do(t, b, cdp.Click(cdp.CSS(`.viewer-tabs [data-viewer-show]:nth-child(`+strconv.Itoa(i)+`)`)))
		poll(t, b, `(() => { const f = document.querySelector(".viewer-frame:not([hidden]) img.viewer-img"); return !!f && f.complete && f.naturalWidth > 0 })()`,
			"an image did not load")
	}
	do(t, b, cdp.SendKeys(cdp.CSS("#note-body"), "Checked every image."), cdp.Click(cdp.CSS(`#note-form button[type=submit]`)))
	poll(t, b, `document.querySelectorAll("#notes .note").length === 1`, "the note was not added")
	do(t, b, cdp.Reload(), cdp.WaitVisible(cdp.CSS("#timeline")))

	// The newest lines: the note, then the looks before it as one line.
	lines := evalStrings(t, b, `[...document.querySelectorAll("#timeline ol.timeline > li")].map(li => li.textContent.replace(/\s+/g, " ").trim())`)
	if len(lines) < 3 || !strings.Contains(lines[0], "added a note") || !strings.Contains(lines[1], "viewed "+strconv.Itoa(tabs)+" images") {
		t.Fatalf("timeline: %q", lines)
	}
	if n := evalInt(t, b, `document.querySelectorAll("#timeline li.timeline-run").length`); n != 1 {
		t.Errorf("%d folded lines, want 1", n)
	}
	run := `document.querySelector("#timeline li.timeline-run")`
	if evalBool(t, b, `[...`+run+`.querySelectorAll(".timeline-run-views > li")].some(li => li.checkVisibility())`) {
		t.Error("the folded line shows its views before it is opened")
	}
	do(t, b, cdp.Click(cdp.CSS("#timeline li.timeline-run summary")))
	views := evalStrings(t, b, `[...`+run+`.querySelectorAll(".timeline-run-views > li")].filter(li => li.checkVisibility()).map(li => li.textContent.trim())`)
	if len(views) != tabs {
		t.Fatalf("the opened line shows %d views, want %d: %q", len(views), tabs, views)
	}
	for _, v := range views {
		if !strings.Contains(v, "viewed the") {
			t.Errorf("a view reads %q", v)
		}
	}
	testenv.Screenshot(t, b, "timeline-open")

	// Hiding the views leaves the note and every other event.
	do(t, b, cdp.Click(cdp.CSS("#timeline-show-views")))
	if evalBool(t, b, `[...document.querySelectorAll("#timeline .timeline-view")].some(li => li.checkVisibility())`) {
		t.Error("image views still shown after hiding them")
	}
	if !evalBool(t, b, `(() => { const li = document.querySelector("#timeline ol.timeline > li:not(.timeline-view)"); return !!li && li.checkVisibility() && li.textContent.includes("added a note") })()`) {
		t.Error("hiding the views hid the note")
	}
}

func evalInt(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	v, err := cdp.Run(ctx, cdp.Evaluate[int](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func evalStrings(t *testing.T, ctx context.Context, js string) []string {
	t.Helper()
	v, err := cdp.Run(ctx, cdp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}
