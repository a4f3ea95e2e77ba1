package review

import (
	"net/http"

	"kycdesk/internal/customers"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

// tabs are the panels of the workspace's side.
var tabs = map[string]bool{"fields": true, "mrz": true, "face": true}

// Show is the review workspace of one document. With ?tab= it opens on that panel. The running
// checks indicator polls ?panel=pending, which answers HX-Refresh once the checks are done, so the
// page shows their results.
func (h *Handler) Show(w http.ResponseWriter, r *http.Request) error {
	c, doc, err := h.target(r)
	if err != nil {
		return err
	}
	pg, err := h.load(r.Context(), c, doc)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("panel") == "pending" && httpx.Fragment(r) {
		n := pg.s.Pending()
		if n == 0 {
			w.Header().Set("HX-Refresh", "true")
			w.WriteHeader(http.StatusOK)
			return nil
		}
		return httpx.Render(w, r, http.StatusOK, web.ReviewPending(n, Href(c.ID.String(), doc.ID.String())+"?panel=pending"))
	}
	tab := r.URL.Query().Get("tab")
	if !tabs[tab] {
		tab = "fields"
	}
	v, err := h.view(r.Context(), pg, tab, "")
	if err != nil {
		return err
	}
	return h.R.WidePage(w, r, http.StatusOK, "Review · "+customers.Name(pg.s.Customer), web.ReviewPage(v), v.SkipLinks()...)
}
