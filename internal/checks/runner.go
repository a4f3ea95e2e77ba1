package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // display images are JPEG
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/images"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/apptenticate"
	"kycdesk/internal/vendors/argos"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendors/ooto"
	"kycdesk/internal/vendorsettings"
)

// Args is the job that runs one check.
type Args struct {
	CheckID uuid.UUID `json:"check_id" river:"unique"`
}

// Kind names the job.
func (Args) Kind() string { return "vendor_check" }

// MaxAttempts is how many times a check is tried before it fails for good.
const MaxAttempts = 6

// CallbackWait is how long an asynchronous Argos check waits for its callback when the Argos
// settings do not say (callback_wait_minutes).
var CallbackWait = 10 * time.Minute

// callbackWait is the wait the Argos settings give, else CallbackWait.
func callbackWait(res vendorsettings.Resolved) time.Duration {
	if n, err := strconv.Atoi(res.Values["callback_wait_minutes"]); err == nil && n > 0 {
		return time.Duration(n) * time.Minute
	}
	return CallbackWait
}

// RetryBase is the first retry's wait; each next one doubles it (tests shorten it).
var RetryBase = 2 * time.Second

// Runner runs checks.
type Runner struct {
	Pool    *pgxpool.Pool
	Clients *Clients
	Store   *images.Store
	// CallbackBase is the public URL Argos calls back (KYCDESK_BASE_URL).
	CallbackBase string
	Log          *slog.Logger

	gatesMu sync.Mutex
	gates   map[vendors.Name]*gate
	slots   *clusterSlots
}

func (r *Runner) gate(v vendors.Name) *gate {
	r.gatesMu.Lock()
	defer r.gatesMu.Unlock()
	if r.gates == nil {
		r.gates = map[vendors.Name]*gate{}
	}
	g := r.gates[v]
	if g == nil {
		g = &gate{}
		r.gates[v] = g
	}
	return g
}

// takePlace waits for one of vendor v's places under limit, first in this instance's gate, then
// among every instance's calls (see clusterSlots), leased to holder, and returns the function
// that gives it back.
func (r *Runner) takePlace(ctx context.Context, v vendors.Name, limit int, holder uuid.UUID) (func(), error) {
	g := r.gate(v)
	if err := g.acquire(ctx, limit); err != nil {
		return nil, err
	}
	r.gatesMu.Lock()
	if r.slots == nil {
		r.slots = &clusterSlots{pool: r.Pool, log: r.Log}
	}
	s := r.slots
	r.gatesMu.Unlock()
	l, err := s.acquire(ctx, v, limit, holder)
	if err != nil {
		g.release(limit)
		return nil, err
	}
	return func() {
		s.release(ctx, l)
		g.release(limit)
	}, nil
}

// Worker is the River worker for Args.
type Worker struct {
	river.WorkerDefaults[Args]
	Runner *Runner
}

// Timeout bounds one run: the vendor timeout is applied per call inside it.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return 5 * time.Minute }

// Work runs the check once. Its outcome is written before Work returns; a transient failure is
// retried by snoozing the job, so the attempt count is the check's own.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	return w.Runner.Run(ctx, job.Args.CheckID)
}

// outcome is what a run ended with.
type outcome struct {
	result *vendors.Result
	err    error
	// pending: an asynchronous call was accepted; the answer comes by callback.
	pending *argos.Recognition
	token   string
}

