package reports_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"kycdesk/internal/reports"
	"kycdesk/internal/testenv"
)

func col(name string) int {
	for i, c := range reports.Columns {
		if c.Name == name {
			return i
		}
	}
	panic("no column " + name)
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Fatalf("the CSV does not start with a byte-order mark: %q", body[:min(len(body), 20)])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF")))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, body)
	}
	return recs
}

// byCase maps each record to its case id.
func byCase(t *testing.T, recs [][]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range recs[1:] {
		if len(r) != len(reports.Columns) {
			t.Fatalf("a record has %d cells, not %d: %q", len(r), len(reports.Columns), r)
		}
		out[r[0]] = r
	}
	return out
}

func TestCaseListCSV(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	res := c.Get(t, "/cases/export.csv?status=all")
	if res.Status != http.StatusOK {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="kycdesk-cases-all-`) {
		t.Errorf("content disposition %q", cd)
	}
	recs := readCSV(t, res.Body)
	if strings.Join(recs[0], "|") != strings.Join(reports.Header(), "|") {
		t.Fatalf("header %q", recs[0])
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want a header and 3 cases", len(recs))
	}
	// Every status in the tabs' order: in review, then approved; new first.
	order := []string{recs[1][0], recs[2][0], recs[3][0]}
	if order[0] != w.hostile.String() || order[1] != w.id.String() || order[2] != w.polish.String() {
		t.Errorf("order %v: want new, in review, approved", order)
	}
	rows := byCase(t, recs)
	pl := rows[w.polish.String()]
	want := map[string]string{
		"Status": "Approved", "Customer": "Kowalski, Łukasz", "External reference": "ref-pl-1", "Nationality": "POL",
		"Document type": "passport", "Document number": "EK1234567", "Document country": "POL", "Document expiry": "2031-02-28",
		"Cynopsis OCR": "pass", "Apptenticate": "", "Argos": "fail (1003)", "OOTO": "error (500)",
		"Flags": "vendor_negative:argos; mismatch:surname", "Decision": "approve", "Reason": "Identity verified: document and selfie match",
		"Comment": "Looks right", "Decided by": "Reviewer Tester", "Second review": "confirmed", "Second reviewer": "Manager Tester",
		"Liveness verdict": "live (85%)", "Liveness delivery": "delivered", "Assignee": "Reviewer Tester",
		// Decided (confirmed) 25 hours after it was opened, 72 hours ago: past the 24-hour SLA.
		"Past SLA": "yes",
	}
	for k, v := range want {
		if got := pl[col(k)]; got != v {
			t.Errorf("polish case, %s: %q, want %q", k, got, v)
		}
	}
	if !strings.HasPrefix(pl[col("Decided at (UTC)")], w.now.AddDate(0, 0, -2).Format("2006-01-02")) || pl[col("Second reviewed at (UTC)")] == "" {
		t.Errorf("decision times: %q %q", pl[col("Decided at (UTC)")], pl[col("Second reviewed at (UTC)")])
	}
	ho := rows[w.hostile.String()]
	for k, v := range map[string]string{
		// Formula-looking cells are neutralised with a leading apostrophe.
		"Customer":           `'=HYPERLINK("http://evil.example","x"), +SUM(1,2)`,
		"External reference": "'-23",
		"Comment":            "'\t=cmd|' /C calc'!A0",
		"Flags":              "risk; expired_document",
		"Decision":           "escalate", "Second review": "", "Status": "New", "Past SLA": "yes", "Age (hours)": "30.0",
		"Case decided at (UTC)": "", "Time to decision (hours)": "",
	} {
		if got := ho[col(k)]; got != v {
			t.Errorf("hostile case, %s: %q, want %q", k, got, v)
		}
	}
	if got := rows[w.id.String()][col("Document type")]; got != "national ID" {
		t.Errorf("ID card document type %q", got)
	}

	// A big export reads the stored rows rather than the view: the same file.
	defer func(n int64) { *reports.BulkRows = n }(*reports.BulkRows)
	*reports.BulkRows = 0
	bulk := c.Get(t, "/cases/export.csv?status=all")
	if strings.Join(strings.Split(bulk.Body, "\r\n")[1:], "\n") != strings.Join(strings.Split(res.Body, "\r\n")[1:], "\n") {
		t.Errorf("the bulk export differs:\n%s\n---\n%s", bulk.Body, res.Body)
	}

	// The export is audited: who, the filter, and how many rows.
	start := auditAfter(t, w.app, "export.cases")
	if f, _ := start["filter"].(map[string]any); f["status"] != "all" || start["format"] != "csv" {
		t.Errorf("audited start: %v", start)
	}
	done := auditAfter(t, w.app, "export.cases.finished")
	if done["rows"] != float64(3) || done["complete"] != true {
		t.Errorf("audited end: %v (start %v)", done, start)
	}
}

