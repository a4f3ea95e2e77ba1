package cases_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/normalize"
	"kycdesk/internal/testenv"
	"kycdesk/web"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newCase(t *testing.T, app *testenv.App, given, surname, nat, ref string) db.Case {
	t.Helper()
	svc := &customers.Service{Pool: app.Pool}
	out, err := svc.Create(context.Background(), customers.Origin{Actor: audit.System, Via: "test"}, customers.Input{
		GivenNames: given, Surname: surname, Nationality: nat, ExternalRef: ref,
		Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: nat, Number: "P" + strings.ToUpper(ref)}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Case
}

func principal(u testenv.User) *auth.Principal {
	return &auth.Principal{UserID: u.ID, Email: u.Email, Role: auth.Role(u.Role)}
}

func TestEveryForbiddenTransitionIsRefused(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	app.CreateUser(t, "reviewer") // the loop below assigns the case to someone
	c := newCase(t, app, "Ann", "Case", "GBR", "t1")
	for _, from := range cases.Statuses {
		for _, to := range cases.Statuses {
			if _, err := app.Pool.Exec(ctx, "UPDATE cases SET status = $1, assignee_id = (SELECT id FROM users LIMIT 1) WHERE id = $2", from, c.ID); err != nil {
				// in_review needs an assignee: make one.
				t.Fatal(err)
			}
			err := db.Transact(ctx, app.Pool, func(q *db.Queries, _ pgx.Tx) error {
				_, err := cases.Transition(ctx, q, c.ID, from, to)
				return err
			})
			if cases.CanTransition(from, to) != (err == nil) {
				t.Errorf("%s → %s: allowed=%v, err=%v", from, to, cases.CanTransition(from, to), err)
			}
		}
	}
	// A transition from a status the case is no longer in is a conflict.
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET status = 'approved' WHERE id = $1", c.ID); err != nil {
		t.Fatal(err)
	}
	err := db.Transact(ctx, app.Pool, func(q *db.Queries, _ pgx.Tx) error {
		_, err := cases.Transition(ctx, q, c.ID, cases.InReview, cases.Rejected)
		return err
	})
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("stale transition: %v", err)
	}
	// The counters followed every change.
	var bad int
	if err := app.Pool.QueryRow(ctx, `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("status counters drifted: %d %v", bad, err)
	}
}

func TestTwoReviewersClaimingAtOnceExactlyOneWins(t *testing.T) {
	app := testenv.NewApp(t)
	svc := &cases.Service{Pool: app.Pool}
	for round := 0; round < 10; round++ {
		c := newCase(t, app, "Race", fmt.Sprint("Round", round), "FRA", fmt.Sprint("race-", round))
		a, b := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []testenv.User{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.Claim(context.Background(), principal(u), c.ID)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if apperr.CodeOf(err) != apperr.Conflict {
				t.Fatalf("loser got %v, want a conflict", err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners", round, wins)
		}
		got, _ := db.New(app.Pool).GetCase(context.Background(), c.ID)
		if got.Status != cases.InReview || got.AssigneeID == nil {
			t.Fatalf("after the race: %s %v", got.Status, got.AssigneeID)
		}
	}
}

func TestOnlyTheAssigneeReleasesAndManagersAssign(t *testing.T) {
	app := testenv.NewApp(t)
	rev, other := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	mgr := app.CreateUser(t, "manager")
	rename(t, app, rev, "Rita Reviewer")
	rename(t, app, other, "Otto Other")
	c := newCase(t, app, "Ola", "Nordmann", "NOR", "a1")
	rc, oc, mc := app.SignIn(t, rev), app.SignIn(t, other), app.SignIn(t, mgr)
	path := "/cases/" + c.ID.String()
	if r := rc.PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	// The other reviewer can neither claim nor release it.
	oc.PostForm(t, path+"/claim", nil)
	page := oc.Get(t, path)
	if page.Doc(t).Find("#assignee-name").Text() != "Rita Reviewer" {
		t.Errorf("assignee shown: %q", page.Doc(t).Find("#assignee-name").Text())
	}
	if page.Doc(t).Find("#claim, #release").Length() != 0 {
		t.Fatal("another reviewer is offered claim or release")
	}
	if r := oc.PostForm(t, path+"/release", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("release by another: %d", r.Status)
	}
	got, _ := db.New(app.Pool).GetCase(context.Background(), c.ID)
	if got.AssigneeID == nil || *got.AssigneeID != rev.ID {
		t.Fatal("another reviewer released the case")
	}
	// A reviewer cannot assign; a manager can.
	if r := rc.PostForm(t, path+"/assign", url.Values{"assignee": {other.ID.String()}}); r.Status != http.StatusForbidden {
		t.Fatalf("reviewer assigns: %d", r.Status)
	}
	if r := mc.PostForm(t, path+"/assign", url.Values{"assignee": {mgr.ID.String()}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("assigning to a manager (who does not work cases): %d", r.Status)
	}
	if r := mc.PostForm(t, path+"/assign", url.Values{"assignee": {other.ID.String()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("manager assigns: %d", r.Status)
	}
	got, _ = db.New(app.Pool).GetCase(context.Background(), c.ID)
	if *got.AssigneeID != other.ID {
		t.Fatal("assignment not applied")
	}
	// The timeline names the assignee, and who held the case before, as it names the actor: by
	// name, not by email.
	line := ""
	mc.Get(t, path).Doc(t).Find("ol.timeline > li").Each(func(_ int, li *goquery.Selection) {
		if strings.Contains(li.Text(), "assigned the case") {
			line = strings.Join(strings.Fields(li.Text()), " ")
		}
	})
	if !strings.Contains(line, "reassigned the case from Rita Reviewer to Otto Other") || strings.Contains(line, other.Email) {
		t.Errorf("timeline's assign line: %q", line)
	}
	if r := oc.PostForm(t, path+"/release", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.Status)
	}
	got, _ = db.New(app.Pool).GetCase(context.Background(), c.ID)
	if got.AssigneeID != nil || got.Status != cases.New {
		t.Fatalf("after release: %v %s", got.AssigneeID, got.Status)
	}
	actions := app.AuditActions(t, "case", c.ID.String())
	for _, want := range []string{"case.claim", "case.assign", "case.release"} {
		if !strings.Contains(strings.Join(actions, ","), want) {
			t.Errorf("%s not audited: %v", want, actions)
		}
	}
}

// awaitingCase opens a case, has rev claim it and ask the customer for a resubmission, as a
// reviewer does: the case waits for the customer, assigned to nobody.
func awaitingCase(t *testing.T, app *testenv.App, rc *testenv.Client, ref string) db.Case {
	t.Helper()
	ctx := context.Background()
	c := newCase(t, app, "Wanda", "Waiting", "POL", ref)
	path := "/cases/" + c.ID.String()
	if r := rc.PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	reasons, err := db.New(app.Pool).ListActiveReasons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reason := ""
	for _, r := range reasons {
		if r.Outcome == "request_resubmission" {
			reason = r.ID.String()
			break
		}
	}
	if r := rc.PostForm(t, path+"/decision", url.Values{"outcome": {"request_resubmission"}, "reason": {reason}, "comment": {"The photo is blurred."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("request resubmission: %d %s", r.Status, r.Body)
	}
	got, err := db.New(app.Pool).GetCase(ctx, c.ID)
	if err != nil || got.Status != cases.AwaitingResubmission || got.AssigneeID != nil {
		t.Fatalf("after the request: %s %v %v", got.Status, got.AssigneeID, err)
	}
	return got
}

// statusCounts reads the maintained tab counters and fails when they disagree with the cases.
func statusCounts(t *testing.T, app *testenv.App) map[cases.Status]int64 {
	t.Helper()
	counts, err := cases.Counts(context.Background(), db.New(app.Pool))
	if err != nil {
		t.Fatal(err)
	}
	var bad int
	if err := app.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_status_counts k
		WHERE k.n <> (SELECT count(*) FROM cases c WHERE c.status = k.status)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("status counters drifted: %d %v", bad, err)
	}
	return counts
}

// TestAwaitingResubmissionSurvivesClaimReleaseAndAssign: a case waiting for the customer's
// resubmission keeps waiting whoever holds it. Claiming, releasing, a manager's assignment and
// "Next case" change its assignee, never its status, and the awaiting tab keeps counting it.
func TestAwaitingResubmissionSurvivesClaimReleaseAndAssign(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	rev, other, mgr := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer"), app.CreateUser(t, "manager")
	rc, oc, mc := app.SignIn(t, rev), app.SignIn(t, other), app.SignIn(t, mgr)
	c := awaitingCase(t, app, rc, "await-1")
	path := "/cases/" + c.ID.String()
	expect := func(step string, assignee *uuid.UUID) {
		t.Helper()
		got, err := db.New(app.Pool).GetCase(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != cases.AwaitingResubmission {
			t.Errorf("%s: the case is %s, want it still awaiting resubmission", step, got.Status)
		}
		if (assignee == nil) != (got.AssigneeID == nil) || (assignee != nil && *got.AssigneeID != *assignee) {
			t.Errorf("%s: assignee %v, want %v", step, got.AssigneeID, assignee)
		}
		if n := statusCounts(t, app); n[cases.AwaitingResubmission] != 1 || n[cases.New] != 0 || n[cases.InReview] != 0 {
			t.Errorf("%s: tab counts %v, want the case counted as awaiting resubmission only", step, n)
		}
	}
	expect("requested", nil)

	if r := rc.PostForm(t, path+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	expect("claimed", &rev.ID)
	page := rc.Get(t, path)
	if got := strings.TrimSpace(page.Doc(t).Find("#case-status").Text()); got != "Awaiting resubmission" {
		t.Errorf("the case page says %q", got)
	}
	if page.Doc(t).Find("#release").Length() != 1 {
		t.Error("the holder of an awaiting case is not offered release")
	}
	if r := rc.PostForm(t, path+"/release", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.Status)
	}
	expect("released", nil)

	if r := mc.PostForm(t, path+"/assign", url.Values{"assignee": {other.ID.String()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("assign: %d", r.Status)
	}
	expect("assigned", &other.ID)
	if r := oc.PostForm(t, path+"/release", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("release by the assignee: %d", r.Status)
	}
	expect("released by the assignee", nil)

	// "Next case" in the awaiting tab takes it, and it stays in that tab.
	res := oc.PostForm(t, "/cases/next", url.Values{"status": {"awaiting_resubmission"}})
	if res.Status != http.StatusSeeOther || res.Location != path {
		t.Fatalf("next case: %d %q", res.Status, res.Location)
	}
	expect("next case", &other.ID)
	mine := oc.Get(t, "/cases?status=awaiting_resubmission&assignee=me")
	if mine.Doc(t).Find(`#queue-table tbody tr[data-case="`+c.ID.String()+`"]`).Length() != 1 {
		t.Error("the case taken by next case is not in my awaiting-resubmission view")
	}
	// Each of these audit rows says the status did not change.
	var moved int
	if err := app.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE case_id = $1
		AND action IN ('case.claim', 'case.release', 'case.assign') AND id > (SELECT max(id) FROM audit_events WHERE case_id = $1 AND action = 'case.decide')
		AND after->>'status' <> 'awaiting_resubmission'`, c.ID).Scan(&moved); err != nil || moved != 0 {
		t.Fatalf("%d claim/release/assign audit rows record another status (%v)", moved, err)
	}
	// A new case is still taken into review by next case, and released back to new.
	fresh := newCase(t, app, "Nina", "New", "POL", "await-2")
	if res := rc.PostForm(t, "/cases/next", url.Values{"status": {"new"}}); res.Location != "/cases/"+fresh.ID.String() {
		t.Fatalf("next new case: %q", res.Location)
	}
	if got, _ := db.New(app.Pool).GetCase(ctx, fresh.ID); got.Status != cases.InReview {
		t.Fatalf("a new case taken by next case is %s", got.Status)
	}
	if r := rc.PostForm(t, "/cases/"+fresh.ID.String()+"/release", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.Status)
	}
	if got, _ := db.New(app.Pool).GetCase(ctx, fresh.ID); got.Status != cases.New {
		t.Fatalf("a released case in review is %s", got.Status)
	}
	statusCounts(t, app)
}

// TestStaffUploadEndsTheWaitForResubmission: a document a staff member uploads in the browser
// for a customer whose case awaits resubmission moves the case out of the awaiting tab, in the
// upload's transaction: to new when nobody holds it, to in review when someone does. The case's
// timeline says who moved it and why.
func TestStaffUploadEndsTheWaitForResubmission(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	rev := app.CreateUser(t, "reviewer")
	rc := app.SignIn(t, rev)
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 480, 360))); err != nil {
		t.Fatal(err)
	}
	upload := func(customerID uuid.UUID) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("type", "other")
		fw, _ := mw.CreateFormFile("front", "front.png")
		_, _ = fw.Write(img.Bytes())
		_ = mw.Close()
		req, _ := http.NewRequest("POST", app.URL+"/customers/"+customerID.String()+"/documents", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", app.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if r := rc.Do(t, req); r.Status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
	}
	arrivals := func(id uuid.UUID) []db.AuditEvent {
		t.Helper()
		var out []db.AuditEvent
		rows, err := db.New(app.Pool).ListCaseTimelineEvents(ctx, db.ListCaseTimelineEventsParams{CaseID: &id, WithViews: true, MaxRows: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if e := r.AuditEvent; e.Action == "case.document_arrived" {
				out = append(out, e)
			}
		}
		return out
	}

	// Nobody holds it: back to new, in the queue.
	c := awaitingCase(t, app, rc, "upload-1")
	upload(c.CustomerID)
	got, _ := db.New(app.Pool).GetCase(ctx, c.ID)
	if got.Status != cases.New || got.AssigneeID != nil {
		t.Fatalf("unassigned case after the upload: %s %v, want new and unassigned", got.Status, got.AssigneeID)
	}
	ev := arrivals(c.ID)
	if len(ev) != 1 || ev[0].ActorLabel != rev.Email || ev[0].ActorID == nil || *ev[0].ActorID != rev.ID {
		t.Fatalf("audit rows of the move: %+v", ev)
	}
	var after struct {
		From, To, Via string
		DocumentID    uuid.UUID `json:"document_id"`
	}
	_ = json.Unmarshal(ev[0].After, &after)
	var docID uuid.UUID
	_ = app.Pool.QueryRow(ctx, "SELECT id FROM documents WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 1", c.CustomerID).Scan(&docID)
	if after.From != "awaiting_resubmission" || after.To != "new" || after.Via != "browser" || after.DocumentID != docID {
		t.Fatalf("the audit row says %+v", after)
	}
	tl := rc.Get(t, "/cases/"+c.ID.String()).Doc(t).Find("#timeline li").Text()
	if want := "moved the case from awaiting resubmission to new: a document arrived while it awaited the customer's resubmission (uploaded by staff)"; !strings.Contains(tl, want) {
		t.Errorf("timeline lacks %q:\n%s", want, tl)
	}
	if n := statusCounts(t, app); n[cases.AwaitingResubmission] != 0 || n[cases.New] != 1 {
		t.Errorf("tab counts %v", n)
	}
	// A further document changes nothing: the case no longer waits.
	upload(c.CustomerID)
	if got, _ := db.New(app.Pool).GetCase(ctx, c.ID); got.Status != cases.New || len(arrivals(c.ID)) != 1 {
		t.Fatalf("second upload: %s, %d moves", got.Status, len(arrivals(c.ID)))
	}

	// Held by the reviewer: in review, still theirs.
	c = awaitingCase(t, app, rc, "upload-2")
	if r := rc.PostForm(t, "/cases/"+c.ID.String()+"/claim", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.Status)
	}
	upload(c.CustomerID)
	got, _ = db.New(app.Pool).GetCase(ctx, c.ID)
	if got.Status != cases.InReview || got.AssigneeID == nil || *got.AssigneeID != rev.ID {
		t.Fatalf("held case after the upload: %s %v, want in review with its holder", got.Status, got.AssigneeID)
	}
	ev = arrivals(c.ID)
	if len(ev) != 1 || json.Unmarshal(ev[0].After, &after) != nil || after.From != "awaiting_resubmission" || after.To != "in_review" {
		t.Fatalf("audit rows of the move: %d, %+v", len(ev), after)
	}
	statusCounts(t, app)
}

func TestQueueFiltersSearchAndPages(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	ctx := context.Background()
	var all []db.Case
	for i := 0; i < 60; i++ {
		nat := "GBR"
		if i%3 == 0 {
			nat = "DEU"
		}
		all = append(all, newCase(t, app, "Person", fmt.Sprintf("Number%02d", i), nat, fmt.Sprintf("ref-%02d", i)))
	}
	special := newCase(t, app, "José María", "Müller-Lüdenscheidt", "ESP", "ext-special")
	// Spread creation times, so age order is well defined.
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET created_at = now() - (interval '1 hour' * (100 - (SELECT count(*) FROM cases c2 WHERE c2.created_at < cases.created_at)))"); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET risk_flag = true, vendor_outcome = 'fail' WHERE id = $1", all[5].ID); err != nil {
		t.Fatal(err)
	}
	c := app.SignIn(t, rev)
	ids := func(r testenv.Response) []string {
		var out []string
		for _, n := range r.Doc(t).Find("#queue-table tbody tr").Nodes {
			for _, a := range n.Attr {
				if a.Key == "data-case" {
					out = append(out, a.Val)
				}
			}
		}
		return out
	}
	first := c.Get(t, "/cases")
	if got := len(ids(first)); got != cases.PageSize {
		t.Fatalf("first page: %d rows", got)
	}
	if tab := strings.TrimSpace(first.Doc(t).Find(`.tabs a[data-status=new] .count`).Text()); tab != "61" {
		t.Fatalf("new tab count %q", tab)
	}
	next := first.Doc(t).Find("#next-page").AttrOr("href", "")
	if top := first.Doc(t).Find("#next-page-top").AttrOr("href", ""); top != next || next == "" {
		t.Fatalf("the pagers above and below the table go to %q and %q", top, next)
	}
	second := c.Get(t, next)
	// A page turned by htmx puts the focus on the results' heading (autofocus, which htmx
	// honours), and its address is the link's; a filter typed does not take the focus.
	for trigger, focus := range map[string]bool{"next-page": true, "next-page-top": true, "queue-filters": false} {
		req, _ := http.NewRequest("GET", app.URL+next, nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "queue-results")
		req.Header.Set("HX-Trigger", trigger)
		frag := c.Do(t, req)
		if got := frag.Doc(t).Find("#queue-results-title[autofocus]").Length() == 1; got != focus || frag.Header.Get("HX-Push-Url") != next {
			t.Errorf("from %s: autofocus on the heading %v, address %q", trigger, got, frag.Header.Get("HX-Push-Url"))
		}
	}
	if first.Doc(t).Find("[autofocus]").Length() != 0 {
		t.Error("a whole page of the queue sets the focus")
	}
	seen := map[string]bool{}
	for _, id := range append(ids(first), ids(second)...) {
		if seen[id] {
			t.Fatalf("case %s on two pages", id)
		}
		seen[id] = true
	}
	if len(seen) != 61 {
		t.Fatalf("pages cover %d cases, want 61", len(seen))
	}
	if first.Doc(t).Find("#prev-page, #first-page").Length() != 0 {
		t.Fatal("the first page links to a previous page")
	}
	prev := second.Doc(t).Find("#prev-page").AttrOr("href", "")
	if prev == "" || second.Doc(t).Find("#first-page").Length() != 1 {
		t.Fatalf("the second page has no previous and first page links: %q", prev)
	}
	if back := ids(c.Get(t, prev)); !reflect.DeepEqual(back, ids(first)) {
		t.Fatalf("previous page of the second shows %d cases, not the first page's", len(back))
	}
	for q, want := range map[string]int{
		"?nationality=deu":               20,
		"?nationality=D":                 20, // Germany's code in machine-readable zones
		"?q=mueller":                     0,
		"?q=muller":                      1, // accents folded
		"?q=LUDENSCHEIDT":                1, // case folded, partial
		"?q=jose+maria":                  1,
		"?q=ext-spec":                    1, // external reference
		"?q=pref-07":                     1, // document number
		"?risk=yes":                      1,
		"?outcome=fail":                  1,
		"?assignee=none&nationality=ESP": 1,
		"?assignee=me":                   0,
		"?q=100%25":                      0, // LIKE wildcards are literal
	} {
		r := c.Get(t, "/cases"+q)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", q, r.Status)
		}
		if got := len(ids(r)); got != want {
			t.Errorf("%s: %d rows, want %d", q, got, want)
		}
	}
	// A filtered view with no case in its tab says which tabs hold its matches, with links to them.
	elsewhere := c.Get(t, "/cases?status=in_review&nationality=DEU").Doc(t).Find("#queue-elsewhere")
	if link := elsewhere.Find(`a[data-status="new"]`); strings.Join(strings.Fields(link.Text()), " ") != "New (20)" ||
		!strings.Contains(link.AttrOr("href", ""), "nationality=DEU") || elsewhere.Find("a").Length() != 1 {
		t.Errorf("matches in other tabs: %q", elsewhere.Text())
	}
	if none := c.Get(t, "/cases?status=in_review&q=nobody-at-all").Doc(t).Find("#queue-empty"); none.Find("#queue-elsewhere").Length() != 0 ||
		!strings.Contains(none.Text(), "No other tab holds any either") {
		t.Errorf("a search matching nothing anywhere: %q", none.Text())
	}
	if empty := c.Get(t, "/cases?status=in_review").Doc(t).Find("#queue-empty"); strings.Contains(empty.Text(), "other tab") {
		t.Errorf("an empty tab without filters talks of other tabs: %q", empty.Text())
	}
	if r := c.Get(t, "/cases?nationality=Germany&from=yesterday"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Doc(t).Find("#nationality-error").Text(), "for Germany, use DEU") || r.Doc(t).Find("#from-error").Text() == "" {
		t.Fatalf("bad filters: %d", r.Status)
	}
	// Three letters are not enough: the nationality must be a code customers can have.
	if r := c.Get(t, "/cases?nationality=XYZ"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Doc(t).Find("#nationality-error").Text(), "XYZ is not a country code") ||
		r.Doc(t).Find("#nationality").AttrOr("value", "") != "XYZ" {
		t.Fatalf("unknown nationality: %d %q", r.Status, r.Doc(t).Find("#nationality-error").Text())
	}
	// A refused filter lists no case (not the tab without it, as if it were the view asked for),
	// names each refused filter, and "Next case" from that page is refused too.
	// On a whole page a field shows its own message (the alert lists only what no field shows:
	// formerrors.js adds the others, linked); an htmx swap of the results, which leaves the form
	// as it was, lists them all in the alert, a field's with its message for formerrors.js to mark
	// the field with. Its address (HX-Push-Url) keeps the values refused.
	shown := func(doc *goquery.Document, field string) string {
		if field == "status" {
			return doc.Find(`#queue-filter-errors li[data-field="status"]`).Text()
		}
		if doc.Find("#"+field).AttrOr("aria-invalid", "") != "true" {
			return ""
		}
		return doc.Find("#" + field + "-error").Text()
	}
	for q, want := range map[string][]string{
		"?status=new&outcome=maybe": {"outcome", "Vendor outcome: ", "Choose none, pass, partial, review or fail."},
		"?risk=2":                   {"risk", "Risk flag: ", "Choose yes or no."},
		"?sort=sideways":            {"sort", "Sort: ", "Sort by age or activity."},
		"?status=bogus":             {"status", "Status: ", "Unknown status."},
		"?nationality=ZZZ":          {"nationality", "Nationality: ", "ZZZ is not a country code"},
	} {
		r := c.Get(t, "/cases"+q)
		doc := r.Doc(t)
		msg := want[2]
		if want[0] == "status" {
			msg = want[1] + want[2]
		}
		if r.Status != http.StatusUnprocessableEntity || len(ids(r)) != 0 || doc.Find("#queue-filter-errors").Length() != 1 ||
			!strings.HasPrefix(shown(doc, want[0]), msg) {
			t.Errorf("%s: %d, %d rows, message %q", q, r.Status, len(ids(r)), shown(doc, want[0]))
		}
		req, _ := http.NewRequest("GET", app.URL+"/cases"+q, nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "queue-results")
		frag := c.Do(t, req)
		li := frag.Doc(t).Find(`#queue-filter-errors li[data-field="` + want[0] + `"]`)
		if item := li.Text(); frag.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(item, want[1]+want[2]) {
			t.Errorf("%s through htmx: %d, message %q", q, frag.Status, item)
		}
		if m, ok := li.Attr("data-message"); ok != (want[0] != "status") || ok && !strings.HasPrefix(m, want[2]) {
			t.Errorf("%s through htmx: the field's message for formerrors.js is %q", q, m)
		}
		if push, _ := url.Parse(frag.Header.Get("HX-Push-Url")); push == nil || push.Query().Get(want[0]) == "" {
			t.Errorf("%s through htmx: the address %q lost the value refused", q, frag.Header.Get("HX-Push-Url"))
		}
		form := url.Values{}
		doc.Find("#next-case-fields input").Each(func(_ int, in *goquery.Selection) { form.Set(in.AttrOr("name", ""), in.AttrOr("value", "")) })
		if res := c.PostForm(t, "/cases/next", form); res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(shown(res.Doc(t), want[0]), msg) {
			t.Errorf("%s: next case from the refused view (%v): %d %s", q, form, res.Status, res.Location)
		}
	}
	if got := first.Doc(t).Find(`#country-codes option[value="XXA"]`).Text(); got != "Stateless person" || first.Doc(t).Find(`#nationality[list="country-codes"]`).Length() != 1 {
		t.Fatalf("the nationality filter suggests XXA as %q", got)
	}
	// htmx gets only the results, and the URL (pushed by htmx) holds the filters.
	r := c.Get(t, "/cases?q=muller")
	_ = r
	req, _ := http.NewRequest("GET", app.URL+"/cases?q=muller", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "queue-results")
	frag := c.Do(t, req)
	if strings.Contains(frag.Body, "<html") || frag.Doc(t).Find("#queue-results").Length() != 1 || frag.Header.Get("Vary") == "" {
		t.Fatal("htmx request did not get the fragment")
	}
	// The address htmx shows holds the view as its links write it, not the form's empty fields.
	req, _ = http.NewRequest("GET", app.URL+"/cases?status=new&q=&assignee=&nationality=esp&sort=age", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "queue-results")
	if push := c.Do(t, req).Header.Get("HX-Push-Url"); push != "/cases?nationality=ESP&status=new" {
		t.Fatalf("the address of a view from the form: %q", push)
	}
	// Next case claims the oldest unassigned case of the view.
	res := c.PostForm(t, "/cases/next", url.Values{"status": {"new"}, "nationality": {"ESP"}})
	if res.Status != http.StatusSeeOther || res.Location != "/cases/"+special.ID.String() {
		t.Fatalf("next case: %d %q", res.Status, res.Location)
	}
	res = c.PostForm(t, "/cases/next", url.Values{"status": {"new"}, "nationality": {"ESP"}})
	if !strings.HasPrefix(res.Location, "/cases?") {
		t.Fatalf("next case on an empty view: %q", res.Location)
	}
	if mine := c.Get(t, "/cases?status=in_review&assignee=me"); len(ids(mine)) != 1 {
		t.Fatal("the claimed case is not in my in-review view")
	}
}

