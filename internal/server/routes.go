package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/httpx"
	"kycdesk/internal/intake"
	"kycdesk/internal/sessions"
	"kycdesk/internal/words"
	"kycdesk/static"
)

// Access is who may reach a route.
type Access struct {
	// Public routes need no sign-in (sign-in itself, set-password links, operator endpoints).
	Public bool
	// Token routes are the intake API: an API token, never a browser session.
	Token bool
	// Perm is the permission a signed-in user needs. Every other route names one.
	Perm auth.Perm
}

var (
	public = Access{Public: true}
	// signedIn is for what every signed-in user may do to their own account.
	signedIn = Access{Perm: auth.PermAccount}
	apiToken = Access{Token: true}
)

func need(p auth.Perm) Access { return Access{Perm: p} }

// Route is one entry of the route table.
type Route struct {
	Method  string
	Pattern string
	Access  Access
	Handler httpx.HandlerFunc
}

// nav is the top navigation; each entry shows only to those with its permission.
var nav = []httpx.NavEntry{
	{Label: "Queue", Href: "/cases", Perm: auth.PermCasesView},
	{Label: "Dashboard", Href: "/dashboard", Perm: auth.PermReports},
	{Label: "Undelivered verdicts", Href: "/liveness/undelivered", Perm: auth.PermReports},
	{Label: "Audit log", Href: "/audit", Perm: auth.PermAuditExport},
	{Label: "Users", Href: "/admin/users", Perm: auth.PermUsersManage},
	{Label: "API tokens", Href: "/admin/api-tokens", Perm: auth.PermTokensManage},
	{Label: "Review settings", Href: "/admin/review", Perm: auth.PermSettings},
	{Label: "Vendors", Href: "/admin/vendors", Perm: auth.PermVendorsManage},
	{Label: "Account", Href: "/account", Perm: auth.PermAccount},
}

