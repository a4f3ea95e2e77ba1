package mrz

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// now is fixed so century resolution does not depend on the day the tests run.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// The ICAO 9303 "Utopia" specimens (public, valid).
const (
	utoTD3L1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
	utoTD3L2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
	utoTD1L1 = "I<UTOD231458907<<<<<<<<<<<<<<<"
	utoTD1L2 = "7408122F1204159UTO<<<<<<<<<<<6"
	utoTD1L3 = "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)

// cynopsisSample is the mrz_raw_string of the Cynopsis OCR v2 page's example: not a valid zone.
const cynopsisSample = "IDMYS3344556D8301196M2812319<<<<<<<<<<<<<<04"

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseSpecimens(t *testing.T) {
	tests := []struct {
		name string
		text string
		want MRZ
	}{
		{
			name: "TD3 Utopia passport",
			text: utoTD3L1 + "\n" + utoTD3L2,
			want: MRZ{
				Format: TD3, DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
				Nationality: "UTO", BirthDate: Date{"740812", date(1974, 8, 12)}, Sex: "F",
				ExpiryDate: Date{"120415", date(2012, 4, 15)}, PersonalNumber: "ZE184226B",
				Surname: "ERIKSSON", GivenNames: "ANNA MARIA",
				Lines: []string{utoTD3L1, utoTD3L2},
				Checks: []Check{
					{CheckDocumentNumber, "L898902C3", '6', '6', true},
					{CheckBirthDate, "740812", '2', '2', true},
					{CheckExpiryDate, "120415", '9', '9', true},
					{CheckPersonalNumber, "ZE184226B<<<<<", '1', '1', true},
					{CheckComposite, "L898902C36" + "7408122" + "1204159ZE184226B<<<<<1", '0', '0', true},
				},
			},
		},
		{
			name: "TD1 Utopia identity card",
			text: utoTD1L1 + "\n" + utoTD1L2 + "\n" + utoTD1L3,
			want: MRZ{
				Format: TD1, DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890",
				Nationality: "UTO", BirthDate: Date{"740812", date(1974, 8, 12)}, Sex: "F",
				ExpiryDate: Date{"120415", date(2012, 4, 15)},
				Surname:    "ERIKSSON", GivenNames: "ANNA MARIA",
				Lines: []string{utoTD1L1, utoTD1L2, utoTD1L3},
				Checks: []Check{
					{CheckDocumentNumber, "D23145890", '7', '7', true},
					{CheckBirthDate, "740812", '2', '2', true},
					{CheckExpiryDate, "120415", '9', '9', true},
					{CheckComposite, "D231458907<<<<<<<<<<<<<<<" + "7408122" + "1204159" + "<<<<<<<<<<<", '6', '6', true},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAt(tt.text, now)
			if err != nil {
				t.Fatalf("ParseAt: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseAt =\n%+v\nwant\n%+v", *got, tt.want)
			}
			if !got.Valid() {
				t.Errorf("Valid() = false, failed %+v", got.Failed())
			}
		})
	}
}

func TestParseNormalises(t *testing.T) {
	tests := []struct {
		name, text string
		format     Format
	}{
		{"surrounding whitespace and CRLF", "\n  " + utoTD3L1 + "\r\n" + utoTD3L2 + "  \n\n", TD3},
		{"lower case", strings.ToLower(utoTD3L1 + "\n" + utoTD3L2), TD3},
		{"spaces inside lines", "P<UTO ERIKSSON<<ANNA<MARIA <<<<<<<<<<<<<<<<<<<\nL898902C3 6UTO 7408122 F 1204159 ZE184226B<<<<<10", TD3},
		{"TD3 run together (88)", utoTD3L1 + utoTD3L2, TD3},
		{"TD1 run together (90)", utoTD1L1 + utoTD1L2 + utoTD1L3, TD1},
		{"TD1 lines separated by spaces", utoTD1L1 + " " + utoTD1L2 + " " + utoTD1L3, TD1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAt(tt.text, now)
			if err != nil {
				t.Fatalf("ParseAt: %v", err)
			}
			if got.Format != tt.format || !got.Valid() || got.Surname != "ERIKSSON" || got.GivenNames != "ANNA MARIA" {
				t.Errorf("got format %s valid %v name %q %q", got.Format, got.Valid(), got.Surname, got.GivenNames)
			}
		})
	}
}

func TestParseRejectsShapes(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr error
		mention string
	}{
		{"empty", "   \n ", ErrShape, "empty"},
		{"TD1 with a line missing", utoTD1L1 + "\n" + utoTD1L2, ErrShape, "2 lines of 30"},
		{"TD3 line 2 one short", utoTD3L1 + "\n" + utoTD3L2[:43], ErrShape, "different lengths (44, 43)"},
		{"single line of 44", utoTD3L2, ErrShape, "one line of 44"},
		{"three lines of 44", utoTD3L1 + "\n" + utoTD3L2 + "\n" + utoTD3L2, ErrShape, "3 lines of 44"},
		{"two lines of 40", utoTD3L1[:40] + "\n" + utoTD3L2[:40], ErrShape, "2 lines of 40"},
		{"run of 89", utoTD3L1 + utoTD3L2 + "<", ErrShape, "one line of 89"},
		{"guillemet instead of filler", strings.ReplaceAll(utoTD3L1, "<", "«") + "\n" + utoTD3L2, ErrCharacter, "line 1 position 2"},
		{"punctuation", utoTD3L1 + "\n" + "L898902C3-" + utoTD3L2[10:], ErrCharacter, "'-'"},
		{"cynopsis sample, one line of 44", cynopsisSample, ErrShape, "one line of 44"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAt(tt.text, now)
			if err == nil {
				t.Fatalf("ParseAt = %+v, want error", got)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not say %q", err, tt.mention)
			}
		})
	}
}