// TestCaseListSLA: a decided case's age stops at its decision, and "past SLA" says whether it was
// decided after the SLA (24 hours here); an open case's age runs to the export, as in the queue.
func TestCaseListSLA(t *testing.T) {
	w := newWorld(t)
	// The polish case (opened 72 hours ago) was approved 30 hours after it was opened; the ID card
	// (opened 2 hours ago) is rejected after one hour; the hostile case (30 hours) is still new.
	polishDecided := w.now.Add(-42 * time.Hour)
	exec(t, w.app, "UPDATE cases SET decided_at = $2 WHERE id = $1", w.polish, polishDecided)
	exec(t, w.app, "UPDATE cases SET status = 'rejected', decided_at = created_at + interval '1 hour' WHERE id = $1", w.id)
	want := map[string]map[string]string{
		w.polish.String(): {"Status": "Approved", "Case decided at (UTC)": polishDecided.Format("2006-01-02 15:04:05"),
			"Time to decision (hours)": "30.0", "Age (hours)": "30.0", "Past SLA": "yes"},
		w.id.String():      {"Status": "Rejected", "Time to decision (hours)": "1.0", "Age (hours)": "1.0", "Past SLA": "no"},
		w.hostile.String(): {"Status": "New", "Case decided at (UTC)": "", "Time to decision (hours)": "", "Age (hours)": "30.0", "Past SLA": "yes"},
	}
	check := func(how string, rows map[string][]string) {
		t.Helper()
		for id, cells := range want {
			for k, v := range cells {
				if got := rows[id][col(k)]; got != v {
					t.Errorf("%s, case %s, %s: %q, want %q", how, id, k, got, v)
				}
			}
		}
	}
	// The view and the stored rows (a big export) agree.
	check("CSV", byCase(t, exportBoth(t, w, "status=all")))

	// The workbook has the same, the times as dates and the hours as numbers.
	res := w.app.SignIn(t, w.manager).Get(t, "/cases/export.xlsx?status=all")
	if res.Status != http.StatusOK {
		t.Fatalf("xlsx: %d", res.Status)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(res.Body)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet, err := x.GetRows("Cases", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	polishRow := 0
	for i, r := range sheet[1:] {
		rows[r[0]] = append(r, make([]string, len(reports.Columns)-len(r))...)
		if r[0] == w.polish.String() {
			polishRow = i + 2
		}
	}
	for id, cells := range want {
		for _, k := range []string{"Past SLA", "Age (hours)", "Time to decision (hours)"} {
			got, _ := strconv.ParseFloat(rows[id][col(k)], 64)
			if k == "Past SLA" {
				if rows[id][col(k)] != cells[k] {
					t.Errorf("xlsx, case %s, %s: %q, want %q", id, k, rows[id][col(k)], cells[k])
				}
			} else if wantHours, _ := strconv.ParseFloat(cells[k], 64); got != wantHours || (cells[k] == "") != (rows[id][col(k)] == "") {
				t.Errorf("xlsx, case %s, %s: %q, want %q", id, k, rows[id][col(k)], cells[k])
			}
		}
	}
	// A date is a number with a date format: its raw value is a serial day, not text.
	cell, _ := excelize.CoordinatesToCellName(col("Case decided at (UTC)")+1, polishRow)
	if raw, _ := x.GetCellValue("Cases", cell, excelize.Options{RawCellValue: true}); !strings.HasPrefix(raw, "4") || strings.Contains(raw, "-") {
		t.Errorf("case decided at in the workbook: %q", raw)
	}

	// The columns page says what the columns mean.
	page := w.app.SignIn(t, w.manager).Get(t, "/cases/export/columns").Doc(t).Find("#export-columns-table").Text()
	for _, s := range []string{"Case decided at (UTC)", "Time to decision (hours)", "the age stops when the case is decided", "or a case decided after it"} {
		if !strings.Contains(page, s) {
			t.Errorf("the columns page does not say %q", s)
		}
	}
}

func TestCaseListFilters(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{w.hostile.String()}}, // the queue's default tab: new
		{"status=approved", []string{w.polish.String()}},
		{"status=all&nationality=pol", []string{w.polish.String()}},
		{"status=all&risk=yes", []string{w.hostile.String()}},
		{"status=all&q=" + url.QueryEscape("lukasz"), []string{w.polish.String()}},
		{"status=all&sort=activity", []string{w.hostile.String(), w.id.String(), w.polish.String()}},
		{"status=in_review&assignee=" + w.reviewer.ID.String(), []string{w.id.String()}},
		{"status=all&from=2000-01-01&to=2000-01-02", nil},
	} {
		res := c.Get(t, "/cases/export.csv?"+tc.query)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d", tc.query, res.Status)
		}
		recs := readCSV(t, res.Body)
		var got []string
		for _, r := range recs[1:] {
			got = append(got, r[0])
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%q: cases %v, want %v", tc.query, got, tc.want)
		}
		if got := res.Header.Get("X-Export-Rows"); got != strconv.Itoa(len(tc.want)) {
			t.Errorf("%q: X-Export-Rows %q, want %d", tc.query, got, len(tc.want))
		}
	}
	if res := c.Get(t, "/cases/export.csv?nationality=Poland"); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a bad filter: %d", res.Status)
	}
}

