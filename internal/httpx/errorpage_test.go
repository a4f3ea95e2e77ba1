package httpx_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/uuid"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/httpx"
)

// TestErrorPageListsTheFields: a request refused for its fields (a filter's dates, a ZIP with no
// case) answers 422 with a page that says what was wrong with each field, signed in or not,
// rather than only asking to correct a highlighted field the page does not have.
func TestErrorPageListsTheFields(t *testing.T) {
	rd := &httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err := apperr.Fields(map[string]string{"to": "The end date is before the start date.", "status": "Unknown status.",
		"date_of_birth": "Use a date like 2026-01-31."})
	signedIn := auth.WithPrincipal(httptest.NewRequest("GET", "/", nil).Context(), &auth.Principal{UserID: uuid.New(), Name: "M", Role: "manager"})
	for name, r := range map[string]*http.Request{
		"signed in":  httptest.NewRequest("GET", "/cases/export.csv?to=2026-12-01", nil).WithContext(signedIn),
		"signed out": httptest.NewRequest("GET", "/x", nil),
	} {
		w := httptest.NewRecorder()
		rd.Error(w, r, err)
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", name, w.Code)
		}
		doc, perr := goquery.NewDocumentFromReader(w.Body)
		if perr != nil {
			t.Fatal(perr)
		}
		var got []string
		doc.Find("#error-fields li").Each(func(_ int, li *goquery.Selection) {
			got = append(got, li.AttrOr("data-field", "")+"|"+strings.Join(strings.Fields(li.Text()), " "))
		})
		want := []string{"date_of_birth|Date of birth: Use a date like 2026-01-31.", "status|Status: Unknown status.",
			"to|To: The end date is before the start date."}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the page lists\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if strings.Contains(doc.Text(), "highlighted") {
			t.Errorf("%s: the page speaks of highlighted fields it does not have", name)
		}
	}
	// An error without fields keeps its message.
	w := httptest.NewRecorder()
	rd.Error(w, httptest.NewRequest("GET", "/x", nil), apperr.New(apperr.NotFound, "No such case."))
	if body := w.Body.String(); w.Code != http.StatusNotFound || !strings.Contains(body, "No such case.") || strings.Contains(body, "error-fields") {
		t.Errorf("not found: %d %s", w.Code, body)
	}
}
