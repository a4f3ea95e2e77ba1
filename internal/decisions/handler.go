package decisions

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
	"kycdesk/web"
)

// Handler serves decisions, second reviews and the review settings.
type Handler struct {
	Pool    *pgxpool.Pool
	Service *Service
	R       *httpx.Renderer
	// CasePage renders the case page with the given decision panel, for a refused form.
	CasePage func(w http.ResponseWriter, r *http.Request, status int, decision *web.DecisionView) error
}

var outcomeLabel = map[string]string{Approve: "Approve", Reject: "Reject", RequestResubmission: "Request resubmission", Escalate: "Escalate"}

var docOutcomeLabel = map[string]string{"accept": "Document accepted", "reject": "Document rejected", "new_image": "New image requested"}

var groupLabel = map[string]string{Approve: "Approve", Reject: "Reject", RequestResubmission: "Request resubmission", Escalate: "Escalate",
	"doc_accept": "Accept document", "doc_reject": "Reject document", "doc_new_image": "New image of the document", "return": "Send back to the reviewer"}

// Panel builds the decision panel of case c for p.
func (h *Handler) Panel(ctx context.Context, c db.Case, p *auth.Principal) (web.DecisionView, error) {
	q := db.New(db.Reads(ctx, h.Pool))
	v := web.DecisionView{CaseID: c.ID.String(), Checkers: auth.Holders(auth.PermSecondReview)}
	mine := c.AssigneeID != nil && *c.AssigneeID == p.UserID
	v.CanDecide = mine && p.Can(auth.PermCasesWork) && decidable(c.Status)
	// Whoever is offered no decision is told why, a manager too (who never decides: the panel
	// would otherwise be a heading alone).
	switch {
	case v.CanDecide || !cases.Open(c.Status) || c.Status == cases.PendingSecondReview:
	case c.AssigneeID != nil && !mine:
		holder, err := q.GetUser(ctx, *c.AssigneeID)
		if err != nil {
			return v, err
		}
		v.Blocked = "Only the assignee decides; " + holder.Name + " holds this case."
	case !p.Can(auth.PermCasesWork):
		v.Blocked = "Only the assignee decides; nobody holds this case yet: the reviewer who claims it decides it."
	default:
		v.Blocked = "Claim the case to decide it."
	}
	var keys []string
	for _, o := range Outcomes {
		if c.Status == cases.Escalated && (o.Value == Escalate || o.Value == RequestResubmission) {
			continue
		}
		v.Outcomes = append(v.Outcomes, web.Option{Value: o.Value, Label: o.Label})
		keys = append(keys, o.Key+" "+keyWord[o.Value])
	}
	v.Keys = strings.Join(keys, " · ")
	reasons, err := q.ListActiveReasons(ctx)
	if err != nil {
		return v, err
	}
	groups := map[string]*web.ReasonGroup{}
	for _, r := range reasons {
		g := groups[r.Outcome]
		if g == nil {
			g = &web.ReasonGroup{Outcome: r.Outcome, Label: groupLabel[r.Outcome]}
			groups[r.Outcome] = g
		}
		g.Reasons = append(g.Reasons, web.Option{Value: r.ID.String(), Label: r.Label})
	}
	for _, o := range v.Outcomes { // the reasons of the outcomes offered only
		if g := groups[o.Value]; g != nil {
			v.Reasons = append(v.Reasons, *g)
		}
	}
	for _, o := range []string{"doc_accept", "doc_reject", "doc_new_image"} {
		if g := groups[o]; g != nil {
			v.DocReasons = append(v.DocReasons, *g)
		}
	}
	if g := groups["return"]; g != nil {
		v.Return = g.Reasons
	}
	ev, err := h.Service.Gather(ctx, q, c)
	if err != nil {
		return v, err
	}
	for _, f := range ev.Flags {
		v.Flags = append(v.Flags, FlagLabel(f))
	}
	v.Negative = commentNeeded(ev)
	v.ApproveBlocked = approvalBlocked(ev)
	list, err := q.ListCaseDecisions(ctx, c.ID)
	if err != nil {
		return v, err
	}
	for i, d := range list {
		row := web.DecisionRow{Outcome: d.Outcome, OutcomeLabel: outcomeLabel[d.Outcome], Reason: d.ReasonLabel, Comment: d.Comment,
			Maker: d.MakerName, At: d.DecidedAt, State: d.State, Checker: deref(d.CheckerName), CheckerReason: deref(d.CheckerReasonLabel),
			CheckerNote: d.CheckerComment, CheckedAt: d.CheckedAt}
		if d.FourEyesRule != nil {
			row.Rule = RuleLabel(*d.FourEyesRule)
		}
		if d.State == "pending" {
			r := row
			r.Evidence = evidenceLines(d.Evidence)
			v.Pending = &r
			v.IsMaker = d.DecidedBy == p.UserID
			v.CanCheck = !v.IsMaker && p.Can(auth.PermSecondReview) && c.Status == cases.PendingSecondReview
			late, err := LateDocuments(ctx, q, c.ID, d.DecidedAt)
			if err != nil {
				return v, err
			}
			for _, l := range late {
				r.Late = append(r.Late, l.Document+" ("+l.Via+", "+web.Stamp(l.At)+")")
			}
		}
		if i == 0 && d.State == "returned" && cases.Open(c.Status) {
			r := row // the newest case decision was sent back and nothing newer is decided
			v.Returned = &r
		}
		v.History = append(v.History, row)
	}
	docDecisions, err := q.ListDocumentDecisions(ctx, c.ID)
	if err != nil {
		return v, err
	}
	// The case's documents, as the case page lists them and the evidence weighs them.
	docs, err := q.ListCaseDocuments(ctx, c.ID)
	if err != nil {
		return v, err
	}
	names := map[uuid.UUID]string{}
	for i, d := range docs {
		names[d.ID] = customers.DocumentTypeLabel(d.Type)
		if d.Number != "" {
			names[d.ID] += " " + d.Number
		}
		if len(docs) > 1 {
			names[d.ID] = strconv.Itoa(i+1) + ". " + names[d.ID]
		}
		sides := []string{"front", "back", "selfie"}
		if d.Type == db.DocumentTypePassport {
			sides = []string{"front", "selfie"} // its data page is its front; DecideDocument refuses a back
		}
		v.Documents = append(v.Documents, web.DocumentChoice{Value: d.ID.String(), Label: names[d.ID], NoBack: d.Type == db.DocumentTypePassport,
			Sides: sides})
	}
	for _, d := range docDecisions {
		label := docOutcomeLabel[d.Outcome]
		if d.Side != nil {
			label += " (" + *d.Side + ")"
		}
		v.History = append(v.History, web.DecisionRow{Outcome: d.Outcome, OutcomeLabel: label, Reason: d.ReasonLabel, Comment: d.Comment,
			Maker: d.MakerName, At: d.DecidedAt, State: "final", Document: names[d.DocumentID]})
	}
	return v, nil
}