func TestNotesAndTimeline(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	c := newCase(t, app, "Nora", "Notes", "SWE", "n1")
	cl := app.SignIn(t, rev)
	path := "/cases/" + c.ID.String()
	if r := cl.PostForm(t, path+"/notes", url.Values{"body": {"   "}}, "HX-Request", "true"); r.Status != http.StatusUnprocessableEntity ||
		r.Doc(t).Find("#body-error").Text() == "" {
		t.Fatalf("empty note: %d", r.Status)
	}
	r := cl.PostForm(t, path+"/notes", url.Values{"body": {"<script>alert(1)</script> checked the\nphoto"}}, "HX-Request", "true")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "&lt;script&gt;") || strings.Contains(r.Body, "<script>alert") {
		t.Fatalf("note: %d", r.Status)
	}
	page := cl.Get(t, path)
	if page.Doc(t).Find("#notes .note").Length() != 1 {
		t.Fatal("note not listed")
	}
	tl := page.Doc(t).Find("#timeline li").Text()
	for _, want := range []string{"added a note", "opened the case"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q: %s", want, tl)
		}
	}
	if r := cl.Get(t, "/cases/"+uuid.NewString()); r.Status != http.StatusNotFound {
		t.Fatalf("unknown case: %d", r.Status)
	}
	if r := cl.Get(t, "/cases/../../etc/passwd"); r.Status != http.StatusNotFound && r.Status != http.StatusSeeOther && r.Status != http.StatusMovedPermanently {
		t.Fatalf("traversal id: %d", r.Status)
	}
}