// Run runs check id: the body of the job.
func (r *Runner) Run(ctx context.Context, id uuid.UUID) error {
	q := db.New(r.Pool)
	c, err := q.GetCheck(ctx, id)
	if db.IsNotFound(err) {
		return river.JobCancel(fmt.Errorf("check %s is gone", id))
	}
	if err != nil {
		return err
	}
	if c.State == db.CheckStateDone || c.State == db.CheckStateFailed {
		return nil // finished already: a repeated job changes nothing
	}
	// An asynchronous check waits for its callback: wake up at the deadline, then give up.
	if c.TransactionID != nil && c.State == db.CheckStateRunning {
		if c.CallbackDueAt != nil && time.Now().Before(*c.CallbackDueAt) {
			return river.JobSnooze(time.Until(*c.CallbackDueAt) + time.Second)
		}
		waited := "its whole wait"
		if c.CallbackDueAt != nil && c.CallbackAcknowledgedAt != nil {
			waited = c.CallbackDueAt.Sub(*c.CallbackAcknowledgedAt).Round(time.Second).String()
		}
		_, err := r.finish(ctx, c, nil, &vendors.Error{Vendor: vendors.Argos, Kind: vendors.Transient,
			Message: fmt.Sprintf("Argos accepted the document but its answer never came (waited %s).", waited)}, true)
		return err
	}
	v := vendors.Name(c.Vendor)
	client, res, secrets, err := r.Clients.ClientSecrets(ctx, v)
	if err != nil {
		c, _ = q.StartCheck(ctx, id)
		_, ferr := r.finish(ctx, c, nil, err, true)
		return errors.Join(ferr, river.JobCancel(err))
	}
	// The document's rows are read before taking a slot; the images themselves inside it, so
	// that only the calls in flight hold images in memory.
	in, imgs, loadErr := r.loadRows(ctx, c.DocumentID)
	c, out, err := r.callInSlot(ctx, q, id, v, client, res, func(ctx context.Context) (inputs, error) {
		if loadErr != nil {
			return in, loadErr
		}
		return in, r.readImages(ctx, &in, imgs)
	})
	if db.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if out.pending != nil {
		scale, _ := json.Marshal(out.pending.Scale)
		wait := callbackWait(res)
		due := time.Now().Add(wait)
		txID := storable(out.pending.TransactionID)
		_, err := q.AwaitCallback(ctx, db.AwaitCallbackParams{ID: c.ID, Attempts: c.Attempts, TransactionID: &txID,
			CallbackTokenHash: auth.TokenHash(out.token), CallbackScale: scale, CallbackDueAt: &due})
		if err != nil {
			return err
		}
		return river.JobSnooze(wait + time.Second)
	}
	// What the vendor said is stored and shown to every reviewer: never with a credential in it.
	final, err := r.finish(ctx, c, scrubResult(secrets, out.result), secrets.ScrubError(out.err), false)
	if err != nil {
		return err
	}
	if !final {
		return river.JobSnooze(retryDelay(int(c.Attempts), out.err))
	}
	return nil
}

// callInSlot starts an attempt of check id and makes its vendor call holding one of the vendor's
// slots (its concurrency limit, across every instance). The slot is taken for the call alone: the
// attempt is started (the check shows running) before it is taken, and the vendor calls and the
// outcome are written after it is given back, so that no database write, with its wait for a pooled connection, keeps the
// vendor idle. With 10,000 checks at 50 ms and 16 at once (BenchmarkCheckPipeline), starting the
// attempt inside the slot cost 4% of the wall time.
func (r *Runner) callInSlot(ctx context.Context, q *db.Queries, id uuid.UUID, v vendors.Name, client any, res vendorsettings.Resolved,
	load func(context.Context) (inputs, error)) (db.Check, outcome, error) {
	c, err := q.StartCheck(ctx, id)
	if err != nil {
		return c, outcome{}, err
	}
	release, err := r.takePlace(ctx, v, max(res.Concurrency, 1), c.ID)
	if err != nil {
		return c, outcome{}, err
	}
	// Deferred in this order, the calls are written after the slot is given back.
	ctx, writeCalls := holdCalls(ctx, r.Clients.Recorder)
	defer writeCalls()
	defer release()
	callCtx := WithScope(vendors.WithAttempt(ctx, int(c.Attempts)), &c.ID, &c.CaseID)
	callCtx, cancel := context.WithTimeout(callCtx, res.Timeout+30*time.Second)
	defer cancel()
	in, err := load(callCtx)
	if err != nil {
		return c, outcome{err: err}, nil
	}
	return c, r.call(callCtx, c, v, client, in), nil
}

// retryDelay is the wait before the next attempt: the vendor's Retry-After when it gave one,
// else RetryBase, doubling, up to 5 minutes.
func retryDelay(attempt int, err error) time.Duration {
	var ve *vendors.Error
	if errors.As(err, &ve) && ve.RetryAfter > 0 {
		return min(ve.RetryAfter, 30*time.Minute)
	}
	d := time.Duration(math.Pow(2, float64(attempt-1))) * RetryBase
	return min(d, 5*time.Minute)
}

