package customers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/images"
	"kycdesk/internal/normalize"
	"kycdesk/web"
)

// Handler serves the customer forms, document uploads and the images themselves.
type Handler struct {
	Pool    *pgxpool.Pool
	Service *Service
	R       *httpx.Renderer
}

func origin(p *auth.Principal) Origin {
	return Origin{Actor: p.Actor(), UserID: &p.UserID, Via: "browser"}
}

func formInput(r *http.Request) Input {
	f := r.PostFormValue
	return Input{ExternalRef: f("external_ref"), GivenNames: f("given_names"), Surname: f("surname"), DateOfBirth: f("date_of_birth"),
		Nationality: f("nationality"), ResidenceCountry: f("residence_country"), Email: f("email"), Phone: f("phone"), Address: f("address")}
}

func formView(id string, in Input, errs map[string]string) web.CustomerForm {
	return web.CustomerForm{ID: id, ExternalRef: in.ExternalRef, GivenNames: in.GivenNames, Surname: in.Surname, DateOfBirth: in.DateOfBirth,
		Nationality: in.Nationality, ResidenceCountry: in.ResidenceCountry, Email: in.Email, Phone: in.Phone, Address: in.Address, Errors: errs,
		Countries: countryCodes, ResidenceCountries: residenceCodes}
}

// The lists the forms' country fields suggest: the codes Normalise accepts, with their names.
var (
	countryCodes         = web.NewDatalist("country-codes", normalize.CountryCodes(), countryOption)
	residenceCodes       = web.NewDatalist("residence-codes", normalize.ResidenceCodes(), countryOption)
	documentCountryCodes = web.NewDatalist("document-country-codes", normalize.CountryCodes(), countryOption)
)

func countryOption(c normalize.Country) web.Option { return web.Option{Value: c.Alpha3, Label: c.Name} }

// New shows the new-customer form.
func (h *Handler) New(w http.ResponseWriter, r *http.Request) error {
	return h.R.Page(w, r, http.StatusOK, "New customer", web.CustomerFormPage(formView("", Input{}, nil)))
}

// Create adds the customer, opens their case and goes to it, where documents are uploaded.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	in := formInput(r)
	out, err := h.Service.Create(r.Context(), origin(auth.PrincipalFrom(r.Context())), in)
	if fields := apperr.FieldsOf(err); fields != nil {
		v := formView("", formInput(r), fields)
		if fields["external_ref"] == ExternalRefExists {
			if v.Existing, err = h.existing(r.Context(), strings.TrimSpace(in.ExternalRef)); err != nil {
				return err
			}
		}
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "New customer", web.CustomerFormPage(v))
	}
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "The customer was created and their case opened. Add their documents below.")
	return httpx.Redirect(w, r, "/cases/"+out.Case.ID.String())
}

// existing is the link to the case of the customer who has the external reference ref (their
// open case, else their latest), nil when there is none (gone meanwhile) or they have no case.
func (h *Handler) existing(ctx context.Context, ref string) (*web.Link, error) {
	q := db.New(h.Pool)
	c, err := q.GetCustomerByExternalRef(ctx, &ref)
	if db.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	last, err := openCaseOf(ctx, q, c.ID)
	if err == nil && last == nil {
		last, err = latestCase(ctx, q, c.ID)
	}
	if err != nil || last == nil {
		return nil, err
	}
	return &web.Link{Href: "/cases/" + last.ID.String(), Text: listName(c)}, nil
}

func customerID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return id, apperr.New(apperr.NotFound, "No such customer.")
	}
	return id, nil
}

