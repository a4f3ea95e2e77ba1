package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/google/uuid"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// refused is a form's errors, one message per field named.
func refused(names ...string) FormErrors {
	errs := FormErrors{}
	for _, n := range names {
		errs[n] = "Wrong " + n + "."
	}
	return errs
}

// name is an element's accessible name as far as these pages make it: aria-label, else the text
// of its <label for> (visually hidden text included), else its own text.
func name(doc *goquery.Document, s *goquery.Selection) string {
	if l, ok := s.Attr("aria-label"); ok {
		return l
	}
	if id, ok := s.Attr("id"); ok {
		if l := doc.Find(`label[for="` + id + `"]`); l.Length() > 0 {
			return strings.Join(strings.Fields(l.Text()), " ")
		}
	}
	return strings.Join(strings.Fields(s.Text()), " ")
}

// TestEveryFieldErrorIsLinkedToItsField: on every form that comes back with errors, each message
// has an id, and the field it is about says it is invalid and names the message
// (aria-describedby), so a screen reader reads the message with the field. Only messages about no
// field (a hidden field, the form as a whole, the user) stand alone.
func TestEveryFieldErrorIsLinkedToItsField(t *testing.T) {
	now := time.Now()
	liveness := LivenessFormView{CaseID: "c", DocumentID: "d", CanRecord: true, Supersedes: "v1",
		Images: []LivenessImageChoice{{ID: "i1", Label: "Front"}, {ID: "i2", Label: "Selfie"}},
		Errors: refused("supersedes", "conclusion", "liveness_result", "facial_check", "eyes_closed", "eyes_closed_confidence",
			"sunglasses", "sunglasses_confidence", "face_occluded", "face_occluded_confidence", "liveness_confidence",
			"reference_image", "audit_images", "comment")}
	decision := DecisionView{CaseID: "c", CanDecide: true, Outcomes: []Option{{Value: "approve", Label: "Approve"}},
		Documents: []DocumentChoice{{Value: "d", Label: "Passport"}}, Errors: refused("outcome", "reason", "comment", "doc_outcome", "side", "doc_reason", "doc_comment")}
	secondReview := DecisionView{CaseID: "c", CanCheck: true, Pending: &DecisionRow{At: now}, Errors: refused("reason", "comment")}
	caseView := CaseView{ID: "c", CanWork: true, CanAssign: true, Errors: refused("assignee"), NoteErrors: refused("body"),
		Upload: DocumentForm{Errors: refused("type", "issuing_country", "number", "issue_date", "expiry_date", "front", "back", "selfie")}}
	vendorForm := VendorFormView{Action: "/v", Fields: []VendorFieldView{{Name: "base_url", Label: "Base URL"}, {Name: "api_key", Label: "API key", Secret: true}},
		Errors: refused("base_url", "api_key", "timeout_seconds", "concurrency", "enabled")}

	pages := []struct {
		name    string
		page    templ.Component
		orphans []string // messages about no one field
	}{
		{"liveness", LivenessPage(liveness), []string{"supersedes"}},
		{"decision", DecisionPanel(decision), nil},
		{"second review", DecisionPanel(secondReview), nil},
		{"case", CasePage(caseView), nil},
		{"review settings", ReviewSettingsPage(ReviewSettingsView{Errors: refused("min_age", "low_confidence", "label", "defaults")}), []string{"defaults"}},
		{"customer", CustomerFormPage(CustomerForm{Errors: refused("given_names", "surname", "date_of_birth", "nationality",
			"residence_country", "external_ref", "email", "phone", "address")}), nil},
		{"checks", ChecksPanel(ChecksView{CaseID: "c", DocumentID: "d", CanRun: true, Vendors: []VendorChoice{{Name: "argos", Label: "Argos"}},
			Errors: refused("vendors")}), nil},
		{"password", PasswordPage(PasswordView{Errors: refused("current", "password", "confirm")}), nil},
		{"set password", SetPasswordPage(SetPasswordView{Errors: refused("password", "confirm")}), nil},
		{"tokens", TokensPage(TokensView{Errors: refused("name")}), nil},
		{"new user", UserNewPage(UserFormView{Roles: []string{"reviewer"}, Errors: refused("email", "name", "role", "setup")}), nil},
		{"user", UserDetailPage(UserDetailView{Roles: []string{"reviewer"}, Errors: refused("role", "user")}), []string{"user"}},
		{"vendors", VendorsPage(VendorsView{Environments: []string{"sandbox"}, Errors: refused("environment")}), nil},
		{"vendor", VendorFormPage(vendorForm), nil},
		{"queue", QueuePage(QueueView{Errors: refused("assignee", "nationality", "from", "to")}), nil},
		{"dashboard", DashboardPage(DashboardView{Errors: refused("from", "to")}), nil},
		{"audit", AuditPage(AuditView{Errors: refused("from", "to")}), nil},
	}
	for _, p := range pages {
		doc := render(t, p.page)
		orphan := map[string]bool{}
		for _, o := range p.orphans {
			orphan[o+"-error"] = true
		}
		msgs := doc.Find(".error")
		if msgs.Length() == 0 {
			t.Errorf("%s: no message rendered", p.name)
		}
		seen := map[string]bool{}
		msgs.Each(func(_ int, m *goquery.Selection) {
			id := m.AttrOr("id", "")
			if id == "" || seen[id] {
				t.Errorf("%s: message %q has no id of its own (%q)", p.name, m.Text(), id)
				return
			}
			seen[id] = true
			fields := doc.Find(`[aria-describedby~="` + id + `"]`)
			switch {
			case orphan[id]:
			case fields.Length() == 0:
				t.Errorf("%s: no field names the message %s (%q)", p.name, id, m.Text())
			case fields.Not(`[aria-invalid="true"]`).Length() > 0:
				t.Errorf("%s: a field naming %s does not say it is invalid", p.name, id)
			}
		})
		doc.Find(`[aria-invalid="true"]`).Each(func(_ int, f *goquery.Selection) {
			for _, id := range strings.Fields(f.AttrOr("aria-describedby", "")) {
				if doc.Find("#"+id+".error").Length() != 1 {
					t.Errorf("%s: field %s names the message %s, which is not there", p.name, f.AttrOr("name", "?"), id)
				}
			}
		})
	}

	// Without errors, no field says it is invalid.
	for _, c := range []templ.Component{LivenessPage(LivenessFormView{CanRecord: true}), DecisionPanel(DecisionView{CanDecide: true})} {
		if n := render(t, c).Find("[aria-invalid], .error").Length(); n != 0 {
			t.Errorf("a form without errors has %d invalid fields or messages", n)
		}
	}

	// The forms that already say nothing was saved take the list of errors there
	// (static/js/formerrors.js), instead of a second box.
	if render(t, LivenessPage(liveness)).Find(`#liveness-form [data-error-summary][role=alert]`).Length() != 1 {
		t.Error("the liveness form's alert is not where its errors are listed")
	}
	if render(t, VendorFormPage(vendorForm)).Find(`[data-error-summary="vendor-form"][role=alert]`).Length() != 1 {
		t.Error("the vendor form's alert is not where its errors are listed")
	}
}

