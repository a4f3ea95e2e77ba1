package checks

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"

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
	if c.State != db.CheckStateRunning || c.TransactionID == nil {
		return nil
	}
	cb, err := argos.ParseCallback(job.Args.Body)
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

// CallbackHandler receives Argos callbacks at /callbacks/argos/{token}. Callbacks are unsigned, so
// only a known transaction whose URL token matches is accepted; the answer is given at once and
// the result applied by a job.
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
	c, err := db.New(h.Runner.Pool).GetCheckByTransaction(ctx, db.GetCheckByTransactionParams{Vendor: string(vendors.Argos), TransactionID: &txID})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "Unknown transaction.")
	}
	if err != nil {
		return err
	}
	if c.State != db.CheckStateRunning {
		return httpx.JSON(w, http.StatusOK, map[string]string{"status": "already processed"})
	}
	if len(c.CallbackTokenHash) == 0 || subtle.ConstantTimeCompare(auth.TokenHash(token), c.CallbackTokenHash) != 1 {
		return apperr.New(apperr.NotFound, "Unknown transaction.")
	}
	if _, err := h.River.Insert(ctx, CallbackArgs{CheckID: c.ID, Body: body}, &river.InsertOpts{Queue: Queue(vendors.Argos),
		UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
		return err
	}
	return httpx.JSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}
