package reports

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/words"
)

// The case-list export reads one row per case, in the queue's order, row by row as the file is
// written, so a million cases never sit in memory. Its statements are the only ones of this
// package not in queries/: sqlc's generated code reads every row into a slice before returning.
//
// A row is case_export_source's (migrations 00006, 00008, 00014 and 00016): the case, its
// customer, the case's latest document (the customer's latest before any later case of theirs was
// opened), the latest check of each vendor, the latest decision and liveness
// verdict, when the case was decided (its age stops there), and the documents that arrived while
// the latest decision waited for its second review. A small
// export reads that view, which looks each case's rows up by index. A big one (bulkRows and more,
// without a search) reads case_export_rows, the same rows stored and kept in the queue's orders
// by two indexes, so it joins and sorts nothing: after a refresh, it reads the stored rows of the
// cases not marked stale in its snapshot and merges in the few marked ones, computed from the view
// at the same snapshot (see bulk).
const (
	exportColumns = `SELECT case_id, status, created_at, vendor_outcome, risk_flag,
    external_ref, given_names, surname, date_of_birth, case_nationality, nationality, assignee_id,
    document_type, document_number, document_country, document_expiry, checks,
    decision, reason_id, decision_comment, decided_by, decided_at, decision_state, checker_id, checked_at, decision_flags,
    liveness_result, liveness_confidence, delivery_state, last_activity_at, case_decided_at, late_documents`
	// The queue's filters; $1 NULL means every status.
	exportFilters = `
WHERE ($1::case_status IS NULL OR status = $1)
  AND ($2::uuid IS NULL OR assignee_id = $2)
  AND (NOT $3::bool OR assignee_id IS NULL)
  AND ($4::text IS NULL OR vendor_outcome = $4)
  AND ($5::bool IS NULL OR risk_flag = $5)
  AND ($6::text IS NULL OR case_nationality = $6)
  AND ($7::timestamptz IS NULL OR created_at >= $7)
  AND ($8::timestamptz IS NULL OR created_at < $8)`
	// sourceSQL reads the view: with the search ($9), and for the marked cases only ($10).
	sourceSQL = exportColumns + " FROM case_export_source" + exportFilters + `
  AND ($9::text IS NULL OR search_text LIKE '%' || $9::text || '%')
  AND ($10::uuid[] IS NULL OR case_id = ANY($10))
`
	storedSQL = exportColumns + " FROM case_export_rows" + exportFilters + "\n"
)

// The export's orders: the queue's two sorts, status by status in the tabs' order (the enum's).
const (
	orderByAge      = "ORDER BY status, created_at, case_id"
	orderByActivity = "ORDER BY status, last_activity_at DESC, case_id DESC"
)

// Columns of the export's rows. The people (assignee, decided by, second reviewer) and the
// reason come as ids, named from the export's lookups.
const (
	xID = iota
	xStatus
	xCreatedAt
	xVendorOutcome
	xRisk
	xExternalRef
	xGivenNames
	xSurname
	xBirthDate
	xNationality         // the case's, as the queue shows and filters it (see cases.nationality)
	xCustomerNationality // the customer's now
	xAssignee
	xDocType
	xDocNumber
	xDocCountry
	xDocExpiry
	xChecks
	xDecision
	xReason
	xComment
	xDecidedBy
	xDecidedAt
	xDecisionState
	xChecker
	xCheckedAt
	xFlags
	xLivenessResult
	xLivenessConfidence
	xDelivery
	xLastActivity
	xCaseDecidedAt // when the case was approved or rejected; NULL while it is not
	xLateDocuments // [type, number] of each late document of the latest decision; NULL for none
	xColumns
)

// Times and dates come in PostgreSQL's binary form (a count from 2000-01-01) and ids as their 16
// bytes, turned into text here without the server's formatting and without a value per cell;
// the rest come as text.
var resultFormats = pgx.QueryResultFormatsByOID{pgtype.TimestamptzOID: pgx.BinaryFormatCode, pgtype.DateOID: pgx.BinaryFormatCode,
	pgtype.UUIDOID: pgx.BinaryFormatCode}

// pgEpoch is PostgreSQL's time zero.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// micros is a binary timestamptz: microseconds since pgEpoch.
func micros(b []byte) (int64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b)), true
}

