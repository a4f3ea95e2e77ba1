package customers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/images"
	"kycdesk/internal/normalize"
)

// Service creates and changes customers, documents and images.
type Service struct {
	Pool   *pgxpool.Pool
	Store  *images.Store
	Limits images.Limits
}

// Origin is who brings the data: a signed-in user or an API token.
type Origin struct {
	Actor  audit.Actor
	UserID *uuid.UUID // nil for an API token
	Via    string     // "browser" or "api:<token name>"
}

// Created is a new customer with their open case and declared documents.
type Created struct {
	Customer  db.Customer
	Case      db.Case
	Documents []db.Document
}

func optDate(s string) *time.Time {
	t, _ := parseDate(s)
	return t
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Public is a customer as audit rows record it.
func Public(c db.Customer) map[string]any {
	return map[string]any{"id": c.ID, "external_ref": c.ExternalRef, "given_names": c.GivenNames, "surname": c.Surname,
		"date_of_birth": dateText(c.DateOfBirth), "nationality": c.Nationality, "residence_country": c.ResidenceCountry,
		"email": c.Email, "phone": c.Phone, "address": c.Address}
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02")
}

// ExternalRefExists is why an external reference another customer has is refused. References
// are compared exactly, case included: they are the client systems' ids, where "QA-1" and "qa-1"
// may well be two people.
const ExternalRefExists = "A customer with this external reference already exists."

// Create adds a customer and opens their case (status new), with any declared documents.
func (s *Service) Create(ctx context.Context, o Origin, in Input) (Created, error) {
	return s.CreateThen(ctx, o, in, nil)
}

// CreateThen is Create with then run in the same transaction, after the customer and its case
// are written (nil for nothing). Like DocumentThen, it may run more than once.
func (s *Service) CreateThen(ctx context.Context, o Origin, in Input, then func(q *db.Queries, tx pgx.Tx, out Created) error) (Created, error) {
	errs := in.Normalise(time.Now())
	if in.ExternalRef != "" && errs["external_ref"] == "" {
		// Said with the other fields' problems, not only once they are all put right. The
		// unique constraint still decides, below, for two arriving at once.
		ref := in.ExternalRef
		if _, err := db.New(s.Pool).GetCustomerByExternalRef(ctx, &ref); err == nil {
			errs["external_ref"] = ExternalRefExists
		} else if !db.IsNotFound(err) {
			return Created{}, err
		}
	}
	if err := apperr.Fields(errs); err != nil {
		return Created{}, err
	}
	var out Created
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		out = Created{}
		c, err := q.CreateCustomer(ctx, db.CreateCustomerParams{ExternalRef: optString(in.ExternalRef), GivenNames: in.GivenNames,
			Surname: in.Surname, DateOfBirth: optDate(in.DateOfBirth), Nationality: in.Nationality, ResidenceCountry: in.ResidenceCountry,
			Email: in.Email, Phone: in.Phone, Address: in.Address, CreatedBy: o.UserID, CreatedVia: o.Via})
		if db.IsUniqueViolation(err, "customers_external_ref_key") {
			return apperr.Field("external_ref", ExternalRefExists)
		}
		if err != nil {
			return err
		}
		out.Customer = c
		numbers := []string{}
		for _, d := range in.Documents {
			doc, err := q.CreateDocument(ctx, db.CreateDocumentParams{CustomerID: c.ID, Type: db.DocumentType(d.Type),
				IssuingCountry: d.IssuingCountry, Number: d.Number, IssueDate: optDate(d.IssueDate), ExpiryDate: optDate(d.ExpiryDate), CreatedBy: o.UserID})
			if err != nil {
				return err
			}
			out.Documents = append(out.Documents, doc)
			numbers = append(numbers, d.Number)
		}
		out.Case, err = q.CreateCase(ctx, db.CreateCaseParams{CustomerID: c.ID, Nationality: c.Nationality,
			SearchText: searchText(c, numbers)})
		if err != nil {
			return err
		}
		caseID := out.Case.ID
		if err := audit.Record(ctx, q, audit.Event{Actor: o.Actor, Action: "customer.create", SubjectType: "customer", SubjectID: c.ID.String(),
			CaseID: &caseID, After: map[string]any{"customer": Public(c), "via": o.Via, "documents": in.Documents}}); err != nil {
			return err
		}
		if err := audit.Record(ctx, q, audit.Event{Actor: o.Actor, Action: "case.create", SubjectType: "case", SubjectID: caseID.String(),
			CaseID: &caseID, After: map[string]any{"status": out.Case.Status, "customer_id": c.ID}}); err != nil || then == nil {
			return err
		}
		return then(q, tx, out)
	})
	return out, err
}