// evidenceLines says in words what a decision's stored evidence holds that a second reviewer must
// weigh: each liveness verdict, each rejected document or new image still awaited, each vendor
// that refused the document, returned a negative result or did not finish, the checks expected
// when none had finished, and the flags.
func evidenceLines(raw []byte) []string {
	var ev Evidence
	if len(raw) == 0 || json.Unmarshal(raw, &ev) != nil {
		return nil
	}
	var out []string
	for _, l := range ev.Liveness {
		out = append(out, "Liveness verdict on "+l.Document+": "+l.Words()+", recorded by "+l.RecordedBy+".")
	}
	for _, d := range ev.DocumentDecisions {
		switch {
		case d.Outcome == "reject":
			out = append(out, d.Document+" was rejected ("+d.Reason+").")
		case d.Outcome == "new_image" && d.Outstanding:
			out = append(out, "A new image of the "+d.Side+" of "+d.Document+" was asked for and had not come ("+d.Reason+").")
		}
	}
	for _, c := range ev.Checks {
		why := strings.TrimSpace(c.Reason)
		if c.Code != "" {
			why = strings.TrimSpace(why + " (code " + c.Code + ")")
		}
		if why != "" {
			why = ": " + why
		}
		switch {
		case c.Refused:
			out = append(out, vendorWords(c.Vendor)+" refused the document"+why)
		case c.Outcome == "fail":
			out = append(out, vendorWords(c.Vendor)+" returned a negative result"+why)
		case c.State == string(db.CheckStateFailed):
			out = append(out, vendorWords(c.Vendor)+" did not finish"+why)
		}
	}
	if len(ev.Unchecked) > 0 {
		out = append(out, "No vendor check had finished (expected: "+missingWords(strings.Join(ev.Unchecked, ","))+").")
	}
	for _, f := range ev.Flags {
		out = append(out, "Flag: "+FlagLabel(f)+".")
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// FillCase adds the decision panel to the case page.
func (h *Handler) FillCase(ctx context.Context, c db.GetCaseViewRow, p *auth.Principal, v *web.CaseView) error {
	panel, err := h.Panel(ctx, db.Case{ID: c.ID, CustomerID: c.CustomerID, Status: c.Status, AssigneeID: c.AssigneeID,
		VendorOutcome: c.VendorOutcome, RiskFlag: c.RiskFlag, CreatedAt: c.CreatedAt}, p)
	if err != nil {
		return err
	}
	v.Decision = &panel
	return nil
}

// ShowPanel is the decision panel alone, as the case page shows it: the page refreshes the panel's
// flags and its hint from it when a check changes (checks.ChecksChanged). Asked for as a page (a
// link, a reload), it is the case page.
func (h *Handler) ShowPanel(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	c, err := cases.Get(r.Context(), db.New(h.Pool), id)
	if err != nil {
		return err
	}
	w.Header().Add("Vary", "HX-Request")
	if !httpx.Fragment(r) {
		http.Redirect(w, r, "/cases/"+id.String()+"#decision", http.StatusSeeOther)
		return nil
	}
	panel, err := h.Panel(r.Context(), c, auth.PrincipalFrom(r.Context()))
	if err != nil {
		return err
	}
	return httpx.Render(w, r, http.StatusOK, web.DecisionPanel(panel))
}

// keyWord is an outcome in the keyboard hint's words.
var keyWord = map[string]string{Approve: "approve", Reject: "reject", RequestResubmission: "resubmission", Escalate: "escalate"}

// refused answers a refused decision: a field error brings the case page back with the form as
// typed (keep copies what was sent into the panel), a conflict goes back to the case with why.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, id uuid.UUID, err error, keep func(*web.DecisionView)) error {
	fields := apperr.FieldsOf(err)
	if fields == nil {
		if ae, ok := apperr.As(err); ok && ae.Code == apperr.Conflict {
			httpx.SetFlash(w, "error", ae.Message)
			return httpx.Redirect(w, r, "/cases/"+id.String())
		}
		return err
	}
	c, gerr := cases.Get(r.Context(), db.New(h.Pool), id)
	if gerr != nil {
		return gerr
	}
	panel, perr := h.Panel(r.Context(), c, auth.PrincipalFrom(r.Context()))
	if perr != nil {
		return perr
	}
	panel.Errors = fields
	keep(&panel)
	return h.CasePage(w, r, http.StatusUnprocessableEntity, &panel)
}

func caseID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return id, apperr.New(apperr.NotFound, "No such case.")
	}
	return id, nil
}

