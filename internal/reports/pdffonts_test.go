package reports_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
)

// exactText is the text a PDF of kycdesk's shows, read exactly: every string its pages show, a
// line each. (testenv.PDFText's reader keeps only the low byte of a character beyond U+00FF.)
// The report's fonts are embedded with Identity-H, their codes being the characters' own
// (UTF-16BE), so a shown string decodes without the font's tables.
func exactText(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the PDF does not open: %v", err)
	}
	var out strings.Builder
	show := func(s string) {
		u := make([]uint16, 0, len(s)/2)
		for i := 0; i+1 < len(s); i += 2 {
			u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
		}
		out.WriteString(string(utf16.Decode(u)))
		out.WriteByte('\n')
	}
	for i := 1; i <= r.NumPage(); i++ {
		contents := r.Page(i).V.Key("Contents")
		if contents.IsNull() {
			continue
		}
		pdf.Interpret(contents, func(stk *pdf.Stack, op string) {
			switch op {
			case "Tj", "'":
				show(stk.Pop().RawString())
			case "\"":
				show(stk.Pop().RawString())
				stk.Pop()
				stk.Pop()
			case "TJ":
				a := stk.Pop()
				var s strings.Builder
				for j := 0; j < a.Len(); j++ {
					if v := a.Index(j); v.Kind() == pdf.String {
						s.WriteString(v.RawString())
					}
				}
				show(s.String())
			default:
				for stk.Len() > 0 {
					stk.Pop()
				}
			}
		})
	}
	return out.String()
}

// TestCaseReportPrintsEveryName: a legal name prints exactly, whatever Latin, Greek or Cyrillic
// letters it has (Vietnamese, Polish, Hungarian, Hausa, Greek, Russian), in the title and the
// customer's data; only what no font has (here a Chinese name) is marked "?".
func TestCaseReportPrintsEveryName(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	svc := w.app.Server.CustomerService()
	o := customers.Origin{Actor: audit.System, Via: "test"}
	for _, tc := range []struct {
		given, surname, address string
		want                    []string // in the report, exactly
	}{
		{"Thị Minh", "Nguyễn", "12 Đặng Trần Côn, Hà Nội",
			[]string{"Thị Minh Nguyễn", "12 Đặng Trần Côn, Hà Nội"}},
		// Decomposed (a letter and its combining marks), as some keyboards type it: printed as the
		// composed letters the font draws.
		{"Thi\u0323 Minh", "Nguye\u0302\u0303n", "", []string{"Thị Minh Nguyễn"}},
		{"Łukasz Żółć", "Wróblewski-Ściegienny", "ul. Długa 5, Gdańsk", []string{"Łukasz Żółć Wróblewski-Ściegienny", "ul. Długa 5, Gdańsk"}},
		{"Ɓello Ƙabir", "Őrsi Ưng", "", []string{"Ɓello Ƙabir Őrsi Ưng"}},
		{"Ελένη", "Παπαδοπούλου", "", []string{"Ελένη Παπαδοπούλου"}},
		{"Иван", "Петров-Ёлкин", "", []string{"Иван Петров-Ёлкин"}},
		{"Wei", "王 (Wang)", "", []string{"Wei ? (Wang)"}},
	} {
		cr, err := svc.Create(ctx, o, customers.Input{GivenNames: tc.given, Surname: tc.surname, Address: tc.address, Nationality: "VNM"})
		if err != nil {
			t.Fatalf("%s %s: %v", tc.given, tc.surname, err)
		}
		res := w.app.SignIn(t, w.manager).Get(t, "/cases/"+cr.Case.ID.String()+"/report.pdf")
		if res.Status != http.StatusOK {
			t.Fatalf("report: %d %s", res.Status, res.Body)
		}
		text := exactText(t, []byte(res.Body))
		for _, want := range tc.want {
			if !strings.Contains(text, want) {
				t.Errorf("the report of %s %s lacks %q", tc.given, tc.surname, want)
			}
		}
		if t.Failed() {
			t.Logf("text:\n%s", text)
			return
		}
	}
}
