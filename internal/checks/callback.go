package checks

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/argos"
)

// CallbackArgs is the job that applies an Argos callback.
type CallbackArgs struct {
	CheckID uuid.UUID       `json:"check_id" river:"unique"`
	Body    json.RawMessage `json:"body"`
	// Attempt is the check's attempt whose request the callback answers (its token's).
	Attempt int32 `json:"attempt,omitempty"`
}

// Kind names the job.
func (CallbackArgs) Kind() string { return "argos_callback" }

// CallbackWorker applies Argos callbacks.
type CallbackWorker struct {
	river.WorkerDefaults[CallbackArgs]
	Runner *Runner
}

// Work completes the awaited check with the callback's result; a check already finished is left
// as it is (a replayed callback changes nothing).
func (w *CallbackWorker) Work(ctx context.Context, job *river.Job[CallbackArgs]) error {
	c, err := db.New(w.Runner.Pool).GetCheck(ctx, job.Args.CheckID)
	if err != nil {
		return err
	}
	if c.State != db.CheckStateRunning || job.Args.Attempt != 0 && c.Attempts != job.Args.Attempt {
		return nil // finished, or its request was given up and sent again
	}
	cb, err := argos.ParseCallback(job.Args.Body)
	if err == nil && c.TransactionID == nil {
		// The callback came before Argos' acknowledgement was stored: wait for the run to store it.
		return river.JobSnooze(time.Second)
	}
	if err == nil && *c.TransactionID != storable(cb.TransactionID) {
		return nil // not this request's transaction
	}
	// Argos' credentials are removed from what is kept of the callback, as from its calls.
	_, _, secrets, _ := w.Runner.Clients.ClientSecrets(ctx, vendors.Argos)
	cb.Err = scrubVendorError(secrets, cb.Err)
	cb.Result = scrubResult(secrets, cb.Result)
	w.logCallback(ctx, c, job, cb, err, secrets)
	if err != nil {
		_, ferr := w.Runner.finish(ctx, c, nil, &vendors.Error{Vendor: vendors.Argos, Kind: vendors.Invalid, Message: "Argos' callback could not be read."}, true)
		return ferr
	}
	if cb.Err != nil {
		_, err := w.Runner.finish(ctx, c, nil, cb.Err, true)
		return err
	}
	var scale argos.Scale
	if json.Unmarshal(c.CallbackScale, &scale) == nil && cb.Result != nil {
		scale.Apply(cb.Result)
	}
	_, err = w.Runner.finish(ctx, c, cb.Result, nil, true)
	return err
}

// logCallback writes the callback to the check's vendor calls, its body redacted as an answer's
// is: its latency is the wait since Argos acknowledged the request.
func (w *CallbackWorker) logCallback(ctx context.Context, c db.Check, job *river.Job[CallbackArgs], cb argos.Callback, parseErr error, secrets *vendors.Secrets) {
	call := vendors.Call{Vendor: vendors.Argos, Method: http.MethodPost, Endpoint: w.Runner.CallbackBase + "/callbacks/argos/…",
		StartedAt: job.CreatedAt, HTTPStatus: cb.StatusCode, Attempt: int(c.Attempts), Body: vendors.Redact(job.Args.Body)}
	if c.CallbackAcknowledgedAt != nil {
		call.Latency = max(job.CreatedAt.Sub(*c.CallbackAcknowledgedAt), 0)
	}
	switch {
	case parseErr != nil:
		call.Meaning = "Argos' callback could not be read."
	case cb.Err != nil:
		call.VendorCode, call.Meaning = cb.Err.Code, cb.Err.Message
	}
	if rec := w.Runner.Clients.Recorder; rec != nil {
		rec.RecordCall(WithScope(ctx, &c.ID, &c.CaseID), secrets.ScrubCall(call))
	}
}

// scrubVendorError is Secrets.ScrubError for a *vendors.Error, nil staying nil.
func scrubVendorError(secrets *vendors.Secrets, e *vendors.Error) *vendors.Error {
	if e == nil {
		return nil
	}
	if ve, ok := secrets.ScrubError(e).(*vendors.Error); ok {
		return ve
	}
	return e
}

// CallbackHandler receives Argos callbacks at /callbacks/argos/{token}. Callbacks are unsigned, so
// only one whose URL token a running check holds, for that check's transaction once it is known,
// is accepted; the answer is given at once and the result applied by a job.
type CallbackHandler struct {
	Runner *Runner
	River  *river.Client[pgx.Tx]
}

// Argos handles one callback.
func (h *CallbackHandler) Argos(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token := chi.URLParam(r, "token")
	body, err := vendors.ReadBody(vendors.Argos, http.MaxBytesReader(w, r.Body, vendors.MaxBody), vendors.MaxBody)
	if err != nil {
		return apperr.New(apperr.TooLarge, "The callback body is too large.")
	}
	cb, err := argos.ParseCallback(body)
	if err != nil || cb.TransactionID == "" {
		return apperr.New(apperr.Invalid, "Not an Argos callback.")
	}
	txID := storable(cb.TransactionID) // as Run stored it
	q := db.New(h.Runner.Pool)
	// The token names the request: the check records it before asking Argos, so a callback that
	// comes before Argos' acknowledgement (and its transaction id) is known too.
	c, err := q.GetCheckByCallbackToken(ctx, auth.TokenHash(token))
	if db.IsNotFound(err) {
		// A finished check forgets its token; a replayed callback of its transaction is answered
		// as processed, anything else is unknown.
		done, err := q.GetCheckByTransaction(ctx, db.GetCheckByTransactionParams{Vendor: string(vendors.Argos), TransactionID: &txID})
		if err == nil && done.State != db.CheckStateRunning {
			return httpx.JSON(w, http.StatusOK, map[string]string{"status": "already processed"})
		}
		if err != nil && !db.IsNotFound(err) {
			return err
		}
		return apperr.New(apperr.NotFound, "Unknown transaction.")
	}
	if err != nil {
		return err
	}
	if c.Vendor != string(vendors.Argos) || c.TransactionID != nil && *c.TransactionID != txID {
		return apperr.New(apperr.NotFound, "Unknown transaction.")
	}
	if c.State != db.CheckStateRunning {
		return httpx.JSON(w, http.StatusOK, map[string]string{"status": "already processed"})
	}
	if _, err := h.River.Insert(ctx, CallbackArgs{CheckID: c.ID, Body: body, Attempt: c.Attempts}, &river.InsertOpts{Queue: Queue(vendors.Argos),
		UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
		return err
	}
	return httpx.JSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}
