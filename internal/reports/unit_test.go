package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNeutralise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Kowalski", "Kowalski"},
		{"=1+1", "'=1+1"},
		{"+SUM(A1)", "'+SUM(A1)"},
		{"-23", "'-23"},
		{"@cmd", "'@cmd"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"＝1+1", "'＝1+1"}, // full-width equals sign
		{"＋1", "'＋1"},
		{"a=1", "a=1"},
		{" =1", " =1"}, // a leading space is not read as a formula
		{"Łukasz", "Łukasz"},
		{"'already", "'already"},
	} {
		if got := Neutralise(tc.in); got != tc.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := needsApostrophe([]byte(tc.in)); got != (Neutralise(tc.in) != tc.in) {
			t.Errorf("needsApostrophe(%q) = %v", tc.in, got)
		}
	}
}

// The byte writer of the case-list export writes what encoding/csv writes, neutralised.
func TestRowWriterMatchesEncodingCSV(t *testing.T) {
	records := [][]string{
		{"plain", "", "with,comma", `with "quotes"`, "line\nbreak", "cr\r\nlf", " leading space", `\.`, "lone\rcr"},
		{"=formula", "-1", "@x", "\tTab", "ＺＺ", "é ü Ł", "trailing ", `"`, ","},
	}
	var got bytes.Buffer
	rw := newRowWriter(&got)
	for _, rec := range records {
		for i, c := range rec {
			rw.cell([]byte(c), i == 0)
		}
		rw.end()
	}
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	cw := newCSVWriter(&want)
	for _, rec := range records {
		if err := cw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("row writer:\n%q\nencoding/csv:\n%q", got.String(), want.String())
	}
	back, err := csv.NewReader(&got).ReadAll()
	if err != nil || len(back) != 2 || back[1][0] != "'=formula" || back[0][4] != "line\nbreak" {
		t.Errorf("read back %q %v", back, err)
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 3, 15, 17, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct {
		query    string
		from, to string // as typed: both days included
		errs     string
	}{
		{"", "2026-02-14", "2026-03-15", ""},
		{"from=2026-03-01&to=2026-03-10", "2026-03-01", "2026-03-10", ""},
		{"to=2026-01-31", "2026-01-02", "2026-01-31", ""},
		{"from=2026-03-10", "2026-03-10", "2026-03-15", ""},
		{"from=2026-03-10&to=2026-03-01", "2026-02-14", "2026-03-15", "to"},
		{"from=nope", "2026-02-14", "2026-03-15", "from"},
		{"from=2024-01-01&to=2026-03-15", "2025-03-15", "2026-03-15", "from"}, // longer than a year
	} {
		v, _ := url.ParseQuery(tc.query)
		p, errs := ParsePeriod(v, now, 30, 366)
		var keys []string
		for k := range errs {
			keys = append(keys, k)
		}
		if p.FromText() != tc.from || p.ToText() != tc.to || strings.Join(keys, ",") != tc.errs {
			t.Errorf("%q: %s to %s, errors %v; want %s to %s, %q", tc.query, p.FromText(), p.ToText(), errs, tc.from, tc.to, tc.errs)
		}
		if !p.To.Equal(day(p.ToText()).AddDate(0, 0, 1)) {
			t.Errorf("%q: the end is not the day after the last day", tc.query)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0, 1}, {0.3, 0.5}, {1, 1}, {1.2, 2}, {2.1, 2.5}, {3, 5}, {7, 10}, {12, 20}, {99, 100}, {101, 200}, {2400, 2500},
	} {
		if got := niceCeil(tc.in); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestChartLayout(t *testing.T) {
	// Vertical, stacked: two days, two series. The highest stack is 6: axis to 8 (steps of 2).
	c := chartSpec{id: "x", title: "X", groupName: "Day", series: []series{{"a", "s-ok"}, {"b", "s-bad"}}, total: true,
		groups: []group{{label: "2026-01-01", values: []float64{2, 4}, short: "01-01"}, {label: "2026-01-02", values: []float64{0, 1}}}}.build()
	if len(c.Bars) != 3 {
		t.Fatalf("%d bars, want 3 (a zero is not drawn)", len(c.Bars))
	}
	plotH := vChartH - vPadTop - vPadBottom
	base := vPadTop + plotH
	a, b := c.Bars[0], c.Bars[1]
	if math.Abs(a.H-plotH*2/8) > 0.1 || math.Abs(b.H-plotH*4/8) > 0.1 || math.Abs(a.Y+a.H-base) > 0.1 || math.Abs(b.Y+b.H-a.Y) > 0.2 {
		t.Errorf("stack: %+v %+v (base %v, plot %v)", a, b, base, plotH)
	}
	if a.Title != "2026-01-01: a 2" {
		t.Errorf("title %q", a.Title)
	}
	if strings.Join(c.Head, ",") != "Day,a,b,Total" || strings.Join(c.Rows[0], ",") != "2026-01-01,2,4,6" {
		t.Errorf("table %v %v", c.Head, c.Rows)
	}
	var axis, under []string
	for _, l := range c.Labels {
		if l.Anchor == "end" {
			axis = append(axis, l.Text)
		} else {
			under = append(under, l.Text)
		}
	}
	if strings.Join(axis, ",") != "0,2,4,6,8" || strings.Join(under, ",") != "01-01,2026-01-02" {
		t.Errorf("labels %v %v", axis, under)
	}
	// Horizontal, one count: steps are whole cases.
	h := chartSpec{id: "h", series: []series{{"n", "s-accent"}}, horizontal: true, groups: []group{{label: "New", values: []float64{1}}}}.build()
	x0, x4 := h.Grid[0].X1, h.Grid[gridLines].X1
	if len(h.Bars) != 1 || math.Abs(h.Bars[0].X-x0) > 0.1 || math.Abs(h.Bars[0].W-(x4-x0)/4) > 0.1 {
		t.Errorf("horizontal bar %+v", h.Bars)
	}
	// Grouped: side by side, each from the axis.
	g := chartSpec{id: "g", series: []series{{"p50", "s"}, {"p95", "t"}}, horizontal: true, grouped: true,
		groups: []group{{label: "Argos", values: []float64{100, 400}}}}.build()
	if len(g.Bars) != 2 || g.Bars[0].X != g.Grid[0].X1 || g.Bars[1].X != g.Grid[0].X1 || g.Bars[1].Y <= g.Bars[0].Y || math.Abs(g.Bars[1].W-4*g.Bars[0].W) > 0.2 {
		t.Errorf("grouped %+v", g.Bars)
	}
	if e := (chartSpec{id: "e", series: []series{{"n", "s"}}}).build(); !e.Empty {
		t.Error("a chart without values is not empty")
	}
}

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain <script>", "plain <script>"},
		{"Łukasz Żółć Ωμέγα Привет", "Łukasz Żółć Ωμέγα Привет"},
		// Latin Extended-B and Latin Extended Additional (Vietnamese).
		{"Thị Minh Nguyễn, Đặng, Trần, Ɓello, Ƙabir, Ưng, ǅ", "Thị Minh Nguyễn, Đặng, Trần, Ɓello, Ƙabir, Ưng, ǅ"},
		// Decomposed letters print composed.
		{"Nguye\u0302\u0303n", "Nguyễn"},
		{"漢字", "??"},
		{"smile \U0001F600", "smile ?"}, // beyond the Basic Multilingual Plane, which fpdf cannot write
		{"a\x00b\x1bc", "a?b?c"},
		{"bad \xff utf-8", "bad ? utf-8"},
	} {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// The monospaced font (the MRZ) has fewer letters: what it lacks is marked, not drawn empty.
	if got := printableMono("P<VNMNGUYEN ễ"); got != "P<VNMNGUYEN ?" {
		t.Errorf("printableMono: %q", got)
	}
}

func TestReportName(t *testing.T) {
	id := uuid.MustParse("11111111-2222-4333-8444-555555555555")
	for _, tc := range []struct{ ref, want string }{
		{"ref-pl-1", "case-report-ref-pl-1.pdf"},
		{"", "case-report-" + id.String() + ".pdf"},
		{"../../etc/passwd", "case-report-etc-passwd.pdf"},
		{"a b\"c", "case-report-a-b-c.pdf"},
		{"...", "case-report-" + id.String() + ".pdf"},
	} {
		if got := reportName(&CaseReport{CaseID: id, ExternalRef: tc.ref}); got != tc.want {
			t.Errorf("reportName(%q) = %q, want %q", tc.ref, got, tc.want)
		}
	}
}

func TestColumnsMatchCells(t *testing.T) {
	if len(Columns) != cCount {
		t.Fatalf("%d columns, %d cells", len(Columns), cCount)
	}
	if Columns[cVendor0].Name != Vendors[0].Label || Columns[cAge].Name != "Age (hours)" || Columns[cPastSLA].Name != "Past SLA" ||
		Columns[cLiveness].Name != "Liveness verdict" || Columns[cFlags].Name != "Flags" {
		t.Error("the cell positions do not match the columns")
	}
}

// The export's own timestamp and date writers agree with time.Time's formatting.
func TestAppendStamp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(us int64) {
		t.Helper()
		want := timeOf(us).UTC().Format("2006-01-02 15:04:05")
		if got := string(appendStamp(nil, us)); got != want {
			t.Fatalf("appendStamp(%d) = %s, want %s", us, got, want)
		}
		d := int64(math.Floor(float64(us) / 86400e6))
		if got, want := string(appendDate(nil, d)), dateOf(int32(d)).Format(time.DateOnly); got != want {
			t.Fatalf("appendDate(%d) = %s, want %s", d, got, want)
		}
	}
	for _, s := range []string{"2000-01-01T00:00:00Z", "1999-12-31T23:59:59.5Z", "1900-03-01T12:00:00Z", "2024-02-29T23:59:59Z",
		"2100-03-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"} {
		tm, _ := time.Parse(time.RFC3339Nano, s)
		check(tm.Sub(pgEpoch).Microseconds())
	}
	for range 100_000 {
		check(r.Int64N(2*200*365*86400e6) - 200*365*86400e6)
	}
}

// TestChartLabelsFit: however long the labels, each one lies inside the chart's viewBox by the
// measure the layout uses (the browser's own boxes are checked in internal/e2e); a label too long
// for the label column is shortened, whole in its tooltip and in the table.
func TestChartLabelsFit(t *testing.T) {
	long := "Maximiliane Alexandra Featherstonehaugh-Wolfeschlegelsteinhausen"
	var month []group
	for d := 1; d <= 31; d++ {
		day := fmt.Sprintf("2026-01-%02d", d)
		month = append(month, group{label: day, short: day[5:], values: []float64{float64(d * 1000)}})
	}
	two := []series{{"a", "s-ok"}, {"b", "s-bad"}}
	for _, s := range []chartSpec{
		{id: "reviewers", series: two, horizontal: true, total: true, groups: []group{
			{label: long, values: []float64{120000, 3}}, {label: "Łukasz Żółć", values: []float64{1, 1}}}},
		{id: "vendors", series: []series{{"share", "s"}}, horizontal: true, format: percent, groups: []group{
			{label: "Apptenticate ID Reader Plus v3", values: []float64{100}}, {label: "Argos ID recognition", values: []float64{0.4}}}},
		{id: "latency", series: two, horizontal: true, grouped: true, groups: []group{
			{label: "Apptenticate ID Reader Plus v3", values: []float64{98765, 123456}}}},
		{id: "short", series: two, horizontal: true, groups: []group{{label: "New", values: []float64{1, 2}}}},
		{id: "month", series: []series{{"n", "s"}}, groups: month},
		{id: "ageing", series: two, groups: []group{{label: "over twice the SLA", values: []float64{0, 7}}, {label: "under 25%", values: []float64{2, 0}}}},
		{id: "wide-days", series: []series{{"n", "s"}}, groups: []group{{label: "an unusually long first label", values: []float64{1}}, {label: "and a long last one too", values: []float64{2}}}},
	} {
		c := s.build()
		for _, l := range c.Labels {
			w := textWidth(l.Text, fontSize)
			if l.Class == "value" {
				w *= boldFactor
			}
			x0 := map[string]float64{"start": l.X, "middle": l.X - w/2, "end": l.X - w}[l.Anchor]
			if x0 < 0 || x0+w > c.Width {
				t.Errorf("%s: %q spans %.1f to %.1f, outside 0 to %v", s.id, l.Text, x0, x0+w, c.Width)
			}
		}
		for _, b := range c.Bars {
			if b.X < 0 || b.X+b.W > c.Width+0.1 {
				t.Errorf("%s: a bar spans %.1f to %.1f", s.id, b.X, b.X+b.W)
			}
		}
	}
	c := chartSpec{id: "r", series: []series{{"n", "s"}}, horizontal: true, groups: []group{{label: long, values: []float64{1}}}}.build()
	l := c.Labels[len(c.Labels)-2] // the row's label, before its total
	if !strings.HasSuffix(l.Text, "…") || !strings.HasPrefix(long, strings.TrimSuffix(l.Text, "…")) || l.Title != long || c.Rows[0][0] != long {
		t.Errorf("a long label: %+v, table %q", l, c.Rows[0][0])
	}
	if short := (chartSpec{id: "s", series: []series{{"n", "s"}}, horizontal: true, groups: []group{{label: "New", values: []float64{1}}}}).build(); short.Grid[0].X1 >= c.Grid[0].X1 {
		t.Errorf("short labels get as wide a column (%v) as long ones (%v)", short.Grid[0].X1, c.Grid[0].X1)
	}
}

func TestFitText(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width float64
		want  string
	}{
		{"New", 100, "New"},
		{"Apptenticate ID Reader Plus v3", 1000, "Apptenticate ID Reader Plus v3"},
		{"Apptenticate ID Reader Plus v3", 130, "Apptenticate ID Read…"},
		{"Ab cd", textWidth("Ab …", fontSize) + 0.01, "Ab…"}, // no space left before the ellipsis
		{"Wide", 1, "…"},
	} {
		got, whole := fitText(tc.in, fontSize, tc.width)
		if got != tc.want || whole != (got == tc.in) {
			t.Errorf("fitText(%q, %v) = %q, %v; want %q", tc.in, tc.width, got, whole, tc.want)
		}
		if textWidth(got, fontSize) > tc.width && got != "…" {
			t.Errorf("fitText(%q, %v) = %q is %v wide", tc.in, tc.width, got, textWidth(got, fontSize))
		}
	}
}