func TestCaseListXLSX(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	csvRes := c.Get(t, "/cases/export.csv?status=all")
	res := c.Get(t, "/cases/export.xlsx?status=all")
	if res.Status != http.StatusOK {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("content type %q", ct)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(res.Body)))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); len(sheets) != 1 || sheets[0] != "Cases" {
		t.Fatalf("sheets %v", sheets)
	}
	rows, err := x.GetRows("Cases")
	if err != nil {
		t.Fatal(err)
	}
	csvRecs := readCSV(t, csvRes.Body)
	if len(rows) != len(csvRecs) {
		t.Fatalf("%d rows in the workbook, %d in the CSV", len(rows), len(csvRecs))
	}
	// Text cells are the CSV's; times are dates and the age a number.
	typed := map[int]bool{col("Document expiry"): true, col("Decided at (UTC)"): true, col("Second reviewed at (UTC)"): true, col("Created at (UTC)"): true,
		col("Case decided at (UTC)"): true, col("Time to decision (hours)"): true, col("Age (hours)"): true}
	for i, r := range rows {
		for j := range reports.Columns {
			got := ""
			if j < len(r) {
				got = r[j]
			}
			if i > 0 && typed[j] {
				continue
			}
			if got != csvRecs[i][j] {
				t.Errorf("row %d, %s: %q in the workbook, %q in the CSV", i, reports.Columns[j].Name, got, csvRecs[i][j])
			}
		}
	}
	// No cell holds a formula, and the hostile names are text with their apostrophe.
	for i := range rows {
		for j := range reports.Columns {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if f, _ := x.GetCellFormula("Cases", cell); f != "" {
				t.Errorf("%s holds a formula %q", cell, f)
			}
		}
	}
	var hostile []string
	for _, r := range rows {
		if r[0] == w.hostile.String() {
			hostile = r
		}
	}
	if hostile == nil || hostile[col("Customer")] != `'=HYPERLINK("http://evil.example","x"), +SUM(1,2)` {
		t.Errorf("hostile customer in the workbook: %q", hostile)
	}
	// Typed cells: the age is a number, the creation a date.
	cell, _ := excelize.CoordinatesToCellName(col("Age (hours)")+1, 2)
	if typ, _ := x.GetCellType("Cases", cell); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("age cell type %v", typ)
	}
	if v, _ := x.GetCellValue("Cases", cell, excelize.Options{RawCellValue: true}); v != "30" && v != "30.0" {
		t.Errorf("raw age %q", v)
	}
	if got := auditAfter(t, w.app, "export.cases"); got["format"] != "xlsx" {
		t.Errorf("audited format %v", got["format"])
	}
	if got := auditAfter(t, w.app, "export.cases.finished"); got["rows"] != float64(3) {
		t.Errorf("audited rows %v", got["rows"])
	}
}

