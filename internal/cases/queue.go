package cases

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/normalize"
)

// PageSize is how many cases a queue page shows.
const PageSize = 50

// Filter is one view of the queue. It lives in the URL, so a view can be bookmarked and shared.
type Filter struct {
	Status        Status
	Mine          bool       // assigned to the viewer
	AssigneeID    *uuid.UUID // assigned to this user
	Unassigned    bool
	VendorOutcome *string // none, pass, partial, review, fail (see RefreshCaseVendorOutcome)
	Risk          *bool
	Nationality   *string // a code of normalize.CountryCodes
	CreatedFrom   *time.Time
	CreatedTo     *time.Time // exclusive: the day after the "to" date
	Search        string
	Sort          string // "age" (oldest first) or "activity" (latest activity first)
	After         string // keyset cursor: the page after this case
	Before        string // keyset cursor: the page before this case ("Previous page"); After wins

	createdToDate string // the "to" date as typed, for links
}

// ParseFilter reads a queue view from the URL's query. Values that make no sense are reported per
// field and left out of the filter, so the page still shows something.
func ParseFilter(v url.Values, me uuid.UUID) (Filter, map[string]string) {
	errs := map[string]string{}
	f := Filter{Status: New, Sort: "age"}
	if s := v.Get("status"); s != "" {
		if db.CaseStatus(s).Valid() {
			f.Status = db.CaseStatus(s)
		} else {
			errs["status"] = "Unknown status."
		}
	}
	switch a := v.Get("assignee"); a {
	case "", "any":
	case "me":
		f.Mine, f.AssigneeID = true, &me
	case "none":
		f.Unassigned = true
	default:
		if id, err := uuid.Parse(a); err == nil {
			f.AssigneeID = &id
		} else {
			errs["assignee"] = "Unknown assignee."
		}
	}
	if o := v.Get("outcome"); o != "" {
		switch o {
		case "none", "pass", "partial", "review", "fail":
			f.VendorOutcome = &o
		default:
			errs["outcome"] = "Choose none, pass, partial, review or fail."
		}
	}
	switch r := v.Get("risk"); r {
	case "":
	case "yes", "no":
		b := r == "yes"
		f.Risk = &b
	default:
		errs["risk"] = "Choose yes or no."
	}
	if n := strings.TrimSpace(v.Get("nationality")); n != "" {
		// The customers' own rule: a nationality nobody can have would only find nothing.
		if code, problem := normalize.ParseCountryCode(n); problem != "" {
			errs["nationality"] = problem
		} else {
			f.Nationality = &code
		}
	}
	if d := v.Get("from"); d != "" {
		if t, err := time.Parse("2006-01-02", d); err == nil {
			f.CreatedFrom = &t
		} else {
			errs["from"] = "Use a date like 2026-01-31."
		}
	}
	if d := v.Get("to"); d != "" {
		if t, err := time.Parse("2006-01-02", d); err == nil {
			end := t.AddDate(0, 0, 1)
			f.CreatedTo, f.createdToDate = &end, d
		} else {
			errs["to"] = "Use a date like 2026-01-31."
		}
	}
	if f.CreatedFrom != nil && f.CreatedTo != nil && !f.CreatedFrom.Before(*f.CreatedTo) {
		errs["to"] = "The end date is before the start date."
		f.CreatedTo = nil
	}
	// The search is shown back in the page and its links, and goes into the audit row of an
	// export (PostgreSQL refuses a NUL in text and in JSON): valid UTF-8 without control
	// characters (a tab or a line break is a space), cut between characters.
	f.Search = strings.TrimSpace(strings.Map(searchRune, strings.ToValidUTF8(v.Get("q"), "\uFFFD")))
	if len(f.Search) > 200 {
		cut := 200
		for !utf8.RuneStart(f.Search[cut]) {
			cut--
		}
		f.Search = strings.TrimSpace(f.Search[:cut])
	}
	switch s := v.Get("sort"); s {
	case "", "age":
	case "activity":
		f.Sort = "activity"
	default:
		errs["sort"] = "Sort by age or activity."
	}
	f.After = v.Get("after")
	if f.After == "" {
		f.Before = v.Get("before")
	}
	return f, errs
}

// searchRune is r as the search keeps it: a control character is dropped, or a space when it
// separates words.
func searchRune(r rune) rune {
	switch {
	case unicode.IsSpace(r):
		return ' '
	case unicode.IsControl(r):
		return -1
	}
	return r
}

