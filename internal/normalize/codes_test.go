package normalize

import (
	"strings"
	"testing"
)

func TestParseCountryCode(t *testing.T) {
	for in, want := range map[string]string{
		"GBR": "GBR", "gbr": "GBR", " deu ": "DEU", "MYS": "MYS", "D": "DEU", "d": "DEU", "D<<": "DEU",
		// The codes ICAO 9303 adds for travel documents.
		"GBD": "GBD", "GBN": "GBN", "GBO": "GBO", "GBP": "GBP", "GBS": "GBS", "UNO": "UNO", "UNA": "UNA", "UNK": "UNK",
		"XXA": "XXA", "XXB": "XXB", "XXC": "XXC", "XXX": "XXX", "XOM": "XOM", "XPO": "XPO", "XCC": "XCC", "XES": "XES",
		"EUE": "EUE", "RKS": "RKS", "XBA": "XBA", "XIM": "XIM", "XCE": "XCE", "XCO": "XCO", "XEC": "XEC", "XMP": "XMP",
		"XDC": "XDC", "UTO": "UTO",
	} {
		if got, problem := ParseCountryCode(in); got != want || problem != "" {
			t.Errorf("ParseCountryCode(%q) = %q, %q; want %q", in, got, problem, want)
		}
	}
	for in, want := range map[string]string{
		"XYZ":                   "XYZ is not a country code (ISO 3166-1 alpha-3, or one ICAO 9303 adds for travel documents). Use three letters, like GBR.",
		"AAA":                   "AAA is not a country code (ISO 3166-1 alpha-3",
		"Germany":               "Germany is not a country code (ISO 3166-1 alpha-3): for Germany, use DEU.",
		"DE":                    "DE is not a country code (ISO 3166-1 alpha-3): for Germany, use DEU.",
		"UK":                    "for United Kingdom of Great Britain and Northern Ireland, use GBR.",
		"Malaysia":              "use MYS",
		"G1":                    "G1 is not a country code",
		"GBRR":                  "GBRR is not a country code",
		"ANT":                   "ANT is not a country code", // withdrawn: no document naming it is still valid
		"<<":                    "<< is not a country code",
		strings.Repeat("X", 41): "This is not a country code",
		"A\x00B":                "This is not a country code",
	} {
		got, problem := ParseCountryCode(in)
		if got != "" || !strings.Contains(problem, want) {
			t.Errorf("ParseCountryCode(%q) = %q, %q; want a problem with %q", in, got, problem, want)
		}
	}
}

func TestParseResidenceCode(t *testing.T) {
	for in, want := range map[string]string{"GBR": "GBR", "fra": "FRA", "D": "DEU", "RKS": "RKS", "UTO": "UTO", "ATA": "ATA"} {
		if got, problem := ParseResidenceCode(in); got != want || problem != "" {
			t.Errorf("ParseResidenceCode(%q) = %q, %q; want %q", in, got, problem, want)
		}
	}
	for in, want := range map[string]string{
		"XXA":       "XXA (Stateless person) is not a country one lives in.",
		"EUE":       "EUE (European Union) is not a country one lives in.",
		"GBD":       "is not a country one lives in",
		"XYZ":       "XYZ is not a country code (ISO 3166-1 alpha-3). Use three letters, like GBR.",
		"France":    "France is not a country code (ISO 3166-1 alpha-3): for France, use FRA.",
		"Stateless": "Stateless is not a country code (ISO 3166-1 alpha-3). Use three letters",
	} {
		got, problem := ParseResidenceCode(in)
		if got != "" || !strings.Contains(problem, want) {
			t.Errorf("ParseResidenceCode(%q) = %q, %q; want a problem with %q", in, got, problem, want)
		}
	}
}

// TestCodeLists: every listed code reads as itself, the lists are sorted and without duplicates,
// residence codes are a part of the nationality ones, and every ICAO code is a nationality code.
func TestCodeLists(t *testing.T) {
	all, places := CountryCodes(), ResidenceCodes()
	if len(all) != len(Countries())+len(icaoCodes) || len(places) != len(Countries())+len(icaoPlaces) {
		t.Fatalf("%d country codes and %d residence codes", len(all), len(places))
	}
	for name, list := range map[string][]Country{"country": all, "residence": places} {
		for i, c := range list {
			if i > 0 && list[i-1].Alpha3 >= c.Alpha3 {
				t.Errorf("%s codes: %s after %s", name, c.Alpha3, list[i-1].Alpha3)
			}
			if len(c.Alpha3) != 3 || !isLetters(c.Alpha3) || c.Name == "" {
				t.Errorf("%s codes: malformed %+v", name, c)
			}
		}
	}
	for _, c := range all {
		if got, problem := ParseCountryCode(c.Alpha3); got != c.Alpha3 || problem != "" {
			t.Errorf("ParseCountryCode(%q) = %q, %q", c.Alpha3, got, problem)
		}
	}
	for _, c := range places {
		if got, problem := ParseResidenceCode(c.Alpha3); got != c.Alpha3 || problem != "" {
			t.Errorf("ParseResidenceCode(%q) = %q, %q", c.Alpha3, got, problem)
		}
	}
	// The lists are copies: a caller cannot change the rule.
	all[0].Alpha3 = "ZZZ"
	if _, problem := ParseCountryCode("ZZZ"); problem == "" || CountryCodes()[0].Alpha3 == "ZZZ" {
		t.Error("changing the returned list changed the codes")
	}
}
