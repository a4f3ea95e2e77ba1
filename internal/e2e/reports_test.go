package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdp "github.com/chromedp/chromedp"
	"github.com/ledongthuc/pdf"
	"github.com/xuri/excelize/v2"

	"kycdesk/internal/demo"
	"kycdesk/internal/reports"
	"kycdesk/internal/testenv"
)

// waitDownload waits for a finished file matching pattern in dir and returns its bytes.
func waitDownload(t *testing.T, dir, pattern string) (string, []byte) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			if strings.HasSuffix(m, ".crdownload") {
				continue
			}
			b, err := os.ReadFile(m)
			if err == nil && len(b) > 0 {
				return m, b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Fatalf("no download matching %s in %s (there: %v)", pattern, dir, names)
	return "", nil
}

func repEval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := cdp.Run(ctx, cdp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func repPoll(t *testing.T, ctx context.Context, js, what string) {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := cdp.Run(pctx, cdp.Poll[bool](js)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestManagerExportsAndReports: a manager filters the queue, exports the view as CSV and XLSX
// (the files are downloaded and read back), opens the dashboard (its charts drawn as SVG bars),
// and downloads a case's PDF report.
func TestManagerExportsAndReports(t *testing.T) {
	app := testenv.NewApp(t)
	mgr := app.CreateUser(t, "manager")
	if _, err := demo.EnsureCases(context.Background(), app.Server.CustomerService(), ""); err != nil {
		t.Fatal(err)
	}
	b := testenv.Browser(t)
	dir := t.TempDir()
	if _, err := cdp.CallBrowser(b, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatalf("download directory: %v", err)
	}
	do(t, b, cdp.Navigate(app.URL+"/cases"))
	signIn(t, b, mgr.Email, mgr.Password)
	do(t, b, cdp.WaitVisible(cdp.CSS("#queue-table")), cdp.WaitVisible(cdp.CSS("#export-bar")))
	all := repEval[int](t, b, `document.querySelectorAll("#queue-table tbody tr").length`)

	// Filter by the first case's nationality; htmx swaps the results and the export links follow.
	nat := repEval[string](t, b, `document.querySelector("#queue-table tbody tr td:nth-child(3)").textContent.trim()`)
	// Typed, then Tab: the field's change event applies the filter, as for a person.
	do(t, b, cdp.SendKeys(cdp.CSS("#nationality"), nat+"\t"))
	repPoll(t, b, `location.search.includes("nationality=`+nat+`") && document.querySelector("#export-csv").getAttribute("href").includes("nationality=`+nat+`")`,
		"the export link does not follow the filter")
	shown := repEval[int](t, b, `document.querySelectorAll("#queue-table tbody tr").length`)
	if shown == 0 || shown > all {
		t.Fatalf("filtered rows: %d of %d", shown, all)
	}
	ids := repEval[[]string](t, b, `[...document.querySelectorAll("#queue-table tbody tr")].map(tr => tr.dataset.case)`)

	// CSV: downloaded through the page's progress reader, then read back.
	do(t, b, cdp.Click(cdp.CSS("#export-csv")))
	repPoll(t, b, `!!document.querySelector("#export-progress[data-done]")`, "the CSV download did not finish")
	if msg := repEval[string](t, b, `document.querySelector("#export-progress").textContent`); !strings.Contains(msg, "Downloaded") {
		t.Errorf("progress says %q", msg)
	}
	_, body := waitDownload(t, dir, "kycdesk-cases-new-*.csv")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if strings.Join(recs[0], ",") != strings.Join(reports.Header(), ",") || len(recs) != shown+1 {
		t.Fatalf("CSV: %d records for %d cases shown; header %q", len(recs), shown, recs[0])
	}
	for i, r := range recs[1:] {
		if r[0] != ids[i] || r[4] != nat || r[1] != "New" {
			t.Errorf("CSV row %d: case %s, nationality %s, status %s; want case %s of %s", i, r[0], r[4], r[1], ids[i], nat)
		}
	}

	// A filter the server refuses is said with its reason, not only its status.
	do(t, b, cdp.Evaluate[cdp.Void](`(() => { const a = document.querySelector("#export-csv"); a.dataset.kept = a.getAttribute("href");
		a.setAttribute("href", a.dataset.kept + "&from=2026-12-07&to=2026-12-01") })()`))
	do(t, b, cdp.Click(cdp.CSS("#export-csv")))
	repPoll(t, b, `document.querySelector("#export-progress").textContent.includes("before the start date")`,
		"a refused export filter is not said with its reason")
	do(t, b, cdp.Evaluate[cdp.Void](`(() => { const a = document.querySelector("#export-csv"); a.setAttribute("href", a.dataset.kept) })()`))

	// XLSX.
	testenv.Screenshot(t, b, "queue-export")
	do(t, b, cdp.Evaluate[cdp.Void](`document.querySelector("#export-progress").removeAttribute("data-done")`))
	do(t, b, cdp.Click(cdp.CSS("#export-xlsx")))
	repPoll(t, b, `!!document.querySelector("#export-progress[data-done]")`, "the XLSX download did not finish")
	_, body = waitDownload(t, dir, "kycdesk-cases-new-*.xlsx")
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	rows, err := x.GetRows("Cases")
	x.Close()
	if err != nil || len(rows) != shown+1 || rows[0][0] != "Case" {
		t.Fatalf("workbook: %d rows for %d cases (%v)", len(rows), shown, err)
	}
	for i, r := range rows[1:] {
		if r[0] != ids[i] {
			t.Errorf("workbook row %d: case %s, want %s", i, r[0], ids[i])
		}
	}

	// A case's report: the PDF link of the first row.
	name := repEval[string](t, b, `document.querySelector("#queue-table tbody tr a.case-link").textContent.trim()`)
	do(t, b, cdp.Click(cdp.CSS("#queue-table tbody tr a.report-link")))
	_, body = waitDownload(t, dir, "case-report-*.pdf")
	if !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("the report is not a PDF: %q", body[:min(len(body), 20)])
	}
	r, err := pdf.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the PDF does not open: %v", err)
	}
	rd, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(rd)
	surname, _, _ := strings.Cut(name, ",")
	if !strings.Contains(strings.ToUpper(string(text)), strings.ToUpper(surname)) || !strings.Contains(string(text), "Audit trail") {
		t.Errorf("the report lacks %q or its audit trail", surname)
	}

	// The dashboard: every chart drawn as SVG with bars, titled, with its numbers.
	do(t, b, cdp.Click(cdp.CSS(`.nav a[href="/dashboard"]`)), cdp.WaitVisible(cdp.CSS("#chart-status svg")))
	// Eight charts; those with nothing in the period (no decision or check yet) say so instead.
	charts := repEval[int](t, b, `document.querySelectorAll(".chart").length`)
	drawn := repEval[int](t, b, `document.querySelectorAll(".chart svg[role=img]").length`)
	empty := repEval[int](t, b, `document.querySelectorAll(".chart [data-chart-empty]").length`)
	if charts != 8 || drawn+empty != charts || drawn < 2 {
		t.Errorf("%d charts: %d drawn, %d empty", charts, drawn, empty)
	}
	if bars := repEval[int](t, b, `document.querySelectorAll("#chart-status svg rect.bar").length`); bars == 0 {
		t.Error("the status chart has no bars")
	}
	if bars := repEval[int](t, b, `document.querySelectorAll("#chart-ageing svg rect.bar").length`); bars == 0 {
		t.Error("the ageing chart has no bars")
	}
	if w := repEval[float64](t, b, `document.querySelector("#chart-status svg").getBoundingClientRect().width`); w < 300 {
		t.Errorf("the status chart is %v px wide", w)
	}
	testenv.Screenshot(t, b, "dashboard")
}