// scrubResult returns res with secrets removed from its words (the vendor's code, reason and
// extra values), where a vendor could quote one.
func scrubResult(secrets *vendors.Secrets, res *vendors.Result) *vendors.Result {
	if res == nil || secrets == nil {
		return res
	}
	cp := *res
	cp.Code, cp.Reason = secrets.Scrub(res.Code), secrets.Scrub(res.Reason)
	if res.Extra != nil {
		cp.Extra = make(map[string]string, len(res.Extra))
		for k, v := range res.Extra {
			cp.Extra[k] = secrets.Scrub(v)
		}
	}
	return &cp
}

// finish records the end of a run. It reports whether the check is final (done or failed); a
// transient failure before the last attempt leaves it "retrying".
func (r *Runner) finish(ctx context.Context, c db.Check, res *vendors.Result, callErr error, forceFinal bool) (bool, error) {
	final := true
	var o, resCode, resReason string
	var raw []byte
	if callErr == nil && res != nil {
		var err error
		if o, resCode, resReason, raw, err = succeeded(res); err != nil {
			res, callErr = nil, &vendors.Error{Vendor: vendors.Name(c.Vendor), Kind: vendors.Invalid,
				Message: "The vendor's answer holds values kycdesk cannot store.", Err: err}
		}
	}
	err := db.Transact(ctx, r.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.LockCase(ctx, c.CaseID); err != nil {
			return err
		}
		var ev audit.Event
		if callErr == nil && res != nil {
			done, err := q.FinishCheck(ctx, db.FinishCheckParams{ID: c.ID, Attempts: c.Attempts, State: db.CheckStateDone, Outcome: &o,
				Code: resCode, Reason: resReason, Result: raw})
			if db.IsNotFound(err) {
				return nil // another run finished it (or this run was presumed dead): nothing to do
			}
			if err != nil {
				return err
			}
			ev = audit.Event{Action: "check.done", After: map[string]any{"vendor": done.Vendor, "outcome": o, "code": resCode, "reason": resReason}}
		} else if ve, ok := refusal(callErr); ok {
			// The vendor examined the document and refused it: a result, and a negative one. It is
			// stored as such (done, fail), so the case's outcome, the decision's evidence and its
			// four-eyes rules weigh it as they weigh a failed verdict; error_kind "refused" tells it
			// from a verdict with fields.
			fail := string(vendors.OutcomeFail)
			code, msg := storable(ve.Code), storable(ve.Message)
			done, err := q.FinishCheck(ctx, db.FinishCheckParams{ID: c.ID, Attempts: c.Attempts, State: db.CheckStateDone, Outcome: &fail,
				Code: code, Reason: msg, ErrorKind: ErrorKindRefused})
			if db.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			ev = audit.Event{Action: "check.refused", After: map[string]any{"vendor": done.Vendor, "outcome": fail, "code": code, "reason": msg}}
		} else {
			kind, code, msg := describe(callErr)
			if kind == string(vendors.Transient) && int(c.Attempts) < MaxAttempts && !forceFinal {
				next := time.Now().Add(retryDelay(int(c.Attempts), callErr))
				_, err := q.RetryCheck(ctx, db.RetryCheckParams{ID: c.ID, Attempts: c.Attempts, Reason: msg, Code: code, ErrorKind: kind, NextAttemptAt: &next})
				if db.IsNotFound(err) {
					return nil
				}
				final = false
				return err
			}
			if kind == string(vendors.Transient) && !forceFinal {
				msg = fmt.Sprintf("%s Gave up after %d attempts.", msg, c.Attempts)
			}
			failed, err := q.FinishCheck(ctx, db.FinishCheckParams{ID: c.ID, Attempts: c.Attempts, State: db.CheckStateFailed,
				Code: code, Reason: msg, ErrorKind: kind})
			if db.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			ev = audit.Event{Action: "check.failed", After: map[string]any{"vendor": failed.Vendor, "code": code, "reason": msg, "kind": kind}}
		}
		if err := q.RefreshCaseVendorOutcome(ctx, c.CaseID); err != nil {
			return err
		}
		ev.Actor, ev.SubjectType, ev.SubjectID, ev.CaseID = audit.System, "check", c.ID.String(), &c.CaseID
		return audit.Record(ctx, q, ev)
	})
	return final, err
}

// ErrorKindRefused is the error_kind of a check the vendor finished by refusing the document (done,
// outcome fail, no fields): a negative result, not a failure to get one.
const ErrorKindRefused = "refused"

// refusal returns err as the vendor's refusal of the document, when it is one.
func refusal(err error) (*vendors.Error, bool) {
	var ve *vendors.Error
	if errors.As(err, &ve) && ve.Kind == vendors.Business && ve.Refused {
		return ve, true
	}
	return nil, false
}