func searchText(c db.Customer, numbers []string) string {
	parts := append([]string{c.GivenNames + " " + c.Surname, c.Surname + " " + c.GivenNames}, numbers...)
	if c.ExternalRef != nil {
		parts = append(parts, *c.ExternalRef)
	}
	return normalize.SearchText(parts...)
}

// searchTextOf is the queue's search text for the customer and all their documents.
func searchTextOf(ctx context.Context, q *db.Queries, c db.Customer) (string, error) {
	docs, err := q.ListCustomerDocuments(ctx, c.ID)
	if err != nil {
		return "", err
	}
	numbers := make([]string, 0, len(docs))
	for _, d := range docs {
		numbers = append(numbers, d.Number)
	}
	return searchText(c, numbers), nil
}

// refreshSearch recomputes the queue's search text and nationality for the customer's open case.
func refreshSearch(ctx context.Context, q *db.Queries, c db.Customer) error {
	text, err := searchTextOf(ctx, q, c)
	if err != nil {
		return err
	}
	return q.RefreshCaseSearch(ctx, db.RefreshCaseSearchParams{CustomerID: c.ID, SearchText: text, Nationality: c.Nationality})
}

// Get returns a customer or a not-found error.
func Get(ctx context.Context, q *db.Queries, id uuid.UUID) (db.Customer, error) {
	c, err := q.GetCustomer(ctx, id)
	if db.IsNotFound(err) {
		return c, apperr.New(apperr.NotFound, "No such customer.")
	}
	if err != nil {
		return c, fmt.Errorf("get customer: %w", err)
	}
	return c, nil
}

// DecidedMessage is why a customer whose cases are all decided cannot be changed, and what to do.
const DecidedMessage = "The customer's cases are all decided, so their data stays as it was decided on. " +
	"To change it, open a new case for the customer (a document added on their case page opens one), claim it and edit the data there."

// MayEdit refuses a change to the customer's data by user unless c, the customer's open case, is
// held by user and not waiting for its second review: only the holder acts on a case, and what a
// decision waiting for its second review was made on stays as it was. Service.Update checks it
// in the transaction that writes the change, on c read under its lock; the edit form checks it
// beforehand.
func MayEdit(c db.Case, user uuid.UUID) error {
	if err := cases.RequireNotPending(c); err != nil {
		return err
	}
	return cases.RequireHolder(c, user)
}

// Update replaces a customer's declared data (the external reference stays: it is the onboarding
// system's key). The audit row holds before and after. Only the person holding the customer's
// open case may change it (MayEdit); a customer whose cases are all decided is not changed at all
// (a conflict saying DecidedMessage). Both are judged inside the transaction that writes the
// change, after locking the customer's row and then the case's, so a decision, release or
// assignment committing meanwhile cannot slip between the check and the write. The customer's
// open case is returned whenever there is one, the change refused or not, for the caller to lead
// back to it. changed is false when the data sent is the data stored: nothing is written then,
// no audit row either (an edit that changed nothing is no event of the case).
func (s *Service) Update(ctx context.Context, o Origin, id uuid.UUID, in Input) (out db.Customer, open *db.Case, changed bool, err error) {
	if o.UserID == nil {
		return db.Customer{}, nil, false, errors.New("customers: an update needs the user who makes it")
	}
	in.Documents = nil
	// Judged after the permission: whoever may not change the customer learns that first.
	invalid := apperr.Fields(in.Normalise(time.Now()))
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		open, changed = nil, false
		// The customer's row before the case's: the order AddDocumentToCase takes.
		before, err := q.GetCustomerForUpdate(ctx, id)
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "No such customer.")
		}
		if err != nil {
			return err
		}
		c, err := q.LockOpenCaseForCustomer(ctx, id)
		if db.IsNotFound(err) {
			return apperr.New(apperr.Conflict, DecidedMessage)
		}
		if err != nil {
			return err
		}
		open = &c
		if err := MayEdit(c, *o.UserID); err != nil {
			return err
		}
		if invalid != nil {
			return invalid
		}
		if sameData(before, in) {
			out = before
			return nil
		}
		changed = true
		out, err = q.UpdateCustomer(ctx, db.UpdateCustomerParams{ID: id, GivenNames: in.GivenNames, Surname: in.Surname,
			DateOfBirth: optDate(in.DateOfBirth), Nationality: in.Nationality, ResidenceCountry: in.ResidenceCountry,
			Email: in.Email, Phone: in.Phone, Address: in.Address})
		if err != nil {
			return err
		}
		if err := refreshSearch(ctx, q, out); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: o.Actor, Action: "customer.update", SubjectType: "customer", SubjectID: id.String(),
			CaseID: &c.ID, Before: Public(before), After: Public(out)})
	})
	return out, open, changed, err
}

