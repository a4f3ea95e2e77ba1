package reports_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/db"
	"kycdesk/internal/reports"
)

func TestDashboardNumbers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	app := w.app
	day := func(back int) time.Time { return w.now.Truncate(24*time.Hour).AddDate(0, 0, -back).Add(10 * time.Hour) }
	// Decisions over three days: the world's two, plus these.
	for _, d := range []struct {
		outcome, state string
		back           int
	}{{"approve", "final", 1}, {"approve", "final", 1}, {"reject", "final", 1}, {"request_resubmission", "final", 0}, {"approve", "returned", 0}} {
		exec(t, app, `INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, decided_at, state, four_eyes_rule)
			VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 = 'final' THEN NULL ELSE 'always' END)`,
			w.id, d.outcome, reasonID(t, app, d.outcome), w.reviewer.ID, day(d.back), d.state)
	}
	// Vendor calls: Argos 4 calls, one 5xx and one 400; latencies 100, 200, 300, 400 ms.
	for i, st := range []int{200, 503, 400, 200} {
		exec(t, app, `INSERT INTO vendor_calls (case_id, vendor, method, endpoint, started_at, latency_ms, http_status)
			VALUES ($1, 'argos', 'POST', '/x', $2, $3, $4)`, w.polish, day(0), (i+1)*100, st)
	}
	// An undelivered verdict: the world's delivered one is not counted.
	var img, verdict [16]byte
	if err := app.Pool.QueryRow(ctx, "SELECT id FROM images WHERE customer_id = (SELECT customer_id FROM cases WHERE id = $1) LIMIT 1", w.id).Scan(&img); err != nil {
		t.Fatal(err)
	}
	var doc [16]byte
	if err := app.Pool.QueryRow(ctx, "SELECT document_id FROM images WHERE id = $1", img).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if err := app.Pool.QueryRow(ctx, `INSERT INTO liveness_verdicts (case_id, document_id, recorded_by, conclusion, liveness_result, facial_check,
		eyes_closed, eyes_closed_confidence, sunglasses, sunglasses_confidence, face_occluded, face_occluded_confidence, liveness_confidence, reference_image_id)
		VALUES ($1, $2, $3, false, false, true, false, 1, false, 1, false, 1, 10, $4) RETURNING id`, w.id, doc, w.reviewer.ID, img).Scan(&verdict); err != nil {
		t.Fatal(err)
	}
	exec(t, app, "INSERT INTO liveness_deliveries (verdict_id, state, attempts) VALUES ($1, 'failed', 3)", verdict)

	p := reports.Period{From: w.now.Truncate(24*time.Hour).AddDate(0, 0, -6), To: w.now.Truncate(24*time.Hour).AddDate(0, 0, 1)}
	d, err := reports.LoadDashboard(ctx, db.New(app.Pool), p, w.now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status["new"] != 1 || d.Status["in_review"] != 1 || d.Status["approved"] != 1 {
		t.Errorf("status counts %v", d.Status)
	}
	// Open cases: the hostile one at 30 h (1–2× the SLA), the ID card at 2 h (under 25%).
	if d.Ageing != [6]int64{1, 0, 0, 0, 1, 0} {
		t.Errorf("ageing %v", d.Ageing)
	}
	if len(d.Days) != 7 {
		t.Errorf("days %v", d.Days)
	}
	// Outcomes: approve, reject, request resubmission, escalate, returned.
	if d.Rates != [5]int64{3, 1, 1, 2, 1} { // the world: an approval and two escalations
		t.Errorf("decisions by outcome %v", d.Rates)
	}
	if got := d.PerDay[day(1).Format("2006-01-02")]; got != [5]int64{2, 1, 0, 0, 0} {
		t.Errorf("yesterday %v", got)
	}
	if r := d.RateOf(0); r < 42.8 || r > 42.9 { // 3 approvals of 7 kept decisions
		t.Errorf("approval rate %.2f", r)
	}
	if len(d.PerReviewer) != 1 || d.PerReviewer[0].Counts != [5]int64{3, 1, 1, 2, 1} {
		t.Errorf("per reviewer %+v", d.PerReviewer)
	}
	if d.Checks["argos"] != [5]int64{0, 0, 1, 0, 0} || d.Checks["ooto"] != [5]int64{0, 0, 0, 1, 0} || d.Checks["cynopsis_ocr"] != [5]int64{1, 0, 0, 0, 0} {
		t.Errorf("checks %v", d.Checks)
	}
	if len(d.Calls) != 1 || d.Calls[0].Calls != 4 || d.Calls[0].Errors != 1 || d.Calls[0].Refusals != 1 || d.Calls[0].P50 != 250 || d.Calls[0].P95 != 385 {
		t.Errorf("calls %+v", d.Calls)
	}
	if d.Undelivered != 1 {
		t.Errorf("undelivered %d", d.Undelivered)
	}

	// The page: every chart drawn as SVG with bars, a title and its table; the tiles.
	c := app.SignIn(t, w.manager)
	q := "from=" + p.FromText() + "&to=" + p.ToText()
	res := c.Get(t, "/dashboard?"+q)
	if res.Status != http.StatusOK {
		t.Fatalf("dashboard: %d", res.Status)
	}
	doc2 := res.Doc(t)
	for _, id := range []string{"status", "ageing", "decisions-per-day", "decisions-per-reviewer", "rates", "checks", "vendor-errors", "vendor-latency"} {
		sel := "#chart-" + id
		if doc2.Find(sel+" svg[role=img] > title").Length() != 1 || doc2.Find(sel+" svg rect.bar").Length() == 0 || doc2.Find(sel+" table tbody tr").Length() == 0 {
			t.Errorf("chart %s is not drawn (title, bars, table)", id)
		}
	}
	if got := doc2.Find("#chart-ageing svg rect.bar").Length(); got != 2 {
		t.Errorf("ageing bars %d", got)
	}
	if got := strings.TrimSpace(doc2.Find(".tile").Eq(3).Find(".tile-value").Text()); got != "1" {
		t.Errorf("undelivered tile %q", got)
	}
	if href, _ := doc2.Find(".tile").Eq(3).Find("a").Attr("href"); href != "/liveness/undelivered" {
		t.Errorf("undelivered link %q", href)
	}
	// The numbers as CSV (starting with a byte-order mark, as every CSV of kycdesk's), audited.
	res = c.Get(t, "/dashboard?"+q+"&format=csv&chart=vendor-errors")
	if res.Status != http.StatusOK {
		t.Fatalf("csv: %d", res.Status)
	}
	recs := readCSV(t, res.Body)
	if strings.Join(recs[0], ",") != "Vendor,Calls,Errors,Error rate,Refusals (4xx),p50 (ms),p95 (ms)" ||
		strings.Join(recs[1], ",") != "Argos ID recognition,4,1,25.0%,1,250,385" {
		t.Errorf("vendor errors CSV %q", recs)
	}
	res = c.Get(t, "/dashboard?"+q+"&format=csv&chart=decisions-per-day")
	recs = readCSV(t, res.Body)
	if len(recs) != 8 || strings.Join(recs[0], ",") != "Day,approve,reject,request resubmission,escalate,returned,Total" {
		t.Fatalf("per day CSV %q", recs)
	}
	if strings.Join(recs[6], ",") != day(1).Format("2006-01-02")+",2,1,0,0,0,3" {
		t.Errorf("yesterday's row %q", recs[6])
	}
	if got := auditAfter(t, app, "export.dashboard"); got["chart"] != "decisions-per-day" || got["from"] != p.FromText() {
		t.Errorf("audited %v", got)
	}
	if got := auditAfter(t, app, "export.dashboard.finished"); got["rows"] != float64(7) {
		t.Errorf("audited rows %v", got["rows"])
	}
	if res := c.Get(t, "/dashboard?format=csv&chart=nope"); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown chart: %d", res.Status)
	}
	if res := c.Get(t, "/dashboard?from=2026-13-01"); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad date: %d", res.Status)
	}
}