// TestQueuePagesArePlannedForTheirFilters checks what the queue relies on for its plans: a common
// view is sent as the statement of its filters, prepared by name, and PostgreSQL comes to run it
// with a kept (generic) plan; a view whose best plan depends on its values (a search, the cases
// without the risk flag, two indexed filters, a filter by last activity that its index keeps in
// creation order) is sent unnamed, which PostgreSQL plans with the values each time.
func TestQueuePagesArePlannedForTheirFilters(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	newCase(t, app, "Ann", "Plan", "DEU", "plan-1")
	conn, err := app.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	type prepared struct {
		statement       string
		generic, custom int64
	}
	statements := func() map[string]prepared {
		rows, err := conn.Query(ctx, "SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '-- name: ListQueue%'")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]prepared{}
		for rows.Next() {
			var name string
			var p prepared
			if err := rows.Scan(&name, &p.statement, &p.generic, &p.custom); err != nil {
				t.Fatal(err)
			}
			out[name] = p
		}
		return out
	}
	for _, query := range []string{"", "status=new&sort=activity", "assignee=none&sort=activity", "nationality=DEU",
		"outcome=none", "assignee=me", "from=2020-01-01", "nationality=DEU&from=2020-01-01&to=2030-01-01",
		"assignee=none&from=2020-01-01", "risk=yes", "outcome=fail&risk=yes", "risk=yes&from=2020-01-01"} {
		v, _ := url.ParseQuery(query)
		f, _ := cases.ParseFilter(v, uuid.New())
		before := statements()
		for range 8 {
			if _, err := cases.List(ctx, db.New(cases.Planned(conn, f)), f); err != nil {
				t.Fatal(err)
			}
		}
		var added []prepared
		for name, p := range statements() {
			if _, ok := before[name]; !ok {
				added = append(added, p)
			}
		}
		if len(added) != 1 {
			t.Fatalf("%q: %d statements prepared, want one of its own", query, len(added))
		}
		if p := added[0]; p.generic == 0 || strings.Contains(p.statement, "IS NULL OR q.") {
			t.Errorf("%q: %d of 8 calls ran a kept plan, statement:\n%s", query, p.generic, p.statement)
		}
	}
	before := len(statements())
	for _, query := range []string{"nationality=DEU&q=plan", "q=plan", "nationality=DEU&outcome=none", "assignee=none&nationality=DEU",
		"assignee=me&sort=activity", "nationality=DEU&sort=activity", "sort=activity&from=2020-01-01", "risk=no",
		"outcome=fail&risk=no", "assignee=none&sort=activity&risk=no", "risk=yes&sort=activity", "risk=yes&nationality=DEU"} {
		v, _ := url.ParseQuery(query)
		f, _ := cases.ParseFilter(v, uuid.New())
		page, err := cases.List(ctx, db.New(cases.Planned(conn, f)), f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(query, "plan") && len(page.Rows) != 1 {
			t.Errorf("%q: %d rows", query, len(page.Rows))
		}
		if after := len(statements()); after != before {
			t.Errorf("%q prepared a named statement (%d → %d)", query, before, after)
		}
	}
}