// Routes is every route kycdesk serves, with who may reach it: the authorization table. The
// authorization-matrix test walks this list, so a route added here without a rule fails it.
func (s *Server) Routes() []Route {
	sh, uh, ch, cu, api := s.sessions, s.users, s.cases, s.customers, s.api
	return []Route{
		// Operators.
		{"GET", "/healthz", public, s.healthz},
		{"GET", "/readyz", public, s.readyz},
		{"GET", "/metrics", public, s.metrics},

		// Signing in and out.
		{"GET", "/login", public, sh.LoginPage},
		{"POST", "/login", public, sh.Login},
		{"GET", "/set-password/{token}", public, sh.SetPasswordPage},
		{"POST", "/set-password/{token}", public, sh.SetPassword},
		{"POST", "/logout", signedIn, sh.Logout},

		// Own account.
		{"GET", "/", signedIn, s.home},
		{"GET", "/account", signedIn, sh.Account},
		{"POST", "/account/sessions/{id}/revoke", signedIn, sh.RevokeSession},
		{"GET", "/account/password", signedIn, sh.PasswordPage},
		{"POST", "/account/password", signedIn, sh.ChangePassword},

		// The queue and cases.
		{"GET", "/cases", need(auth.PermCasesView), ch.Queue},
		{"POST", "/cases/next", need(auth.PermCasesWork), ch.Next},
		{"GET", "/cases/next", need(auth.PermCasesView), toQueue}, // a reload of the form's answer
		{"GET", "/cases/{id}", need(auth.PermCasesView), ch.Show},
		{"POST", "/cases/{id}/claim", need(auth.PermCasesWork), ch.Claim},
		{"POST", "/cases/{id}/release", need(auth.PermCasesWork), ch.Release},
		{"POST", "/cases/{id}/assign", need(auth.PermCasesAssign), ch.Assign},
		{"POST", "/cases/{id}/notes", need(auth.PermCasesWork), ch.AddNote},
		{"GET", "/cases/{id}/documents/{doc}/checks", need(auth.PermCasesView), s.checks.Show},
		{"POST", "/cases/{id}/documents/{doc}/checks", need(auth.PermCasesWork), s.checks.Run},
		{"GET", "/vendor-calls/{id}", need(auth.PermCasesView), s.checks.RawCall},
		{"POST", "/callbacks/argos/{token}", public, s.callbacks.Argos},
		{"POST", "/callbacks/artemis/{token}", public, s.artemisCallbacks.Artemis},

		// The review workspace of a document.
		{"GET", "/cases/{id}/documents/{doc}/review", need(auth.PermCasesView), s.review.Show},
		{"POST", "/cases/{id}/documents/{doc}/review/mrz", need(auth.PermCasesView), s.review.CheckMRZ},

		// Liveness verdicts, delivered to Cynopsis Artemis.
		{"GET", "/cases/{id}/documents/{doc}/liveness", need(auth.PermCasesView), s.liveness.Form},
		{"POST", "/cases/{id}/documents/{doc}/liveness", need(auth.PermCasesWork), s.liveness.Save},
		{"GET", "/cases/{id}/documents/{doc}/liveness/panel", need(auth.PermCasesView), s.liveness.Panel},
		{"GET", "/cases/{id}/documents/{doc}/liveness/portrait", need(auth.PermCasesView), s.liveness.Portrait},
		{"POST", "/cases/{id}/liveness/{verdict}/retry", need(auth.PermCasesWork), s.liveness.Retry},
		{"GET", "/liveness/undelivered", need(auth.PermReports), s.liveness.Undelivered},
		{"POST", "/liveness/undelivered/{verdict}/retry", need(auth.PermReports), s.liveness.RetryUndelivered},

		{"GET", "/cases/{id}/decision/panel", need(auth.PermCasesView), s.decisions.ShowPanel},
		{"POST", "/cases/{id}/decision", need(auth.PermCasesWork), s.decisions.Decide},
		{"POST", "/cases/{id}/document-decision", need(auth.PermCasesWork), s.decisions.DecideDocument},
		{"POST", "/cases/{id}/second-review", need(auth.PermSecondReview), s.decisions.SecondReview},

		// Managers' reports: case-list exports, case reports, the dashboard, the audit log.
		{"GET", "/cases/export.csv", need(auth.PermReports), s.reports.ExportCSV},
		{"GET", "/cases/export.xlsx", need(auth.PermReports), s.reports.ExportXLSX},
		{"GET", "/cases/export/columns", need(auth.PermReports), s.reports.ExportColumns},
		{"GET", "/cases/{id}/report.pdf", need(auth.PermReports), s.reports.ReportPDF},
		{"POST", "/cases/reports.zip", need(auth.PermReports), s.reports.ReportsZip},
		{"GET", "/cases/reports.zip", need(auth.PermCasesView), toQueue},
		{"GET", "/dashboard", need(auth.PermReports), s.reports.Dashboard},
		{"GET", "/audit", need(auth.PermAuditExport), s.reports.AuditPage},
		{"GET", "/audit/export.csv", need(auth.PermAuditExport), s.reports.AuditExportCSV},
		{"GET", "/audit/export.jsonl", need(auth.PermAuditExport), s.reports.AuditExportJSONL},

		// Customers, documents, images.
		{"GET", "/customers/new", need(auth.PermCasesWork), cu.New},
		{"POST", "/customers", need(auth.PermCasesWork), cu.Create},
		{"GET", "/customers/{id}/edit", need(auth.PermCasesWork), cu.Edit},
		{"POST", "/customers/{id}", need(auth.PermCasesWork), cu.Update},
		{"POST", "/customers/{id}/documents", need(auth.PermCasesWork), cu.AddDocument},
		{"GET", "/images/{id}/{variant}", need(auth.PermCasesView), cu.Image},

		// The intake API.
		{"GET", "/api/v1/openapi.json", public, intake.OpenAPI},
		{"POST", "/api/v1/customers", apiToken, api.CreateCustomer},
		{"GET", "/api/v1/customers", apiToken, api.FindCustomer},
		{"GET", "/api/v1/customers/{id}", apiToken, api.GetCustomer},
		{"POST", "/api/v1/customers/{id}/documents", apiToken, api.AddDocument},
		{"GET", "/api/v1/cases/{id}", apiToken, api.GetCase},

		// Administration.
		{"GET", "/admin/review", need(auth.PermSettings), s.decisions.Settings},
		{"POST", "/admin/review/rules", need(auth.PermSettings), s.decisions.SaveRules},
		{"POST", "/admin/review/checks", need(auth.PermSettings), s.decisions.SaveCheckDefaults},
		{"POST", "/admin/review/reasons", need(auth.PermSettings), s.decisions.AddReason},
		{"POST", "/admin/review/reasons/{id}", need(auth.PermSettings), s.decisions.SetReasonActive},
		{"GET", "/admin/api-tokens", need(auth.PermTokensManage), s.tokens.List},
		{"POST", "/admin/api-tokens", need(auth.PermTokensManage), s.tokens.Create},
		{"POST", "/admin/api-tokens/{id}/revoke", need(auth.PermTokensManage), s.tokens.Revoke},
		{"GET", "/admin/roles", need(auth.PermUsersManage), uh.Roles},
		{"GET", "/admin/users", need(auth.PermUsersManage), uh.List},
		{"GET", "/admin/users/new", need(auth.PermUsersManage), uh.New},
		{"POST", "/admin/users", need(auth.PermUsersManage), uh.Create},
		{"GET", "/admin/users/{id}", need(auth.PermUsersManage), uh.Show},
		{"POST", "/admin/users/{id}/role", need(auth.PermUsersManage), uh.ChangeRole},
		{"POST", "/admin/users/{id}/disable", need(auth.PermUsersManage), uh.Disable},
		{"POST", "/admin/users/{id}/enable", need(auth.PermUsersManage), uh.Enable},
		{"POST", "/admin/users/{id}/unlock", need(auth.PermUsersManage), uh.Unlock},
		{"POST", "/admin/users/{id}/password-link", need(auth.PermUsersManage), uh.PasswordLink},
		{"POST", "/admin/users/{id}/temporary-password", need(auth.PermUsersManage), uh.TemporaryPassword},
		{"GET", "/admin/vendors", need(auth.PermVendorsManage), s.vendorsUI.List},
		{"POST", "/admin/vendors/environment", need(auth.PermVendorsManage), s.vendorsUI.SetEnvironment},
		{"GET", "/admin/vendors/{vendor}/{env}", need(auth.PermVendorsManage), s.vendorsUI.Edit},
		{"POST", "/admin/vendors/{vendor}/{env}", need(auth.PermVendorsManage), s.vendorsUI.Save},
		{"POST", "/admin/vendors/{vendor}/{env}/test", need(auth.PermVendorsManage), s.vendorsUI.Test},
	}
}