func TestPermissions(t *testing.T) {
	w := newWorld(t)
	rev := w.app.SignIn(t, w.reviewer)
	anon := w.app.NewClient()
	admin := w.app.SignIn(t, w.app.CreateUser(t, "admin"))
	paths := []string{"/cases/export.csv", "/cases/export.xlsx", "/cases/export/columns", "/cases/" + w.polish.String() + "/report.pdf",
		"/dashboard", "/dashboard?format=csv&chart=status", "/audit", "/audit/export.csv", "/audit/export.jsonl"}
	for _, p := range paths {
		if res := rev.Get(t, p); res.Status != http.StatusForbidden {
			t.Errorf("reviewer GET %s: %d", p, res.Status)
		}
		if res := anon.Get(t, p); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Errorf("signed out GET %s: %d %s", p, res.Status, res.Location)
		}
		if res := admin.Get(t, p); res.Status != http.StatusOK {
			t.Errorf("admin GET %s: %d", p, res.Status)
		}
	}
	if res := rev.PostForm(t, "/cases/reports.zip", url.Values{"case": {w.polish.String()}}); res.Status != http.StatusForbidden {
		t.Errorf("reviewer POST reports.zip: %d", res.Status)
	}
	// The queue shows the export bar and the selection column only to those who may export.
	if doc := rev.Get(t, "/cases").Doc(t); doc.Find("#export-bar").Length() != 0 || doc.Find("input[data-select]").Length() != 0 {
		t.Error("a reviewer sees the export bar")
	}
	mgr := w.app.SignIn(t, w.manager)
	doc := mgr.Get(t, "/cases?status=new").Doc(t)
	if doc.Find("#export-bar a#export-csv").Length() != 1 || doc.Find("input[data-select][value='"+w.hostile.String()+"']").Length() != 1 {
		t.Error("a manager does not see the export bar and the selection")
	}
	if href, _ := doc.Find("#export-csv").Attr("href"); href != "/cases/export.csv?status=new" {
		t.Errorf("export link %q", href)
	}
	// Exports by nobody allowed leave nothing in the audit log.
	if n := countEvents(t, w.app, "export.audit"); n != 2 {
		t.Errorf("%d audit exports recorded, want the admin's 2", n)
	}
}

// An export longer than a worksheet's limit goes on in the next sheet, each with its header.
func TestCaseListXLSXSheets(t *testing.T) {
	w := newWorld(t)
	defer func(n int) { *reports.SheetRows = n }(*reports.SheetRows)
	*reports.SheetRows = 2
	res := w.app.SignIn(t, w.manager).Get(t, "/cases/export.xlsx?status=all")
	x, err := excelize.OpenReader(bytes.NewReader([]byte(res.Body)))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer x.Close()
	if got := strings.Join(x.GetSheetList(), ","); got != "Cases,Cases 2" {
		t.Fatalf("sheets %s", got)
	}
	var ids []string
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		if err != nil || rows[0][0] != "Case" {
			t.Fatalf("%s: %v %v", sheet, rows, err)
		}
		for _, r := range rows[1:] {
			ids = append(ids, r[0])
		}
	}
	if want := []string{w.hostile.String(), w.id.String(), w.polish.String()}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("cases %v, want %v", ids, want)
	}
}

