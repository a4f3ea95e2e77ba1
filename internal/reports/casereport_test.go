package reports_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/mrz"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

// passportCase is a GBR passport read by four vendors as the demo's are: Cynopsis misreads the
// surname; Cynopsis, Apptenticate and Argos read the same MRZ; Cynopsis says the document has
// expired and flags the sex format; Argos refuses the expiry date and asks for a look at the front;
// OOTO compares the faces (87%) and fails a quality check. Two liveness verdicts: the first
// delivered, the second (correcting it) still retrying, so Artemis holds the first.
func passportCase(t *testing.T, w *world) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	o := customers.Origin{Actor: audit.System, Via: "test"}
	cr, err := w.app.Server.CustomerService().Create(ctx, o, customers.Input{ExternalRef: "ref-gb-9", GivenNames: "Emil", Surname: "Elsworthin",
		DateOfBirth: "1984-07-21", Nationality: "GBR", Email: "emil@example.com",
		Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: "GBR", Number: "533401871", IssueDate: "2019-05-02", ExpiryDate: "2029-05-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	caseID, docID := cr.Case.ID, cr.Documents[0].ID
	zone, err := mrz.GenerateTD3(mrz.Data{DocumentCode: "P", IssuingState: "GBR", Nationality: "GBR", Surname: "ELSWORTHIN", GivenNames: "EMIL",
		DocumentNumber: "533401871", BirthDate: time.Date(1984, 7, 21, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2029, 5, 1, 0, 0, 0, 0, time.UTC), Sex: "M"})
	if err != nil {
		t.Fatal(err)
	}
	fields := func(surname string, withMRZ bool) []vendors.Field {
		out := []vendors.Field{{Name: vendors.Surname, Value: surname}, {Name: vendors.GivenNames, Value: "EMIL"},
			{Name: vendors.DateOfBirth, Value: "1984-07-21"}, {Name: vendors.DocumentNumber, Value: "533401871"},
			{Name: vendors.ExpiryDate, Value: "2029-05-01"}, {Name: vendors.Nationality, Value: "GBR"}}
		if withMRZ {
			out = append(out, vendors.Field{Name: vendors.MRZLine1, Value: zone[0]}, vendors.Field{Name: vendors.MRZLine2, Value: zone[1]})
		}
		return out
	}
	sim, live := 0.87, 0.91
	same, fine := true, true
	results := []struct {
		vendor, kind string
		res          vendors.Result
	}{
		{"cynopsis_ocr", "ocr", vendors.Result{Outcome: vendors.OutcomeReview, Fields: fields("ELSWORTH", true),
			Extra: map[string]string{"docver_check.document.state": "EXPIRED"},
			Flags: []vendors.Flag{{Name: "valid genre format", OK: false}, {Name: "final hash", OK: true}}}},
		{"apptenticate", "ocr", vendors.Result{Outcome: vendors.OutcomePass, Fields: fields("ELSWORTHIN", true)}},
		{"argos", "recognition", vendors.Result{Outcome: vendors.OutcomeReview, Fields: fields("ELSWORTHIN", true),
			Flags: []vendors.Flag{{Name: "expire_date.accepted", OK: false}, {Name: "review_front", OK: false}}}},
		{"ooto", "face_match", vendors.Result{Outcome: vendors.OutcomePass, Fields: fields("ELSWORTHIN", false),
			Flags: []vendors.Flag{{Name: "same face", OK: true}, {Name: "quality: crfiqa", OK: false}},
			Face: &vendors.Face{Similarity: &sim, Same: &same, Liveness: &live, LivenessFine: &fine,
				FailedQuality: []string{"The face image is of too low a quality to match reliably."}}}},
	}
	at := w.now.Add(-5 * time.Hour)
	for _, r := range results {
		b, err := json.Marshal(r.res)
		if err != nil {
			t.Fatal(err)
		}
		var checkID uuid.UUID
		if err := w.app.Pool.QueryRow(ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, state, request_key, outcome, result, attempts, created_at, started_at, finished_at)
			VALUES ($1, $2, $3, $4, 'done', 'k', $5, $6, 1, $7, $7, $7) RETURNING id`, caseID, docID, r.vendor, r.kind, string(r.res.Outcome), b, at).Scan(&checkID); err != nil {
			t.Fatal(err)
		}
		if r.vendor == "argos" {
			exec(t, w.app, `INSERT INTO vendor_calls (check_id, case_id, vendor, method, endpoint, started_at, latency_ms, http_status)
				VALUES ($1, $2, 'argos', 'GET', $3, $4, 812, 200)`, checkID, caseID, argosURL, at)
		}
	}
	var selfie, first, second uuid.UUID
	if err := w.app.Pool.QueryRow(ctx, `INSERT INTO images (customer_id, document_id, kind, sha256, content_type, size_bytes, file_name)
		VALUES ($1, $2, 'selfie', $3, 'image/jpeg', 1, 'selfie-1.jpg') RETURNING id`, cr.Customer.ID, docID, strings.Repeat("cd", 32)).Scan(&selfie); err != nil {
		t.Fatal(err)
	}
	verdict := func(conclusion bool, supersedes *uuid.UUID) uuid.UUID {
		var id uuid.UUID
		if err := w.app.Pool.QueryRow(ctx, `INSERT INTO liveness_verdicts (case_id, document_id, recorded_by, conclusion, liveness_result, facial_check,
			eyes_closed, eyes_closed_confidence, sunglasses, sunglasses_confidence, face_occluded, face_occluded_confidence, liveness_confidence,
			reference_image_id, supersedes)
			VALUES ($1, $2, $3, $4, true, true, false, 90, false, 95, false, 97, 80, $5, $6) RETURNING id`,
			caseID, docID, w.reviewer.ID, conclusion, selfie, supersedes).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first = verdict(true, nil)
	exec(t, w.app, "INSERT INTO liveness_deliveries (verdict_id, state, attempts, delivered_at) VALUES ($1, 'delivered', 1, $2)", first, w.now.Add(-4*time.Hour))
	second = verdict(false, &first)
	exec(t, w.app, `INSERT INTO liveness_deliveries (verdict_id, state, attempts, last_error, next_attempt_at)
		VALUES ($1, 'retrying', 2, 'Artemis did not answer.', $2)`, second, w.now.Add(time.Minute))
	return caseID
}

const argosURL = "https://api.argos-identity.example/modules/v3/submission/transactions/7f3c9a2e-51b8-4d0c-9e61-a2b3c4d5e6f7/result"

// TestCaseReportReadable: the report a tester found hard to read says what the pages say, in
// their words, and lays it out so that words are not cut.
func TestCaseReportReadable(t *testing.T) {
	w := newWorld(t)
	id := passportCase(t, w)
	res := w.app.SignIn(t, w.manager).Get(t, "/cases/"+id.String()+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	// Each drawn line is its own text object, which the reader puts on a line of its own (blank
	// lines between them are dropped here): a value cut in two would read "ELSWORTHI\nN".
	var kept []string
	for _, l := range strings.Split(testenv.PDFText(t, []byte(res.Body)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	text := "\n" + strings.Join(kept, "\n") + "\n"
	defer func() {
		if t.Failed() {
			t.Logf("text:\n%s", text)
		}
	}()
	for _, whole := range []string{"\nELSWORTHIN\n", "\nELSWORTH\n", "\nApptenticate\n", "\n2029-05-01\n"} {
		if !strings.Contains(text, whole) {
			t.Errorf("the report does not show %q whole", strings.Trim(whole, "\n"))
		}
	}
	// Only the source that disagrees is named, in the review workspace's words.
	if !strings.Contains(text, "\n"+lossy("≠ Cynopsis")+"\n") || strings.Contains(text, "MISMATCH") {
		t.Errorf("the surname row does not say that Cynopsis disagrees")
	}
	if !strings.Contains(text, "Surname: Declared, Apptenticate, Argos, OOTO and MRZ agree on ELSWORTHIN; Cynopsis reads ELSWORTH.") {
		t.Errorf("the mismatch is not explained")
	}
	// A URL breaks after a slash, a dot or a dash, not inside a word.
	var urlLines []string
	for _, l := range strings.Split(text, "\n") {
		if l != "" && strings.Contains(argosURL, l) && len(l) > 3 {
			urlLines = append(urlLines, l)
		}
	}
	if strings.Join(urlLines, "") != argosURL || len(urlLines) < 2 {
		t.Errorf("the vendor URL is drawn as %q", urlLines)
	}
	for _, l := range urlLines[:max(len(urlLines)-1, 0)] {
		if !strings.ContainsAny(l[len(l)-1:], "/.-") {
			t.Errorf("the vendor URL breaks inside a word: %q", urlLines)
			break
		}
	}
	// One MRZ check for the zone three vendors read alike.
	if n := strings.Count(text, "Read by "); n != 1 || !strings.Contains(text, "Read by Cynopsis, Apptenticate and Argos (TD3)") {
		t.Errorf("%d MRZ tables, want one read by Cynopsis, Apptenticate and Argos", n)
	}
	// The vendors' findings in the workspace's words, including the document's state.
	for _, want := range []string{"Sex format", "Composite check digit", "Expiry date accepted", "Front passed without a human look",
		"Document state: EXPIRED", "The face image is of too low a quality to match reliably.", "87%: the same person", "91%: a live person"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, raw := range []string{"valid genre format", "expire_date", "review_front", "quality: crfiqa", "0.87", "not ok"} {
		if strings.Contains(text, raw) {
			t.Errorf("the report prints the vendor's raw %q", raw)
		}
	}
	// Liveness verdicts as the liveness panel says them, numbered, and the one Artemis holds.
	for _, want := range []string{"Conclusion\npass", "Conclusion\nfail", "Corrects\nVerdict 1 (recorded", "Live person\nyes", "Face matches\nyes",
		"Cynopsis Artemis holds verdict 1 (conclusion: pass), delivered", "Artemis holds this verdict."} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if regexp.MustCompile(`Corrects\n[0-9a-f]{8}-`).MatchString(text) || strings.Count(text, "Artemis holds this verdict.") != 1 {
		t.Errorf("verdicts: a correction names a UUID, or more than one verdict is held")
	}
}