// Query is the filter as URL parameters (without the cursor), for links that keep the view.
func (f Filter) Query() url.Values {
	v := url.Values{}
	v.Set("status", string(f.Status))
	switch {
	case f.Mine:
		v.Set("assignee", "me")
	case f.Unassigned:
		v.Set("assignee", "none")
	case f.AssigneeID != nil:
		v.Set("assignee", f.AssigneeID.String())
	}
	if f.VendorOutcome != nil {
		v.Set("outcome", *f.VendorOutcome)
	}
	if f.Risk != nil {
		v.Set("risk", map[bool]string{true: "yes", false: "no"}[*f.Risk])
	}
	if f.Nationality != nil {
		v.Set("nationality", *f.Nationality)
	}
	if f.CreatedFrom != nil {
		v.Set("from", f.CreatedFrom.Format("2006-01-02"))
	}
	if f.CreatedTo != nil {
		v.Set("to", f.createdToDate)
	}
	if f.Search != "" {
		v.Set("q", f.Search)
	}
	if f.Sort != "age" {
		v.Set("sort", f.Sort)
	}
	return v
}

// WithStatus is the same view on another tab.
func (f Filter) WithStatus(s Status) Filter {
	f.Status = s
	f.After, f.Before = "", ""
	return f
}

// Risky and NotRisky are the risk flag filter as the queue's statements take it: two flags, so
// that a statement asking for flagged cases can use their indexes.
func (f Filter) Risky() bool    { return f.Risk != nil && *f.Risk }
func (f Filter) NotRisky() bool { return f.Risk != nil && !*f.Risk }

func (f Filter) searchArg() *string {
	k := normalize.SearchKey(f.Search)
	if k == "" {
		return nil
	}
	// LIKE wildcards typed by the user are matched literally.
	k = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(k)
	return &k
}

func encodeCursor(t time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "." + id.String()))
}

func decodeCursor(s string) (*time.Time, *uuid.UUID, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, nil, false
	}
	ts, idText, ok := strings.Cut(string(b), ".")
	if !ok {
		return nil, nil, false
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, nil, false
	}
	id, err := uuid.Parse(idText)
	if err != nil {
		return nil, nil, false
	}
	t := time.UnixMicro(us).UTC()
	return &t, &id, true
}

// Row is one case in the queue.
type Row struct {
	ID             uuid.UUID
	Status         Status
	AssigneeID     *uuid.UUID
	AssigneeName   string
	Name           string
	ExternalRef    string
	Nationality    string
	VendorOutcome  string
	Risk           bool
	CreatedAt      time.Time
	LastActivityAt time.Time
	DecidedAt      *time.Time
}

// Page is one page of the queue.
type Page struct {
	Rows      []Row
	Next      string // cursor of the next page, "" on the last
	Prev      string // cursor of the previous page, "" on the first
	BadCursor bool   // the filter's cursor did not decode: this is the first page
}

// Planned wraps d for the page's statement of f's view. Its filters are optional, so the statement
// is sent as the one of the filters f sets (db.Shapes). A view whose best plan is the same for
// every value keeps its plan, where PostgreSQL spent more time planning the page than reading it:
// a tab alone or unassigned, and, oldest first, one of an assignee, a vendor outcome or a
// nationality, or the flagged cases alone or by vendor outcome, each with the creation range,
// since one index serves them in the page's order. Any other view (a search, the cases without
// the flag, two of those filters, an assignee by last activity…) is planned for its values each
// time (db.CustomPlans): how many cases match decides there how to read them.
func Planned(d db.DBTX, f Filter) db.DBTX {
	if f.keepsPlan() {
		return db.Shapes(d)
	}
	return db.Shapes(db.CustomPlans(d))
}

func (f Filter) keepsPlan() bool {
	if f.Search != "" || f.NotRisky() {
		return false
	}
	byAge := f.Sort != "activity"
	indexed := 0 // filters with an index of their own
	for _, set := range []bool{f.Unassigned, f.AssigneeID != nil, f.VendorOutcome != nil, f.Nationality != nil} {
		if set {
			indexed++
		}
	}
	ranged := f.CreatedFrom != nil || f.CreatedTo != nil
	if f.Risky() {
		// The flagged cases' indexes hold a tab's, and a tab's by vendor outcome, in creation order.
		return byAge && (indexed == 0 || indexed == 1 && f.VendorOutcome != nil)
	}
	if byAge {
		// Each of those indexes holds the cases of a tab in creation order.
		return indexed <= 1
	}
	// By last activity, only the tab's and the unassigned cases' indexes are in that order.
	return !ranged && (indexed == 0 || indexed == 1 && f.Unassigned)
}

