package normalize

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/vendors"
)

var now = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func TestCountriesTable(t *testing.T) {
	list := Countries()
	if len(list) != 249 {
		t.Fatalf("%d countries, want the 249 of ISO 3166-1", len(list))
	}
	a2, a3 := map[string]bool{}, map[string]bool{}
	for _, c := range list {
		if len(c.Alpha2) != 2 || len(c.Alpha3) != 3 || c.Name == "" || !isLetters(c.Alpha2) || !isLetters(c.Alpha3) {
			t.Errorf("malformed entry %+v", c)
		}
		if a2[c.Alpha2] || a3[c.Alpha3] {
			t.Errorf("duplicate code in %+v", c)
		}
		a2[c.Alpha2], a3[c.Alpha3] = true, true
		// Every entry is found by each of its codes and by its name.
		for _, s := range []string{c.Alpha2, c.Alpha3, c.Name, strings.ToUpper(c.Name)} {
			if got, ok := LookupCountry(s); !ok || got.Alpha3 != c.Alpha3 {
				t.Errorf("LookupCountry(%q) = %+v, %v; want %s", s, got, ok, c.Alpha3)
			}
		}
	}
	if len(demonyms) < 60 {
		t.Errorf("only %d demonyms", len(demonyms))
	}
	for k, code := range demonyms {
		if c, ok := countryIndex[k]; !ok || c.Alpha3 != code {
			t.Errorf("demonym %q does not resolve to %s", k, code)
		}
	}
	for k, code := range nameAliases {
		if c, ok := countryIndex[k]; !ok || c.Alpha3 != code {
			t.Errorf("alias %q does not resolve to %s", k, code)
		}
	}
}

