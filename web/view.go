// Package web holds every page and fragment kycdesk renders, as templ components that take typed
// view models. It knows nothing of the database or of HTTP: handlers map rows to these models.
// A page and the fragment htmx swaps into it are the same component.
package web

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"

	"kycdesk/static"
)

// Chrome is what the layout around every page shows: who is signed in, the navigation, a flash.
type Chrome struct {
	Title     string
	User      *UserBadge // nil on public pages (sign-in, set password)
	Nav       []NavItem
	Flash     *Flash
	Simulator bool // vendors point at the built-in simulator
	Wide      bool // the page uses the full width (review workspace)
	// Skips are the page's skip links after "Skip to main content", first in the tab order: the
	// places a keyboard user goes to most (the case page's decision panel).
	Skips []SkipLink
}

// SkipLink is a link, hidden until focused, to a place on the page (an element's id).
type SkipLink struct {
	Label  string
	Target string
}

// SkipToDecision is the skip link to the decision panel (DecisionPanel's id).
var SkipToDecision = SkipLink{Label: "Skip to decision", Target: "decision"}

// UserBadge names the signed-in user in the top bar.
type UserBadge struct {
	Name  string
	Email string
	Role  string
}

// NavItem is one entry of the top navigation.
type NavItem struct {
	Label  string
	Href   string
	Active bool
}

// Flash is a one-time message after a redirect.
type Flash struct {
	Kind string // "ok" or "error"
	Text string
}

// ErrorView is an error page.
type ErrorView struct {
	Status  int
	Title   string
	Message string
	// Fields are what was wrong with each part of the request (a refused filter's dates, a ZIP
	// with no case selected). When there are any, the page lists them instead of Message: a
	// field error's message ("Please correct the highlighted field.") is meant for a form that
	// highlights its fields, and an error page has none.
	Fields []FieldMessage
	// Back is the page of this site the request came from (its Referer), when there is one: a
	// form refused without a page of its own (a ZIP with no case selected) leads back to the
	// view it was sent from, filters and all.
	Back string
}

// FieldMessage is one field's error on an error page.
type FieldMessage struct {
	Field   string // the parameter's name: "to", "case"
	Label   string // "To", "Date of birth"
	Message string
}

// FieldMessages lists field errors (name → message) for an error page in the order of names
// (apperr's FieldNames), each labelled from its name ("date_of_birth" → "Date of birth").
func FieldMessages(names []string, errs map[string]string) []FieldMessage {
	if len(errs) == 0 {
		return nil
	}
	out := make([]FieldMessage, 0, len(errs))
	for _, f := range names {
		m, ok := errs[f]
		if !ok {
			continue
		}
		label := strings.ReplaceAll(f, "_", " ")
		if r, size := utf8.DecodeRuneInString(label); size > 0 {
			label = string(unicode.ToUpper(r)) + label[size:]
		}
		out = append(out, FieldMessage{Field: f, Label: label, Message: m})
	}
	return out
}

// The keys that rotate the viewer's image (Viewer): the viewer's own on the case page, T in the
// review workspace, where R is reject.
const (
	CaseRotateKey   = "R"
	ReviewRotateKey = "T"
)

// asset is the versioned URL of a static file.
func asset(name string) string { return static.URL(name) }

// prerendered is c rendered once, for markup that does not change while the process runs.
func prerendered(c templ.Component) templ.Component {
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		panic(err) // a template of constants cannot fail but by a bug
	}
	return templ.Raw(b.String())
}

// FormErrors maps a form field's name to its message.
type FormErrors map[string]string

// Has reports whether field has an error.
func (e FormErrors) Has(field string) bool { return e != nil && e[field] != "" }

// errorID is the id of a field's message, as fieldError renders it.
func errorID(name string) string { return name + "-error" }

// invalid is what a field whose value was refused carries, so that a screen reader says so and
// reads its message: aria-invalid and aria-describedby naming fieldError's message. Nothing when
// the field has no error. Every control of a group (radios, checkboxes) carries it.
func invalid(errs FormErrors, name string) templ.Attributes {
	if !errs.Has(name) {
		return nil
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": errorID(name)}
}

func fieldClass(errs FormErrors, name string) string {
	if errs.Has(name) {
		return "field has-error"
	}
	return "field"
}

// Ago renders a past time as "3 min ago", "2 h ago", "5 d ago".
func Ago(t time.Time, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	default:
		return strconv.Itoa(int(d.Hours()/24)) + " d ago"
	}
}

// Stamp renders a time the same way everywhere (UTC, to the minute).
func Stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

const stampLayout = "2006-01-02 15:04 UTC"

// StampSpan renders the time from first to last as Stamp does, the day said once when both fall
// on it: "2026-03-02 10:02–10:07 UTC".
func StampSpan(first, last time.Time) string {
	a, b := Stamp(first), Stamp(last)
	switch {
	case a == b:
		return b
	case sameDay(first, last):
		return first.UTC().Format("2006-01-02 15:04") + "–" + last.UTC().Format("15:04 UTC")
	}
	return a + " – " + b
}

// clock is the time of one view in a run, to the second (a run's views are often in one minute),
// with the day only when the run spans more than one.
func clock(t, first, last time.Time) string {
	if sameDay(first, last) {
		return t.UTC().Format("15:04:05")
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func sameDay(a, b time.Time) bool {
	return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly)
}

// viewRunText says what a run of image views was: "viewed 6 images", "viewed one image 4 times",
// "viewed 2 images (5 views)".
func viewRunText(r ViewRun) string {
	switch {
	case r.Count == 1:
		return "viewed an image"
	case r.Images == r.Count:
		return "viewed " + itoa(r.Count) + " images"
	case r.Images == 1:
		return "viewed one image " + itoa(r.Count) + " times"
	}
	return "viewed " + itoa(r.Images) + " images (" + itoa(r.Count) + " views)"
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func statusBadge(s string) string {
	switch s {
	case "approved":
		return "badge-ok"
	case "rejected":
		return "badge-bad"
	case "escalated", "awaiting_resubmission":
		return "badge-warn"
	case "in_review", "pending_second_review":
		return "badge-accent"
	}
	return ""
}

func outcomeBadge(o string) string {
	switch o {
	case "pass":
		return "badge-ok"
	case "fail":
		return "badge-bad"
	case "review":
		return "badge-warn"
	case "partial":
		return "badge-accent"
	}
	return ""
}

func outcomeLabel(o string) string {
	switch o {
	case "pass":
		return "pass"
	case "fail":
		return "fail"
	case "review":
		return "review"
	case "partial":
		return "partial"
	}
	return "not run"
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Datalist is a <datalist> whose options never change while the app runs (the country codes, a
// few hundred with their names): rendered once, so a page that carries it copies its bytes instead
// of running a template over every option.
type Datalist struct {
	ID   string // what an input's list attribute names
	html string
}

// NewDatalist renders the datalist id of items, each made an option by option.
func NewDatalist[T any](id string, items []T, option func(T) Option) Datalist {
	opts := make([]Option, len(items))
	for i, it := range items {
		opts[i] = option(it)
	}
	var b strings.Builder
	if err := datalist(id, opts).Render(context.Background(), &b); err != nil {
		panic(err) // a strings.Builder does not fail
	}
	return Datalist{ID: id, html: b.String()}
}

// Render writes the list; the zero Datalist writes nothing.
func (d Datalist) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, d.html)
	return err
}
