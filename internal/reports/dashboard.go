package reports

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

// maxDashboardDays bounds the dashboard's period (a bar per day).
const maxDashboardDays = 366

// Outcome series of the decision charts, in their order.
var outcomeSeries = []series{
	{"approve", "s-ok"}, {"reject", "s-bad"}, {"request resubmission", "s-warn"}, {"escalate", "s-accent"}, {"returned", "s-muted"},
}

var outcomeIndex = map[string]int{"approve": 0, "reject": 1, "request_resubmission": 2, "escalate": 3, "returned": 4}

// Check results, in their order.
var checkSeries = []series{{"pass", "s-ok"}, {"review", "s-warn"}, {"fail", "s-bad"}, {"error", "s-muted"}, {"in progress", "s-accent"}}

var checkIndex = map[string]int{"pass": 0, "review": 1, "fail": 2, "error": 3, "in progress": 4}

// AgeBuckets name the ageing chart's bars: the share of the SLA a case has been open.
var AgeBuckets = []string{"under 25%", "25–50%", "50–75%", "75–100%", "1–2× SLA", "over 2× SLA"}

// Dashboard is the dashboard's numbers for a period.
type Dashboard struct {
	Period      Period
	Status      map[cases.Status]int64
	Ageing      [6]int64
	PerDay      map[string][5]int64 // "2026-01-31" → counts by outcomeIndex
	Days        []string
	PerReviewer []ReviewerCount
	Rates       [5]int64 // decisions by outcome over the period
	Checks      map[string][5]int64
	Calls       []db.DashboardVendorCallsRow
	Undelivered int64
}

// ReviewerCount is one reviewer's decisions in the period.
type ReviewerCount struct {
	Name   string
	Counts [5]int64
}

// LoadDashboard reads the dashboard's numbers: the queue as of now, the rest over p.
func LoadDashboard(ctx context.Context, q *db.Queries, p Period, now time.Time, sla time.Duration) (*Dashboard, error) {
	d := &Dashboard{Period: p, PerDay: map[string][5]int64{}, Checks: map[string][5]int64{}}
	var err error
	if d.Status, err = cases.Counts(ctx, q); err != nil {
		return nil, err
	}
	ageing, err := q.DashboardAgeing(ctx, db.DashboardAgeingParams{Now: now, SlaSeconds: sla.Seconds()})
	if err != nil {
		return nil, fmt.Errorf("dashboard: ageing: %w", err)
	}
	for _, a := range ageing {
		if a.Bucket >= 0 && int(a.Bucket) < len(d.Ageing) {
			d.Ageing[a.Bucket] += a.N
		}
	}
	perDay, err := q.DashboardDecisionsPerDay(ctx, db.DashboardDecisionsPerDayParams{FromAt: p.From, ToAt: p.To})
	if err != nil {
		return nil, fmt.Errorf("dashboard: decisions per day: %w", err)
	}
	for t := p.From; t.Before(p.To); t = t.AddDate(0, 0, 1) {
		d.Days = append(d.Days, t.Format(time.DateOnly))
	}
	for _, r := range perDay {
		i, ok := outcomeIndex[r.Outcome]
		if !ok {
			continue
		}
		k := r.Day.Format(time.DateOnly)
		c := d.PerDay[k]
		c[i] += r.N
		d.PerDay[k] = c
		d.Rates[i] += r.N
	}
	perReviewer, err := q.DashboardDecisionsPerReviewer(ctx, db.DashboardDecisionsPerReviewerParams{FromAt: p.From, ToAt: p.To})
	if err != nil {
		return nil, fmt.Errorf("dashboard: decisions per reviewer: %w", err)
	}
	for _, r := range perReviewer {
		name := r.Name + " (" + r.Email + ")"
		if len(d.PerReviewer) == 0 || d.PerReviewer[len(d.PerReviewer)-1].Name != name {
			d.PerReviewer = append(d.PerReviewer, ReviewerCount{Name: name})
		}
		if i, ok := outcomeIndex[r.Outcome]; ok {
			d.PerReviewer[len(d.PerReviewer)-1].Counts[i] += r.N
		}
	}
	checks, err := q.DashboardChecks(ctx, db.DashboardChecksParams{FromAt: p.From, ToAt: p.To})
	if err != nil {
		return nil, fmt.Errorf("dashboard: checks: %w", err)
	}
	for _, r := range checks {
		if i, ok := checkIndex[r.Result]; ok {
			c := d.Checks[r.Vendor]
			c[i] += r.N
			d.Checks[r.Vendor] = c
		}
	}
	if d.Calls, err = q.DashboardVendorCalls(ctx, db.DashboardVendorCallsParams{FromAt: p.From, ToAt: p.To}); err != nil {
		return nil, fmt.Errorf("dashboard: vendor calls: %w", err)
	}
	if d.Undelivered, err = q.DashboardUndeliveredLiveness(ctx); err != nil {
		return nil, fmt.Errorf("dashboard: undelivered liveness verdicts: %w", err)
	}
	return d, nil
}

