package cases

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/normalize"
	"kycdesk/web"
)

// Handler serves the queue and the case page.
type Handler struct {
	Pool    *pgxpool.Pool
	Service *Service
	R       *httpx.Renderer
	SLA     time.Duration
	// CaseView fills the parts of the case page other packages own (customer, documents, images,
	// upload form), so this package need not know them.
	CaseView func(ctx context.Context, c db.GetCaseViewRow, p *auth.Principal, v *web.CaseView) error
	// Kept holds the tab counts and the assignee list between requests; nil keeps nothing.
	Kept *Kept
}

// Kept is what every queue page shows and rarely changes, the tab counts and the users a case may
// be assigned to, kept in memory between requests while the instance hears of their changes
// (Heard, from sessions.Store): a page then runs one statement, its cases. Heard nil keeps nothing.
type Kept struct {
	Pool    *pgxpool.Pool
	Heard   func() db.Heard
	counts  db.Kept[map[Status]int64]
	workers db.Kept[[]web.Option]
}

// Counts are the tab counts (Counts), kept.
func (k *Kept) Counts(ctx context.Context) (map[Status]int64, error) {
	read := func() (map[Status]int64, error) { return Counts(ctx, db.New(k.Pool)) }
	if k.Heard == nil {
		return read()
	}
	h := k.Heard()
	return k.counts.Get(h.Live, h.Counts, read)
}

// Workers are the active users who may be given cases, by name, kept.
func (k *Kept) Workers(ctx context.Context) ([]web.Option, error) {
	read := func() ([]web.Option, error) { return workers(ctx, k.Pool) }
	if k.Heard == nil {
		return read()
	}
	h := k.Heard()
	return k.workers.Get(h.Live, h.Users, read)
}

// Timing is a case's age and its standing against the SLA, as the exports have them: an open
// case's age runs on and it is overdue once past the SLA; a decided case's age stopped at its
// decision, which was late when it came after the SLA.
func Timing(status Status, created time.Time, decided *time.Time, now time.Time, sla time.Duration) (age string, overdue, late bool) {
	if !Open(status) && decided != nil {
		d := decided.Sub(created)
		return duration(d), false, d > sla
	}
	d := now.Sub(created)
	return duration(d), Open(status) && d > sla, false
}

// duration is an age in words: minutes, hours, or days and hours.
func duration(d time.Duration) string {
	switch {
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h"
	default:
		days := int(d.Hours()) / 24
		return strconv.Itoa(days) + " d " + strconv.Itoa(int(d.Hours())-days*24) + " h"
	}
}

// workRoles are the roles whose users may be given cases.
var workRoles = func() []string {
	var roles []string
	for _, r := range auth.Roles {
		if auth.Can(r, auth.PermCasesWork) {
			roles = append(roles, string(r))
		}
	}
	return roles
}()

func workers(ctx context.Context, pool *pgxpool.Pool) ([]web.Option, error) {
	list, err := db.New(pool).ListActiveUsersByRole(ctx, workRoles)
	if err != nil {
		return nil, err
	}
	out := make([]web.Option, 0, len(list))
	for _, u := range list {
		out = append(out, web.Option{Value: u.ID.String(), Label: u.Name})
	}
	return out, nil
}

// kept is h.Kept, or reads that keep nothing.
func (h *Handler) kept() *Kept {
	if h.Kept == nil {
		return &Kept{Pool: h.Pool}
	}
	return h.Kept
}

// countryCodes is what the nationality filter suggests: the codes a customer's nationality may
// take, with their names.
var countryCodes = web.NewDatalist("country-codes", normalize.CountryCodes(), func(c normalize.Country) web.Option {
	return web.Option{Value: c.Alpha3, Label: c.Name}
})

// Queue shows the queue: tabs with counts, filters, one page of cases. An htmx request gets only
// the results (tabs and table).
func (h *Handler) Queue(w http.ResponseWriter, r *http.Request) error {
	return h.queue(w, r, queueQuery(r.URL.RawQuery))
}

// badCursorNote says an address's page could not be read (web.QueueView's BadCursor).
const badCursorNote = "The address named a page of this view that cannot be read (cut short when copied, or changed): this is the view's first page."

