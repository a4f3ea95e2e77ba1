package liveness

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendorsettings"
)

// maxCallbackBody bounds an Artemis callback: a handful of short members.
const maxCallbackBody = 64 << 10

// Callbacks receives Cynopsis Artemis' callbacks at /callbacks/artemis/{token}. They are unsigned,
// so only a request whose path holds the callback token an admin set in the Artemis settings of the
// active environment is heard, and, when the settings list addresses, only from those. A callback
// is recorded at once (it is a few words): on the customer's case timeline when kycdesk knows the
// customer (by Artemis' customer id, else by the profile reference, which is kycdesk's customer
// id), and kept either way. Artemis repeats itself: a callback saying what the customer's latest
// one said is answered and not recorded again.
type Callbacks struct {
	Pool       *pgxpool.Pool
	Settings   *vendorsettings.Service
	TrustProxy bool
}

// Artemis handles one callback.
func (h *Callbacks) Artemis(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	res, err := h.Settings.Resolve(ctx, vendors.Artemis)
	if err != nil {
		return err
	}
	want := res.Values["callback_token"]
	if res.Simulated || want == "" || subtle.ConstantTimeCompare([]byte(chi.URLParam(r, "token")), []byte(want)) != 1 {
		return apperr.New(apperr.NotFound, "Unknown callback.")
	}
	if allow := res.Values["callback_allow"]; allow != "" && !vendorsettings.AddressAllowed(allow, httpx.ClientIP(r, h.TrustProxy)) {
		return apperr.New(apperr.Forbidden, "Callbacks are not accepted from this address.")
	}
	body, err := vendors.ReadBody(vendors.Artemis, http.MaxBytesReader(w, r.Body, maxCallbackBody), maxCallbackBody)
	if err != nil {
		return apperr.New(apperr.TooLarge, "The callback body is too large.")
	}
	cb, err := cynopsis.ParseArtemisCallback(body)
	if err != nil {
		return apperr.Field("body", "Not an Artemis callback: "+err.Error()+".")
	}
	result, err := RecordArtemisCallback(ctx, h.Pool, cb, body)
	if err != nil {
		return err
	}
	return httpx.JSON(w, http.StatusOK, map[string]string{"status": result})
}

// What RecordArtemisCallback did.
const (
	CallbackRecorded = "recorded"         // on the customer's case
	CallbackRepeat   = "repeat"           // it said what the customer's latest said: nothing kept
	CallbackUnknown  = "unknown customer" // kept, linked to no customer
)

// RecordArtemisCallback keeps cb (its body as received) and puts it on its customer's case
// timeline, in one transaction; see Callbacks.
func RecordArtemisCallback(ctx context.Context, pool *pgxpool.Pool, cb cynopsis.ArtemisCallback, body []byte) (string, error) {
	var result string
	err := db.Transact(ctx, pool, func(q *db.Queries, _ pgx.Tx) error {
		key := cb.ProfileReferenceID
		if cb.CustomerID > 0 {
			key = strconv.FormatInt(cb.CustomerID, 10)
		}
		if err := q.LockArtemisCallbacks(ctx, key); err != nil {
			return err
		}
		var artemisID *int64
		if cb.CustomerID > 0 {
			artemisID = &cb.CustomerID
		}
		var customerID *uuid.UUID
		if artemisID != nil {
			if id, err := q.GetCustomerIDByArtemisID(ctx, artemisID); err == nil {
				customerID = &id
			} else if !db.IsNotFound(err) {
				return err
			}
		}
		if customerID == nil {
			if id, err := uuid.Parse(cb.ProfileReferenceID); err == nil {
				if _, err := q.GetCustomer(ctx, id); err == nil {
					customerID = &id
				} else if !db.IsNotFound(err) {
					return err
				}
			}
		}
		latest, err := q.LatestArtemisCallback(ctx, db.LatestArtemisCallbackParams{CustomerID: customerID, ArtemisCustomerID: artemisID})
		if err == nil && latest.Status == cb.Status && latest.RiskRating == cb.RiskRating && latest.Action == cb.Action &&
			latest.CustomerType == cb.CustomerType {
			result = CallbackRepeat
			return nil
		}
		if err != nil && !db.IsNotFound(err) {
			return err
		}
		var caseID *uuid.UUID
		if customerID != nil {
			cs, err := q.ListCustomerCases(ctx, *customerID)
			if err != nil {
				return err
			}
			for _, c := range cs { // the open case, else the latest
				if c.Status != db.CaseStatusApproved && c.Status != db.CaseStatusRejected {
					caseID = &c.ID
					break
				}
			}
			if caseID == nil && len(cs) > 0 {
				caseID = &cs[0].ID
			}
		}
		row, err := q.CreateArtemisCallback(ctx, db.CreateArtemisCallbackParams{ArtemisCustomerID: artemisID,
			ProfileReferenceID: cb.ProfileReferenceID, CustomerReferenceID: cb.CustomerReferenceID, Status: cb.Status,
			RiskRating: cb.RiskRating, Action: cb.Action, CustomerType: cb.CustomerType, CustomerID: customerID, CaseID: caseID,
			Body: storableJSON(body)})
		if err != nil {
			return err
		}
		ev := audit.Event{Actor: audit.System, Action: "artemis.callback", SubjectType: "artemis_callback",
			SubjectID: strconv.FormatInt(row.ID, 10), CaseID: caseID,
			After: map[string]any{"status": cb.Status, "risk_rating": cb.RiskRating, "action": cb.Action,
				"customer_type": cb.CustomerType, "artemis_customer_id": cb.CustomerID, "profile_reference_id": cb.ProfileReferenceID}}
		if customerID != nil {
			ev.SubjectType, ev.SubjectID = "customer", customerID.String()
			result = CallbackRecorded
		} else {
			result = CallbackUnknown
		}
		return audit.Record(ctx, q, ev)
	})
	return result, err
}

// storableJSON is body as PostgreSQL's jsonb takes it: decoded and encoded again (a lone surrogate
// becomes U+FFFD), and a NUL, which jsonb refuses, U+FFFD too.
func storableJSON(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return []byte(`{}`)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{}`)
	}
	return bytes.ReplaceAll(b, []byte(`\u0000`), []byte(`\ufffd`))
}
