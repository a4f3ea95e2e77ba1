package decisions_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"kycdesk/internal/cases"
	"kycdesk/internal/decisions"
	"kycdesk/internal/testenv"
)

// TestPendingCaseOffersNoEvidenceForms: while a decision waits for its second review, the case page
// offers its holder neither the add-document form nor the customer's Edit link, and says why; a
// form opened before (or an old tab) that is still sent goes back to the case page with the
// refusal as a message, rather than to an error page that leads nowhere.
func TestPendingCaseOffersNoEvidenceForms(t *testing.T) {
	f := setup(t)
	id := f.claimedCase(t, "2035-01-01")
	var custID string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT customer_id::text FROM cases WHERE id = $1", id).Scan(&custID)
	page := f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	if page.Find("#add-document").Length() != 1 || page.Find("#edit-customer").Length() != 1 || page.Find("#add-document-paused, #customer-paused").Length() != 0 {
		t.Fatal("in review: the holder is not offered the add-document form and the Edit link, or is told they are paused")
	}

	// No check finished: a comment, and a second review.
	if r := f.decide(t, f.mc, id, decisions.Approve, "Checked the passport by hand."); r.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if got := f.status(t, id); got != cases.PendingSecondReview {
		t.Fatalf("after the approval: %s", got)
	}
	page = f.mc.Get(t, "/cases/"+id.String()).Doc(t)
	if n := page.Find("#add-document, #document-form, #edit-customer").Length(); n != 0 {
		t.Errorf("pending: %d evidence forms or links still offered", n)
	}
	if !strings.Contains(page.Find("#add-document-paused").Text(), "second review") || !strings.Contains(page.Find("#customer-paused").Text(), "second review") {
		t.Errorf("pending: the page does not say why the forms are gone: %q %q", page.Find("#add-document-paused").Text(), page.Find("#customer-paused").Text())
	}

	// backToCase checks that a refused change lands on the case page with the refusal said there.
	backToCase := func(what string, r testenv.Response, htmx bool) {
		t.Helper()
		where := r.Location
		if htmx {
			where = r.Header.Get("HX-Redirect")
		}
		if where != "/cases/"+id.String() {
			t.Errorf("%s: %d, sent to %q, want the case page", what, r.Status, where)
			return
		}
		flash := f.mc.Get(t, "/cases/"+id.String()).Doc(t).Find(".flash-error").Text()
		if !strings.Contains(flash, "second review") {
			t.Errorf("%s: the case page says %q", what, flash)
		}
	}
	backToCase("the edit form", f.mc.Get(t, "/customers/"+custID+"/edit"), false)
	// A save from a form opened before the case went to its second review: the form again, with
	// what was typed, why, and the way back to the case.
	edit := f.mc.PostForm(t, "/customers/"+custID, url.Values{"surname": {"Changed"}, "date_of_birth": {"1980-01-01"}})
	refused := edit.Doc(t).Find("#customer-form-refused")
	if edit.Status != http.StatusConflict || !strings.Contains(refused.Text(), "second review") ||
		refused.Find("a").AttrOr("href", "") != "/cases/"+id.String() || edit.Doc(t).Find("#surname").AttrOr("value", "") != "Changed" {
		t.Errorf("a customer edit: %d %q", edit.Status, refused.Text())
	}
	upload := func(htmx bool) testenv.Response {
		body, ct := multipart1(t, map[string]string{"type": "passport", "issuing_country": "UTO"}, "front", specimenFront(t))
		req, err := http.NewRequest("POST", f.app.URL+"/customers/"+custID+"/documents", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Origin", f.app.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if htmx {
			req.Header.Set("HX-Request", "true")
		}
		return f.mc.Do(t, req)
	}
	backToCase("an upload", upload(false), false)
	backToCase("an upload by htmx", upload(true), true)
	var docs int
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT count(*) FROM documents WHERE customer_id = $1", uuid.MustParse(custID)).Scan(&docs)
	var surname string
	_ = f.app.Pool.QueryRow(f.ctx, "SELECT surname FROM customers WHERE id = $1", custID).Scan(&surname)
	if docs != 1 || surname != "Decide" {
		t.Errorf("the refused changes were kept: %d documents, surname %q", docs, surname)
	}
}
