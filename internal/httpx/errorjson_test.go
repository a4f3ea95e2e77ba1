package httpx_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kycdesk/internal/apperr"
	"kycdesk/internal/httpx"
)

// jsonErr is a JSON error as a client reads it.
type jsonErr struct {
	Error struct {
		Message string `json:"message"`
		Fields  []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"fields"`
	} `json:"error"`
}

func answerJSON(t *testing.T, rd *httpx.Renderer, path string, err error) (int, jsonErr, string) {
	t.Helper()
	w := httptest.NewRecorder()
	rd.Error(w, httptest.NewRequest("POST", path, nil), err)
	var body jsonErr
	if jerr := json.Unmarshal(w.Body.Bytes(), &body); jerr != nil {
		t.Fatalf("%s: not JSON: %s", path, w.Body)
	}
	return w.Code, body, w.Body.String()
}

func fieldsOf(b jsonErr) []string {
	var out []string
	for _, f := range b.Error.Fields {
		out = append(out, f.Field)
	}
	return out
}

// TestJSONErrorFieldsInOrder: the fields of a JSON error come in the order the error gives
// (the request's), those it does not name after them by name; never in a map's order, which
// changes from one answer to the next.
func TestJSONErrorFieldsInOrder(t *testing.T) {
	rd := &httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fields := func() map[string]string {
		return map[string]string{"foo": "Unknown field.", "bar": "Unknown field.", "baz": "Unknown field.", "qux": "Unknown field.",
			"documents[0].type": "Choose one.", "Idempotency-Key": "Too long."}
	}
	for range 20 {
		_, b, _ := answerJSON(t, rd, "/api/v1/customers", apperr.Fields(fields()))
		if got, want := fieldsOf(b), []string{"Idempotency-Key", "bar", "baz", "documents[0].type", "foo", "qux"}; !slices.Equal(got, want) {
			t.Fatalf("no order given: %v, want %v", got, want)
		}
	}
	for range 20 {
		ordered := &apperr.Error{Code: apperr.Invalid, Message: "Please correct the highlighted fields.", Fields: fields(),
			Order: []string{"foo", "bar", "nothing", "baz", "foo"}}
		_, b, _ := answerJSON(t, rd, "/api/v1/customers", ordered)
		if got, want := fieldsOf(b), []string{"foo", "bar", "baz", "Idempotency-Key", "documents[0].type", "qux"}; !slices.Equal(got, want) {
			t.Fatalf("in the error's order: %v, want %v", got, want)
		}
	}
}

// TestJSONErrorMessageForAProgram: a program's refusal does not ask it to correct highlighted
// fields (it has no form): it says how many fields are wrong. A message of its own is kept; a
// person's page keeps its words, and lists the fields in the same order.
func TestJSONErrorMessageForAProgram(t *testing.T) {
	rd := &httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{apperr.Field("surname", "Enter the surname."), "The request has 1 invalid field: see fields."},
		{apperr.Fields(map[string]string{"a": "x", "b": "y", "c": "z"}), "The request has 3 invalid fields: see fields."},
		{&apperr.Error{Code: apperr.Invalid, Message: "The upload could not be read.", Fields: map[string]string{"front": "x"}}, "The upload could not be read."},
		{apperr.New(apperr.Invalid, "The body is empty: send a JSON object."), "The body is empty: send a JSON object."},
	} {
		status, b, raw := answerJSON(t, rd, "/api/v1/customers", tc.err)
		if status != http.StatusUnprocessableEntity || b.Error.Message != tc.want || strings.Contains(raw, "highlighted") {
			t.Errorf("%v: %d %s, want %q", tc.err, status, raw, tc.want)
		}
	}
	if status, b, _ := answerJSON(t, rd, "/api/v1/customers", apperr.New(apperr.Unsupported, "Send JSON.")); status != http.StatusUnsupportedMediaType || b.Error.Message != "Send JSON." {
		t.Errorf("unsupported media type: %d %q", status, b.Error.Message)
	}

	// A person's page: the fields listed in the error's order, no word of the program's message.
	err := &apperr.Error{Code: apperr.Invalid, Message: "Please correct the highlighted fields.",
		Fields: map[string]string{"to": "Before from.", "from": "Not a date.", "status": "Unknown."}, Order: []string{"from", "to"}}
	w := httptest.NewRecorder()
	rd.Error(w, httptest.NewRequest("GET", "/x", nil), err)
	doc, perr := goquery.NewDocumentFromReader(w.Body)
	if perr != nil {
		t.Fatal(perr)
	}
	var got []string
	doc.Find("#error-fields li").Each(func(_ int, li *goquery.Selection) { got = append(got, li.AttrOr("data-field", "")) })
	if !slices.Equal(got, []string{"from", "to", "status"}) || strings.Contains(doc.Text(), "see fields") {
		t.Errorf("page: fields %v, want from, to, status; text %q", got, doc.Text())
	}
}