// Decide records the assignee's decision on the case.
func (h *Handler) Decide(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	p := auth.PrincipalFrom(r.Context())
	in := CaseInput{Outcome: r.PostFormValue("outcome"), ReasonID: r.PostFormValue("reason"), Comment: r.PostFormValue("comment")}
	d, err := h.Service.DecideCase(r.Context(), p, id, in)
	if err != nil {
		return h.refused(w, r, id, err, func(v *web.DecisionView) { v.Outcome, v.Reason, v.Comment = in.Outcome, in.ReasonID, in.Comment })
	}
	msg := "The decision is recorded."
	if d.State == "pending" {
		msg = "The decision is recorded and waits for a second review by " + auth.Holders(auth.PermSecondReview) + " other than you."
	}
	httpx.SetFlash(w, "ok", msg)
	return httpx.Redirect(w, r, "/cases/"+id.String())
}

// SecondReview confirms or returns a pending decision.
func (h *Handler) SecondReview(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	confirm := r.PostFormValue("action") == "confirm"
	if !confirm && r.PostFormValue("action") != "return" {
		return apperr.Field("reason", "Confirm the decision or send it back.")
	}
	reason, comment := r.PostFormValue("reason"), r.PostFormValue("comment")
	_, err = h.Service.SecondReview(r.Context(), auth.PrincipalFrom(r.Context()), id, confirm, reason, comment)
	if err != nil {
		return h.refused(w, r, id, err, func(v *web.DecisionView) { v.Reason, v.Comment = reason, comment })
	}
	if confirm {
		httpx.SetFlash(w, "ok", "The decision is confirmed.")
	} else {
		httpx.SetFlash(w, "ok", "The decision was sent back to its maker.")
	}
	return httpx.Redirect(w, r, "/cases/"+id.String())
}