// days is a binary date: days since pgEpoch.
func days(b []byte) (int32, bool) {
	if len(b) != 4 {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(b)), true
}

func timeOf(us int64) time.Time { return pgEpoch.Add(time.Duration(us) * time.Microsecond) }

func dateOf(d int32) time.Time { return pgEpoch.AddDate(0, 0, int(d)) }

// exporter writes a case-list export as of one moment.
type exporter struct {
	pool   *pgxpool.Pool
	now    time.Time
	today  time.Time
	sla    time.Duration
	minAge int
	// Derived once per export, compared with the raw values of each row.
	nowMicros, slaMicros int64
	todayDays            int32
	// The names of the people and the labels of the reasons, by id, as of the export's snapshot.
	names, reasons map[[16]byte][]byte
	// begin is called once the number of cases is known, before the first is written (the
	// handler sends the response's head then).
	begin func(total int64) error
}

// bulkRows is the size from which an export reads the stored rows rather than the view (an index
// probe per case and per table, several times dearer per row than reading one table in order).
var bulkRows int64 = 20_000

// refreshBeforeExport is off only in the test of an export that finds cases marked stale.
var refreshBeforeExport = true

// each runs the export in a read-only, repeatable-read transaction (one consistent picture while
// reviewers work): it counts the cases, calls begin with the count, then fn with each case's
// cells, in order. A big export first brings the stored rows up to date, so that it has few
// cases to compute itself; a small one reads the view and does not wait for that.
func (e *exporter) each(ctx context.Context, f ExportFilter, begin func(total int64) error, fn func(*caseCells) error) error {
	search := f.searchArg()
	if search == nil && refreshBeforeExport {
		n, err := count(ctx, db.New(e.pool), f)
		if err != nil {
			return err
		}
		if n >= bulkRows {
			if err := RefreshExportRows(ctx, e.pool); err != nil {
				return err
			}
		}
	}
	tx, err := e.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("export: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// No JIT compilation of statements planned once per export, for this transaction only.
	if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
		return fmt.Errorf("export: settings: %w", err)
	}
	q := db.New(tx)
	if e.minAge == 0 {
		e.minAge = decisions.MinAge(ctx, q)
	}
	if err := e.lookups(ctx, q); err != nil {
		return err
	}
	e.nowMicros = e.now.Sub(pgEpoch).Microseconds()
	e.slaMicros = e.sla.Microseconds()
	e.todayDays = int32(e.today.Sub(pgEpoch).Hours() / 24)
	total, err := count(ctx, q, f)
	if err != nil {
		return err
	}
	if err := begin(total); err != nil {
		return err
	}
	var status *cases.Status
	if !f.AllStatuses {
		status = &f.Status
	}
	// Planned for the filters each export has, as the queue's rarer views are (see db.CustomPlans).
	args := []any{pgx.QueryExecModeCacheDescribe, resultFormats, status, f.AssigneeID, f.Unassigned, f.VendorOutcome, f.Risk,
		f.Nationality, f.CreatedFrom, f.CreatedTo}
	o := orderOf(f.Sort)
	var cells caseCells
	emit := func(v [][]byte) error {
		e.fill(&cells, v)
		return fn(&cells)
	}
	if search == nil && total >= bulkRows {
		done, err := e.bulk(ctx, tx, o, args, emit)
		if done || err != nil {
			return err
		}
	}
	return e.read(ctx, tx, sourceSQL+o.sql, append(args, search, nil), emit)
}

// read runs one of the export's statements and calls emit with each row's raw values.
func (e *exporter) read(ctx context.Context, tx pgx.Tx, sql string, args []any, emit func([][]byte) error) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("export: query: %w", err)
	}
	defer rows.Close()
	if n := len(rows.FieldDescriptions()); n != xColumns {
		return fmt.Errorf("export: the query returns %d columns, not %d", n, xColumns)
	}
	for rows.Next() {
		if err := emit(rows.RawValues()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: read cases: %w", err)
	}
	return nil
}