// List returns one page of the queue for f. q should be made on Planned(d, f): its statements
// have optional filters. A cursor that does not decode is the first page, marked BadCursor.
func List(ctx context.Context, q *db.Queries, f Filter) (Page, error) {
	if f.After != "" || f.Before != "" {
		_, _, okAfter := decodeCursor(f.After)
		_, _, okBefore := decodeCursor(f.Before)
		if !okAfter && !okBefore {
			f.After, f.Before = "", ""
			p, err := List(ctx, q, f)
			p.BadCursor = true
			return p, err
		}
	}
	if at, id, ok := decodeCursor(f.After); ok {
		rows, err := listRows(ctx, q, f, at, id, false)
		if err != nil {
			return Page{}, err
		}
		p := page(f, rows)
		// Before the first case shown, or, past the last case, the cases up to the cursor's.
		if len(p.Rows) > 0 {
			p.Prev = cursorOf(f, p.Rows[0])
		} else {
			p.Prev = cursorPast(f, *at, *id)
		}
		return p, nil
	}
	if at, id, ok := decodeCursor(f.Before); ok {
		rows, err := listRows(ctx, q, f, at, id, true)
		if err != nil {
			return Page{}, err
		}
		if len(rows) > PageSize {
			// Read backwards: the one more is the earliest, and tells a page exists before.
			rows = rows[:PageSize]
			slices.Reverse(rows)
			return Page{Rows: rows, Prev: cursorOf(f, rows[0]), Next: cursorOf(f, rows[PageSize-1])}, nil
		}
		// Back at the start: the first page, whole (cases may have come since).
	}
	rows, err := listRows(ctx, q, f, nil, nil, false)
	if err != nil {
		return Page{}, err
	}
	return page(f, rows), nil
}

// page is a page read forwards: up to PageSize rows, and one more when a next page exists.
func page(f Filter, rows []Row) Page {
	if len(rows) <= PageSize {
		return Page{Rows: rows}
	}
	rows = rows[:PageSize]
	return Page{Rows: rows, Next: cursorOf(f, rows[PageSize-1])}
}

// cursorOf is the cursor at r in f's order.
func cursorOf(f Filter, r Row) string {
	if f.Sort == "activity" {
		return encodeCursor(r.LastActivityAt, r.ID)
	}
	return encodeCursor(r.CreatedAt, r.ID)
}

// cursorPast is a cursor just past the case at (at, id) in f's order, for the page that ends with
// that case when none follows it: a microsecond (PostgreSQL's resolution) later by age, with the
// least id, or a microsecond earlier by activity (latest first), with the greatest. Cases of the
// cursor's instant come before it.
func cursorPast(f Filter, at time.Time, id uuid.UUID) string {
	if f.Sort == "activity" {
		return encodeCursor(at.Add(-time.Microsecond), uuid.Max)
	}
	return encodeCursor(at.Add(time.Microsecond), uuid.Nil)
}

