package cases_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

// viewImages audits n views by u of the images named, in turn, on the case (as the image handler does).
func viewImages(t *testing.T, app *testenv.App, u testenv.User, caseID uuid.UUID, n int, images ...string) {
	t.Helper()
	ctx := context.Background()
	err := db.Transact(ctx, app.Pool, func(q *db.Queries, _ pgx.Tx) error {
		for i := range n {
			img := images[i%len(images)]
			if err := audit.Record(ctx, q, audit.Event{Actor: audit.UserActor(u.ID, u.Email), Action: "image.view", SubjectType: "image",
				SubjectID: img, CaseID: &caseID, After: map[string]any{"variant": "display", "kind": "front"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func note(t *testing.T, cl *testenv.Client, caseID uuid.UUID, body string) {
	t.Helper()
	if r := cl.PostForm(t, "/cases/"+caseID.String()+"/notes", url.Values{"body": {body}}, "HX-Request", "true"); r.Status != http.StatusOK {
		t.Fatalf("note: %d", r.Status)
	}
}

// timelineLines are the timeline's lines as the page shows them: the text of each, a run's as its
// summary with its number of views.
func timelineLines(t *testing.T, doc *goquery.Document) []string {
	t.Helper()
	var out []string
	doc.Find("#timeline ol.timeline > li").Each(func(_ int, li *goquery.Selection) {
		if li.HasClass("timeline-run") {
			listed := li.Find("details .timeline-run-views > li").Length()
			out = append(out, "run["+li.AttrOr("data-views", "?")+"/"+strconv.Itoa(listed)+"] "+strings.Join(strings.Fields(li.Find("summary").Text()), " "))
			return
		}
		out = append(out, strings.Join(strings.Fields(li.Children().Eq(1).Text()), " "))
	})
	return out
}

// TestTimelineFoldsImageViews: consecutive views by one person fold into one line that opens to
// each view; a note, another person's view or any other event ends a run; nothing is dropped.
// People are named as everywhere else, their email in the tooltip.
func TestTimelineFoldsImageViews(t *testing.T) {
	app := testenv.NewApp(t)
	rev, other := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	if _, err := app.Pool.Exec(context.Background(), "UPDATE users SET name = 'Olga Other' WHERE id = $1", other.ID); err != nil {
		t.Fatal(err)
	}
	c := newCase(t, app, "Vera", "Views", "NOR", "v1")
	cl := app.SignIn(t, rev)
	front, back, selfie := uuid.NewString(), uuid.NewString(), uuid.NewString()

	viewImages(t, app, rev, c.ID, 3, front, back, selfie)
	note(t, cl, c.ID, "The photo is sharp.")
	viewImages(t, app, rev, c.ID, 4, front)
	viewImages(t, app, other, c.ID, 1, back)
	viewImages(t, app, rev, c.ID, 5, front, back)

	doc := cl.Get(t, "/cases/"+c.ID.String()).Doc(t)
	got := timelineLines(t, doc)
	want := []string{
		"run[5/5] Reviewer Tester viewed 2 images (5 views)",
		"Olga Other viewed the front image (display)",
		"run[4/4] Reviewer Tester viewed one image 4 times",
		"Reviewer Tester added a note",
		"run[3/3] Reviewer Tester viewed 3 images",
	}
	if len(got) < len(want)+1 || strings.Join(got[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Fatalf("timeline:\n%s\nwant it to start with:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(got[len(got)-1], "created the customer") && !strings.Contains(got[len(got)-1], "opened the case") {
		t.Errorf("the oldest line is %q, want the case's opening", got[len(got)-1])
	}
	doc.Find("#timeline ol.timeline > li strong").Each(func(i int, s *goquery.Selection) {
		if who := s.Text(); (who == "Reviewer Tester" && s.AttrOr("title", "") != rev.Email) || (who == "Olga Other" && s.AttrOr("title", "") != other.Email) {
			t.Errorf("line %d: %s has the tooltip %q", i, who, s.AttrOr("title", ""))
		}
	})
	// Every view is on the page: in its run, or on its own line.
	views := doc.Find("#timeline .timeline-run-views > li").Length() + doc.Find("#timeline ol.timeline > li.timeline-view:not(.timeline-run)").Length()
	if views != 13 {
		t.Errorf("%d views on the page, 13 audited", views)
	}
	// A run opens to its views, newest first, each with its time to the second.
	first := doc.Find("#timeline li.timeline-run").First()
	if first.Find("details").Length() != 1 || first.Find("details").AttrOr("open", "no") != "no" {
		t.Error("a run is not a closed <details>")
	}
	if s := first.Find(".timeline-run-views > li").First().Text(); !strings.Contains(s, "viewed the front image") || !strings.Contains(s, ":") {
		t.Errorf("a run's view reads %q", s)
	}
	// Views can be hidden; the control is there because there are views.
	if doc.Find("#timeline input#timeline-show-views[checked]").Length() != 1 {
		t.Error("no control to hide the image views")
	}
	if doc.Find("#timeline-truncated").Length() != 0 {
		t.Error("a short timeline says it is cut")
	}
}

// TestTimelineViewsCannotPushEventsOff: more views than the page's limit of events (the old
// timeline listed the latest 200 rows, views included) leave every other event on the page, and
// when the events themselves are cut, the views count exactly up to the oldest event listed.
func TestTimelineViewsCannotPushEventsOff(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := newCase(t, app, "Walter", "Watcher", "DEU", "v2")
	cl := app.SignIn(t, rev)
	note(t, cl, c.ID, "Before the views.")
	viewImages(t, app, rev, c.ID, cases.MaxTimelineEvents+100, uuid.NewString(), uuid.NewString())
	note(t, cl, c.ID, "After the views.")

	got := timelineLines(t, cl.Get(t, "/cases/"+c.ID.String()).Doc(t))
	n := strconv.Itoa(cases.MaxTimelineEvents + 100)
	if len(got) < 4 || got[0] != "Reviewer Tester added a note" || got[1] != "run["+n+"/"+n+"] Reviewer Tester viewed 2 images ("+n+" views)" ||
		got[2] != "Reviewer Tester added a note" {
		t.Fatalf("timeline:\n%s", strings.Join(got, "\n"))
	}
	if !strings.Contains(got[len(got)-1], "created the customer") && !strings.Contains(got[len(got)-1], "opened the case") {
		t.Errorf("the case's opening is pushed off: the oldest line is %q", got[len(got)-1])
	}

	// Limits small enough to bite: the two latest events, and three views named one by one.
	ctx := context.Background()
	tv, err := cases.Timeline(ctx, db.New(app.Pool), c.ID, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !tv.Truncated || tv.Limit != 2 || len(tv.Items) != 3 {
		t.Fatalf("timeline %+v", tv)
	}
	run := tv.Items[1].Run
	if tv.Items[0].Action != "case.note" || run == nil || tv.Items[2].Action != "case.note" {
		t.Fatalf("lines: %+v", tv.Items)
	}
	if run.Count != cases.MaxTimelineEvents+100 || run.Images != 2 || len(run.Views) != 3 || !run.Views[0].At.After(run.Views[2].At) ||
		!run.First.Before(run.Last) {
		t.Errorf("run: %d views of %d images, %d listed, %v to %v", run.Count, run.Images, len(run.Views), run.First, run.Last)
	}
}
