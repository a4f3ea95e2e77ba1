package liveness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/images"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendorsettings"
)

// MaxAttempts is how many times a delivery is tried before it fails for good (a reviewer or a
// manager can still retry it). With RetryBase doubling up to MaxRetryDelay, that is several
// hours of trying through an Artemis outage.
const MaxAttempts = 15

// RetryBase is the first retry's wait; each next one doubles it, up to MaxRetryDelay (tests
// shorten it).
var RetryBase = 2 * time.Second

// MaxRetryDelay bounds the wait between two attempts.
const MaxRetryDelay = 30 * time.Minute

// LockWait is how long a push waits before trying again when another push for the same customer
// holds the customer's turn.
var LockWait = 2 * time.Second

// ClientSource returns the vendor client built from the active settings, with its secrets
// (checks.Clients).
type ClientSource interface {
	ClientSecrets(ctx context.Context, v vendors.Name) (any, vendorsettings.Resolved, *vendors.Secrets, error)
}

// ArtemisRecords makes sure a document and its customer have Artemis records and returns their
// Artemis ids (checks.Runner.SyncArtemis), storing each id as soon as it is obtained.
type ArtemisRecords interface {
	SyncArtemis(ctx context.Context, cl *cynopsis.Client, documentID uuid.UUID) (artemisCustomerID, artemisDocumentID int64, err error)
}

// Deliverer sends verdicts to Artemis: the body of the liveness_push job.
type Deliverer struct {
	Pool    *pgxpool.Pool
	Store   *images.Store
	Clients ClientSource
	Records ArtemisRecords
	// Scope, when set, attributes the vendor calls of a push to its case (checks.WithScope).
	Scope func(ctx context.Context, checkID, caseID *uuid.UUID) context.Context
	// Limit, when set, waits for a place among the instance's Artemis calls (checks.Runner.Limit),
	// the concurrency an admin sets for Artemis, shared with the Artemis checks.
	Limit func(ctx context.Context, v vendors.Name) (release func(), err error)
	Log   *slog.Logger
}

// Worker is the River worker for Args.
type Worker struct {
	river.WorkerDefaults[Args]
	Deliverer *Deliverer
}

// Timeout bounds one run; each vendor call has its own, shorter timeout inside it.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return 5 * time.Minute }

// Work delivers the verdict once. Its outcome is written before Work returns; a transient failure
// is retried by snoozing the job, so the attempt count is the delivery's own.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	return w.Deliverer.Deliver(ctx, job.Args.VerdictID)
}

func final(s db.LivenessDeliveryState) bool {
	return s == db.LivenessDeliveryStateDelivered || s == db.LivenessDeliveryStateFailed || s == db.LivenessDeliveryStateSuperseded
}

// Deliver sends one verdict to Artemis, creating the Artemis records first when the document has
// none. Only one push per customer runs at a time, across instances; a verdict already delivered,
// failed or superseded is left alone.
func (d *Deliverer) Deliver(ctx context.Context, verdictID uuid.UUID) error {
	q := db.New(d.Pool)
	row, err := q.GetLivenessDelivery(ctx, verdictID)
	if db.IsNotFound(err) {
		return river.JobCancel(fmt.Errorf("liveness verdict %s is gone", verdictID))
	}
	if err != nil {
		return err
	}
	if final(row.LivenessDelivery.State) {
		return nil
	}
	v := row.LivenessVerdict
	doc, err := q.GetDocument(ctx, v.DocumentID)
	if err != nil {
		return err
	}
	// The place among Artemis calls before the customer's turn, the order the Artemis check takes
	// them in too, so neither holds one while waiting for the other.
	if d.Limit != nil {
		release, err := d.Limit(ctx, vendors.Artemis)
		if err != nil {
			return err
		}
		defer release()
	}
	conn, err := db.LockConn(ctx, d.Pool)
	if err != nil {
		return err
	}
	defer db.CloseLockConn(ctx, conn) // ending the session gives the customer's turn back
	locked, err := db.New(conn).LockLivenessCustomer(ctx, doc.CustomerID.String())
	if err != nil {
		return err
	}
	if !locked {
		return river.JobSnooze(LockWait)
	}
	return d.deliverLocked(ctx, q, v)
}

