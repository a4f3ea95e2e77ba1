package intake_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kycdesk/internal/testenv"
)

func fieldNames(e apiErr) []string {
	var out []string
	for _, f := range e.Error.Fields {
		out = append(out, f.Field)
	}
	return out
}

// TestFieldErrorsInTheRequestsOrder: a refusal lists its fields in the order the request has
// them (the JSON body's members, then a member it left out; a form's fields in the order of the
// description), the same every time the same request is sent; its message is for a program,
// not a person looking at a form with highlighted fields.
func TestFieldErrorsInTheRequestsOrder(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": "Order", "external_ref": "order-1"}`))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var cust struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.Body), &cust); err != nil {
		t.Fatal(err)
	}
	documents := func(fields map[string]string) testenv.Response {
		body, ct := multipartBody(t, fields, map[string][]byte{"front:front.png": tinyPNG(t, 320, 320)})
		return c.API(t, "POST", "/api/v1/customers/"+cust.ID+"/documents", token, ct, body)
	}
	customer := func(body string) func() testenv.Response {
		return func() testenv.Response {
			return c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(body))
		}
	}
	for name, tc := range map[string]struct {
		send func() testenv.Response
		want []string
	}{
		// The tester's request: unknown members, as sent.
		"unknown members": {customer(`{"surname":"A","foo":1,"bar":2,"baz":3}`), []string{"foo", "bar", "baz"}},
		// Members of the wrong kind or misnamed, nested ones included.
		"shape": {customer(`{"phone":5,"documents":[{"type":"other","number":7},{"Type":"passport"}],"Surname":"C","email":true}`),
			[]string{"phone", "documents[0].number", "documents[1].Type", "Surname", "email"}},
		// Refused values, as sent; then what the body left out, as the description lists it.
		"values": {customer(`{"phone":"x","email":"nope","documents":[{"type":"visa"},{}],"date_of_birth":"1.2.3"}`),
			[]string{"phone", "email", "documents[0].type", "date_of_birth", "surname", "documents[1].type"}},
		// A document's form: as the description lists its fields.
		"form": {func() testenv.Response {
			return documents(map[string]string{"issue_date": "x", "expiry_date": "y", "number": "#", "type": "visa"})
		}, []string{"type", "number", "issue_date", "expiry_date"}},
	} {
		var first string
		for i := range 8 {
			r := tc.send()
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: %d %s", name, r.Status, r.Body)
			}
			e := decodeErr(t, r)
			if got := fieldNames(e); !slices.Equal(got, tc.want) {
				t.Fatalf("%s (try %d): fields %v, want %v", name, i+1, got, tc.want)
			}
			if want := "The request has " + strconv.Itoa(len(tc.want)) + " invalid fields: see fields."; e.Error.Message != want {
				t.Errorf("%s: message %q, want %q", name, e.Error.Message, want)
			}
			if i == 0 {
				first = r.Body
			} else if r.Body != first {
				t.Fatalf("%s: two answers to one request:\n%s\n%s", name, first, r.Body)
			}
		}
	}
	if e := decodeErr(t, customer(`{"surname":""}`)()); e.Error.Message != "The request has 1 invalid field: see fields." {
		t.Errorf("one field: %q", e.Error.Message)
	}
}

// TestJSONTooDeep: JSON nested deeper than the decoder reads is not called invalid JSON.
func TestJSONTooDeep(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	for _, body := range []string{
		`{"surname":"A","documents":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
		strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000),
	} {
		r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(body))
		if msg := decodeErr(t, r).Error.Message; r.Status != http.StatusUnprocessableEntity || msg != "The JSON is nested too deeply (more than 10000 levels)." {
			t.Errorf("%.30s…: %d %q", body, r.Status, msg)
		}
	}
	// Broken JSON is still said to be broken, where.
	r := c.API(t, "POST", "/api/v1/customers", token, "application/json", []byte(`{"surname": }`))
	if msg := decodeErr(t, r).Error.Message; r.Status != http.StatusUnprocessableEntity || msg != "The body is not valid JSON (at byte 13)." {
		t.Errorf("broken JSON: %d %q", r.Status, msg)
	}
}

// TestWrongMediaType: a body of another media type than the operation reads is 415, naming the
// one to send and the one sent.
func TestWrongMediaType(t *testing.T) {
	app := testenv.NewApp(t)
	token := app.CreateAPIToken(t, "onboarding")
	c := app.NewClient()
	for _, tc := range []struct{ path, ct, want string }{
		{"/api/v1/customers", "text/plain", "Send the customer as JSON, with Content-Type: application/json (this request says it is text/plain)."},
		{"/api/v1/customers", "", "Send the customer as JSON, with Content-Type: application/json (this request has no Content-Type)."},
		{"/api/v1/customers", "multipart/form-data; boundary=x", "(this request says it is multipart/form-data)"},
		{"/api/v1/customers/00000000-0000-0000-0000-000000000000/documents", "application/json", "with Content-Type: multipart/form-data (this request says it is application/json)."},
		{"/api/v1/customers/00000000-0000-0000-0000-000000000000/documents", "multipart/mixed; boundary=x", "multipart/form-data"},
		// JSON is UTF-8: a body said to be in another charset would be read wrong.
		{"/api/v1/customers", "application/json; charset=latin1", "Send the customer as JSON in UTF-8, with Content-Type: application/json (this request says its charset is latin1)."},
		{"/api/v1/customers", `application/json; charset="x y"`, "(this request says its charset is another)"},
	} {
		r := c.API(t, "POST", tc.path, token, tc.ct, []byte(`{"surname": "X"}`))
		if msg := decodeErr(t, r).Error.Message; r.Status != http.StatusUnsupportedMediaType || !strings.Contains(msg, tc.want) {
			t.Errorf("%s as %q: %d %q, want 415 saying %q", tc.path, tc.ct, r.Status, msg, tc.want)
		}
	}
	// JSON by another name is JSON; a media type's name is case-insensitive.
	for _, ct := range []string{"application/json; charset=utf-8", "application/json; charset=UTF8", "application/json; charset=us-ascii", "Application/JSON", "application/vnd.onboarding+json"} {
		if r := c.API(t, "POST", "/api/v1/customers", token, ct, []byte(`{"surname": "X"}`)); r.Status != http.StatusCreated {
			t.Errorf("%s: %d %s", ct, r.Status, r.Body)
		}
	}
}
