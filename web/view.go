// Package web holds every page and fragment kycdesk renders, as templ components that take typed
// view models. It knows nothing of the database or of HTTP: handlers map rows to these models.
// A page and the fragment htmx swaps into it are the same component.
package web

import (
	"strconv"
	"time"

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
}

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
}

// asset is the versioned URL of a static file.
func asset(name string) string { return static.URL(name) }

// FormErrors maps a form field's name to its message.
type FormErrors map[string]string

// Has reports whether field has an error.
func (e FormErrors) Has(field string) bool { return e != nil && e[field] != "" }

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