func (d *Deliverer) deliverLocked(ctx context.Context, q *db.Queries, v db.LivenessVerdict) error {
	// Another push may have finished this one, or a newer verdict may have reached Artemis, while
	// this one waited for its turn.
	row, err := q.GetLivenessDelivery(ctx, v.ID)
	if err != nil {
		return err
	}
	if final(row.LivenessDelivery.State) {
		return nil
	}
	newer, err := q.NewerLivenessDelivered(ctx, db.NewerLivenessDeliveredParams{DocumentID: v.DocumentID, AfterSeq: v.Seq})
	if err != nil {
		return err
	}
	if newer {
		return d.supersede(ctx, v)
	}
	dl, err := q.StartLivenessDelivery(ctx, v.ID)
	if db.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	started := time.Now()
	callCtx := vendors.WithAttempt(ctx, int(dl.Attempts))
	if d.Scope != nil {
		callCtx = d.Scope(callCtx, nil, &v.CaseID)
	}
	p := d.push(callCtx, q, v)
	return d.finish(ctx, v, dl, started, p)
}

// pushed is what one attempt ended with.
type pushed struct {
	customerID, documentID int64
	answer                 *cynopsis.LivenessResponse
	err                    error
}

func (d *Deliverer) push(ctx context.Context, q *db.Queries, v db.LivenessVerdict) (p pushed) {
	client, res, secrets, err := d.Clients.ClientSecrets(ctx, vendors.Artemis)
	if err != nil {
		return pushed{err: err}
	}
	// What Artemis said is stored with the delivery and shown: never with a credential in it.
	defer func() { p.err = secrets.ScrubError(p.err) }()
	cl, ok := client.(*cynopsis.Client)
	if !ok {
		return pushed{err: fmt.Errorf("liveness: the Artemis client is a %T", client)}
	}
	// Three calls at most (customer, document, liveness), each with the vendor timeout.
	ctx, cancel := context.WithTimeout(ctx, 3*res.Timeout+30*time.Second)
	defer cancel()
	p.customerID, p.documentID, p.err = d.records(ctx, q, cl, v)
	if p.err != nil {
		return p
	}
	ref, audits, err := d.images(ctx, q, v)
	if err != nil {
		p.err = err
		return p
	}
	p.answer, p.err = cl.PutLiveness(ctx, p.customerID, p.documentID, Request(v, ref, audits))
	return p
}

// records returns the Artemis ids of the verdict's customer and document, creating the records
// when they are missing.
func (d *Deliverer) records(ctx context.Context, q *db.Queries, cl *cynopsis.Client, v db.LivenessVerdict) (int64, int64, error) {
	var err error
	for try := 0; try < 2; try++ {
		var doc db.Document
		var cu db.Customer
		if doc, err = q.GetDocument(ctx, v.DocumentID); err != nil {
			return 0, 0, err
		}
		if cu, err = q.GetCustomer(ctx, doc.CustomerID); err != nil {
			return 0, 0, err
		}
		if cu.ArtemisCustomerID != nil && doc.ArtemisDocumentID != nil {
			return *cu.ArtemisCustomerID, *doc.ArtemisDocumentID, nil
		}
		var cid, did int64
		cid, did, err = d.Records.SyncArtemis(ctx, cl, v.DocumentID)
		var ve *vendors.Error
		if errors.As(err, &ve) && ve.Code == "duplicate" {
			// An Artemis check of the same customer may have created the customer a moment ago
			// and stored its id: read it and go on rather than fail.
			if again, rerr := q.GetCustomer(ctx, doc.CustomerID); rerr == nil && again.ArtemisCustomerID != nil {
				continue
			}
		}
		return cid, did, err
	}
	return 0, 0, err
}