// openCaseOf is the customer's open case, nil when every case of theirs is decided (or they have
// none). A plain read, for pages and for where a refusal leads: the changes themselves judge the
// case under its lock (Service).
func openCaseOf(ctx context.Context, q *db.Queries, customerID uuid.UUID) (*db.Case, error) {
	c, err := q.GetOpenCaseForCustomer(ctx, customerID)
	if db.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// backToCase answers a change refused because of the state of the customer's case caseID (it
// went to its second review while the form was open, or nobody has claimed it): back to the case
// page, with why, rather than an error page that leads nowhere. Any other error, or one with no
// case to go back to (uuid.Nil), is returned as it is.
func backToCase(w http.ResponseWriter, r *http.Request, caseID uuid.UUID, err error) error {
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Conflict && caseID != uuid.Nil {
		httpx.SetFlash(w, "error", ae.Message)
		return httpx.Redirect(w, r, "/cases/"+caseID.String())
	}
	return err
}

// idOf is the id of c, uuid.Nil for none.
func idOf(c *db.Case) uuid.UUID {
	if c == nil {
		return uuid.Nil
	}
	return c.ID
}

// Edit shows the customer form filled in, to the person holding the customer's open case. Anyone
// else is told why not before typing anything (Update refuses them too): a customer whose cases
// are all decided is not editable, one whose case waits for its second review or is not claimed
// leads back to the case page with why, one whose case someone else holds is forbidden.
func (h *Handler) Edit(w http.ResponseWriter, r *http.Request) error {
	id, err := customerID(r)
	if err != nil {
		return err
	}
	q := db.New(h.Pool)
	c, err := Get(r.Context(), q, id)
	if err != nil {
		return err
	}
	open, err := openCaseOf(r.Context(), q, id)
	if err != nil {
		return err
	}
	if open == nil {
		return apperr.New(apperr.Conflict, DecidedMessage)
	}
	if err := MayEdit(*open, auth.PrincipalFrom(r.Context()).UserID); err != nil {
		return backToCase(w, r, idOf(open), err)
	}
	in := Input{GivenNames: c.GivenNames, Surname: c.Surname, DateOfBirth: dateText(c.DateOfBirth), Nationality: c.Nationality,
		ResidenceCountry: c.ResidenceCountry, Email: c.Email, Phone: c.Phone, Address: c.Address}
	return h.editPage(w, r, http.StatusOK, c, open.ID, in, nil, "")
}

// editPage is the edit form of customer c opened from the case caseID (uuid.Nil for none), with
// in as typed, its field errors, and why a save was refused ("" for none).
func (h *Handler) editPage(w http.ResponseWriter, r *http.Request, status int, c db.Customer, caseID uuid.UUID, in Input,
	errs map[string]string, refused string) error {
	v := formView(c.ID.String(), in, errs)
	v.Name, v.Refused = listName(c), refused
	if caseID != uuid.Nil {
		v.CaseID = caseID.String()
	}
	return h.R.Page(w, r, status, "Edit customer: "+v.Name, web.CustomerFormPage(v))
}

// listName is a customer's name as the queue lists it: "Surname, Given names".
func listName(c db.Customer) string {
	if c.GivenNames == "" {
		return c.Surname
	}
	return c.Surname + ", " + c.GivenNames
}

// Update saves the customer's data. Who may is judged by the Service, in the transaction that
// saves it.
func (h *Handler) Update(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	id, err := customerID(r)
	if err != nil {
		return err
	}
	_, open, changed, err := h.Service.Update(r.Context(), origin(auth.PrincipalFrom(r.Context())), id, formInput(r))
	if err != nil {
		fields := apperr.FieldsOf(err)
		status := map[apperr.Code]int{apperr.Forbidden: http.StatusForbidden, apperr.Conflict: http.StatusConflict}[apperr.CodeOf(err)]
		ae, _ := apperr.As(err)
		if fields == nil && (status == 0 || ae == nil) {
			return err
		}
		q := db.New(h.Pool)
		c, gerr := Get(r.Context(), q, id)
		if gerr != nil {
			return gerr
		}
		caseID := idOf(open)
		if fields != nil {
			return h.editPage(w, r, http.StatusUnprocessableEntity, c, caseID, formInput(r), fields, "")
		}
		// Refused as the case stands now (reassigned, released, sent to its second review or
		// decided while the form was open): the form again, with what was typed and why, and the
		// way back to the case, rather than an error page that loses the typing.
		if caseID == uuid.Nil {
			last, lerr := latestCase(r.Context(), q, id)
			if lerr != nil {
				return lerr
			}
			caseID = idOf(last)
		}
		return h.editPage(w, r, status, c, caseID, formInput(r), nil, ae.Message)
	}
	if changed {
		httpx.SetFlash(w, "ok", "The customer's data was saved.")
	} else {
		httpx.SetFlash(w, "ok", "Nothing changed: the customer's data is as it was.")
	}
	return httpx.Redirect(w, r, "/cases/"+open.ID.String())
}

// DocumentForm is an empty add-document form for a customer.
func (h *Handler) DocumentForm(customerID uuid.UUID) web.DocumentForm {
	f := web.DocumentForm{Action: "/customers/" + customerID.String() + "/documents", Type: "passport", MaxBytes: h.Service.Limits.MaxBytes,
		MinSide: h.Service.Limits.MinImageSide(), Countries: documentCountryCodes}
	for _, t := range DocumentTypes {
		f.Types = append(f.Types, web.Option{Value: t.Value, Label: t.Label})
	}
	return f
}

// AddDocument stores a new document with its images (multipart form, several files at once).
func (h *Handler) AddDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := customerID(r)
	if err != nil {
		return err
	}
	p := auth.PrincipalFrom(r.Context())
	files, err := ReadFiles(w, r, h.Service.Limits.MaxBytes)
	if err != nil && apperr.FieldsOf(err) == nil {
		return err
	}
	d := DocumentInput{Type: r.PostFormValue("type"), IssuingCountry: r.PostFormValue("issuing_country"), Number: r.PostFormValue("number"),
		IssueDate: r.PostFormValue("issue_date"), ExpiryDate: r.PostFormValue("expiry_date")}
	var added Added
	switch {
	case err != nil:
		// A form that could not be read is shown on its field rather than on an error page that
		// names no field. (A file too large is not such an error: it comes back Refused and is
		// checked with the others, so every bad file is named at once.)
	case len(files) == 0:
		err = apperr.Field("front", "Choose at least one image of the document.")
	default:
		added, err = h.Service.AddDocumentToCase(r.Context(), origin(p), id, d, files, nil)
	}
	if fields := apperr.FieldsOf(err); fields != nil {
		open, oerr := openCaseOf(r.Context(), db.New(h.Pool), id)
		if oerr != nil {
			return oerr
		}
		f := h.DocumentForm(id)
		f.OpensCase = open == nil
		f.Type, f.IssuingCountry, f.Number, f.IssueDate, f.ExpiryDate = d.Type, d.IssuingCountry, d.Number, d.IssueDate, d.ExpiryDate
		f.Errors = fields
		f.Sent = sentFiles(r)
		if httpx.Fragment(r) {
			return httpx.Render(w, r, http.StatusUnprocessableEntity, web.DocumentUploadForm(f))
		}
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "Add a document", web.DocumentUploadForm(f))
	}
	if err != nil {
		// Refused in the document's transaction (who holds the case, and its status, are judged
		// there, under the case's lock): back to the case it was refused for.
		return backToCase(w, r, added.CaseID, err)
	}
	msg := fmt.Sprintf("The document and %d image(s) were added.", len(files))
	if added.Joined {
		// Sent again as it was declared: the images went to that document, not a second one.
		label := DocumentTypeLabel(added.Document.Type) // "National ID" reads "national ID" in a sentence
		msg = fmt.Sprintf("The %d image(s) were added to the %s %s already on the case.",
			len(files), strings.ToLower(label[:1])+label[1:], documentName(added.Document))
	}
	if added.Opened {
		msg += " The customer's earlier cases were all decided, so a new case was opened for the document: this one, in the queue."
	}
	httpx.SetFlash(w, "ok", msg)
	// To the case the document joined: the open case, or the one it opened.
	return httpx.Redirect(w, r, "/cases/"+added.CaseID.String())
}

