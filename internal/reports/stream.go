package reports

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
)

// exportSQL is the case-list export: one statement, read row by row as the file is written, so
// a million cases never sit in memory. It is the one query of this package that is not in
// queries/: sqlc's generated code reads every row into a slice before returning.
//
// Each case is joined to its documents, decisions and liveness verdicts with plain joins, and the
// rows of one case come out together, its latest document, decision and verdict first (the ORDER
// BY says so); each reads the first row of a case and skips the others. Plain joins let the
// planner choose: for a narrow filter it probes the indexes case by case; for a whole tab it reads
// each table once and hash-joins, several times cheaper per row than a million index probes, and
// cheaper than asking for "the latest" in SQL (an anti-join reads each table twice). Most cases
// have one document and at most one decision, so few rows are skipped. The checks are
// aggregated per case (see checksPerCase and checksJoin), so a case's checks never multiply its
// rows ({checks} and {join} are where they go). The filters are the queue's; $1 NULL means every
// status.
const exportSQL = `
SELECT c.id, c.status, c.created_at, c.vendor_outcome, c.risk_flag,
    cu.external_ref, cu.given_names, cu.surname, cu.date_of_birth, cu.nationality, a.name,
    d.type, d.number, d.issuing_country, d.expiry_date,
    {checks},
    cd.outcome, r.label, cd.comment, m.name, cd.decided_at, cd.state, ch.name, cd.checked_at, cd.evidence -> 'flags',
    lv.liveness_result, lv.liveness_confidence, ld.state
FROM cases c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN users a ON a.id = c.assignee_id {join}
LEFT JOIN documents d ON d.customer_id = c.customer_id
LEFT JOIN case_decisions cd ON cd.case_id = c.id
LEFT JOIN decision_reasons r ON r.id = cd.reason_id
LEFT JOIN users m ON m.id = cd.decided_by
LEFT JOIN users ch ON ch.id = cd.checker_id
LEFT JOIN liveness_verdicts lv ON lv.case_id = c.id
LEFT JOIN liveness_deliveries ld ON ld.verdict_id = lv.id
WHERE ($1::case_status IS NULL OR c.status = $1)
  AND ($2::uuid IS NULL OR c.assignee_id = $2)
  AND (NOT $3::bool OR c.assignee_id IS NULL)
  AND ($4::text IS NULL OR c.vendor_outcome = $4)
  AND ($5::bool IS NULL OR c.risk_flag = $5)
  AND ($6::text IS NULL OR c.nationality = $6)
  AND ($7::timestamptz IS NULL OR c.created_at >= $7)
  AND ($8::timestamptz IS NULL OR c.created_at < $8)
  AND ($9::text IS NULL OR c.search_text LIKE '%' || $9::text || '%')
`

// The latest check of each vendor on a case, as "vendor=outcome[:code]" joined by commas, or its
// state while it has no outcome ("argos=failed:1003" when it could not run): per case through an
// index probe (narrow exports), or for all cases at once, joined (big ones).
const (
	checksPerCase = `(SELECT string_agg(l.vendor || '=' || coalesce(l.outcome, l.state::text) || CASE WHEN l.code <> '' THEN ':' || l.code ELSE '' END, ',')
       FROM (SELECT DISTINCT ON (y.vendor) y.vendor, y.outcome, y.state, y.code FROM checks y
             WHERE y.case_id = c.id AND y.kind <> 'record' ORDER BY y.vendor, y.created_at DESC) l)`
	checksJoin = `
LEFT JOIN (SELECT l.case_id, string_agg(l.vendor || '=' || coalesce(l.outcome, l.state::text) || CASE WHEN l.code <> '' THEN ':' || l.code ELSE '' END, ',') AS checks
       FROM (SELECT DISTINCT ON (y.case_id, y.vendor) y.case_id, y.vendor, y.outcome, y.state, y.code FROM checks y
             WHERE y.kind <> 'record' ORDER BY y.case_id, y.vendor, y.created_at DESC) l
       GROUP BY l.case_id) k ON k.case_id = c.id`
)

// The export's orders: the queue's two sorts, status by status in the tabs' order (the enum's).
const (
	orderByAge      = "ORDER BY c.status, c.created_at, c.id" + latestFirst
	orderByActivity = "ORDER BY c.status, c.last_activity_at DESC, c.id DESC" + latestFirst
	// latestFirst puts a case's latest document, decision and verdict in its first row.
	latestFirst = ", d.created_at DESC, d.id DESC, cd.decided_at DESC, cd.id DESC, lv.seq DESC"
)

// Columns of exportSQL's result.
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
	xNationality
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
	// begin is called once the number of cases is known, before the first is written (the
	// handler sends the response's head then).
	begin func(total int64) error
}

// bulkRows is the size from which an export aggregates all checks at once (one pass, in
// parallel) rather than looking up each case's checks (an index probe per case, which the
// server's leading process does alone).
var bulkRows int64 = 20_000

