package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
)

// API serves /api/v1.
type API struct {
	Pool      *pgxpool.Pool
	Customers *customers.Service
	Checks    *checks.Service
	Log       *slog.Logger

	turns keyTurns // requests with one Idempotency-Key, one at a time (see idempotent)
}

// maxJSON bounds a JSON request body.
const maxJSON = 1 << 20

// maxJSONDepth is how deeply encoding/json reads nested objects and lists (its maxNestingDepth).
const maxJSONDepth = 10000

func (a *API) origin(r *http.Request) customers.Origin {
	t := TokenFrom(r.Context())
	return customers.Origin{Actor: t.Actor(), Via: "api:" + t.Name}
}

// readBody reads the whole request body (bounded), for hashing and decoding.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apperr.Error{Code: apperr.TooLarge, Message: fmt.Sprintf("The request body is larger than %d bytes.", limit)}
		}
		return nil, apperr.New(apperr.Invalid, "The request body could not be read.")
	}
	return b, nil
}

// idempotent runs fn once per Idempotency-Key: a request repeated with the same key and the same
// body gets the first answer again (and creates nothing); the same key with another body is
// refused. Requests without the header are simply run.
//
// fn gets remember, which it calls inside its own transaction with the answer it will give: the
// answer is then saved with the records it describes, so a server killed after the commit still
// answers a repeat with the first answer instead of creating everything a second time.
//
// No connection is held while waiting for another: with a session lock on a pool connection
// held around fn's transaction (which needs a second one), as many keyed requests at once as
// the pool has connections froze every page of the app. Instead a repeat of a finished request
// is answered from a read that gives its connection back at once, repeats sent at once to this
// instance take turns in memory, and the transaction decides: it saves its answer only if no
// other request with the key has saved one (see SaveFirstIdempotentResponse: a second
// instance's repeat waits there for the first one's transaction). A transaction that finds an
// answer already saved rolls back, whatever it stored with it (blobs included, see
// customers.Service.store), and the request gets that answer.
func (a *API) idempotent(w http.ResponseWriter, r *http.Request, body []byte, fn func(remember remember) (int, any, error)) error {
	if len(r.Header.Values("Idempotency-Key")) > 1 {
		// Which would the repeat be matched on? Neither, silently: refused.
		return apperr.Field("Idempotency-Key", "Send one Idempotency-Key header, not several.")
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		status, v, err := fn(func(*db.Queries, int, any) error { return nil })
		if err != nil {
			return err
		}
		return httpx.JSON(w, status, v)
	}
	if len(key) > 200 {
		return apperr.Field("Idempotency-Key", "Use a key of at most 200 characters.")
	}
	if msg := textProblem(key); msg != "" {
		return apperr.Field("Idempotency-Key", msg)
	}
	t := TokenFrom(r.Context())
	sum := fingerprint(r, body)
	ctx := r.Context()
	ids := db.GetIdempotentResponseParams{TokenID: t.ID, Key: key}

	// Repeats arriving together here wait for the first to finish, holding nothing, and are then
	// answered by the read below without decoding or storing anything of their own: a saving of
	// work on one instance. (Blobs stay safe without it, across instances too: an upload holds the
	// blobs it refers to until it commits, and a failed one removes its blobs only held alone and
	// unused; see customers.Service.store.)
	done, err := a.turns.take(ctx, t.ID.String()+"\n"+key)
	if err != nil {
		return err
	}
	defer done()

	prev, err := db.New(a.Pool).GetIdempotentResponse(ctx, ids)
	if err == nil {
		return replay(w, prev, sum)
	}
	if !db.IsNotFound(err) {
		return err
	}
	var saved []byte
	status, _, err := fn(func(tq *db.Queries, status int, v any) error {
		out, err := json.Marshal(v)
		if err != nil {
			return err
		}
		n, err := tq.SaveFirstIdempotentResponse(ctx, db.SaveFirstIdempotentResponseParams{TokenID: t.ID, Key: key, RequestHash: sum,
			ResponseStatus: int32(status), ResponseBody: out})
		if err != nil {
			return fmt.Errorf("save the answer to Idempotency-Key: %w", err)
		}
		if n == 0 {
			// Another request with the key committed its answer while this one ran.
			prev, err := tq.GetIdempotentResponse(ctx, ids)
			if err != nil {
				return fmt.Errorf("read the answer to Idempotency-Key saved meanwhile: %w", err)
			}
			return &answered{prev}
		}
		saved = out
		return nil
	})
	var ans *answered
	if errors.As(err, &ans) {
		return replay(w, ans.prev, sum)
	}
	if err != nil {
		// Refused for what a request with the key did first, committed while this one ran (its
		// customer's external_ref, say): the same request gets that one's answer. Refusals are
		// not remembered otherwise: the client may fix the request and retry with the key.
		if prev, perr := db.New(a.Pool).GetIdempotentResponse(ctx, ids); perr == nil {
			return replay(w, prev, sum)
		}
		return err
	}
	if saved == nil {
		return fmt.Errorf("intake: the answer to an Idempotency-Key request was not saved")
	}
	return httpx.JSON(w, status, json.RawMessage(saved))
}

