package customers

import (
	"testing"
	"time"
)

// TestNormaliseRefusesWhatOnlyLooksRight: the values a tester found accepted though their field's
// rule or message says otherwise are refused on that field, and their close neighbours that are
// right are taken.
func TestNormaliseRefusesWhatOnlyLooksRight(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		in    Input
		field string // "" when accepted
		want  string // the message, or the value stored when accepted
	}{
		{"separators only", Input{Surname: "A", Phone: "+   ()"}, "phone", "Use 4 to 32 digits, spaces and + ( ) . / - only."},
		{"dashes only", Input{Surname: "A", Phone: "----"}, "phone", "Use 4 to 32 digits, spaces and + ( ) . / - only."},
		{"three digits", Input{Surname: "A", Phone: "+1 (2) 3"}, "phone", "Use 4 to 32 digits, spaces and + ( ) . / - only."},
		{"four digits", Input{Surname: "A", Phone: "+1 (2) 34"}, "", "+1 (2) 34"},
		{"a zero-width space", Input{Surname: "\u200b"}, "surname", "Enter the surname."},
		{"a byte order mark and a soft hyphen", Input{Surname: "\ufeff\u00ad"}, "surname", "Enter the surname."},
		{"a lone joiner", Input{Surname: "\u200d"}, "surname", "Enter the surname."},
		{"a Hangul filler", Input{Surname: "\u3164"}, "surname", "Enter the surname in letters: this has none."},
		{"punctuation", Input{Surname: "-."}, "surname", "Enter the surname in letters: this has none."},
		{"a combining mark alone", Input{Surname: "\u0301"}, "surname", "Enter the surname in letters: this has none."},
		{"given names without a letter", Input{Surname: "A", GivenNames: "\u2800"}, "given_names", "Enter the given names in letters (this has none), or leave the field empty."},
		{"invisible characters inside", Input{Surname: "Ng\u200buyen\u2060"}, "", "Nguyen"},
		{"a joiner inside a Persian name", Input{Surname: "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647"}, "", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647"},
		{"joiners at the edges", Input{Surname: "\u200dAnna\u200c"}, "", "Anna"},
		{"born today", Input{Surname: "A", DateOfBirth: "2026-03-01"}, "date_of_birth", "The date of birth must be in the past (before today, from 1900 on)."},
		{"born yesterday", Input{Surname: "A", DateOfBirth: "2026-02-28"}, "", "2026-02-28"},
		{"issued in 2099", Input{Surname: "A", Documents: []DocumentInput{{Type: "passport", IssueDate: "2099-01-01"}}}, "documents[0].issue_date", "The issue date cannot be in the future."},
		{"issued the day after tomorrow", Input{Surname: "A", Documents: []DocumentInput{{Type: "passport", IssueDate: "2026-03-03"}}}, "documents[0].issue_date", "The issue date cannot be in the future."},
		// Already 2 March east of UTC+12: a passport issued there today is not in the future.
		{"issued today east of the date line", Input{Surname: "A", Documents: []DocumentInput{{Type: "passport", IssueDate: "2026-03-02"}}}, "", "2026-03-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			errs := in.Normalise(now)
			if tc.field != "" {
				if errs[tc.field] != tc.want {
					t.Fatalf("%s: %q, want %q (all: %v)", tc.field, errs[tc.field], tc.want, errs)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("refused: %v", errs)
			}
			var got string
			switch {
			case tc.in.Phone != "":
				got = in.Phone
			case tc.in.DateOfBirth != "":
				got = in.DateOfBirth
			case len(tc.in.Documents) > 0:
				got = in.Documents[0].IssueDate
			default:
				got = in.Surname
			}
			if got != tc.want {
				t.Fatalf("stored %q, want %q", got, tc.want)
			}
		})
	}
}
