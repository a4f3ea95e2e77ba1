package intake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/intake"
	"kycdesk/internal/testenv"
)

// TestValidationGaps: what a tester found accepted is refused on its field (422): a phone of
// separators only, a surname of a zero-width space, a document issued in 2099, a date of birth
// of today; a member sent twice is refused by name rather than the last one kept; and the
// external reference is looked up trimmed, as it is stored.
func TestValidationGaps(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	post := func(body string) testenv.Response {
		return c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(body))
	}
	today := time.Now().UTC().Format("2006-01-02")
	turned := 0 // customers created because the day turned mid-request
	for body, want := range map[string][2]string{
		`{"surname":"A","phone":"+   ()"}`: {"phone", "Use 4 to 32 digits"},
		`{"surname":"A","phone":"----"}`:   {"phone", "Use 4 to 32 digits"},
		`{"surname":"\u200b"}`:             {"surname", "Enter the surname."},
		`{"surname":"A","documents":[{"type":"passport","issue_date":"2099-01-01"}]}`: {"documents[0].issue_date", "The issue date cannot be in the future."},
		`{"surname":"A","date_of_birth":"` + today + `"}`:                             {"date_of_birth", "must be in the past"},
		`{"surname":"A","surname":"B"}`:                                               {"surname", "sent more than once"},
		`{"surname":"A","documents":[{"type":"passport","number":"1","number":"2"}]}`: {"documents[0].number", "sent more than once"},
	} {
		r := post(body)
		if strings.Contains(body, today) && time.Now().UTC().Format("2006-01-02") != today {
			// The day turned during the request: "today" may have been yesterday for the server.
			if r.Status == http.StatusCreated {
				turned++
			}
			continue
		}
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldMsg(decodeErr(t, r), want[0]), want[1]) {
			t.Errorf("%s: %d %s; want 422 with %q on %s", body, r.Status, r.Body, want[1], want[0])
		}
	}
	var count int
	if err := app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM customers").Scan(&count); err != nil || count != turned {
		t.Fatalf("%d customers stored from refused requests", count)
	}

	if r := post(`{"surname":"A","external_ref":" QA-1 "}`); r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r := c.API(t, "GET", "/api/v1/customers?external_ref="+url.QueryEscape(" QA-1 "), token, "", nil)
	var got intake.CustomerJSON
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || r.Status != http.StatusOK || got.ExternalRef == nil || *got.ExternalRef != "QA-1" {
		t.Fatalf("lookup of \" QA-1 \": %d %s", r.Status, r.Body)
	}
	if r := c.API(t, "GET", "/api/v1/customers?external_ref=%20", token, "", nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("lookup of a blank reference: %d %s", r.Status, r.Body)
	}
}
