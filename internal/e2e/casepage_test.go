package e2e

import (
	"context"
	"testing"

	cdp "github.com/chromedp/chromedp"

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