func TestLookupCountry(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"MYS", "MYS"}, {"MY", "MYS"}, {"Malaysia", "MYS"}, {"MALAYSIAN", "MYS"}, {"malaysian", "MYS"},
		{"GBR", "GBR"}, {"GB", "GBR"}, {"UK", "GBR"}, {"UNITED KINGDOM", "GBR"}, {"BRITISH", "GBR"},
		{"BRITISH CITIZEN", "GBR"}, {"British citizen", "GBR"}, {"GBD", "GBD"}, {"GBN", "GBN"}, {"GBO", "GBO"},
		{"GBP", "GBP"}, {"GBS", "GBS"}, {"British National (Overseas)", "GBN"},
		{"D", "DEU"}, {"DEU", "DEU"}, {"Germany", "DEU"}, {"DEUTSCH", "DEU"}, {"Deutschland", "DEU"}, {"GERMAN", "DEU"},
		{"UTO", "UTO"}, {"UTOPIAN", "UTO"}, {"Utopia", "UTO"},
		{"FRANÇAISE", "FRA"}, {"Française", "FRA"}, {"ESPAÑOLA", "ESP"}, {"España", "ESP"}, {"SINGAPOREAN", "SGP"},
		{"EUE", "EUE"}, {"UNO", "UNO"}, {"XXA", "XXA"}, {"Stateless", "XXA"}, {"RKS", "RKS"}, {"XK", "RKS"},
		{"Korea, Republic of", "KOR"}, {"South Korea", "KOR"}, {"KOREA", "KOR"}, {"North Korea", "PRK"},
		{"Bolivia", "BOL"}, {"Iran", "IRN"}, {"Vietnam", "VNM"}, {"Viet Nam", "VNM"}, {"VIETNAMESE", "VNM"},
		{"Côte d'Ivoire", "CIV"}, {"COTE D'IVOIRE", "CIV"}, {"Ivory Coast", "CIV"}, {"Türkiye", "TUR"}, {"Turkey", "TUR"},
		{"United States", "USA"}, {"U.S.A.", "USA"}, {"AMERICAN", "USA"}, {"FILIPINO", "PHL"}, {"THAI", "THA"},
		{"the Netherlands", "NLD"}, {"Dutch", "NLD"}, {"Congo, Democratic Republic of the", "COD"}, {"Congo", "COG"},
		{"  mys  ", "MYS"}, {"gbr", "GBR"}, {"Åland Islands", "ALA"}, {"Curacao", "CUW"},
	}
	for _, c := range cases {
		got, ok := LookupCountry(c.in)
		if !ok || got.Alpha3 != c.want {
			t.Errorf("LookupCountry(%q) = %q, %v; want %q", c.in, got.Alpha3, ok, c.want)
		}
	}
	for _, in := range []string{"", "in", "Atlantis", "XYZ", "12", "<<<", "British Empire"} {
		if got, ok := LookupCountry(in); ok {
			t.Errorf("LookupCountry(%q) = %+v, want not found", in, got)
		}
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		role DateRole
		want string // "" = not a date
	}{
		{"1992-12-12", DateAny, "1992-12-12"},
		{"1992-12-12T00:00:00Z", DateAny, "1992-12-12"},
		{"1992-12-12T23:59:59.999+08:00", DateAny, "1992-12-12"},
		{"1992-12-12 08:00:00", DateAny, "1992-12-12"},
		{"12/12/1992", DateAny, "1992-12-12"},
		{"03/04/1992", DateAny, "1992-04-03"}, // day first
		{"12/25/1992", DateAny, "1992-12-25"}, // the American order when the day-first one is impossible
		{"12.12.1992", DateAny, "1992-12-12"},
		{"1.2.1992", DateAny, "1992-02-01"},
		{"12-12-1992", DateAny, "1992-12-12"},
		{"1992/12/12", DateAny, "1992-12-12"},
		{"19921212", DateAny, "1992-12-12"},
		{"12 DEC 1992", DateAny, "1992-12-12"},
		{"12 Dec 1992", DateAny, "1992-12-12"},
		{"12-DEC-1992", DateAny, "1992-12-12"},
		{"Dec 12, 1992", DateAny, "1992-12-12"},
		{"December 12, 1992", DateAny, "1992-12-12"},
		{"12 DÉC/DEC 92", DateBirth, "1992-12-12"},
		{"12 JANV/JAN 30", DateExpiry, "2030-01-12"},
		{"1992 DEC 12", DateAny, "1992-12-12"},
		{"05 MÄRZ 2001", DateAny, "2001-03-05"},
		{"3 août 2001", DateAny, "2001-08-03"},
		// The MRZ's YYMMDD with its century rules.
		{"921212", DateBirth, "1992-12-12"},
		{"101212", DateBirth, "2010-12-12"},
		{"261212", DateBirth, "1926-12-12"}, // would be after now
		{"260615", DateBirth, "2026-06-15"}, // today is not after now
		{"340309", DateExpiry, "2034-03-09"},
		{"990101", DateExpiry, "1999-01-01"}, // 2099 is more than 50 years ahead
		{"760101", DateExpiry, "2076-01-01"},
		{"770101", DateExpiry, "1977-01-01"},
		{"261212", DateIssue, "1926-12-12"},
		{"12.12.92", DateBirth, "1992-12-12"},
		// Not dates.
		{"", DateAny, ""}, {"31/02/1992", DateAny, ""}, {"1992-13-01", DateAny, ""}, {"921312", DateBirth, ""},
		{"<<<<<<", DateBirth, ""}, {"12 FOO 1992", DateAny, ""}, {"12 JAN FEB 1992", DateAny, ""},
		{"yesterday", DateAny, ""}, {"1992", DateAny, ""}, {"12dec1992", DateAny, ""}, {"13/13/1992", DateAny, ""},
	}
	for _, c := range cases {
		got, ok := ParseDate(c.in, c.role, now)
		s := ""
		if ok {
			s = got.Format(time.DateOnly)
		}
		if s != c.want {
			t.Errorf("ParseDate(%q, %d) = %q, want %q", c.in, c.role, s, c.want)
		}
	}
}

func TestExpiredAndAge(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	for _, c := range []struct {
		expiry string
		want   bool
	}{{"2026-06-14", true}, {"2026-06-15", false}, {"2026-06-16", false}, {"2010-01-01", true}, {"2034-03-09", false}} {
		if got := Expired(d(c.expiry), now); got != c.want {
			t.Errorf("Expired(%s) = %v", c.expiry, got)
		}
	}
	for _, c := range []struct {
		dob  string
		want int
	}{{"2008-06-15", 18}, {"2008-06-16", 17}, {"2008-06-14", 18}, {"1955-04-28", 71}, {"2013-01-01", 13}, {"2026-06-15", 0}} {
		if got := Age(d(c.dob), now); got != c.want {
			t.Errorf("Age(%s) = %d, want %d", c.dob, got, c.want)
		}
	}
	leap := time.Date(2008, 2, 29, 0, 0, 0, 0, time.UTC)
	if Age(leap, time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)) != 17 || Age(leap, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) != 18 {
		t.Error("a 29 February birthday turns over on 1 March")
	}
}

