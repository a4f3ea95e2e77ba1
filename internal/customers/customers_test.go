package customers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestCustomerFormChecksCountryCodes: the new-customer form suggests the codes by name, refuses a
// code that is not one on its field with the reason (422), and shows back everything as typed.
func TestCustomerFormChecksCountryCodes(t *testing.T) {
	app := testenv.NewApp(t)
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))

	page := c.Get(t, "/customers/new").Doc(t)
	if got := page.Find(`#country-codes option[value="DEU"]`).Text(); got != "Germany" {
		t.Errorf("the nationality list names DEU %q", got)
	}
	if page.Find(`#country-codes option[value="XXA"]`).Length() != 1 || page.Find(`#residence-codes option[value="XXA"]`).Length() != 0 {
		t.Error("XXA (stateless) is a nationality, not a country of residence")
	}
	if page.Find(`#nationality[list="country-codes"]`).Length() != 1 || page.Find(`#residence_country[list="residence-codes"]`).Length() != 1 {
		t.Error("the country fields do not suggest from their lists")
	}

	typed := url.Values{"given_names": {"Anna"}, "surname": {"Eriksson"}, "date_of_birth": {"1974-08-12"}, "nationality": {"xyz"},
		"residence_country": {"United Kingdom"}, "email": {"anna@example.com"}, "external_ref": {"form-1"}}
	r := c.PostForm(t, "/customers", typed)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown codes: %d", r.Status)
	}
	doc := r.Doc(t)
	for sel, want := range map[string]string{
		"#nationality-error":       "xyz is not a country code (ISO 3166-1 alpha-3",
		"#residence_country-error": "United Kingdom is not a country code (ISO 3166-1 alpha-3): for United Kingdom of Great Britain and Northern Ireland, use GBR.",
	} {
		if got := doc.Find(sel).Text(); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	for field, want := range map[string]string{"nationality": "xyz", "residence_country": "United Kingdom", "surname": "Eriksson",
		"date_of_birth": "1974-08-12", "email": "anna@example.com", "external_ref": "form-1"} {
		if got := doc.Find("#"+field).AttrOr("value", ""); got != want {
			t.Errorf("%s shows %q, want %q as typed", field, got, want)
		}
	}

	typed.Set("nationality", "D")
	typed.Set("residence_country", "gbr")
	if r := c.PostForm(t, "/customers", typed); r.Status != http.StatusSeeOther {
		t.Fatalf("real codes: %d %s", r.Status, r.Doc(t).Find(".error").Text())
	}
	var nat, res string
	if err := app.Pool.QueryRow(context.Background(), "SELECT nationality, residence_country FROM customers WHERE external_ref = 'form-1'").Scan(&nat, &res); err != nil {
		t.Fatal(err)
	}
	if nat != "DEU" || res != "GBR" {
		t.Fatalf("stored %q %q, want DEU GBR", nat, res)
	}
}