// DecideDocument records a decision on one document.
func (h *Handler) DecideDocument(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	docID, err := uuid.Parse(r.PostFormValue("document"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such document on this case.")
	}
	f := r.PostFormValue
	in := web.DocumentDecisionInput{Document: f("document"), Outcome: f("outcome"), Side: f("side"), Reason: f("reason"), Comment: f("comment")}
	_, err = h.Service.DecideDocument(r.Context(), auth.PrincipalFrom(r.Context()), id, docID, in.Outcome, in.Side, in.Reason, in.Comment)
	if err != nil {
		return h.refused(w, r, id, err, func(v *web.DecisionView) { v.Doc = in })
	}
	httpx.SetFlash(w, "ok", "The document decision is recorded.")
	return httpx.Redirect(w, r, "/cases/"+id.String())
}

// Settings is the admin's page for reasons and four-eyes rules.
func (h *Handler) Settings(w http.ResponseWriter, r *http.Request) error {
	v, err := h.settingsView(r.Context(), nil)
	if err != nil {
		return err
	}
	return h.R.Page(w, r, http.StatusOK, "Review settings", web.ReviewSettingsPage(v))
}

func (h *Handler) settingsView(ctx context.Context, errs web.FormErrors) (web.ReviewSettingsView, error) {
	q := db.New(h.Pool)
	rules := LoadRules(ctx, q)
	v := web.ReviewSettingsView{Always: rules.Always, OverrideNegative: rules.OverrideNegative, Flags: rules.Flags,
		Escalated: rules.Escalated, NoChecks: rules.NoChecks, MinAge: strconv.Itoa(MinAge(ctx, q)),
		LowConfidence: "0.6", Errors: errs, Checkers: auth.Holders(auth.PermSecondReview)}
	if raw, err := q.AppSetting(ctx, "review.low_confidence"); err == nil {
		var f float64
		if json.Unmarshal(raw, &f) == nil {
			v.LowConfidence = strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	for _, o := range []string{Approve, Reject, RequestResubmission, Escalate, "doc_accept", "doc_reject", "doc_new_image", "return"} {
		v.Outcomes = append(v.Outcomes, web.Option{Value: o, Label: groupLabel[o]})
	}
	v.AutoRun = checks.AutoRun(ctx, q)
	for _, n := range checks.Runnable {
		v.Vendors = append(v.Vendors, web.Option{Value: string(n), Label: vendorLabel(n)})
	}
	for _, t := range customers.DocumentTypes {
		row := web.CheckDefaultRow{Type: t.Value, Label: t.Label, Vendors: map[string]bool{}}
		for _, n := range checks.Defaults(ctx, q, t.Value) {
			row.Vendors[string(n)] = true
		}
		v.CheckDefaults = append(v.CheckDefaults, row)
	}
	list, err := q.ListDecisionReasons(ctx)
	if err != nil {
		return v, err
	}
	for _, rr := range list {
		v.Reasons = append(v.Reasons, web.ReasonRow{ID: rr.ID.String(), Outcome: groupLabel[rr.Outcome], Label: rr.Label, Active: rr.Active})
	}
	return v, nil
}

func (h *Handler) saveSetting(ctx context.Context, q *db.Queries, p *auth.Principal, key string, value any) error {
	raw, _ := json.Marshal(value)
	before, _ := q.AppSetting(ctx, key)
	var was, now any
	if json.Unmarshal(before, &was) == nil && json.Unmarshal(raw, &now) == nil && reflect.DeepEqual(was, now) {
		return nil // unchanged: nothing to write, nothing to audit
	}
	if err := q.SetAppSetting(ctx, db.SetAppSettingParams{Key: key, Value: raw, UpdatedBy: &p.UserID}); err != nil {
		return err
	}
	return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "settings.update", SubjectType: "app_settings", SubjectID: key,
		Before: json.RawMessage(before), After: json.RawMessage(raw)})
}

// SaveRules stores the four-eyes rules, the minimum age and the low-confidence threshold.
func (h *Handler) SaveRules(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	rules, age, low, errs := parseReviewSettings(r.PostForm)
	if len(errs) > 0 {
		v, err := h.settingsView(r.Context(), errs)
		if err != nil {
			return err
		}
		// The form as it was sent, to be corrected, not the saved settings.
		v.Always, v.OverrideNegative, v.Flags, v.Escalated, v.NoChecks = rules.Always, rules.OverrideNegative, rules.Flags, rules.Escalated, rules.NoChecks
		v.MinAge, v.LowConfidence = r.PostForm.Get("min_age"), r.PostForm.Get("low_confidence")
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "Review settings", web.ReviewSettingsPage(v))
	}
	p := auth.PrincipalFrom(r.Context())
	err := db.Transact(r.Context(), h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := h.saveSetting(r.Context(), q, p, "four_eyes.rules", rules); err != nil {
			return err
		}
		if err := h.saveSetting(r.Context(), q, p, "review.min_age", age); err != nil {
			return err
		}
		return h.saveSetting(r.Context(), q, p, "review.low_confidence", low)
	})
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "The review settings are saved.")
	return httpx.Redirect(w, r, "/admin/review")
}