// sameData reports whether in, normalised, is the data Update would leave c with as it is.
func sameData(c db.Customer, in Input) bool {
	return c.GivenNames == in.GivenNames && c.Surname == in.Surname && dateText(c.DateOfBirth) == in.DateOfBirth &&
		c.Nationality == in.Nationality && c.ResidenceCountry == in.ResidenceCountry && c.Email == in.Email &&
		c.Phone == in.Phone && c.Address == in.Address
}

// File is one uploaded file and what it shows.
type File struct {
	Kind string // front, back or selfie
	Name string
	Data []byte
	// Refused says why the file was refused while it was read (too large to read at all), for
	// the checks to report it on its field with the other files' refusals. Data is then empty.
	Refused string
}

// AddDocument adds a document with its images to a customer. Every file is validated before
// anything is stored; a refused file is reported by its field ("front", "back", "selfie") with its
// name and the reason, and nothing is kept. Images already known (same content) are stored once.
// The document joins the customer's open case; a customer whose cases are all decided gets a new
// one; images of a document the open case has already, without those sides, join that document
// instead (see AddDocumentToCase). A customer's case awaiting resubmission goes back to work in
// the same transaction (see cases.DocumentArrived).
func (s *Service) AddDocument(ctx context.Context, o Origin, customerID uuid.UUID, d DocumentInput, files []File) (db.Document, []db.Image, error) {
	return s.AddDocumentThen(ctx, o, customerID, d, files, nil)
}

// DocumentThen is work done in the transaction that adds a document, after it: it lands with the
// document or not at all. It may run more than once (see db.Transact), so it only writes through q
// and tx.
type DocumentThen func(q *db.Queries, tx pgx.Tx, doc db.Document, imgs []db.Image) error

// AddDocumentThen is AddDocument with then run in the same transaction (nil for nothing).
func (s *Service) AddDocumentThen(ctx context.Context, o Origin, customerID uuid.UUID, d DocumentInput, files []File, then DocumentThen) (db.Document, []db.Image, error) {
	var next AddedThen
	if then != nil {
		next = func(q *db.Queries, tx pgx.Tx, a Added) error { return then(q, tx, a.Document, a.Images) }
	}
	a, err := s.AddDocumentToCase(ctx, o, customerID, d, files, next)
	return a.Document, a.Images, err
}

// Added is a document that arrived, with its images and the case it joined.
type Added struct {
	Document db.Document
	Images   []db.Image
	// CaseID is the case the document joined: the customer's open case, or the one it opened.
	CaseID uuid.UUID
	// Opened: the customer had no open case (every earlier one was decided), so the document
	// opened CaseID, new and in the queue.
	Opened bool
	// After is, when the document opened a case, the customer's latest earlier case (decided):
	// the one the new case comes after. Nil when there is none.
	After *db.Case
	// Joined: the images went to a document the case has already (declared with the customer,
	// or sent earlier without the sides sent now), not to a new one; see sameDocument. Document
	// is that document, its dates filled in where it had none and the sender gave them.
	Joined bool
}

// AddedThen is DocumentThen told which case the document joined.
type AddedThen func(q *db.Queries, tx pgx.Tx, a Added) error

