package vendorsettings

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/vendors"
	"kycdesk/web"
)

// Handler serves the admin's vendor pages: the overview with the active environment, one form
// per integration and environment, and the connection test.
type Handler struct {
	Service *Service
	R       *httpx.Renderer
	// Build makes a client for the connection test (checks.Build, bound by the server).
	Build Builder
	// Simulator: the built-in simulator answers for integrations that are not configured.
	Simulator bool
}

// List shows every integration in both environments and the active environment.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	return h.list(w, r, http.StatusOK, nil)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, status int, errs web.FormErrors) error {
	ctx := r.Context()
	active, err := h.Service.ActiveEnvironment(ctx)
	if err != nil {
		return err
	}
	all, err := h.Service.List(ctx)
	if err != nil {
		return err
	}
	v := web.VendorsView{Active: active, Environments: Environments, Errors: errs, Simulator: h.Simulator}
	for _, st := range all {
		in, _ := Lookup(st.Vendor)
		row := web.VendorRow{Vendor: string(st.Vendor), Label: in.Label, Environment: st.Environment, Href: formPath(st.Vendor, st.Environment),
			Enabled: st.Enabled, Complete: st.Complete(), Active: st.Environment == active}
		if row.Active {
			res, err := h.Service.Resolve(ctx, st.Vendor)
			if err != nil {
				return err
			}
			row.Simulated = res.Simulated
		}
		if st.Exists {
			at := st.UpdatedAt
			row.UpdatedAt = &at
		}
		v.Rows = append(v.Rows, row)
	}
	return h.R.Page(w, r, status, "Vendors", web.VendorsPage(v))
}

// SetEnvironment switches the environment checks run against.
func (h *Handler) SetEnvironment(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	env := r.PostFormValue("environment")
	err := h.Service.SetActiveEnvironment(r.Context(), auth.PrincipalFrom(r.Context()).Actor(), env)
	if fields := apperr.FieldsOf(err); fields != nil {
		return h.list(w, r, http.StatusUnprocessableEntity, fields)
	}
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "Checks now run against the "+env+" settings.")
	return httpx.Redirect(w, r, "/admin/vendors")
}

func formPath(v vendors.Name, env string) string { return "/admin/vendors/" + string(v) + "/" + env }

// target reads the integration and environment from the URL.
func target(r *http.Request) (Integration, string, error) {
	v, env := vendors.Name(chi.URLParam(r, "vendor")), chi.URLParam(r, "env")
	in, err := check(v, env)
	return in, env, err
}

// Edit shows an integration's settings form.
func (h *Handler) Edit(w http.ResponseWriter, r *http.Request) error {
	in, env, err := target(r)
	if err != nil {
		return err
	}
	st, err := h.Service.Get(r.Context(), in.Vendor, env)
	if err != nil {
		return err
	}
	v, err := h.form(r.Context(), in, st)
	if err != nil {
		return err
	}
	return h.R.Page(w, r, http.StatusOK, in.Label, web.VendorFormPage(v))
}

// form is the settings form showing st as saved.
func (h *Handler) form(ctx context.Context, in Integration, st Settings) (web.VendorFormView, error) {
	active, err := h.Service.ActiveEnvironment(ctx)
	if err != nil {
		return web.VendorFormView{}, err
	}
	v := web.VendorFormView{Vendor: string(in.Vendor), Label: in.Label, Environment: st.Environment, Action: formPath(in.Vendor, st.Environment),
		Active: st.Environment == active, Production: h.Service.Production, Enabled: st.Enabled,
		Timeout: strconv.Itoa(int(st.Timeout.Seconds())), Concurrency: strconv.Itoa(st.Concurrency)}
	if st.Exists {
		at := st.UpdatedAt
		v.UpdatedAt = &at
	}
	for _, f := range in.Fields {
		fv := web.VendorFieldView{Name: f.Name, Label: f.Label, Hint: f.Hint, Placeholder: f.Default, Secret: f.Secret, URL: f.URL, Required: f.Required,
			Inbound: f.Inbound}
		if f.Secret {
			if at, ok := st.SecretsSet[f.Name]; ok && !at.IsZero() {
				fv.SetAt = &at
			}
		} else {
			fv.Value = st.Config[f.Name]
		}
		v.Fields = append(v.Fields, fv)
	}
	events, err := db.New(h.Service.Pool).ListAuditEventsForSubject(ctx, db.ListAuditEventsForSubjectParams{SubjectType: "vendor_settings",
		SubjectID: string(in.Vendor) + "/" + st.Environment, MaxRows: 30})
	if err != nil {
		return v, err
	}
	for _, e := range events {
		v.Events = append(v.Events, web.AuditRow{At: e.At, Actor: e.ActorLabel, Action: e.Action, Subject: Title(e), Detail: Describe(e)})
	}
	return v, nil
}