// answered ends a request's transaction when another request with its Idempotency-Key saved an
// answer first: the transaction rolls back and the request gets that answer (or the key's
// refusal, for another body).
type answered struct{ prev db.IdempotencyKey }

func (*answered) Error() string {
	return "intake: another request with this Idempotency-Key was answered first"
}

// replay answers with prev, the answer saved for the request's Idempotency-Key, exactly as it was
// first sent; a key saved for another request (fingerprint sum) is refused.
func replay(w http.ResponseWriter, prev db.IdempotencyKey, sum []byte) error {
	if !bytes.Equal(prev.RequestHash, sum) {
		return apperr.Field("Idempotency-Key", "This key was already used for a different request. Use a new key for a new request.")
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(int(prev.ResponseStatus))
	_, err := w.Write(append(prev.ResponseBody, '\n'))
	return err
}

// keyTurns lets requests with one (token, Idempotency-Key) take turns within this instance. A
// waiter holds no database connection, so waiting never starves the pool the holder needs.
type keyTurns struct {
	mu sync.Mutex
	m  map[string]*keyTurn
}

type keyTurn struct {
	held    chan struct{} // one slot: full while a request holds the turn
	waiting int           // requests holding or waiting for it; the entry goes at 0
}

// take waits for the turn of k (or for ctx to end) and returns the function that gives it back.
func (t *keyTurns) take(ctx context.Context, k string) (func(), error) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]*keyTurn{}
	}
	e := t.m[k]
	if e == nil {
		e = &keyTurn{held: make(chan struct{}, 1)}
		t.m[k] = e
	}
	e.waiting++
	t.mu.Unlock()
	leave := func() {
		t.mu.Lock()
		if e.waiting--; e.waiting == 0 {
			delete(t.m, k)
		}
		t.mu.Unlock()
	}
	select {
	case e.held <- struct{}{}:
		return func() { <-e.held; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// fingerprint is what makes two requests "the same" for an Idempotency-Key: method, path and
// body. A multipart body counts by its parts (name, file name, SHA-256 of the content), in any
// order and whatever its boundary, since a client sending the same files again picks a new one.
func fingerprint(r *http.Request, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	if parts, ok := multipartParts(r.Header.Get("Content-Type"), body); ok {
		h.Write([]byte("multipart\n" + strings.Join(parts, "\n")))
	} else {
		h.Write([]byte(r.Header.Get("Content-Type") + "\n"))
		h.Write(body)
	}
	return h.Sum(nil)
}

// multipartParts describes each part of a multipart body as name, file name and content hash,
// sorted; false when the body is not readable multipart (it is then fingerprinted as bytes).
func multipartParts(contentType string, body []byte) ([]string, bool) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, false
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil || len(parts) == maxParts {
			return nil, false // refused by readDocument: fingerprinted as bytes, not part by part
		}
		sum := sha256.New()
		if _, err := io.Copy(sum, p); err != nil {
			return nil, false
		}
		parts = append(parts, fmt.Sprintf("%q %q %x", p.FormName(), p.FileName(), sum.Sum(nil)))
	}
	sort.Strings(parts)
	return parts, true
}

// remember saves, in the caller's transaction, the answer a request with an Idempotency-Key gets.
type remember func(q *db.Queries, status int, v any) error

