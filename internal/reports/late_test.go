package reports_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"

	"kycdesk/internal/reports"
	"kycdesk/internal/specimen"
)

// postDocument sends a passport numbered number for the case's customer through the intake API.
func postDocument(t *testing.T, w *world, caseID, token, number string) {
	t.Helper()
	var customerID string
	if err := w.app.Pool.QueryRow(context.Background(), "SELECT customer_id::text FROM cases WHERE id = $1", caseID).Scan(&customerID); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"type": "passport", "issuing_country": "UTO", "number": number} {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("front", "front.jpg")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(specimen.Generate(77, specimen.Options{}).Front)
	_ = mw.Close()
	r := w.app.NewClient().API(t, "POST", "/api/v1/customers/"+customerID+"/documents", token, mw.FormDataContentType(), buf.Bytes())
	if r.Status != http.StatusCreated {
		t.Fatalf("document through the API: %d %s", r.Status, r.Body)
	}
}

// xlsxFlags downloads the case-list XLSX (through the stored rows when bulk) and returns the
// Flags cell of the case.
func xlsxFlags(t *testing.T, w *world, caseID string, bulk bool) string {
	t.Helper()
	defer func(n int64) { *reports.BulkRows = n }(*reports.BulkRows)
	if bulk {
		*reports.BulkRows = 0
	} else {
		*reports.BulkRows = 1 << 40
	}
	res := w.app.SignIn(t, w.manager).Get(t, "/cases/export.xlsx?status=all")
	if res.Status != http.StatusOK {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(res.Body)))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer x.Close()
	rows, err := x.GetRows("Cases")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r[0] == caseID {
			if c := col("Flags"); c < len(r) {
				return r[c]
			}
			return ""
		}
	}
	t.Fatalf("no row for case %s in the workbook", caseID)
	return ""
}

// TestLateDocumentIsFlagged: a document that arrives through the intake API while the case's
// decision waits for its second review (the maker did not see it) is flagged in the case-list
// export as late_document:<document>, as the decision panel and the case report say it: in the
// CSV and the XLSX, read from the view (small export) and from the stored rows (big export), with
// the stored row marked stale by the arrival and then refreshed. A document that arrives after
// the second review is not late.
func TestLateDocumentIsFlagged(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.id.String()
	// The ID card case: approved by the reviewer after its documents came, waiting for a second
	// review.
	exec(t, w.app, `INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, four_eyes_rule, state)
		VALUES ($1, 'approve', $2, $3, 'always', 'pending')`, w.id, reasonID(t, w.app, "approve"), w.reviewer.ID)
	exec(t, w.app, "UPDATE cases SET status = 'pending_second_review' WHERE id = $1", w.id)
	if err := reports.RefreshExportRows(ctx, w.app.Pool); err != nil {
		t.Fatal(err)
	}
	flags := func() string {
		t.Helper()
		return byCase(t, exportBoth(t, w, "status=all"))[id][col("Flags")]
	}
	if got := flags(); got != "" {
		t.Fatalf("flags before any document arrived: %q", got)
	}

	postDocument(t, w, id, w.app.CreateAPIToken(t, "onboarding"), "L2")
	const want = "late_document:Passport L2"
	// The arrival marked the stored row stale: an export that does not refresh first merges the
	// row computed from the view in.
	*reports.RefreshBeforeExport = false
	var marked int
	if err := w.app.Pool.QueryRow(ctx, "SELECT count(*) FROM case_export_stale WHERE case_id = $1", w.id).Scan(&marked); err != nil || marked != 1 {
		t.Fatalf("the arrival did not mark the case's export row (%d, %v)", marked, err)
	}
	if got := flags(); got != want {
		t.Errorf("flags with the row marked: %q, want %q", got, want)
	}
	*reports.RefreshBeforeExport = true
	if got := flags(); got != want {
		t.Errorf("flags with the row refreshed: %q, want %q", got, want)
	}
	storedMatchesView(t, w)
	for _, bulk := range []bool{false, true} {
		if got := xlsxFlags(t, w, id, bulk); got != want {
			t.Errorf("XLSX flags (stored rows %v): %q, want %q", bulk, got, want)
		}
	}

	// The checker confirms over it: the decision stands with the document it did not rest on,
	// still flagged. A document that comes after the confirmation is not late.
	exec(t, w.app, "UPDATE case_decisions SET state = 'confirmed', checker_id = $2, checked_at = now() WHERE case_id = $1 AND state = 'pending'", w.id, w.manager2.ID)
	exec(t, w.app, "UPDATE cases SET status = 'approved', decided_at = now() WHERE id = $1", w.id)
	exec(t, w.app, `INSERT INTO documents (customer_id, type, issuing_country, number, created_at)
		SELECT customer_id, 'passport', 'UTO', 'L3', now() + interval '1 second' FROM cases WHERE id = $1`, w.id)
	if got := flags(); got != want {
		t.Errorf("flags after the confirmation: %q, want %q", got, want)
	}
	storedMatchesView(t, w)
}

// TestExportDocumentIsTheCases: once a document has opened a new case for a customer whose case
// was decided, the decided case's export row keeps the document it was decided on; the new case's
// row has the new document. Read from the view and from the stored rows (the arrival marked both
// cases), which agree.
func TestExportDocumentIsTheCases(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if err := reports.RefreshExportRows(ctx, w.app.Pool); err != nil {
		t.Fatal(err)
	}
	before := byCase(t, exportBoth(t, w, "status=all"))[w.polish.String()][col("Document number")]
	postDocument(t, w, w.polish.String(), w.app.CreateAPIToken(t, "onboarding"), "RENEW1")
	var next string
	if err := w.app.Pool.QueryRow(ctx, `SELECT id::text FROM cases WHERE customer_id = (SELECT customer_id FROM cases WHERE id = $1)
		AND id <> $1 ORDER BY created_at DESC LIMIT 1`, w.polish).Scan(&next); err != nil {
		t.Fatalf("no case opened by the document: %v", err)
	}
	for _, refresh := range []bool{false, true} {
		*reports.RefreshBeforeExport = refresh
		rows := byCase(t, exportBoth(t, w, "status=all"))
		if got := rows[w.polish.String()][col("Document number")]; got != before {
			t.Errorf("refresh %v: the approved case's document is %q, want %q (the one it was decided on)", refresh, got, before)
		}
		if got := rows[next][col("Document number")]; got != "RENEW1" {
			t.Errorf("refresh %v: the new case's document is %q, want RENEW1", refresh, got)
		}
	}
	*reports.RefreshBeforeExport = true
	storedMatchesView(t, w)
}
