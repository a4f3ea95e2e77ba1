// Package httpx is the HTTP plumbing every handler shares: handlers return an error and one
// adapter turns it into a status and a page; pages render into a buffer before the status is
// written; the full page or only the fragment is chosen by htmx's request headers.
package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/web"
)

// HandlerFunc is a handler that may fail; the Renderer's adapter answers the failure.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// NavEntry is one item of the top navigation, shown to those with Perm.
type NavEntry struct {
	Label string
	Href  string
	Perm  auth.Perm
}

// Renderer renders pages and errors. One is shared by every handler.
type Renderer struct {
	Log       *slog.Logger
	Nav       []NavEntry
	Simulator func() bool // whether vendors point at the built-in simulator (banner)
}

// Wrap adapts h to an http.HandlerFunc, answering its error.
func (rd *Renderer) Wrap(h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			rd.Error(w, r, err)
		}
	}
}

// Fragment reports whether r wants only the fragment: an htmx request that is neither boosted nor a
// history restore.
func Fragment(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true" &&
		r.Header.Get("HX-History-Restore-Request") != "true"
}

// Page renders body inside the layout (or alone for an htmx fragment request) with status. skips
// are the page's skip links after "Skip to main content" (web.SkipToDecision).
func (rd *Renderer) Page(w http.ResponseWriter, r *http.Request, status int, title string, body templ.Component, skips ...web.SkipLink) error {
	return rd.page(w, r, status, title, false, body, skips)
}

// WidePage is Page using the full width of the window.
func (rd *Renderer) WidePage(w http.ResponseWriter, r *http.Request, status int, title string, body templ.Component, skips ...web.SkipLink) error {
	return rd.page(w, r, status, title, true, body, skips)
}

func (rd *Renderer) page(w http.ResponseWriter, r *http.Request, status int, title string, wide bool, body templ.Component, skips []web.SkipLink) error {
	w.Header().Add("Vary", "HX-Request")
	if Fragment(r) {
		return Render(w, r, status, body)
	}
	c := rd.chrome(w, r, title, wide)
	c.Skips = skips
	return Render(w, r, status, web.Layout(c, body))
}

// Public renders a page for somebody who need not be signed in (no navigation).
func (rd *Renderer) Public(w http.ResponseWriter, r *http.Request, status int, title string, body templ.Component) error {
	return Render(w, r, status, web.Layout(web.Chrome{Title: title}, body))
}

func (rd *Renderer) chrome(w http.ResponseWriter, r *http.Request, title string, wide bool) web.Chrome {
	c := web.Chrome{Title: title, Wide: wide, Flash: takeFlash(w, r)}
	p := auth.PrincipalFrom(r.Context())
	if p == nil {
		return c
	}
	c.User = &web.UserBadge{Name: p.Name, Email: p.Email, Role: string(p.Role)}
	for _, n := range rd.Nav {
		if p.Can(n.Perm) {
			c.Nav = append(c.Nav, web.NavItem{Label: n.Label, Href: n.Href,
				Active: r.URL.Path == n.Href || strings.HasPrefix(r.URL.Path, n.Href+"/")})
		}
	}
	if rd.Simulator != nil {
		c.Simulator = rd.Simulator()
	}
	return c
}

// Render writes component c with status. It renders into a buffer first, so a failed render sends
// no half page and the status can still change. Pages are never cached: they show personal data.
func Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// renderBuffers hold pages while they are rendered: a page is written whole once it is complete
// (so a failure midway still gets an error page), with its length, and the buffer serves the next
// page rather than grow anew for each.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putRenderBuffer keeps buf for another page unless it grew unusually large.
func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 1<<20 {
		return
	}
	buf.Reset()
	renderBuffers.Put(buf)
}

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// Redirect sends the browser to target after a form post (303), or tells htmx to navigate there.
func Redirect(w http.ResponseWriter, r *http.Request, target string) error {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

const flashCookie = "kycdesk_flash"

// SetFlash leaves a one-time message for the next page this browser loads.
func SetFlash(w http.ResponseWriter, kind, text string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(kind + ":" + text), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func takeFlash(w http.ResponseWriter, r *http.Request) *web.Flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return nil
	}
	kind, text, ok := strings.Cut(v, ":")
	if !ok || (kind != "ok" && kind != "error" && kind != "info") || text == "" || len(text) > 300 {
		return nil
	}
	return &web.Flash{Kind: kind, Text: text}
}

// MaxFormBytes bounds an ordinary (non-upload) form.
const MaxFormBytes = 64 << 10

// ParseForm reads a url-encoded form of at most MaxFormBytes.
func ParseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apperr.Error{Code: apperr.TooLarge, Message: "The form is too large.", Err: err}
		}
		return &apperr.Error{Code: apperr.Invalid, Message: "The form could not be read.", Err: err}
	}
	return nil
}

var statusOf = map[apperr.Code]int{
	apperr.Invalid: http.StatusUnprocessableEntity, apperr.NotFound: http.StatusNotFound,
	apperr.Conflict: http.StatusConflict, apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden: http.StatusForbidden, apperr.TooMany: http.StatusTooManyRequests,
	apperr.TooLarge: http.StatusRequestEntityTooLarge, apperr.Unsupported: http.StatusUnsupportedMediaType,
	apperr.Unavailable: http.StatusServiceUnavailable,
}

