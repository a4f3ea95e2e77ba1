package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// timelineStage orders a seeded case's events: the customer and the case are created, then the
// document and its images arrive, then the case is assigned and set back.
var timelineStage = map[string]int{
	"customer.create": 0, "case.create": 1, "document.add": 2, "image.upload": 3, "case.assign": 4, "case.backdate": 5,
}

// TestSeededTimelines: every demo case's timeline reads in order and agrees with the case. No event
// is dated before the case's opening or after now, the customer's creation comes first, the
// events follow the seeding's stages, and the case's last activity is its newest event. The case
// is opened its age ago, in review with the given reviewer when it should be, and the audit chain
// holds.
func TestSeededTimelines(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	if _, err := EnsureUsers(ctx, app.Pool, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := EnsureCases(ctx, app.Server.CustomerService(), "reviewer2@kycdesk.local")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	if n != len(demoCases) {
		t.Fatalf("EnsureCases created %d cases, want %d", n, len(demoCases))
	}
	q := db.New(app.Pool)
	for _, d := range demoCases {
		ref := fmt.Sprintf("demo-%d", d.seed)
		t.Run(ref, func(t *testing.T) {
			cu, err := q.GetCustomerByExternalRef(ctx, &ref)
			if err != nil {
				t.Fatal(err)
			}
			c, err := q.GetOpenCaseForCustomer(ctx, cu.ID)
			if err != nil {
				t.Fatal(err)
			}
			age := time.Duration(d.ageHours) * time.Hour
			if c.CreatedAt.Before(start.Add(-age-time.Second)) || c.CreatedAt.After(end.Add(-age+time.Second)) {
				t.Errorf("case opened at %s, want %d h before the seeding (%s to %s)", c.CreatedAt, d.ageHours, start, end)
			}
			if c.RiskFlag != d.risk {
				t.Errorf("risk flag %v, want %v", c.RiskFlag, d.risk)
			}
			wantStatus := db.CaseStatusNew
			if d.status == db.CaseStatusInReview {
				wantStatus = db.CaseStatusInReview
			}
			if c.Status != wantStatus || (wantStatus == db.CaseStatusInReview) != (c.AssigneeID != nil) {
				t.Errorf("status %s, assignee %v; want %s", c.Status, c.AssigneeID, wantStatus)
			}

			rows, err := q.ListCaseTimelineEvents(ctx, db.ListCaseTimelineEventsParams{CaseID: &c.ID, WithViews: true, MaxRows: 200})
			if err != nil {
				t.Fatal(err)
			}
			var events []db.AuditEvent
			for _, r := range rows {
				events = append(events, r.AuditEvent)
			}
			slices.Reverse(events) // oldest first
			var actions []string
			for _, e := range events {
				actions = append(actions, e.Action)
			}
			if len(events) < 5 || events[0].Action != "customer.create" || events[1].Action != "case.create" ||
				events[len(events)-1].Action != "case.backdate" {
				t.Fatalf("timeline %q: want the customer and the case created first and the setting back last", actions)
			}
			if want := wantStatus == db.CaseStatusInReview; slices.Contains(actions, "case.assign") != want {
				t.Errorf("timeline %q: an assignment belongs on it only when the case starts in review", actions)
			}
			for i, e := range events {
				if e.At.Before(c.CreatedAt) || e.At.After(time.Now()) {
					t.Errorf("%s at %s: outside the case's life (opened %s, now %s)", e.Action, e.At, c.CreatedAt, time.Now())
				}
				stage, ok := timelineStage[e.Action]
				if !ok {
					t.Errorf("unexpected event %s on a seeded case", e.Action)
				}
				if i > 0 && (e.At.Before(events[i-1].At) || stage < timelineStage[events[i-1].Action]) {
					t.Errorf("timeline out of order: %s at %s after %s at %s", e.Action, e.At, events[i-1].Action, events[i-1].At)
				}
			}
			if got, want := cases.Describe(events[len(events)-1]), fmt.Sprintf("set the case's opening back %d h", d.ageHours); !strings.HasPrefix(got, want) {
				t.Errorf("the timeline says %q, want it to start %q", got, want)
			}
			newest := events[len(events)-1].At
			if d := c.LastActivityAt.Sub(newest); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("last activity %s, newest event %s", c.LastActivityAt, newest)
			}
		})
	}

	v, err := audit.Verify(ctx, q)
	if err != nil || !v.OK() {
		t.Errorf("audit chain after seeding: %+v, %v", v, err)
	}
	// Seeding again finds every case and changes nothing.
	if n, err := EnsureCases(ctx, app.Server.CustomerService(), "reviewer2@kycdesk.local"); err != nil || n != 0 {
		t.Errorf("second EnsureCases = %d, %v; want 0", n, err)
	}
}