// TestLivenessDetailsAreGrouped: each face detail's Yes/No is a group named by the detail
// (fieldset and legend), and each confidence has a name of its own.
func TestLivenessDetailsAreGrouped(t *testing.T) {
	doc := render(t, LivenessPage(LivenessFormView{CaseID: "c", DocumentID: "d", CanRecord: true}))
	names := map[string]bool{}
	for _, d := range []struct{ field, label string }{{"eyes_closed", "Eyes closed"}, {"sunglasses", "Sunglasses"}, {"face_occluded", "Face occluded"}} {
		radios := doc.Find(`input[type=radio][name="` + d.field + `"]`)
		if radios.Length() != 2 {
			t.Fatalf("%s: %d radios", d.field, radios.Length())
		}
		radios.Each(func(_ int, r *goquery.Selection) {
			fs := r.Closest("fieldset")
			if legend := strings.TrimSpace(fs.ChildrenFiltered("legend").Text()); legend != d.label {
				t.Errorf("%s: the Yes/No is in a group named %q", d.field, legend)
			}
		})
		conf := doc.Find(`input#` + d.field + `_confidence`)
		n := name(doc, conf)
		if !strings.Contains(n, d.label) || !strings.Contains(n, "Confidence (%)") {
			t.Errorf("%s: the confidence is named %q", d.field, n)
		}
		names[n] = true
	}
	if len(names) != 3 {
		t.Errorf("the three confidences share names: %v", names)
	}
}

