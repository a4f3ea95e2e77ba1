package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ledongthuc/pdf"

	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
)

func TestWrapKeepsWordsWhole(t *testing.T) {
	d := newPDFDoc()
	d.AddPage()
	d.font("", 8)
	inset := 2 * d.GetCellMargin()
	fits := func(s string) float64 { return d.GetStringWidth(s) + inset + 0.01 }

	// A word that fits is never cut; lines break between words.
	if got := d.wrap("ELSWORTHIN", fits("ELSWORTHIN")); len(got) != 1 || got[0] != "ELSWORTHIN" {
		t.Errorf("a word that fits: %q", got)
	}
	text := "Front passed without a human look"
	got := d.wrap(text, fits("Front passed without"))
	if strings.Join(got, "|") != "Front passed without|a human look" {
		t.Errorf("words: %q", got)
	}
	// A URL wider than its cell breaks after its slashes, dots and dashes.
	url := "https://api.argos-identity.example/modules/v3/submission/transactions/7f3c9a2e-51b8-4d0c/result"
	got = d.wrap("GET "+url, 40)
	if got[0] != "GET" || strings.Join(got[1:], "") != url {
		t.Fatalf("URL: %q", got)
	}
	for _, l := range got[1 : len(got)-1] {
		if !strings.ContainsAny(l[len(l)-1:], softBreaks) {
			t.Errorf("the URL breaks inside a word: %q", got)
		}
		if d.GetStringWidth(l) > 40-inset {
			t.Errorf("%q is wider than its cell", l)
		}
	}
	// A word that cannot fit anywhere is cut where it must, and nothing is lost.
	long := strings.Repeat("W", 40)
	got = d.wrap(long, 20)
	if len(got) < 2 || strings.Join(got, "") != long {
		t.Errorf("long word: %q", got)
	}
	// Line ends are kept; trailing ones are not.
	if got := d.wrap("one\n\ntwo\n", 100); strings.Join(got, "|") != "one||two" {
		t.Errorf("line ends: %q", got)
	}
}

// The field comparison's columns are sized to their words: six sources do not cut "ELSWORTHIN"
// nor the agreement column.
func TestFieldTableWidths(t *testing.T) {
	d := newPDFDoc()
	d.AddPage()
	header := []string{"Field", "Declared", "Cynopsis", "Apptenticate", "Argos", "OOTO", "MRZ", "Agreement"}
	rows := [][]string{
		{"Surname", "Elsworthin", "ELSWORTH", "ELSWORTHIN", "ELSWORTHIN", "ELSWORTHIN", "ELSWORTHIN", "≠ Cynopsis"},
		{"Date of birth", "1984-07-21", "1984-07-21", "1984-07-21", "1984-07-21", "1984-07-21", "1984-07-21", "agree"},
	}
	o := tableOpts{size: 8}
	widths, ok := d.fitWidths(header, rows, d.width, o)
	if !ok {
		o.size = 7.5
		widths, ok = d.fitWidths(header, rows, d.width, o)
	}
	if !ok {
		t.Fatalf("the words do not fit at 7.5 pt: %v", widths)
	}
	var sum float64
	for _, w := range widths {
		sum += w
	}
	if sum < d.width-0.01 || sum > d.width+0.01 {
		t.Errorf("widths %v add up to %.2f, not %.2f", widths, sum, d.width)
	}
	for _, r := range append([][]string{header}, rows...) {
		ls, _ := d.rowLines(r, widths, o, false)
		for i, cell := range ls {
			if strings.Join(cell, " ") != r[i] {
				t.Errorf("column %d: %q is drawn as %q", i, r[i], cell)
			}
		}
	}
}

// A heading is never left alone at the bottom of a page: with too little room for the table's
// first rows, it starts the next page.
func TestFieldTableHeadingKeptWithItsRows(t *testing.T) {
	d := newPDFDoc()
	d.AddPage()
	_, pageH := d.GetPageSize()
	d.SetY(pageH - 20 - 16) // room for the heading alone
	ft := FieldTable{Sources: []string{"Declared", "Cynopsis"}}
	for _, f := range []string{"Surname", "Given names", "Date of birth", "Nationality"} {
		ft.Rows = append(ft.Rows, FieldRow{Field: f, Values: []string{"A", "A"}, Sources: 2, Odd: []bool{false, false}, Status: "✓"})
	}
	d.fieldTable(ft)
	var out bytes.Buffer
	if err := d.Output(&out); err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPage() != 2 {
		t.Fatalf("%d pages", r.NumPage())
	}
	for i, want := range []bool{false, true} {
		p := r.Page(i + 1)
		text, err := p.GetPlainText(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(text, "Field comparison"); got != want {
			t.Errorf("page %d has the heading: %v, want %v", i+1, got, want)
		}
		if want && !strings.Contains(text, "Surname") {
			t.Errorf("page %d has the heading without the table's rows", i+1)
		}
	}
}

// fieldTable marks only the values that disagree, names who disagrees, and checks each distinct
// zone once for the vendors that read it.
func TestFieldTableModel(t *testing.T) {
	docID := uuid.New()
	born := time.Date(1984, 7, 21, 0, 0, 0, 0, time.UTC)
	cu := db.Customer{Surname: "Elsworthin", GivenNames: "Emil", DateOfBirth: &born, Nationality: "GBR"}
	doc := db.Document{ID: docID, Number: "533401871", IssuingCountry: "GBR"}
	zone := []string{"P<GBRELSWORTHIN<<EMIL<<<<<<<<<<<<<<<<<<<<<<<", "5334018714GBR8407214M2905017<<<<<<<<<<<<<<<2"}
	result := func(surname string) []byte {
		b, _ := json.Marshal(vendors.Result{Fields: []vendors.Field{{Name: vendors.Surname, Value: surname},
			{Name: vendors.MRZLine1, Value: zone[0]}, {Name: vendors.MRZLine2, Value: zone[1]}}})
		return b
	}
	checks := []db.Check{ // newest first
		{DocumentID: docID, Vendor: "argos", State: db.CheckStateDone, Result: result("ELSWORTHIN")},
		{DocumentID: docID, Vendor: "cynopsis_ocr", State: db.CheckStateDone, Result: result("ELSWORTH")},
		{DocumentID: docID, Vendor: "apptenticate", State: db.CheckStateDone, Result: result("ELSWORTHIN")},
		{DocumentID: docID, Vendor: "argos", State: db.CheckStateDone, Result: result("OLDER READING")},
	}
	ft, zones := fieldTable(cu, doc, checks, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if strings.Join(ft.Sources, ",") != "Declared,Cynopsis,Apptenticate,Argos,MRZ" {
		t.Fatalf("sources %v", ft.Sources)
	}
	var surname *FieldRow
	for i := range ft.Rows {
		if ft.Rows[i].Field == "Surname" {
			surname = &ft.Rows[i]
		}
	}
	if surname == nil {
		t.Fatal("no surname row")
	}
	if !surname.Mismatch || surname.Status != "≠ Cynopsis" || !strings.Contains(surname.Summary, "Cynopsis reads ELSWORTH") {
		t.Errorf("surname: %+v", surname)
	}
	for i, odd := range surname.Odd {
		if odd != (ft.Sources[i] == "Cynopsis") {
			t.Errorf("surname, %s marked %v", ft.Sources[i], odd)
		}
	}
	if len(zones) != 1 || zones[0].Source() != "Cynopsis, Apptenticate and Argos" || zones[0].Err != "" {
		t.Errorf("zones: %+v", zones)
	}
}