// TestQueueStatementsShowTheSameCases: every combination of the queue's filters, in both orders
// and from a cursor, shows the cases the statement as written in queries/ shows for them.
func TestQueueStatementsShowTheSameCases(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	rev := app.CreateUser(t, "reviewer")
	for i := range 24 {
		nat := []string{"DEU", "FRA", "ESP"}[i%3]
		newCase(t, app, "Same", fmt.Sprintf("Plan%02d", i), nat, fmt.Sprintf("same-%02d", i))
	}
	if _, err := app.Pool.Exec(ctx, `UPDATE cases SET
		created_at = now() - interval '1 day' * (SELECT count(*) FROM cases c2 WHERE c2.id < cases.id),
		last_activity_at = now() - interval '1 hour' * (SELECT count(*) FROM cases c2 WHERE c2.id > cases.id),
		risk_flag = (SELECT count(*) FROM cases c2 WHERE c2.id < cases.id) % 4 = 0,
		vendor_outcome = (ARRAY['none', 'fail', 'pass'])[1 + (SELECT count(*) FROM cases c2 WHERE c2.id < cases.id) % 3],
		assignee_id = CASE WHEN (SELECT count(*) FROM cases c2 WHERE c2.id < cases.id) % 2 = 0 THEN $1::uuid END,
		status = CASE WHEN (SELECT count(*) FROM cases c2 WHERE c2.id < cases.id) % 2 = 0 THEN 'in_review'::case_status ELSE 'new' END`, rev.ID); err != nil {
		t.Fatal(err)
	}
	from := time.Now().AddDate(0, 0, -15).Format("2006-01-02")
	parts := []string{"assignee=me", "assignee=none", "outcome=fail", "risk=yes", "nationality=DEU", "from=" + from, "q=plan1"}
	n := 0
	for _, status := range []string{"new", "in_review"} {
		for _, sort := range []string{"age", "activity"} {
			for set := range 1 << len(parts) {
				query := []string{"status=" + status, "sort=" + sort}
				for i, p := range parts {
					if set&(1<<i) != 0 {
						query = append(query, p)
					}
				}
				v, _ := url.ParseQuery(strings.Join(query, "&"))
				f, errs := cases.ParseFilter(v, rev.ID)
				if len(errs) > 0 {
					t.Fatalf("%v: %v", query, errs)
				}
				want, err := cases.List(ctx, db.New(db.CustomPlans(app.Pool)), f)
				if err != nil {
					t.Fatal(err)
				}
				got, err := cases.List(ctx, db.New(cases.Planned(app.Pool, f)), f)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%v: %d cases through Planned, %d as written", query, len(got.Rows), len(want.Rows))
				}
				// From a cursor: the page after the first of its cases.
				if len(want.Rows) > 1 {
					r := want.Rows[0]
					at := r.CreatedAt
					if sort == "activity" {
						at = r.LastActivityAt
					}
					f.After = cases.EncodeCursor(at, r.ID)
					want, _ := cases.List(ctx, db.New(db.CustomPlans(app.Pool)), f)
					got, _ := cases.List(ctx, db.New(cases.Planned(app.Pool, f)), f)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%v after a cursor: %d cases through Planned, %d as written", query, len(got.Rows), len(want.Rows))
					}
					// And the page before the last of them, read backwards.
					r = want.Rows[len(want.Rows)-1]
					at = r.CreatedAt
					if sort == "activity" {
						at = r.LastActivityAt
					}
					f.After, f.Before = "", cases.EncodeCursor(at, r.ID)
					want, _ = cases.List(ctx, db.New(db.CustomPlans(app.Pool)), f)
					got, _ = cases.List(ctx, db.New(cases.Planned(app.Pool, f)), f)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%v before a cursor: %d cases through Planned, %d as written", query, len(got.Rows), len(want.Rows))
					}
				}
				n += len(want.Rows)
			}
		}
	}
	if n < 200 {
		t.Fatalf("the combinations showed %d cases in all: the data does not exercise the filters", n)
	}
}