func floats(counts []int64) []float64 {
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = float64(c)
	}
	return out
}

func percent(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// RateOf is the share of decisions with outcome i over the decisions the period kept (returned
// ones aside), in percent.
func (d *Dashboard) RateOf(i int) float64 {
	total := int64(0)
	for j, n := range d.Rates {
		if j != outcomeIndex["returned"] {
			total += n
		}
	}
	if total == 0 || i == outcomeIndex["returned"] {
		return 0
	}
	return 100 * float64(d.Rates[i]) / float64(total)
}

// Charts are the dashboard's charts, in page order.
func (d *Dashboard) Charts() []chartSpec {
	var out []chartSpec

	status := chartSpec{id: "status", title: "Cases by status now", desc: "How many cases are in each status of the queue, now.",
		groupName: "Status", series: []series{{"cases", "s-accent"}}, horizontal: true}
	for _, s := range cases.Statuses {
		status.groups = append(status.groups, group{label: cases.Label(s), values: []float64{float64(d.Status[s])}})
	}
	out = append(out, status)

	ageing := chartSpec{id: "ageing", title: "Open cases by age against the SLA", desc: "Open cases by how much of the SLA they have used; the last two bars are past it.",
		groupName: "Age", series: []series{{"within the SLA", "s-ok"}, {"past the SLA", "s-bad"}}}
	for i, b := range AgeBuckets {
		vals := []float64{float64(d.Ageing[i]), 0}
		if i >= 4 {
			vals = []float64{0, float64(d.Ageing[i])}
		}
		ageing.groups = append(ageing.groups, group{label: b, values: vals})
	}
	out = append(out, ageing)

	perDay := chartSpec{id: "decisions-per-day", title: "Decisions per day", desc: "Case decisions made each day of the period, by outcome.",
		groupName: "Day", series: outcomeSeries, total: true}
	for _, day := range d.Days {
		c := d.PerDay[day]
		perDay.groups = append(perDay.groups, group{label: day, values: floats(c[:]), short: day[5:]})
	}
	out = append(out, perDay)

	perReviewer := chartSpec{id: "decisions-per-reviewer", title: "Decisions per reviewer", desc: "Case decisions each person made in the period, by outcome.",
		groupName: "Reviewer", series: outcomeSeries, horizontal: true, total: true}
	for _, r := range d.PerReviewer {
		perReviewer.groups = append(perReviewer.groups, group{label: r.Name, values: floats(r.Counts[:])})
	}
	out = append(out, perReviewer)

	rates := chartSpec{id: "rates", title: "Approval, rejection and resubmission rates",
		desc:      "The share of the period's decisions with each outcome (decisions returned by a second reviewer aside).",
		groupName: "Outcome", series: []series{{"share", "s-accent"}}, horizontal: true, format: percent}
	for i, s := range outcomeSeries[:4] {
		rates.groups = append(rates.groups, group{label: s.name, values: []float64{d.RateOf(i)}})
	}
	out = append(out, rates)

	checks := chartSpec{id: "checks", title: "Vendor checks by outcome", desc: "Checks asked for in the period, per vendor, by how they ended.",
		groupName: "Vendor", series: checkSeries, horizontal: true, total: true}
	for _, v := range checkVendors(d) {
		c := d.Checks[v]
		checks.groups = append(checks.groups, group{label: vendorLabel(v), values: floats(c[:])})
	}
	out = append(out, checks)

	errorsChart := chartSpec{id: "vendor-errors", title: "Vendor call error rate",
		desc:      "The share of each vendor's calls that got no answer, a 429 or a 5xx; refusals (other 4xx) are counted apart in the table.",
		groupName: "Vendor", series: []series{{"errors", "s-bad"}}, horizontal: true, format: percent}
	latency := chartSpec{id: "vendor-latency", title: "Vendor call latency (ms)", desc: "The median (p50) and 95th percentile (p95) of each vendor's call latency.",
		groupName: "Vendor", series: []series{{"p50", "s-accent"}, {"p95", "s-warn"}}, horizontal: true, grouped: true}
	for _, c := range d.Calls {
		rate := 0.0
		if c.Calls > 0 {
			rate = 100 * float64(c.Errors) / float64(c.Calls)
		}
		errorsChart.groups = append(errorsChart.groups, group{label: vendorLabel(c.Vendor), values: []float64{rate}})
		latency.groups = append(latency.groups, group{label: vendorLabel(c.Vendor), values: []float64{c.P50, c.P95}})
	}
	out = append(out, errorsChart, latency)
	return out
}

// checkVendors are the vendors with checks in the period, in the page's order.
func checkVendors(d *Dashboard) []string {
	var out []string
	for _, v := range []string{"cynopsis_ocr", "apptenticate", "argos", "ooto"} {
		if _, ok := d.Checks[v]; ok {
			out = append(out, v)
		}
	}
	for v := range d.Checks {
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// callsTable is the vendor-error chart's table, with the calls and refusals behind each rate.
func (d *Dashboard) callsTable(c *web.Chart) {
	c.Head = []string{"Vendor", "Calls", "Errors", "Error rate", "Refusals (4xx)", "p50 (ms)", "p95 (ms)"}
	c.Rows = nil
	for _, r := range d.Calls {
		rate := 0.0
		if r.Calls > 0 {
			rate = 100 * float64(r.Errors) / float64(r.Calls)
		}
		c.Rows = append(c.Rows, []string{vendorLabel(r.Vendor), strconv.FormatInt(r.Calls, 10), strconv.FormatInt(r.Errors, 10), percent(rate),
			strconv.FormatInt(r.Refusals, 10), intText(r.P50), intText(r.P95)})
	}
}

// built lays out every chart, with CSV links for the period.
func (d *Dashboard) built() []web.Chart {
	var out []web.Chart
	for _, s := range d.Charts() {
		c := s.build()
		if s.id == "vendor-errors" {
			d.callsTable(&c)
		}
		v := d.Period.Query()
		v.Set("format", "csv")
		v.Set("chart", s.id)
		c.CSVHref = "/dashboard?" + v.Encode()
		out = append(out, c)
	}
	return out
}

// Dashboard shows the dashboard; with format=csv&chart=<id>, that chart's numbers as CSV.
func (h *Handler) Dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	now := httpx.Now()
	p, errs := ParsePeriod(r.URL.Query(), now, 30, maxDashboardDays)
	csv := r.URL.Query().Get("format") == "csv"
	if csv && len(errs) > 0 {
		return apperr.Fields(errs)
	}
	d, err := LoadDashboard(ctx, db.New(h.Pool), p, now, h.SLA)
	if err != nil {
		return err
	}
	charts := d.built()
	if csv {
		return h.chartCSV(w, r, p, charts, r.URL.Query().Get("chart"))
	}
	v := web.DashboardView{From: p.FromText(), To: p.ToText(), Errors: errs, Charts: charts, SLAHours: int(h.SLA.Hours())}
	open := int64(0)
	for _, s := range cases.Statuses {
		if cases.Open(s) {
			open += d.Status[s]
		}
	}
	late := d.Ageing[4] + d.Ageing[5]
	decided := int64(0)
	for i, n := range d.Rates {
		if i != outcomeIndex["returned"] {
			decided += n
		}
	}
	v.Tiles = []web.Tile{
		{Label: "Open cases", Value: strconv.FormatInt(open, 10), Note: "Go to the queue", Href: "/cases"},
		{Label: "Past the SLA", Value: strconv.FormatInt(late, 10), Note: "open longer than " + strconv.Itoa(v.SLAHours) + " h", Alert: late > 0},
		{Label: "Decisions in the period", Value: strconv.FormatInt(decided, 10), Note: "approved " + percent(d.RateOf(0)) + ", rejected " + percent(d.RateOf(1))},
		{Label: "Undelivered liveness verdicts", Value: strconv.FormatInt(d.Undelivered, 10), Alert: d.Undelivered > 0, Note: "not (yet) at Cynopsis Artemis"},
	}
	if h.UndeliveredHref != "" {
		v.Tiles[3].Href, v.Tiles[3].Note = h.UndeliveredHref, "See the list"
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return h.R.Page(w, r, status, "Dashboard", web.DashboardPage(v))
}

// chartCSV sends one chart's numbers as CSV, and audits the export.
func (h *Handler) chartCSV(w http.ResponseWriter, r *http.Request, p Period, charts []web.Chart, id string) error {
	ctx := r.Context()
	var c *web.Chart
	for i := range charts {
		if charts[i].ID == id {
			c = &charts[i]
		}
	}
	if c == nil {
		return apperr.Field("chart", "Unknown chart.")
	}
	pr := auth.PrincipalFrom(ctx)
	exportID, err := h.exportStarted(ctx, pr, "dashboard", map[string]any{"format": "csv", "chart": id, "from": p.FromText(), "to": p.ToText()})
	if err != nil {
		return err
	}
	attachment(w, "text/csv; charset=utf-8", "kycdesk-"+id+"-"+p.FromText()+"-to-"+p.ToText()+".csv")
	w.WriteHeader(http.StatusOK)
	cw := newCSVWriter(w)
	err = writeBOM(w)
	if err == nil {
		err = cw.Write(c.Head)
	}
	for _, row := range c.Rows {
		if err == nil {
			err = cw.Write(row)
		}
	}
	if err == nil {
		err = cw.Flush()
	}
	h.exportFinished(ctx, pr, "dashboard", exportID, int64(len(c.Rows)), err)
	return err
}