// documentName is how a flash names a document: its number and issuing country, where known.
func documentName(d db.Document) string {
	name := strings.TrimSpace(d.Number + " " + d.IssuingCountry)
	if name == "" {
		return "(no number)"
	}
	return name
}

// sentFiles names the files a multipart request sent, per image slot, as pages show file names.
func sentFiles(r *http.Request) map[string][]string {
	if r.MultipartForm == nil {
		return nil
	}
	sent := map[string][]string{}
	for _, kind := range []string{"front", "back", "selfie"} {
		for _, fh := range r.MultipartForm.File[kind] {
			sent[kind] = append(sent[kind], images.SanitizeName(fh.Filename))
		}
	}
	return sent
}

// ReadFiles reads the front, back and selfie files of a multipart request. The whole request is
// bounded (three sides plus a few selfies at the largest size each), so an oversized post is
// refused before it is read. A single file over maxFile is not read but returned Refused, so
// that the other files are still checked and every refusal is reported in one answer.
func ReadFiles(w http.ResponseWriter, r *http.Request, maxFile int64) ([]File, error) {
	limit := maxFile*6 + 1<<20
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apperr.Error{Code: apperr.TooLarge, Message: fmt.Sprintf("The upload is larger than %d MB in all.", limit>>20), Err: err}
		}
		return nil, apperr.Field("front", "The upload could not be read. Choose the files again.")
	}
	var files []File
	for _, kind := range []string{"front", "back", "selfie"} {
		for _, fh := range r.MultipartForm.File[kind] {
			if fh.Size > maxFile {
				files = append(files, File{Kind: kind, Name: fh.Filename, Refused: fmt.Sprintf("the file is larger than %d MB", maxFile>>20)})
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return nil, err
			}
			data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
			f.Close()
			if err != nil {
				return nil, err
			}
			files = append(files, File{Kind: kind, Name: fh.Filename, Data: data})
		}
	}
	return files, nil
}