// TestCynopsisSampleInvalid covers every way the vendor's sample could be handed to us: as printed
// (one line), and split as if it were TD2-like or TD3-like lines. None may pass as a valid zone.
func TestCynopsisSampleInvalid(t *testing.T) {
	for _, text := range []string{
		cynopsisSample,
		cynopsisSample[:22] + "\n" + cynopsisSample[22:],
		cynopsisSample + cynopsisSample,
		"P<MYSLEE<<MICHAEL<<<<<<<<<<<<<<<<<<<<<<<<<<<\n" + cynopsisSample,
	} {
		m, err := ParseAt(text, now)
		if err == nil && m.Valid() {
			t.Errorf("ParseAt(%q) is valid; the sample's check digits must fail", text)
		}
	}
	// Read as a TD3 line 2, the sample's checks fail in a known way.
	m, err := ParseAt("P<MYSLEE<<MICHAEL<<<<<<<<<<<<<<<<<<<<<<<<<<<\n"+cynopsisSample, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Failed()) == 0 {
		t.Fatal("no failed check")
	}
}

// TestMutations flips covered characters of the valid specimens and expects exactly the checks that
// cover them to fail, with the digit the mutated field gives.
func TestMutations(t *testing.T) {
	tests := []struct {
		name     string
		lines    []string
		line     int // 0-based
		pos      int // 1-based, as in ICAO 9303
		to       byte
		failing  map[string]byte // check name → expected digit after mutation
		problems int
	}{
		{"TD3 document number digit", []string{utoTD3L1, utoTD3L2}, 1, 4, '9',
			map[string]byte{CheckDocumentNumber: '3', CheckComposite: 0}, 0},
		{"TD3 birth date digit", []string{utoTD3L1, utoTD3L2}, 1, 17, '9',
			map[string]byte{CheckBirthDate: '9', CheckComposite: '3'}, 0},
		{"TD3 expiry year", []string{utoTD3L1, utoTD3L2}, 1, 23, '3',
			map[string]byte{CheckExpiryDate: '2', CheckComposite: 0}, 0},
		{"TD3 personal number", []string{utoTD3L1, utoTD3L2}, 1, 30, 'F',
			map[string]byte{CheckPersonalNumber: 0, CheckComposite: 0}, 0},
		{"TD3 composite digit itself", []string{utoTD3L1, utoTD3L2}, 1, 44, '1',
			map[string]byte{CheckComposite: '0'}, 0},
		{"TD3 document check digit itself", []string{utoTD3L1, utoTD3L2}, 1, 10, '7',
			map[string]byte{CheckDocumentNumber: '6', CheckComposite: 0}, 0},
		{"TD3 birth date 0 read as O", []string{utoTD3L1, utoTD3L2}, 1, 16, 'O',
			map[string]byte{CheckBirthDate: 0, CheckComposite: 0}, 1},
		{"TD3 check digit 0 read as O", []string{utoTD3L1, utoTD3L2}, 1, 44, 'O',
			map[string]byte{CheckComposite: '0'}, 0},
		{"TD3 document number 0 read as O", []string{utoTD3L1, utoTD3L2}, 1, 6, 'O',
			map[string]byte{CheckDocumentNumber: 0, CheckComposite: 0}, 0},
		{"TD3 nationality is not covered", []string{utoTD3L1, utoTD3L2}, 1, 11, 'X',
			map[string]byte{}, 0},
		{"TD3 sex is not covered but must be M, F or <", []string{utoTD3L1, utoTD3L2}, 1, 21, 'Q',
			map[string]byte{}, 1},
		{"TD3 impossible month", []string{utoTD3L1, utoTD3L2}, 1, 16, '3',
			map[string]byte{CheckBirthDate: 0, CheckComposite: 0}, 1},
		{"TD1 document number digit", []string{utoTD1L1, utoTD1L2, utoTD1L3}, 0, 14, '1',
			map[string]byte{CheckDocumentNumber: '8', CheckComposite: 0}, 0},
		{"TD1 expiry month", []string{utoTD1L1, utoTD1L2, utoTD1L3}, 1, 12, '5',
			map[string]byte{CheckExpiryDate: 0, CheckComposite: 0}, 0},
		{"TD1 optional data on line 1", []string{utoTD1L1, utoTD1L2, utoTD1L3}, 0, 20, '7',
			map[string]byte{CheckComposite: 0}, 0},
		{"TD1 optional data on line 2", []string{utoTD1L1, utoTD1L2, utoTD1L3}, 1, 20, '7',
			map[string]byte{CheckComposite: 0}, 0},
		{"TD1 name line is not covered", []string{utoTD1L1, utoTD1L2, utoTD1L3}, 2, 1, 'F',
			map[string]byte{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := append([]string(nil), tt.lines...)
			b := []byte(lines[tt.line])
			b[tt.pos-1] = tt.to
			lines[tt.line] = string(b)
			m, err := ParseAt(strings.Join(lines, "\n"), now)
			if err != nil {
				t.Fatalf("ParseAt: %v", err)
			}
			for _, c := range m.Checks {
				want, shouldFail := tt.failing[c.Name]
				if c.OK == shouldFail {
					t.Errorf("check %s OK = %v, want %v (%+v)", c.Name, c.OK, !shouldFail, c)
				}
				if shouldFail && want != 0 && c.Expected != want {
					t.Errorf("check %s expected digit %c, want %c", c.Name, c.Expected, want)
				}
				// Whatever the table says, the expected digit is the field's own.
				if d, err := CheckDigit(c.Field); err == nil && d != c.Expected {
					t.Errorf("check %s Expected %c but field %q gives %c", c.Name, c.Expected, c.Field, d)
				}
			}
			if len(m.Problems) != tt.problems {
				t.Errorf("problems %q, want %d", m.Problems, tt.problems)
			}
			wantValid := len(tt.failing) == 0 && tt.problems == 0
			if m.Valid() != wantValid {
				t.Errorf("Valid() = %v, want %v", m.Valid(), wantValid)
			}
		})
	}
}

