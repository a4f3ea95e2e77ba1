package reports

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
)

// Generated is one case report as it left kycdesk.
type Generated struct {
	CaseID   uuid.UUID
	Name     string // a file name for it
	PDF      []byte
	SHA256   string
	Customer string
}

// Generate builds the report of case id for p and writes its SHA-256 to the audit log
// ("report.generate", on the case's timeline) before anyone receives it; via says how it was asked
// for ("pdf" or "zip").
func (h *Handler) Generate(ctx context.Context, p *auth.Principal, id uuid.UUID, via string) (Generated, error) {
	q := db.New(h.Pool)
	r, err := h.Gather(ctx, q, id)
	if err != nil {
		return Generated{}, err
	}
	meta := ReportMeta{By: p.Name + " <" + p.Email + ">", At: httpx.Now().UTC()}
	b, err := RenderPDF(ctx, h.Images, r, meta)
	if err != nil {
		return Generated{}, err
	}
	sum := sha256.Sum256(b)
	g := Generated{CaseID: id, PDF: b, SHA256: hex.EncodeToString(sum[:]), Customer: r.Name, Name: reportName(r)}
	err = h.record(ctx, audit.Event{Actor: p.Actor(), Action: "report.generate", SubjectType: "case", SubjectID: id.String(), CaseID: &id,
		After: map[string]any{"sha256": g.SHA256, "case_id": id, "bytes": len(b), "via": via, "generated_at": meta.At}})
	if err != nil {
		return Generated{}, fmt.Errorf("report: audit: %w", err)
	}
	return g, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// reportName is a file name for a case's report: its external reference (or id), never raw user text.
func reportName(r *CaseReport) string {
	base := r.ExternalRef
	if base == "" {
		base = r.CaseID.String()
	}
	base = strings.Trim(unsafeName.ReplaceAllString(base, "-"), "-.")
	if base == "" || len(base) > 80 {
		base = r.CaseID.String()
	}
	return "case-report-" + base + ".pdf"
}

// ReportPDF sends a case's PDF report; its SHA-256 is in the audit log and in X-Report-SHA256.
func (h *Handler) ReportPDF(w http.ResponseWriter, r *http.Request) error {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such case.")
	}
	g, err := h.Generate(r.Context(), auth.PrincipalFrom(r.Context()), id, "pdf")
	if err != nil {
		return err
	}
	attachment(w, "application/pdf", g.Name)
	w.Header().Set("X-Report-SHA256", g.SHA256)
	w.Header().Set("Content-Length", strconv.Itoa(len(g.PDF)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(g.PDF)
	return err
}

// MaxZipCases bounds how many case reports one ZIP holds.
const MaxZipCases = 200

// ReportsZip streams the reports of the posted cases ("case" fields) as one ZIP, each PDF
// generated, audited and written in turn (never all in memory), with a SHA256SUMS file at the end.
func (h *Handler) ReportsZip(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, s := range r.PostForm["case"] {
		id, err := uuid.Parse(s)
		if err != nil {
			return apperr.Field("case", "A selected case is not a case id.")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return apperr.Field("case", "Select at least one case.")
	}
	if len(ids) > MaxZipCases {
		return apperr.Field("case", fmt.Sprintf("Select at most %d cases at a time.", MaxZipCases))
	}
	// Every case must exist before anything is sent: a mistyped id is a clear refusal, not a
	// ZIP that stops half-way.
	q := db.New(h.Pool)
	for _, id := range ids {
		if _, err := q.GetCase(ctx, id); db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "No such case: %s.", id)
		} else if err != nil {
			return err
		}
	}
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = id.String()
	}
	exportID, err := h.exportStarted(ctx, p, "reports", map[string]any{"format": "zip", "cases": list})
	if err != nil {
		return err
	}
	attachment(w, "application/zip", "kycdesk-case-reports-"+httpx.Now().UTC().Format("20060102-1504")+".zip")
	w.WriteHeader(http.StatusOK)
	zw := zip.NewWriter(w)
	flush := flusher(w)
	var sums strings.Builder
	names := map[string]int{}
	var n int64
	err = func() error {
		for _, id := range ids {
			g, err := h.Generate(ctx, p, id, "zip")
			if err != nil {
				return err
			}
			name := g.Name
			if names[name]++; names[name] > 1 {
				name = strings.TrimSuffix(name, ".pdf") + "-" + strconv.Itoa(names[name]) + ".pdf"
			}
			// PDFs are compressed already: stored, not deflated again.
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: httpx.Now().UTC()})
			if err != nil {
				return err
			}
			if _, err := fw.Write(g.PDF); err != nil {
				return err
			}
			fmt.Fprintf(&sums, "%s  %s\n", g.SHA256, name)
			n++
			flush()
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: "SHA256SUMS", Method: zip.Deflate, Modified: httpx.Now().UTC()})
		if err != nil {
			return err
		}
		if _, err := fw.Write([]byte(sums.String())); err != nil {
			return err
		}
		return zw.Close()
	}()
	h.exportFinished(ctx, p, "reports", exportID, n, err)
	if err != nil {
		if ctx.Err() == nil {
			h.log().ErrorContext(ctx, "reports zip failed", slog.String("export_id", exportID.String()), slog.String("error", err.Error()))
		}
		abort()
	}
	return nil
}