// AddDocumentToCase is AddDocumentThen that says which case the document joined. A document for
// a customer with no open case opens one (status new, in the queue, unassigned), audited as
// case.create with the document and the earlier case it follows: a rejected customer sending a
// new passport, or an approved one a renewed document, must be looked at by someone.
//
// Images of a document the open case has already, untouched by review and without the sides sent
// (a passport declared when the customer was created, whose data page comes now), join that
// document instead of making a second one, audited as document.images_added (see sameDocument).
// Anything else is a new document: a side sent again is a resubmission, which the app keeps as a
// new document beside the one a reviewer looked at.
func (s *Service) AddDocumentToCase(ctx context.Context, o Origin, customerID uuid.UUID, d DocumentInput, files []File, then AddedThen) (Added, error) {
	errs := d.Normalise(time.Now())
	files = withoutBackOfPassport(d, files, errs)
	uploads, ferrs, err := s.process(ctx, db.DocumentType(d.Type), files)
	if err != nil {
		return Added{}, err
	}
	for k, v := range ferrs {
		errs[k] = v
	}
	if err := apperr.Fields(errs); err != nil {
		return Added{}, err
	}
	var out Added
	err = s.store(ctx, uploads, func(q *db.Queries, tx pgx.Tx) error {
		out = Added{}
		// Two documents arriving at once for a customer with no open case must not both open one
		// (cases_one_open_per_customer would refuse the second, failing its upload). They take
		// turns on the customer's row instead, so the second reads the case the first opened
		// (each statement of a READ COMMITTED transaction sees what committed before it) and
		// joins it. A lock rather than catching the unique violation and retrying: the violation
		// aborts the whole transaction, blobs and all, and would have to be retried from the
		// start, while the lock costs one row lock per document and orders the arrivals.
		// The customer row is always locked before any case row, as Update does.
		c, err := q.LockCustomer(ctx, customerID)
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "No such customer.")
		}
		if err != nil {
			return fmt.Errorf("lock customer: %w", err)
		}
		// The open case's row is locked too, so who holds it and its status are read as they
		// stand until the document is in: a claim, assignment or decision committing meanwhile
		// is waited for rather than missed.
		oc, err := q.LockOpenCaseForCustomer(ctx, customerID)
		switch {
		case err == nil:
			out.CaseID = oc.ID
			if o.Via == "browser" {
				// Staff add nothing to a case waiting for its second review; what the customer
				// sends through the API is kept (the checker sees it arrive in the timeline).
				if err := cases.RequireNotPending(oc); err != nil {
					return err
				}
				// Nor to a case someone else holds: only its holder acts on it. An unassigned
				// case takes the document from whoever works cases (the customer's case
				// awaiting resubmission then goes back to new), as the API's does.
				if oc.AssigneeID != nil && (o.UserID == nil || *oc.AssigneeID != *o.UserID) {
					return apperr.New(apperr.Forbidden, "This customer's case is assigned to someone else: only its assignee can add documents to it.")
				}
			}
		case db.IsNotFound(err):
			out.Opened = true
		default:
			return err
		}
		var existing *db.Document
		if !out.Opened {
			// Only the open case's: a document of a decided case stays as it was decided on.
			if existing, err = sameDocument(ctx, q, out.CaseID, d, uploads); err != nil {
				return err
			}
		}
		var doc db.Document
		switch {
		case existing == nil:
			doc, err = q.CreateDocument(ctx, db.CreateDocumentParams{CustomerID: customerID, Type: db.DocumentType(d.Type),
				IssuingCountry: d.IssuingCountry, Number: d.Number, IssueDate: optDate(d.IssueDate), ExpiryDate: optDate(d.ExpiryDate), CreatedBy: o.UserID})
		case (existing.IssueDate == nil && d.IssueDate != "") || (existing.ExpiryDate == nil && d.ExpiryDate != ""):
			doc, err = q.FillDocumentDates(ctx, db.FillDocumentDatesParams{ID: existing.ID, IssueDate: optDate(d.IssueDate), ExpiryDate: optDate(d.ExpiryDate)})
		default:
			doc = *existing
		}
		if err != nil {
			return err
		}
		out.Joined = existing != nil
		out.Document = doc
		// The case row (its search text, or the new case itself) before the audit chain: the
		// order every mutation of a case takes.
		if out.Opened {
			if out.After, err = latestCase(ctx, q, customerID); err != nil {
				return err
			}
			// Opened in the document's transaction, so both have the same created_at: the
			// document is the new case's (ListCaseDocuments: at or after its opening) and no
			// longer the earlier case's, whose documents and decisions stay with it.
			text, err := searchTextOf(ctx, q, c)
			if err != nil {
				return err
			}
			nc, err := q.CreateCase(ctx, db.CreateCaseParams{CustomerID: customerID, Nationality: c.Nationality, SearchText: text})
			if err != nil {
				return err
			}
			out.CaseID = nc.ID
		} else if err := refreshSearch(ctx, q, c); err != nil {
			return err
		}
		// A document no vendor has checked yet: a case that passed every check has not passed
		// this one's.
		if err := q.RefreshCaseVendorOutcome(ctx, out.CaseID); err != nil {
			return err
		}
		caseID := out.CaseID
		if out.Opened {
			after := map[string]any{"status": cases.New, "customer_id": customerID, "document_id": doc.ID, "via": o.Via}
			if out.After != nil {
				after["reopened_after"] = out.After.ID
				after["reopened_after_status"] = out.After.Status
			}
			if err := audit.Record(ctx, q, audit.Event{Actor: o.Actor, Action: "case.create", SubjectType: "case", SubjectID: caseID.String(),
				CaseID: &caseID, After: after}); err != nil {
				return err
			}
		}
		ev := audit.Event{Actor: o.Actor, Action: "document.add", SubjectType: "document", SubjectID: doc.ID.String(),
			CaseID: &caseID, After: map[string]any{"customer_id": customerID, "document": d, "via": o.Via}}
		if existing != nil {
			// What was sent, and the document's dates before and after: a date it was declared
			// without is filled in from what was sent.
			ev.Action = "document.images_added"
			after := documentDates(doc)
			after["customer_id"], after["document"], after["via"] = customerID, d, o.Via
			ev.Before, ev.After = documentDates(*existing), after
		}
		if err := audit.Record(ctx, q, ev); err != nil {
			return err
		}
		out.Images, err = s.insertImages(ctx, q, o, c.ID, &doc.ID, &caseID, uploads)
		if err != nil {
			return err
		}
		if !out.Opened {
			// What a case awaiting resubmission waits for: it goes back to work, with an audit
			// row after the document's. refreshSearch above wrote the case row already, so the
			// case row still comes before the audit chain.
			ev, err := cases.DocumentArrived(ctx, q, o.Actor, caseID, doc.ID, o.Via)
			if err != nil {
				return err
			}
			if ev != nil {
				if err := audit.Record(ctx, q, *ev); err != nil {
					return err
				}
			}
		}
		if then == nil {
			return nil
		}
		return then(q, tx, out)
	})
	return out, err
}

