package reports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors/argos"
)

// lossy is text as the PDF reader returns it: it keeps only the low byte of a character beyond
// U+00FF (it applies a ToUnicode range to the last byte alone), so "Łukasz" reads "Aukasz". The
// report's embedded font draws the real letters; the test checks what the reader can see.
func lossy(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0xFF {
			r &= 0xFF
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestCaseReportPDF(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	res := c.Get(t, "/cases/"+w.polish.String()+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="case-report-ref-pl-1.pdf"` {
		t.Errorf("content disposition %q", cd)
	}
	body := []byte(res.Body)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if res.Header.Get("X-Report-SHA256") != hash {
		t.Errorf("X-Report-SHA256 %q, the body hashes to %s", res.Header.Get("X-Report-SHA256"), hash)
	}
	// The hash is in the audit log, on the case.
	ev := auditAfter(t, w.app, "report.generate")
	if ev["sha256"] != hash || ev["case_id"] != w.polish.String() || ev["via"] != "pdf" {
		t.Errorf("audited %v, want sha256 %s for case %s", ev, hash, w.polish)
	}
	if acts := w.app.AuditActions(t, "case", w.polish.String()); len(acts) == 0 || acts[0] != "report.generate" {
		t.Errorf("case events %v", acts)
	}

	// Words as the reader sees them, whatever the lines they wrap onto.
	text := strings.Join(strings.Fields(testenv.PDFText(t, body)), " ")
	for _, want := range []string{
		"kycdesk · case report", lossy("Łukasz Kowalski"), "Case " + w.polish.String(), "Approved",
		"Generated", "by Manager Tester <" + w.manager.Email + ">", "Page 1 of",
		"Customer", "ref-pl-1", lossy("ul. Długa 5, Gdańsk"), "1990-04-12",
		"Document 1: Passport POL EK1234567", "2031-02-28", "Document 2: National ID POL OLD00001",
		"From the customer's earlier case: not part of this case's evidence.",
		"Vendor checks", "Cynopsis OCR", "Argos ID recognition", "1003", argos.Meaning("1003"),
		"Face and liveness evidence", "Liveness verdicts", "Cynopsis Artemis: delivered", "Liveness confidence", "85%",
		"Cynopsis Artemis holds verdict 2 (conclusion: pass), delivered", "Verdict 1 (recorded",
		"Decisions", "Decision 1: escalate", "Decision 2: approve", "Looks right", "Confirmed by Manager Tester",
		"Notes", "<script>alert(1)</script> checked by hand",
		"Audit trail", "opened the case",
		"Flags:", "A vendor returned a negative result (Argos ID recognition)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("text:\n%s", text)
	}
	// A reviewer may not have it, and an unknown case is a 404.
	if res := w.app.SignIn(t, w.reviewer).Get(t, "/cases/"+w.polish.String()+"/report.pdf"); res.Status != http.StatusForbidden {
		t.Errorf("reviewer: %d", res.Status)
	}
	if res := c.Get(t, "/cases/00000000-0000-4000-8000-000000000000/report.pdf"); res.Status != http.StatusNotFound {
		t.Errorf("unknown case: %d", res.Status)
	}
	// The case page links the report for those who may have it, and its timeline says it was taken.
	page := c.Get(t, "/cases/"+w.polish.String()).Doc(t)
	if href, _ := page.Find("#case-report").Attr("href"); href != "/cases/"+w.polish.String()+"/report.pdf" {
		t.Errorf("case page report link %q", href)
	}
	if tl := page.Text(); !strings.Contains(tl, "downloaded the case report (PDF, SHA-256 "+hash[:12]) {
		t.Errorf("the timeline does not describe the report")
	}
	if n := w.app.SignIn(t, w.reviewer).Get(t, "/cases/"+w.polish.String()).Doc(t).Find("#case-report").Length(); n != 0 {
		t.Errorf("a reviewer sees the report link")
	}
}

func TestCaseReportImagesAndFields(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	res := c.Get(t, "/cases/"+w.id.String()+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d", res.Status)
	}
	// Front, back and selfie are embedded as images.
	if n := bytes.Count([]byte(res.Body), []byte("/Subtype /Image")); n != 3 {
		t.Errorf("%d images embedded, want 3", n)
	}
	text := testenv.PDFText(t, []byte(res.Body))
	for _, want := range []string{"Front · front.jpg", "Back · back.jpg", "Selfie · selfie.jpg", "SHA-256 ", "No vendor check was run on this case.",
		"No manual liveness verdict was recorded in this case.", "No decision was made on this case."} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestReportsZip(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	res := c.PostForm(t, "/cases/reports.zip", url.Values{"case": {w.polish.String(), w.hostile.String(), w.polish.String()}})
	if res.Status != http.StatusOK {
		t.Fatalf("zip: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/zip" {
		t.Errorf("content type %q", ct)
	}
	z, err := zip.NewReader(bytes.NewReader([]byte(res.Body)), int64(len(res.Body)))
	if err != nil {
		t.Fatalf("the ZIP does not open: %v", err)
	}
	files := map[string][]byte{}
	var names []string
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = b
		names = append(names, f.Name)
		// Every entry carries the time it was written (a zero time is a DOS date of month 0).
		if f.Modified.Year() < 2020 {
			t.Errorf("%s written at %s", f.Name, f.Modified)
		}
	}
	if strings.Join(names, ",") != "case-report-ref-pl-1.pdf,case-report-23.pdf,SHA256SUMS" {
		t.Fatalf("files %v", names)
	}
	sums := string(files["SHA256SUMS"])
	for _, n := range names[:2] {
		sum := sha256.Sum256(files[n])
		h := hex.EncodeToString(sum[:])
		if !strings.Contains(sums, h+"  "+n+"\n") {
			t.Errorf("SHA256SUMS lacks %s for %s:\n%s", h, n, sums)
		}
		var found int
		if err := w.app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM audit_events WHERE action = 'report.generate' AND after->>'sha256' = $1 AND after->>'via' = 'zip'", h).Scan(&found); err != nil || found != 1 {
			t.Errorf("%s: %d report.generate events with its hash (%v)", n, found, err)
		}
		if !strings.Contains(testenv.PDFText(t, files[n]), "Audit trail") {
			t.Errorf("%s is not a case report", n)
		}
	}
	if got := auditAfter(t, w.app, "export.reports.finished"); got["rows"] != float64(2) || got["complete"] != true {
		t.Errorf("audited zip: %v", got)
	}
	// Nothing selected, a bad id, an unknown case: refused before anything is sent.
	for _, form := range []url.Values{{}, {"case": {"nope"}}, {"case": {"00000000-0000-4000-8000-000000000000"}}} {
		if res := c.PostForm(t, "/cases/reports.zip", form); res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusNotFound {
			t.Errorf("%v: %d", form, res.Status)
		}
	}
}

// TestCaseReportSaysWhatArtemisHoldsFromAnEarlierCase: the Artemis record is the document's, and
// the document carries into the customer's next case: that case's report says which verdict
// Artemis holds, recorded and delivered in the earlier case, as the liveness panel does.
func TestCaseReportSaysWhatArtemisHoldsFromAnEarlierCase(t *testing.T) {
	w := newWorld(t)
	var next uuid.UUID
	if err := w.app.Pool.QueryRow(context.Background(), `INSERT INTO cases (customer_id) SELECT customer_id FROM cases WHERE id = $1 RETURNING id`,
		w.polish).Scan(&next); err != nil {
		t.Fatal(err)
	}
	res := w.app.SignIn(t, w.manager).Get(t, "/cases/"+next.String()+"/report.pdf")
	if res.Status != http.StatusOK {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	text := strings.Join(strings.Fields(testenv.PDFText(t, []byte(res.Body))), " ")
	for _, want := range []string{"No manual liveness verdict was recorded in this case.",
		"Cynopsis Artemis holds the verdict recorded by Reviewer Tester at ", " in an earlier case (conclusion: pass), delivered "} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("text:\n%s", text)
	}
}
