// Package review is the review workspace: one document's images beside its fields as every vendor,
// the customer's declaration and the MRZ give them, compared after normalisation (so "MALAYSIAN"
// and "MYS" agree and a misread expiry date does not); kycdesk's own check of the MRZ beside the
// vendors' flags; and the face evidence. The decision panel is another package's: the workspace
// leaves it a slot.
//
// Building the page is split in two: load reads what the workspace needs from the database into
// Sources, and the builders (fields.go, mrzpanel.go, face.go) turn Sources into view models
// without touching it, so the comparisons are tested without a database.
package review

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
)

// Handler serves the review workspace.
type Handler struct {
	Pool *pgxpool.Pool
	R    *httpx.Renderer
	// Decision renders the decision panel shown in the workspace's slot; nil (or a nil component)
	// leaves the slot empty.
	Decision func(ctx context.Context, c db.Case, documentID uuid.UUID, p *auth.Principal) (templ.Component, error)
}

// Settings are the app settings the workspace reads, with their defaults.
type Settings struct {
	// LowConfidence is the vendor confidence under which a value is marked ("review.low_confidence").
	LowConfidence float64
	// MinAge is the age under which a customer is flagged ("review.min_age").
	MinAge int
}

// DefaultSettings are the settings when an admin has set none.
var DefaultSettings = Settings{LowConfidence: 0.6, MinAge: 18}

// LoadSettings reads the workspace's app settings; a missing or unreadable one keeps its default.
func LoadSettings(ctx context.Context, q *db.Queries) Settings {
	s := DefaultSettings
	if raw, err := q.AppSetting(ctx, "review.low_confidence"); err == nil {
		if f, ok := number(raw); ok && f >= 0 && f <= 1 {
			s.LowConfidence = f
		}
	}
	if raw, err := q.AppSetting(ctx, "review.min_age"); err == nil {
		if f, ok := number(raw); ok && f >= 1 && f < 100 {
			s.MinAge = int(f)
		}
	}
	return s
}

// number reads a setting stored as a JSON number or a numeric string.
func number(raw json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return v, true
		}
	}
	return 0, false
}

// target reads the case and document of a workspace URL; the document must be the case
// customer's.
func (h *Handler) target(r *http.Request) (db.Case, db.Document, error) {
	caseID, err1 := uuid.Parse(chi.URLParam(r, "id"))
	docID, err2 := uuid.Parse(chi.URLParam(r, "doc"))
	if err1 != nil || err2 != nil {
		return db.Case{}, db.Document{}, apperr.New(apperr.NotFound, "No such document on this case.")
	}
	q := db.New(h.Pool)
	c, err := q.GetCase(r.Context(), caseID)
	if db.IsNotFound(err) {
		return c, db.Document{}, apperr.New(apperr.NotFound, "No such case.")
	}
	if err != nil {
		return c, db.Document{}, err
	}
	d, err := q.GetDocument(r.Context(), docID)
	if db.IsNotFound(err) || (err == nil && d.CustomerID != c.CustomerID) {
		return c, d, apperr.New(apperr.NotFound, "No such document on this case.")
	}
	return c, d, err
}