// Handler returns the whole HTTP handler: middleware, static files and the route table.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.Metrics.Middleware(s.Log), s.securityHeaders, s.recoverer, s.requestMeta, s.wrote, s.crossOrigin,
		s.Store.Authenticate(s.Cfg.TrustProxy))
	r.Method("GET", "/static/*", staticFiles(http.FS(static.FS)))
	r.Method("HEAD", "/static/*", staticFiles(http.FS(static.FS)))
	if s.Sim != nil {
		// The vendor simulator: fake vendors that check their own credentials, like the real ones.
		r.Mount("/sim", http.StripPrefix("/sim", s.Sim.Handler()))
	}
	for _, rt := range s.Routes() {
		h := http.Handler(s.R.Wrap(rt.Handler))
		switch {
		case rt.Access.Token:
			h = intake.RequireToken(s.Pool, s.R, s.Cfg.TrustProxy)(h)
		case !rt.Access.Public:
			h = sessions.RequireUser(sessions.Require(s.R, rt.Access.Perm)(h))
		}
		r.Method(rt.Method, rt.Pattern, h)
		// HEAD where it costs nothing and records nothing: the public pages. A signed-in page may
		// audit what it shows (an image, an export), and a HEAD shows nothing.
		if rt.Method == http.MethodGet && rt.Access.Public {
			r.Method(http.MethodHead, rt.Pattern, h)
		}
	}
	notFound := s.R.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		if httpx.IsAPI(r) {
			return apperr.New(apperr.NotFound, "There is nothing at this address: the API's addresses are listed in /api/v1/openapi.json.")
		}
		return apperr.New(apperr.NotFound, "There is no page at this address.")
	})
	r.NotFound(notFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		// chi keeps the methods it found to itself when the handler is ours: ask the routes.
		allowed := allowedMethods(r, req)
		if len(allowed) == 0 { // a method chi does not know, at an address that answers none
			notFound(w, req)
			return
		}
		// RFC 9110 (15.5.6): a 405 lists the methods the address does answer.
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		msg := "Method not allowed: " + req.Method + " is not one this address answers; it answers " + words.Join(allowed) + "."
		if httpx.IsAPI(req) { // the API answers in its error shape
			_ = httpx.JSON(w, http.StatusMethodNotAllowed, httpx.ErrorBody{Error: httpx.ErrorJSON{Message: msg}})
			return
		}
		// A form that was refused (422) leaves its action's address in the address bar: reloading
		// it, or coming back to it, asks for the page the form belongs to.
		if req.Method == http.MethodGet {
			if page := pageAbove(r, req.URL.Path); page != "" {
				http.Redirect(w, req, page, http.StatusSeeOther)
				return
			}
		}
		http.Error(w, msg, http.StatusMethodNotAllowed)
	})
	return r
}

