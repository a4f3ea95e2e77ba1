package customers

import (
	"context"

	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/web"
)

// KindLabel names an image kind for pages.
func KindLabel(k db.ImageKind) string {
	switch k {
	case db.ImageKindFront:
		return "Front"
	case db.ImageKindBack:
		return "Back"
	case db.ImageKindSelfie:
		return "Selfie"
	}
	return string(k)
}

// FillCase adds the customer, their documents with images, and the add-document form to a case
// page.
func (h *Handler) FillCase(ctx context.Context, c db.GetCaseViewRow, p *auth.Principal, v *web.CaseView) error {
	q := db.New(db.Reads(ctx, h.Pool))
	cu, err := Get(ctx, q, c.CustomerID)
	if err != nil {
		return err
	}
	v.Customer = web.CustomerView{ID: cu.ID.String(), Name: Name(cu), DateOfBirth: dateText(cu.DateOfBirth), Nationality: cu.Nationality,
		ResidenceCountry: cu.ResidenceCountry, Email: cu.Email, Phone: cu.Phone, Address: cu.Address, CreatedVia: cu.CreatedVia}
	if cu.ExternalRef != nil {
		v.Customer.ExternalRef = *cu.ExternalRef
	}
	// The case's own documents (those its evidence weighs) first, then the earlier cases' it has
	// not taken up, marked as such; never those that came once a later case was opened (a decided
	// case does not show the documents of its successor as its own).
	rows, err := q.ListCasePageDocuments(ctx, c.ID)
	if err != nil {
		return err
	}
	imgs, err := q.ListCustomerImages(ctx, cu.ID)
	if err != nil {
		return err
	}
	byDoc := map[string][]web.ImageView{}
	for _, im := range imgs {
		if im.DocumentID == nil {
			continue
		}
		byDoc[im.DocumentID.String()] = append(byDoc[im.DocumentID.String()], web.ImageView{ID: im.ID.String(), Kind: string(im.Kind),
			KindLabel: KindLabel(im.Kind), Width: int(im.Width), Height: int(im.Height), IsPDF: im.ContentType == "application/pdf",
			HasThumb: im.HasThumb, FileName: im.FileName, UploadedAt: im.CreatedAt})
	}
	for _, row := range rows {
		d := row.Document
		dv := web.DocumentView{ID: d.ID.String(), TypeLabel: DocumentTypeLabel(d.Type), IssuingCountry: d.IssuingCountry, Number: d.Number,
			IssueDate: dateText(d.IssueDate), ExpiryDate: dateText(d.ExpiryDate), Earlier: !row.Weighed}
		dv.Images = orderImages(byDoc[d.ID.String()])
		v.Documents = append(v.Documents, dv)
	}
	v.Upload = h.DocumentForm(cu.ID)
	if !cases.Open(c.Status) {
		// A decided case: it links to the customer's next case, if any (the one opened after it:
		// a chain of re-verifications is followed case by case), and when the customer has no
		// open case, offers the upload to whoever works cases, saying that the document opens a
		// new case. The customer's cases are few and read by cases_customer_idx.
		cs, err := q.ListCustomerCases(ctx, cu.ID)
		if err != nil {
			return err
		}
		open := false
		for _, k := range cs { // newest first
			open = open || cases.Open(k.Status)
			if k.ID != c.ID && k.CreatedAt.After(c.CreatedAt) { // the last one met is the next
				v.Later = &web.CaseLink{ID: k.ID.String(), StatusLabel: cases.Label(k.Status), CreatedAt: k.CreatedAt}
			}
		}
		v.Upload.OpensCase = !open && p.Can(auth.PermCasesWork)
	}
	return nil
}

// orderImages puts front, back, then selfies first, newest of each kind first within the kind.
func orderImages(list []web.ImageView) []web.ImageView {
	rank := map[string]int{"front": 0, "back": 1, "selfie": 2}
	out := make([]web.ImageView, 0, len(list))
	for k := 0; k < 3; k++ {
		for i := len(list) - 1; i >= 0; i-- {
			if rank[list[i].Kind] == k {
				out = append(out, list[i])
			}
		}
	}
	return out
}