// TestEveryCoveredDigit flips each digit of the TD3 specimen's line 2 and requires at least one
// check to fail: no covered digit may change unnoticed.
func TestEveryCoveredDigit(t *testing.T) {
	uncovered := map[int]bool{}
	for i := 10; i < 13; i++ { // nationality
		uncovered[i] = true
	}
	uncovered[20] = true // sex
	for i := 0; i < len(utoTD3L2); i++ {
		c := utoTD3L2[i]
		if c < '0' || c > '9' || uncovered[i] {
			continue
		}
		b := []byte(utoTD3L2)
		b[i] = '0' + (c-'0'+1)%10
		m, err := ParseAt(utoTD3L1+"\n"+string(b), now)
		if err != nil {
			t.Fatalf("position %d: %v", i+1, err)
		}
		if m.Valid() {
			t.Errorf("flipping position %d (%c→%c) went unnoticed", i+1, c, b[i])
		}
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		raw   string
		birth bool
		want  string
	}{
		{"740812", true, "1974-08-12"},
		{"260301", true, "2026-03-01"}, // born today
		{"260302", true, "1926-03-02"}, // tomorrow would be in the future
		{"051231", true, "2005-12-31"},
		{"120415", false, "2012-04-15"},
		{"351231", false, "2035-12-31"},
		{"760301", false, "2076-03-01"},
		{"760302", false, "1976-03-02"}, // more than 50 years ahead: a 19xx document
		{"000229", true, "2000-02-29"},
		{"010229", true, ""}, // 2001 is not a leap year
		{"741301", true, ""},
		{"740800", true, ""},
	}
	for _, tt := range tests {
		got, ok := resolveDate(tt.raw, now, tt.birth)
		if s := map[bool]string{true: got.Format(time.DateOnly), false: ""}[ok]; s != tt.want {
			t.Errorf("resolveDate(%s, birth=%v) = %q, want %q", tt.raw, tt.birth, s, tt.want)
		}
	}
}