// queueQuery is the queue's address query. A page cursor whose escaping is broken, which
// url.ParseQuery leaves out, is kept as one that cannot be read, so that the page says so rather
// than showing the first page as if it had been asked for.
func queueQuery(raw string) url.Values {
	q, err := url.ParseQuery(raw)
	if err == nil {
		return q
	}
	for _, pair := range strings.Split(raw, "&") {
		k, _, _ := strings.Cut(pair, "=")
		if (k == "after" || k == "before") && q.Get(k) == "" {
			if _, err := url.ParseQuery(pair); err != nil {
				q.Set(k, "!")
			}
		}
	}
	return q
}

// queue shows the queue's view given by query. A view with a filter it refuses lists no case
// (422, each refused filter named): a mistyped or stale address must not show another view as if
// it were the one asked for.
func (h *Handler) queue(w http.ResponseWriter, r *http.Request, query url.Values) error {
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	f, errs := ParseFilter(query, p.UserID)
	var page Page
	if len(errs) == 0 {
		var err error
		if page, err = List(ctx, db.New(Planned(h.Pool, f)), f); err != nil {
			return err
		}
		if page.BadCursor { // the first page, with the view's links and address
			f.After, f.Before = "", ""
			if !httpx.Fragment(r) && r.Method == http.MethodGet {
				// At the view's own address, so that a reload, or the top bar's Queue link that
				// returns to it, does not meet the broken cursor again.
				httpx.SetFlash(w, "info", badCursorNote)
				return httpx.Redirect(w, r, "/cases?"+f.Query().Encode())
			}
		}
	}
	counts, err := h.kept().Counts(ctx)
	if err != nil {
		return err
	}
	v := web.QueueView{Errors: errs, CanWork: p.Can(auth.PermCasesWork), CanReport: p.Can(auth.PermReports), Countries: countryCodes}
	if page.BadCursor {
		v.BadCursor = badCursorNote
	}
	v.Filter = web.QueueFilter{Status: string(f.Status), Assignee: query.Get("assignee"), Outcome: query.Get("outcome"),
		Risk: query.Get("risk"), Nationality: query.Get("nationality"), From: query.Get("from"), To: query.Get("to"),
		Q: f.Search, Sort: f.Sort}
	// Each tab is the same view on another status (f.WithStatus(s).Query()): one set of
	// parameters, its status changed per tab.
	tab := f.Query()
	v.Tabs = make([]web.QueueTab, 0, len(Statuses))
	for _, s := range Statuses {
		tab.Set("status", string(s))
		v.Tabs = append(v.Tabs, web.QueueTab{Label: Label(s), Status: string(s), Count: counts[s],
			Href: "/cases?" + tab.Encode(), Active: s == f.Status})
	}
	// A filtered view with no case in its tab says which tabs hold its matches.
	if len(errs) == 0 && len(page.Rows) == 0 && f.After == "" && f.Before == "" {
		v.Filtered = f.filtered()
		elsewhere, more, err := Elsewhere(ctx, h.Pool, f)
		if err != nil {
			return err
		}
		for _, t := range v.Tabs {
			if n := elsewhere[Status(t.Status)]; n > 0 {
				t.Count = n
				v.Elsewhere = append(v.Elsewhere, t)
			}
		}
		if more {
			v.ElsewhereMore = MaxElsewhere
		}
	}
	now := httpx.Now()
	v.Rows = make([]web.QueueRow, 0, len(page.Rows))
	for _, row := range page.Rows {
		v.Rows = append(v.Rows, web.QueueRow{ID: row.ID, Name: row.Name, ExternalRef: row.ExternalRef, Nationality: row.Nationality,
			Status: string(row.Status), StatusLabel: Label(row.Status), Assignee: row.AssigneeName, Outcome: row.VendorOutcome, Risk: row.Risk,
			LastActivity: row.LastActivityAt})
		last := &v.Rows[len(v.Rows)-1]
		last.Age, last.Overdue, last.Late = Timing(row.Status, row.CreatedAt, row.DecidedAt, now, h.SLA)
	}
	base := f.Query()
	if page.Next != "" {
		base.Set("after", page.Next)
		v.NextHref = "/cases?" + base.Encode()
		base.Del("after")
	}
	if page.Prev != "" {
		base.Set("before", page.Prev)
		v.PrevHref = "/cases?" + base.Encode()
		base.Del("before")
		v.FirstHref = "/cases?" + base.Encode()
	}
	v.Paged = v.NextHref != "" || v.FirstHref != ""
	// In the order of the view's links, so the page is the same for the same view. A refused
	// view keeps its values as given, so that "Next case" is refused too rather than claiming
	// from a wider view.
	fields := base
	if len(errs) > 0 {
		fields = url.Values{}
		for k, vs := range query {
			if k != "after" && k != "before" && len(vs) > 0 {
				fields.Set(k, vs[0])
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != "assignee" { // "next case" is always for the viewer, over unassigned cases
			v.NextCase = append(v.NextCase, web.Option{Value: k, Label: fields.Get(k)})
		}
	}
	if v.Assignees, err = h.kept().Workers(ctx); err != nil {
		return err
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	w.Header().Add("Vary", "HX-Request")
	if httpx.Fragment(r) && r.Header.Get("HX-Target") == "queue-results" {
		v.OOB = true
		v.TurnedPage = web.IsQueuePagerLink(r.Header.Get("HX-Trigger"))
		w.Header().Set("HX-Push-Url", "/cases?"+pushQuery(f, errs, query).Encode())
		return httpx.Render(w, r, status, web.QueueResults(v))
	}
	return h.R.Page(w, r, status, "Queue", web.QueuePage(v))
}

// pushQuery is the address's query for the view htmx shows (HX-Push-Url): its parameters as its
// links write them, rather than the filters form's every field, the empty ones too (a search
// cleared would stay in it as "q="). A refused view keeps its values as given (without the empty
// ones), so that the address says what was refused.
func pushQuery(f Filter, errs map[string]string, query url.Values) url.Values {
	if len(errs) > 0 {
		given := url.Values{}
		for k, vs := range query {
			if k != "after" && k != "before" && len(vs) > 0 && vs[0] != "" {
				given.Set(k, vs[0])
			}
		}
		return given
	}
	q := f.Query()
	if f.After != "" {
		q.Set("after", f.After)
	} else if f.Before != "" {
		q.Set("before", f.Before)
	}
	return q
}

func caseID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return id, apperr.New(apperr.NotFound, "No such case.")
	}
	return id, nil
}

// Show is the case page.
func (h *Handler) Show(w http.ResponseWriter, r *http.Request) error {
	return h.ShowWith(w, r, http.StatusOK, nil)
}

// ShowWith renders the case page with status, after mutate adjusts the view (another package's
// refused form shows its errors in its own panel).
func (h *Handler) ShowWith(w http.ResponseWriter, r *http.Request, status int, mutate func(*web.CaseView)) error {
	v, err := h.view(r)
	if err != nil {
		return err
	}
	if mutate != nil {
		mutate(&v)
	}
	return h.R.WidePage(w, r, status, v.Customer.Name, web.CasePage(v), v.SkipLinks()...)
}

func (h *Handler) view(r *http.Request) (web.CaseView, error) {
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	id, err := caseID(r)
	if err != nil {
		return web.CaseView{}, err
	}
	q := db.New(h.Pool)
	c, err := q.GetCaseView(ctx, id)
	if db.IsNotFound(err) {
		return web.CaseView{}, apperr.New(apperr.NotFound, "No such case.")
	}
	if err != nil {
		return web.CaseView{}, err
	}
	now := httpx.Now()
	mine := c.AssigneeID != nil && *c.AssigneeID == p.UserID
	canWork := p.Can(auth.PermCasesWork)
	open := Open(c.Status)
	v := web.CaseView{ID: c.ID.String(), Status: string(c.Status), StatusLabel: Label(c.Status), IsMine: mine,
		CanWork:    canWork && open && (c.AssigneeID == nil || mine),
		CanNote:    MayNote(p),
		CanClaim:   canWork && c.AssigneeID == nil && open && c.Status != PendingSecondReview,
		CanRelease: canWork && mine && open && c.Status != PendingSecondReview,
		CanAssign:  p.Can(auth.PermCasesAssign) && open && c.Status != PendingSecondReview,
		CanReport:  p.Can(auth.PermReports),
		Pending:    c.Status == PendingSecondReview,
		CreatedAt:  c.CreatedAt, Risk: c.RiskFlag}
	v.Age, v.Overdue, v.Late = Timing(c.Status, c.CreatedAt, c.DecidedAt, now, h.SLA)
	if !open && c.DecidedAt != nil {
		v.Age = "decided after " + v.Age
	}
	if c.AssigneeName != nil {
		v.Assignee = *c.AssigneeName
	}
	if c.AssigneeID != nil {
		v.AssigneeID = c.AssigneeID.String()
	}
	if v.CanAssign {
		if v.Assignees, err = h.kept().Workers(ctx); err != nil {
			return v, err
		}
	}
	notes, err := q.ListCaseNotes(ctx, id)
	if err != nil {
		return v, err
	}
	for _, n := range notes {
		v.Notes = append(v.Notes, web.NoteView{Author: n.AuthorName, At: n.CreatedAt, Body: n.Body})
	}
	// The timeline's reads share one snapshot, so a view audited meanwhile cannot fall between them.
	err = pgx.BeginTxFunc(ctx, h.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) (terr error) {
		v.Timeline, terr = Timeline(ctx, db.New(tx), id, MaxTimelineEvents, MaxTimelineViews)
		return terr
	})
	if err != nil {
		return v, err
	}
	if h.CaseView != nil {
		if err := h.CaseView(ctx, c, p, &v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// Claim takes the case.
func (h *Handler) Claim(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "You claimed the case.", func(p *auth.Principal, id uuid.UUID) error {
		_, err := h.Service.Claim(r.Context(), p, id)
		return err
	})
}

// Release gives the case up.
func (h *Handler) Release(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "You released the case.", func(p *auth.Principal, id uuid.UUID) error {
		_, err := h.Service.Release(r.Context(), p, id)
		return err
	})
}

// Assign gives the case to someone.
func (h *Handler) Assign(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "The case was assigned.", func(p *auth.Principal, id uuid.UUID) error {
		assignee, err := uuid.Parse(r.PostFormValue("assignee"))
		if err != nil {
			return apperr.Field("assignee", "Choose who gets the case.")
		}
		_, err = h.Service.Assign(r.Context(), p, id, assignee)
		return err
	})
}

