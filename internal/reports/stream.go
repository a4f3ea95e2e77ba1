package reports

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
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
// Each case is joined to its latest document, the latest check of each vendor, its latest
// decision and its latest liveness verdict. "Latest" is written as NOT EXISTS (a newer one), not
// as LATERAL … LIMIT 1, so the planner may choose: for a narrow filter it probes the indexes case
// by case; for a whole tab it reads each table once and hash-joins, several times cheaper per row
// than a million index probes. The filters are the queue's; $1 NULL means every status.
const exportSQL = `
SELECT c.id, c.status, c.created_at, c.vendor_outcome, c.risk_flag,
    cu.external_ref, cu.given_names, cu.surname, cu.date_of_birth, cu.nationality, a.name,
    d.type, d.number, d.issuing_country, d.expiry_date,
    (SELECT string_agg(l.vendor || '=' || coalesce(l.outcome, l.state::text) || CASE WHEN l.code <> '' THEN ':' || l.code ELSE '' END, ',')
       FROM (SELECT DISTINCT ON (y.vendor) y.vendor, y.outcome, y.state, y.code FROM checks y
             WHERE y.case_id = c.id AND y.kind <> 'record' ORDER BY y.vendor, y.created_at DESC) l),
    cd.outcome, r.label, cd.comment, m.name, cd.decided_at, cd.state, ch.name, cd.checked_at, cd.evidence -> 'flags',
    lv.liveness_result, lv.liveness_confidence, ld.state
FROM cases c
JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN users a ON a.id = c.assignee_id
LEFT JOIN documents d ON d.customer_id = c.customer_id
    AND NOT EXISTS (SELECT 1 FROM documents x WHERE x.customer_id = d.customer_id AND (x.created_at, x.id) > (d.created_at, d.id))
LEFT JOIN case_decisions cd ON cd.case_id = c.id
    AND NOT EXISTS (SELECT 1 FROM case_decisions x WHERE x.case_id = cd.case_id AND (x.decided_at, x.id) > (cd.decided_at, cd.id))
LEFT JOIN decision_reasons r ON r.id = cd.reason_id
LEFT JOIN users m ON m.id = cd.decided_by
LEFT JOIN users ch ON ch.id = cd.checker_id
LEFT JOIN liveness_verdicts lv ON lv.case_id = c.id
    AND NOT EXISTS (SELECT 1 FROM liveness_verdicts x WHERE x.case_id = lv.case_id AND x.seq > lv.seq)
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

// The export's orders: the queue's two sorts, status by status in the tabs' order (the enum's).
const (
	orderByAge      = "ORDER BY c.status, c.created_at, c.id"
	orderByActivity = "ORDER BY c.status, c.last_activity_at DESC, c.id DESC"
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

// Times and dates come in PostgreSQL's binary form (a count from 2000-01-01), turned into text here
// without the server's formatting and without a time.Time per value; the rest come as text.
var resultFormats = pgx.QueryResultFormatsByOID{pgtype.TimestamptzOID: pgx.BinaryFormatCode, pgtype.DateOID: pgx.BinaryFormatCode}

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
	minAgeYears          int
}

// each runs the export's statement in a read-only, repeatable-read transaction (one consistent
// picture while reviewers work) and calls fn with each case's cells, in order.
func (e *exporter) each(ctx context.Context, f ExportFilter, fn func(*caseCells) error) error {
	tx, err := e.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("export: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
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
	order := orderByAge
	if f.Sort == "activity" {
		order = orderByActivity
	}
	rows, err := tx.Query(ctx, exportSQL+order, resultFormats, status, f.AssigneeID, f.Unassigned, f.VendorOutcome, f.Risk,
		f.Nationality, f.CreatedFrom, f.CreatedTo, f.searchArg())
	if err != nil {
		return fmt.Errorf("export: query: %w", err)
	}
	defer rows.Close()
	if n := len(rows.FieldDescriptions()); n != xColumns {
		return fmt.Errorf("export: the query returns %d columns, not %d", n, xColumns)
	}
	var cells caseCells
	for rows.Next() {
		e.fill(&cells, rows.RawValues())
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

// appendStamp writes a timestamp as "2006-01-02 15:04:05" (UTC).
func appendStamp(b []byte, us int64) []byte {
	return timeOf(us).AppendFormat(b, stampLayout)
}

// fill turns one row of exportSQL into the export's cells.
func (e *exporter) fill(c *caseCells, v [][]byte) {
	c.buf = c.buf[:0]
	c.setRaw(cCase, v[xID])
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
		c.buf = dateOf(c.expiry).AppendFormat(c.buf, time.DateOnly)
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