// methods are the methods an address may answer, in the order an Allow header lists them.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions}

// allowedMethods lists the methods req's address answers (none when it answers none).
func allowedMethods(r chi.Routes, req *http.Request) []string {
	path := req.URL.RawPath // what chi routes by
	if path == "" {
		path = req.URL.Path
	}
	var out []string
	for _, m := range methods {
		if r.Match(chi.NewRouteContext(), m, path) {
			out = append(out, m)
		}
	}
	return out
}

// pageAbove is the page a form posting to path belongs to: path's own form page (path/new for a
// collection, as /customers/new for POST /customers; path/edit for a record, as
// /customers/{id}/edit for POST /customers/{id}), else the nearest address above path that
// answers GET; "" when there is none below the root.
func pageAbove(r chi.Routes, path string) string {
	for p := strings.TrimSuffix(path, "/"); p != ""; {
		for _, form := range []string{p + "/new", p + "/edit"} {
			if r.Match(chi.NewRouteContext(), http.MethodGet, form) {
				return form
			}
		}
		i := strings.LastIndexByte(p, '/')
		if i <= 0 {
			return ""
		}
		p = p[:i]
		if r.Match(chi.NewRouteContext(), http.MethodGet, p) {
			return p
		}
	}
	return ""
}

// toQueue sends a GET for a form's address under /cases (taken for a case's id otherwise) to the
// queue, where its form is.
func toQueue(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/cases", http.StatusSeeOther)
	return nil
}

// home sends a user to the page their role starts from.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	p := auth.PrincipalFrom(r.Context())
	for _, n := range nav {
		if p.Can(n.Perm) {
			http.Redirect(w, r, n.Href, http.StatusSeeOther)
			return nil
		}
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Pool.Ping(ctx); err != nil {
		s.Log.WarnContext(r.Context(), "readiness: database unreachable", "error", err.Error())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unreachable\n"))
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ready\n"))
	return err
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if tok := s.Cfg.MetricsToken; tok != "" {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+tok)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need a bearer token", http.StatusUnauthorized)
			return nil
		}
	}
	promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}