// TestControlsNameWhatTheyActOn: controls repeated per row say which row: the document decision's
// comment has a label, each "Run again" and each check's details name the vendor, each queue
// row's checkbox and report link name the case.
func TestControlsNameWhatTheyActOn(t *testing.T) {
	doc := render(t, DecisionPanel(DecisionView{CaseID: "c", CanDecide: true, Documents: []DocumentChoice{{Value: "d", Label: "Passport"}}}))
	comment := doc.Find(`#document-decision-form input[name=comment]`)
	if n := name(doc, comment); !strings.Contains(n, "Comment") || n == comment.AttrOr("placeholder", "") {
		t.Errorf("the document decision's comment is named %q", n)
	}
	doc.Find("#document-decision-form select").Each(func(_ int, s *goquery.Selection) {
		if name(doc, s) == "" {
			t.Errorf("a select of the document decision has no name: %s", s.AttrOr("name", "?"))
		}
	})
	if name(doc, doc.Find(`#document-decision-form select[name=reason]`)) == name(doc, doc.Find(`#reason`)) {
		t.Error("the document decision's reason and the case decision's share a name")
	}

	at := time.Now()
	checks := ChecksView{CaseID: "c", DocumentID: "d", CanRun: true, Checks: []CheckRow{
		{ID: "1", Vendor: "argos", VendorLabel: "Argos", State: "done", CreatedAt: at, Fields: []CheckField{{Name: "surname", Value: "X"}}},
		{ID: "2", Vendor: "ooto", VendorLabel: "OOTO", State: "failed", CreatedAt: at, Fields: []CheckField{{Name: "surname", Value: "X"}}},
	}}
	doc = render(t, ChecksPanel(checks))
	again := doc.Find(`tr[data-check] button[type=submit]`)
	summaries := doc.Find(`tr.check-detail summary`)
	if again.Length() != 2 || summaries.Length() != 2 {
		t.Fatalf("%d Run again buttons, %d summaries", again.Length(), summaries.Length())
	}
	for i, vendor := range []string{"Argos", "OOTO"} {
		if n := name(doc, again.Eq(i)); !strings.Contains(n, "Run again") || !strings.Contains(n, vendor) {
			t.Errorf("Run again %d is named %q", i, n)
		}
		if n := name(doc, summaries.Eq(i)); !strings.Contains(n, "Fields read") || !strings.Contains(n, vendor) {
			t.Errorf("details %d are named %q", i, n)
		}
	}

	doc = render(t, QueueResults(QueueView{CanReport: true, Rows: []QueueRow{
		{ID: uuid.New(), Name: "MÜLLER, José", ExternalRef: "ext-1", LastActivity: at},
		{ID: uuid.New(), Name: "DOE, Jane", LastActivity: at},
	}}))
	boxes := doc.Find("input[data-select]")
	if a, b := name(doc, boxes.Eq(0)), name(doc, boxes.Eq(1)); a != "Select MÜLLER, José (ext-1)" || b != "Select DOE, Jane" {
		t.Errorf("the rows' checkboxes are named %q and %q", a, b)
	}
	if n := name(doc, doc.Find("a.report-link").First()); !strings.Contains(n, "MÜLLER, José") {
		t.Errorf("the row's report link is named %q", n)
	}
}