// parseReviewSettings reads the review settings form: the four-eyes rules, the minimum age and
// the low-confidence threshold, or what is wrong with them.
func parseReviewSettings(form url.Values) (Rules, int, float64, web.FormErrors) {
	errs := web.FormErrors{}
	age, err := strconv.Atoi(form.Get("min_age"))
	if err != nil || age < 1 || age > 99 {
		errs["min_age"] = "Use an age from 1 to 99."
	}
	low, err := strconv.ParseFloat(strings.TrimSpace(form.Get("low_confidence")), 64)
	// Written so that NaN, which compares false with everything, is refused: JSON cannot hold it.
	if err != nil || !(low >= 0 && low <= 1) {
		errs["low_confidence"] = "Use a number from 0 to 1, like 0.6."
	}
	rules := Rules{Always: form.Get("always") == "on", OverrideNegative: form.Get("override_negative") == "on", Flags: form.Get("flags") == "on",
		Escalated: form.Get("escalated") == "on", NoChecks: form.Get("no_checks") == "on"}
	return rules, age, low, errs
}

func vendorLabel(n vendors.Name) string { return vendorsettings.Label(n) }

// SaveCheckDefaults stores the default vendor set per document type and whether checks run by
// themselves on API intake.
func (h *Handler) SaveCheckDefaults(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, n := range checks.Runnable {
		known[string(n)] = true
	}
	defaults := map[string][]vendors.Name{}
	for _, t := range customers.DocumentTypes {
		list := []vendors.Name{}
		for _, v := range r.PostForm["defaults."+t.Value] {
			if !known[v] {
				return apperr.Field("defaults", "Unknown vendor "+v+".")
			}
			list = append(list, vendors.Name(v))
		}
		defaults[t.Value] = list
	}
	p := auth.PrincipalFrom(r.Context())
	err := db.Transact(r.Context(), h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := h.saveSetting(r.Context(), q, p, "checks.defaults", defaults); err != nil {
			return err
		}
		return h.saveSetting(r.Context(), q, p, "checks.auto_run", r.PostFormValue("auto_run") == "on")
	})
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "The check defaults are saved.")
	return httpx.Redirect(w, r, "/admin/review")
}

