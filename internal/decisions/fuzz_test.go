package decisions

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"kycdesk/internal/apperr"
)

// postedForm reads body as a url-encoded form, as httpx.ParseForm does; nil when it cannot be
// read (the handler then answers "The form could not be read.").
func postedForm(body []byte) url.Values {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r.ParseForm() != nil {
		return nil
	}
	return r.PostForm
}

// storableLine reports whether s can be written to a PostgreSQL text column and shown as it is:
// valid UTF-8, no control characters but line breaks and tabs where lines are allowed.
func storableLine(s string, lines bool) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(lines && (r == '\n' || r == '\t'))
	})
}

// FuzzDecisionForm decodes the comment of the case decision, document decision and second review
// forms as DecideCase, DecideDocument and SecondReview do (their other fields are checked against
// fixed lists) and asserts: a refused comment is refused under
// "comment" in words; an accepted one is trimmed, within 4000 characters, storable, and unchanged
// when cleaned again (a comment shown back in a refused form is not altered by a second post).
func FuzzDecisionForm(f *testing.F) {
	for _, v := range []url.Values{
		{"outcome": {"approve"}, "reason": {"6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"}, "comment": {"  Checked the passport twice.\r\nAll fine. "}},
		{"outcome": {"reject"}, "comment": {strings.Repeat("é", 4001)}},
		{"outcome": {"escalate"}, "comment": {"<script>alert(1)</script>\u202e"}},
		{"outcome": {"new_image"}, "side": {"selfie"}, "comment": {"nul\x00 and bad\xff bytes\x1b[31m"}},
		{"action": {"return"}, "comment": {"\r\n\t \u00a0"}},
	} {
		f.Add([]byte(v.Encode()))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		form := postedForm(body)
		if form == nil {
			return
		}
		comment, err := cleanComment(form.Get("comment"))
		if err != nil {
			if fields := apperr.FieldsOf(err); fields["comment"] == "" {
				t.Fatalf("refusal %v is not under the comment field", err)
			}
			return
		}
		if !storableLine(comment, true) || comment != strings.TrimSpace(comment) || utf8.RuneCountInString(comment) > 4000 {
			t.Fatalf("comment %q cannot be stored as it is", comment)
		}
		if again, err := cleanComment(comment); err != nil || again != comment {
			t.Fatalf("comment %q cleaned again is %q (%v)", comment, again, err)
		}
	})
}

// FuzzReviewSettingsForm decodes the admin's review settings form and asserts: problems are
// reported under min_age and low_confidence only; accepted values are in range and can be stored
// as the JSON app settings they are saved as; and the form shown back gives the same values.
func FuzzReviewSettingsForm(f *testing.F) {
	for _, v := range []url.Values{
		{"always": {"on"}, "flags": {"on"}, "min_age": {"18"}, "low_confidence": {"0.6"}},
		{"override_negative": {"on"}, "min_age": {"99"}, "low_confidence": {" 1 "}},
		{"min_age": {"0"}, "low_confidence": {"1.5"}},
		{"min_age": {"+21"}, "low_confidence": {"6e-1"}},
		{"min_age": {"18"}, "low_confidence": {"Inf"}},
		{"min_age": {"18"}, "low_confidence": {"0x1p-2"}},
		{"escalated": {"on"}, "no_checks": {"on"}, "min_age": {"18"}, "low_confidence": {"0.6"}},
	} {
		f.Add([]byte(v.Encode()))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		form := postedForm(body)
		if form == nil {
			return
		}
		rules, age, low, errs := parseReviewSettings(form)
		for k, msg := range errs {
			if (k != "min_age" && k != "low_confidence") || msg == "" {
				t.Fatalf("error %q: %q", k, msg)
			}
		}
		if len(errs) > 0 {
			return
		}
		if age < 1 || age > 99 || !(low >= 0 && low <= 1) {
			t.Fatalf("accepted age %d, low confidence %v", age, low)
		}
		for _, v := range []any{rules, age, low} {
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("%v cannot be saved as a setting: %v", v, err)
			}
		}
		// The settings page shows the threshold back with FormatFloat(…, 'f', -1, 64).
		shown := url.Values{"min_age": {strconv.Itoa(age)}, "low_confidence": {strconv.FormatFloat(low, 'f', -1, 64)}}
		for k, on := range map[string]bool{"always": rules.Always, "override_negative": rules.OverrideNegative, "flags": rules.Flags,
			"escalated": rules.Escalated, "no_checks": rules.NoChecks} {
			if on {
				shown.Set(k, "on")
			}
		}
		r2, age2, low2, errs := parseReviewSettings(shown)
		if len(errs) > 0 || r2 != rules || age2 != age || low2 != low {
			t.Fatalf("shown back as %v, read as %v %d %v %v", shown, r2, age2, low2, errs)
		}
	})
}

// FuzzReasonForm decodes the new-reason form and asserts that an accepted reason has a known
// outcome group and a one-line label of at most 200 characters that can be stored and shown as it
// is, and that posting the label back gives the same reason.
func FuzzReasonForm(f *testing.F) {
	for _, v := range []url.Values{
		{"outcome": {"reject"}, "label": {"  Document   expired "}},
		{"outcome": {"doc_new_image"}, "label": {"Glare on the\r\nphoto"}},
		{"outcome": {"approve"}, "label": {strings.Repeat("ü", 150)}},
		{"outcome": {"return"}, "label": {"nul\x00 bad\xff"}},
		{"outcome": {"nope"}, "label": {"x"}},
	} {
		f.Add([]byte(v.Encode()))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		form := postedForm(body)
		if form == nil {
			return
		}
		outcome, label, ok := parseReason(form)
		if !ok {
			return
		}
		if _, known := groupLabel[outcome]; !known || label == "" || !storableLine(label, false) || utf8.RuneCountInString(label) > 200 ||
			label != strings.Join(strings.Fields(label), " ") {
			t.Fatalf("accepted %q %q", outcome, label)
		}
		o2, l2, ok := parseReason(url.Values{"outcome": {outcome}, "label": {label}})
		if !ok || o2 != outcome || l2 != label {
			t.Fatalf("posted back: %q %q %v", o2, l2, ok)
		}
	})
}
