package e2e

import (
	"context"
	"strings"
	"testing"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/testenv"
)

// TestDashboardLabelsFitTheirCharts: with the longest labels the dashboard meets (a long name, the
// longest vendor name, a large latency, a percentage), every label of every chart lies inside its
// SVG's viewBox as the browser lays it out, so none is cut at an edge.
func TestDashboardLabelsFitTheirCharts(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	mgr, rev := app.CreateUser(t, "manager"), app.CreateUser(t, "reviewer")
	c := demoCase(t, app, "demo-1001")
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"UPDATE users SET name = 'Maximiliane Alexandra Featherstonehaugh-Wolfeschlegelsteinhausen' WHERE id = $1", []any{rev.ID}},
		{`INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, decided_at, state)
			VALUES ($1, 'approve', (SELECT id FROM decision_reasons WHERE outcome = 'approve' ORDER BY position LIMIT 1), $2, now(), 'final')`, []any{c.ID, rev.ID}},
		{`INSERT INTO vendor_calls (case_id, vendor, method, endpoint, started_at, latency_ms, http_status)
			VALUES ($1, 'apptenticate', 'POST', '/x', now(), 123456, 503), ($1, 'apptenticate', 'POST', '/x', now(), 98765, 200)`, []any{c.ID}},
	} {
		if _, err := app.Pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}

	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(app.URL+"/dashboard"))
	signIn(t, b, mgr.Email, mgr.Password)
	do(t, b, cdp.WaitVisible(cdp.CSS("#chart-status svg")))
	for _, id := range []string{"decisions-per-reviewer", "vendor-errors", "vendor-latency", "rates", "ageing"} {
		if !evalBool(t, b, `!!document.querySelector("#chart-`+id+` svg")`) {
			t.Fatalf("chart %s is not drawn", id)
		}
	}
	if s := evalString(t, b, `document.querySelector("#chart-vendor-latency svg").textContent`); !strings.Contains(s, "Apptenticate") {
		t.Fatalf("the latency chart does not name the vendor: %q", s)
	}
	// Each text's box, in the SVG's own units, against the viewBox (half a unit of slack for
	// anti-aliasing).
	out := evalStrings(t, b, `[...document.querySelectorAll(".chart svg.chart-svg")].flatMap(svg => {
		const vb = svg.viewBox.baseVal;
		return [...svg.querySelectorAll("text")].filter(el => {
			const r = el.getBBox();
			return r.width === 0 || r.x < vb.x - 0.5 || r.y < vb.y - 0.5 || r.x + r.width > vb.x + vb.width + 0.5 || r.y + r.height > vb.y + vb.height + 0.5;
		}).map(el => {
			const r = el.getBBox();
			return svg.closest(".chart").id + ": " + JSON.stringify(el.textContent) + " at x " + r.x.toFixed(1) + ".." + (r.x + r.width).toFixed(1) + " of " + vb.width;
		});
	})`)
	if len(out) > 0 {
		t.Errorf("labels outside their chart:\n%s", strings.Join(out, "\n"))
	}
	testenv.Screenshot(t, b, "dashboard")
}
