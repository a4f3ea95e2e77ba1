package reports

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

// RangeVerification is the hash-chain check of the audit events of a period.
type RangeVerification struct {
	FirstID, LastID int64 // the range's ids (0 when the period holds no event)
	Rows            int64
	// Before is the id of the row the first row must link to (0: the first row of the log).
	Before int64
	// After is the id of the row that must link to the last row (0: the last row is the newest).
	After    int64
	BrokenAt int64  // first row that breaks the chain; 0 when it holds
	Reason   string // why
}

// OK reports whether the range's chain holds.
func (v RangeVerification) OK() bool { return v.BrokenAt == 0 }

// Summary says the result in one sentence.
func (v RangeVerification) Summary() string {
	switch {
	case v.Rows == 0:
		return "The period holds no audit event."
	case !v.OK():
		return fmt.Sprintf("The chain is broken at event %d: %s.", v.BrokenAt, v.Reason)
	}
	s := fmt.Sprintf("The chain holds for the %d events %d to %d", v.Rows, v.FirstID, v.LastID)
	if v.Before > 0 {
		s += fmt.Sprintf(", linked to event %d before them", v.Before)
	} else {
		s += ", from the first event of the log"
	}
	if v.After > 0 {
		s += fmt.Sprintf(" and to event %d after them", v.After)
	}
	return s + "."
}

// Reasons a row breaks the chain.
const (
	brokenContent = "its content does not match its hash (the row was changed)"
	brokenLink    = "its link to the previous row does not match (a row before it was changed or removed)"
	brokenNext    = "the event after the period does not link to it (an event after it was changed or removed)"
)

const auditPage = 5000

// chainCheck follows a range of the chain row by row.
type chainCheck struct {
	prev []byte
	v    *RangeVerification
}

// next checks one row and returns why it breaks the chain ("" when it holds).
func (c *chainCheck) next(id int64, prevHash, hash, computed []byte) string {
	reason := ""
	switch {
	case !bytes.Equal(prevHash, c.prev):
		reason = brokenLink
	case !bytes.Equal(hash, computed):
		reason = brokenContent
	}
	if reason != "" && c.v.BrokenAt == 0 {
		c.v.BrokenAt, c.v.Reason = id, reason
	}
	c.prev = hash
	c.v.Rows++
	return reason
}

// start finds the range of p and the hash its first row must link to.
func startRange(ctx context.Context, q *db.Queries, p Period) (RangeVerification, *chainCheck, error) {
	var v RangeVerification
	b, err := q.AuditRangeBounds(ctx, db.AuditRangeBoundsParams{FromAt: p.From, ToAt: p.To})
	if err != nil {
		return v, nil, fmt.Errorf("audit export: range: %w", err)
	}
	if b.FirstID == 0 || b.LastID == 0 || b.FirstID > b.LastID {
		return v, nil, nil
	}
	v.FirstID, v.LastID = b.FirstID, b.LastID
	c := &chainCheck{prev: []byte{}, v: &v}
	before, err := q.AuditEventBefore(ctx, b.FirstID)
	switch {
	case db.IsNotFound(err):
	case err != nil:
		return v, nil, fmt.Errorf("audit export: row before the range: %w", err)
	default:
		v.Before, c.prev = before.ID, before.Hash
	}
	return v, c, nil
}

// finish checks that the row after the range links to its last row.
func finishRange(ctx context.Context, q *db.Queries, c *chainCheck) error {
	after, err := q.AuditEventAfter(ctx, c.v.LastID)
	if db.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit export: row after the range: %w", err)
	}
	c.v.After = after.ID
	if !bytes.Equal(after.PrevHash, c.prev) && c.v.BrokenAt == 0 {
		c.v.BrokenAt, c.v.Reason = after.ID, brokenNext
	}
	return nil
}

// VerifyRange checks the audit events of p: each row's hash is recomputed with audit_event_hash,
// each row must link to the one before it, the first to the row before the period (or be the
// log's first), and the row after the period must link to the last.
func VerifyRange(ctx context.Context, q *db.Queries, p Period) (RangeVerification, error) {
	v, c, err := startRange(ctx, q, p)
	if err != nil || c == nil {
		return v, err
	}
	after := v.FirstID - 1
	for {
		rows, err := q.AuditChainRange(ctx, db.AuditChainRangeParams{AfterID: after, LastID: v.LastID, PageSize: auditPage})
		if err != nil {
			return v, fmt.Errorf("audit export: read chain: %w", err)
		}
		for _, r := range rows {
			c.next(r.ID, r.PrevHash, r.Hash, r.Computed)
			after = r.ID
		}
		if len(rows) < auditPage {
			break
		}
	}
	err = finishRange(ctx, q, c)
	return *c.v, err
}