// Paging forwards then back through a view shows the same pages, in both orders, cases created
// at the same instant included (the id breaks the tie); the page before one near the start is
// the whole first page.
func TestQueuePagesGoBackAndForth(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	ctx := context.Background()
	const n = 2*cases.PageSize + 27
	for i := range n {
		newCase(t, app, "Page", fmt.Sprintf("Walker%03d", i), "FRA", fmt.Sprintf("walk-%03d", i))
	}
	// Pairs of cases share their creation and their last activity.
	if _, err := app.Pool.Exec(ctx, `UPDATE cases SET
		created_at = now() - interval '1 minute' * ((SELECT count(*) FROM cases c2 WHERE c2.id < cases.id) / 2),
		last_activity_at = now() - interval '1 second' * ((SELECT count(*) FROM cases c2 WHERE c2.id > cases.id) / 2)`); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []string{"age", "activity"} {
		f, errs := cases.ParseFilter(url.Values{"sort": {sort}}, rev.ID)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		list := func(f cases.Filter) cases.Page {
			t.Helper()
			p, err := cases.List(ctx, db.New(cases.Planned(app.Pool, f)), f)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		var pages []cases.Page
		for p := list(f); ; {
			pages = append(pages, p)
			if p.Next == "" {
				break
			}
			f.After = p.Next
			p = list(f)
		}
		seen := map[uuid.UUID]bool{}
		for _, p := range pages {
			for _, r := range p.Rows {
				seen[r.ID] = true
			}
		}
		if len(pages) != 3 || len(seen) != n || pages[0].Prev != "" || len(pages[2].Rows) != n-2*cases.PageSize {
			t.Fatalf("by %s: %d pages of %d cases (first page's previous %q)", sort, len(pages), len(seen), pages[0].Prev)
		}
		// Back from the last page: each page as it was shown going forwards.
		f.After = ""
		for i := len(pages) - 1; i > 0; i-- {
			f.Before = pages[i].Prev
			back := list(f)
			if !reflect.DeepEqual(back.Rows, pages[i-1].Rows) {
				t.Fatalf("by %s: the page before page %d is not page %d", sort, i+1, i)
			}
			if back.Next != pages[i-1].Next || (back.Prev == "") != (i-1 == 0) {
				t.Fatalf("by %s: page %d read backwards links next %q prev %q", sort, i, back.Next, back.Prev)
			}
		}
		// Before the tenth case: no full page lies before it, so the first page is shown whole.
		r := pages[0].Rows[9]
		f.Before = cases.EncodeCursor(r.CreatedAt, r.ID)
		if sort == "activity" {
			f.Before = cases.EncodeCursor(r.LastActivityAt, r.ID)
		}
		if p := list(f); !reflect.DeepEqual(p, pages[0]) {
			t.Fatalf("by %s: the page before the tenth case has %d cases, prev %q", sort, len(p.Rows), p.Prev)
		}
		// Past the last case: an empty page whose previous page ends at the cursor.
		last := pages[2].Rows[len(pages[2].Rows)-1]
		f.Before, f.After = "", cases.EncodeCursor(last.CreatedAt, last.ID)
		if sort == "activity" {
			f.After = cases.EncodeCursor(last.LastActivityAt, last.ID)
		}
		empty := list(f)
		f.After, f.Before = "", empty.Prev
		tail := append(slices.Clone(pages[1].Rows), pages[2].Rows...)
		if len(empty.Rows) != 0 || empty.Next != "" || !reflect.DeepEqual(list(f).Rows, tail[len(tail)-cases.PageSize:]) {
			t.Fatalf("by %s: past the last case, %d cases and no way back to them", sort, len(empty.Rows))
		}
	}
}

// TestQueueRowsMarkup pins the markup of the queue's rows, which are written by hand for speed
// (web.queueRows): it is what the templ template they replaced rendered, byte for byte.
func TestQueueRowsMarkup(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	rows := []web.QueueRow{
		{ID: uuid.MustParse("0000000a-1111-2222-3333-444444444444"), Name: "MÜLLER, José", Nationality: "DEU", Status: "new", StatusLabel: "New",
			Risk: true, Age: "3 d 4 h", Overdue: true, LastActivity: at},
		{ID: uuid.MustParse("0000000b-1111-2222-3333-444444444444"), Name: `O'Brien & <Sons> "x"`, ExternalRef: "ext-1", Nationality: "GBR",
			Status: "in_review", StatusLabel: "In review", Assignee: "Ann <Reviewer>", Outcome: "pass", Age: "5 h", LastActivity: at.Add(37 * time.Hour)},
	}
	row1 := `<tr data-case="0000000a-1111-2222-3333-444444444444" class="overdue"><td><a href="/cases/0000000a-1111-2222-3333-444444444444" class="case-link">MÜLLER, José</a> <span class="badge badge-bad" title="Risk flag">risk</span></td><td class="mono small"></td><td>DEU</td><td><span class="badge ">New</span></td><td><span class="muted">—</span></td><td><span class="badge ">not run</span></td><td class="nowrap">3 d 4 h <span class="badge badge-warn" title="Past the SLA">SLA</span></td><td class="nowrap small">2026-03-04 04:06 UTC</td>`
	row2 := `<tr data-case="0000000b-1111-2222-3333-444444444444" class=""><td><a href="/cases/0000000b-1111-2222-3333-444444444444" class="case-link">O&#39;Brien &amp; &lt;Sons&gt; &#34;x&#34;</a> </td><td class="mono small">ext-1</td><td>GBR</td><td><span class="badge badge-accent">In review</span></td><td>Ann &lt;Reviewer&gt;</td><td><span class="badge badge-ok">pass</span></td><td class="nowrap">5 h </td><td class="nowrap small">2026-03-05 17:06 UTC</td>`
	// The checkbox and the report link name their case (a screen reader lists fifty of them).
	cell := func(id, name string) string {
		return `<td class="select-col nowrap"><input type="checkbox" name="case" value="` + id + `" form="reports-form" aria-label="Select ` + name + `" data-select> <a class="small report-link" href="/cases/` + id + `/report.pdf" title="Download the case report (PDF)">PDF<span class="sr-only">: case report of ` + name + `</span></a></td>`
	}
	for _, canReport := range []bool{false, true} {
		var b strings.Builder
		if err := web.QueueResults(web.QueueView{Rows: rows, CanReport: canReport}).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		want := "<tbody>" + row1 + "</tr>" + row2 + "</tr></tbody>"
		if canReport {
			want = "<tbody>" + row1 + cell(rows[0].ID.String(), "MÜLLER, José") + "</tr>" + row2 + cell(rows[1].ID.String(), `O&#39;Brien &amp; &lt;Sons&gt; &#34;x&#34; (ext-1)`) + "</tr></tbody>"
		}
		if got := b.String(); !strings.Contains(got, want) {
			t.Errorf("canReport=%v: the rows are not as the template rendered them\ngot  %s\nwant %s", canReport, got, want)
		}
	}
}

// BenchmarkQueuePage renders a full queue page of fifty cases for a manager, in its layout,
// without the database: the templates' share of the page's cost.
func BenchmarkQueuePage(b *testing.B) {
	now := time.Now()
	f, _ := cases.ParseFilter(url.Values{"status": {"in_review"}, "nationality": {"DEU"}}, uuid.New())
	v := web.QueueView{CanWork: true, CanReport: true, Filter: web.QueueFilter{Status: "in_review", Nationality: "DEU", Sort: "age"}}
	for i, s := range cases.Statuses {
		v.Tabs = append(v.Tabs, web.QueueTab{Label: cases.Label(s), Status: string(s), Count: int64(1000 * i),
			Href: "/cases?" + f.WithStatus(s).Query().Encode(), Active: s == f.Status})
	}
	for i := range cases.PageSize {
		age, _, _ := cases.Timing(cases.InReview, now.Add(-time.Duration(i)*time.Hour), nil, now, 24*time.Hour)
		v.Rows = append(v.Rows, web.QueueRow{ID: uuid.New(), Name: "WIŚNIEWSKI, Anna Maria", ExternalRef: fmt.Sprintf("EXT-%06d", i),
			Nationality: "DEU", Status: "in_review", StatusLabel: "In review", Assignee: []string{"", "Jana Novák"}[i%2],
			Outcome: []string{"none", "pass", "review", "fail"}[i%4], Risk: i%7 == 0, Age: age,
			Overdue: i%3 == 0, LastActivity: now.Add(-time.Duration(i) * time.Minute)})
	}
	for i := range 8 {
		v.Assignees = append(v.Assignees, web.Option{Value: uuid.NewString(), Label: fmt.Sprintf("Reviewer %d", i)})
	}
	v.NextHref = "/cases?" + f.Query().Encode() + "&after=abc"
	v.Paged = true
	v.Countries = web.NewDatalist("country-codes", normalize.CountryCodes(), func(c normalize.Country) web.Option {
		return web.Option{Value: c.Alpha3, Label: c.Name}
	})
	chrome := web.Chrome{Title: "Queue", User: &web.UserBadge{Name: "Mia Manager", Email: "mia@example.test", Role: "manager"},
		Nav: []web.NavItem{{Label: "Queue", Href: "/cases", Active: true}, {Label: "Reports", Href: "/reports"}, {Label: "Account", Href: "/account"}}}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := web.Layout(chrome, web.QueuePage(v)).Render(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}

// An assignment recorded before its audit row kept the assignee's name (it has their email) is
// shown on the timeline with the name too, read from the users.
func TestTimelineNamesTheAssigneeOfAnOldAssignment(t *testing.T) {
	app := testenv.NewApp(t)
	rev, mgr := app.CreateUser(t, "reviewer"), app.CreateUser(t, "manager")
	c := newCase(t, app, "Olga", "Oldrow", "SWE", "old-assign")
	ctx := context.Background()
	err := db.Transact(ctx, app.Pool, func(q *db.Queries, _ pgx.Tx) error {
		return audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "case.assign", SubjectType: "case", SubjectID: c.ID.String(),
			CaseID: &c.ID, After: map[string]any{"status": "in_review", "assignee_id": rev.ID, "assignee": rev.Email}})
	})
	if err != nil {
		t.Fatal(err)
	}
	line := ""
	app.SignIn(t, mgr).Get(t, "/cases/"+c.ID.String()).Doc(t).Find("ol.timeline > li").Each(func(_ int, li *goquery.Selection) {
		if strings.Contains(li.Text(), "assigned the case") {
			line = strings.Join(strings.Fields(li.Text()), " ")
		}
	})
	if !strings.HasSuffix(line, "assigned the case to Reviewer Tester") {
		t.Errorf("timeline's line for an old assignment: %q", line)
	}
}