// decodeJSON decodes a strict JSON body: unknown fields are refused by name.
func decodeJSON(body []byte, v any) error {
	// Every misnamed member and wrongly typed value at once, by its exact path, when the body is
	// one JSON object.
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		errs := map[string]string{}
		shapeErrors(trimmed, reflect.TypeOf(v), "", errs)
		if msg, ok := errs["body"]; ok {
			return apperr.New(apperr.Invalid, "%s", msg)
		}
		if len(errs) > 0 {
			return apperr.Fields(errs)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se) && strings.HasSuffix(se.Error(), "exceeded max depth"):
			// Maybe valid JSON, but deeper than encoding/json reads: saying it is not would mislead.
			return apperr.New(apperr.Invalid, "The JSON is nested too deeply (more than %d levels).", maxJSONDepth)
		case errors.As(err, &se):
			return apperr.New(apperr.Invalid, "The body is not valid JSON (at byte %d).", se.Offset)
		case errors.As(err, &te) && te.Field == "":
			return apperr.New(apperr.Invalid, "Send a JSON object, not a JSON %s.", te.Value)
		case errors.As(err, &te):
			return apperr.Field(te.Field, fmt.Sprintf("Expected %s, not a JSON %s.", jsonKind(te.Type), te.Value))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			if f == "" {
				return apperr.New(apperr.Invalid, "The body has a member with an empty name: remove it.")
			}
			return apperr.Field(f, "Unknown field.")
		case errors.Is(err, io.EOF):
			return apperr.New(apperr.Invalid, "The body is empty: send a JSON object.")
		}
		return apperr.New(apperr.Invalid, "The body could not be read as JSON.")
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "Send one JSON object.")
	}
	return nil
}

// jsonKind names the JSON value a Go type takes, in words (never the Go type's name).
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another kind of value"
}

// CustomerJSON is a customer as the API returns it.
type CustomerJSON struct {
	ID               uuid.UUID      `json:"id"`
	ExternalRef      *string        `json:"external_ref"`
	GivenNames       string         `json:"given_names"`
	Surname          string         `json:"surname"`
	DateOfBirth      *string        `json:"date_of_birth"`
	Nationality      string         `json:"nationality"`
	ResidenceCountry string         `json:"residence_country"`
	Email            string         `json:"email"`
	Phone            string         `json:"phone"`
	Address          string         `json:"address"`
	CreatedAt        time.Time      `json:"created_at"`
	Documents        []DocumentJSON `json:"documents"`
	Cases            []CaseJSON     `json:"cases"`
}

// DocumentJSON is a document as the API returns it.
type DocumentJSON struct {
	ID             uuid.UUID   `json:"id"`
	Type           string      `json:"type"`
	IssuingCountry string      `json:"issuing_country"`
	Number         string      `json:"number"`
	IssueDate      *string     `json:"issue_date"`
	ExpiryDate     *string     `json:"expiry_date"`
	Images         []ImageJSON `json:"images"`
	// CaseID is, in the answer to an added document, the case the document joined: the
	// customer's open case, or a new one when every earlier case was decided. Left out of a
	// customer's list of documents.
	CaseID *uuid.UUID `json:"case_id,omitempty"`
}

// ImageJSON is an image as the API returns it (its content is never sent back).
type ImageJSON struct {
	ID          uuid.UUID `json:"id"`
	Kind        string    `json:"kind"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Width       int32     `json:"width"`
	Height      int32     `json:"height"`
}

// CaseJSON is a case's state as the API returns it.
type CaseJSON struct {
	ID         uuid.UUID  `json:"id"`
	CustomerID uuid.UUID  `json:"customer_id"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	DecidedAt  *time.Time `json:"decided_at"`
	// Decision is the case decision once one is final (approve, reject, request resubmission),
	// null until then.
	Decision *DecisionJSON `json:"decision"`
}

// DecisionJSON is a case's final decision.
type DecisionJSON struct {
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason"`
	DecidedAt time.Time `json:"decided_at"`
}

func dateJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format("2006-01-02")
	return &s
}

func caseJSON(c db.Case) CaseJSON {
	return CaseJSON{ID: c.ID, CustomerID: c.CustomerID, Status: string(c.Status), CreatedAt: c.CreatedAt, DecidedAt: c.DecidedAt}
}