var titleOf = map[int]string{
	http.StatusUnprocessableEntity: "Please check your input", http.StatusNotFound: "Not found",
	http.StatusConflict: "Not possible as things stand", http.StatusUnauthorized: "Please sign in",
	http.StatusForbidden: "Not allowed", http.StatusTooManyRequests: "Too many requests",
	http.StatusRequestEntityTooLarge: "Too large", http.StatusUnsupportedMediaType: "Not a type this address reads",
	http.StatusServiceUnavailable:  "Unavailable",
	http.StatusInternalServerError: "Something went wrong",
}

// Error answers err: an *apperr.Error with its status and message, anything else as a 500 whose
// text the user never sees (it is logged with the request id instead).
func (rd *Renderer) Error(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. It has been logged; please try again."
	if ae, ok := apperr.As(err); ok {
		status, msg = statusOf[ae.Code], ae.Message
		if status == 0 {
			status = http.StatusInternalServerError
		}
	}
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	if status >= 500 {
		rd.Log.ErrorContext(r.Context(), "request failed", slog.String("error", err.Error()), slog.String("path", r.URL.Path))
	} else {
		rd.Log.DebugContext(r.Context(), "request refused", slog.String("error", err.Error()))
	}
	if status == http.StatusUnauthorized && !IsAPI(r) {
		RedirectToLogin(w, r)
		return
	}
	if IsAPI(r) || strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html") {
		_ = JSON(w, status, errorJSON(err, msg))
		return
	}
	// What was wrong with each field, listed: the page has no form to highlight them in.
	v := web.ErrorView{Status: status, Title: titleOf[status], Message: msg, Back: cameFrom(r)}
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Invalid {
		v.Fields = web.FieldMessages(ae.FieldNames(), ae.Fields)
	}
	var rerr error
	if auth.PrincipalFrom(r.Context()) == nil {
		rerr = rd.Public(w, r, status, v.Title, web.PublicErrorPage(v))
	} else {
		rerr = rd.Page(w, r, status, v.Title, web.ErrorPage(v))
	}
	if rerr != nil {
		http.Error(w, msg, status)
	}
}

// cameFrom is the path and query of the page of this site r was sent from (its Referer), or ""
// when it has none, it is another site's, or it is r's own address (a page that failed to load
// is no way back).
func cameFrom(r *http.Request) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || (ref.Scheme != "http" && ref.Scheme != "https") || !strings.HasPrefix(ref.Path, "/") ||
		strings.HasPrefix(ref.Path, "//") {
		return ""
	}
	back := ref.EscapedPath()
	if ref.RawQuery != "" {
		back += "?" + ref.RawQuery
	}
	if back == r.URL.RequestURI() {
		return ""
	}
	return back
}

// ErrorBody is the JSON of an error, as the API and every JSON answer give it.
type ErrorBody struct {
	Error ErrorJSON `json:"error"`
}

// ErrorJSON is what went wrong: a message, and what was wrong with each field when the request
// was refused for its fields.
type ErrorJSON struct {
	Message string      `json:"message"`
	Fields  []FieldJSON `json:"fields,omitempty"`
}

// FieldJSON is one field's problem.
type FieldJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// errorJSON is err answered in JSON, with msg its message for the user. Fields are listed in the
// order apperr's FieldNames gives (the request's, or their names'), the same for the same request.
// A program has no form that highlights its fields: a message that asks to correct the
// highlighted ones says instead how many fields the request has wrong.
func errorJSON(err error, msg string) ErrorBody {
	out := ErrorBody{Error: ErrorJSON{Message: msg}}
	ae, ok := apperr.As(err)
	if !ok || ae.Code != apperr.Invalid || len(ae.Fields) == 0 {
		return out
	}
	for _, f := range ae.FieldNames() {
		out.Error.Fields = append(out.Error.Fields, FieldJSON{Field: f, Message: ae.Fields[f]})
	}
	if ae.OnlyFields() {
		out.Error.Message = invalidFields(len(ae.Fields))
	}
	return out
}

// invalidFields is the message of a JSON answer that refuses n fields.
func invalidFields(n int) string {
	if n == 1 {
		return "The request has 1 invalid field: see fields."
	}
	return "The request has " + strconv.Itoa(n) + " invalid fields: see fields."
}

// IsAPI reports whether r is from a program, answered in JSON: the intake API, or a vendor's
// callback.
func IsAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/callbacks/")
}

// RedirectToLogin sends a signed-out visitor to the sign-in page, remembering where they were going.
func RedirectToLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" && r.URL.Path != "/login" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// SafeNext returns next when it is a local path on this site, else "/". It refuses
// scheme-relative ("//evil"), backslash tricks and anything with a host.
func SafeNext(next string) string {
	if next == "" || len(next) > 2000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// ClientIP returns the client's address: the connection's peer, or with trustProxy the last
// address of X-Forwarded-For, the one the proxy in front of kycdesk added. The addresses before it
// are whatever the client sent, so they are never taken.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if vs := r.Header.Values("X-Forwarded-For"); len(vs) > 0 {
			last := vs[len(vs)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Now is the clock pages use; tests may replace it.
var Now = time.Now