func TestSexAndDocumentType(t *testing.T) {
	for in, want := range map[string]string{"M": "M", "m": "M", "MALE": "M", "Male": "M", "1": "M", "F": "F", "FEMALE": "F",
		"female": "F", "2": "F", "X": "X", "<": "X", "unspecified": "X", "Masculino": "M", "weiblich": "F"} {
		if got, ok := Sex(in); !ok || got != want {
			t.Errorf("Sex(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "3", "MF", "yes"} {
		if got, ok := Sex(in); ok {
			t.Errorf("Sex(%q) = %q, want refused", in, got)
		}
	}
	for in, want := range map[string]string{"passport": "passport", "PASSPORT": "passport", "INTERNATIONAL PASSPORT": "passport",
		"P": "passport", "national_id": "national_id", "ID_CARD": "national_id", "NATIONAL IDENTITY CARD": "national_id",
		"ID": "national_id", "I": "national_id", "DRIVERS_LICENSE": "driving_licence", "Driving licence": "driving_licence",
		"driving_licence": "driving_licence", "RESIDENCE_PERMIT": "residence_permit", "residence permit": "residence_permit",
		"V": "visa", "OTHER": "other", "identification_card": "national_id", "government_id": "national_id",
		"passport_plus": "passport", "NATIONAL_ID": "national_id", "DRIVING_LICENSE": "driving_licence", "drivers_license": "driving_licence",
		"OTHERS": "other"} {
		if got, ok := DocumentType(in); !ok || got != want {
			t.Errorf("DocumentType(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := DocumentType("library card"); ok {
		t.Error("library card is not a document type")
	}
}

func TestNameKey(t *testing.T) {
	same := [][]string{
		{"MÜLLER", "MUELLER", "Muller", "müller", "MULLER"},
		{"SOLVANG-TEOH", "SOLVANG TEOH", "SOLVANG<TEOH", "Solvang-Teoh", "SOLVANGTEOH"},
		{"O'BRIEN", "OBRIEN", "O’Brien"},
		{"NÚÑEZ-OLVERA", "NUNEZ OLVERA", "NUNEZ<OLVERA"},
		{"BJØRNAVIK", "BJOERNAVIK", "BJORNAVIK"},
		{"STRAẞE", "STRASSE"},
		{"ÅSA", "AASA", "ASA"},
		{"  anna   maria ", "ANNA MARIA", "ANNA<MARIA"},
	}
	for _, group := range same {
		want := NameKey(group[0], false)
		for _, s := range group[1:] {
			if got := NameKey(s, false); got != want {
				t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: should agree", group[0], want, s, got)
			}
		}
	}
	if NameKey("ANNA MARIA", true) != NameKey("MARIA ANNA", true) {
		t.Error("given names in another order should agree")
	}
	if NameKey("ERIKSSON ANNA", false) == NameKey("ANNA ERIKSSON", false) {
		t.Error("a surname's word order matters")
	}
	if NameKey("ELSWORTHIN", false) == NameKey("ELSWROTHIN", false) {
		t.Error("swapped letters are a different name")
	}
	if got := NameTokens("O'Brien-Smith<<JOSÉ"); !reflect.DeepEqual(got, []string{"obrien", "smith", "jose"}) {
		t.Errorf("NameTokens = %q", got)
	}
}

func TestNormalise(t *testing.T) {
	cases := []struct {
		field      vendors.FieldName
		in         string
		normal     string
		understood bool
	}{
		{vendors.Surname, "Müller-Lüdenscheidt", "MULLER LUDENSCHEIDT", true},
		{vendors.DateOfBirth, "28/04/1955", "1955-04-28", true},
		{vendors.DateOfBirth, "not a date", "NOT A DATE", false},
		{vendors.Nationality, "MALAYSIAN", "MYS", true},
		{vendors.Nationality, "Atlantean", "ATLANTEAN", false},
		{vendors.IssuingCountry, "UNITED KINGDOM", "GBR", true},
		{vendors.Sex, "female", "F", true},
		{vendors.DocumentNumber, "dp 027<9867", "DP0279867", true},
		{vendors.PersonalNumber, "850101-14-5566", "850101145566", true},
		{vendors.Address, "105 Lantern Hill,  LEEDS", "105 LANTERN HILL LEEDS", true},
		{vendors.DocumentType, "INTERNATIONAL PASSPORT", "passport", true},
		{vendors.MRZLine2, " l898902c36 UTO7408122F1204159ZE184226B<<<<<10 ", "L898902C36UTO7408122F1204159ZE184226B<<<<<10", true},
		{vendors.FieldName("colour"), "Dark-Blue", "DARK BLUE", true},
		{vendors.Surname, "", "", false},
	}
	for _, c := range cases {
		v := Normalise(c.field, c.in, now)
		if v.Normal != c.normal || v.Understood != c.understood {
			t.Errorf("Normalise(%s, %q) = %q understood=%v; want %q %v", c.field, c.in, v.Normal, v.Understood, c.normal, c.understood)
		}
	}
	if v := Normalise(vendors.Nationality, "MALAYSIAN", now); v.Note != "Malaysia" {
		t.Errorf("note %q", v.Note)
	}
	if v := Normalise(vendors.Nationality, "MYS", now); v.Note != "" {
		t.Errorf("a code needs no note: %q", v.Note)
	}
}

func TestCompare(t *testing.T) {
	type want struct {
		disagree bool
		groups   [][]string
	}
	cases := []struct {
		name    string
		field   vendors.FieldName
		sources map[string]string
		want    want
	}{
		{"dates in vendor formats agree", vendors.ExpiryDate,
			map[string]string{"cynopsis": "2034-03-09", "argos": "09.03.2034", "ooto": "2034-03-09T00:00:00Z", "mrz": "340309", "declared": "9 MAR 2034"},
			want{false, [][]string{{"argos", "cynopsis", "declared", "mrz", "ooto"}}}},
		{"one vendor misreads the expiry", vendors.ExpiryDate,
			map[string]string{"apptenticate": "2034-03-09", "argos": "2031-03-09", "cynopsis": "2034-03-09", "ooto": "2034-03-09", "mrz": "2034-03-09"},
			want{true, [][]string{{"apptenticate", "cynopsis", "mrz", "ooto"}, {"argos"}}}},
		{"nationality as code, alpha-2, name and demonym", vendors.Nationality,
			map[string]string{"a": "MYS", "b": "MY", "c": "MALAYSIAN", "d": "Malaysia"},
			want{false, [][]string{{"a", "b", "c", "d"}}}},
		{"Germany's D", vendors.Nationality, map[string]string{"mrz": "D", "cynopsis": "DEUTSCH", "declared": "DEU"},
			want{false, [][]string{{"cynopsis", "declared", "mrz"}}}},
		{"British variants are different nationalities", vendors.Nationality, map[string]string{"mrz": "GBD", "vendor": "BRITISH"},
			want{true, [][]string{{"mrz"}, {"vendor"}}}},
		{"names: case, accents, fillers, transliteration", vendors.Surname,
			map[string]string{"mrz": "MUELLERSTRANDE", "argos": "MÜLLERSTRANDE", "declared": "Müllerstrande", "ooto": "MULLERSTRANDE"},
			want{false, [][]string{{"argos", "declared", "mrz", "ooto"}}}},
		{"swapped letters in a surname", vendors.Surname, map[string]string{"cynopsis": "ELWSORTHIN", "argos": "ELSWORTHIN", "mrz": "ELSWORTHIN"},
			want{true, [][]string{{"argos", "mrz"}, {"cynopsis"}}}},
		{"full name in either order", vendors.FullName, map[string]string{"a": "EMIL ELSWORTHIN", "b": "ELSWORTHIN, EMIL", "c": "Emil Elsworthin"},
			want{false, [][]string{{"a", "b", "c"}}}},
		{"document number: O is not 0", vendors.DocumentNumber, map[string]string{"a": "DP0279867", "b": "DPO279867", "c": "dp 0279867"},
			want{true, [][]string{{"a", "c"}, {"b"}}}},
		{"sex in words and digits", vendors.Sex, map[string]string{"a": "M", "b": "MALE", "c": "1"},
			want{false, [][]string{{"a", "b", "c"}}}},
		{"empty values are left out", vendors.Sex, map[string]string{"a": "F", "b": "", "c": "  "},
			want{false, [][]string{{"a"}}}},
		{"three-way split", vendors.DateOfBirth, map[string]string{"a": "1990-01-02", "b": "1990-02-01", "c": "1991-01-02"},
			want{true, [][]string{{"a"}, {"b"}, {"c"}}}},
		{"nothing", vendors.Address, map[string]string{}, want{false, nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CompareAt(c.field, c.sources, now)
			var groups [][]string
			for _, g := range got.Groups {
				groups = append(groups, g.Sources)
			}
			if got.Disagree != c.want.disagree || !reflect.DeepEqual(groups, c.want.groups) {
				t.Errorf("disagree=%v groups=%v; want %v %v", got.Disagree, groups, c.want.disagree, c.want.groups)
			}
			for s, r := range got.Readings {
				if !reflect.DeepEqual(got.Groups[r.Group].Sources, groups[r.Group]) || !contains(groups[r.Group], s) {
					t.Errorf("reading %s points at the wrong group", s)
				}
			}
		})
	}
	c := CompareAt(vendors.ExpiryDate, map[string]string{"a": "2034-03-09", "b": "09/03/2034", "c": "2031-03-09"}, now)
	if !c.Agree("a", "b") || c.Agree("a", "c") || c.Agree("a", "missing") {
		t.Error("Agree")
	}
	if m, ok := c.Majority(); !ok || m.Value != "2034-03-09" {
		t.Errorf("majority %+v %v", m, ok)
	}
	if _, ok := CompareAt(vendors.Sex, map[string]string{"a": "M", "b": "F"}, now).Majority(); ok {
		t.Error("a tie has no majority")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
