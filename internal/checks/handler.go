package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
	"kycdesk/internal/words"
	"kycdesk/web"
)

// Handler serves the checks panel, running checks, and raw vendor responses.
type Handler struct {
	Service  *Service
	Settings *vendorsettings.Service
	R        *httpx.Renderer
}

func label(v string) string { return vendorsettings.Label(vendors.Name(v)) }

// Panel builds a document's checks panel for p.
func (h *Handler) Panel(ctx context.Context, c db.Case, docID uuid.UUID, p *auth.Principal, errs web.FormErrors) (web.ChecksView, error) {
	q := db.New(db.Reads(ctx, h.Service.Pool))
	open := c.Status != db.CaseStatusApproved && c.Status != db.CaseStatusRejected
	mine := c.AssigneeID != nil && *c.AssigneeID == p.UserID
	v := web.ChecksView{CaseID: c.ID.String(), DocumentID: docID.String(), RequestKey: NewRequestKey(), Errors: errs}
	seen := fnv.New64a() // what the panel shows of each check, for ChecksChanged
	switch {
	case !p.Can(auth.PermCasesWork) || !open:
	case c.Status == db.CaseStatusPendingSecondReview:
		v.Blocked = "The case waits for its second review: no check runs until the decision is confirmed or sent back."
	case c.AssigneeID == nil:
		v.Blocked = "Claim the case to run checks: only its assignee can."
	case !mine:
		v.Blocked = "This case is assigned to someone else: only they can run checks."
	default:
		v.CanRun = true
	}
	doc, err := q.GetDocument(ctx, docID)
	if err != nil {
		return v, err
	}
	defaults := map[vendors.Name]bool{}
	for _, n := range Defaults(ctx, q, string(doc.Type)) {
		defaults[n] = true
	}
	limits := map[string]int{}
	for _, n := range Runnable {
		res, err := h.Settings.Resolve(ctx, n)
		if err != nil {
			return v, err
		}
		v.Vendors = append(v.Vendors, web.VendorChoice{Name: string(n), Label: label(string(n)), Checked: defaults[n], Simulated: res.Simulated})
		limits[string(n)] = max(res.Concurrency, 1)
	}
	list, err := q.ListCaseChecks(ctx, c.ID)
	if err != nil {
		return v, err
	}
	calls, err := q.ListCaseVendorCalls(ctx, &c.ID)
	if err != nil {
		return v, err
	}
	byCheck := map[uuid.UUID][]web.CallRow{}
	for _, k := range calls {
		if k.CheckID == nil {
			continue
		}
		byCheck[*k.CheckID] = append(byCheck[*k.CheckID], web.CallRow{ID: strconv.FormatInt(k.ID, 10), Endpoint: k.Endpoint, Method: k.Method,
			At: k.StartedAt, LatencyMS: int(k.LatencyMs), HTTPStatus: int(k.HttpStatus), Code: k.VendorCode, Meaning: k.Meaning,
			Attempt: int(k.Attempt), Error: callError(k.Error, k.Meaning), BodySize: int(k.BodySize)})
	}
	// The places held, read once and only when a check of the document is running: a running
	// check waits for a place when it holds none and every place of its vendor is held.
	var holders map[uuid.UUID]bool
	var held map[string]int
	known := true
	waits := func(k db.Check) bool {
		if holders == nil {
			holders, held = map[uuid.UUID]bool{}, map[string]int{}
			rows, err := q.ListVendorSlotHolders(ctx)
			known = err == nil // not known: said as running
			for _, r := range rows {
				holders[r.Holder] = true
				held[r.Vendor]++
			}
		}
		return known && !holders[k.ID] && held[k.Vendor] >= limits[k.Vendor]
	}
	for _, k := range list {
		if k.DocumentID != docID {
			continue
		}
		row := web.CheckRow{ID: k.ID.String(), Vendor: k.Vendor, VendorLabel: label(k.Vendor), State: string(k.State), Code: k.Code,
			Reason: k.Reason, Attempts: int(k.Attempts), NextAttempt: k.NextAttemptAt, CreatedAt: k.CreatedAt, FinishedAt: k.FinishedAt,
			Calls: byCheck[k.ID]}
		if k.Outcome != nil {
			row.Outcome = *k.Outcome
		}
		row.Refused = k.ErrorKind == ErrorKindRefused
		switch {
		case k.State == db.CheckStateRunning && k.TransactionID != nil:
			row.Reason = "Waiting for Argos to call back (transaction " + *k.TransactionID + ")."
		case k.State == db.CheckStateRunning && waits(k):
			// Started, not holding one of the vendor's places, and every place is taken by other
			// calls (from this instance or another): waiting for one.
			row.Reason = "Waiting for a free place: " + label(k.Vendor) + " takes at most " + words.Count(limits[k.Vendor], "call", "calls") + " at once."
		}
		var res vendors.Result
		if len(k.Result) > 0 && json.Unmarshal(k.Result, &res) == nil {
			for _, f := range res.Fields {
				cf := web.CheckField{Name: string(f.Name), Value: f.Value}
				if f.Confidence != nil {
					cf.Confidence = fmt.Sprintf("%.0f%%", *f.Confidence*100)
				}
				row.Fields = append(row.Fields, cf)
			}
			keys := make([]string, 0, len(res.Extra))
			for k := range res.Extra {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				row.Fields = append(row.Fields, web.CheckField{Name: k, Value: res.Extra[k]})
			}
		}
		if k.State != db.CheckStateDone && k.State != db.CheckStateFailed {
			v.Pending = true
		}
		v.Checks = append(v.Checks, row)
		fmt.Fprintf(seen, "%s:%s:%s:%s;", k.ID, k.State, row.Outcome, k.ErrorKind)
	}
	v.Seen = strconv.FormatUint(seen.Sum64(), 36)
	return v, nil
}