// TestRotateTooltipsSayThePagesKeys: the case page's viewer rotates with R (its own key), the
// review workspace's with T (R is reject there).
func TestRotateTooltipsSayThePagesKeys(t *testing.T) {
	imgs := []ImageView{{ID: "i", KindLabel: "Front", Width: 10, Height: 10}}
	for _, c := range []struct {
		page        templ.Component
		right, left string
	}{
		{CasePage(CaseView{ID: "c", Documents: []DocumentView{{ID: "d", Images: imgs}}}), "Rotate right (R)", "Rotate left (Shift+R)"},
		{ReviewPage(ReviewView{CaseID: "c", DocumentID: "d", Images: imgs}), "Rotate right (T)", "Rotate left (Shift+T)"},
	} {
		doc := render(t, c.page)
		right := doc.Find(`[data-viewer-action="rotate-right"]`).AttrOr("title", "")
		left := doc.Find(`[data-viewer-action="rotate-left"]`).AttrOr("title", "")
		if right != c.right || left != c.left {
			t.Errorf("tooltips %q, %q; want %q, %q", right, left, c.right, c.left)
		}
	}
}

// TestSkipLinks: every signed-in page starts with a link to its main content, which takes the
// focus; the case page adds one to the decision panel, a named region that takes the focus.
func TestSkipLinks(t *testing.T) {
	chrome := Chrome{Title: "x", User: &UserBadge{Name: "Ann"}, Nav: []NavItem{{Label: "Queue", Href: "/cases"}}}
	doc := render(t, Layout(chrome, templ.NopComponent))
	first := doc.Find("body a[href], body button").First()
	if first.AttrOr("href", "") != "#main" || strings.TrimSpace(first.Text()) != "Skip to main content" {
		t.Errorf("the first control of the page is %q (%s)", first.Text(), first.AttrOr("href", ""))
	}
	if doc.Find(`main#main[tabindex="-1"]`).Length() != 1 {
		t.Error("the main content cannot take the focus of the skip link")
	}

	v := CaseView{ID: "c", Decision: &DecisionView{CaseID: "c"}}
	chrome.Skips = v.SkipLinks()
	doc = render(t, Layout(chrome, CasePage(v)))
	links := doc.Find(".skip-links a")
	if links.Length() != 2 || links.Eq(1).AttrOr("href", "") != "#decision" || strings.TrimSpace(links.Eq(1).Text()) != "Skip to decision" {
		t.Fatalf("the case page's skip links: %q", links.Text())
	}
	panel := doc.Find("#decision")
	if panel.AttrOr("tabindex", "") != "-1" || panel.AttrOr("role", "") != "region" ||
		strings.TrimSpace(doc.Find("#"+panel.AttrOr("aria-labelledby", "none")).Text()) != "Decision" {
		t.Error("the decision panel is not a named region that takes the focus")
	}
	if len((CaseView{}).SkipLinks()) != 0 {
		t.Error("a skip link to a decision panel that is not there")
	}
}

// TestFourEyesSaysWho: the maker and the admin read who confirms a decision under four-eyes.
func TestFourEyesSaysWho(t *testing.T) {
	doc := render(t, DecisionPanel(DecisionView{CaseID: "c", IsMaker: true, Pending: &DecisionRow{}, Checkers: "a manager or an admin"}))
	if s := strings.TrimSpace(doc.Find("#four-eyes-who").Text()); s != "A manager or an admin other than you must confirm it." {
		t.Errorf("the maker reads %q", s)
	}
	doc = render(t, ReviewSettingsPage(ReviewSettingsView{Checkers: "a manager or an admin"}))
	if s := strings.TrimSpace(doc.Find("#four-eyes-who").Text()); !strings.Contains(s, "by a manager or an admin other than its maker when:") {
		t.Errorf("the settings read %q", s)
	}
}
