package loadtest

import (
	"testing"

	"kycdesk/internal/normalize"
)

// TestCountriesAreCodesCustomersMayHave: the seeder writes its rows without the customers'
// checks, so it must only use codes those checks accept: each nationality (also the documents'
// issuing country) and each country of residence.
func TestCountriesAreCodesCustomersMayHave(t *testing.T) {
	for _, c := range countries {
		if got, problem := normalize.ParseCountryCode(c.code); got != c.code || problem != "" {
			t.Errorf("nationality %s: %q, %q", c.code, got, problem)
		}
		if got, problem := normalize.ParseResidenceCode(c.code); got != c.code || problem != "" {
			t.Errorf("%s, where most of its people live: %q, %q", c.code, got, problem)
		}
	}
	for _, h := range homes {
		if got, problem := normalize.ParseResidenceCode(h.code); got != h.code || problem != "" {
			t.Errorf("home %s: %q, %q", h.code, got, problem)
		}
	}
	for code := range places {
		if got, problem := normalize.ParseResidenceCode(code); got != code || problem != "" {
			t.Errorf("places of %s: %q, %q", code, got, problem)
		}
	}
}