// AddReason adds a decision reason.
func (h *Handler) AddReason(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	outcome, label, ok := parseReason(r.PostForm)
	if !ok {
		v, err := h.settingsView(r.Context(), web.FormErrors{"label": "Write the reason (at most 200 characters) and choose its outcome."})
		if err != nil {
			return err
		}
		v.NewOutcome, v.NewLabel = outcome, label
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "Review settings", web.ReviewSettingsPage(v))
	}
	p := auth.PrincipalFrom(r.Context())
	err := db.Transact(r.Context(), h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		rr, err := q.CreateDecisionReason(r.Context(), db.CreateDecisionReasonParams{Outcome: outcome, Label: label})
		if db.IsUniqueViolation(err, "") {
			return apperr.Field("label", "This reason exists already.")
		}
		if err != nil {
			return err
		}
		return audit.Record(r.Context(), q, audit.Event{Actor: p.Actor(), Action: "reason.create", SubjectType: "decision_reason",
			SubjectID: rr.ID.String(), After: map[string]any{"outcome": outcome, "label": label}})
	})
	if fields := apperr.FieldsOf(err); fields != nil {
		v, verr := h.settingsView(r.Context(), fields)
		if verr != nil {
			return verr
		}
		v.NewOutcome, v.NewLabel = outcome, label
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "Review settings", web.ReviewSettingsPage(v))
	}
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "The reason is added.")
	return httpx.Redirect(w, r, "/admin/review")
}

// parseReason reads the new-reason form: its outcome group and its label, one line of at most 200
// characters. ok is false when either is missing or wrong.
func parseReason(form url.Values) (outcome, label string, ok bool) {
	outcome = form.Get("outcome")
	label = strings.Join(strings.Fields(cleanText(form.Get("label"))), " ")
	_, known := groupLabel[outcome]
	return outcome, label, known && label != "" && utf8.RuneCountInString(label) <= 200
}

// SetReasonActive retires or restores a reason (decisions keep the reasons they used).
func (h *Handler) SetReasonActive(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such reason.")
	}
	var active bool
	switch r.PostFormValue("active") {
	case "true":
		active = true
	case "false":
	default:
		return apperr.Field("active", "Say true (bring the reason back) or false (retire it).")
	}
	p := auth.PrincipalFrom(r.Context())
	err = db.Transact(r.Context(), h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		rr, err := q.SetDecisionReasonActive(r.Context(), db.SetDecisionReasonActiveParams{ID: id, Active: active})
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "No such reason.")
		}
		if err != nil {
			return err
		}
		return audit.Record(r.Context(), q, audit.Event{Actor: p.Actor(), Action: "reason.update", SubjectType: "decision_reason",
			SubjectID: id.String(), After: map[string]any{"active": active, "label": rr.Label}})
	})
	if err != nil {
		return err
	}
	return httpx.Redirect(w, r, "/admin/review")
}