// lookups reads the names of the people and the labels of the reasons the rows name by id.
func (e *exporter) lookups(ctx context.Context, q *db.Queries) error {
	users, err := q.ExportUserNames(ctx)
	if err != nil {
		return fmt.Errorf("export: names: %w", err)
	}
	e.names = make(map[[16]byte][]byte, len(users))
	for _, u := range users {
		e.names[u.ID] = []byte(u.Name)
	}
	reasons, err := q.ListDecisionReasons(ctx)
	if err != nil {
		return fmt.Errorf("export: reasons: %w", err)
	}
	e.reasons = make(map[[16]byte][]byte, len(reasons))
	for _, r := range reasons {
		e.reasons[r.ID] = []byte(r.Label)
	}
	return nil
}

// named returns the name a binary id stands for in m, or nothing.
func named(m map[[16]byte][]byte, id []byte) []byte {
	if len(id) != 16 {
		return nil
	}
	return m[[16]byte(id)]
}

// caseCells is one case of the export as its columns' bytes. A cell either points into the row
// the driver read (valid until the next row) or into buf, where computed cells are written, so a
// row costs no allocation.
type caseCells struct {
	cells [cCount]span
	buf   []byte
	// Typed values the XLSX writes as dates and numbers.
	createdAt, decidedAt, checkedAt, caseDecidedAt int64 // microseconds since pgEpoch; 0 when none
	hasDecided, hasChecked, hasCaseDecided         bool
	expiry                                         int32
	hasExpiry                                      bool
	ageHours                                       float64
}

// span is one cell: raw bytes, or buf[a:b].
type span struct {
	raw  []byte
	a, b int
	own  bool
}

func (c *caseCells) cell(i int) []byte {
	s := c.cells[i]
	if s.own {
		return c.buf[s.a:s.b]
	}
	return s.raw
}

// String returns cell i as text.
func (c *caseCells) String(i int) string { return string(c.cell(i)) }

// Strings returns the cells as text (tests and the XLSX).
func (c *caseCells) Strings() []string {
	out := make([]string, len(c.cells))
	for i := range c.cells {
		out[i] = c.String(i)
	}
	return out
}

func (c *caseCells) setRaw(i int, b []byte) { c.cells[i] = span{raw: b} }

// put starts computed cell i: what is appended to c.buf until done(i) is its value.
func (c *caseCells) put(i int) { c.cells[i] = span{own: true, a: len(c.buf)} }

func (c *caseCells) done(i int) { c.cells[i].b = len(c.buf) }

func (c *caseCells) setText(i int, s string) {
	c.put(i)
	c.buf = append(c.buf, s...)
	c.done(i)
}

// Column positions in the export (ColumnsList's order).
const (
	cCase = iota
	cStatus
	cCustomer
	cExternalRef
	cNationality
	cCustomerNationality
	cDocType
	cDocNumber
	cDocCountry
	cDocExpiry
	cVendor0 // four vendor columns
	_
	_
	_
	cVendorOutcome
	cFlags
	cDecision
	cReason
	cComment
	cDecidedBy
	cDecidedAt
	cSecondReview
	cSecondReviewer
	cSecondReviewedAt
	cLiveness
	cDelivery
	cAssignee
	cCreatedAt
	cCaseDecidedAt
	cTimeToDecision
	cAge
	cPastSLA
	cCount
)

var statusLabels = func() map[string]string {
	m := map[string]string{}
	for _, s := range cases.Statuses {
		m[string(s)] = cases.Label(s)
	}
	return m
}()

var docTypeLabels = map[string]string{"passport": "passport", "national_id": "national ID", "driving_licence": "driving licence",
	"residence_permit": "residence permit", "other": "other"}

// appendUUID writes a binary uuid in its text form.
func appendUUID(b, id []byte) []byte {
	if len(id) != 16 {
		return b
	}
	var out [36]byte
	hex.Encode(out[0:8], id[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], id[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], id[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], id[8:10])
	out[23] = '-'
	hex.Encode(out[24:], id[10:])
	return append(b, out[:]...)
}

// appendStamp writes a timestamp (microseconds since pgEpoch) as "2006-01-02 15:04:05", UTC,
// without going through time.Time's general formatter: a million rows carry two or three each.
func appendStamp(b []byte, us int64) []byte {
	secs := us / 1_000_000
	if us < 0 && us%1_000_000 != 0 {
		secs-- // floor, for times before 2000
	}
	days := secs / 86400
	rem := secs - days*86400
	if rem < 0 {
		rem += 86400
		days--
	}
	b = appendDate(b, days)
	h, m, sec := rem/3600, rem/60%60, rem%60
	return append(b, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+sec/10), byte('0'+sec%10))
}