// TestDecidedCasesShowTheirAgeAtDecision: a decided case's age stopped at its decision, and one
// decided after the SLA is marked so in the queue and on its page, as the exports' "Past SLA"
// has it; one decided in time is not, nor is its row marked overdue.
func TestDecidedCasesShowTheirAgeAtDecision(t *testing.T) {
	app := testenv.NewApp(t) // SLA 24 h
	late, early := newCase(t, app, "Lena", "Late", "DEU", "sla-late"), newCase(t, app, "Erik", "Early", "DEU", "sla-early")
	for id, hours := range map[uuid.UUID]int{late.ID: 26, early.ID: 10} {
		app.Exec(t, `UPDATE cases SET status = 'approved', created_at = now() - interval '300 hours',
			decided_at = now() - interval '300 hours' + make_interval(hours => $2) WHERE id = $1`, id, hours)
	}
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	doc := c.Get(t, "/cases?status=approved").Doc(t)
	row := func(id uuid.UUID) *goquery.Selection { return doc.Find(`tr[data-case="` + id.String() + `"]`) }
	if r := row(late.ID); r.HasClass("overdue") || !strings.HasPrefix(r.Find(`td.nowrap`).First().Text(), "26 h") ||
		r.Find(`[title="Decided after the SLA"]`).Length() != 1 {
		t.Errorf("the case decided late: %q, class %q", r.Find(`td.nowrap`).First().Text(), r.AttrOr("class", ""))
	}
	if r := row(early.ID); r.HasClass("overdue") || strings.TrimSpace(r.Find(`td.nowrap`).First().Text()) != "10 h" {
		t.Errorf("the case decided in time: %q, class %q", r.Find(`td.nowrap`).First().Text(), r.AttrOr("class", ""))
	}
	page := c.Get(t, "/cases/"+late.ID.String()).Doc(t)
	if meta := page.Find(".case-meta").Text(); !strings.Contains(meta, "decided after 26 h") || page.Find("#case-late").Length() != 1 {
		t.Errorf("the late case's page: %q", meta)
	}
	if page := c.Get(t, "/cases/"+early.ID.String()).Doc(t); page.Find("#case-late").Length() != 0 {
		t.Error("the case decided in time is marked late")
	}
}