// snapshot runs fn in a read-only, repeatable-read transaction on pool: verification and export
// see the same rows. An export streams from the background pool (h.snapshots()), the audit page
// reads from the requests'.
func snapshot(ctx context.Context, pool *pgxpool.Pool, fn func(q *db.Queries) error) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return fn(db.New(tx))
}

// AuditColumns are the audit-log CSV's columns.
var AuditColumns = []string{"id", "at", "actor_id", "actor", "action", "subject_type", "subject_id", "case_id", "before", "after",
	"ip", "request_id", "prev_hash", "hash", "chain"}

// auditEvent is one event as the JSON-lines export writes it.
type auditEvent struct {
	Type        string          `json:"type"`
	ID          int64           `json:"id"`
	At          time.Time       `json:"at"`
	ActorID     *uuid.UUID      `json:"actor_id"`
	Actor       string          `json:"actor"`
	Action      string          `json:"action"`
	SubjectType string          `json:"subject_type"`
	SubjectID   string          `json:"subject_id"`
	CaseID      *uuid.UUID      `json:"case_id"`
	Before      json.RawMessage `json:"before"`
	After       json.RawMessage `json:"after"`
	IP          string          `json:"ip"`
	RequestID   string          `json:"request_id"`
	PrevHash    string          `json:"prev_hash"`
	Hash        string          `json:"hash"`
	Chain       string          `json:"chain"`
}