// appendDate writes a date (days since pgEpoch) as "2006-01-02".
func appendDate(b []byte, days int64) []byte {
	// Days since 0000-03-01 in the proleptic Gregorian calendar (H. Hinnant's civil_from_days).
	z := days + 10957 + 719468 // 2000-01-01 is day 10957 after 1970-01-01
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	if y < 0 || y > 9999 {
		return timeOf(days*86400_000_000).AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// fill turns one row of the export into its cells.
func (e *exporter) fill(c *caseCells, v [][]byte) {
	c.buf = c.buf[:0]
	c.put(cCase)
	c.buf = appendUUID(c.buf, v[xID])
	c.done(cCase)
	c.setText(cStatus, statusLabels[string(v[xStatus])])
	c.put(cCustomer)
	c.buf = append(c.buf, v[xSurname]...)
	if len(v[xGivenNames]) > 0 {
		c.buf = append(c.buf, ", "...)
		c.buf = append(c.buf, v[xGivenNames]...)
	}
	c.done(cCustomer)
	c.setRaw(cExternalRef, v[xExternalRef])
	c.setRaw(cNationality, v[xNationality])
	c.setRaw(cCustomerNationality, v[xCustomerNationality])
	c.setText(cDocType, docTypeLabels[string(v[xDocType])])
	c.setRaw(cDocNumber, v[xDocNumber])
	c.setRaw(cDocCountry, v[xDocCountry])
	c.put(cDocExpiry)
	c.expiry, c.hasExpiry = days(v[xDocExpiry])
	if c.hasExpiry {
		c.buf = appendDate(c.buf, int64(c.expiry))
	}
	c.done(cDocExpiry)
	c.setRaw(cVendorOutcome, v[xVendorOutcome])

	c.fillChecksAndFlags(e, v)

	c.setText(cDecision, decisionLabels[string(v[xDecision])])
	c.setRaw(cReason, named(e.reasons, v[xReason]))
	c.setRaw(cComment, v[xComment])
	c.setRaw(cDecidedBy, named(e.names, v[xDecidedBy]))
	c.decidedAt, c.hasDecided = micros(v[xDecidedAt])
	c.put(cDecidedAt)
	if c.hasDecided {
		c.buf = appendStamp(c.buf, c.decidedAt)
	}
	c.done(cDecidedAt)
	switch s := string(v[xDecisionState]); s {
	case "pending", "confirmed", "returned":
		c.setText(cSecondReview, s)
	default:
		c.setText(cSecondReview, "")
	}
	c.setRaw(cSecondReviewer, named(e.names, v[xChecker]))
	c.checkedAt, c.hasChecked = micros(v[xCheckedAt])
	c.put(cSecondReviewedAt)
	if c.hasChecked {
		c.buf = appendStamp(c.buf, c.checkedAt)
	}
	c.done(cSecondReviewedAt)
	c.put(cLiveness)
	switch string(v[xLivenessResult]) {
	case "t":
		c.buf = append(c.buf, "live ("...)
	case "f":
		c.buf = append(c.buf, "not live ("...)
	}
	if v[xLivenessResult] != nil {
		c.buf = append(c.buf, v[xLivenessConfidence]...)
		c.buf = append(c.buf, "%)"...)
	}
	c.done(cLiveness)
	c.setRaw(cDelivery, v[xDelivery])
	c.setRaw(cAssignee, named(e.names, v[xAssignee]))
	created, _ := micros(v[xCreatedAt])
	c.createdAt = created
	c.put(cCreatedAt)
	c.buf = appendStamp(c.buf, created)
	c.done(cCreatedAt)
	// A decided case's age stopped at its decision: its time to decision, which the SLA is
	// about; an open case's age runs to the export's moment, as the queue shows it.
	c.caseDecidedAt, c.hasCaseDecided = micros(v[xCaseDecidedAt])
	end := e.nowMicros
	if c.hasCaseDecided {
		end = c.caseDecidedAt
	}
	age := end - created
	c.ageHours = float64(age/360_000_000) / 10 // whole tenths of an hour
	c.put(cCaseDecidedAt)
	if c.hasCaseDecided {
		c.buf = appendStamp(c.buf, c.caseDecidedAt)
	}
	c.done(cCaseDecidedAt)
	c.put(cAge)
	c.buf = strconv.AppendFloat(c.buf, c.ageHours, 'f', 1, 64)
	c.done(cAge)
	if c.hasCaseDecided {
		c.cells[cTimeToDecision] = c.cells[cAge]
	} else {
		c.setText(cTimeToDecision, "")
	}
	c.setText(cPastSLA, words.YesNo(age > e.slaMicros))
}

// fillChecksAndFlags writes the four vendor cells ("pass", "fail (508)", "error (1003)" …) and
// the flags: the case's risk flag, what the data says now (expired document, under age, a vendor's
// negative result), then the other flags the latest decision recorded (mismatch:<field>,
// mrz_failure …), then each document that arrived after it while it waited for its second review
// (late_document:<document>, as the decision panel and the case report say it).
func (c *caseCells) fillChecksAndFlags(e *exporter, v [][]byte) {
	checks := v[xChecks]
	var negative [len(Vendors)]bool
	for i, vendor := range Vendors {
		c.put(cVendor0 + i)
		if res, ok := checkOf(checks, vendor.Name); ok {
			outcome, code, _ := bytes.Cut(res, []byte(":"))
			switch string(outcome) {
			case "failed": // the check could not run: it has no outcome
				outcome = []byte("error")
			case "fail":
				negative[i] = true
			}
			c.buf = append(c.buf, outcome...)
			if len(code) > 0 {
				c.buf = append(c.buf, " ("...)
				c.buf = append(c.buf, code...)
				c.buf = append(c.buf, ')')
			}
		}
		c.done(cVendor0 + i)
	}
	c.put(cFlags)
	n := 0
	add := func(s string) {
		if n > 0 {
			c.buf = append(c.buf, "; "...)
		}
		c.buf = append(c.buf, s...)
		n++
	}
	risk := string(v[xRisk]) == "t"
	if risk {
		add("risk")
	}
	expired := c.hasExpiry && c.expiry < e.todayDays
	if expired {
		add("expired_document")
	}
	underAge := false
	if born, ok := days(v[xBirthDate]); ok && dateOf(born).AddDate(e.minAge, 0, 0).After(e.today) {
		underAge = true
		add("under_age")
	}
	var recorded []string
	if fl := v[xFlags]; len(fl) > 2 { // a JSON array that is not "[]"
		if json.Unmarshal(fl, &recorded) != nil {
			recorded = nil
		}
	}
	for i, vendor := range Vendors {
		// A refusal the decision recorded says it more precisely (vendor_refused:<vendor>, below).
		if negative[i] && !slices.Contains(recorded, "vendor_refused:"+vendor.Name) {
			add(vendor.Flag)
		}
	}
	for _, f := range recorded {
		// Said already from what the data says now (risk: a decision records the risk flag too).
		if (f == "risk" && risk) || (f == "expired_document" && expired) || (f == "under_age" && underAge) || c.hasVendorFlag(f, negative) {
			continue
		}
		add(f)
	}
	if late := v[xLateDocuments]; late != nil {
		var docs [][2]string
		if json.Unmarshal(late, &docs) == nil {
			for _, d := range docs {
				add("late_document:" + decisions.DocumentLabel(db.Document{Type: db.DocumentType(d[0]), Number: d[1]}))
			}
		}
	}
	c.done(cFlags)
}

func (c *caseCells) hasVendorFlag(f string, negative [len(Vendors)]bool) bool {
	for i, v := range Vendors {
		if negative[i] && f == v.Flag {
			return true
		}
	}
	return false
}

// checkOf finds "vendor=result" in the checks aggregate ("apptenticate=pass,argos=failed:1003").
func checkOf(checks []byte, vendor string) ([]byte, bool) {
	for len(checks) > 0 {
		part, rest, _ := bytes.Cut(checks, []byte(","))
		if name, res, ok := bytes.Cut(part, []byte("=")); ok && string(name) == vendor {
			return res, true
		}
		checks = rest
	}
	return nil, false
}