func TestUnknownDates(t *testing.T) {
	l2 := []byte(utoTD3L2)
	copy(l2[13:20], "<<<<<<0") // unknown birth date: fillers count 0, so its check digit is 0
	m, err := ParseAt(utoTD3L1+"\n"+string(l2), now)
	if err != nil {
		t.Fatal(err)
	}
	if m.BirthDate.Known() || m.BirthDate.Raw != "<<<<<<" || m.BirthDate.String() != "" {
		t.Errorf("BirthDate = %+v, want unknown", m.BirthDate)
	}
	if len(m.Problems) != 0 {
		t.Errorf("problems %q", m.Problems)
	}
	for _, c := range m.Checks {
		if c.Name == CheckBirthDate && !c.OK {
			t.Errorf("unknown date with check digit 0 failed: %+v", c)
		}
	}
	// A filler in the date's check digit is not a digit: only the TD3 personal number may have it.
	copy(l2[13:20], "<<<<<<<")
	if m, err = ParseAt(utoTD3L1+"\n"+string(l2), now); err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Checks {
		if c.Name == CheckBirthDate && c.OK {
			t.Errorf("an unknown date with '<' for its check digit passed: %+v", c)
		}
	}
	// Partly unknown (day not known) is allowed too, as ICAO 9303 part 3 permits.
	copy(l2[13:20], "7408<<0")
	m, err = ParseAt(utoTD3L1+"\n"+string(l2), now)
	if err != nil {
		t.Fatal(err)
	}
	if m.BirthDate.Known() || len(m.Problems) != 0 {
		t.Errorf("partly unknown date: %+v, problems %q", m.BirthDate, m.Problems)
	}
}

func TestPersonalNumberFillerCheck(t *testing.T) {
	for _, check := range []string{"<", "0"} {
		l2 := "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<" + check
		l2 += digit(l2[0:10] + l2[13:20] + l2[21:43])
		m, err := ParseAt(utoTD3L1+"\n"+l2, now)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Valid() || m.PersonalNumber != "" {
			t.Errorf("empty personal number with check %q: valid %v, failed %+v", check, m.Valid(), m.Failed())
		}
	}
}