// sameDocument is the document of the case caseID that the images sent with d are of, nil when
// none is: one review has not touched (no check, decision or liveness verdict on it: what was
// checked or decided stays as it was checked or decided), of the same type and issuing country,
// with the same number as normalize.DocumentNumber compares numbers (upper case, no spaces or
// MRZ fillers), and with no image yet of a side (front, back) sent. Selfies take no side: a
// customer may give several. Dates agree where both are given; one the document lacks is filled
// in from d, as long as the expiry stays after the issue date. Dates that differ are another
// issue of the document (a renewed licence keeps its number), so a new document. The oldest such
// document is taken. Having no check, it gets the intake API's automatic checks (keyed by the
// document) as a new document does.
func sameDocument(ctx context.Context, q *db.Queries, caseID uuid.UUID, d DocumentInput, uploads []upload) (*db.Document, error) {
	rows, err := q.ListUntouchedCaseDocuments(ctx, db.ListUntouchedCaseDocumentsParams{CaseID: caseID, Type: db.DocumentType(d.Type),
		IssuingCountry: d.IssuingCountry})
	if err != nil {
		return nil, err
	}
	number := normalize.DocumentNumber(d.Number)
rows:
	for _, r := range rows {
		if normalize.DocumentNumber(r.Number) != number {
			continue
		}
		issue, okIssue := sameDate(r.IssueDate, d.IssueDate)
		expiry, okExpiry := sameDate(r.ExpiryDate, d.ExpiryDate)
		if !okIssue || !okExpiry || (issue != nil && expiry != nil && !expiry.After(*issue)) {
			continue
		}
		for _, u := range uploads {
			if u.kind != "selfie" && slices.Contains(r.ImageKinds, u.kind) {
				continue rows
			}
		}
		return &db.Document{ID: r.ID, CustomerID: r.CustomerID, Type: r.Type, IssuingCountry: r.IssuingCountry, Number: r.Number,
			IssueDate: r.IssueDate, ExpiryDate: r.ExpiryDate, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, ArtemisDocumentID: r.ArtemisDocumentID}, nil
	}
	return nil, nil
}