// ChecksChanged is the event a checks panel's answer raises (HX-Trigger) when the document's checks
// are not as the page showed them: other panels that rest on the checks (the decision panel's
// flags and hint) refresh themselves on it.
const ChecksChanged = "kyc:checks-changed"

// callError is what the panel says of a call that failed. The meaning already says it in plain
// words; the transport's own text ("dial tcp 127.0.0.1:443: connect: connection refused",
// "context deadline exceeded", "unexpected EOF") stays in the vendor call's stored row for whoever
// debugs the connection, and is not put in front of reviewers.
func callError(raw, meaning string) string {
	if raw == "" || meaning != "" {
		return ""
	}
	return "The call got no usable answer."
}

// FillCase adds each document's checks panel to a case page.
func (h *Handler) FillCase(ctx context.Context, c db.GetCaseViewRow, p *auth.Principal, v *web.CaseView) error {
	cs := db.Case{ID: c.ID, CustomerID: c.CustomerID, Status: c.Status, AssigneeID: c.AssigneeID}
	for i := range v.Documents {
		id, err := uuid.Parse(v.Documents[i].ID)
		if err != nil {
			return err
		}
		panel, err := h.Panel(ctx, cs, id, p, nil)
		if err != nil {
			return err
		}
		v.Documents[i].Checks = &panel
	}
	return nil
}

func (h *Handler) ids(r *http.Request) (db.Case, uuid.UUID, error) {
	caseID, err1 := uuid.Parse(chi.URLParam(r, "id"))
	docID, err2 := uuid.Parse(chi.URLParam(r, "doc"))
	if err1 != nil || err2 != nil {
		return db.Case{}, docID, apperr.New(apperr.NotFound, "No such document on this case.")
	}
	q := db.New(h.Service.Pool)
	c, err := q.GetCase(r.Context(), caseID)
	if db.IsNotFound(err) {
		return c, docID, apperr.New(apperr.NotFound, "No such case.")
	}
	if err != nil {
		return c, docID, err
	}
	// The document must be one of the case's customer's: an unknown id was a server error, and
	// another customer's document would show its checks panel under this case.
	doc, err := q.GetDocument(r.Context(), docID)
	if db.IsNotFound(err) || (err == nil && doc.CustomerID != c.CustomerID) {
		return c, docID, apperr.New(apperr.NotFound, "No such document on this case.")
	}
	return c, docID, err
}

// Show is the checks panel alone (htmx polls it while checks run).
func (h *Handler) Show(w http.ResponseWriter, r *http.Request) error {
	c, docID, err := h.ids(r)
	if err != nil {
		return err
	}
	v, err := h.Panel(r.Context(), c, docID, auth.PrincipalFrom(r.Context()), nil)
	if err != nil {
		return err
	}
	// The polling panel says what it showed: a check that started, finished or failed since is
	// news for the rest of the page.
	if seen := r.URL.Query().Get("seen"); seen != "" && seen != v.Seen {
		w.Header().Set("HX-Trigger", ChecksChanged)
	}
	return httpx.Render(w, r, http.StatusOK, web.ChecksPanel(v))
}

// Run requests checks of a document by the chosen vendors.
func (h *Handler) Run(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	c, docID, err := h.ids(r)
	if err != nil {
		return err
	}
	p := auth.PrincipalFrom(r.Context())
	var names []vendors.Name
	for _, s := range r.PostForm["vendor"] {
		names = append(names, vendors.Name(s))
	}
	_, err = h.Service.Request(r.Context(), p.Actor(), &p.UserID, "browser", c.ID, docID, names, r.PostFormValue("request_key"))
	fields := apperr.FieldsOf(err)
	if err != nil && fields == nil {
		return err
	}
	if !httpx.Fragment(r) {
		if fields != nil {
			return err
		}
		httpx.SetFlash(w, "ok", "The checks are queued.")
		return httpx.Redirect(w, r, "/cases/"+c.ID.String())
	}
	v, perr := h.Panel(r.Context(), c, docID, p, fields)
	if perr != nil {
		return perr
	}
	status := http.StatusOK
	if fields != nil {
		status = http.StatusUnprocessableEntity
	} else {
		w.Header().Set("HX-Trigger", ChecksChanged) // checks were queued
	}
	return httpx.Render(w, r, status, web.ChecksPanel(v))
}

// RawCall shows one vendor call's stored response (redacted of secrets and images). Like the case
// page whose data it holds, it is not audited; the images, whose every look is, are not in it.
func (h *Handler) RawCall(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "No such vendor call.")
	}
	k, err := db.New(h.Service.Pool).GetVendorCall(r.Context(), id)
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "No such vendor call.")
	}
	if err != nil {
		return err
	}
	body := string(k.Body)
	if pretty, ok := vendors.Pretty(k.Body); ok {
		body = pretty
	}
	v := web.RawCallView{Vendor: label(k.Vendor), Body: body, Call: web.CallRow{ID: chi.URLParam(r, "id"), Endpoint: k.Endpoint,
		Method: k.Method, At: k.StartedAt, LatencyMS: int(k.LatencyMs), HTTPStatus: int(k.HttpStatus), Code: k.VendorCode,
		Meaning: k.Meaning, Attempt: int(k.Attempt), Error: k.Error}}
	return h.R.Page(w, r, http.StatusOK, "Raw response", web.RawCallPage(v))
}