// TestRefusalIsFlaggedOnce: a vendor's refusal of the document, which the decision recorded as
// vendor_refused:<vendor>, is not said a second time as vendor_negative:<vendor>.
func TestRefusalIsFlaggedOnce(t *testing.T) {
	w := newWorld(t)
	ev, _ := json.Marshal(map[string]any{"flags": []string{"vendor_refused:argos", "mismatch:surname"}})
	exec(t, w.app, "UPDATE case_decisions SET evidence = $2 WHERE case_id = $1", w.polish, ev)
	exec(t, w.app, "UPDATE cases SET last_activity_at = now() WHERE id = $1", w.polish)
	res := w.app.SignIn(t, w.manager).Get(t, "/cases/export.csv?status=all")
	if res.Status != http.StatusOK {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	if got := byCase(t, readCSV(t, res.Body))[w.polish.String()][col("Flags")]; got != "vendor_refused:argos; mismatch:surname" {
		t.Errorf("flags %q, want the refusal once", got)
	}
}

// TestCaseListNationalityIsTheCases: the Nationality column is the case's, which the queue shows
// and the nationality filter matches: a decided case keeps the nationality it was decided on when
// the customer's changes later (in a later case of theirs), so a file filtered to POL never says
// BEL. The customer's nationality now has its own column.
func TestCaseListNationalityIsTheCases(t *testing.T) {
	w := newWorld(t)
	exec(t, w.app, "UPDATE customers SET nationality = 'BEL' WHERE id = (SELECT customer_id FROM cases WHERE id = $1)", w.polish)
	for _, q := range []string{"status=all&nationality=POL", "status=all"} {
		pl, ok := byCase(t, exportBoth(t, w, q))[w.polish.String()]
		if !ok {
			t.Fatalf("%s: the approved POL case is not in the file", q)
		}
		if got := pl[col("Nationality")]; got != "POL" {
			t.Errorf("%s: Nationality %q, want the case's POL", q, got)
		}
		if got := pl[col("Customer's nationality now")]; got != "BEL" {
			t.Errorf("%s: Customer's nationality now %q, want BEL", q, got)
		}
	}
	if rows := byCase(t, exportBoth(t, w, "status=all&nationality=BEL")); len(rows) != 0 {
		t.Errorf("nationality=BEL: %d cases, want none (the queue shows the case as POL)", len(rows))
	}
	// The queue agrees.
	doc := w.app.SignIn(t, w.manager).Get(t, "/cases?status=approved&nationality=POL").Doc(t)
	if doc.Find("tr[data-case='"+w.polish.String()+"']").Length() != 1 {
		t.Error("the queue does not list the case under POL")
	}
	// The columns page explains both.
	page := w.app.SignIn(t, w.manager).Get(t, "/cases/export/columns").Doc(t).Find("#export-columns-table").Text()
	for _, s := range []string{"The case's nationality, as the queue shows it", "Customer's nationality now"} {
		if !strings.Contains(page, s) {
			t.Errorf("the columns page does not say %q", s)
		}
	}
}

// TestRefusedExportSaysWhy: an export whose filter is refused answers 422 with a page that says
// what was wrong with each field; so does a ZIP of case reports with no case selected.
func TestRefusedExportSaysWhy(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	fields := func(res testenv.Response) []string {
		t.Helper()
		var out []string
		res.Doc(t).Find("#error-fields li").Each(func(_ int, li *goquery.Selection) {
			out = append(out, strings.Join(strings.Fields(li.Text()), " "))
		})
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"status=all&from=2026-12-07&to=2026-12-01", []string{"To: The end date is before the start date."}},
		{"status=bogus&from=2026-13-45", []string{"From: Use a date like 2026-01-31.", "Status: Unknown status."}},
	} {
		for _, ext := range []string{"csv", "xlsx"} {
			res := c.Get(t, "/cases/export."+ext+"?"+tc.query)
			if res.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s: %d", ext, tc.query, res.Status)
				continue
			}
			if got := fields(res); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%s %s: the page says %q, want %q", ext, tc.query, got, tc.want)
			}
		}
	}
	// Sent from a filtered queue view, the refusal leads back to it, filters and all; another
	// site's address is no way back.
	view := "/cases?q=nguy%C3%AAn&status=new"
	res := c.PostForm(t, "/cases/reports.zip", url.Values{}, "Referer", w.app.URL+view)
	if got := fields(res); res.Status != http.StatusUnprocessableEntity || strings.Join(got, "|") != "Case: Select at least one case." {
		t.Errorf("a ZIP of no case: %d, the page says %q", res.Status, got)
	}
	if back, _ := res.Doc(t).Find("#error-back").Attr("href"); back != view {
		t.Errorf("a ZIP of no case leads back to %q, want %q", back, view)
	}
	res = c.PostForm(t, "/cases/reports.zip", url.Values{}, "Referer", "https://elsewhere.example/cases?status=new")
	if res.Doc(t).Find("#error-back").Length() != 0 {
		t.Error("the error page leads back to another site")
	}
}

