package normalize

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The codes kycdesk stores for a nationality, a document's issuing country and a country of
// residence, and the one rule every form, the intake API and the queue's filter read them by.

// icaoPlaces are the ICAO-only codes that name a place a person can live in: Kosovo, which has no
// ISO 3166-1 code, and ICAO's specimen state Utopia, which the demo customers come from. The
// other ICAO codes name a status (stateless, refugee, a British nationality class) or an
// organisation that issues travel documents, never where somebody lives.
var icaoPlaces = map[string]bool{"RKS": true, "UTO": true}

var (
	byCode       = buildByCode()
	countryCodes = sortedCodes(append(Countries(), icaoCodes...))
	placeCodes   = sortedCodes(append(Countries(), slices.DeleteFunc(slices.Clone(icaoCodes), func(c Country) bool { return !icaoPlaces[c.Alpha3] })...))
)

func buildByCode() map[string]Country {
	m := map[string]Country{}
	for _, c := range append(Countries(), icaoCodes...) {
		m[c.Alpha3] = c
	}
	return m
}

func sortedCodes(cs []Country) []Country {
	slices.SortFunc(cs, func(a, b Country) int { return strings.Compare(a.Alpha3, b.Alpha3) })
	return cs
}

// CountryCodes lists, by code, every code a nationality or a document's issuing country may
// take: ISO 3166-1 alpha-3 and the codes ICAO 9303 adds for travel documents (GBD, XXA, EUE,
// UNO …), each with its name.
func CountryCodes() []Country { return slices.Clone(countryCodes) }

// ResidenceCodes lists, by code, every code a country of residence may take: ISO 3166-1
// alpha-3, Kosovo (RKS) and ICAO's specimen state Utopia (UTO).
func ResidenceCodes() []Country { return slices.Clone(placeCodes) }

// ParseCountryCode reads a nationality or a document's issuing country as a person or a client
// types it: a code of CountryCodes in any case, or Germany's one-letter code D (as machine-readable
// zones print it, also as "D<<"), which is DEU. It returns the code to store, or the field's
// message when s is not one, naming the code to use when s names a country another way
// ("Germany", "DE", "UK").
func ParseCountryCode(s string) (code, problem string) {
	if code, ok := readCode(s); ok {
		return code, ""
	}
	return "", notACode(s, false)
}

// ParseResidenceCode reads a country of residence as ParseCountryCode reads a nationality, but
// takes only the codes of ResidenceCodes: XXA (stateless) or EUE (the European Union) are not
// somewhere a person lives.
func ParseResidenceCode(s string) (code, problem string) {
	code, ok := readCode(s)
	switch {
	case ok && (byCode[code].Alpha2 != "" || icaoPlaces[code]):
		return code, ""
	case ok:
		return "", fmt.Sprintf("%s (%s) is not a country one lives in. Use the code of the country of residence, like GBR.", code, byCode[code].Name)
	}
	return "", notACode(s, true)
}

// readCode is the code s stands for, when it is one.
func readCode(s string) (string, bool) {
	code := strings.ToUpper(strings.TrimSpace(s))
	if strings.TrimRight(code, "<") == "D" {
		return "DEU", true
	}
	if _, ok := byCode[code]; ok {
		return code, true
	}
	return "", false
}

// notACode is the message for s, which is no code: with the code to use when s names a country
// in another way.
func notACode(s string, place bool) string {
	s = strings.TrimSpace(s)
	shown := s
	if utf8.RuneCountInString(s) > 40 || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		shown = "This"
	}
	if c, ok := LookupCountry(s); ok && (!place || c.Alpha2 != "" || icaoPlaces[c.Alpha3]) {
		return fmt.Sprintf("%s is not a country code (ISO 3166-1 alpha-3): for %s, use %s.", shown, c.Name, c.Alpha3)
	}
	if place {
		return fmt.Sprintf("%s is not a country code (ISO 3166-1 alpha-3). Use three letters, like GBR.", shown)
	}
	return fmt.Sprintf("%s is not a country code (ISO 3166-1 alpha-3, or one ICAO 9303 adds for travel documents). Use three letters, like GBR.", shown)
}
