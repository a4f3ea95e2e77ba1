package checks_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/checks"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

// TestVendorTextWithNULIsStored: a vendor answer whose JSON strings carry \u0000 (NUL, which
// PostgreSQL text and jsonb refuse) still finishes its check at once, with the vendor call logged.
func TestVendorTextWithNULIsStored(t *testing.T) {
	checks.RetryBase = 50 * time.Millisecond
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	sample, err := os.ReadFile("../vendors/cynopsis/testdata/ocr_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	answer := strings.Replace(string(sample), `"last_name": "LEE"`, `"last_name": "L\u0000EE", "x\u0000y": "1"`, 1)
	cases := []struct {
		name  string
		fault vendors.Fault
		state db.CheckState
	}{
		{"refusal", vendors.Fault{Kind: vendors.FaultStatus, Status: 400, Body: `{"error":"bad","message":"no\u0000pe"}`}, db.CheckStateFailed},
		{"result", vendors.Fault{Kind: vendors.FaultStatus, Status: 201, Body: answer}, db.CheckStateDone},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault.PathContains = "/service/v2/ocr"
			app.Server.Sim.Cynopsis.Faults.Inject(tc.fault)
			caseID, docID := demoCase(t, app, uint64(3300+i), specimen.Options{})
			runChecks(t, app, c, caseID, docID, "cynopsis_ocr")
			ck := wait(t, app, caseID, 1)["cynopsis_ocr"]
			if ck.State != tc.state || ck.Attempts != 1 {
				t.Fatalf("%s after %d attempts: %q", ck.State, ck.Attempts, ck.Reason)
			}
			if tc.state == db.CheckStateFailed && !strings.Contains(ck.Reason, "no\uFFFDpe") {
				t.Errorf("reason %q does not quote the vendor", ck.Reason)
			}
			if tc.state == db.CheckStateDone && !strings.Contains(string(ck.Result), "L\uFFFDEE") {
				t.Errorf("result %s", ck.Result)
			}
			calls, err := db.New(app.Pool).ListCaseVendorCalls(context.Background(), &caseID)
			if err != nil {
				t.Fatal(err)
			}
			logged := false
			for _, k := range calls {
				logged = logged || strings.Contains(k.Endpoint, "/ocr")
			}
			if !logged {
				t.Error("the OCR call is not logged")
			}
		})
	}
}