// Save stores the form. On a validation error the form comes back (422) with each field's
// message and the values typed, except secrets: a typed secret is never sent back to the browser.
func (h *Handler) Save(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	integ, env, err := target(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	in := Input{Enabled: r.PostFormValue("enabled") == "on", Config: map[string]string{}, Secrets: map[string]string{}}
	in.TimeoutSeconds, _ = strconv.Atoi(strings.TrimSpace(r.PostFormValue("timeout_seconds")))
	in.Concurrency, _ = strconv.Atoi(strings.TrimSpace(r.PostFormValue("concurrency")))
	clear := map[string]bool{}
	for _, name := range r.PostForm["clear"] {
		clear[name] = true
	}
	errs := map[string]string{}
	typedSecret := false
	for _, f := range integ.Fields {
		val, posted := r.PostForm[f.Name]
		if !posted {
			continue
		}
		if f.Secret {
			if s := strings.TrimSpace(val[0]); s != "" {
				typedSecret = true
				in.Secrets[f.Name] = s
				if clear[f.Name] {
					errs[f.Name] = "Type a new value or clear the stored one, not both."
				}
			}
			if clear[f.Name] {
				in.Clear = append(in.Clear, f.Name)
			}
			continue
		}
		in.Config[f.Name] = val[0]
	}
	if err = apperr.Fields(errs); err == nil {
		_, err = h.Service.Save(ctx, auth.PrincipalFrom(ctx).Actor(), integ.Vendor, env, in)
	}
	if fields := apperr.FieldsOf(err); fields != nil {
		st, gerr := h.Service.Get(ctx, integ.Vendor, env)
		if gerr != nil {
			return gerr
		}
		v, ferr := h.form(ctx, integ, st)
		if ferr != nil {
			return ferr
		}
		v.Errors, v.SecretTyped, v.Enabled = fields, typedSecret, in.Enabled
		v.Timeout, v.Concurrency = r.PostFormValue("timeout_seconds"), r.PostFormValue("concurrency")
		for i, f := range v.Fields {
			if f.Secret {
				v.Fields[i].Clear = clear[f.Name]
			} else if val, ok := in.Config[f.Name]; ok {
				v.Fields[i].Value = val
			}
		}
		return h.R.Page(w, r, http.StatusUnprocessableEntity, integ.Label, web.VendorFormPage(v))
	}
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", fmt.Sprintf("%s (%s) saved.", integ.Label, env))
	return httpx.Redirect(w, r, formPath(integ.Vendor, env))
}

// Test tries the saved settings with the vendor and shows the outcome: the result box alone for
// htmx, else the whole form with it.
func (h *Handler) Test(w http.ResponseWriter, r *http.Request) error {
	integ, env, err := target(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	res, err := h.Service.Test(ctx, auth.PrincipalFrom(ctx).Actor(), integ.Vendor, env, h.Build)
	if err != nil {
		return err
	}
	tv := testView(integ, res)
	if httpx.Fragment(r) {
		return httpx.Render(w, r, http.StatusOK, web.VendorTestBox(tv))
	}
	st, err := h.Service.Get(ctx, integ.Vendor, env)
	if err != nil {
		return err
	}
	v, err := h.form(ctx, integ, st)
	if err != nil {
		return err
	}
	v.Test = tv
	return h.R.Page(w, r, http.StatusOK, integ.Label, web.VendorFormPage(v))
}

func testView(in Integration, res TestResult) *web.VendorTestView {
	t := &web.VendorTestView{OK: res.OK, Message: res.Message, Code: res.Code, HTTPStatus: res.HTTPStatus, Detail: res.Detail,
		LatencyMS: int(res.Latency.Milliseconds()), At: res.At}
	if res.OK {
		t.Title = "Connection works"
		return t
	}
	t.Kind = string(res.Kind)
	words := KindWords(res.Kind)
	t.Title = "Connection failed: " + words
	return t
}

// Title names an audit event on vendor settings in words, for the history's "What"; the audit
// code for an action it does not know.
func Title(e db.AuditEvent) string {
	switch e.Action {
	case "vendor_settings.update":
		return "Settings saved"
	case "vendor_settings.test":
		return "Connection tested"
	case "vendor_settings.environment":
		return "Environment chosen"
	}
	return e.Action
}

// Describe says in a line what an audit event on vendor settings recorded (never a secret: the
// events hold none).
func Describe(e db.AuditEvent) string {
	switch e.Action {
	case "vendor_settings.update":
		var before struct {
			Config map[string]string `json:"config"`
		}
		var after struct {
			Settings struct {
				Enabled bool              `json:"enabled"`
				Config  map[string]string `json:"config"`
			} `json:"settings"`
			SecretsChanged []string `json:"secrets_changed"`
		}
		if json.Unmarshal(e.After, &after) != nil {
			return ""
		}
		_ = json.Unmarshal(e.Before, &before)
		var parts []string
		if after.Settings.Enabled {
			parts = append(parts, "enabled")
		} else {
			parts = append(parts, "disabled")
		}
		if changed := changedKeys(before.Config, after.Settings.Config); len(changed) > 0 {
			parts = append(parts, "changed "+strings.Join(changed, ", "))
		}
		if len(after.SecretsChanged) > 0 {
			parts = append(parts, "new or cleared secret: "+strings.Join(after.SecretsChanged, ", "))
		}
		return strings.Join(parts, "; ")
	case "vendor_settings.test":
		var out struct {
			OK        bool   `json:"ok"`
			Kind      string `json:"kind"`
			Code      string `json:"code"`
			LatencyMS int64  `json:"latency_ms"`
		}
		if json.Unmarshal(e.After, &out) != nil {
			return ""
		}
		if out.OK {
			return fmt.Sprintf("connection works (%d ms)", out.LatencyMS)
		}
		s := "failed: " + KindWords(vendors.Kind(out.Kind))
		if out.Code != "" {
			s += " (code " + out.Code + ")"
		}
		return s
	}
	return ""
}

// changedKeys names the settings whose value differs between two configs.
func changedKeys(a, b map[string]string) []string {
	var out []string
	for k, v := range b {
		if a[k] != v {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