func (a *API) customerJSON(ctx context.Context, q *db.Queries, c db.Customer) (CustomerJSON, error) {
	out := CustomerJSON{ID: c.ID, ExternalRef: c.ExternalRef, GivenNames: c.GivenNames, Surname: c.Surname, DateOfBirth: dateJSON(c.DateOfBirth),
		Nationality: c.Nationality, ResidenceCountry: c.ResidenceCountry, Email: c.Email, Phone: c.Phone, Address: c.Address,
		CreatedAt: c.CreatedAt, Documents: []DocumentJSON{}, Cases: []CaseJSON{}}
	docs, err := q.ListCustomerDocuments(ctx, c.ID)
	if err != nil {
		return out, err
	}
	imgs, err := q.ListCustomerImages(ctx, c.ID)
	if err != nil {
		return out, err
	}
	for _, d := range docs {
		dj := DocumentJSON{ID: d.ID, Type: string(d.Type), IssuingCountry: d.IssuingCountry, Number: d.Number,
			IssueDate: dateJSON(d.IssueDate), ExpiryDate: dateJSON(d.ExpiryDate), Images: []ImageJSON{}}
		for _, im := range imgs {
			if im.DocumentID != nil && *im.DocumentID == d.ID {
				dj.Images = append(dj.Images, imageJSON(im))
			}
		}
		out.Documents = append(out.Documents, dj)
	}
	cs, err := q.ListCustomerCases(ctx, c.ID)
	if err != nil {
		return out, err
	}
	for _, k := range cs {
		// A customer's cases are few (one per onboarding or re-verification).
		cj, err := caseWithDecision(ctx, q, k)
		if err != nil {
			return out, err
		}
		out.Cases = append(out.Cases, cj)
	}
	return out, nil
}

func imageJSON(im db.Image) ImageJSON {
	return ImageJSON{ID: im.ID, Kind: string(im.Kind), SHA256: im.Sha256, ContentType: im.ContentType, Size: im.SizeBytes, Width: im.Width, Height: im.Height}
}

// CreateCustomer is POST /api/v1/customers.
func (a *API) CreateCustomer(w http.ResponseWriter, r *http.Request) (err error) {
	if err := requestText(r); err != nil {
		return err
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return unsupported(r, "Send the customer as JSON", "application/json")
	}
	if err := utf8Charset(params["charset"]); err != nil {
		return err
	}
	body, err := readBody(w, r, maxJSON)
	if err != nil {
		return err
	}
	defer func() { err = inRequestOrder(err, body, reflect.TypeFor[customers.Input]()) }()
	return a.idempotent(w, r, body, func(remember remember) (int, any, error) {
		var in customers.Input
		if err := decodeJSON(body, &in); err != nil {
			return 0, nil, err
		}
		var cj CustomerJSON
		_, err := a.Customers.CreateThen(r.Context(), a.origin(r), in, func(q *db.Queries, _ pgx.Tx, out customers.Created) error {
			var err error
			if cj, err = a.customerJSON(r.Context(), q, out.Customer); err != nil {
				return err
			}
			return remember(q, http.StatusCreated, cj)
		})
		return http.StatusCreated, cj, err
	})
}

// pathID is the path's id in its one form, 36 characters with hyphens (uuid.Parse also reads
// "{…}", "urn:uuid:…" and the hyphenless form, which name nothing here).
func pathID(r *http.Request, what string) (uuid.UUID, error) {
	s := chi.URLParam(r, "id")
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return id, apperr.New(apperr.NotFound, "No such %s.", what)
	}
	return id, nil
}

// GetCustomer is GET /api/v1/customers/{id}.
func (a *API) GetCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := requestText(r); err != nil {
		return err
	}
	id, err := pathID(r, "customer")
	if err != nil {
		return err
	}
	q := db.New(a.Pool)
	c, err := customers.Get(r.Context(), q, id)
	if err != nil {
		return err
	}
	cj, err := a.customerJSON(r.Context(), q, c)
	if err != nil {
		return err
	}
	return httpx.JSON(w, http.StatusOK, cj)
}

// FindCustomer is GET /api/v1/customers?external_ref=….
func (a *API) FindCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := requestText(r); err != nil {
		return err
	}
	// Trimmed as creating a customer trims it: " QA-1 " finds the customer created as " QA-1 ".
	ref := strings.TrimSpace(r.URL.Query().Get("external_ref"))
	if ref == "" {
		return apperr.Field("external_ref", "Give the external reference to look up.")
	}
	q := db.New(a.Pool)
	c, err := q.GetCustomerByExternalRef(r.Context(), &ref)
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "No customer has this external reference.")
	}
	if err != nil {
		return err
	}
	cj, err := a.customerJSON(r.Context(), q, c)
	if err != nil {
		return err
	}
	return httpx.JSON(w, http.StatusOK, cj)
}