func (h *Handler) act(w http.ResponseWriter, r *http.Request, done string, fn func(p *auth.Principal, id uuid.UUID) error) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	err = fn(auth.PrincipalFrom(r.Context()), id)
	if fields := apperr.FieldsOf(err); fields != nil {
		v, verr := h.view(r)
		if verr != nil {
			return verr
		}
		// The choice refused stays chosen (the assign form's), so the message reads against it.
		v.Errors, v.AssignTo = fields, r.PostFormValue("assignee")
		return h.R.WidePage(w, r, http.StatusUnprocessableEntity, v.Customer.Name, web.CasePage(v), v.SkipLinks()...)
	}
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Conflict {
		httpx.SetFlash(w, "error", ae.Message)
		return httpx.Redirect(w, r, "/cases/"+id.String())
	}
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", done)
	return httpx.Redirect(w, r, "/cases/"+id.String())
}

// Next claims the oldest unassigned case of the posted view and opens it.
func (h *Handler) Next(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	p := auth.PrincipalFrom(r.Context())
	f, errs := ParseFilter(r.PostForm, p.UserID)
	if len(errs) > 0 {
		return h.queue(w, r, r.PostForm)
	}
	c, err := h.Service.Next(r.Context(), p, f)
	if apperr.CodeOf(err) == apperr.NotFound {
		httpx.SetFlash(w, "error", "No unassigned case is left in this view.")
		return httpx.Redirect(w, r, "/cases?"+f.Query().Encode())
	}
	if err != nil {
		return err
	}
	// As Claim says it: the page it lands on is a case the reviewer now holds.
	httpx.SetFlash(w, "ok", "You claimed the case: the oldest unassigned one of your view.")
	return httpx.Redirect(w, r, "/cases/"+c.ID.String())
}

// AddNote adds a note; htmx gets the notes panel back, with the timeline (which now lists the note)
// swapped out of band.
func (h *Handler) AddNote(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := caseID(r)
	if err != nil {
		return err
	}
	body := r.PostFormValue("body")
	_, err = h.Service.AddNote(r.Context(), auth.PrincipalFrom(r.Context()), id, body)
	fields := apperr.FieldsOf(err)
	if err != nil && fields == nil {
		return err
	}
	if !httpx.Fragment(r) {
		if fields != nil {
			v, verr := h.view(r)
			if verr != nil {
				return verr
			}
			v.NoteBody, v.NoteErrors = body, fields
			return h.R.WidePage(w, r, http.StatusUnprocessableEntity, v.Customer.Name, web.CasePage(v), v.SkipLinks()...)
		}
		return httpx.Redirect(w, r, "/cases/"+id.String()+"#notes")
	}
	v, err := h.view(r)
	if err != nil {
		return err
	}
	if fields != nil {
		v.NoteBody, v.NoteErrors = body, fields
		return httpx.Render(w, r, http.StatusUnprocessableEntity, web.NotesPanel(v))
	}
	v.NoteAdded = true
	return httpx.Render(w, r, http.StatusOK, web.NoteAdded(v))
}
