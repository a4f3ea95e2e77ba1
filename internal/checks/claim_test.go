package checks_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kycdesk/internal/audit"
	"kycdesk/internal/checks"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

// TestRunningChecksNeedsTheClaim: a reviewer runs checks only on a case they hold, as they decide
// it: on an unclaimed case the request is refused ("Claim the case first") and the panel offers no
// form but says why; on a colleague's case it is forbidden; nothing is queued either way. Once
// claimed, the same request runs. Checks no person asked for (the intake API's) need no claim.
func TestRunningChecksNeedsTheClaim(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	rev, other := app.CreateUser(t, "reviewer"), app.CreateUser(t, "reviewer")
	c, oc := app.SignIn(t, rev), app.SignIn(t, other)
	caseID, docID := demoCase(t, app, 3101, specimen.Options{})
	path := "/cases/" + caseID.String() + "/documents/" + docID.String() + "/checks"
	form := url.Values{"vendor": {"argos"}, "request_key": {"claim-1"}}
	count := func() int {
		t.Helper()
		var n int
		if err := app.Pool.QueryRow(ctx, "SELECT count(*) FROM checks WHERE case_id = $1", caseID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	panel := c.Get(t, path)
	if panel.Doc(t).Find("form.run-checks").Length() != 0 || !strings.Contains(panel.Doc(t).Find(".checks-blocked").Text(), "Claim the case") {
		t.Fatalf("the panel of an unclaimed case: %q", panel.Doc(t).Find(".checks").Text())
	}
	res := c.PostForm(t, path, form, "HX-Request", "true")
	if res.Status != http.StatusConflict || !strings.Contains(res.Body, "Claim the case first") {
		t.Fatalf("checks on an unclaimed case: %d %.300s", res.Status, res.Body)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d checks queued on an unclaimed case", n)
	}

	claim(t, oc, caseID)
	if res := c.PostForm(t, path, form, "HX-Request", "true"); res.Status != http.StatusForbidden || !strings.Contains(res.Body, "someone else") {
		t.Fatalf("checks on a colleague's case: %d %.300s", res.Status, res.Body)
	}
	if panel := c.Get(t, path); panel.Doc(t).Find("form.run-checks").Length() != 0 {
		t.Fatal("the panel offers checks on a colleague's case")
	}
	if n := count(); n != 0 {
		t.Fatalf("%d checks queued on a colleague's case", n)
	}
	if res := oc.PostForm(t, "/cases/"+caseID.String()+"/release", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("release: %d", res.Status)
	}

	claim(t, c, caseID)
	if res := c.PostForm(t, path, form, "HX-Request", "true"); res.Status != http.StatusOK {
		t.Fatalf("checks on the reviewer's own case: %d %.300s", res.Status, res.Body)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d checks queued by the holder, want 1", n)
	}

	// A request no person made (the intake API's automatic checks) runs on an unclaimed case.
	caseID2, docID2 := demoCase(t, app, 3102, specimen.Options{})
	svc := &checks.Service{Pool: app.Pool, River: app.Server.River}
	if _, err := svc.Request(ctx, audit.System, nil, "api:test", caseID2, docID2, []vendors.Name{vendors.Argos}, ""); err != nil {
		t.Fatalf("automatic checks on an unclaimed case: %v", err)
	}
	if list, _ := db.New(app.Pool).ListCaseChecks(ctx, caseID2); len(list) != 1 {
		t.Fatalf("%d automatic checks", len(list))
	}
}