// Image serves one stored image: "thumb", "display" (upright, no metadata) or "original" (the
// bytes as uploaded). Every look at a display or original image is written to the audit log.
func (h *Handler) Image(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such image.")
	}
	variant := chi.URLParam(r, "variant")
	q := db.New(h.Pool)
	img, err := q.GetImage(ctx, id)
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "No such image.")
	}
	if err != nil {
		return err
	}
	var keyFn func(string) (string, error)
	var ctype, ext string
	switch variant {
	case "thumb":
		if !img.HasThumb {
			return apperr.New(apperr.NotFound, "This file has no thumbnail.")
		}
		keyFn, ctype, ext = images.ThumbKey, "image/jpeg", "jpg"
	case "display":
		if !img.HasThumb { // a PDF has no display image: show the original
			keyFn, ctype, ext = images.OriginalKey, img.ContentType, extension(img.ContentType)
		} else {
			keyFn, ctype, ext = images.DisplayKey, "image/jpeg", "jpg"
		}
	case "original":
		keyFn, ctype, ext = images.OriginalKey, img.ContentType, extension(img.ContentType)
	default:
		return apperr.New(apperr.NotFound, "No such image.")
	}
	key, err := keyFn(img.Sha256)
	if err != nil {
		return err
	}
	rc, _, err := h.Service.Store.Open(ctx, key)
	if errors.Is(err, images.ErrNotFound) {
		return apperr.New(apperr.NotFound, "The image file is missing from the store.")
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	if variant != "thumb" {
		p := auth.PrincipalFrom(ctx)
		err := db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
			return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "image.view", SubjectType: "image", SubjectID: id.String(),
				CaseID: openCase(ctx, q, img.CustomerID), After: map[string]any{"variant": variant, "kind": img.Kind, "sha256": img.Sha256}})
		})
		if err != nil {
			return err
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	// Thumbnails too: a browser's cache would keep faces and documents on a shared workstation
	// after its user signed out.
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.%s"`, img.Kind, strings.ReplaceAll(id.String(), "-", "")[:12], ext))
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	_, err = io.Copy(w, rc)
	return err
}

func extension(ctype string) string {
	switch ctype {
	case "image/png":
		return "png"
	case "application/pdf":
		return "pdf"
	}
	return "jpg"
}
