package review

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"kycdesk/internal/checks"
	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// Sources is everything the workspace compares for one document.
type Sources struct {
	Now      time.Time
	Customer db.Customer
	Document db.Document
	// Images are the document's images: fronts, backs, then selfies, the newest of each kind first.
	Images []db.Image
	// Vendors are the vendors that were asked to check the document, in page order.
	Vendors  []VendorRun
	Settings Settings
}

// VendorRun is what one vendor made of the document.
type VendorRun struct {
	Vendor vendors.Name
	// Latest is the vendor's newest check of the document, in whatever state.
	Latest db.Check
	// Done is the newest finished check with a result, nil when none finished or when the newest
	// finished one is a refusal; Result is its result.
	Done   *db.Check
	Result vendors.Result
	// Refused is the newest finished check when the vendor refused the document in it (blurry,
	// cropped, not recognised): a negative result without fields. Nil otherwise.
	Refused *db.Check
	// Unfinished is the newest check when it ended without a result for a technical reason (no
	// answer, the request refused) and no later check finished: the vendor did not finish.
	Unfinished *db.Check
}

// Ended reports whether the vendor's column has something to show: a result, a refusal, or a
// check that did not finish.
func (v VendorRun) Ended() bool { return v.Done != nil || v.Refused != nil || v.Unfinished != nil }

// Pending reports whether the vendor's newest check is still queued, running or retrying.
func (v VendorRun) Pending() bool {
	return v.Latest.State != db.CheckStateDone && v.Latest.State != db.CheckStateFailed
}

// Pending counts the vendors whose newest check has not finished.
func (s *Sources) Pending() int {
	n := 0
	for _, v := range s.Vendors {
		if v.Pending() {
			n++
		}
	}
	return n
}

// Done returns the vendors with a finished result, in page order.
func (s *Sources) Done() []VendorRun {
	var out []VendorRun
	for _, v := range s.Vendors {
		if v.Done != nil {
			out = append(out, v)
		}
	}
	return out
}

// Image returns the newest image of a kind (front, back, selfie), nil when there is none.
func (s *Sources) Image(kind string) *db.Image {
	for i := range s.Images {
		if string(s.Images[i].Kind) == kind {
			return &s.Images[i]
		}
	}
	return nil
}

// shortLabels name vendors in the narrow columns of the workspace.
var shortLabels = map[vendors.Name]string{
	vendors.CynopsisOCR: "Cynopsis", vendors.Apptenticate: "Apptenticate", vendors.Argos: "Argos", vendors.OOTO: "OOTO",
}

// VendorLabel is a vendor's short name.
func VendorLabel(v vendors.Name) string {
	if l, ok := shortLabels[v]; ok {
		return l
	}
	return vendorsettings.Label(v)
}

// caseData is what load reads once per case and shares between its documents.
type caseData struct {
	customer db.Customer
	docs     []db.Document
	images   []db.Image
	checks   []db.Check
	settings Settings
}

func loadCase(ctx context.Context, q *db.Queries, c db.Case) (caseData, error) {
	var cd caseData
	var err error
	if cd.customer, err = q.GetCustomer(ctx, c.CustomerID); err != nil {
		return cd, fmt.Errorf("review: customer: %w", err)
	}
	if cd.docs, err = q.ListCustomerDocuments(ctx, c.CustomerID); err != nil {
		return cd, fmt.Errorf("review: documents: %w", err)
	}
	if cd.images, err = q.ListCustomerImages(ctx, c.CustomerID); err != nil {
		return cd, fmt.Errorf("review: images: %w", err)
	}
	if cd.checks, err = q.ListCaseChecks(ctx, c.ID); err != nil {
		return cd, fmt.Errorf("review: checks: %w", err)
	}
	cd.settings = LoadSettings(ctx, q)
	return cd, nil
}

// sources assembles one document's Sources from the case's data.
func (cd caseData) sources(doc db.Document, now time.Time) *Sources {
	s := &Sources{Now: now, Customer: cd.customer, Document: doc, Settings: cd.settings}
	rank := map[db.ImageKind]int{db.ImageKindFront: 0, db.ImageKindBack: 1, db.ImageKindSelfie: 2}
	for _, im := range cd.images {
		if im.DocumentID != nil && *im.DocumentID == doc.ID {
			s.Images = append(s.Images, im)
		}
	}
	sort.SliceStable(s.Images, func(i, j int) bool {
		a, b := s.Images[i], s.Images[j]
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		return a.CreatedAt.After(b.CreatedAt)
	})
	runs := map[vendors.Name]*VendorRun{}
	for _, k := range cd.checks { // newest first
		if k.DocumentID != doc.ID || k.Kind == "record" {
			continue
		}
		name := vendors.Name(k.Vendor)
		run := runs[name]
		if run == nil {
			run = &VendorRun{Vendor: name, Latest: k}
			runs[name] = run
		}
		kk := k
		switch {
		case run.Done != nil || run.Refused != nil || k.State != db.CheckStateDone:
			// The newest finished examination stands; a later one that did not finish does not
			// take an earlier result away.
			if k.State == db.CheckStateFailed && run.Unfinished == nil && run.Latest.ID == k.ID {
				run.Unfinished = &kk
			}
		case k.ErrorKind == checks.ErrorKindRefused:
			run.Refused = &kk
		case len(k.Result) > 0:
			var res vendors.Result
			if json.Unmarshal(k.Result, &res) == nil {
				run.Done, run.Result = &kk, res
			}
		}
	}
	for _, run := range runs {
		if run.Done != nil || run.Refused != nil {
			run.Unfinished = nil // an earlier check finished: that is what the column shows
		}
	}
	for _, v := range checks.Runnable {
		if run, ok := runs[v]; ok {
			s.Vendors = append(s.Vendors, *run)
			delete(runs, v)
		}
	}
	// Vendors kycdesk no longer offers keep their place after the others, by name.
	var rest []vendors.Name
	for v := range runs {
		rest = append(rest, v)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	for _, v := range rest {
		s.Vendors = append(s.Vendors, *runs[v])
	}
	return s
}