// TestExportSearchWithControlCharacters: a NUL (or another control character) in the search is
// dropped where the filter is read, so the export answers as the queue does, rather than failing
// on its audit row (PostgreSQL refuses \u0000 in JSON).
func TestExportSearchWithControlCharacters(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"%00", []string{w.hostile.String(), w.id.String(), w.polish.String()}},
		{"lu%00kasz%1B", []string{w.polish.String()}},
	} {
		if res := c.Get(t, "/cases?status=approved&q="+tc.q); res.Status != http.StatusOK {
			t.Errorf("queue q=%s: %d", tc.q, res.Status)
		}
		res := c.Get(t, "/cases/export.csv?status=all&q="+tc.q)
		if res.Status != http.StatusOK {
			t.Fatalf("export q=%s: %d %s", tc.q, res.Status, res.Body)
		}
		var got []string
		for _, r := range readCSV(t, res.Body)[1:] {
			got = append(got, r[0])
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("q=%s: cases %v, want %v", tc.q, got, tc.want)
		}
		if res := c.Get(t, "/cases/export.xlsx?status=all&q="+tc.q); res.Status != http.StatusOK {
			t.Errorf("xlsx q=%s: %d", tc.q, res.Status)
		}
	}
	if f, _ := auditAfter(t, w.app, "export.cases")["filter"].(map[string]any); f["q"] != "lukasz" {
		t.Errorf("audited filter %v", f)
	}
}

// TestExportTimesSayTheirZone: every column holding a time says in its name that it is UTC, in
// the CSV, the workbook and on the columns page alike; and each worksheet's used range
// (<dimension>) covers its rows rather than saying "A1".
func TestExportTimesSayTheirZone(t *testing.T) {
	w := newWorld(t)
	c := w.app.SignIn(t, w.manager)
	recs := readCSV(t, c.Get(t, "/cases/export.csv?status=all").Body)
	stamped := map[int]bool{}
	for _, r := range recs[1:] {
		for i, v := range r {
			if _, err := time.Parse("2006-01-02 15:04:05", v); err == nil {
				stamped[i] = true
			}
		}
	}
	if len(stamped) < 4 {
		t.Fatalf("%d time columns, want at least created, decided, second reviewed and case decided", len(stamped))
	}
	page := c.Get(t, "/cases/export/columns").Doc(t).Find("#export-columns-table tbody tr td:first-child")
	for i := range stamped {
		if name := recs[0][i]; !strings.HasSuffix(name, " (UTC)") {
			t.Errorf("the time column %q does not say its zone", name)
		}
		if got := strings.TrimSpace(page.Eq(i).Text()); got != recs[0][i] {
			t.Errorf("the columns page names column %d %q, the CSV %q", i, got, recs[0][i])
		}
	}

	defer func(n int) { *reports.SheetRows = n }(*reports.SheetRows)
	for _, tc := range []struct {
		sheetRows int
		want      map[string]string
	}{
		{1 << 20, map[string]string{"Cases": "A4"}}, // the header and 3 cases
		{2, map[string]string{"Cases": "A3", "Cases 2": "A2"}},
	} {
		*reports.SheetRows = tc.sheetRows
		res := c.Get(t, "/cases/export.xlsx?status=all")
		x, err := excelize.OpenReader(bytes.NewReader([]byte(res.Body)))
		if err != nil {
			t.Fatalf("the workbook does not open: %v", err)
		}
		last, _ := excelize.ColumnNumberToName(len(reports.Columns))
		for sheet, corner := range tc.want {
			want := "A1:" + last + corner[1:]
			if got, err := x.GetSheetDimension(sheet); got != want || err != nil {
				t.Errorf("%d rows a sheet, %s: dimension %q (%v), want %q", tc.sheetRows, sheet, got, err, want)
			}
			rows, _ := x.GetRows(sheet)
			if strings.Join(rows[0], "|") != strings.Join(reports.Header(), "|") {
				t.Errorf("%s: header %q", sheet, rows[0])
			}
		}
		x.Close()
	}
	// An empty export's range is its header.
	*reports.SheetRows = 1 << 20
	x, err := excelize.OpenReader(bytes.NewReader([]byte(c.Get(t, "/cases/export.xlsx?status=all&q=nobody-has-this-name").Body)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	last, _ := excelize.ColumnNumberToName(len(reports.Columns))
	if got, _ := x.GetSheetDimension("Cases"); got != "A1:"+last+"1" {
		t.Errorf("empty export: dimension %q", got)
	}
}