// sameDate is a document's date once sent (YYYY-MM-DD, "" for none) is taken into account: the
// one it has, else the one sent. False when both are given and differ.
func sameDate(has *time.Time, sent string) (*time.Time, bool) {
	t := optDate(sent)
	switch {
	case has == nil:
		return t, true
	case t == nil:
		return has, true
	}
	return has, has.Equal(*t)
}

// documentDates is a document's dates as audit rows record them.
func documentDates(d db.Document) map[string]any {
	return map[string]any{"document_id": d.ID, "issue_date": dateText(d.IssueDate), "expiry_date": dateText(d.ExpiryDate)}
}

// latestCase is the customer's newest case, nil when they have none.
func latestCase(ctx context.Context, q *db.Queries, customerID uuid.UUID) (*db.Case, error) {
	cs, err := q.ListCustomerCases(ctx, customerID)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

// NoPassportBack is the message for a back image sent with a passport.
const NoPassportBack = "A passport has no back side; send the data page as front."

// withoutBackOfPassport refuses, on the back field, a back image of a passport: its data page is
// its front and nothing else of it is read. The file is left out of the rest of the checks, which
// would only add a second message about an image that cannot be right.
func withoutBackOfPassport(d DocumentInput, files []File, errs map[string]string) []File {
	if db.DocumentType(d.Type) != db.DocumentTypePassport {
		return files
	}
	kept := files[:0:0]
	for _, f := range files {
		if f.Kind == "back" {
			errs["back"] = NoPassportBack
			continue
		}
		kept = append(kept, f)
	}
	return kept
}

type upload struct {
	kind string
	*images.Upload
}

// PDFAllowed reports whether a PDF may stand for an image of kind on a document of type t: the
// front or back of an "other" document (a certificate, a letter), never an identity document's
// side or a selfie, which the vendors read and the viewer zooms and turns as photos.
func PDFAllowed(t db.DocumentType, kind string) bool {
	return t == db.DocumentTypeOther && (kind == "front" || kind == "back")
}

// NoPDF is why a PDF is refused where PDFAllowed says no.
const NoPDF = "a PDF is accepted only as the front or back of an \"other\" document; send a JPEG or PNG photo"

// process validates the files and derives their images; an error other than the files' own (the
// request ended while an image waited for its share of the decoding memory) ends it.
func (s *Service) process(ctx context.Context, t db.DocumentType, files []File) ([]upload, map[string]string, error) {
	errs := map[string]string{}
	var out []upload
	for _, f := range files {
		if f.Kind != "front" && f.Kind != "back" && f.Kind != "selfie" {
			errs[f.Kind] = "Images are front, back or selfie."
			continue
		}
		lim := s.Limits
		lim.AllowPDF = lim.AllowPDF && PDFAllowed(t, f.Kind)
		var u *images.Upload
		var err error
		if f.Refused != "" {
			err = &images.RejectError{File: images.SanitizeName(f.Name), Code: images.RejectTooLarge, Reason: f.Refused}
		} else {
			u, err = images.ProcessContext(ctx, f.Name, f.Data, lim)
		}
		if err != nil && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if err != nil {
			var re *images.RejectError
			if errors.As(err, &re) {
				if re.Code == images.RejectPDF && s.Limits.AllowPDF {
					re.Reason = NoPDF
				}
				if prev := errs[f.Kind]; prev != "" {
					errs[f.Kind] = prev + " " + re.Error()
				} else {
					errs[f.Kind] = re.Error()
				}
				continue
			}
			errs[f.Kind] = "The file could not be read."
			continue
		}
		out = append(out, upload{kind: f.Kind, Upload: u})
	}
	return out, errs, nil
}

// store saves the blobs, then runs fn in one transaction. When the transaction fails, the blobs it
// would have referenced are removed again unless another image uses them: nothing half-stored.
func (s *Service) store(ctx context.Context, uploads []upload, fn func(q *db.Queries, tx pgx.Tx) error) error {
	var saved []string
	for _, u := range uploads {
		existed, err := s.known(ctx, u.SHA256)
		if err != nil {
			return err
		}
		if err := s.Store.Save(ctx, u.Upload); err != nil {
			s.cleanup(saved)
			return fmt.Errorf("store image: %w", err)
		}
		if !existed {
			saved = append(saved, u.SHA256)
		}
	}
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		// The blobs are held until the images referring to them commit, and are made sure of once
		// held: a failed upload of the same bytes at the same moment may have deleted them since
		// they were saved (cleanup deletes only what it holds alone, and no image uses).
		for _, u := range uploads {
			if err := q.HoldBlob(ctx, u.SHA256); err != nil {
				return err
			}
			ok, err := s.Store.Present(ctx, u.Upload)
			if err == nil && !ok {
				err = s.Store.Save(ctx, u.Upload)
			}
			if err != nil {
				return fmt.Errorf("store image: %w", err)
			}
		}
		return fn(q, tx)
	})
	if err != nil {
		s.cleanup(saved)
	}
	return err
}