// listRows reads up to PageSize+1 cases of f's view from the cursor (at, id), or from the start
// without one: after it in the view's order, or, backwards, before it, nearest first.
func listRows(ctx context.Context, q *db.Queries, f Filter, at *time.Time, id *uuid.UUID, backwards bool) ([]Row, error) {
	var list []db.ListQueueByAgeRow
	var err error
	// The four statements return the same columns.
	switch {
	case backwards && f.Sort == "activity":
		var l []db.ListQueueByActivityBeforeRow
		l, err = q.ListQueueByActivityBefore(ctx, db.ListQueueByActivityBeforeParams{Status: f.Status, AssigneeID: f.AssigneeID,
			Unassigned: f.Unassigned, VendorOutcome: f.VendorOutcome, Risky: f.Risky(), NotRisky: f.NotRisky(), Nationality: f.Nationality,
			CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: f.searchArg(), BeforeAt: *at, BeforeID: *id})
		list = convertRows(l)
	case backwards:
		var l []db.ListQueueByAgeBeforeRow
		l, err = q.ListQueueByAgeBefore(ctx, db.ListQueueByAgeBeforeParams{Status: f.Status, AssigneeID: f.AssigneeID,
			Unassigned: f.Unassigned, VendorOutcome: f.VendorOutcome, Risky: f.Risky(), NotRisky: f.NotRisky(), Nationality: f.Nationality,
			CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: f.searchArg(), BeforeAt: *at, BeforeID: *id})
		list = convertRows(l)
	case f.Sort == "activity":
		var l []db.ListQueueByActivityRow
		l, err = q.ListQueueByActivity(ctx, db.ListQueueByActivityParams{Status: f.Status, AssigneeID: f.AssigneeID,
			Unassigned: f.Unassigned, VendorOutcome: f.VendorOutcome, Risky: f.Risky(), NotRisky: f.NotRisky(), Nationality: f.Nationality,
			CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: f.searchArg(), AfterAt: at, AfterID: id})
		list = convertRows(l)
	default:
		list, err = q.ListQueueByAge(ctx, db.ListQueueByAgeParams{Status: f.Status, AssigneeID: f.AssigneeID,
			Unassigned: f.Unassigned, VendorOutcome: f.VendorOutcome, Risky: f.Risky(), NotRisky: f.NotRisky(), Nationality: f.Nationality,
			CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: f.searchArg(), AfterAt: at, AfterID: id})
	}
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	rows := make([]Row, 0, len(list))
	for _, r := range list {
		rows = append(rows, Row{r.ID, r.Status, r.AssigneeID, deref(r.AssigneeName), name(r.GivenNames, r.Surname),
			deref(r.ExternalRef), r.Nationality, r.VendorOutcome, r.RiskFlag, r.CreatedAt, r.LastActivityAt, r.DecidedAt})
	}
	return rows, nil
}

// queueRow is a row type of the queue's statements: the same columns as ListQueueByAgeRow.
type queueRow interface {
	db.ListQueueByAgeRow | db.ListQueueByActivityRow | db.ListQueueByAgeBeforeRow | db.ListQueueByActivityBeforeRow
}

func convertRows[R queueRow](list []R) []db.ListQueueByAgeRow {
	out := make([]db.ListQueueByAgeRow, len(list))
	for i, r := range list {
		out[i] = db.ListQueueByAgeRow(r)
	}
	return out
}

// filtered reports whether f narrows its tab (a filter or a search), not just pages through it.
func (f Filter) filtered() bool {
	return f.AssigneeID != nil || f.Unassigned || f.VendorOutcome != nil || f.Risk != nil || f.Nationality != nil ||
		f.CreatedFrom != nil || f.CreatedTo != nil || f.Search != ""
}

// MaxElsewhere is how many matching cases Elsewhere counts at most.
const MaxElsewhere = 1000

// Elsewhere counts, per status, the cases f's filters match in the other tabs: where to look when
// f's tab has none. It counts up to MaxElsewhere cases; more reports there are more than that.
// A view without filters has none elsewhere to tell of (the tabs' counts say it).
func Elsewhere(ctx context.Context, d db.DBTX, f Filter) (counts map[Status]int64, more bool, err error) {
	if !f.filtered() {
		return nil, false, nil
	}
	rows, err := db.New(db.Shapes(db.CustomPlans(d))).QueueMatchesByStatus(ctx, db.QueueMatchesByStatusParams{Status: f.Status,
		AssigneeID: f.AssigneeID, Unassigned: f.Unassigned, VendorOutcome: f.VendorOutcome, Risky: f.Risky(), NotRisky: f.NotRisky(),
		Nationality: f.Nationality, CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: f.searchArg()})
	if err != nil {
		return nil, false, fmt.Errorf("matches elsewhere: %w", err)
	}
	counts = make(map[Status]int64, len(rows))
	var total int64
	for _, r := range rows {
		counts[r.Status] = r.N
		total += r.N
	}
	return counts, total > MaxElsewhere, nil
}

// Counts returns the number of cases per status, from the maintained counters.
func Counts(ctx context.Context, q *db.Queries) (map[Status]int64, error) {
	rows, err := q.CaseStatusCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("status counts: %w", err)
	}
	m := make(map[Status]int64, len(rows))
	for _, r := range rows {
		m[r.Status] = r.N
	}
	return m, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// name is a customer's name as the queue shows it: "SURNAME, Given names".
func name(given, surname string) string {
	if given == "" {
		return surname
	}
	return surname + ", " + given
}