// each runs the export's statement in a read-only, repeatable-read transaction (one consistent
// picture while reviewers work): it counts the cases, calls begin with the count, then fn with
// each case's cells, in order.
func (e *exporter) each(ctx context.Context, f ExportFilter, begin func(total int64) error, fn func(*caseCells) error) error {
	tx, err := e.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("export: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// Sorting a whole tab's rows in memory rather than in temporary files, and no JIT compilation
	// of a statement that is planned once per export: both for this transaction only.
	if _, err := tx.Exec(ctx, "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off"); err != nil {
		return fmt.Errorf("export: settings: %w", err)
	}
	q := db.New(tx)
	if e.minAge == 0 {
		e.minAge = decisions.MinAge(ctx, q)
	}
	e.nowMicros = e.now.Sub(pgEpoch).Microseconds()
	e.slaMicros = e.sla.Microseconds()
	e.todayDays = int32(e.today.Sub(pgEpoch).Hours() / 24)
	var status *cases.Status
	if !f.AllStatuses {
		status = &f.Status
	}
	total, err := count(ctx, q, f)
	if err != nil {
		return err
	}
	if err := begin(total); err != nil {
		return err
	}
	order := orderByAge
	if f.Sort == "activity" {
		order = orderByActivity
	}
	checks, join := checksPerCase, ""
	if total >= bulkRows {
		checks, join = "k.checks", checksJoin
	}
	sql := strings.Replace(exportSQL, "{checks}", checks, 1)
	sql = strings.Replace(sql, "{join}", join, 1) + order
	rows, err := tx.Query(ctx, sql, resultFormats, status, f.AssigneeID, f.Unassigned, f.VendorOutcome, f.Risk,
		f.Nationality, f.CreatedFrom, f.CreatedTo, f.searchArg())
	if err != nil {
		return fmt.Errorf("export: query: %w", err)
	}
	defer rows.Close()
	if n := len(rows.FieldDescriptions()); n != xColumns {
		return fmt.Errorf("export: the query returns %d columns, not %d", n, xColumns)
	}
	var cells caseCells
	var last []byte // the case of the previous row
	for rows.Next() {
		v := rows.RawValues()
		if bytes.Equal(v[xID], last) {
			continue // an older document, decision or verdict of the case just written
		}
		last = append(last[:0], v[xID]...)
		e.fill(&cells, v)
		if err := fn(&cells); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: read cases: %w", err)
	}
	return nil
}

// caseCells is one case of the export as its columns' bytes. A cell either points into the row
// the driver read (valid until the next row) or into buf, where computed cells are written, so a
// row costs no allocation.
type caseCells struct {
	cells [cCount]span
	buf   []byte
	// Typed values the XLSX writes as dates and numbers.
	createdAt, decidedAt, checkedAt int64 // microseconds since pgEpoch; 0 when none
	hasDecided, hasChecked          bool
	expiry                          int32
	hasExpiry                       bool
	ageHours                        float64
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

// fill turns one row of exportSQL into the export's cells.
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
	c.setRaw(cReason, v[xReason])
	c.setRaw(cComment, v[xComment])
	c.setRaw(cDecidedBy, v[xDecidedBy])
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
	c.setRaw(cSecondReviewer, v[xChecker])
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
	c.setRaw(cAssignee, v[xAssignee])
	created, _ := micros(v[xCreatedAt])
	c.createdAt = created
	c.put(cCreatedAt)
	c.buf = appendStamp(c.buf, created)
	c.done(cCreatedAt)
	age := e.nowMicros - created
	c.ageHours = float64(age/360_000_000) / 10 // whole tenths of an hour
	c.put(cAge)
	c.buf = strconv.AppendFloat(c.buf, c.ageHours, 'f', 1, 64)
	c.done(cAge)
	past := age > e.slaMicros && string(v[xStatus]) != "approved" && string(v[xStatus]) != "rejected"
	c.setText(cPastSLA, yesNo(past))
}

// fillChecksAndFlags writes the four vendor cells ("pass", "fail (508)", "error (1003)" …) and
// the flags: the case's risk flag, what the data says now (expired document, under age, a vendor's
// negative result), then the other flags the latest decision recorded (mismatch:<field>,
// mrz_failure …).
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
	if string(v[xRisk]) == "t" {
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
	for i, vendor := range Vendors {
		if negative[i] {
			add(vendor.Flag)
		}
	}
	if fl := v[xFlags]; len(fl) > 2 { // a JSON array that is not "[]"
		var recorded []string
		if json.Unmarshal(fl, &recorded) == nil {
			for _, f := range recorded {
				if (f == "expired_document" && expired) || (f == "under_age" && underAge) || c.hasVendorFlag(f, negative) {
					continue
				}
				add(f)
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