// images reads the verdict's reference and audit images as the display JPEGs that are sent.
func (d *Deliverer) images(ctx context.Context, q *db.Queries, v db.LivenessVerdict) ([]byte, [][]byte, error) {
	read := func(id uuid.UUID, what string) ([]byte, error) {
		im, err := q.GetImage(ctx, id)
		if db.IsNotFound(err) {
			return nil, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "The " + what + " is no longer stored."}
		}
		if err != nil {
			return nil, err
		}
		key, err := images.DisplayKey(im.Sha256)
		if err != nil {
			return nil, err
		}
		rc, _, err := d.Store.Open(ctx, key)
		if errors.Is(err, images.ErrNotFound) {
			return nil, &vendors.Error{Vendor: vendors.Artemis, Kind: vendors.Invalid, Message: "The " + what + " is missing from the image store."}
		}
		if err != nil {
			return nil, fmt.Errorf("read the %s: %w", what, err)
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	ref, err := read(v.ReferenceImageID, "reference image")
	if err != nil {
		return nil, nil, err
	}
	var audits [][]byte
	for _, id := range v.AuditImageIds {
		b, err := read(id, "audit image")
		if err != nil {
			return nil, nil, err
		}
		audits = append(audits, b)
	}
	return ref, audits, nil
}

// Answer is what is kept of Artemis' answer to the PUT: the document record's identity, its
// docver status, the liveness block as stored (images removed), and who changed it when.
type Answer struct {
	DocumentID        int64              `json:"id"`
	CustomerID        int64              `json:"customerId"`
	DocverCheckStatus string             `json:"docverCheckStatus,omitempty"`
	Liveness          json.RawMessage    `json:"liveness,omitempty"`
	UpdatedBy         *cynopsis.UserInfo `json:"updatedBy,omitempty"`
	UpdatedAt         *time.Time         `json:"updatedAt,omitempty"`
}

func answerOf(doc *cynopsis.LivenessResponse) Answer {
	a := Answer{DocumentID: doc.ID, CustomerID: doc.CustomerID, DocverCheckStatus: doc.DocverCheckStatus, UpdatedBy: doc.UpdatedBy}
	if len(doc.Liveness) > 0 {
		// Artemis echoes the images it was sent; they are not kept a second time.
		a.Liveness = json.RawMessage(vendors.Redact(doc.Liveness))
	}
	if doc.UpdatedAt.Valid {
		t := doc.UpdatedAt.Time.UTC()
		a.UpdatedAt = &t
	}
	return a
}

// retryDelay is the wait before the next attempt: the vendor's Retry-After when it gave one,
// else RetryBase doubling with each attempt, up to MaxRetryDelay.
func retryDelay(attempt int, err error) time.Duration {
	var ve *vendors.Error
	if errors.As(err, &ve) && ve.RetryAfter > 0 {
		return min(ve.RetryAfter, MaxRetryDelay)
	}
	d := time.Duration(math.Pow(2, float64(max(attempt, 1)-1))) * RetryBase
	if d <= 0 || d > MaxRetryDelay {
		return MaxRetryDelay
	}
	return d
}

// describe turns a failure into its kind, plain words and HTTP status.
func describe(err error) (vendors.Kind, string, int) {
	var ve *vendors.Error
	if errors.As(err, &ve) {
		return ve.Kind, ve.Message, ve.HTTPStatus
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return vendors.Transient, "Artemis did not answer in time.", 0
	}
	if errors.Is(err, context.Canceled) {
		return vendors.Transient, "The push was interrupted (the server stopped); it will be tried again.", 0
	}
	return vendors.Transient, "The push could not run: " + err.Error(), 0
}

// finish records how an attempt ended, guarded by the attempt number so that a run presumed dead
// cannot overwrite a later run's outcome. It runs even when the job's context has ended, so an
// interrupted attempt is recorded as one.
func (d *Deliverer) finish(ctx context.Context, v db.LivenessVerdict, dl db.LivenessDelivery, started time.Time, p pushed) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var ids struct{ customer, document *int64 }
	if p.customerID > 0 {
		ids.customer = &p.customerID
	}
	if p.documentID > 0 {
		ids.document = &p.documentID
	}
	var snooze time.Duration
	err := db.Transact(wctx, d.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if p.err == nil {
			// The client accepts a 2xx with the document record (200 is the documented answer), or
			// with no body at all (204, or Spring's ok().build()): delivered, with nothing to show.
			var ans Answer
			var raw []byte
			said := "Artemis accepted the verdict without sending the document record back."
			if p.answer != nil {
				ans = answerOf(p.answer)
				var err error
				if raw, err = json.Marshal(ans); err != nil {
					return err
				}
				said = fmt.Sprintf("Artemis stored the verdict on document %d.", ans.DocumentID)
			} else {
				ans.CustomerID, ans.DocumentID = p.customerID, p.documentID // for the audit row
			}
			_, err := q.DeliverLiveness(wctx, db.DeliverLivenessParams{VerdictID: v.ID, Attempts: dl.Attempts, HttpStatus: http.StatusOK,
				Response: raw, ArtemisCustomerID: ids.customer, ArtemisDocumentID: ids.document})
			if db.IsNotFound(err) {
				return nil // another run finished it: nothing to record
			}
			if err != nil {
				return err
			}
			if err := q.InsertLivenessAttempt(wctx, db.InsertLivenessAttemptParams{VerdictID: v.ID, Attempt: dl.Attempts, StartedAt: started,
				Outcome: db.LivenessDeliveryStateDelivered, HttpStatus: http.StatusOK, Error: said}); err != nil {
				return err
			}
			older, err := q.SupersedeLivenessDeliveries(wctx, db.SupersedeLivenessDeliveriesParams{DocumentID: v.DocumentID, BeforeSeq: v.Seq})
			if err != nil {
				return err
			}
			return audit.Record(wctx, q, audit.Event{Actor: audit.System, Action: "liveness.delivered", SubjectType: "liveness_verdict",
				SubjectID: v.ID.String(), CaseID: &v.CaseID, After: map[string]any{"attempt": dl.Attempts, "artemis_customer_id": ans.CustomerID,
					"artemis_document_id": ans.DocumentID, "docver_check_status": ans.DocverCheckStatus, "superseded": older}})
		}
		kind, msg, status := describe(p.err)
		state := db.LivenessDeliveryStateFailed
		var next *time.Time
		if kind == vendors.Transient && int(dl.Attempts) < MaxAttempts {
			state, snooze = db.LivenessDeliveryStateRetrying, retryDelay(int(dl.Attempts), p.err)
			t := time.Now().Add(snooze)
			next = &t
		} else if kind == vendors.Transient {
			msg = fmt.Sprintf("%s Gave up after %d attempts.", msg, dl.Attempts)
		}
		_, err := q.FailLivenessDelivery(wctx, db.FailLivenessDeliveryParams{VerdictID: v.ID, Attempts: dl.Attempts, State: state,
			NextAttemptAt: next, LastError: msg, ErrorKind: string(kind), HttpStatus: int32(status),
			ArtemisCustomerID: ids.customer, ArtemisDocumentID: ids.document})
		if db.IsNotFound(err) {
			snooze = 0
			return nil
		}
		if err != nil {
			return err
		}
		if err := q.InsertLivenessAttempt(wctx, db.InsertLivenessAttemptParams{VerdictID: v.ID, Attempt: dl.Attempts, StartedAt: started,
			Outcome: state, HttpStatus: int32(status), Error: msg}); err != nil {
			return err
		}
		if state == db.LivenessDeliveryStateRetrying {
			return nil
		}
		return audit.Record(wctx, q, audit.Event{Actor: audit.System, Action: "liveness.failed", SubjectType: "liveness_verdict",
			SubjectID: v.ID.String(), CaseID: &v.CaseID, After: map[string]any{"attempt": dl.Attempts, "reason": msg, "kind": kind, "http_status": status}})
	})
	if err != nil {
		return err
	}
	if snooze > 0 {
		if d.Log != nil {
			d.Log.InfoContext(ctx, "liveness push will be retried", "verdict_id", v.ID.String(), "attempt", dl.Attempts, "in", snooze.String())
		}
		return river.JobSnooze(snooze)
	}
	return nil
}

// supersede marks this verdict (and any older undelivered one) as not to be sent, because a newer
// verdict on the document reached Artemis first.
func (d *Deliverer) supersede(ctx context.Context, v db.LivenessVerdict) error {
	return db.Transact(ctx, d.Pool, func(q *db.Queries, _ pgx.Tx) error {
		ids, err := q.SupersedeLivenessDeliveries(ctx, db.SupersedeLivenessDeliveriesParams{DocumentID: v.DocumentID, BeforeSeq: v.Seq + 1})
		if err != nil || len(ids) == 0 {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "liveness.superseded", SubjectType: "liveness_verdict",
			SubjectID: v.ID.String(), CaseID: &v.CaseID, After: map[string]any{"superseded": ids}})
	})
}