// describe turns a failure into its kind, vendor code and plain words, fit for storing (vendor
// messages are quoted in them).
func describe(err error) (kind, code, msg string) {
	var ve *vendors.Error
	if errors.As(err, &ve) {
		return string(ve.Kind), storable(ve.Code), storable(ve.Message)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return string(vendors.Transient), "", "The vendor did not answer in time."
	}
	return string(vendors.Transient), "", storable("The check could not run: " + err.Error())
}

// inputs are the images a check sends: the upright display JPEGs, without metadata.
type inputs struct {
	doc                 db.Document
	customer            db.Customer
	front, back, selfie []byte
	frontW, frontH      int // the stored (upright) size of the front image, the viewer's pixels
}

// load reads what a check of c's document sends: its rows, then its images.
func (r *Runner) load(ctx context.Context, c db.Check) (inputs, error) {
	in, imgs, err := r.loadRows(ctx, c.DocumentID)
	if err != nil {
		return in, err
	}
	return in, r.readImages(ctx, &in, imgs)
}

// loadRows reads a document, its customer and its images' rows.
func (r *Runner) loadRows(ctx context.Context, documentID uuid.UUID) (inputs, []db.Image, error) {
	q := db.New(r.Pool)
	var in inputs
	var err error
	if in.doc, err = q.GetDocument(ctx, documentID); err != nil {
		return in, nil, err
	}
	if in.customer, err = q.GetCustomer(ctx, in.doc.CustomerID); err != nil {
		return in, nil, err
	}
	imgs, err := q.ListDocumentImages(ctx, &documentID)
	return in, imgs, err
}