// verificationLine is the first line of the JSON-lines export.
type verificationLine struct {
	Type     string `json:"type"`
	From     string `json:"from"`
	To       string `json:"to"`
	OK       bool   `json:"ok"`
	Rows     int64  `json:"rows"`
	FirstID  int64  `json:"first_id"`
	LastID   int64  `json:"last_id"`
	Before   int64  `json:"linked_to_before"`
	After    int64  `json:"linked_from_after"`
	BrokenAt int64  `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Summary  string `json:"summary"`
}

func rawOrNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// writeAudit writes the events of the range as CSV or JSON lines, each with its own chain result
// ("ok" or why it breaks the chain), and returns how many it wrote.
func writeAudit(ctx context.Context, q *db.Queries, w io.Writer, flush func(), format string, p Period, v RangeVerification) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var cw *csvWriter
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if format == "csv" {
		if err := writeBOM(bw); err != nil {
			return 0, err
		}
		cw = newCSVWriter(bw)
		if err := cw.Write(AuditColumns); err != nil {
			return 0, err
		}
	} else {
		line := verificationLine{Type: "verification", From: p.FromText(), To: p.ToText(), OK: v.OK(), Rows: v.Rows, FirstID: v.FirstID,
			LastID: v.LastID, Before: v.Before, After: v.After, BrokenAt: v.BrokenAt, Reason: v.Reason, Summary: v.Summary()}
		if err := enc.Encode(line); err != nil {
			return 0, err
		}
	}
	var n int64
	if v.Rows > 0 || v.FirstID > 0 {
		_, c, err := startRange(ctx, q, p)
		if err != nil {
			return 0, err
		}
		after := v.FirstID - 1
		rec := make([]string, len(AuditColumns))
		for c != nil {
			rows, err := q.AuditEventsRange(ctx, db.AuditEventsRangeParams{AfterID: after, LastID: v.LastID, PageSize: auditPage})
			if err != nil {
				return n, fmt.Errorf("audit export: read events: %w", err)
			}
			for _, r := range rows {
				chain := c.next(r.ID, r.PrevHash, r.Hash, r.Computed)
				if chain == "" {
					chain = "ok"
				}
				after = r.ID
				n++
				if cw != nil {
					rec = append(rec[:0], strconv.FormatInt(r.ID, 10), r.At.UTC().Format(time.RFC3339Nano), uuidText(r.ActorID), r.ActorLabel,
						r.Action, r.SubjectType, r.SubjectID, uuidText(r.CaseID), string(r.Before), string(r.After), r.IP, r.RequestID,
						hex.EncodeToString(r.PrevHash), hex.EncodeToString(r.Hash), chain)
					if err := cw.Write(rec); err != nil {
						return n, err
					}
				} else {
					if err := enc.Encode(auditEvent{Type: "event", ID: r.ID, At: r.At.UTC(), ActorID: r.ActorID, Actor: r.ActorLabel, Action: r.Action,
						SubjectType: r.SubjectType, SubjectID: r.SubjectID, CaseID: r.CaseID, Before: rawOrNull(r.Before), After: rawOrNull(r.After),
						IP: r.IP, RequestID: r.RequestID, PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash), Chain: chain}); err != nil {
						return n, err
					}
				}
			}
			if cw != nil {
				if err := cw.Flush(); err != nil {
					return n, err
				}
			}
			if err := bw.Flush(); err != nil {
				return n, err
			}
			flush()
			if len(rows) < auditPage {
				break
			}
		}
	}
	if cw != nil {
		if err := cw.Flush(); err != nil {
			return n, err
		}
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	flush()
	return n, nil
}

func uuidText(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

// auditPeriod reads the period of the audit page and exports (default: the last 7 days).
func auditPeriod(r *http.Request) (Period, map[string]string) {
	return ParsePeriod(r.URL.Query(), httpx.Now(), 7, 0)
}

// AuditExportCSV streams the audit events of a period as CSV, with each row's chain result.
func (h *Handler) AuditExportCSV(w http.ResponseWriter, r *http.Request) error {
	return h.auditExport(w, r, "csv")
}

// AuditExportJSONL streams the audit events of a period as JSON lines, after a first line with
// the verification of the period's chain.
func (h *Handler) AuditExportJSONL(w http.ResponseWriter, r *http.Request) error {
	return h.auditExport(w, r, "jsonl")
}

func (h *Handler) auditExport(w http.ResponseWriter, r *http.Request, format string) error {
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	period, errs := auditPeriod(r)
	if len(errs) > 0 {
		return apperr.Fields(errs)
	}
	id, err := h.exportStarted(ctx, p, "audit", map[string]any{"format": format, "from": period.FromText(), "to": period.ToText()})
	if err != nil {
		return err
	}
	var n int64
	var v RangeVerification
	started := false
	err = snapshot(ctx, h.snapshots(), func(q *db.Queries) error {
		var err error
		if v, err = VerifyRange(ctx, q, period); err != nil {
			return err
		}
		ctype := "text/csv; charset=utf-8"
		if format == "jsonl" {
			ctype = "application/jsonl; charset=utf-8"
		}
		attachment(w, ctype, "kycdesk-audit-"+period.FromText()+"-to-"+period.ToText()+"."+format)
		w.Header().Set("X-Audit-Chain", chainHeader(v))
		w.WriteHeader(http.StatusOK)
		started = true
		n, err = writeAudit(ctx, q, w, flusher(w), format, period, v)
		return err
	})
	h.exportFinished(ctx, p, "audit", id, n, err)
	if err != nil {
		if !started {
			return err
		}
		if ctx.Err() == nil {
			h.log().ErrorContext(ctx, "audit export failed", slog.String("export_id", id.String()), slog.String("error", err.Error()))
		}
		abort()
	}
	return nil
}

// chainHeader is the verification in an HTTP header: "ok; rows=…" or "broken; at=…".
func chainHeader(v RangeVerification) string {
	if v.OK() {
		return fmt.Sprintf("ok; rows=%d; first=%d; last=%d", v.Rows, v.FirstID, v.LastID)
	}
	return fmt.Sprintf("broken; at=%d; rows=%d", v.BrokenAt, v.Rows)
}

// AuditPage shows the period form, the verification of the period's chain, and its exports.
func (h *Handler) AuditPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	period, errs := auditPeriod(r)
	var v RangeVerification
	err := snapshot(ctx, h.Pool, func(q *db.Queries) error {
		var err error
		v, err = VerifyRange(ctx, q, period)
		return err
	})
	if err != nil {
		return err
	}
	qs := period.Query().Encode()
	view := web.AuditView{From: period.FromText(), To: period.ToText(), Errors: errs, Rows: v.Rows, OK: v.OK(), Summary: v.Summary(),
		BrokenAt: v.BrokenAt, CSVHref: "/audit/export.csv?" + qs, JSONLHref: "/audit/export.jsonl?" + qs}
	status := http.StatusOK
	if len(errs) > 0 {
		// The dates as typed, to be corrected; the log shown is the default period's.
		status, view.From, view.To = http.StatusUnprocessableEntity, r.URL.Query().Get("from"), r.URL.Query().Get("to")
	}
	return h.R.Page(w, r, status, "Audit log", web.AuditPage(view))
}
