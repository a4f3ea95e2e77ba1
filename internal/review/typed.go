package review

import (
	"net/http"
	"strings"

	"kycdesk/internal/customers"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

// maxTypedMRZ bounds a typed zone: three lines of 30 or two of 44, with room for spaces.
const maxTypedMRZ = 400

// CheckMRZ parses a zone the reviewer typed and shows the MRZ panel for it: check digits, the
// cross-check against the visual zone, expiry and age. Nothing is stored. An empty text shows the
// vendors' zone again. htmx gets the panel; a plain form post gets the whole workspace on the MRZ
// panel.
func (h *Handler) CheckMRZ(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	c, doc, err := h.target(r)
	if err != nil {
		return err
	}
	pg, err := h.load(r.Context(), c, doc)
	if err != nil {
		return err
	}
	typed := r.PostFormValue("mrz")
	if len(typed) > maxTypedMRZ {
		typed = strings.ToValidUTF8(typed[:maxTypedMRZ], "")
	}
	typed = strings.TrimSpace(typed)
	status := http.StatusOK
	panel := pg.mrz(typed)
	if panel.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	if httpx.Fragment(r) {
		return httpx.Render(w, r, status, web.MRZPanel(panel))
	}
	v, err := h.view(r.Context(), pg, "mrz", typed)
	if err != nil {
		return err
	}
	return h.R.WidePage(w, r, status, "Review · "+customers.Name(pg.s.Customer), web.ReviewPage(v), v.SkipLinks()...)
}