func (s *Service) known(ctx context.Context, sha string) (bool, error) {
	n, err := db.New(s.Pool).CountImagesBySHA(ctx, sha)
	return n > 0, err
}

// cleanup deletes the blobs of shas that no image refers to, each held alone (TakeBlob) while it
// is judged and deleted: an upload of the same bytes holding them (HoldBlob) is waited for, and
// one that holds them later finds them gone and saves them again.
func (s *Service) cleanup(shas []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, sha := range shas {
		_ = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
			if err := q.TakeBlob(ctx, sha); err != nil {
				return err
			}
			if n, err := q.CountImagesBySHA(ctx, sha); err != nil || n > 0 {
				return err
			}
			return s.Store.Delete(ctx, sha)
		})
	}
}

func (s *Service) insertImages(ctx context.Context, q *db.Queries, o Origin, customerID uuid.UUID, documentID, caseID *uuid.UUID, uploads []upload) ([]db.Image, error) {
	// The case row first, the audit chain after: the order every mutation of a case takes.
	if caseID != nil {
		if err := q.TouchCase(ctx, *caseID); err != nil {
			return nil, err
		}
	}
	var out []db.Image
	for _, u := range uploads {
		img, err := q.CreateImage(ctx, db.CreateImageParams{CustomerID: customerID, DocumentID: documentID, Kind: db.ImageKind(u.kind),
			Sha256: u.SHA256, ContentType: u.ContentType, SizeBytes: u.Size, Width: int32(u.Width), Height: int32(u.Height),
			HasThumb: u.Thumb != nil, FileName: u.SafeName, UploadedBy: o.UserID, UploadedVia: o.Via})
		if err != nil {
			return nil, err
		}
		out = append(out, img)
		if err := audit.Record(ctx, q, audit.Event{Actor: o.Actor, Action: "image.upload", SubjectType: "image", SubjectID: img.ID.String(),
			CaseID: caseID, After: map[string]any{"document_id": documentID, "kind": u.kind, "sha256": u.SHA256, "content_type": u.ContentType,
				"size": u.Size, "width": u.Width, "height": u.Height, "file_name": u.SafeName, "via": o.Via}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func openCase(ctx context.Context, q *db.Queries, customerID uuid.UUID) *uuid.UUID {
	c, err := q.GetOpenCaseForCustomer(ctx, customerID)
	if err != nil {
		return nil
	}
	return &c.ID
}

// Name is a customer's full name as pages show it.
func Name(c db.Customer) string {
	return strings.TrimSpace(c.GivenNames + " " + c.Surname)
}