// TestQueueSaysWhenItCannotReadThePageAsked: an address whose page cursor cannot be read (cut
// short when copied, edited, or its escaping broken) shows the view's first page and says so: a
// whole page by sending the browser to the view's own address with a note, so that a reload or
// the Queue link does not meet the broken cursor again; htmx with the note in the results and the
// clean address pushed. A page that reads shows no such note.
func TestQueueSaysWhenItCannotReadThePageAsked(t *testing.T) {
	app := testenv.NewApp(t)
	rev := app.CreateUser(t, "reviewer")
	for i := range cases.PageSize + 3 {
		newCase(t, app, "Cut", fmt.Sprintf("Short%03d", i), "FRA", fmt.Sprintf("cut-%03d", i))
	}
	c := app.SignIn(t, rev)
	first := c.Get(t, "/cases?sort=age").Doc(t)
	next := first.Find("#next-page").AttrOr("href", "")
	if next == "" || first.Find("#queue-bad-cursor").Length() != 0 {
		t.Fatalf("first page: next %q, note %d", next, first.Find("#queue-bad-cursor").Length())
	}
	if r := c.Get(t, next); r.Status != http.StatusOK || r.Doc(t).Find("#queue-bad-cursor, .flash").Length() != 0 {
		t.Fatalf("a page that reads: %d, or says it could not", r.Status)
	}
	firstRow := first.Find("#queue-table tbody tr").First().AttrOr("data-case", "")
	cursor := next[strings.Index(next, "after=")+len("after="):]
	const note = "The address named a page of this view that cannot be read (cut short when copied, or changed): this is the view's first page."
	for _, broken := range []string{"after=" + cursor[:len(cursor)/2], "before=%21%21", "after=bm90LWEtY3Vyc29y", "before=%zz", "after=%", "after=;x"} {
		r := c.Get(t, "/cases?sort=age&"+broken)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/cases?status=new" { // the view as its links write it
			t.Errorf("%s: %d to %q, want 303 to the view's own address", broken, r.Status, r.Header.Get("Location"))
			continue
		}
		d := c.Get(t, r.Header.Get("Location")).Doc(t)
		if got := strings.TrimSpace(d.Find(".flash").Text()); got != note {
			t.Errorf("%s: the page says %q", broken, got)
		}
		if got := d.Find("#queue-table tbody tr").First().AttrOr("data-case", ""); got != firstRow {
			t.Errorf("%s: first row %s, want the first page's %s", broken, got, firstRow)
		}
		req, _ := http.NewRequest("GET", app.URL+"/cases?sort=age&"+broken, nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "queue-results")
		h := c.Do(t, req)
		hd := h.Doc(t)
		push := h.Header.Get("HX-Push-Url")
		if h.Status != http.StatusOK || strings.Contains(push, "after") || strings.Contains(push, "before") ||
			strings.TrimSpace(hd.Find("#queue-bad-cursor").Text()) != note {
			t.Errorf("%s by htmx: %d, pushes %q, note %q", broken, h.Status, push, hd.Find("#queue-bad-cursor").Text())
		}
		if href := hd.Find("#next-page").AttrOr("href", ""); href != next || hd.Find("#prev-page").Length() != 0 {
			t.Errorf("%s: next %q (want %q), previous %d", broken, href, next, hd.Find("#prev-page").Length())
		}
	}
}