func TestTD1LongDocumentNumber(t *testing.T) {
	// ICAO 9303 part 5's example of a twelve-character number: D23145890734, check digit 9.
	l1 := "I<UTOD23145890<7349<<<<<<<<<<<"
	l2 := "7408122F1204159UTO<<<<<<<<<<<"
	l2 += digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
	m, err := ParseAt(l1+"\n"+l2+"\n"+utoTD1L3, now)
	if err != nil {
		t.Fatal(err)
	}
	if m.DocumentNumber != "D23145890734" || m.OptionalData1 != "" || !m.Valid() {
		t.Errorf("number %q optional %q valid %v failed %+v", m.DocumentNumber, m.OptionalData1, m.Valid(), m.Failed())
	}
	if c := m.Checks[0]; c.Name != CheckDocumentNumber || c.Field != "D23145890734" || c.Expected != '9' {
		t.Errorf("document number check = %+v", c)
	}
	// The continuation's check digit is covered like any other.
	bad := "I<UTOD23145890<7348<<<<<<<<<<<"
	m, err = ParseAt(bad+"\n"+l2+"\n"+utoTD1L3, now)
	if err != nil {
		t.Fatal(err)
	}
	if m.Checks[0].OK || m.Checks[0].Found != '8' || m.Checks[0].Expected != '9' {
		t.Errorf("mutated continuation check = %+v", m.Checks[0])
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"", '0'},
		{"<<<<<<", '0'},
		{"L898902C3", '6'},
		{"740812", '2'},
		{"120415", '9'},
		{"ZE184226B<<<<<", '1'},
		{"D23145890", '7'},
		{"D23145890734", '9'},
		{"520727", '3'},
		{"AB2134<<<", '5'},
	}
	for _, tt := range tests {
		got, err := CheckDigit(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CheckDigit(%q) = %c, %v; want %c", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"abc", "L898 902", "É"} {
		if _, err := CheckDigit(bad); !errors.Is(err, ErrCharacter) {
			t.Errorf("CheckDigit(%q) error = %v, want ErrCharacter", bad, err)
		}
	}
}

// TestDigitsWhereLettersBelong: 'O' read as '0' in a code, a state, a nationality or a name
// changes no check digit, so the zone is refused for the character itself, in every format.
func TestDigitsWhereLettersBelong(t *testing.T) {
	td3 := []string{utoTD3L1, utoTD3L2}
	td1 := []string{utoTD1L1, utoTD1L2, utoTD1L3}
	swap := func(lines []string, line, at int, c byte) string {
		out := append([]string(nil), lines...)
		b := []byte(out[line])
		b[at] = c
		out[line] = string(b)
		return strings.Join(out, "\n")
	}
	for _, tt := range []struct {
		name, zone, want string
	}{
		{"TD3 issuing state", swap(td3, 0, 4, '0'), "issuing state"},
		{"TD3 surname", swap(td3, 0, 11, '0'), "name"},
		{"TD3 nationality", swap(td3, 1, 12, '0'), "nationality"},
		{"TD3 document code", swap(td3, 0, 1, '0'), "document code"},
		{"TD1 issuing state", swap(td1, 0, 4, '0'), "issuing state"},
		{"TD1 nationality", swap(td1, 1, 17, '0'), "nationality"},
		{"TD1 given name", swap(td1, 2, 11, '0'), "name"},
	} {
		m, err := ParseAt(tt.zone, now)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if m.Valid() || len(m.Problems) != 1 || !strings.HasPrefix(m.Problems[0], tt.want+" ") {
			t.Errorf("%s: valid %v, problems %q", tt.name, m.Valid(), m.Problems)
		}
	}
	for _, ok := range [][]string{td3, td1} {
		if m, err := ParseAt(strings.Join(ok, "\n"), now); err != nil || !m.Valid() {
			t.Errorf("the specimen itself: %v %+v", err, m)
		}
	}
}