// AddDocument is POST /api/v1/customers/{id}/documents (multipart: fields and files front, back,
// selfie).
func (a *API) AddDocument(w http.ResponseWriter, r *http.Request) (err error) {
	if err := requestText(r); err != nil {
		return err
	}
	id, err := pathID(r, "customer")
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return unsupported(r, "Send the document as a form with the files front, back and selfie", "multipart/form-data")
	}
	defer func() { err = inOrder(err, documentParts...) }()
	body, err := readBody(w, r, a.Customers.Limits.MaxBytes*6+1<<20)
	if err != nil {
		return err
	}
	return a.idempotent(w, r, body, func(remember remember) (int, any, error) {
		d, files, err := readDocument(r.Header.Get("Content-Type"), body, a.Customers.Limits.MaxBytes)
		if err != nil {
			return 0, nil, err
		}
		if len(files) == 0 {
			return 0, nil, apperr.Field("front", "Send at least one image (front, back or selfie).")
		}
		var dj DocumentJSON
		_, err = a.Customers.AddDocumentToCase(r.Context(), a.origin(r), id, d, files, func(q *db.Queries, tx pgx.Tx, added customers.Added) error {
			doc := added.Document
			if err := a.autoRun(r.Context(), q, tx, doc, added.CaseID); err != nil {
				return err
			}
			caseID := added.CaseID
			dj = DocumentJSON{ID: doc.ID, Type: string(doc.Type), IssuingCountry: doc.IssuingCountry, Number: doc.Number,
				IssueDate: dateJSON(doc.IssueDate), ExpiryDate: dateJSON(doc.ExpiryDate), Images: []ImageJSON{}, CaseID: &caseID}
			for _, im := range added.Images {
				dj.Images = append(dj.Images, imageJSON(im))
			}
			return remember(q, http.StatusCreated, dj)
		})
		return http.StatusCreated, dj, err
	})
}

// autoRun requests the default checks of a document that arrived through the API, when an admin
// turned that on, in the transaction that adds the document: the document and its checks land
// together or not at all. caseID is the case the document joined: the customer's open case, or
// the one the document opened because every earlier case was decided.
func (a *API) autoRun(ctx context.Context, q *db.Queries, tx pgx.Tx, doc db.Document, caseID uuid.UUID) error {
	if a.Checks == nil || !checks.AutoRun(ctx, q) {
		return nil
	}
	names := checks.Defaults(ctx, q, string(doc.Type))
	if len(names) == 0 {
		return nil // the admin chose no vendor for this document type
	}
	t := TokenFrom(ctx)
	_, err := a.Checks.RequestTx(ctx, q, tx, t.Actor(), nil, "api:"+t.Name, caseID, doc.ID, names, "intake-"+doc.ID.String())
	return err
}

// GetCase is GET /api/v1/cases/{id}: status and decision.
func (a *API) GetCase(w http.ResponseWriter, r *http.Request) error {
	if err := requestText(r); err != nil {
		return err
	}
	id, err := pathID(r, "case")
	if err != nil {
		return err
	}
	q := db.New(a.Pool)
	c, err := q.GetCase(r.Context(), id)
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "No such case.")
	}
	if err != nil {
		return err
	}
	out, err := caseWithDecision(r.Context(), q, c)
	if err != nil {
		return err
	}
	return httpx.JSON(w, http.StatusOK, out)
}

// caseWithDecision is a case as the API returns it, with its final decision once there is one:
// GET /cases/{id} and a customer's list of cases say the same of one case.
func caseWithDecision(ctx context.Context, q *db.Queries, c db.Case) (CaseJSON, error) {
	out := caseJSON(c)
	d, err := q.LatestFinalCaseDecision(ctx, c.ID)
	if db.IsNotFound(err) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	at := d.DecidedAt
	if d.CheckedAt != nil {
		at = *d.CheckedAt
	}
	out.Decision = &DecisionJSON{Outcome: d.Outcome, Reason: d.ReasonLabel, DecidedAt: at}
	return out, nil
}
