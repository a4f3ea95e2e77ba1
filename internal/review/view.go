package review

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/mrz"
	"kycdesk/internal/vendors"
	"kycdesk/internal/words"
	"kycdesk/web"
)

// Href is the workspace's address for a document of a case.
func Href(caseID, documentID string) string {
	return "/cases/" + caseID + "/documents/" + documentID + "/review"
}

// page is one load of the workspace: the case, the document's sources and the zone in use.
type page struct {
	c     db.Case
	cd    caseData
	s     *Sources
	cands []candidate
	zone  *zone
}

func (h *Handler) load(ctx context.Context, c db.Case, doc db.Document) (*page, error) {
	cd, err := loadCase(ctx, db.New(h.Pool), c)
	if err != nil {
		return nil, err
	}
	pg := &page{c: c, cd: cd, s: cd.sources(doc, httpx.Now())}
	pg.cands = candidates(pg.s)
	pg.zone = pick(pg.cands)
	return pg, nil
}

// frames maps an image side to the viewer frame showing the newest image of that side.
func (pg *page) frames() map[string]string {
	out := map[string]string{}
	for _, k := range []string{"front", "back", "selfie"} {
		if im := pg.s.Image(k); im != nil && im.ContentType != "application/pdf" {
			out[k] = "img-" + im.ID.String()
		}
	}
	return out
}

// typedZone parses a zone the reviewer typed; an empty text means "use the vendors' zone".
func typedZone(text string, now time.Time) (*zone, string) {
	if strings.TrimSpace(text) == "" {
		return nil, ""
	}
	m, err := mrz.ParseAt(text, now)
	if err != nil {
		return nil, "This is not a machine-readable zone: " + err.Error() + "."
	}
	return &zone{m: m, from: "the zone you typed"}, ""
}

// mrz builds the MRZ panel, with a typed zone when the reviewer gave one.
func (pg *page) mrz(typed string) web.MRZPanelView {
	z, typedErr := typedZone(typed, pg.s.Now)
	if z == nil {
		z = pg.zone
	}
	return mrzPanel(pg.s, z, pg.cands, typed, typedErr, Href(pg.c.ID.String(), pg.s.Document.ID.String())+"/mrz")
}

// view builds the whole workspace.
func (h *Handler) view(ctx context.Context, pg *page, tab, typed string) (web.ReviewView, error) {
	s, c := pg.s, pg.c
	p := auth.PrincipalFrom(ctx)
	caseID, docID := c.ID.String(), s.Document.ID.String()
	frames := pg.frames()
	v := web.ReviewView{CaseID: caseID, DocumentID: docID, Customer: customers.Name(s.Customer), Status: string(c.Status),
		StatusLabel: cases.Label(c.Status), Tab: tab, FrontFrame: frames["front"], BackFrame: frames["back"],
		SelfieFrame: frames["selfie"], Pending: s.Pending(), PendingHref: Href(caseID, docID) + "?panel=pending",
		CanNext: p.Can(auth.PermCasesWork)}
	parts := []string{customers.DocumentTypeLabel(s.Document.Type)}
	if s.Document.IssuingCountry != "" {
		parts = append(parts, s.Document.IssuingCountry)
	}
	if s.Document.Number != "" {
		parts = append(parts, s.Document.Number)
	}
	v.Document = strings.Join(parts, " · ")
	for i, d := range pg.cd.docs {
		if d.ID != s.Document.ID {
			continue
		}
		v.Position = fmt.Sprintf("Document %d of %d", i+1, len(pg.cd.docs))
		if i > 0 {
			v.PrevHref = Href(caseID, pg.cd.docs[i-1].ID.String())
		}
		if i+1 < len(pg.cd.docs) {
			v.NextHref = Href(caseID, pg.cd.docs[i+1].ID.String())
		}
	}
	for i := range s.Images {
		v.Images = append(v.Images, *imageView(&s.Images[i]))
	}
	fields, mismatched := fieldsPanel(s, pg.zone, frames, "/cases/"+caseID)
	v.Fields = fields
	v.MRZ = pg.mrz(typed)
	v.Face = facePanel(s)
	v.Chips = chips(v, mismatched)
	if h.Decision != nil {
		d, err := h.Decision(ctx, c, s.Document.ID, p)
		if err != nil {
			return v, err
		}
		v.Decision = d
	}
	return v, nil
}

// chips are the findings shown in the workspace's head, the worst first.
func chips(v web.ReviewView, mismatched []vendors.FieldName) []web.ReviewChip {
	var bad, ok []web.ReviewChip
	ended := map[string]bool{}
	for _, e := range v.Fields.Ended {
		ended[e.Key] = true
		if e.Note == "refused" {
			bad = append(bad, web.ReviewChip{Label: e.Label + " refused the document", Kind: "bad", Tab: "fields", Title: e.Title})
		} else {
			bad = append(bad, web.ReviewChip{Label: e.Label + " did not finish", Kind: "warn", Tab: "fields", Title: e.Title})
		}
	}
	if n := len(mismatched); n > 0 {
		var names []string
		for _, f := range mismatched {
			names = append(names, FieldLabel(f))
		}
		label := FieldLabel(mismatched[0]) + " mismatch"
		if n > 1 {
			label = fmt.Sprintf("%d field mismatches", n)
		}
		bad = append(bad, web.ReviewChip{Label: label, Kind: "bad", Tab: "fields", Title: "Sources disagree on " + words.Join(names)})
	} else if !v.Fields.NoVendors {
		ok = append(ok, web.ReviewChip{Label: "Fields agree", Kind: "ok", Tab: "fields"})
	}
	if v.Fields.LowCount > 0 {
		bad = append(bad, web.ReviewChip{Label: fmt.Sprintf("%d low confidence", v.Fields.LowCount), Kind: "warn", Tab: "fields",
			Title: "Values read with a confidence under " + v.Fields.LowThreshold})
	}
	if v.MRZ.Parsed {
		if v.MRZ.Valid {
			ok = append(ok, web.ReviewChip{Label: "MRZ valid", Kind: "ok", Tab: "mrz", Title: "Every check digit passes"})
		} else {
			var failed []string
			for _, c := range v.MRZ.Checks {
				if !c.OK {
					failed = append(failed, strings.ToLower(c.Name))
				}
			}
			title := "Check digits fail: " + words.Join(failed)
			if len(failed) == 0 {
				title = strings.Join(v.MRZ.Problems, "; ")
			}
			bad = append(bad, web.ReviewChip{Label: "MRZ check fails", Kind: "bad", Tab: "mrz", Title: title})
		}
	}
	for _, a := range v.MRZ.Alerts {
		if a.Kind == "bad" {
			bad = append(bad, a)
		} else {
			ok = append(ok, a)
		}
	}
	if v.Face.HasResult {
		for _, sc := range v.Face.Scores {
			if sc.State == "bad" {
				bad = append(bad, web.ReviewChip{Label: sc.Label + ": " + sc.Verdict, Kind: "bad", Tab: "face", Title: sc.Label + " " + sc.Value})
			}
		}
		if len(v.Face.Quality) > 0 {
			bad = append(bad, web.ReviewChip{Label: fmt.Sprintf("%d face quality issues", len(v.Face.Quality)), Kind: "warn", Tab: "face",
				Title: strings.Join(v.Face.Quality, "; ")})
		}
	} else if v.Face.Error != "" && !ended[string(vendors.OOTO)] {
		bad = append(bad, web.ReviewChip{Label: "No face result", Kind: "warn", Tab: "face", Title: v.Face.Error})
	}
	return append(bad, ok...)
}
