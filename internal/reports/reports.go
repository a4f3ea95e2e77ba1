// Package reports is what managers take away and show auditors: the queue's cases exported as CSV
// or XLSX (streamed page by page, never held whole), a PDF report of one case (or a ZIP of several)
// whose SHA-256 is written to the audit log, the dashboard (queue, ageing, throughput, vendors,
// liveness deliveries) with its charts drawn as SVG on the server, and the audit log exported for
// a period with the verification of its hash chain. Every export and report is itself audited:
// who, what filter, how many rows.
package reports

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/images"
	"kycdesk/web"
)

// Handler serves the exports, case reports, the dashboard and the audit-log export.
type Handler struct {
	Pool *pgxpool.Pool
	// Snapshots, when set, is the pool of exports' long read-only transactions (the background
	// pool): an export holds its connection while it streams.
	Snapshots *pgxpool.Pool
	R         *httpx.Renderer
	Images    *images.Store
	// SLA is how long a case may stay open (the queue's KYCDESK_SLA_HOURS).
	SLA time.Duration
	Log *slog.Logger
	// Flags, when set, adds the flags other packages compute for a case (field mismatches, MRZ
	// failures) to its PDF report.
	Flags func(ctx context.Context, q *db.Queries, caseID uuid.UUID) ([]string, error)
	// UndeliveredHref is the page listing undelivered liveness verdicts ("" when there is none).
	UndeliveredHref string
}

func (h *Handler) snapshots() *pgxpool.Pool {
	if h.Snapshots != nil {
		return h.Snapshots
	}
	return h.Pool
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// record writes one audit event in a transaction of its own.
func (h *Handler) record(ctx context.Context, ev audit.Event) error {
	return db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		return audit.Record(ctx, q, ev)
	})
}

// exportStarted audits an export before any of its data leaves, so an export that fails or is cut
// off half-way is on the record too; exportFinished adds how many rows went out.
func (h *Handler) exportStarted(ctx context.Context, p *auth.Principal, kind string, details map[string]any) (uuid.UUID, error) {
	id := uuid.New()
	after := map[string]any{"export_id": id}
	for k, v := range details {
		after[k] = v
	}
	err := h.record(ctx, audit.Event{Actor: p.Actor(), Action: "export." + kind, SubjectType: "export", SubjectID: id.String(), After: after})
	if err != nil {
		return id, fmt.Errorf("audit the export: %w", err)
	}
	return id, nil
}

func (h *Handler) exportFinished(ctx context.Context, p *auth.Principal, kind string, id uuid.UUID, rows int64, exportErr error) {
	after := map[string]any{"export_id": id, "rows": rows, "complete": exportErr == nil}
	if exportErr != nil {
		after["error"] = "the export stopped before its end: " + errorWords(exportErr)
	}
	// The client may be gone: the record is written anyway.
	ctx = context.WithoutCancel(ctx)
	if err := h.record(ctx, audit.Event{Actor: p.Actor(), Action: "export." + kind + ".finished", SubjectType: "export",
		SubjectID: id.String(), After: after}); err != nil {
		h.log().ErrorContext(ctx, "export finished but not audited", slog.String("export_id", id.String()), slog.String("error", err.Error()))
	}
}

func errorWords(err error) string {
	if err == nil {
		return ""
	}
	if strings.Contains(err.Error(), "context canceled") {
		return "the download was cancelled"
	}
	return "a server error (see the logs)"
}

// filterText is a filter's URL parameters as the audit log keeps them.
func filterText(v map[string][]string) map[string]string {
	out := map[string]string{}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = strings.Join(v[k], ",")
	}
	return out
}

// attachment sets the headers of a download.
func attachment(w http.ResponseWriter, contentType, filename string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "private, no-store")
}

// abort ends a response that is already under way, so the client sees a failed download rather
// than a file that looks complete but is not.
func abort() { panic(http.ErrAbortHandler) }

// flusher sends what the response has buffered so far.
func flusher(w http.ResponseWriter) func() {
	rc := http.NewResponseController(w)
	return func() { _ = rc.Flush() }
}

// exporter is an export as of now.
func (h *Handler) exporter() *exporter {
	now := httpx.Now()
	return &exporter{pool: h.snapshots(), now: now, today: now.UTC().Truncate(24 * time.Hour), sla: h.SLA}
}

func (h *Handler) exportFilter(r *http.Request) (ExportFilter, error) {
	p := auth.PrincipalFrom(r.Context())
	f, errs := ParseExportFilter(r.URL.Query(), p.UserID)
	if len(errs) > 0 {
		return f, apperr.Fields(errs)
	}
	return f, nil
}

// exportName is the file name of an export.
func exportName(f ExportFilter, now time.Time, ext string) string {
	what := string(f.Status)
	if f.AllStatuses {
		what = "all"
	}
	return "kycdesk-cases-" + what + "-" + now.UTC().Format("20060102-1504") + "." + ext
}

// ExportCSV streams the queue's cases (the URL's view) as CSV.
func (h *Handler) ExportCSV(w http.ResponseWriter, r *http.Request) error {
	return h.export(w, r, "csv")
}

// ExportXLSX streams the queue's cases (the URL's view) as an XLSX workbook.
func (h *Handler) ExportXLSX(w http.ResponseWriter, r *http.Request) error {
	return h.export(w, r, "xlsx")
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request, format string) error {
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	f, err := h.exportFilter(r)
	if err != nil {
		return err
	}
	e := h.exporter()
	id, err := h.exportStarted(ctx, p, "cases", map[string]any{"format": format, "filter": filterText(f.Query())})
	if err != nil {
		return err
	}
	// The head goes out once the export's transaction has counted the cases: until then a
	// failure is an ordinary error page.
	started := false
	e.begin = func(total int64) error {
		if format == "csv" {
			attachment(w, "text/csv; charset=utf-8", exportName(f, e.now, "csv"))
		} else {
			attachment(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exportName(f, e.now, "xlsx"))
		}
		w.Header().Set("X-Export-Rows", strconv.FormatInt(total, 10))
		w.WriteHeader(http.StatusOK)
		started = true
		if format == "csv" {
			if err := writeBOM(w); err != nil {
				return err
			}
		}
		flusher(w)()
		return nil
	}
	var n int64
	if format == "csv" {
		n, err = e.writeCSV(ctx, w, flusher(w), f)
	} else {
		n, err = e.writeXLSX(ctx, w, f)
	}
	h.exportFinished(ctx, p, "cases", id, n, err)
	if err != nil {
		if !started {
			return err
		}
		if ctx.Err() == nil {
			h.log().ErrorContext(ctx, "case export failed", slog.String("export_id", id.String()), slog.String("error", err.Error()))
		}
		abort()
	}
	return nil
}

// ExportColumns explains the case-list export's columns (from Columns, the one list the export
// writes).
func (h *Handler) ExportColumns(w http.ResponseWriter, r *http.Request) error {
	cols := make([]web.ExportColumn, len(Columns))
	for i, c := range Columns {
		cols[i] = web.ExportColumn{Name: c.Name, Meaning: c.Meaning}
	}
	return h.R.Page(w, r, http.StatusOK, "Case-list exports", web.ExportColumnsPage(cols, int(h.SLA.Hours())))
}