// readImages reads into in the display image of each kind from imgs.
func (r *Runner) readImages(ctx context.Context, in *inputs, imgs []db.Image) error {
	for _, im := range imgs { // newest first: the first of each kind wins
		var dst *[]byte
		switch im.Kind {
		case db.ImageKindFront:
			dst = &in.front
		case db.ImageKindBack:
			dst = &in.back
		case db.ImageKindSelfie:
			dst = &in.selfie
		}
		if *dst != nil || !im.HasThumb {
			continue // PDFs are not sent to image vendors
		}
		key, err := images.DisplayKey(im.Sha256)
		if err != nil {
			return err
		}
		rc, _, err := r.Store.Open(ctx, key)
		if err != nil {
			return fmt.Errorf("read the %s image: %w", im.Kind, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		*dst = b
		if im.Kind == db.ImageKindFront {
			in.frontW, in.frontH = int(im.Width), int(im.Height)
		}
	}
	return nil
}

func missing(v vendors.Name, what string) error {
	return &vendors.Error{Vendor: v, Kind: vendors.Invalid, Message: "This check needs " + what + " of the document, and there is none."}
}

func (r *Runner) call(ctx context.Context, c db.Check, v vendors.Name, client any, in inputs) outcome {
	var err error
	if in.front == nil {
		return outcome{err: missing(v, "a front image (JPEG or PNG)")}
	}
	var res *vendors.Result
	switch cl := client.(type) {
	case *cynopsis.Client:
		if v == vendors.Artemis {
			custID, docID, err := r.syncArtemisInTurn(writeCallsNow(ctx), cl, in)
			if err != nil {
				return outcome{err: err}
			}
			return outcome{result: &vendors.Result{Outcome: vendors.OutcomePass, Reason: fmt.Sprintf("Artemis records: customer %d, document %d.", custID, docID),
				Extra: map[string]string{"artemis_customer_id": strconv.FormatInt(custID, 10), "artemis_document_id": strconv.FormatInt(docID, 10)}}}
		}
		res, _, err = cl.OCR(ctx, in.front, in.back, "front.jpg", "back.jpg")
	case *apptenticate.Client:
		kind := apptenticate.DocumentTypeFor(string(in.doc.Type))
		if kind == apptenticate.IdentificationCard && in.back == nil {
			return outcome{err: missing(v, "a back image")}
		}
		var resp *apptenticate.Response
		// document_id is the vendor's code for a passport model, not the document's number: not sent.
		resp, err = cl.OCR(ctx, apptenticate.Request{Front: in.front, Back: in.back, DocumentType: kind, ReturnID: true})
		if err == nil {
			res = &resp.Result
			scaleBoxes(res, float64(resp.Front.Width), in.frontW)
		}
	case *argos.Client:
		country := in.doc.IssuingCountry
		if country == "" {
			country = in.customer.Nationality
		}
		idType, ok := argos.IDTypeForDocument(string(in.doc.Type))
		if !ok {
			return outcome{err: &vendors.Error{Vendor: v, Kind: vendors.Invalid, Message: "Argos does not read this type of document."}}
		}
		req := argos.Request{Front: in.front, Back: in.back, IssuingCountry: country, IDType: idType, Attempt: vendors.AttemptFrom(ctx)}
		token := ""
		if r.asyncArgos(ctx) && r.CallbackBase != "" {
			token = argos.NewCallbackToken()
			req.CallbackURL = r.CallbackBase + "/callbacks/argos/" + token
			// Argos may call back before its acknowledgement reaches us: the check must know the
			// token first.
			if n, err := db.New(r.Pool).ExpectCallback(ctx, db.ExpectCallbackParams{ID: c.ID, Attempts: c.Attempts,
				CallbackTokenHash: auth.TokenHash(token)}); err != nil || n == 0 {
				return outcome{err: &vendors.Error{Vendor: v, Kind: vendors.Transient, Message: "kycdesk could not get ready for Argos' callback.", Err: err}}
			}
		}
		var rec argos.Recognition
		rec, err = cl.Recognize(ctx, req)
		if err == nil && rec.Pending {
			// The callback's boxes are on the image sent; stored with the check is the scale to the
			// original, as a synchronous answer is scaled below.
			if w := imageWidth(in.front); w > 0 && in.frontW > 0 {
				rec.Scale = rec.Scale.Times(float64(in.frontW) / float64(w))
			}
			return outcome{pending: &rec, token: token}
		}
		if err == nil {
			res = rec.Result
			scaleBoxes(res, float64(imageWidth(in.front)), in.frontW)
		}
	case *ooto.Client:
		if in.selfie == nil {
			return outcome{err: missing(v, "a selfie")}
		}
		var resp *ooto.Response
		resp, err = cl.Identify(ctx, in.front, in.selfie)
		if err == nil {
			res = &resp.Result
			scaleBoxes(res, float64(imageWidth(in.front)), in.frontW)
		}
	default:
		err = fmt.Errorf("checks: no client for %s", v)
	}
	if err != nil {
		return outcome{err: err}
	}
	return outcome{result: res}
}

// scaleBoxes maps boxes from the pixels of the image the vendor saw (sentWidth wide) to the
// stored image's (want wide), the pixels the viewer draws in.
func scaleBoxes(res *vendors.Result, sentWidth float64, want int) {
	if sentWidth <= 0 || want <= 0 || int(sentWidth) == want {
		return
	}
	f := float64(want) / sentWidth
	scale := func(b *vendors.Box) *vendors.Box {
		if b == nil || b.Side != "front" && b.Side != "" {
			return b
		}
		for i := range b.Corners {
			b.Corners[i].X *= f
			b.Corners[i].Y *= f
			if math.IsInf(b.Corners[i].X, 0) || math.IsInf(b.Corners[i].Y, 0) {
				return nil // a corner this far off the image cannot be drawn, nor stored as JSON
			}
		}
		return b
	}
	for i := range res.Fields {
		res.Fields[i].Box = scale(res.Fields[i].Box)
	}
	if res.Face != nil {
		res.Face.DocumentBox = scale(res.Face.DocumentBox)
		res.Face.PortraitBox = scale(res.Face.PortraitBox)
	}
}

func (r *Runner) asyncArgos(ctx context.Context) bool {
	res, err := r.Clients.Settings.Resolve(ctx, vendors.Argos)
	return err == nil && res.Values["mode"] == "async"
}

// SyncArtemis makes sure a document and its customer have their Artemis records and returns
// their Artemis ids (customer, document), creating what is missing as syncArtemis does. The
// liveness push calls it before writing a verdict onto the document.
func (r *Runner) SyncArtemis(ctx context.Context, cl *cynopsis.Client, documentID uuid.UUID) (int64, int64, error) {
	in, err := r.load(ctx, db.Check{DocumentID: documentID})
	if err != nil {
		return 0, 0, err
	}
	if in.front == nil && (in.customer.ArtemisCustomerID == nil || in.doc.ArtemisDocumentID == nil) {
		return 0, 0, missing(vendors.Artemis, "a front image (JPEG or PNG)")
	}
	return r.syncArtemis(ctx, cl, in)
}

// syncArtemisInTurn is syncArtemis for the Artemis check: when a record is missing it first waits
// for the customer's turn, the one the liveness pushes take (across instances), and reads the ids
// again, so a check and a push racing on one customer create one Artemis customer and one
// document, not two.
func (r *Runner) syncArtemisInTurn(ctx context.Context, cl *cynopsis.Client, in inputs) (int64, int64, error) {
	if in.customer.ArtemisCustomerID != nil && in.doc.ArtemisDocumentID != nil {
		return *in.customer.ArtemisCustomerID, *in.doc.ArtemisDocumentID, nil
	}
	conn, err := db.LockConn(ctx, r.Pool)
	if err != nil {
		return 0, 0, err
	}
	defer db.CloseLockConn(ctx, conn) // ending the session ends its lock
	if err := db.New(conn).WaitArtemisCustomerLock(ctx, in.customer.ID.String()); err != nil {
		return 0, 0, err
	}
	q := db.New(r.Pool)
	if in.customer, err = q.GetCustomer(ctx, in.customer.ID); err != nil {
		return 0, 0, err
	}
	if in.doc, err = q.GetDocument(ctx, in.doc.ID); err != nil {
		return 0, 0, err
	}
	return r.syncArtemis(ctx, cl, in)
}

// syncArtemis makes sure the customer and the document have their Artemis records, storing each
// id as soon as it is obtained: a run that dies between the two calls does not create a second
// customer when it is retried. The ids are stored even when ctx ends just after Artemis answered
// (a graceful shutdown): Artemis has the record by then, and forgetting its id would make the
// retry create a second one.
func (r *Runner) syncArtemis(ctx context.Context, cl *cynopsis.Client, in inputs) (int64, int64, error) {
	q := db.New(r.Pool)
	keep := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	}
	custID := in.customer.ArtemisCustomerID
	if custID == nil {
		p := &cynopsis.Particular{FirstName: in.customer.GivenNames, LastName: in.customer.Surname, Nationality: in.customer.Nationality,
			CountryOfResidence: in.customer.ResidenceCountry, Address: in.customer.Address, Email: in.customer.Email, Phone: in.customer.Phone}
		if in.customer.DateOfBirth != nil {
			p.DateOfBirth = in.customer.DateOfBirth.Format("2006-01-02")
		}
		id, err := cl.CreateCustomer(ctx, cynopsis.CustomerRequest{ProfileReferenceID: in.customer.ID.String(), Particular: p})
		if err != nil {
			if errors.Is(err, cynopsis.ErrDuplicateCustomer) {
				return 0, 0, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Business, Code: "duplicate",
					Message: "Artemis already has a customer with this reference, but kycdesk did not record its id. Ask Cynopsis for the customer id and record it before retrying."}
			}
			return 0, 0, err
		}
		sctx, cancel := keep()
		err = q.SetCustomerArtemisID(sctx, db.SetCustomerArtemisIDParams{ID: in.customer.ID, ArtemisCustomerID: &id})
		cancel()
		if err != nil {
			return 0, 0, err
		}
		custID = &id
	}
	if in.doc.ArtemisDocumentID == nil {
		d := cynopsis.DocumentRequest{Type: cynopsis.DocumentTypeFor(string(in.doc.Type)), Number: in.doc.Number}
		if in.doc.IssueDate != nil {
			d.IssueDate = in.doc.IssueDate.Format("2006-01-02")
		}
		if in.doc.ExpiryDate != nil {
			d.ExpiryDate = in.doc.ExpiryDate.Format("2006-01-02")
		}
		id, err := cl.UploadDocument(ctx, *custID, d, in.front, in.back)
		if err != nil {
			return 0, 0, err
		}
		sctx, cancel := keep()
		err = q.SetDocumentArtemisID(sctx, db.SetDocumentArtemisIDParams{ID: in.doc.ID, ArtemisDocumentID: &id})
		cancel()
		if err != nil {
			return 0, 0, err
		}
		in.doc.ArtemisDocumentID = &id
	}
	return *custID, *in.doc.ArtemisDocumentID, nil
}

// imageWidth reads an image's width without decoding it.
func imageWidth(b []byte) int {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0
	}
	return cfg.Width
}
